"""The outbox: email written to the database with its cause, delivered by the worker.

`enqueue` stores an email in the caller's transaction, so it exists exactly when the
request, confirmation or cancellation that caused it does. `deliver_due` (run by the
`deliver_email` command) sends due emails one at a time:

1. claim: in one short transaction, mark the oldest due email "sending" until a
   deadline (CLAIM_FOR), so no other worker takes it meanwhile;
2. talk to the mail server, holding no lock: cancelling a queued email never waits;
3. mark it sent, or schedule the next try with growing backoff.

Delivery is at least once. A worker that dies between the mail server's 250 and step 3
leaves the email "sending"; once the deadline passes another worker sends it again,
with the same Message-ID, so mail apps show one message. An email is retried until
GIVE_UP_AFTER has passed since it first fell due, and given up at once when the server
refuses the recipient or the message for good (a 5xx reply).

Logs name emails by id and kind only, and a stored error never holds the address:
addresses, subjects and bodies are client details and stay in the database.
"""

import contextlib
import logging
import random
import smtplib
from datetime import timedelta
from email.mime.text import MIMEText
from urllib.parse import urlsplit

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection, make_msgid
from django.db import transaction
from django.utils import timezone

from .locks import advisory_lock
from .models import ConsultRequest, OutboundEmail

logger = logging.getLogger(__name__)

FIRST_RETRY = timedelta(seconds=30)
LONGEST_RETRY = timedelta(hours=1)
GIVE_UP_AFTER = timedelta(days=3)
ERROR_LENGTH = 300


def claim_for():
    """How long a claimed email is left to its worker: longer than any SMTP conversation
    (each step is bounded by EMAIL_TIMEOUT), short enough that a dead worker's email goes
    out again soon."""
    return timedelta(seconds=settings.EMAIL_TIMEOUT * 6)


def enqueue(
    *,
    kind,
    to,
    subject,
    body_text,
    body_html="",
    consult=None,
    ics="",
    ics_method="",
    send_after=None,
    consult_starts_at=None,
    daily_limit=None,
    limited_kinds=(),
):
    """Store one email for the worker to send (after `send_after`, default now).

    With daily_limit, an address that got that many emails of limited_kinds in the last
    24 hours gets no more: the email is stored as cancelled, saying why, and not sent.
    """
    now = timezone.now()
    status, note = OutboundEmail.Status.QUEUED, ""
    if daily_limit is not None and _over_daily_limit(to, daily_limit, limited_kinds, now):
        status = OutboundEmail.Status.CANCELLED
        note = f"Not sent: this address already had {daily_limit} emails from the site today."
    return OutboundEmail.objects.create(
        status=status,
        last_error=note,
        kind=kind,
        to=to,
        subject=subject,
        body_text=body_text,
        body_html=body_html,
        consult=consult,
        ics=ics,
        ics_method=ics_method.upper(),
        created_at=now,
        due_at=send_after or now,
        send_after=send_after or now,
        consult_starts_at=consult_starts_at,
        message_id=make_msgid(domain=urlsplit(settings.SITE_URL).hostname or "localhost"),
    )


def _over_daily_limit(to, limit, kinds, now):
    # Counted under a lock on the address, so simultaneous requests cannot each slip under.
    advisory_lock(f"outbox:{to.lower()}")
    sent = (
        OutboundEmail.objects.filter(
            to__iexact=to, kind__in=list(kinds), created_at__gt=now - timedelta(days=1)
        )
        .exclude(status=OutboundEmail.Status.CANCELLED)
        .count()
    )
    return sent >= limit


def cancel_queued(consult, kinds):
    """Cancel the emails of these kinds still waiting for this consult; returns how many.

    One being sent right now is left to finish (it may already be with the mail server).
    """
    return OutboundEmail.objects.filter(
        consult=consult, kind__in=list(kinds), status=OutboundEmail.Status.QUEUED
    ).update(status=OutboundEmail.Status.CANCELLED)


def retry_delay(attempts):
    """How long to wait after the given number of failed attempts: 30s, 1m, 2m … 1h."""
    delay = min(FIRST_RETRY * 2 ** max(attempts - 1, 0), LONGEST_RETRY)
    # A little jitter so that emails which failed together do not all retry together.
    return delay * random.uniform(1.0, 1.1)  # noqa: S311 - spacing, not security


def build_message(email, connection=None):
    """The message as it goes on the wire, with the stored Message-ID."""
    message = EmailMultiAlternatives(
        subject=email.subject,
        body=email.body_text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[email.to],
        headers={"Message-ID": email.message_id},
        connection=connection,
    )
    if email.body_html:
        message.attach_alternative(email.body_html, "text/html")
    if email.ics:
        invite = MIMEText(email.ics, "calendar", "utf-8")
        invite.set_param("method", email.ics_method or "PUBLISH")
        invite.add_header("Content-Disposition", "attachment", filename="invitation.ics")
        message.attach(invite)
    return message


def _is_stale_reminder(email):
    """A reminder for a consult that is gone, no longer confirmed, or has moved."""
    if email.kind != OutboundEmail.Kind.REMINDER:
        return False
    consult = email.consult
    return (
        consult is None
        or consult.status != ConsultRequest.Status.CONFIRMED
        or consult.starts_at != email.consult_starts_at
    )


def _is_permanent(exc):
    """A 5xx refusal of the recipient or the message: trying again cannot help."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return all(code >= 500 for code, _ in exc.recipients.values())
    return isinstance(exc, smtplib.SMTPDataError) and exc.smtp_code >= 500


def _short_error(email, exc):
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = sorted({code for code, _ in exc.recipients.values()})
        text = f"The mail server refused the address (code {', '.join(map(str, codes))})."
    else:
        text = f"{type(exc).__name__}: {exc}"
    # A server's words may quote the address: the stored error never does.
    return text.replace(email.to, "(the recipient)")[:ERROR_LENGTH]


def _record_failure(email, exc, now):
    email.last_error = _short_error(email, exc)
    permanent = _is_permanent(exc)
    if permanent or now - email.due_at >= GIVE_UP_AFTER:
        email.status = OutboundEmail.Status.FAILED
        logger.error(
            "email %s (%s) gave up after attempt %s: %s%s",
            email.pk,
            email.kind,
            email.attempts,
            type(exc).__name__,
            " (refused for good)" if permanent else "",
        )
    else:
        email.status = OutboundEmail.Status.QUEUED
        email.send_after = now + retry_delay(email.attempts)
        logger.warning(
            "email %s (%s) attempt %s failed: %s; will retry",
            email.pk,
            email.kind,
            email.attempts,
            type(exc).__name__,
        )
    _save_outcome(email, ["last_error", "status", "send_after"])


def _save_outcome(email, fields):
    """Record how sending went. An email erased while it was with the mail server (the
    visitor deleted their request meanwhile) stays erased: nothing is written back."""
    values = {field: getattr(email, field) for field in fields}
    if not OutboundEmail.objects.filter(pk=email.pk).update(**values):
        logger.info("email %s (%s) was erased while being sent", email.pk, email.kind)


def _close_quietly(connection):
    # A server that misbehaves on QUIT must not undo the record of what was sent.
    with contextlib.suppress(Exception):
        connection.close()


def _claim(now):
    """Take the oldest due email for this worker, in one short transaction (None if none
    is due). A stale reminder is cancelled instead, and returned as handled."""
    with transaction.atomic():
        email = (
            OutboundEmail.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("consult")
            .filter(status__in=OutboundEmail.DUE, send_after__lte=now)
            .order_by("send_after", "pk")
            .first()
        )
        if email is None:
            return None
        if _is_stale_reminder(email):
            email.status = OutboundEmail.Status.CANCELLED
            email.save(update_fields=["status"])
            logger.info("email %s (%s) cancelled: consult changed", email.pk, email.kind)
            return email
        email.status = OutboundEmail.Status.SENDING
        email.attempts += 1
        email.send_after = now + claim_for()
        email.save(update_fields=["status", "attempts", "send_after"])
    return email


def _deliver_one(now, connection):
    """Send the oldest due email, if any. Returns the email, or None when none is due."""
    email = _claim(now)
    if email is None or email.status != OutboundEmail.Status.SENDING:
        return email
    try:
        if build_message(email, connection).send() != 1:
            raise RuntimeError("the mail backend reported nothing sent")
    except Exception as exc:
        # Any failure of the mail server or the network: keep the email for later (or
        # give up), and start the next email on a fresh connection.
        _close_quietly(connection)
        _record_failure(email, exc, now)
        return email
    email.status = OutboundEmail.Status.SENT
    email.sent_at = timezone.now()
    _save_outcome(email, ["status", "sent_at"])
    logger.info("email %s (%s) sent on attempt %s", email.pk, email.kind, email.attempts)
    return email


def retry(queryset, now=None):
    """Give these failed or waiting emails a full new series of tries, starting now."""
    now = now or timezone.now()
    return queryset.filter(
        status__in=[OutboundEmail.Status.FAILED, OutboundEmail.Status.QUEUED]
    ).update(status=OutboundEmail.Status.QUEUED, send_after=now, due_at=now)


def deliver_due(now=None, limit=100, should_stop=None):
    """Send due emails one by one; returns how many were picked (sent, retried or cancelled).

    `should_stop` is checked between emails so a worker asked to stop finishes the email
    it is sending and no more.
    """
    connection = get_connection()
    handled = 0
    try:
        while handled < limit and not (should_stop and should_stop()):
            if _deliver_one(now or timezone.now(), connection) is None:
                break
            handled += 1
    finally:
        _close_quietly(connection)
    return handled
