"""Top-level URLs: the two-factor admin at ADMIN_URL, the blog and pages, consults, site files."""

from django.conf import settings
from django.contrib import admin
from django.contrib.sitemaps.views import sitemap
from django.urls import include, path, re_path
from django.views.static import serve

from blog.sitemaps import sitemaps as blog_sitemaps
from consults.sitemaps import sitemaps as consult_sitemaps
from core import views as core_views


def media_file(request, path):
    # MEDIA_ROOT read at each request, not at import: tests point it at a scratch folder.
    return serve(request, path, document_root=settings.MEDIA_ROOT)


# admin.site is core.admin_site.PracticeAdminSite (INSTALLED_APPS): two-factor sign-in,
# with django-axes locking out repeated failures.
urlpatterns = [
    path(settings.ADMIN_URL, admin.site.urls),
    path("robots.txt", core_views.robots_txt, name="robots_txt"),
    path(
        "sitemap.xml",
        sitemap,
        {"sitemaps": {**blog_sitemaps, **consult_sitemaps}},
        name="django.contrib.sitemaps.views.sitemap",
    ),
    # Uploaded pictures (a few sizes each): served by the app itself so the site
    # needs no second service; the host's disk (or a volume) keeps them.
    re_path(r"^media/(?P<path>.+)$", media_file),
    path("consult/", include("consults.urls")),
    path("", include("blog.urls")),
]
