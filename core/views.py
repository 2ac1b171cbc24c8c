"""Site-wide views that belong to no app: the health check, robots.txt, the Good Faith
Estimate notice (a US practice's), and the error
pages Django's own handlers would render without the site's layout (400, 500, and the
CSRF failure; 403 and 404 need no view: Django renders 403.html and 404.html with the
request), and the 413 for a body too large."""

import logging

from django.conf import settings
from django.db import connection
from django.http import Http404, HttpResponse, JsonResponse
from django.middleware.csrf import REASON_NO_CSRF_COOKIE
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import cache_control, never_cache
from django.views.decorators.http import require_safe

from .models import PracticeProfile


@never_cache
@require_safe
def healthz(request):
    """200 when the app can reach its database, 503 when it cannot."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception:
        return JsonResponse({"status": "unavailable", "database": "down"}, status=503)
    return JsonResponse({"status": "ok", "database": "up"})


@require_safe
def robots_txt(request):
    # The admin is not named here: robots.txt is public, and a therapist who picks an
    # unusual ADMIN_URL would announce it. Nothing links to the admin, and its every
    # answer says X-Robots-Tag: noindex (core.middleware.SecurityHeadersMiddleware).
    lines = [
        "User-agent: *",
        "Disallow: /consult/manage/",
        "",
        f"Sitemap: {settings.SITE_URL}{reverse('django.contrib.sitemaps.views.sitemap')}",
        "",
    ]
    return HttpResponse("\n".join(lines), content_type="text/plain; charset=utf-8")


@cache_control(max_age=0)
@require_safe
def good_faith_estimate(request):
    """The No Surprises Act notice, linked from the footer of a US practice's site (and not
    there elsewhere). A reader page, kept like the others (core.pages): saving the
    profile, its country included, forgets it."""
    if not PracticeProfile.load().in_us:
        raise Http404("The Good Faith Estimate applies to practices in the United States.")
    return render(request, "core/good_faith_estimate.html")


log = logging.getLogger(__name__)


def _error_page(request, template, status, context=None):
    """The error page in the site's layout, or the same page without the request's context
    (no practice details) if rendering with it fails too, as it may during a 500."""
    try:
        response = render(request, template, context, status=status)
    except Exception:
        log.exception("rendering %s with the request failed; rendered without it", template)
        response = HttpResponse(render_to_string(template, context), status=status)
    response["Cache-Control"] = "no-store"
    return response


def bad_request(request, exception):
    """handler400: Django's own renders 400.html without the request, so without the layout."""
    return _error_page(request, "400.html", 400)


def server_error(request):
    """handler500: as bad_request, for 500.html."""
    return _error_page(request, "500.html", 500)


def request_too_large(request):
    """413, from core.middleware.RequestBodyLimitMiddleware. The body is never read by
    Django (gunicorn drains what follows only within its keep-alive bounds; a
    Connection header would be refused by WSGI servers as hop-by-hop)."""
    return _error_page(request, "413.html", 413)


def csrf_failure(request, reason=""):
    """CSRF_FAILURE_VIEW: a form came back without its cookie, or from an old tab.

    Says which in plain words, and leads back to the form (the page the visitor came
    from, when the browser says and it is this site's).
    """
    back = request.headers.get("Referer", "")
    if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
        back = reverse("consults:book")
    context = {"no_cookie": reason == REASON_NO_CSRF_COOKIE, "back_to_form": back}
    return _error_page(request, "403_csrf.html", 403, context)
