from django.apps import AppConfig


class ConsultsConfig(AppConfig):
    name = "consults"
    verbose_name = "Free consults"

    def ready(self):
        from core import cache

        from .models import BookingRules, TimeOff, WeeklyHours

        # The booking page is made from these (consults.booking.schedule_as_shown).
        cache.watch(BookingRules, WeeklyHours, TimeOff)
