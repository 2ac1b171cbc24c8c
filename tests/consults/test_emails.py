"""What each consult email says, to whom, with which calendar attachment, and what it never says."""

import re
import zoneinfo
from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone
from icalendar import Calendar

from consults import emails, tokens
from consults.models import BookingRules, ConsultOffer, ConsultRequest, OutboundEmail
from consults.outbox import build_message
from core.models import PracticeProfile
from tests.consults.builders import TYPED, in_days, make_consult, set_rules

pytestmark = pytest.mark.django_db

Kind = OutboundEmail.Kind
Status = ConsultRequest.Status
CRISIS = "not monitored around the clock"
NY = zoneinfo.ZoneInfo("America/New_York")


def queued(kind, consult=None):
    rows = OutboundEmail.objects.filter(kind=kind, status=OutboundEmail.Status.QUEUED)
    if consult is not None:
        rows = rows.filter(consult=consult)
    return list(rows.order_by("pk"))


def only(kind, consult=None):
    rows = queued(kind, consult)
    assert len(rows) == 1, f"expected one queued {kind}, found {len(rows)}"
    return rows[0]


def everything_in(email):
    """Every byte of the email as it goes out, and each part decoded."""
    message = build_message(email).message()
    parts = [
        part.get_payload(decode=True).decode() for part in message.walk() if not part.is_multipart()
    ]
    return "\n".join([message.as_bytes().decode(errors="replace"), *parts])


def assert_nothing_typed(email):
    text = everything_in(email).lower()
    for value in TYPED.values():
        assert value.lower() not in text, f"{value!r} leaked into the {email.kind} email"


def assert_visitor_email(email, consult):
    assert email.to == consult.email
    assert email.subject.endswith(f"– {PracticeProfile.load().practice_name}")
    for value in TYPED.values():
        assert value.lower() not in email.subject.lower()
    assert CRISIS in email.body_text and "988" in email.body_text
    assert CRISIS in email.body_html and "tel:988" in email.body_html
    for body in (email.body_text, email.body_html):
        token = re.search(r"/consult/manage/([^/\s\"]+)/", body).group(1)
        assert tokens.consult_for_token(token) == consult
    # The visitor's own words are never echoed: the form cannot be used to mail others text.
    assert TYPED["name"] not in email.body_text
    assert TYPED["message"] not in email.body_text


def calendar_of(email):
    calendar = Calendar.from_ical(email.ics)
    event = calendar.walk("VEVENT")[0]
    return calendar, event


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        (
            datetime(2026, 3, 3, 15, 0, tzinfo=UTC),
            "Tuesday 3 March 2026, 10:00 AM (America/New_York)",
        ),
        # After the change to daylight saving time on 8 March, the offset is -4.
        (
            datetime(2026, 3, 10, 14, 0, tzinfo=UTC),
            "Tuesday 10 March 2026, 10:00 AM (America/New_York)",
        ),
        (
            datetime(2026, 7, 1, 16, 30, tzinfo=UTC),
            "Wednesday 1 July 2026, 12:30 PM (America/New_York)",
        ),
        (
            datetime(2026, 7, 2, 4, 5, tzinfo=UTC),
            "Thursday 2 July 2026, 12:05 AM (America/New_York)",
        ),
    ],
)
def test_format_when_names_the_zone(moment, expected):
    assert emails.format_when(moment, NY) == expected
    assert emails.format_when(moment, "America/New_York") == expected


def test_format_when_of_nothing_is_empty():
    assert emails.format_when(None, NY) == ""


def test_request_received_notifies_therapist_with_nothing_typed():
    consult = make_consult(starts_at=in_days(4))
    emails.queue_request_received(consult)

    notice = only(Kind.NOTIFY_THERAPIST)
    assert notice.to == "therapist@example.test"
    assert notice.subject == "New free-consult request"
    assert (
        f"http://testserver/admin/consults/consultrequest/{consult.pk}/change/" in notice.body_text
    )
    assert emails.format_when(consult.starts_at, NY) in notice.body_text
    assert emails.format_when(consult.created_at, NY) in notice.body_text
    assert notice.ics == ""
    assert_nothing_typed(notice)


def test_the_reply_time_is_the_therapists_own_words(client):
    rules = BookingRules.load()
    rules.reply_time = "by the end of the next weekday"
    rules.save()
    emails.queue_request_received(make_consult(starts_at=in_days(4)))
    ack = only(Kind.ACKNOWLEDGE)
    assert "I will reply by the end of the next weekday." in ack.body_text
    assert "I will reply by the end of the next weekday." in ack.body_html


def test_request_received_acknowledges_a_held_time():
    consult = make_consult(starts_at=in_days(4))
    emails.queue_request_received(consult)

    ack = only(Kind.ACKNOWLEDGE)
    assert_visitor_email(ack, consult)
    assert emails.visitor_when(consult.starts_at, consult, NY) in ack.body_text
    assert "New York time" in ack.body_text  # the zone in words, not "America/New_York"
    assert "Your time is held until I confirm it" in ack.body_text
    assert "within about two working days" in ack.body_text
    assert "by text message at the number you gave" in ack.body_text
    assert ack.ics == ""
    assert queued(Kind.REMINDER) == []


def test_request_without_a_time_says_what_happens_next():
    consult = make_consult(contact_method=ConsultRequest.ContactMethod.EMAIL)
    emails.queue_request_received(consult)

    ack = only(Kind.ACKNOWLEDGE)
    assert_visitor_email(ack, consult)
    assert "You did not pick a time" in ack.body_text
    assert "by email" in ack.body_text
    assert "none picked" in only(Kind.NOTIFY_THERAPIST).body_text


@pytest.mark.parametrize(
    ("method", "phrase"),
    [
        (ConsultRequest.ContactMethod.PHONE, "I'll contact you by phone at the number you gave"),
        (
            ConsultRequest.ContactMethod.TEXT,
            "I'll contact you by text message at the number you gave",
        ),
        (ConsultRequest.ContactMethod.EMAIL, "I'll contact you by email, at this address"),
    ],
)
def test_acknowledgment_repeats_the_contact_method(method, phrase):
    emails.queue_request_received(make_consult(contact_method=method))
    assert phrase in only(Kind.ACKNOWLEDGE).body_text


def test_request_confirmed_at_once_carries_the_invitation_and_a_reminder():
    set_rules(requires_confirmation=False)
    consult = make_consult(starts_at=in_days(4), status=Status.CONFIRMED)
    emails.queue_request_received(consult)

    ack = only(Kind.ACKNOWLEDGE)
    assert_visitor_email(ack, consult)
    assert ack.subject.startswith("Your free consult is confirmed")
    assert "held until I confirm" not in ack.body_text
    calendar, event = calendar_of(ack)
    assert str(calendar["method"]) == "REQUEST" == ack.ics_method
    assert event.decoded("dtstart") == consult.starts_at
    assert only(Kind.REMINDER).send_after == consult.starts_at - timedelta(hours=24)
    assert_nothing_typed(only(Kind.NOTIFY_THERAPIST))


def test_confirmed_sends_the_invitation_and_schedules_the_reminder():
    consult = make_consult(starts_at=in_days(5), status=Status.CONFIRMED)
    emails.queue_confirmed(consult)

    email = only(Kind.CONFIRMED)
    assert_visitor_email(email, consult)
    assert email.subject.startswith("Your free consult is confirmed – ")
    assert BookingRules.load().call_details in email.body_text
    assert emails.visitor_when(consult.starts_at, consult, NY) in email.body_text
    calendar, event = calendar_of(email)
    assert str(calendar["method"]) == "REQUEST"
    assert event.decoded("dtstart") == consult.starts_at
    assert event.decoded("dtend") == consult.ends_at
    assert str(event["organizer"]) == "mailto:practice@example.test"

    reminder = only(Kind.REMINDER)
    assert_visitor_email(reminder, consult)
    assert reminder.send_after == consult.starts_at - timedelta(hours=24)
    assert reminder.consult_starts_at == consult.starts_at


def test_no_reminder_when_the_consult_is_less_than_a_day_away():
    consult = make_consult(starts_at=timezone.now() + timedelta(hours=20), status=Status.CONFIRMED)
    emails.queue_confirmed(consult)
    assert queued(Kind.REMINDER) == []


def test_scheduling_again_replaces_the_waiting_reminder():
    consult = make_consult(starts_at=in_days(5), status=Status.CONFIRMED)
    first = emails.schedule_reminder(consult)
    second = emails.schedule_reminder(consult)
    first.refresh_from_db()
    assert first.status == OutboundEmail.Status.CANCELLED
    assert queued(Kind.REMINDER) == [second]


@pytest.mark.parametrize("cancel_invitation", [True, False])
def test_declined_sends_the_message_and_withdraws_the_invitation(cancel_invitation):
    consult = make_consult(starts_at=in_days(5), status=Status.CONFIRMED)
    emails.schedule_reminder(consult)
    consult.status = Status.DECLINED
    consult.save()
    emails.queue_declined(
        consult, "I am not able to help.\nWarm wishes.", cancel_invitation=cancel_invitation
    )

    email = only(Kind.DECLINED)
    assert_visitor_email(email, consult)
    assert email.subject.startswith("About your free-consult request – ")
    assert "I am not able to help.\nWarm wishes." in email.body_text
    assert "I am not able to help.<br>Warm wishes." in email.body_html
    if cancel_invitation:
        calendar, event = calendar_of(email)
        assert str(calendar["method"]) == "CANCEL"
        assert str(event["status"]) == "CANCELLED"
    else:
        assert email.ics == ""
    assert queued(Kind.REMINDER) == []


def test_cancelled_by_the_visitor_tells_both_and_cancels_the_reminder():
    consult = make_consult(starts_at=in_days(5), status=Status.CONFIRMED)
    emails.schedule_reminder(consult)
    consult.status = Status.CANCELLED
    consult.save()
    emails.queue_cancelled(consult, cancel_invitation=True, by_visitor=True)

    email = only(Kind.CANCELLED)
    assert_visitor_email(email, consult)
    assert "As you asked" in email.body_text
    assert str(calendar_of(email)[0]["method"]) == "CANCEL"
    notice = only(Kind.CHANGE_NOTICE)
    assert notice.to == "therapist@example.test"
    assert notice.subject == "A free-consult request was changed"
    assert "cancelled" in notice.body_text
    assert_nothing_typed(notice)
    assert queued(Kind.REMINDER) == []


def test_cancelled_by_the_therapist_does_not_notify_the_therapist():
    consult = make_consult(starts_at=in_days(5), status=Status.CANCELLED)
    emails.queue_cancelled(consult, cancel_invitation=False, by_visitor=False)
    email = only(Kind.CANCELLED)
    assert_visitor_email(email, consult)
    assert email.ics == ""
    assert queued(Kind.CHANGE_NOTICE) == []


def test_rescheduled_confirmed_moves_the_invitation_and_the_reminder():
    old = in_days(5)
    consult = make_consult(starts_at=old, status=Status.CONFIRMED)
    emails.queue_confirmed(consult)
    old_reminder = only(Kind.REMINDER)
    new = in_days(6, hour=17)
    consult.starts_at, consult.ends_at = new, new + timedelta(minutes=20)
    consult.blocked_until = consult.ends_at + timedelta(minutes=10)
    consult.invitation_sequence = 1
    consult.save()

    emails.queue_rescheduled(consult, old_starts_at=old)

    email = only(Kind.RESCHEDULED)
    assert_visitor_email(email, consult)
    assert emails.visitor_when(new, consult, NY) in email.body_text
    assert emails.visitor_when(old, consult, NY) in email.body_text
    calendar, event = calendar_of(email)
    assert str(calendar["method"]) == "REQUEST"
    assert event.decoded("dtstart") == new
    assert event["sequence"] == 1
    notice = only(Kind.CHANGE_NOTICE)
    assert emails.format_when(new, NY) in notice.body_text
    assert_nothing_typed(notice)
    old_reminder.refresh_from_db()
    assert old_reminder.status == OutboundEmail.Status.CANCELLED
    assert only(Kind.REMINDER).send_after == new - timedelta(hours=24)


def test_rescheduled_back_to_waiting_takes_the_old_time_out_of_their_calendar():
    consult = make_consult(starts_at=in_days(5), status=Status.CONFIRMED)
    emails.queue_confirmed(consult)
    old = consult.starts_at
    consult.status = Status.NEW
    consult.starts_at, consult.ends_at = in_days(6), in_days(6) + timedelta(minutes=20)
    consult.blocked_until = consult.ends_at + timedelta(minutes=10)
    consult.save()

    emails.queue_rescheduled(consult, old_starts_at=old)

    email = only(Kind.RESCHEDULED)
    assert "held until I confirm it" in email.body_text
    assert str(calendar_of(email)[0]["method"]) == "CANCEL"
    assert queued(Kind.REMINDER) == []


def test_rescheduled_never_confirmed_sends_no_calendar():
    consult = make_consult(starts_at=in_days(6))
    emails.queue_rescheduled(consult, old_starts_at=in_days(5))
    assert only(Kind.RESCHEDULED).ics == ""


def test_visitor_subjects_never_carry_what_they_typed():
    consult = make_consult(starts_at=in_days(5), status=Status.CONFIRMED)
    emails.queue_request_received(consult)
    emails.queue_confirmed(consult)
    emails.queue_rescheduled(consult, old_starts_at=in_days(4))
    emails.queue_declined(consult, "No.", cancel_invitation=True)
    emails.queue_cancelled(consult, cancel_invitation=True, by_visitor=True)
    offers = [ConsultOffer(starts_at=in_days(day), ends_at=in_days(day)) for day in (6, 7)]
    emails.queue_offer(consult, offers, "A note")
    emails.queue_offer_picked(consult)
    emails.queue_cancelled_by_therapist(consult, "Sorry.", cancel_invitation=True)
    emails.queue_earlier_request(consult, asked_for=in_days(6), visitor_zone="Europe/London")
    consult.expired_starts_at = consult.starts_at
    emails.queue_hold_expired(consult)
    emails.queue_withdrawn()
    subjects = " ".join(OutboundEmail.objects.values_list("subject", flat=True)).lower()
    # Every kind about a consult (the password reset link is the admin's own, a calendar
    # notice is about the therapist's calendar).
    kinds = set(Kind) - {Kind.PASSWORD_RESET, Kind.CALENDAR_NOTICE}
    assert set(OutboundEmail.objects.values_list("kind", flat=True)) == kinds
    for value in TYPED.values():
        assert value.lower() not in subjects
    for email in OutboundEmail.objects.filter(to="therapist@example.test"):
        assert_nothing_typed(email)
