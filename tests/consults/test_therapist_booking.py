"""The therapist's side of booking: give an inquiry a time, offer a few, cancel over time
off, and the timeline every change writes."""

from datetime import time

import pytest
from django.urls import reverse
from django.utils import timezone

from consults import booking
from consults.models import (
    BookingRules,
    ConsultEvent,
    ConsultOffer,
    ConsultRequest,
    OutboundEmail,
)
from tests.consults.builders import in_days, make_consult, open_every_day

pytestmark = pytest.mark.django_db

Kind = OutboundEmail.Kind
Status = ConsultRequest.Status


def emails_of(kind):
    return list(OutboundEmail.objects.filter(kind=kind))


def test_an_inquiry_given_a_time_is_held_confirmed_and_invited(client):
    open_every_day()
    consult = make_consult()  # "none of these times work"
    start = in_days(3, hour=3)  # in the night: any time is allowed

    booking.give_time(consult, start)

    consult.refresh_from_db()
    assert consult.status == Status.CONFIRMED
    assert consult.starts_at == start
    assert (
        consult.blocked_until
        == start + BookingRules.load().consult_length + BookingRules.load().buffer
    )
    confirmed = emails_of(Kind.CONFIRMED)
    assert len(confirmed) == 1 and "METHOD:REQUEST" in confirmed[0].ics
    assert emails_of(Kind.REMINDER), "a reminder is scheduled like any booking"
    # No longer open to anyone else, and on the therapist's calendar feed.
    assert start not in {slot.start for slot in booking.available_slots()}
    feed = client.get(reverse("consults:calendar_feed", args=[BookingRules.load().calendar_token]))
    assert start.strftime("%Y%m%dT%H%M%SZ") in feed.content.decode()


def test_a_time_that_overlaps_another_hold_is_refused_naming_it():
    other = make_consult(starts_at=in_days(4), name="Avery Stone", status=Status.CONFIRMED)
    consult = make_consult(name="Blake")
    with pytest.raises(booking.SlotTaken, match="Avery Stone"):
        booking.give_time(consult, other.starts_at + timezone.timedelta(minutes=10))
    consult.refresh_from_db()
    assert consult.starts_at is None and consult.status == Status.NEW
    assert not emails_of(Kind.CONFIRMED)


def test_warnings_outside_hours_and_in_time_off():
    open_every_day(start=time(9), end=time(12))
    late = booking.local_start(
        (timezone.now() + timezone.timedelta(days=3)).date(),
        time(19),
        booking.PracticeProfile.load().tz,
    )
    assert booking.time_warnings(late) == ["It is outside your weekly hours."]


def test_offered_times_the_first_picked_holds_the_others_are_released():
    open_every_day()
    consult = make_consult()
    starts = [slot.start for slot in booking.available_slots()[:3]]

    booking.offer_times(consult, starts, "Any of these?")

    offer_email = emails_of(Kind.OFFER)[0]
    assert "Any of these?" in offer_email.body_text
    assert "/consult/manage/" in offer_email.body_text
    # Kept off the booking page while the offer stands.
    assert not set(starts) & {slot.start for slot in booking.available_slots()}

    picked = ConsultOffer.objects.get(starts_at=starts[1])
    booking.pick_offer(consult, picked.pk)

    consult.refresh_from_db()
    assert consult.status == Status.CONFIRMED and consult.starts_at == starts[1]
    assert not ConsultOffer.objects.exists()
    open_now = {slot.start for slot in booking.available_slots()}
    assert starts[0] in open_now and starts[2] in open_now
    assert "METHOD:REQUEST" in emails_of(Kind.CONFIRMED)[0].ics
    assert emails_of(Kind.CHANGE_NOTICE), "the therapist hears a time was picked"


def test_an_offered_time_taken_meanwhile_is_refused_kindly():
    consult = make_consult()
    starts = [in_days(5), in_days(6)]
    booking.offer_times(consult, starts)
    # Someone else comes to hold the first time (the therapist gave it to them).
    make_consult(starts_at=starts[0], status=Status.CONFIRMED, email="x@example.net")
    with pytest.raises(booking.SlotTaken, match="pick another of the times"):
        booking.pick_offer(consult, ConsultOffer.objects.get(starts_at=starts[0]).pk)
    booking.pick_offer(consult, ConsultOffer.objects.get(starts_at=starts[1]).pk)
    consult.refresh_from_db()
    assert consult.starts_at == starts[1]


def test_offers_need_two_or_three_different_future_times():
    consult = make_consult()
    with pytest.raises(booking.BookingError, match="2 or 3"):
        booking.offer_times(consult, [in_days(2)])
    with pytest.raises(booking.BookingError, match="passed"):
        booking.offer_times(consult, [in_days(-1), in_days(2)])


def test_the_therapist_cancels_with_a_kind_message():
    consult = make_consult(starts_at=in_days(2), status=Status.CONFIRMED)
    booking.cancel_by_therapist(consult, "I am unwell that day, I am so sorry.")
    consult.refresh_from_db()
    assert consult.status == Status.CANCELLED
    email = emails_of(Kind.CANCELLED)[0]
    assert "I am unwell that day" in email.body_text
    assert "METHOD:CANCEL" in email.ics
    assert consult.events.last().by == ConsultEvent.By.THERAPIST


def test_the_timeline_keeps_every_move_and_the_first_time_asked_for():
    open_every_day()
    times = [slot.start for slot in booking.available_slots()[:3]]
    consult, _ = booking.submit_request(
        {"name": "Kim", "email": "kim@example.net", "contact_method": "email"},
        submission_key=None,
        start=times[0],
    )
    booking.reschedule(consult, times[1])
    booking.reschedule(consult, times[2])
    events = list(consult.events.values_list("kind", "old_starts_at", "new_starts_at"))
    assert events == [
        ("received", None, times[0]),
        ("moved", times[0], times[1]),
        ("moved", times[1], times[2]),
    ]


def test_the_timeline_goes_with_the_request_at_retention():
    consult = make_consult(starts_at=in_days(2))
    booking.decline(consult, "Sorry.")
    ConsultRequest.objects.filter(pk=consult.pk).update(
        status_changed_at=timezone.now() - timezone.timedelta(days=400)
    )
    booking.purge_closed(180)
    assert not ConsultEvent.objects.exists()


def test_held_consults_in_time_off_or_outside_hours_are_flagged():
    open_every_day(start=time(9), end=time(17))
    tz = booking.PracticeProfile.load().tz
    day = (timezone.now() + timezone.timedelta(days=3)).astimezone(tz).date()
    inside = make_consult(starts_at=booking.local_start(day, time(10), tz), email="a@example.net")
    evening = make_consult(starts_at=booking.local_start(day, time(20), tz), email="b@example.net")
    flagged = dict(booking.needs_a_look([inside, evening]))
    assert flagged == {evening: "is outside your weekly hours"}
