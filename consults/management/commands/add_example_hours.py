"""`python manage.py add_example_hours`: example weekly hours for a new local database.

`make run` calls it, so that a newcomer's booking page offers times before anyone has
an admin account. Only with DEBUG on, and only when there are no weekly hours at all;
the site marks them as examples (on every page and in the admin) and drops them as soon
as the therapist adds or changes any hours (consults.models.WeeklyHours).
"""

from datetime import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from consults.models import WeeklyHours

EXAMPLE_DAYS = range(5)  # Monday to Friday
EXAMPLE_START, EXAMPLE_END = time(9), time(17)


class Command(BaseCommand):
    help = "Add example weekly hours to a new local database (DEBUG only)."

    def handle(self, *args, **options):
        if not settings.DEBUG:
            raise CommandError("Example hours are for local development only (DEBUG on).")
        if WeeklyHours.objects.exists():
            return
        WeeklyHours.objects.bulk_create(
            WeeklyHours(weekday=day, start=EXAMPLE_START, end=EXAMPLE_END, example=True)
            for day in EXAMPLE_DAYS
        )
        self.stdout.write(
            "Added example hours (Monday to Friday, 9:00 to 17:00) so the booking page"
            " offers times. Set your own in the admin: Free consults → Weekly hours."
        )
