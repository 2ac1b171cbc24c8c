"""Small builders for consult tests: stored requests, availability, a valid form submission."""

import re
from datetime import time, timedelta

from django.utils import timezone

from consults.models import BookingRules, ConsultRequest, WeeklyHours
from core.models import PracticeProfile


def open_every_day(start=time(9), end=time(17)):
    """Weekly hours on all seven days, so tests find open times whatever today is."""
    for day in range(7):  # saved one by one, as the admin does
        WeeklyHours.objects.create(weekday=day, start=start, end=end)


def set_profile(**values):
    """Change the practice profile as the therapist would, and save it."""
    profile = PracticeProfile.load()
    for name, value in values.items():
        setattr(profile, name, value)
    profile.save()
    return profile


def set_rules(**values):
    rules = BookingRules.load()
    for name, value in values.items():
        setattr(rules, name, value)
    rules.save()
    return rules


HIDDEN = re.compile(r'<input type="hidden" name="(\w+)" value="([^"]*)"')
OPEN_TIME = re.compile(r'name="slot" id="slot-[^"]*" value="([^"]+)"')


def hidden_fields(page):
    """The hidden values of a rendered form, read from its HTML as a browser would."""
    return dict(HIDDEN.findall(page.content.decode()))


def open_times(page):
    """The open times a rendered booking page offers (their form values), in order."""
    return [key for key in OPEN_TIME.findall(page.content.decode()) if key != "none"]


def form_data(form_page, **overrides):
    """The fields a person would send, with the hidden values from a rendered form."""
    hidden = hidden_fields(form_page)
    data = {
        "name": "Sam",
        "email": "sam@example.com",
        "phone": "",
        "contact_method": "email",
        "slot": "none",
        "availability": "Weekday mornings",
        "message": "",
        "consent": "on",
        "website": "",
        "submission_key": hidden["submission_key"],
        "shown_at": hidden["shown_at"],
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


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
