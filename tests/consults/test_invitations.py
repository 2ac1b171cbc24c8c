"""Calendar invitations, parsed back with the icalendar library."""

from datetime import UTC, datetime, timedelta

import pytest
from icalendar import Calendar

from consults import invitations
from consults.models import ConsultRequest

pytestmark = pytest.mark.django_db


def consult(**fields):
    start = datetime(2026, 11, 2, 15, 0, tzinfo=UTC)
    return ConsultRequest.objects.create(
        name="Robin Ash",
        email="robin@example.com",
        contact_method="email",
        consented_at=start - timedelta(days=3),
        starts_at=start,
        ends_at=start + timedelta(minutes=20),
        blocked_until=start + timedelta(minutes=30),
        **fields,
    )


def parse(ics):
    calendar = Calendar.from_ical(ics)
    (event,) = calendar.walk("VEVENT")
    return calendar, event


def invite(c, method):
    return invitations.invitation_ics(
        c,
        method,
        practice_name="Calm Practice",
        organizer_email="hello@example.com",
        call_details="I will call you.",
    )


def test_request_and_cancel_share_a_stable_uid_and_utc_times():
    c = consult()
    request_cal, request_event = parse(invite(c, "REQUEST"))
    cancel_cal, cancel_event = parse(invite(c, "CANCEL"))
    assert str(request_cal["method"]) == "REQUEST"
    assert str(cancel_cal["method"]) == "CANCEL"
    assert request_event["uid"] == cancel_event["uid"] == f"consult-{c.public_id}@testserver"
    assert request_event.decoded("dtstart") == datetime(2026, 11, 2, 15, 0, tzinfo=UTC)
    assert request_event.decoded("dtend") == datetime(2026, 11, 2, 15, 20, tzinfo=UTC)
    assert request_event["dtstart"].to_ical() == b"20261102T150000Z"
    assert str(cancel_event["status"]) == "CANCELLED"
    assert "I will call you." in str(request_event["description"])


def test_a_moved_consult_raises_the_sequence():
    c = consult()
    _, first = parse(invite(c, "REQUEST"))
    c.invitation_sequence += 1
    _, second = parse(invite(c, "REQUEST"))
    assert second["sequence"] == first["sequence"] + 1


def test_a_cancelled_confirmed_consult_withdraws_with_a_higher_sequence(settings):
    from consults import booking
    from consults.models import OutboundEmail

    c = consult(status=ConsultRequest.Status.CONFIRMED)
    c.starts_at = c.starts_at.replace(year=2099)
    c.ends_at = c.ends_at.replace(year=2099)
    c.blocked_until = c.blocked_until.replace(year=2099)
    c.save()
    booking.decline(c, "Sorry")
    email = OutboundEmail.objects.get(consult=c, kind="declined")
    calendar, event = parse(email.ics)
    assert str(calendar["method"]) == "CANCEL"
    assert event["sequence"] == 1
