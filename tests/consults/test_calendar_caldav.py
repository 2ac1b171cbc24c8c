"""A real CalDAV server (Radicale, started on a free loopback port): busy periods read
from it, and confirmed consults written into it, moved and removed, each change seen by
a second client."""

import socket
import subprocess
import sys
import time as clock
from datetime import UTC, time, timedelta

import caldav
import pytest
from django.utils import timezone

from consults import booking, calendars, invitations
from consults.models import CalendarSource

from .builders import TYPED, open_every_day, set_rules

pytestmark = pytest.mark.django_db
USER, PASSWORD = "therapist", "app-password-123"


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def radicale(tmp_path, settings):
    settings.CALENDAR_ALLOW_LOCAL = True
    (tmp_path / "users").write_text(f"{USER}:{PASSWORD}\n")
    port = free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "radicale",
            "--server-hosts",
            f"127.0.0.1:{port}",
            "--auth-type",
            "htpasswd",
            "--auth-htpasswd-filename",
            str(tmp_path / "users"),
            "--auth-htpasswd-encryption",
            "plain",
            "--rights-type",
            "owner_only",
            "--storage-filesystem-folder",
            str(tmp_path / "collections"),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = clock.monotonic() + 30
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            if clock.monotonic() > deadline:
                process.kill()
                raise
            clock.sleep(0.1)
    url = f"http://127.0.0.1:{port}/"
    client = caldav.DAVClient(url=url, username=USER, password=PASSWORD)  # the second client
    calendar = client.principal().make_calendar(name="Practice")
    yield calendar
    process.terminate()
    process.wait(timeout=10)


def add_event(calendar, uid, start, minutes, extra=""):
    calendar.save_event(
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//t//EN\r\nBEGIN:VEVENT\r\n"
        f"UID:{uid}\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:{start:%Y%m%dT%H%M%SZ}\r\n"
        f"DTEND:{start + timedelta(minutes=minutes):%Y%m%dT%H%M%SZ}\r\n"
        f"SUMMARY:Client session\r\n{extra}END:VEVENT\r\nEND:VCALENDAR\r\n"
    )


def caldav_source(calendar, **fields):
    source = CalendarSource(name="Practice (CalDAV)", kind="caldav", username=USER, **fields)
    calendars.set_secrets(source, url=str(calendar.url), password=PASSWORD)
    source.save()
    return source


def consult_events(calendar):
    """What the second client sees: {uid: (start, summary)} of consults in the calendar."""
    found = {}
    for item in calendar.events():
        event = item.icalendar_component
        if str(event["UID"]).startswith("consult-"):
            found[str(event["UID"])] = (event["DTSTART"].dt.astimezone(UTC), str(event["SUMMARY"]))
    return found


def test_busy_periods_read_with_repeats_expanded(radicale):
    tomorrow = (timezone.now() + timedelta(days=1)).replace(
        hour=15, minute=0, second=0, microsecond=0
    )
    add_event(radicale, "single", tomorrow, 50)
    add_event(
        radicale, "weekly", tomorrow + timedelta(hours=3), 60, "RRULE:FREQ=WEEKLY;COUNT=3\r\n"
    )
    source = caldav_source(radicale)
    assert calendars.refresh_source(source)
    periods = sorted((p.lower, p.upper) for p in source.busy.values_list("period", flat=True))
    assert periods == [
        (tomorrow, tomorrow + timedelta(minutes=50)),
        (tomorrow + timedelta(hours=3), tomorrow + timedelta(hours=4)),
        (tomorrow + timedelta(days=7, hours=3), tomorrow + timedelta(days=7, hours=4)),
        (tomorrow + timedelta(days=14, hours=3), tomorrow + timedelta(days=14, hours=4)),
    ]


def test_wrong_password_is_a_plain_error(radicale):
    source = caldav_source(radicale)
    calendars.set_secrets(source, password="wrong")
    source.save()
    assert not calendars.refresh_source(source)
    source.refresh_from_db()
    assert source.last_error == "The CalDAV server refused the user name or app password."


def test_confirmed_consult_written_moved_and_removed(radicale):
    open_every_day(time(9), time(17))
    set_rules(requires_confirmation=False)
    source = caldav_source(radicale, write_consults=True)
    assert calendars.refresh_source(source)  # read once, so times are offered
    first, second = booking.available_slots()[:2]
    consult, _ = booking.submit_request(
        TYPED | {"contact_method": "email"}, submission_key=None, start=first.start
    )
    assert consult.status == consult.Status.CONFIRMED
    uid = invitations.consult_uid(consult)

    calendars.refresh_due_sources()
    assert consult_events(radicale) == {uid: (first.start, f"Free consult: {consult.first_name}")}

    booking.reschedule(consult, second.start)
    calendars.refresh_due_sources()
    assert consult_events(radicale) == {uid: (second.start, f"Free consult: {consult.first_name}")}

    # Its own event is not read back as a busy time that would block it.
    assert calendars.refresh_source(CalendarSource.objects.get())
    assert not source.busy.exists()

    booking.cancel(consult)
    calendars.refresh_due_sources()
    assert consult_events(radicale) == {}


def test_a_failed_write_is_shown_and_retried(radicale):
    open_every_day(time(9), time(17))
    set_rules(requires_confirmation=False)
    source = caldav_source(radicale, write_consults=True)
    assert calendars.refresh_source(source)
    slot = booking.available_slots()[0]
    consult, _ = booking.submit_request(
        TYPED | {"contact_method": "email"}, submission_key=None, start=slot.start
    )
    calendars.set_secrets(source, password="changed-by-mistake")
    source.save()
    calendars.refresh_due_sources()
    source.refresh_from_db()
    assert source.write_error == "The CalDAV server refused the user name or app password."
    assert list(calendars.sources_needing_attention()) == [source]
    assert consult_events(radicale) == {}

    calendars.set_secrets(source, password=PASSWORD)
    source.save()
    calendars.refresh_due_sources()  # too soon: waits for its retry time
    assert consult_events(radicale) == {}
    calendars.refresh_due_sources(now=timezone.now() + calendars.WRITE_RETRY)
    source.refresh_from_db()
    assert source.write_error == ""
    assert list(consult_events(radicale)) == [invitations.consult_uid(consult)]
