"""No double booking under real concurrency, against the real PostgreSQL.

Many visitors press "book" for the same time at the same instant: threads (each with
its own database connection) or separate processes wait at a barrier, then all call
`booking.submit_request` or `booking.reschedule` together. Exactly one wins; every
other one gets SlotTaken and leaves nothing behind. Figures (threads, winners,
refusals, wall time) are printed: run with -s to see them.
"""

import json
import subprocess
import sys
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from datetime import time as wall_time
from pathlib import Path

import pytest
from django.db import connection, connections

from consults import booking
from consults.booking import SlotTaken
from consults.models import BookingRules, ConsultRequest, OutboundEmail, WeeklyHours
from core.models import PracticeProfile
from tests.concurrently import run_at_once

pytestmark = pytest.mark.django_db(transaction=True)

Kind = OutboundEmail.Kind
REPO = Path(__file__).resolve().parents[2]
TIMEOUT = 60  # seconds: only so a deadlock fails the test instead of hanging it


@pytest.fixture(autouse=True)
def open_every_day():
    WeeklyHours.objects.bulk_create(
        WeeklyHours(weekday=day, start=wall_time(9), end=wall_time(17)) for day in range(7)
    )
    BookingRules.load()
    PracticeProfile.load()


def set_rules(**values):
    rules = BookingRules.load()
    for name, value in values.items():
        setattr(rules, name, value)
    rules.save()


def at(days, hh_mm="10:00"):
    """The UTC instant of a wall time in the practice zone, `days` local days from today."""
    tz = PracticeProfile.load().tz
    day = datetime.now(tz).date() + timedelta(days=days)
    return datetime.combine(day, wall_time.fromisoformat(hh_mm), tzinfo=tz).astimezone(UTC)


def visitor(i):
    return {"name": f"Visitor {i}", "email": f"visitor{i}@example.org", "contact_method": "email"}


def race(n, action):
    """Run action(i) for i in 0..n-1 in n threads released together by a barrier.

    Returns (outcomes, seconds): an outcome is ("won", value), ("taken", None) or
    ("error", repr) for anything else.
    """
    barrier = threading.Barrier(n, timeout=TIMEOUT)
    outcomes = [None] * n

    def run(i):
        try:
            connection.ensure_connection()  # connect first, so the race is the booking
            barrier.wait()
            outcomes[i] = ("won", action(i))
        except SlotTaken:
            outcomes[i] = ("taken", None)
        except Exception as error:
            outcomes[i] = ("error", repr(error))
        finally:
            connections.close_all()

    return outcomes, run_at_once(n, run, TIMEOUT)


def tally(label, outcomes, seconds):
    counts = {kind: sum(1 for o in outcomes if o[0] == kind) for kind in ("won", "taken", "error")}
    print(
        f"\n[concurrency] {label}: {len(outcomes)} at once -> {counts['won']} won, "
        f"{counts['taken']} SlotTaken, {counts['error']} other errors, {seconds:.3f}s wall"
    )
    errors = [o[1] for o in outcomes if o[0] == "error"]
    assert errors == []
    return counts


def submit(start):
    def action(i):
        consult, created = booking.submit_request(
            visitor(i), submission_key=uuid.uuid4(), start=start
        )
        assert created
        return consult.pk

    return action


def test_twelve_visitors_one_time_one_winner():
    start = at(3)
    outcomes, seconds = race(12, submit(start))
    counts = tally("same time, 12 threads", outcomes, seconds)
    assert (counts["won"], counts["taken"]) == (1, 11)
    (winner,) = [value for kind, value in outcomes if kind == "won"]
    held = ConsultRequest.objects.get()
    assert (held.pk, held.starts_at, held.status) == (winner, start, ConsultRequest.Status.NEW)
    assert sorted(OutboundEmail.objects.values_list("kind", "consult_id")) == [
        (Kind.ACKNOWLEDGE, winner),
        (Kind.NOTIFY_THERAPIST, winner),
    ]


def test_the_database_alone_refuses_the_losers(monkeypatch):
    """Without the app's day lock, every thread sees the time free; PostgreSQL still picks one."""
    start = at(3)
    threads = 12
    everyone_checked = threading.Barrier(threads, timeout=TIMEOUT)
    real_available_slots = booking.available_slots

    def check_then_wait(**kwargs):
        found = real_available_slots(**kwargs)
        everyone_checked.wait()  # nobody inserts before everybody has seen the time open
        return found

    monkeypatch.setattr(booking, "_lock_day", lambda start, tz: None)
    monkeypatch.setattr(booking, "available_slots", check_then_wait)
    outcomes, seconds = race(threads, submit(start))
    counts = tally("same time, no app lock, 12 threads", outcomes, seconds)
    assert (counts["won"], counts["taken"]) == (1, 11)
    assert ConsultRequest.objects.get().starts_at == start
    assert OutboundEmail.objects.count() == 2


def test_racing_reschedules_for_one_free_time_move_only_one():
    requests = 4
    olds = [at(3 + i) for i in range(requests)]
    consults = []
    for i, old in enumerate(olds):
        consult, _ = booking.submit_request(visitor(i), submission_key=uuid.uuid4(), start=old)
        consults.append(consult)
    target = at(10, "14:00")

    def move(i):
        return booking.reschedule(consults[i], target).pk

    outcomes, seconds = race(requests, move)
    counts = tally(f"reschedule to one time, {requests} threads", outcomes, seconds)
    assert (counts["won"], counts["taken"]) == (1, requests - 1)
    (winner,) = [value for kind, value in outcomes if kind == "won"]
    for consult, old in zip(consults, olds, strict=True):
        stored = ConsultRequest.objects.get(pk=consult.pk)
        assert stored.starts_at == (target if consult.pk == winner else old)
    assert ConsultRequest.objects.filter(starts_at=target).count() == 1
    assert list(
        OutboundEmail.objects.filter(kind=Kind.RESCHEDULED).values_list("consult_id", flat=True)
    ) == [winner]


def test_the_daily_cap_holds_under_concurrency():
    set_rules(max_per_day=1)
    starts = [at(3, "09:00") + timedelta(minutes=30 * i) for i in range(8)]

    def book_own_time(i):
        consult, _ = booking.submit_request(
            visitor(i), submission_key=uuid.uuid4(), start=starts[i]
        )
        return consult.pk

    outcomes, seconds = race(len(starts), book_own_time)
    counts = tally("max 1 a day, 8 threads, 8 different times", outcomes, seconds)
    assert (counts["won"], counts["taken"]) == (1, 7)
    assert ConsultRequest.objects.count() == 1
    assert OutboundEmail.objects.count() == 2


def test_a_form_sent_twice_at_once_is_one_request_and_no_error(monkeypatch):
    """A double click: both posts pass the "already stored?" check before either commits."""
    start = at(3)
    key = uuid.uuid4()
    copies = 2
    both_past_the_check = threading.Barrier(copies, timeout=TIMEOUT)
    real_lookup = booking._stored_submission
    looked = threading.local()

    def wait_then_look(submission_key):
        # Both wait here before their first look, so both find nothing stored yet.
        if not getattr(looked, "once", False):
            looked.once = True
            both_past_the_check.wait()
        return real_lookup(submission_key)

    monkeypatch.setattr(booking, "_stored_submission", wait_then_look)

    def send(i):
        consult, _ = booking.submit_request(visitor(0), submission_key=key, start=start)
        return consult.pk

    outcomes, seconds = race(copies, send)
    counts = tally("same form twice at once", outcomes, seconds)
    assert ConsultRequest.objects.count() == 1
    assert OutboundEmail.objects.count() == 2
    assert counts["won"] == copies  # both visitors' pages show the stored request


CHILD = r"""
import json, os, sys, time, uuid
from datetime import datetime

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")
from django.conf import settings

settings.DATABASES["default"]["NAME"] = sys.argv[1]
import django

django.setup()
from django.db import connection
from consults import booking

connection.ensure_connection()
print("ready", flush=True)
sys.stdin.readline()
try:
    consult, _ = booking.submit_request(
        {"name": "P", "email": f"p.{uuid.uuid4().hex}@example.org", "contact_method": "email"},
        submission_key=uuid.uuid4(),
        start=datetime.fromisoformat(sys.argv[2]),
    )
    print(json.dumps(["won", consult.pk, time.time()]), flush=True)
except booking.SlotTaken:
    print(json.dumps(["taken", None, time.time()]), flush=True)
except Exception as error:
    print(json.dumps(["error", repr(error), time.time()]), flush=True)
"""


def test_separate_processes_one_time_one_winner():
    """As with several app processes: each is its own Python with its own connection."""
    start = at(3)
    processes = 6
    children = [
        subprocess.Popen(
            [sys.executable, "-c", CHILD, connection.settings_dict["NAME"], start.isoformat()],
            cwd=REPO,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(processes)
    ]
    try:
        for child in children:
            assert child.stdout.readline().strip() == "ready"
        started = time.time()
        for child in children:
            child.stdin.write("go\n")
            child.stdin.flush()
        answers = [
            json.loads(child.communicate(timeout=TIMEOUT)[0].splitlines()[-1]) for child in children
        ]
        # Until the last process had its answer (not counting interpreter shutdown).
        seconds = max(finished for _, _, finished in answers) - started
        outcomes = [(kind, value) for kind, value, _ in answers]
    finally:
        for child in children:
            if child.poll() is None:
                child.kill()
    counts = tally(f"same time, {processes} processes", outcomes, seconds)
    assert (counts["won"], counts["taken"]) == (1, processes - 1)
    assert ConsultRequest.objects.get().starts_at == start
    assert OutboundEmail.objects.count() == 2


def test_one_address_racing_from_eight_tabs_holds_one_request():
    """Eight tabs, one address, eight different times, sent at once: one request holds a
    time; the other seven get the same page and one email each saying it stands."""
    starts = [at(3 + i) for i in range(8)]

    def send(i):
        consult, created = booking.submit_request(
            {
                **visitor(0),
                "email": "Same.Person@example.org" if i % 2 else "same.person@example.org",
            },
            submission_key=uuid.uuid4(),
            start=starts[i],
        )
        return consult.pk, created

    outcomes, seconds = race(len(starts), send)
    counts = tally("one address, 8 tabs, 8 times", outcomes, seconds)
    assert counts["won"] == 8
    assert ConsultRequest.objects.count() == 1
    assert len({value[0] for _, value in outcomes}) == 1
    assert sum(1 for _, value in outcomes if value[1]) == 1
    assert OutboundEmail.objects.filter(kind=Kind.EARLIER_REQUEST).count() == 7
    assert OutboundEmail.objects.filter(kind=Kind.ACKNOWLEDGE).count() == 1
    # ... and no more than the day's few reach that address, however many tabs.
    sent = OutboundEmail.objects.filter(to__iexact="same.person@example.org")
    assert sent.exclude(status=OutboundEmail.Status.CANCELLED).count() == 5
