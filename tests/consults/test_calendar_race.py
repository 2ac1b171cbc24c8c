"""A booking that reads open times while a feed refresh is half-way sees the busy periods
from before the refresh, whole: never a moment with the old ones deleted and the new ones
not yet written (which would offer a time the therapist is busy at)."""

import threading
from datetime import UTC, datetime, time, timedelta

import pytest
from django.db import connection

from consults import booking, calendars
from consults.models import BusyPeriod, CalendarSource

from .builders import open_every_day
from .test_calendar_sources import FILES, feeds, source_for  # noqa: F401 - the fixture

pytestmark = pytest.mark.django_db(transaction=True)
NOW = datetime(2026, 3, 2, 12, tzinfo=UTC)


def test_open_times_never_see_a_half_done_refresh(feeds, monkeypatch):  # noqa: F811
    open_every_day(time(9), time(17))
    feeds.routes["/f.ics"] = (200, {}, (FILES / "google.ics").read_bytes())
    source = source_for(feeds.base + "/f.ics")
    assert calendars.refresh_source(source, now=NOW)
    before = booking.available_slots(now=NOW)

    deleted, release = threading.Event(), threading.Event()
    real_bulk_create = BusyPeriod.objects.bulk_create

    def slow_bulk_create(objs, *args, **kwargs):
        deleted.set()  # the old periods are deleted in the refresh's open transaction
        release.wait(30)
        return real_bulk_create(objs, *args, **kwargs)

    monkeypatch.setattr(BusyPeriod.objects, "bulk_create", slow_bulk_create)

    def refresh():
        try:
            calendars.refresh_source(CalendarSource.objects.get(), now=NOW + timedelta(minutes=10))
        finally:
            connection.close()

    worker = threading.Thread(target=refresh)
    worker.start()
    assert deleted.wait(30)
    during = booking.available_slots(now=NOW)
    release.set()
    worker.join(30)
    assert during == before
    assert BusyPeriod.objects.count() == 3
