"""Template context shared by every page."""

from django.conf import settings

from .cache import practice_profile


def practice(request):
    # Read with the content state (core.cache): no query on most requests.
    return {"practice": practice_profile(), "SITE_URL": settings.SITE_URL}
