"""Site-wide views that belong to no app: the health check and robots.txt."""

from django.conf import settings
from django.db import connection
from django.http import HttpResponse, JsonResponse
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe


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
