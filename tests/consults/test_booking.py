"""Booking against the database: holding a time, the refusals, and every later change.

What a visitor or the therapist would notice: which times are offered afterwards, the
status a request ends up in, which emails wait in the outbox, and that a refused
change leaves everything as it was. Times are picked a few days ahead, on the
practice's wall clock, inside weekly hours open every day from 09:00 to 17:00.
"""

import uuid
from datetime import UTC, datetime, time, timedelta

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone
from psycopg import errors as pg_errors

from consults import booking, emails, slots
from consults.booking import BookingError, SlotTaken
from consults.models import BookingRules, ConsultRequest, OutboundEmail, TimeOff, WeeklyHours
from core.models import PracticeProfile

from .builders import set_rules

pytestmark = pytest.mark.django_db

Status = ConsultRequest.Status
Kind = OutboundEmail.Kind

# available_slots reads: booking rules, practice profile, weekly hours, time off, holds.
AVAILABLE_SLOTS_QUERIES = 6  # with the busy periods of the therapist's calendars


@pytest.fixture(autouse=True)
def open_every_day():
    WeeklyHours.objects.bulk_create(
        WeeklyHours(weekday=day, start=time(9), end=time(17)) for day in range(7)
    )


def at(days, hh_mm="10:00"):
    """The UTC instant of a wall time in the practice zone, `days` local days from today."""
    tz = PracticeProfile.load().tz
    day = timezone.localdate(timezone=tz) + timedelta(days=days)
    return datetime.combine(day, time.fromisoformat(hh_mm), tzinfo=tz).astimezone(UTC)


def visitor(**overrides):
    return {
        "name": "Robin Example",
        "email": "robin@example.org",
        "phone": "",
        "contact_method": "email",
        "availability": "weekday mornings",
        "message": "",
        **overrides,
    }


def book(start=None, key=None):
    """A new request from a new address (one address holds one open request)."""
    consult, created = booking.submit_request(
        visitor(email=f"robin.{uuid.uuid4().hex[:8]}@example.org"),
        submission_key=key or uuid.uuid4(),
        start=start,
    )
    assert created
    return consult


def stored_hold(start, status=Status.NEW, minutes=20, buffer=10):
    """A request written straight to the table (no emails), as admin or a migration might."""
    now = timezone.now()
    return ConsultRequest.objects.create(
        name="Stored",
        email="stored@example.org",
        contact_method="email",
        consented_at=now,
        status=status,
        starts_at=start,
        ends_at=start + timedelta(minutes=minutes),
        blocked_until=start + timedelta(minutes=minutes + buffer),
    )


def offered(**kwargs):
    return {slot.start for slot in booking.available_slots(**kwargs)}


def kinds(consult=None):
    emails_ = OutboundEmail.objects.all()
    if consult is not None:
        emails_ = emails_.filter(consult=consult)
    return sorted(emails_.values_list("kind", flat=True))


def fresh(consult):
    return ConsultRequest.objects.get(pk=consult.pk)


# --- available_slots ---------------------------------------------------------------


def fill(holds, time_off):
    """`holds` stored holds on the half-hour grid from tomorrow, and `time_off` days off."""
    tz = PracticeProfile.load().tz
    first = at(1, "09:00")
    starts = []
    for i in range(holds):
        day, slot = divmod(i, 16)  # 16 half-hours from 09:00 to 17:00
        local = first.astimezone(tz) + timedelta(days=day)
        starts.append((local.replace(hour=9) + timedelta(minutes=30 * slot)).astimezone(UTC))
    for start in starts:
        stored_hold(start)
    today = timezone.localdate(timezone=tz)
    TimeOff.objects.bulk_create(
        TimeOff(start_date=today + timedelta(days=30 + i), end_date=today + timedelta(days=30 + i))
        for i in range(time_off)
    )
    return starts


@pytest.mark.parametrize("horizon", [7, 60], ids=["horizon-7-days", "horizon-60-days"])
@pytest.mark.parametrize(
    ("holds", "days_off"), [(1, 1), (50, 20)], ids=["1-hold-1-day-off", "50-holds-20-days-off"]
)
def test_available_slots_takes_the_same_few_queries_however_much_there_is(
    django_assert_num_queries, horizon, holds, days_off
):
    set_rules(horizon_days=horizon)
    PracticeProfile.load()
    held = fill(holds, days_off)
    with django_assert_num_queries(AVAILABLE_SLOTS_QUERIES):
        starts = offered()
    assert starts
    assert not starts & set(held)
    assert max(starts) > at(horizon - 1)


def test_a_new_practice_offers_times_from_tomorrow_plus_notice():
    starts = offered()
    assert min(starts) >= timezone.now() + timedelta(hours=24)
    assert max(starts) <= timezone.now() + timedelta(days=21)
    assert at(3) in starts


# --- submit_request ----------------------------------------------------------------


def test_a_picked_time_is_held_and_waits_for_confirmation():
    start = at(3)
    consult, created = booking.submit_request(visitor(), submission_key=uuid.uuid4(), start=start)
    assert created
    stored = fresh(consult)
    assert stored.status == Status.NEW
    assert stored.starts_at == start
    assert stored.ends_at == start + timedelta(minutes=20)
    assert stored.blocked_until == start + timedelta(minutes=30)
    assert start not in offered()
    assert kinds(consult) == [Kind.ACKNOWLEDGE, Kind.NOTIFY_THERAPIST]


def test_without_confirmation_the_time_is_confirmed_at_once():
    set_rules(requires_confirmation=False)
    start = at(3)
    consult = book(start)
    assert fresh(consult).status == Status.CONFIRMED
    assert start not in offered()
    assert {Kind.ACKNOWLEDGE, Kind.NOTIFY_THERAPIST} <= set(kinds(consult))


def test_a_request_without_a_time_holds_nothing():
    before = offered()
    consult = book(None)
    stored = fresh(consult)
    assert stored.status == Status.NEW
    assert (stored.starts_at, stored.ends_at, stored.blocked_until) == (None, None, None)
    assert offered() == before
    assert kinds(consult) == [Kind.ACKNOWLEDGE, Kind.NOTIFY_THERAPIST]


@pytest.mark.parametrize("start", [None, "a time"], ids=["no-time", "with-time"])
def test_the_same_form_sent_twice_is_one_request(start):
    start = at(3) if start else None
    key = uuid.uuid4()
    first, created_first = booking.submit_request(visitor(), submission_key=key, start=start)
    again, created_again = booking.submit_request(
        visitor(name="Someone Else"), submission_key=key, start=start
    )
    assert (created_first, created_again) == (True, False)
    assert again.pk == first.pk
    assert ConsultRequest.objects.get().name == "Robin Example"
    assert kinds() == [Kind.ACKNOWLEDGE, Kind.NOTIFY_THERAPIST]


def test_a_taken_time_is_refused_and_nothing_is_stored():
    start = at(3)
    other = stored_hold(start)
    with pytest.raises(SlotTaken, match="taken"):
        booking.submit_request(visitor(), submission_key=uuid.uuid4(), start=start)
    assert list(ConsultRequest.objects.all()) == [other]
    assert OutboundEmail.objects.count() == 0


@pytest.mark.parametrize(
    "pick",
    [
        pytest.param(lambda: at(3, "10:10"), id="off-the-half-hour"),
        pytest.param(lambda: at(3, "17:00"), id="after-closing"),
        pytest.param(lambda: at(-1), id="in-the-past"),
        pytest.param(lambda: at(30), id="beyond-the-horizon"),
        pytest.param(lambda: at(5), id="on-a-day-off"),
        pytest.param(lambda: at(3, "10:30"), id="inside-another-consults-buffer"),
    ],
)
def test_a_time_that_is_not_offered_is_refused_and_nothing_is_stored(pick):
    tz = PracticeProfile.load().tz
    day_off = at(5).astimezone(tz).date()
    TimeOff.objects.create(start_date=day_off, end_date=day_off)
    stored_hold(at(3, "10:05"))  # holds until 10:35
    start = pick()
    assert start not in offered()
    with pytest.raises(SlotTaken):
        booking.submit_request(visitor(), submission_key=uuid.uuid4(), start=start)
    assert ConsultRequest.objects.count() == 1
    assert OutboundEmail.objects.count() == 0


def local_day(moment):
    return moment.astimezone(PracticeProfile.load().tz).date()


def test_minimum_notice_is_counted_from_the_moment_of_booking():
    start = at(3)
    with pytest.raises(SlotTaken):
        booking.submit_request(
            visitor(), submission_key=uuid.uuid4(), start=start, now=start - timedelta(hours=23)
        )
    assert ConsultRequest.objects.count() == 0
    consult, created = booking.submit_request(
        visitor(), submission_key=uuid.uuid4(), start=start, now=start - timedelta(hours=24)
    )
    assert created
    assert fresh(consult).starts_at == start


def test_the_daily_cap_refuses_one_more_on_a_full_day():
    set_rules(max_per_day=2)
    book(at(3, "09:00"))
    book(at(3, "11:00"))
    with pytest.raises(SlotTaken):
        book(at(3, "14:00"))
    assert local_day(at(3)) not in {local_day(start) for start in offered()}
    book(at(4, "14:00"))  # the next day is not affected
    assert ConsultRequest.objects.count() == 3


def test_an_error_after_saving_leaves_no_request_and_no_email(monkeypatch):
    real = emails.queue_request_received

    def queue_then_fail(consult):
        real(consult)  # both emails are written ...
        assert OutboundEmail.objects.filter(consult=consult).count() == 2
        raise RuntimeError("template broke")  # ... then something fails

    monkeypatch.setattr(emails, "queue_request_received", queue_then_fail)
    start = at(3)
    with pytest.raises(RuntimeError, match="template broke"):
        booking.submit_request(visitor(), submission_key=uuid.uuid4(), start=start)
    assert ConsultRequest.objects.count() == 0
    assert OutboundEmail.objects.count() == 0
    assert start in offered()


# --- The exclusion constraint itself -----------------------------------------------


def assert_refused_by_the_database(start, **fields):
    with pytest.raises(IntegrityError) as refused, transaction.atomic():
        stored_hold(start, **fields)
    assert isinstance(refused.value.__cause__, pg_errors.ExclusionViolation)
    assert "consult_holds_never_overlap" in str(refused.value)


@pytest.mark.parametrize(
    "offset",
    [
        pytest.param(0, id="same-start"),
        pytest.param(10, id="inside-the-consult"),
        pytest.param(25, id="inside-the-buffer-only"),
        pytest.param(-25, id="own-buffer-runs-into-it"),
        pytest.param(-15, id="ends-inside-it"),
    ],
)
def test_the_database_refuses_an_overlapping_hold(offset):
    start = at(3)
    stored_hold(start)
    assert_refused_by_the_database(start + timedelta(minutes=offset))
    assert ConsultRequest.objects.count() == 1


@pytest.mark.parametrize(
    "offset", [30, -30], ids=["right-after-the-buffer", "buffer-ends-as-it-starts"]
)
def test_the_database_accepts_a_hold_that_only_touches(offset):
    start = at(3)
    stored_hold(start)
    stored_hold(start + timedelta(minutes=offset))
    assert ConsultRequest.objects.count() == 2


@pytest.mark.parametrize("status", ConsultRequest.HOLDING)
def test_every_holding_status_blocks_the_time(status):
    stored_hold(at(3), status=status)
    assert_refused_by_the_database(at(3))


@pytest.mark.parametrize("status", ConsultRequest.CLOSED)
def test_closed_requests_do_not_block_the_time(status):
    stored_hold(at(3), status=status)
    stored_hold(at(3))
    assert ConsultRequest.objects.count() == 2
    assert at(3) not in offered()  # held by the open one only


def test_a_closed_request_cannot_be_reopened_onto_a_held_time():
    cancelled = stored_hold(at(3), status=Status.CANCELLED)
    stored_hold(at(3))
    cancelled.status = Status.NEW
    with pytest.raises(IntegrityError), transaction.atomic():
        cancelled.save()
    assert fresh(cancelled).status == Status.CANCELLED


# --- confirm, decline, cancel ------------------------------------------------------


@pytest.mark.parametrize("status", [Status.NEW, Status.CONTACTED])
def test_confirm_confirms_and_sends_the_invitation(status):
    consult = book(at(3))
    ConsultRequest.objects.filter(pk=consult.pk).update(status=status)
    before = kinds(consult)
    booking.confirm(consult)
    assert fresh(consult).status == Status.CONFIRMED
    assert at(3) not in offered()
    new = set(kinds(consult)) - set(before)
    assert Kind.CONFIRMED in new


def test_confirm_refuses_a_request_without_a_time():
    consult = book(None)
    with pytest.raises(BookingError, match="no time"):
        booking.confirm(consult)
    assert fresh(consult).status == Status.NEW
    assert Kind.CONFIRMED not in kinds()


def test_confirm_refuses_a_time_already_past():
    consult = stored_hold(at(-1))
    with pytest.raises(BookingError, match="passed"):
        booking.confirm(consult)
    assert fresh(consult).status == Status.NEW
    assert kinds() == []


def test_confirm_refuses_at_the_very_start():
    consult = stored_hold(at(3))
    with pytest.raises(BookingError):
        booking.confirm(consult, now=consult.starts_at)
    assert fresh(consult).status == Status.NEW


@pytest.mark.parametrize(
    "status", [Status.CONFIRMED, Status.DECLINED, Status.CANCELLED, Status.SPAM]
)
def test_confirm_refuses_a_request_that_is_not_waiting(status):
    consult = stored_hold(at(3), status=status)
    with pytest.raises(BookingError):
        booking.confirm(consult)
    assert fresh(consult).status == status
    assert kinds() == []


@pytest.mark.parametrize("status", [Status.NEW, Status.CONFIRMED])
def test_decline_frees_the_time_and_sends_the_message(status):
    consult = book(at(3))
    if status == Status.CONFIRMED:
        booking.confirm(consult)
    booking.decline(consult, "I am not able to help, sorry.")
    stored = fresh(consult)
    assert stored.status == Status.DECLINED
    assert stored.decline_message == "I am not able to help, sorry."
    assert at(3) in offered()
    declined = OutboundEmail.objects.get(consult=consult, kind=Kind.DECLINED)
    assert "I am not able to help, sorry." in declined.body_text
    book(at(3))  # someone else can now take it


@pytest.mark.parametrize("status", ConsultRequest.CLOSED)
def test_decline_refuses_a_closed_request(status):
    consult = stored_hold(at(3), status=status)
    with pytest.raises(BookingError):
        booking.decline(consult, "No")
    assert fresh(consult).status == status
    assert kinds() == []


def test_cancel_frees_the_time_and_tells_both():
    consult = book(at(3))
    before = kinds(consult)
    booking.cancel(consult)
    assert fresh(consult).status == Status.CANCELLED
    assert at(3) in offered()
    new = sorted(set(kinds(consult)) - set(before))
    assert new == [Kind.CANCELLED, Kind.CHANGE_NOTICE]


def test_cancel_is_allowed_just_outside_the_window():
    consult = book(at(3))
    booking.cancel(consult, now=consult.starts_at - timedelta(hours=13))
    assert fresh(consult).status == Status.CANCELLED


@pytest.mark.parametrize("hours_before", [11, 1], ids=["11h-before", "1h-before"])
def test_cancel_inside_the_cancellation_window_is_refused(hours_before):
    consult = book(at(3))
    emails_before = kinds()
    with pytest.raises(BookingError, match="no longer be cancelled"):
        booking.cancel(consult, now=consult.starts_at - timedelta(hours=hours_before))
    assert fresh(consult).status == Status.NEW
    assert at(3) not in offered()
    assert kinds() == emails_before


def test_cancel_refuses_an_already_cancelled_request():
    consult = book(at(3))
    booking.cancel(consult)
    emails_before = kinds()
    with pytest.raises(BookingError):
        booking.cancel(consult)
    assert kinds() == emails_before


def test_a_request_without_a_time_can_be_cancelled():
    consult = book(None)
    booking.cancel(consult)
    assert fresh(consult).status == Status.CANCELLED


# --- reschedule --------------------------------------------------------------------


def test_reschedule_moves_the_hold():
    old, new = at(3, "10:00"), at(4, "14:30")
    consult = book(old)
    before = kinds(consult)
    booking.reschedule(consult, new)
    stored = fresh(consult)
    assert stored.starts_at == new
    assert stored.ends_at == new + timedelta(minutes=20)
    assert stored.blocked_until == new + timedelta(minutes=30)
    assert stored.invitation_sequence == 1
    starts = offered()
    assert old in starts
    assert new not in starts
    added = sorted(kinds(consult))
    for kind in before:
        added.remove(kind)
    assert Kind.RESCHEDULED in added
    assert Kind.CHANGE_NOTICE in added
    book(old)  # the old time is really free


def test_a_confirmed_request_moved_waits_for_confirmation_again():
    consult = book(at(3))
    booking.confirm(consult)
    booking.reschedule(consult, at(4))
    assert fresh(consult).status == Status.NEW


def test_without_confirmation_a_moved_request_stays_confirmed():
    set_rules(requires_confirmation=False)
    consult = book(at(3))
    booking.reschedule(consult, at(4))
    assert fresh(consult).status == Status.CONFIRMED


def test_reschedule_to_a_taken_time_changes_nothing():
    mine, theirs = at(3, "10:00"), at(3, "11:00")
    consult = book(mine)
    other = book(theirs)
    emails_before = kinds()
    with pytest.raises(SlotTaken):
        booking.reschedule(consult, theirs)
    stored = fresh(consult)
    assert (stored.starts_at, stored.status, stored.invitation_sequence) == (mine, Status.NEW, 0)
    assert fresh(other).starts_at == theirs
    assert not {mine, theirs} & offered()
    assert kinds() == emails_before


def test_reschedule_within_a_full_day_is_allowed():
    set_rules(max_per_day=1)
    consult = book(at(3, "10:00"))
    booking.reschedule(consult, at(3, "15:00"))
    assert fresh(consult).starts_at == at(3, "15:00")
    other = book(at(4, "10:00"))
    with pytest.raises(SlotTaken):
        booking.reschedule(other, at(3, "09:00"))  # that day is full
    assert fresh(other).starts_at == at(4, "10:00")


def test_reschedule_to_a_time_overlapping_its_own_old_time_is_allowed():
    consult = stored_hold(at(3, "10:05"))  # set by hand, off the grid
    booking.reschedule(consult, at(3, "10:30"))  # overlaps only its own old buffer
    assert fresh(consult).starts_at == at(3, "10:30")


def test_reschedule_inside_the_window_is_refused():
    set_rules(hold_hours=24 * 7)  # so the hold has not lapsed by then
    consult = book(at(3))
    emails_before = kinds()
    with pytest.raises(BookingError, match="no longer be changed"):
        booking.reschedule(consult, at(4), now=consult.starts_at - timedelta(hours=2))
    assert fresh(consult).starts_at == at(3)
    assert kinds() == emails_before


@pytest.mark.parametrize("status", ConsultRequest.CLOSED)
def test_a_closed_request_cannot_be_rescheduled(status):
    consult = stored_hold(at(3), status=status)
    with pytest.raises(BookingError):
        booking.reschedule(consult, at(4))
    stored = fresh(consult)
    assert (stored.starts_at, stored.status) == (at(3), status)
    assert at(4) in offered()


def test_an_error_after_moving_keeps_the_old_time(monkeypatch):
    consult = book(at(3))
    emails_before = kinds()

    def fail(consult, **kwargs):
        raise RuntimeError("template broke")

    monkeypatch.setattr(emails, "queue_rescheduled", fail)
    with pytest.raises(RuntimeError):
        booking.reschedule(consult, at(4))
    stored = fresh(consult)
    assert (stored.starts_at, stored.invitation_sequence) == (at(3), 0)
    assert at(4) in offered()
    assert at(3) not in offered()
    assert kinds() == emails_before


def test_open_times_reused_within_a_minute_still_honour_the_exact_notice_and_horizon():
    # The 10:00 consult tomorrow is exactly 24 h (the notice) after 10:00:00 today, and
    # 30 seconds short of it at 10:00:30: the second call, inside the same minute and
    # so served from the per-process memo, must not offer it.
    tomorrow_ten = at(1, "10:00")
    right_on_time = tomorrow_ten - timedelta(hours=24)
    half_a_minute_late = right_on_time + timedelta(seconds=30)
    first = booking.available_slots(now=right_on_time)
    second = booking.available_slots(now=half_a_minute_late)
    assert tomorrow_ten in {slot.start for slot in first}
    assert tomorrow_ten not in {slot.start for slot in second}
    rules = booking.slot_rules(BookingRules.load())
    weekly = list(WeeklyHours.objects.values_list("weekday", "start", "end"))
    tz = PracticeProfile.load().tz
    for now, got in [(right_on_time, first), (half_a_minute_late, second)]:
        assert got == slots.open_slots(now=now, tz=tz, rules=rules, weekly_hours=weekly)
