"""Retention: `python manage.py purge_closed_requests`, meant to run once a day.

Deletes closed requests (completed, no-show, declined, cancelled, spam) whose status
changed more than BookingRules.retention_days ago, and clears the text of finished
emails older than that. Prints counts only: no client detail reaches the logs.
"""

from datetime import timedelta

from django.core.management.base import BaseCommand
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from consults.models import BookingRules, ConsultRequest, OutboundEmail

DONE = [OutboundEmail.Status.SENT, OutboundEmail.Status.CANCELLED, OutboundEmail.Status.FAILED]
CLEARED = {"subject": "(deleted)", "to": "", "body_text": "", "body_html": "", "ics": ""}


class Command(BaseCommand):
    help = "Delete closed consult requests and old email text after the retention period."

    def handle(self, *args, **options):
        cutoff = timezone.now() - timedelta(days=BookingRules.load().retention_days)
        with transaction.atomic():
            expired = ConsultRequest.objects.filter(
                status__in=ConsultRequest.CLOSED, status_changed_at__lt=cutoff
            )
            # The emails about a deleted request go with it, whatever their age.
            cleared = (
                OutboundEmail.objects.filter(status__in=DONE)
                .filter(Q(created_at__lt=cutoff) | Q(consult__in=expired))
                .exclude(subject=CLEARED["subject"], to="")
                .update(**CLEARED)
            )
            deleted = expired.delete()[1].get(ConsultRequest._meta.label, 0)
        self.stdout.write(
            f"Deleted {deleted} closed request(s); cleared the text of {cleared} email(s)."
        )
