"""The site's URLs plus a view that fails and one that refuses, for the error pages' tests."""

from django.core.exceptions import PermissionDenied
from django.urls import path

from practice.urls import handler400, handler500, urlpatterns  # noqa: F401


def fails(request):
    raise RuntimeError("a fault in the site, for the test")


def refuses(request):
    raise PermissionDenied


urlpatterns = [
    path("fails-for-the-test/", fails),
    path("refused-for-the-test/", refuses),
    *urlpatterns,
]
