"""Small builders for consult tests: availability and a valid form submission."""

from datetime import time

from consults.models import BookingRules, WeeklyHours


def open_every_day(start=time(9), end=time(17)):
    """Weekly hours on all seven days, so tests find open times whatever today is."""
    WeeklyHours.objects.bulk_create(
        WeeklyHours(weekday=day, start=start, end=end) for day in range(7)
    )


def set_rules(**values):
    rules = BookingRules.load()
    for name, value in values.items():
        setattr(rules, name, value)
    rules.save()
    return rules


def form_data(form_page, **overrides):
    """The fields a person would send, with the hidden values from a rendered form."""
    form = form_page.context["form"]
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
        "submission_key": form.initial["submission_key"],
        "shown_at": form.initial["shown_at"],
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}
