"""Reader pages kept by Django's cache middleware, and forgotten when what they show changes.

The middleware (settings.MIDDLEWARE) keeps each public GET answer in the "pages" cache:
each process's own memory, for CACHE_MIDDLEWARE_SECONDS, so a scheduled article shows
within that time with no job running. Entries are keyed with Django's cache versioning
by a version kept in the shared default cache (the database, or Redis): every save or
delete of what the pages show replaces it once the change commits, so every process and
instance renders afresh on its next request. Reading the version is one query a request;
keeping the pages themselves in the database cache cost two bigger ones and about a
fifth of the throughput (docs/performance.md).
"""

import secrets

from django.core.cache import caches
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.middleware import cache as cache_middleware
from django.utils.cache import has_vary_header

VERSION_ALIAS = "default"
VERSION_KEY = "pages-version"


def clear():
    """Forget every kept page, in every process."""
    caches[VERSION_ALIAS].set(VERSION_KEY, secrets.randbits(63), timeout=None)


def _changed(**kwargs):
    # After the commit: a request in between would otherwise keep the old page again.
    transaction.on_commit(clear)


def clear_on_change(*models):
    """Forget the kept pages whenever one of these models is saved or deleted."""
    for model in models:
        uid = f"{model._meta.label}.pages"
        post_save.connect(_changed, sender=model, dispatch_uid=f"{uid}.save")
        post_delete.connect(_changed, sender=model, dispatch_uid=f"{uid}.delete")


class FetchFromCacheMiddleware(cache_middleware.FetchFromCacheMiddleware):
    """Django's, looking pages up at the version every process shares."""

    def process_request(self, request):
        if request.method in ("GET", "HEAD"):
            # The cache object is this thread's own: the version holds for this request,
            # and UpdateCacheMiddleware keeps the answer under the same one.
            self.cache.version = caches[VERSION_ALIAS].get(VERSION_KEY, 0)
        return super().process_request(request)


class UpdateCacheMiddleware(cache_middleware.UpdateCacheMiddleware):
    """Django's, with two differences.

    An answer is kept for CACHE_MIDDLEWARE_SECONDS even when it tells browsers
    max-age=0, as reader pages do so that a browser asks again each time and an edit
    shows at once (the ETag makes that a 304): the way cache_page's timeout works.

    An answer that varies on Cookie is never kept. Such an answer read the session (the
    signed-in therapist, a message) or carries a CSRF token: it belongs to one visitor.
    Django would keep it per cookie; we keep nothing of a visitor at all.
    """

    def __init__(self, get_response):
        super().__init__(get_response)
        self.page_timeout = self.cache_timeout

    def _should_update_cache(self, request, response):
        return super()._should_update_cache(request, response) and not has_vary_header(
            response, "Cookie"
        )
