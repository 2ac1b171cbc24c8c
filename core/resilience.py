"""A calm 503 page, instead of a server error, while the database is unreachable.

PostgreSQL restarting, failing over or refusing connections raises OperationalError
(or InterfaceError on a connection that broke); Django would answer 500 with its bare
error page. DatabaseUnavailableMiddleware answers 503 with templates/503.html and a
Retry-After instead, whichever part of the request met the error:

- in a view (or a template it renders): process_exception;
- in a middleware inside this one (a session saved after the view, say): Django has
  already turned it into a 500 by then, so the got_request_exception signal marks the
  request and __call__ swaps that 500 for the 503.

Other database errors (IntegrityError, DataError, ProgrammingError) are bugs, not an
outage, and stay 500. The page is rendered without the request, so no context
processor goes to the database for it. Django closes the broken connection at the end
of the request (CONN_HEALTH_CHECKS), so the site recovers by itself when the database
is back; /healthz says 503 meanwhile (core.views.healthz).
"""

import logging
import sys

from django.contrib.sessions.exceptions import SessionInterrupted
from django.contrib.sessions.middleware import SessionMiddleware as BaseSessionMiddleware
from django.core.signals import got_request_exception
from django.db import InterfaceError, OperationalError
from django.http import HttpResponse
from django.template.loader import render_to_string
from django.utils.cache import add_never_cache_headers

logger = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 30
_MARK = "_database_unavailable"


def is_database_unavailable(exception):
    return isinstance(exception, OperationalError | InterfaceError)


def unavailable_response():
    response = HttpResponse(render_to_string("503.html"), status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    add_never_cache_headers(response)
    return response


def _mark_request(sender, request=None, **kwargs):
    if request is not None and is_database_unavailable(sys.exc_info()[1]):
        setattr(request, _MARK, True)


got_request_exception.connect(_mark_request, dispatch_uid="core.resilience.mark")


class DatabaseUnavailableMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if response.status_code == 500 and getattr(request, _MARK, False):
            return unavailable_response()
        return response

    def process_exception(self, request, exception):
        if not is_database_unavailable(exception):
            return None
        logger.warning("database unavailable (%s): answered 503", type(exception).__name__)
        return unavailable_response()


class SessionMiddleware(BaseSessionMiddleware):
    """Django's session middleware, but a session the database could not save gets the
    calm 503 page: Django answers 400 "session interrupted" for any failed save, which
    is the wrong message when PostgreSQL has just gone away after the view succeeded."""

    def process_response(self, request, response):
        try:
            return super().process_response(request, response)
        except SessionInterrupted as error:
            cause = error.__context__
            while cause is not None and not is_database_unavailable(cause):
                cause = cause.__context__
            if cause is None:
                raise
            logger.warning(
                "database unavailable (%s) saving a session: answered 503", type(cause).__name__
            )
            return unavailable_response()
