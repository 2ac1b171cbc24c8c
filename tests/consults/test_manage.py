"""The visitor's signed link: see the request, cancel it, move it; and the therapist's feed."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone
from icalendar import Calendar

from consults import booking, slots, tokens
from consults.models import BookingRules, ConsultRequest, OutboundEmail
from core.models import PracticeProfile

from .builders import open_every_day

pytestmark = pytest.mark.django_db

VISITOR = {
    "name": "Robin Ash",
    "email": "robin@example.com",
    "phone": "555 123 4567",
    "contact_method": "text",
    "availability": "",
    "message": "a private note",
}


def book_first_open_time(**rules):
    open_every_day()
    if rules:
        BookingRules.objects.filter(pk=BookingRules.load().pk).update(**rules)
    slot = booking.available_slots()[0]
    consult, _ = booking.submit_request(VISITOR, submission_key=None, start=slot.start)
    return consult


def test_the_link_shows_status_and_time(client):
    consult = book_first_open_time()
    html = client.get(tokens.manage_path(consult)).content.decode()
    assert "Received, waiting for confirmation" in html
    assert "America/New_York" in html
    assert "Cancel my request" in html
    assert "Pick another time" in html


@pytest.mark.parametrize(
    "mangle",
    [
        lambda t: t[:-2] + ("AA" if not t.endswith("AA") else "BB"),
        lambda t: "x" + t,
        lambda t: t.split(":")[0],
        lambda t: "nonsense",
    ],
    ids=["signature-changed", "prefix", "no-signature", "made-up"],
)
def test_an_altered_or_made_up_link_shows_nothing(client, mangle):
    consult = book_first_open_time()
    response = client.get(f"/consult/manage/{mangle(tokens.make_token(consult))}/")
    assert response.status_code == 404
    assert "Robin" not in response.content.decode()


def test_the_link_stops_working_after_the_consult(client):
    consult = book_first_open_time()
    path = tokens.manage_path(consult)
    with time_machine.travel(consult.ends_at + timedelta(minutes=1)):
        assert client.get(path).status_code == 404


def test_cancel_frees_the_time_and_emails_the_visitor(client):
    consult = book_first_open_time()
    response = client.post(f"{tokens.manage_path(consult)}cancel/", follow=True)
    assert "Your request is cancelled" in response.content.decode()
    consult.refresh_from_db()
    assert consult.status == ConsultRequest.Status.CANCELLED
    assert consult.starts_at in {slot.start for slot in booking.available_slots()}
    kinds = set(OutboundEmail.objects.filter(consult=consult).values_list("kind", flat=True))
    assert {"cancelled", "change_notice"} <= kinds


def test_cancel_is_refused_inside_the_cancellation_window(client):
    consult = book_first_open_time()
    with time_machine.travel(consult.starts_at - timedelta(hours=2)):
        page = client.get(tokens.manage_path(consult)).content.decode()
        assert "too close to the call" in page
        client.post(f"{tokens.manage_path(consult)}cancel/")
    consult.refresh_from_db()
    assert consult.status == ConsultRequest.Status.NEW


def test_cancel_asks_once_more_and_only_a_post_cancels(client):
    consult = book_first_open_time()
    page = client.get(f"{tokens.manage_path(consult)}cancel/")
    assert page.status_code == 200
    local = consult.starts_at.astimezone(PracticeProfile.load().tz)
    assert f"Cancel your {slots.clock(local)} call on {local:%A}?" in page.content.decode()
    consult.refresh_from_db()
    assert consult.status == ConsultRequest.Status.NEW


def test_picking_another_time_moves_the_hold(client):
    consult = book_first_open_time()
    old_start = consult.starts_at
    new_slot = booking.available_slots()[3]
    response = client.post(tokens.manage_path(consult), {"slot": new_slot.key}, follow=True)
    assert "Your new time is saved" in response.content.decode()
    consult.refresh_from_db()
    assert consult.starts_at == new_slot.start
    open_starts = {slot.start for slot in booking.available_slots()}
    assert old_start in open_starts
    assert new_slot.start not in open_starts


def test_a_taken_new_time_changes_nothing(client):
    consult = book_first_open_time()
    other_slot = booking.available_slots()[3]
    booking.submit_request(
        {**VISITOR, "email": "other@example.com"}, submission_key=None, start=other_slot.start
    )
    old_start = consult.starts_at
    response = client.post(tokens.manage_path(consult), {"slot": other_slot.key})
    assert "That time was just taken, please pick another." in response.content.decode()
    consult.refresh_from_db()
    assert consult.starts_at == old_start


def test_private_calendar_feed_needs_the_secret_and_shows_first_name_only(client):
    consult = book_first_open_time()
    rules = BookingRules.load()
    assert client.get("/consult/calendar/wrong-token.ics").status_code == 404
    response = client.get(f"/consult/calendar/{rules.calendar_token}.ics")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    calendar = Calendar.from_ical(response.content)
    (event,) = calendar.walk("VEVENT")
    assert str(event["summary"]) == "Free consult: Robin (Text message)"
    body = response.content.decode()
    for private in ["Ash", "robin@example.com", "555 123 4567", "a private note"]:
        assert private not in body
    assert event.decoded("dtstart") == consult.starts_at


def test_unconfirmed_times_expire_once_past():
    consult = book_first_open_time()
    with time_machine.travel(timezone.now() + timedelta(days=40)):
        # Long past: the hold no longer blocks anything, and the link no longer works.
        assert tokens.consult_for_token(tokens.make_token(consult)) is None
