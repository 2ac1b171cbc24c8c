"""Template context from the consults app: whether the open times are `make run`'s examples."""

from django.conf import settings
from django.utils.functional import SimpleLazyObject

from .models import WeeklyHours


def example_hours(request):
    # Example hours never exist in production: there, not even the question is asked.
    if not settings.DEBUG:
        return {}
    return {"example_hours": SimpleLazyObject(WeeklyHours.objects.filter(example=True).exists)}
