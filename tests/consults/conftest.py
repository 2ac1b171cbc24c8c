"""Builders shared by the consults tests: plain functions, no fixture files."""

from datetime import timedelta

from django.utils import timezone

from consults.models import BookingRules, ConsultRequest

# Values a visitor might type, distinctive enough to search for in a raw email.
TYPED = {
    "name": "Zephyrine Quillfeather",
    "email": "zq.private@example.org",
    "phone": "+1 555 0142 777",
    "availability": "weekday mornings plughsworth",
    "message": "my secret note xyzzyfrob",
}


def make_consult(*, starts_at=None, **fields):
    """A stored request; with `starts_at`, it holds that time (length and buffer from the rules)."""
    now = timezone.now()
    values = {
        **TYPED,
        "contact_method": ConsultRequest.ContactMethod.TEXT,
        "consented_at": now,
        "created_at": now,
        "status_changed_at": now,
    }
    if starts_at is not None:
        rules = BookingRules.load()
        values["starts_at"] = starts_at
        values["ends_at"] = starts_at + rules.consult_length
        values["blocked_until"] = values["ends_at"] + rules.buffer
    values.update(fields)
    return ConsultRequest.objects.create(**values)


def in_days(days, hour=15):
    """A whole-hour moment `days` from now (UTC), for consult times."""
    moment = timezone.now() + timedelta(days=days)
    return moment.replace(hour=hour, minute=0, second=0, microsecond=0)
