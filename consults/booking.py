"""Booking: turning a form into a stored request, and every later change to its time.

Each function runs in one transaction: the request, its held time and the emails it
causes are written together or not at all. Two active holds can never overlap
because PostgreSQL refuses them (ConsultRequest's exclusion constraint); the
functions here turn that refusal into SlotTaken for the visitor.
"""

import hashlib
import threading
from collections import OrderedDict
from dataclasses import dataclass, replace
from datetime import timedelta

from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from psycopg import errors as pg_errors

from core.cache import per_state
from core.models import PracticeProfile

from . import emails, slots
from .models import BookingRules, ConsultRequest, TimeOff, WeeklyHours

Status = ConsultRequest.Status


class BookingError(Exception):
    """A change that is not allowed now; the message is written for a person."""


class SlotTaken(BookingError):
    def __init__(self):
        super().__init__("That time was just taken, please pick another.")


def slot_rules(rules):
    return slots.Rules(
        length=rules.consult_length,
        buffer=rules.buffer,
        notice=timedelta(hours=rules.min_notice_hours),
        horizon=timedelta(days=rules.horizon_days),
        max_per_day=rules.max_per_day,
    )


@dataclass(frozen=True)
class Hours:
    """What open times are made from besides the rules and the held times, as plain rows."""

    weekly: tuple  # (weekday, start, end)
    time_off: tuple  # (start_date, start_time, end_date, end_time), not over before yesterday


def opening_hours(now=None):
    """The weekly hours and the time off still to come, read from the database."""
    yesterday = (now or timezone.now()) - timedelta(days=1)
    return Hours(
        weekly=tuple(WeeklyHours.objects.values_list("weekday", "start", "end")),
        time_off=tuple(
            TimeOff.objects.filter(end_date__gte=yesterday.date()).values_list(
                "start_date", "start_time", "end_date", "end_time"
            )
        ),
    )


@per_state
def schedule_as_shown():
    """(rules, hours) for showing open times, read again only when they change.

    The three models are watched (consults.apps), so an edit in the admin reaches every
    worker on its next request (core.cache). Booking never relies on this: it reads them
    fresh.
    """
    return BookingRules.load(), opening_hours()


def available_slots(*, now=None, rules=None, profile=None, hours=None, ignore=None):
    """Open slots from the database, in a fixed number of queries (one, given the rules,
    the profile and the hours).

    ignore: a request whose own hold should not count (when it moves to a new time).
    """
    now = now or timezone.now()
    rules = rules or BookingRules.load()
    profile = profile or PracticeProfile.load()
    hours = hours or opening_hours(now)
    return _open_slots_memo(
        now, profile.tz, slot_rules(rules), hours, held_times(now - timedelta(days=1), ignore)
    )


HELD_TIMES_SQL = """
    SELECT starts_at, blocked_until FROM consults_consultrequest
    WHERE status IN (%s, %s, %s) AND blocked_until > %s AND id IS DISTINCT FROM %s
    ORDER BY starts_at
"""


def held_times(since, ignore=None):
    """(start, blocked_until) of every request holding a time that is not over by `since`.

    The one query behind each showing of the booking page, so written out once: building
    it with the ORM took about three times as long as PostgreSQL takes to answer it.
    ignore: a request whose own hold should not count (when it moves to a new time).
    """
    with connection.cursor() as cursor:
        cursor.execute(
            HELD_TIMES_SQL,
            # Three statuses hold a time (ConsultRequest.HOLDING); IN is quicker to send
            # than an array.
            [
                *(status.value for status in ConsultRequest.HOLDING),
                since,
                getattr(ignore, "pk", None),
            ],
        )
        return tuple(cursor.fetchall())


_memo = OrderedDict()
_memo_lock = threading.Lock()
MEMO_SIZE = 16


def _open_slots_memo(now, tz, rules, hours, holds):
    """slots.open_slots, computed once a minute per process for the same inputs.

    The key is every input, so nothing can go stale: a new hold, hour or rule is a new
    key. Slots are computed from the start of the minute with a minute's extra horizon,
    then cut to the exact notice and horizon from `now`: the same list open_slots(now)
    gives.
    """
    minute = now.replace(second=0, microsecond=0)
    key = (minute, tz.key, rules, hours, holds)
    with _memo_lock:
        found = _memo.get(key)
        if found is not None:
            _memo.move_to_end(key)
    if found is None:
        wider = replace(rules, horizon=rules.horizon + timedelta(minutes=1))
        found = slots.open_slots(
            now=minute,
            tz=tz,
            rules=wider,
            weekly_hours=hours.weekly,
            time_off=[slots.time_off_interval(*row, tz) for row in hours.time_off],
            holds=holds,
        )
        with _memo_lock:
            _memo[key] = found
            while len(_memo) > MEMO_SIZE:
                _memo.popitem(last=False)
    earliest, latest = now + rules.notice, now + rules.horizon
    return [slot for slot in found if earliest <= slot.start <= latest]


def _lock_day(start, tz):
    """Serialise bookings for one local day, so the daily cap holds under concurrency."""
    day = start.astimezone(tz).date().isoformat()
    key = int.from_bytes(hashlib.blake2b(day.encode(), digest_size=8).digest(), "big", signed=True)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [key])


def _hold(consult, start, rules, profile, now):
    """Give the request this start time, if it is open now; raise SlotTaken if not."""
    _lock_day(start, profile.tz)
    open_starts = {
        slot.start
        for slot in available_slots(now=now, rules=rules, profile=profile, ignore=consult)
    }
    if start not in open_starts:
        raise SlotTaken
    consult.starts_at = start
    consult.ends_at = start + rules.consult_length
    consult.blocked_until = consult.ends_at + rules.buffer


def _is_overlap(error):
    return isinstance(error.__cause__, pg_errors.ExclusionViolation)


def _save_holding(consult, **kwargs):
    """Save; a concurrent overlapping hold (refused by PostgreSQL) becomes SlotTaken."""
    try:
        with transaction.atomic():
            consult.save(**kwargs)
    except IntegrityError as error:
        if _is_overlap(error):
            raise SlotTaken from error
        raise


def _stored_submission(submission_key):
    if submission_key is None:
        return None
    return ConsultRequest.objects.filter(submission_key=submission_key).first()


def submit_request(data, *, submission_key, start=None, now=None):
    """Store a visitor's request and queue its two emails; returns (request, created).

    data: the form's cleaned values (name, email, phone, contact_method,
    availability, message). A repeated submission_key returns the first request.
    """
    existing = _stored_submission(submission_key)
    if existing is not None:
        return existing, False
    now = now or timezone.now()
    rules = BookingRules.load()
    profile = PracticeProfile.load()
    consult = ConsultRequest(
        submission_key=submission_key,
        created_at=now,
        status_changed_at=now,
        consented_at=now,
        name=data["name"],
        email=data["email"],
        phone=data.get("phone", ""),
        contact_method=data["contact_method"],
        availability=data.get("availability", ""),
        message=data.get("message", ""),
    )
    try:
        with transaction.atomic():
            if start is not None:
                _hold(consult, start, rules, profile, now)
                if not rules.requires_confirmation:
                    consult.status = Status.CONFIRMED
            _save_holding(consult)
            emails.queue_request_received(consult)
    except SlotTaken:
        # A double click can race with itself: the time is "taken" by the first click.
        existing = _stored_submission(submission_key)
        if existing is None:
            raise
        return existing, False
    except IntegrityError:
        # The same form sent twice at once: the other one was stored first.
        existing = (
            submission_key and ConsultRequest.objects.filter(submission_key=submission_key).first()
        )
        if not existing:
            raise
        return existing, False
    return consult, True


def _locked(consult):
    return ConsultRequest.objects.select_for_update().get(pk=consult.pk)


def can_change(consult, rules, now=None):
    """Whether the visitor may still cancel or move this request themselves."""
    now = now or timezone.now()
    if consult.status not in ConsultRequest.HOLDING:
        return False
    if consult.starts_at is None:
        return True
    return consult.starts_at - timedelta(hours=rules.cancellation_window_hours) > now


def confirm(consult, now=None):
    """The therapist confirms a held time: the visitor gets the invitation."""
    now = now or timezone.now()
    with transaction.atomic():
        consult = _locked(consult)
        if consult.status not in (Status.NEW, Status.CONTACTED):
            raise BookingError(f"This request is {consult.get_status_display().lower()}.")
        if consult.starts_at is None:
            raise BookingError(
                "This request has no time to confirm. Agree a time with them, "
                "then set its status by hand."
            )
        if consult.starts_at <= now:
            raise BookingError("The time asked for has already passed.")
        _set_status(consult, Status.CONFIRMED, now)
        emails.queue_confirmed(consult)
    return consult


def decline(consult, message, now=None):
    """The therapist declines: the time is freed and the visitor gets the kind message."""
    now = now or timezone.now()
    with transaction.atomic():
        consult = _locked(consult)
        if consult.status not in ConsultRequest.HOLDING:
            raise BookingError(f"This request is {consult.get_status_display().lower()}.")
        was_confirmed = consult.status == Status.CONFIRMED
        consult.decline_message = message
        extra = ["decline_message", *_withdraw_invitation(consult, was_confirmed)]
        _set_status(consult, Status.DECLINED, now, extra=extra)
        emails.queue_declined(consult, message, cancel_invitation=was_confirmed)
    return consult


def cancel(consult, now=None):
    """The visitor cancels through their link: the time is freed at once."""
    now = now or timezone.now()
    with transaction.atomic():
        consult = _locked(consult)
        if not can_change(consult, BookingRules.load(), now):
            raise BookingError(
                "This request can no longer be cancelled online. Please reply to "
                "your confirmation email instead."
            )
        was_confirmed = consult.status == Status.CONFIRMED
        _set_status(
            consult, Status.CANCELLED, now, extra=_withdraw_invitation(consult, was_confirmed)
        )
        emails.queue_cancelled(consult, cancel_invitation=was_confirmed, by_visitor=True)
    return consult


def reschedule(consult, start, now=None):
    """Move the hold to a new time: the new time is held and the old one freed, or nothing."""
    now = now or timezone.now()
    rules = BookingRules.load()
    profile = PracticeProfile.load()
    with transaction.atomic():
        consult = _locked(consult)
        if not can_change(consult, rules, now):
            raise BookingError(
                "This request can no longer be changed online. Please reply to "
                "your confirmation email instead."
            )
        old_start = consult.starts_at
        _hold(consult, start, rules, profile, now)
        if rules.requires_confirmation and consult.status == Status.CONFIRMED:
            consult.status = Status.NEW  # a new time waits for the therapist again
            consult.status_changed_at = now
        consult.invitation_sequence += 1
        _save_holding(
            consult,
            update_fields=[
                "starts_at",
                "ends_at",
                "blocked_until",
                "status",
                "status_changed_at",
                "invitation_sequence",
            ],
        )
        emails.queue_rescheduled(consult, old_starts_at=old_start)
    return consult


def _withdraw_invitation(consult, was_confirmed):
    """A CANCEL must carry a higher SEQUENCE than the invitation it withdraws (RFC 5546)."""
    if not was_confirmed:
        return []
    consult.invitation_sequence += 1
    return ["invitation_sequence"]


def _set_status(consult, status, now, extra=()):
    consult.status = status
    consult.status_changed_at = now
    consult.save(update_fields=["status", "status_changed_at", *extra])
