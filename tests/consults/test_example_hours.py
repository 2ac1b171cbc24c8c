"""Example open times for a newcomer's `make run`: marked as examples, replaced by the
therapist's own hours, and never in production (DEBUG off)."""

from datetime import time

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from consults.models import WeeklyHours
from tests.consults.builders import open_times

pytestmark = pytest.mark.django_db

NOTICE = "Example open times."


@pytest.fixture
def local(settings):
    settings.DEBUG = True
    call_command("add_example_hours", stdout=open("/dev/null", "w"))  # noqa: SIM115


def test_a_new_local_database_gets_example_hours_marked_on_the_booking_page(client, local):
    assert WeeklyHours.objects.filter(example=True).count() == 5
    page = client.get("/consult/")
    assert open_times(page), "the booking page offers the example times"
    assert NOTICE in page.content.decode()
    assert "Free consults → Weekly hours" in page.content.decode()


def test_the_admin_marks_them_as_examples(admin_client, local):
    listing = admin_client.get(reverse("admin:consults_weeklyhours_changelist")).content.decode()
    assert listing.count("Monday 09:00–17:00 (example: add or change any hours") >= 1
    assert listing.count("(example: add or change any hours to set your own)") >= 5


def test_the_therapists_own_hours_replace_them(client, local):
    WeeklyHours.objects.create(weekday=2, start=time(10), end=time(12))
    assert list(WeeklyHours.objects.values_list("example", flat=True)) == [False]
    assert NOTICE not in client.get("/consult/").content.decode()


def test_a_database_with_hours_gets_no_examples(settings):
    settings.DEBUG = True
    WeeklyHours.objects.create(weekday=2, start=time(10), end=time(12))
    call_command("add_example_hours", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert not WeeklyHours.objects.filter(example=True).exists()


def test_never_in_production(client):
    with pytest.raises(CommandError, match="local development only"):
        call_command("add_example_hours")
    # Even rows copied from a local database make no open times and no notice.
    WeeklyHours.objects.bulk_create(
        WeeklyHours(weekday=day, start=time(9), end=time(17), example=True) for day in range(7)
    )
    page = client.get("/consult/")
    assert open_times(page) == []
    assert NOTICE not in page.content.decode()
