"""Top-level URLs: the two-factor admin at ADMIN_URL, the blog and pages, consults, site files."""

from django.conf import settings
from django.contrib import admin
from django.contrib.sitemaps.views import sitemap
from django.urls import include, path, re_path
from django.views.decorators.http import require_safe
from django.views.static import serve

from blog.sitemaps import sitemaps as blog_sitemaps
from consults import views as consult_views
from consults.sitemaps import sitemaps as consult_sitemaps
from core import views as core_views
from core.admin_site import password_reset_urls


@require_safe
def media_file(request, path):
    # MEDIA_ROOT read at each request, not at import: tests point it at a scratch folder.
    return serve(request, path, document_root=settings.MEDIA_ROOT)


# admin.site is core.admin_site.PracticeAdminSite (INSTALLED_APPS): two-factor sign-in,
# with django-axes locking out repeated failures.
urlpatterns = [
    # Before the admin, whose last pattern catches every address under it.
    *password_reset_urls(settings.ADMIN_URL),
    path(settings.ADMIN_URL, admin.site.urls),
    path("robots.txt", core_views.robots_txt, name="robots_txt"),
    # Before the blog, whose last pattern catches any single segment.
    path("good-faith-estimate/", core_views.good_faith_estimate, name="good_faith_estimate"),
    path(
        "sitemap.xml",
        require_safe(sitemap),
        {"sitemaps": {**blog_sitemaps, **consult_sitemaps}},
        name="django.contrib.sitemaps.views.sitemap",
    ),
    # Uploaded pictures (a few sizes each): served by the app itself so the site
    # needs no second service; the host's disk (or a volume) keeps them.
    re_path(r"^media/(?P<path>.+)$", media_file),
    path("consult/", include("consults.urls")),
    # Before the blog's pages, whose pattern catches every single segment.
    path(
        "consumer-health-data/",
        consult_views.consumer_health_data,
        name="consumer_health_data",
    ),
    path("", include("blog.urls")),
]

# The site's own error pages (core.views): Django's handlers render 400 and 500 without
# the request, so without the practice's details in the layout.
handler400 = core_views.bad_request
handler500 = core_views.server_error
