from django.apps import AppConfig


class ConsultsConfig(AppConfig):
    name = "consults"
    verbose_name = "Free consults"

    def ready(self):
        from core import pages

        from .models import BookingRules

        # The privacy pages state how long closed requests are kept (retention_days).
        pages.clear_on_change(BookingRules)
