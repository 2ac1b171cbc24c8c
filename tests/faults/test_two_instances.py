"""Two app instances on one database: the guarantees hold across them, not just in one process.

Two gunicorn processes (the Procfile's web line, each with its workers, on different
ports) serve the pytest test database. Many visitors press "book" for the same time at
once, spread over both: exactly one gets it, every other one gets the form back with
"That time was just taken". And the per-address rate limit counts across both: the
6th request in the window is refused with 429 whichever instance serves it.
"""

import threading
from datetime import time as wall_time

import pytest
from django.core.cache import caches

from consults import booking
from consults.models import BookingRules, ConsultRequest, OutboundEmail, WeeklyHours
from core.models import PracticeProfile
from tests.concurrently import run_at_once

from .procs import Browser, production_env

TAKEN = "That time was just taken, please pick another."
VISITORS = 16
TIMEOUT = 60


@pytest.fixture
def open_hours(test_database_url):
    """Open times, committed so the two instances see them."""
    WeeklyHours.objects.bulk_create(
        WeeklyHours(weekday=day, start=wall_time(9), end=wall_time(12)) for day in range(7)
    )
    BookingRules.load()
    PracticeProfile.load()
    return test_database_url


def two_instances(procs, url, **env):
    return [procs.start_web(production_env(url, **env)) for _ in range(2)]


def test_no_double_booking_across_two_instances(procs, open_hours, capsys):
    webs = two_instances(procs, open_hours, CONSULT_RATE_LIMIT="off")
    assert webs[0].port != webs[1].port
    slot = booking.available_slots()[0].key

    browsers = [Browser(webs[i % 2].base_url) for i in range(VISITORS)]
    for browser in browsers:
        assert browser.open_form().status == 200
        assert slot in browser.open_slots
    barrier = threading.Barrier(VISITORS, timeout=TIMEOUT)
    outcomes = [None] * VISITORS

    def book(i):
        try:
            barrier.wait()
            response = browsers[i].submit(
                slot=slot, name=f"Racer {i}", email=f"racer{i}@example.org", timeout=TIMEOUT
            )
            outcomes[i] = (response.status, response.text)
        except Exception as error:
            outcomes[i] = ("error", repr(error))

    seconds = run_at_once(VISITORS, book, TIMEOUT)

    won = [i for i, (status, _) in enumerate(outcomes) if status == 302]
    taken = [i for i, (status, body) in enumerate(outcomes) if status == 200 and TAKEN in body]
    by_instance = {
        port: sum(1 for i in won if webs[i % 2].port == port) for port in (w.port for w in webs)
    }
    with capsys.disabled():
        print(
            f"\n[two-instances] {VISITORS} visitors, same time, over 2 gunicorn instances "
            f"(ports {webs[0].port}, {webs[1].port}): {len(won)} booked, {len(taken)} told "
            f"'just taken', {VISITORS - len(won) - len(taken)} other, {seconds:.2f}s wall; "
            f"winner served by port {[p for p, n in by_instance.items() if n]}"
        )
    others = [(i, outcomes[i][0], outcomes[i][1][:300]) for i in range(VISITORS)]
    others = [o for o in others if o[0] not in won and o[0] not in taken]
    assert others == []
    assert len(won) == 1
    assert len(taken) == VISITORS - 1
    for i in taken:  # the form comes back with the visitor's answers kept
        assert f'value="Racer {i}"' in outcomes[i][1]

    holding = ConsultRequest.objects.filter(starts_at__isnull=False)
    assert holding.count() == 1
    winner = holding.get()
    assert winner.name == f"Racer {won[0]}"
    assert winner.starts_at.strftime("%Y-%m-%dT%H:%MZ") == slot
    assert ConsultRequest.objects.count() == 1, "a losing visitor left a request behind"
    assert sorted(OutboundEmail.objects.values_list("kind", flat=True)) == [
        "acknowledge",
        "notify_therapist",
    ]


def test_rate_limit_counts_across_two_instances(procs, open_hours, settings, capsys):
    assert hasattr(settings, "CONSULT_RATE_LIMIT"), "the per-address rate limit is missing"
    caches["ratelimit"].clear()
    webs = two_instances(procs, open_hours, CONSULT_RATE_LIMIT="5/600")
    statuses = []
    for n in range(8):
        browser = Browser(webs[n % 2].base_url)  # alternate instances
        assert browser.open_form().status == 200
        response = browser.submit(name=f"Limited {n}", email=f"limited{n}@example.org")
        statuses.append((webs[n % 2].port, response.status))
        if response.status == 429:
            assert response.header("Retry-After")
            assert int(response.header("Retry-After")) > 0
            assert "Traceback" not in response.text
    with capsys.disabled():
        print(
            f"\n[two-instances] one address, 8 bookings alternating instances: "
            f"{[status for _, status in statuses]}"
        )
    assert [status for _, status in statuses] == [302] * 5 + [429] * 3
    # The 6th, 7th and 8th were refused by both instances, not only the one that counted most.
    assert {port for port, status in statuses if status == 429} == {w.port for w in webs}
    assert ConsultRequest.objects.count() == 5
