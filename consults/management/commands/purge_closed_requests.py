"""Retention: `python manage.py purge_closed_requests`, meant to run once a day.

Deletes closed requests (completed, no-show, declined, cancelled, spam) whose status
changed more than BookingRules.retention_days ago, and clears the text of finished
emails older than that (consults.booking.purge_closed). Also deletes expired sessions
(Django's `clearsessions`): a visitor's session holds their chosen time zone and what
they just did, and the database keeps its row until it is cleared. Prints counts only:
no client detail reaches the logs.
"""

from django.core.management import call_command
from django.core.management.base import BaseCommand

from consults.booking import purge_closed
from consults.models import BookingRules


class Command(BaseCommand):
    help = "Delete closed consult requests and old email text after the retention period."

    def handle(self, *args, **options):
        deleted, cleared = purge_closed(BookingRules.load().retention_days)
        call_command("clearsessions")
        self.stdout.write(
            f"Deleted {deleted} closed request(s); cleared the text of {cleared} email(s)."
        )
        self.stdout.write("Removed expired sessions.")
