"""A consult request's life: every change of its status or time, and its end.

The visitor books, moves and cancels; the therapist confirms, declines and records
what happened (contacted, completed, no-show, spam, reopened); retention deletes it.
Views, admin actions and commands all call these functions, and nothing else changes a
request's status or time.

Each function runs in one transaction: the request, its held time and the emails it
causes are written together or not at all. Two active holds can never overlap because
PostgreSQL refuses them (the exclusion constraint on ConsultRequest, over the HOLDING
statuses); the functions here only turn that refusal into plain words.
"""

import hashlib
from datetime import timedelta

from django.db import IntegrityError, OperationalError, connection, transaction
from django.db.models import Q
from django.utils import timezone
from psycopg import errors as pg_errors

from core.models import PracticeProfile

from . import calendars, emails, outbox, slots
from .models import (
    CLOSED,
    HOLDING,
    BookingRules,
    ConsultRequest,
    OutboundEmail,
    TimeOff,
    WeeklyHours,
)

Status = ConsultRequest.Status


class BookingError(Exception):
    """A change that is not allowed now; the message is written for a person."""


class SlotTaken(BookingError):
    def __init__(self, message="That time was just taken, please pick another."):
        super().__init__(message)


def slot_rules(rules):
    return slots.Rules(
        length=rules.consult_length,
        buffer=rules.buffer,
        notice=timedelta(hours=rules.min_notice_hours),
        horizon=timedelta(days=rules.horizon_days),
        max_per_day=rules.max_per_day,
    )


def available_slots(*, now=None, rules=None, profile=None, ignore=None):
    """Open slots, read from the database in a fixed number of queries (four, given the
    rules and the profile): weekly hours, time off, held times, busy periods.

    ignore: a request whose own hold should not count (when it moves to a new time).
    """
    now = now or timezone.now()
    rules = rules or BookingRules.load()
    profile = profile or PracticeProfile.load()
    yesterday = now - timedelta(days=1)
    held = ConsultRequest.objects.filter(status__in=HOLDING, blocked_until__gt=yesterday)
    if ignore is not None:
        held = held.exclude(pk=ignore.pk)
    time_off = TimeOff.objects.filter(end_date__gte=yesterday.date())
    # The therapist's own calendars, with the buffer on both sides (one query).
    busy = calendars.busy_intervals(yesterday, now + timedelta(days=rules.horizon_days + 1), now)
    return slots.open_slots(
        now=now,
        tz=profile.tz,
        rules=slot_rules(rules),
        weekly_hours=WeeklyHours.objects.values_list("weekday", "start", "end"),
        time_off=[
            slots.time_off_interval(*row, profile.tz)
            for row in time_off.values_list("start_date", "start_time", "end_date", "end_time")
        ]
        + [(start - rules.buffer, end + rules.buffer) for start, end in busy],
        holds=held.order_by("starts_at").values_list("starts_at", "blocked_until"),
    )


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
    # Two transactions inserting overlapping holds at the same moment each wait for the
    # other's; PostgreSQL then refuses one of them as a deadlock instead.
    return isinstance(error.__cause__, pg_errors.ExclusionViolation | pg_errors.DeadlockDetected)


def _save_holding(consult, **kwargs):
    """Save; a concurrent overlapping hold (refused by PostgreSQL) becomes SlotTaken."""
    try:
        with transaction.atomic():
            consult.save(**kwargs)
    except (IntegrityError, OperationalError) as error:
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
    if consult.status not in HOLDING:
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
        if consult.status not in HOLDING:
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


# What the therapist may record by hand (nobody is emailed), and from which statuses.
RECORDABLE = {
    Status.CONTACTED: {Status.NEW},
    Status.COMPLETED: {Status.CONFIRMED},
    Status.NO_SHOW: {Status.CONFIRMED},
    Status.SPAM: set(HOLDING),
    Status.NEW: set(CLOSED),  # reopened: it holds its time again, if it still can
}


def recordable_statuses(consult):
    """The statuses the therapist may record for this request now."""
    return [status for status, sources in RECORDABLE.items() if consult.status in sources]


def record_status(consult, status, now=None):
    """The therapist records what happened. Nobody is emailed; a consult that is no
    longer confirmed gets no reminder."""
    now = now or timezone.now()
    status = Status(status)
    with transaction.atomic():
        consult = _locked(consult)
        if consult.status not in RECORDABLE.get(status, ()):
            raise BookingError(
                f"A request that is {consult.get_status_display().lower()} cannot be "
                f"marked {status.label.lower()}."
            )
        was_confirmed = consult.status == Status.CONFIRMED
        consult.status = status
        consult.status_changed_at = now
        try:
            _save_holding(consult, update_fields=["status", "status_changed_at"])
        except SlotTaken as taken:
            raise SlotTaken(
                "Another request now holds this time, so this one cannot hold it again."
            ) from taken
        if was_confirmed:
            outbox.cancel_queued(consult, [OutboundEmail.Kind.REMINDER])
    return consult


# What retention clears from an email it keeps (the record that it was sent stays).
CLEARED_EMAIL = {
    "subject": "(deleted)",
    "to": "",
    "body_text": "",
    "body_html": "",
    "ics": "",
    "last_error": "",
}
FINISHED_EMAIL = [
    OutboundEmail.Status.SENT,
    OutboundEmail.Status.CANCELLED,
    OutboundEmail.Status.FAILED,
]


def purge_closed(retention_days, now=None):
    """Retention: delete closed requests whose status changed more than `retention_days`
    ago, with their emails' text, and clear the text of any finished email that old.
    Returns (requests deleted, emails cleared)."""
    cutoff = (now or timezone.now()) - timedelta(days=retention_days)
    with transaction.atomic():
        expired = ConsultRequest.objects.filter(status__in=CLOSED, status_changed_at__lt=cutoff)
        # The emails about a deleted request go with it, whatever their age.
        cleared = (
            OutboundEmail.objects.filter(status__in=FINISHED_EMAIL)
            .filter(Q(created_at__lt=cutoff) | Q(consult__in=expired))
            .exclude(**CLEARED_EMAIL)
            .update(**CLEARED_EMAIL)
        )
        deleted = expired.delete()[1].get(ConsultRequest._meta.label, 0)
    return deleted, cleared


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
