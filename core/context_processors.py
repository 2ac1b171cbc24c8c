"""Template context shared by every page."""

from django.conf import settings
from django.utils.functional import SimpleLazyObject

from .models import PracticeProfile


def practice(request):
    # Lazy: a page that never shows the practice never reads it.
    return {"practice": SimpleLazyObject(PracticeProfile.load), "SITE_URL": settings.SITE_URL}
