"""A consult request's life: every change of its status or time, and its end.

The visitor books, moves and cancels, and picks one of the times offered; the therapist
confirms, declines, gives a request a time or offers a few, cancels, and records what
happened (contacted, completed, no-show, spam, reopened); retention deletes it. Each
change writes one timeline entry (`_log`), read on the request's admin page.
Views, admin actions and commands all call these functions, and nothing else changes a
request's status or time.

Each function runs in one transaction: the request, its held time and the emails it
causes are written together or not at all. Two active holds can never overlap because
PostgreSQL refuses them (the exclusion constraint on ConsultRequest, over the HOLDING
statuses); the functions here only turn that refusal into plain words.
"""

from datetime import UTC, timedelta

from django.conf import settings
from django.db import IntegrityError, OperationalError, transaction
from django.db.models import Q
from django.utils import timezone
from psycopg import errors as pg_errors

from core.models import PracticeProfile

from . import calendars, emails, outbox, slots
from .locks import advisory_lock
from .models import (
    CLOSED,
    HOLDING,
    UNCONFIRMED,
    BookingRules,
    ConsultEvent,
    ConsultOffer,
    ConsultRequest,
    ErasureRecord,
    OutboundEmail,
    TimeOff,
    WeeklyHours,
)

Status = ConsultRequest.Status
Event = ConsultEvent.Kind
By = ConsultEvent.By


class BookingError(Exception):
    """A change that is not allowed now; the message is written for a person."""


class SlotTaken(BookingError):
    def __init__(self, message="That time was just taken, please pick another."):
        super().__init__(message)


class TooManyHolds(BookingError):
    """One network already holds as many unconfirmed times as settings allow."""

    def __init__(self):
        super().__init__(
            "Several times are already waiting for confirmation from your connection, so "
            "this one cannot be held online. Please choose “None of these times work for "
            "me” and say when you are free: I will find a time with you."
        )


class TooManyMoves(BookingError):
    def __init__(self):
        super().__init__(
            "This request has been moved a few times already, so it cannot be moved again "
            "online. Please get in touch by replying to your email, and we will find a time."
        )


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
    # A lapsed hold never blocks a time, even before expire_holds has released it.
    held = ConsultRequest.objects.filter(status__in=HOLDING, blocked_until__gt=yesterday).exclude(
        _lapsed(rules, now)
    )
    # Times offered to a visitor are kept for them until they pick (or the offer ends).
    offered = ConsultOffer.objects.filter(consult__status__in=HOLDING, blocked_until__gt=yesterday)
    if ignore is not None:
        held = held.exclude(pk=ignore.pk)
        offered = offered.exclude(consult_id=ignore.pk)
    time_off = TimeOff.objects.filter(end_date__gte=yesterday.date())
    # The therapist's own calendars, with the buffer on both sides (one query).
    busy = calendars.busy_intervals(yesterday, now + timedelta(days=rules.horizon_days + 1), now)
    return slots.open_slots(
        now=now,
        tz=profile.tz,
        rules=slot_rules(rules),
        weekly_hours=WeeklyHours.objects.in_use().values_list("weekday", "start", "end"),
        time_off=[
            slots.time_off_interval(*row, profile.tz)
            for row in time_off.values_list("start_date", "start_time", "end_date", "end_time")
        ]
        + [(start - rules.buffer, end + rules.buffer) for start, end in busy],
        holds=held.values_list("starts_at", "blocked_until")
        .union(offered.values_list("starts_at", "blocked_until"), all=True)
        .order_by("starts_at"),
    )


def _lock_day(start, tz):
    """Serialise bookings for one local day, so the daily cap holds under concurrency."""
    advisory_lock(start.astimezone(tz).date().isoformat())


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
    consult.held_since = now


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


def submit_request(data, *, submission_key, start=None, now=None, network="", visitor_zone=""):
    """Store a visitor's request and queue its two emails; returns (request, created).

    data: the form's cleaned values (name, email, phone, contact_method,
    availability, message; place and payment when the form asked). A repeated
    submission_key returns the first request.
    An address that already has an open request gets no second one: that request is
    returned (created False) and its owner is emailed that it stands, so the page a
    visitor sees never tells whether an address has asked before.
    network: a key for the visitor's network (core.clientip.network_key), which may
    hold at most settings.CONSULT_NETWORK_HOLDS unconfirmed times (TooManyHolds).
    """
    existing = _stored_submission(submission_key)
    if existing is not None:
        return existing, False
    now = now or timezone.now()
    expire_holds(now)  # so a lapsed hold the worker has not released yet cannot refuse this one
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
        place=data.get("place", ""),
        payment=data.get("payment", ""),
        network=network,
        visitor_zone=visitor_zone,
    )
    try:
        with transaction.atomic():
            advisory_lock(f"email:{consult.email.lower()}")
            # Read again under the lock: a double click's first post may have just committed.
            existing = _stored_submission(submission_key)
            if existing is not None:
                return existing, False
            earlier = open_request_for(consult.email)
            if earlier is not None:
                emails.queue_earlier_request(earlier, asked_for=start, visitor_zone=visitor_zone)
                return earlier, False
            if start is not None:
                _check_network(network, rules, now)
                _hold(consult, start, rules, profile, now)
                if not rules.requires_confirmation:
                    consult.status = Status.CONFIRMED
            _save_holding(consult)
            emails.queue_request_received(consult)
            _log(consult, Event.RECEIVED, By.VISITOR, new=consult.starts_at, now=now)
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


def open_request_for(email):
    """The request this address has open (one still holding its place), if any."""
    return (
        ConsultRequest.objects.filter(email__iexact=email, status__in=HOLDING)
        .order_by("created_at")
        .first()
    )


def _lapsed(rules, now):
    """Unconfirmed holds older than the rules allow (a hold given by hand, with no
    held_since, counts from its last status change)."""
    cutoff = now - timedelta(hours=rules.hold_hours)
    return Q(status__in=UNCONFIRMED, starts_at__isnull=False) & (
        Q(held_since__lt=cutoff) | Q(held_since__isnull=True, status_changed_at__lt=cutoff)
    )


def _check_network(network, rules, now):
    """Refuse a hold once this network holds settings.CONSULT_NETWORK_HOLDS unconfirmed times."""
    limit = settings.CONSULT_NETWORK_HOLDS
    if not network or not limit:
        return
    advisory_lock(f"network:{network}")
    held = (
        ConsultRequest.objects.filter(network=network, status__in=UNCONFIRMED)
        .exclude(starts_at=None)
        .exclude(_lapsed(rules, now))
    )
    if held.count() >= limit:
        raise TooManyHolds


def expire_holds(now=None):
    """Release every unconfirmed hold older than BookingRules.hold_hours; returns how many.

    The time opens again, the request stays open without a time (the therapist sees
    when its hold lapsed), and the visitor is told kindly. Run by the email worker on
    each round and before each booking; available_slots ignores lapsed holds meanwhile.
    """
    now = now or timezone.now()
    rules = BookingRules.load()
    released = 0
    with transaction.atomic():
        lapsed = ConsultRequest.objects.select_for_update(skip_locked=True).filter(
            _lapsed(rules, now)
        )
        for consult in lapsed:
            consult.expired_starts_at = consult.starts_at
            consult.hold_expired_at = now
            consult.starts_at = consult.ends_at = consult.blocked_until = None
            consult.held_since = None
            consult.save(
                update_fields=[
                    "expired_starts_at",
                    "hold_expired_at",
                    "starts_at",
                    "ends_at",
                    "blocked_until",
                    "held_since",
                ]
            )
            emails.queue_hold_expired(consult)
            _log(consult, Event.EXPIRED, By.SITE, old=consult.expired_starts_at, now=now)
            released += 1
    return released


def update_availability(consult, availability, now=None):
    """A visitor without a time says when they are free now; the therapist is told."""
    with transaction.atomic():
        consult = _locked(consult)
        if not can_change(consult, BookingRules.load(), now) or consult.starts_at is not None:
            raise BookingError("This request can no longer be changed online.")
        consult.availability = availability
        consult.save(update_fields=["availability"])
        emails.queue_availability_changed(consult)
    return consult


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
        _log(consult, Event.CONFIRMED, By.THERAPIST, new=consult.starts_at, now=now)
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
        _log(consult, Event.DECLINED, By.THERAPIST, old=consult.starts_at, now=now)
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
        _log(consult, Event.CANCELLED, By.VISITOR, old=consult.starts_at, now=now)
    return consult


def can_move(consult):
    """Whether the visitor may still move this request (settings.CONSULT_MAX_MOVES)."""
    return consult.moves < settings.CONSULT_MAX_MOVES


def reschedule(consult, start, now=None, network=""):
    """Move the hold to a new time: the new time is held and the old one freed, or nothing.

    A request without a time (or whose hold lapsed) picks one the same way; that counts
    against its network's holds (TooManyHolds), and each move against CONSULT_MAX_MOVES.
    """
    now = now or timezone.now()
    expire_holds(now)
    rules = BookingRules.load()
    profile = PracticeProfile.load()
    with transaction.atomic():
        consult = _locked(consult)
        if not can_change(consult, rules, now):
            raise BookingError(
                "This request can no longer be changed online. Please reply to "
                "your confirmation email instead."
            )
        if not can_move(consult):
            raise TooManyMoves
        old_start = consult.starts_at
        if old_start is None:
            _check_network(network, rules, now)
        _hold(consult, start, rules, profile, now)
        consult.moves += 1
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
                "held_since",
                "moves",
            ],
        )
        emails.queue_rescheduled(consult, old_starts_at=old_start)
        _log(consult, Event.MOVED, By.VISITOR, old=old_start, new=start, now=now)
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
        _log(consult, Event.STATUS, By.THERAPIST, detail=status.label, now=now)
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
        # One still waiting (the mail server down for weeks) is never sent: its request
        # is gone. Then it is cleared with the rest.
        OutboundEmail.objects.filter(consult__in=expired).exclude(status__in=FINISHED_EMAIL).update(
            status=OutboundEmail.Status.CANCELLED
        )
        # The emails about a deleted request go with it, whatever their age.
        cleared = (
            OutboundEmail.objects.filter(status__in=FINISHED_EMAIL)
            .filter(Q(created_at__lt=cutoff) | Q(consult__in=expired))
            .exclude(**CLEARED_EMAIL)
            .update(**CLEARED_EMAIL)
        )
        deleted = _count(expired.delete(), ConsultRequest)
    return deleted, cleared


def _count(deletion, model):
    """How many rows of `model` a queryset's delete() removed (cascades included)."""
    return deletion[1].get(model._meta.label, 0)


def erase(requests, *, by, other_emails=None, user=None, now=None):
    """Erase these requests and everything about them at once: the requests with their
    timeline and offered times, their emails (whether sent or still waiting: none is sent
    afterwards), and any `other_emails` given (to the same address, no longer tied to a
    request). Any time they held is open again for others. Returns the ErasureRecord
    kept, or None if there was nothing left to erase (already deleted).

    Retention's stricter sibling (purge_closed): retention keeps a cleared record that an
    email was sent, an erasure keeps nothing of it. `by` is ErasureRecord.By; when the
    visitor erases their own request, the therapist is told that one was withdrawn and
    deleted, and no more.
    """
    now = now or timezone.now()
    with transaction.atomic():
        ids = list(requests.select_for_update().values_list("pk", flat=True))
        theirs = Q(consult__in=ids)
        if other_emails is not None:
            theirs |= Q(pk__in=other_emails.values("pk"))
        email_count = _count(OutboundEmail.objects.filter(theirs).delete(), OutboundEmail)
        request_count = _count(ConsultRequest.objects.filter(pk__in=ids).delete(), ConsultRequest)
        if not request_count and not email_count:
            return None
        record = ErasureRecord.objects.create(
            at=now, by=by, admin_user=user, requests=request_count, emails=email_count
        )
        if by == ErasureRecord.By.VISITOR and request_count:
            emails.queue_withdrawn()
    return record


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


def _log(consult, kind, by, *, old=None, new=None, detail="", now=None):
    """One timeline entry, written in the caller's transaction."""
    ConsultEvent.objects.create(
        consult=consult,
        kind=kind,
        by=by,
        old_starts_at=old,
        new_starts_at=new,
        detail=detail,
        at=now or timezone.now(),
    )


def log_note(consult, notes, now=None):
    """The therapist changed their private notes: the timeline keeps what they wrote."""
    _log(consult, Event.NOTE, By.THERAPIST, detail=notes, now=now)


# The therapist's side: a time agreed by phone, times offered by email, time off.


def local_start(day, wall_time, tz):
    """The UTC moment a day and wall-clock time name in the practice's zone, or raise
    BookingError for an hour the clocks skip."""
    start = slots.local_datetime(day, wall_time, tz)
    if start is None:
        raise BookingError("The clocks skip that hour on that day. Please pick another time.")
    return start.astimezone(UTC)


def clashing(start, blocked_until, *, ignore=None):
    """The open request whose held time overlaps this one, buffers included, or None."""
    clash = ConsultRequest.objects.filter(
        status__in=HOLDING, starts_at__lt=blocked_until, blocked_until__gt=start
    )
    if ignore is not None:
        clash = clash.exclude(pk=ignore.pk)
    return clash.order_by("starts_at").first()


def _clash_message(start, blocked_until, ignore):
    other = clashing(start, blocked_until, ignore=ignore)
    if other is None:
        return "That time was just taken. Please pick another."
    return (
        f"That time overlaps {other.name}'s consult ({other.when_text}), "
        "with the buffer between consults. Please pick another time."
    )


def clash_error(start, *, rules=None, ignore=None):
    """Why this time cannot be held (it overlaps another request's), or "" if it can."""
    rules = rules or BookingRules.load()
    blocked_until = start + rules.consult_length + rules.buffer
    if clashing(start, blocked_until, ignore=ignore) is None:
        return ""
    return _clash_message(start, blocked_until, ignore)


def time_warnings(start, *, rules=None, profile=None):
    """Why a time the therapist picks might be a poor one, in sentences (empty if none):
    outside weekly hours, or in time off. (A clash is no warning but a refusal.)"""
    rules = rules or BookingRules.load()
    tz = (profile or PracticeProfile.load()).tz
    end = start + rules.consult_length
    warnings = []
    hours = WeeklyHours.objects.values_list("weekday", "start", "end")
    if not slots.within_hours(start, end, tz, hours):
        warnings.append("It is outside your weekly hours.")
    for entry in TimeOff.objects.filter(
        start_date__lte=end.astimezone(tz).date(), end_date__gte=start.astimezone(tz).date()
    ):
        off_start, off_end = slots.time_off_interval(
            entry.start_date, entry.start_time, entry.end_date, entry.end_time, tz
        )
        if off_start < end and start < off_end:
            warnings.append(f"It falls in your time off ({entry}).")
            break
    return warnings


def _take_time(consult, start, rules, now, *, by, kind):
    """Hold `start` for the request as a confirmed consult, whatever the weekly hours say;
    only the database's rule against overlapping holds can refuse it."""
    if consult.status not in HOLDING:
        raise BookingError(f"This request is {consult.get_status_display().lower()}.")
    if start <= now:
        raise BookingError("That time has already passed.")
    old_start = consult.starts_at
    consult.starts_at = start
    consult.ends_at = start + rules.consult_length
    consult.blocked_until = consult.ends_at + rules.buffer
    consult.status = Status.CONFIRMED
    consult.status_changed_at = now
    if old_start is not None:
        consult.invitation_sequence += 1  # the calendar entry moves: a newer version
    try:
        _save_holding(consult)
    except SlotTaken as taken:
        raise SlotTaken(_clash_message(start, consult.blocked_until, consult)) from taken
    ConsultOffer.objects.filter(consult=consult).delete()
    emails.queue_given_time(consult, old_starts_at=old_start)
    _log(consult, kind, by, old=old_start, new=start, now=now)
    return consult


def give_time(consult, start, now=None):
    """The therapist gives an open request a time (agreed by phone, say, or a move): it is
    held and confirmed at once, and the visitor is sent the confirmation and invitation."""
    now = now or timezone.now()
    rules = BookingRules.load()
    with transaction.atomic():
        return _take_time(
            _locked(consult), start, rules, now, by=By.THERAPIST, kind=Event.GIVEN_TIME
        )


OFFER_FEWEST = 2
OFFER_MOST = 3


def offer_times(consult, starts, note="", now=None):
    """The therapist offers two or three times by email; the visitor picks one from their
    manage link. Any earlier offer is replaced. The times are kept off the booking page
    until the visitor picks or the request closes."""
    now = now or timezone.now()
    rules = BookingRules.load()
    starts = sorted(set(starts))
    if not OFFER_FEWEST <= len(starts) <= OFFER_MOST:
        raise BookingError(f"Offer {OFFER_FEWEST} or {OFFER_MOST} different times.")
    if starts[0] <= now:
        raise BookingError("One of the times has already passed.")
    with transaction.atomic():
        consult = _locked(consult)
        if consult.status not in HOLDING:
            raise BookingError(f"This request is {consult.get_status_display().lower()}.")
        for start in starts:
            if error := clash_error(start, rules=rules, ignore=consult):
                raise BookingError(error)
        ConsultOffer.objects.filter(consult=consult).delete()
        offers = ConsultOffer.objects.bulk_create(
            ConsultOffer(
                consult=consult,
                starts_at=start,
                ends_at=start + rules.consult_length,
                blocked_until=start + rules.consult_length + rules.buffer,
                offered_at=now,
            )
            for start in starts
        )
        emails.queue_offer(consult, offers, note)
        _log(
            consult,
            Event.OFFERED,
            By.THERAPIST,
            detail="\n".join(
                emails.format_when(o.starts_at, PracticeProfile.load().tz) for o in offers
            ),
            now=now,
        )
    return offers


def pick_offer(consult, offer_id, now=None):
    """The visitor picks one of the offered times: it is held and confirmed, the other
    offered times are released, and the therapist is told."""
    now = now or timezone.now()
    rules = BookingRules.load()
    with transaction.atomic():
        consult = _locked(consult)
        offer = consult.offers.filter(pk=offer_id).first()
        if offer is None:
            raise BookingError("That time is no longer offered. Please reply to the email instead.")
        try:
            _take_time(consult, offer.starts_at, rules, now, by=By.VISITOR, kind=Event.PICKED)
        except SlotTaken as taken:
            raise SlotTaken(
                "Sorry, that time was just taken. Please pick another of the times offered."
            ) from taken
        emails.queue_offer_picked(consult)
    return consult


def cancel_by_therapist(consult, message, now=None):
    """The therapist cancels (time off, say): the time is freed and the visitor gets the
    kind message, with the invitation withdrawn."""
    now = now or timezone.now()
    with transaction.atomic():
        consult = _locked(consult)
        if consult.status not in HOLDING:
            raise BookingError(f"This request is {consult.get_status_display().lower()}.")
        was_confirmed = consult.status == Status.CONFIRMED
        _set_status(
            consult, Status.CANCELLED, now, extra=_withdraw_invitation(consult, was_confirmed)
        )
        ConsultOffer.objects.filter(consult=consult).delete()
        emails.queue_cancelled_by_therapist(consult, message, cancel_invitation=was_confirmed)
        _log(consult, Event.CANCELLED, By.THERAPIST, old=consult.starts_at, now=now)
    return consult


def held_between(start, end):
    """Open requests whose held time overlaps [start, end), soonest first."""
    return ConsultRequest.objects.filter(
        status__in=HOLDING, starts_at__lt=end, ends_at__gt=start
    ).order_by("starts_at")


def needs_a_look(consults, *, rules=None, profile=None):
    """(consult, reason) for each held consult that falls in time off, outside hours, or
    over a busy time in the therapist's own calendar (consults.calendars)."""
    profile = profile or PracticeProfile.load()
    tz = profile.tz
    hours = list(WeeklyHours.objects.values_list("weekday", "start", "end"))
    consults = [c for c in consults if c.starts_at is not None]
    if not consults:
        return []
    first = min(c.starts_at for c in consults).astimezone(tz).date()
    last = max(c.ends_at for c in consults).astimezone(tz).date()
    time_off = [
        (slots.time_off_interval(*row[:4], tz), row[4])
        for row in TimeOff.objects.filter(start_date__lte=last, end_date__gte=first).values_list(
            "start_date", "start_time", "end_date", "end_time", "pk"
        )
    ]
    busy = calendars.clashes(consults)
    found = []
    for consult in consults:
        if any(s < consult.ends_at and consult.starts_at < e for (s, e), _ in time_off):
            found.append((consult, "falls in your time off"))
        elif not slots.within_hours(consult.starts_at, consult.ends_at, tz, hours):
            found.append((consult, "is outside your weekly hours"))
        elif consult.pk in busy:
            found.append((consult, "overlaps a busy time in your calendar"))
    return found
