"""Template context shared by every page."""

from django.conf import settings

from .models import PracticeProfile


def practice(request):
    return {"practice": PracticeProfile.load(), "SITE_URL": settings.SITE_URL}
