"""What each consult email says, composed from templates and put in the outbox.

Every function is called inside the transaction of the change it reports, so the email
exists exactly when the change does (see outbox.py). Visitor emails carry the crisis
notice and the signed manage link; the therapist's emails carry nothing the visitor
typed, only times and a link to the admin.

Templates live in templates/consults/email/<name>.txt and <name>.html.
"""

import zoneinfo
from datetime import timedelta
from email.utils import parseaddr

from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from core.models import PracticeProfile

from . import invitations, outbox, slots, tokens
from .models import BookingRules, ConsultRequest, OutboundEmail

Kind = OutboundEmail.Kind
REMINDER_BEFORE = timedelta(hours=24)

THERAPIST_NEW_SUBJECT = "New free-consult request"
THERAPIST_CHANGE_SUBJECT = "A free-consult request was changed"
THERAPIST_KINDS = {Kind.NOTIFY_THERAPIST, Kind.CHANGE_NOTICE, Kind.WITHDRAWN}


def format_when(dt, tz, *, short=False):
    """A moment as people read it, with the zone named.

    "Tuesday 3 March 2026, 10:00 AM (America/New_York)", or with short=True (for
    tables) "Tue 3 Mar 2026, 10:00 AM EST". `tz` is a ZoneInfo or a zone name;
    None gives "".
    """
    if dt is None:
        return ""
    if isinstance(tz, str):
        tz = zoneinfo.ZoneInfo(tz)
    local = timezone.localtime(dt, tz)
    hour = local.hour % 12 or 12
    half = "AM" if local.hour < 12 else "PM"
    if short:
        return f"{local:%a} {local.day} {local:%b %Y}, {hour}:{local:%M} {half} {local:%Z}"
    zone = getattr(tz, "key", None) or str(tz)
    return f"{local:%A} {local.day} {local:%B %Y}, {hour}:{local:%M} {half} ({zone})"


def visitor_zone(consult, practice_tz):
    """The zone the visitor booked in, or the practice's if unknown (or no longer valid)."""
    try:
        return zoneinfo.ZoneInfo(consult.visitor_zone) if consult.visitor_zone else practice_tz
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return practice_tz


def visitor_when(dt, consult, practice_tz):
    """A time as a visitor reads it: in their own zone, the practice's beside it."""
    if dt is None:
        return ""
    return slots.describe(dt, visitor_zone(consult, practice_tz), practice_tz)


def _organizer_email():
    return parseaddr(settings.DEFAULT_FROM_EMAIL)[1]


def _invitation(consult, method, profile, rules):
    return invitations.invitation_ics(
        consult,
        method,
        practice_name=profile.practice_name,
        organizer_email=_organizer_email(),
        call_details=rules.call_details,
    )


def _render(template, context):
    return (
        render_to_string(f"consults/email/{template}.txt", context),
        render_to_string(f"consults/email/{template}.html", context),
    )


# What the therapist sends by clicking a button: never held back by the daily limit.
BY_HAND = {Kind.CONFIRMED, Kind.DECLINED, Kind.OFFER}


def _to_visitor(consult, kind, subject, template, *, ics_method="", send_after=None, **extra):
    """Compose and queue one email to the visitor; `extra` goes to the template.

    Every email the therapist did not send by hand counts towards the address's daily
    limit (settings.CONSULT_EMAILS_PER_DAY), so nobody can use the site to flood a stranger.
    """
    profile = PracticeProfile.load()
    rules = BookingRules.load()
    context = {
        "consult": consult,
        "practice": profile,
        "rules": rules,
        "when": visitor_when(consult.starts_at, consult, profile.tz),
        "manage_url": tokens.manage_url(consult),
        "book_url": settings.SITE_URL + reverse("consults:book"),
        "invitation_withdrawn": ics_method == "CANCEL",
        **extra,
    }
    body_text, body_html = _render(template, context)
    return outbox.enqueue(
        kind=kind,
        to=consult.email,
        subject=f"{subject} – {profile.practice_name}",
        body_text=body_text,
        body_html=body_html,
        consult=consult,
        ics=_invitation(consult, ics_method, profile, rules) if ics_method else "",
        ics_method=ics_method,
        send_after=send_after,
        consult_starts_at=consult.starts_at,
        daily_limit=None if kind in BY_HAND else settings.CONSULT_EMAILS_PER_DAY,
        limited_kinds=[k for k in Kind if k not in BY_HAND and k not in THERAPIST_KINDS],
    )


def _to_therapist(consult, kind, subject, template, **extra):
    """Compose and queue one email to the therapist: times and an admin link, nothing typed."""
    tz = PracticeProfile.load().tz
    context = {
        "received": format_when(consult.created_at, tz),
        "when": format_when(consult.starts_at, tz),
        "admin_url": settings.SITE_URL + consult.get_admin_url(),
        **extra,
    }
    return _queue_to_therapist(kind, subject, template, context, consult=consult)


def _queue_to_therapist(kind, subject, template, context, consult=None):
    body_text, body_html = _render(template, context)
    return outbox.enqueue(
        kind=kind,
        to=settings.THERAPIST_EMAIL,
        subject=subject,
        body_text=body_text,
        body_html=body_html,
        consult=consult,
    )


def queue_withdrawn():
    """A visitor deleted their own request: the therapist hears that one was withdrawn,
    and nothing else (not who, not when it was for): nothing of it is kept to say."""
    return _queue_to_therapist(
        Kind.WITHDRAWN,
        "A free-consult request was withdrawn",
        "withdrawn",
        {"admin_url": settings.SITE_URL + reverse("admin:index")},
    )


def _is_confirmed(consult):
    return consult.status == ConsultRequest.Status.CONFIRMED and consult.starts_at is not None


def _invitation_was_sent(consult):
    """Whether the visitor was sent a calendar entry that may still stand."""
    return (
        consult.emails.filter(ics_method="REQUEST")
        .exclude(status=OutboundEmail.Status.CANCELLED)
        .exists()
    )


def queue_request_received(consult):
    """A new request: notify the therapist, acknowledge to the visitor."""
    _to_therapist(consult, Kind.NOTIFY_THERAPIST, THERAPIST_NEW_SUBJECT, "notify_therapist")
    confirmed = _is_confirmed(consult)
    _to_visitor(
        consult,
        Kind.ACKNOWLEDGE,
        "Your free consult is confirmed" if confirmed else "Your free-consult request arrived",
        "acknowledge",
        ics_method="REQUEST" if confirmed else "",
        confirmed=confirmed,
    )
    if confirmed:
        schedule_reminder(consult)


def queue_confirmed(consult):
    """The therapist confirmed the time: tell the visitor, with the invitation."""
    _to_visitor(
        consult, Kind.CONFIRMED, "Your free consult is confirmed", "confirmed", ics_method="REQUEST"
    )
    schedule_reminder(consult)


def _to_visitor_withdrawing(consult, kind, subject, template, *, cancel_invitation, **extra):
    """An email that ends the visitor's consult: no reminder follows it, and it withdraws
    the calendar invitation when there was one."""
    outbox.cancel_queued(consult, [Kind.REMINDER])
    return _to_visitor(
        consult,
        kind,
        subject,
        template,
        ics_method="CANCEL" if cancel_invitation and consult.starts_at else "",
        **extra,
    )


def queue_declined(consult, message, *, cancel_invitation):
    """The therapist declined: send their message (and withdraw the invitation, if any)."""
    _to_visitor_withdrawing(
        consult,
        Kind.DECLINED,
        "About your free-consult request",
        "declined",
        cancel_invitation=cancel_invitation,
        message=message,
    )


def queue_cancelled(consult, *, cancel_invitation, by_visitor):
    """The request was cancelled: confirm it to the visitor; tell the therapist if it was them."""
    _to_visitor_withdrawing(
        consult,
        Kind.CANCELLED,
        "Your free consult is cancelled",
        "cancelled",
        cancel_invitation=cancel_invitation,
        by_visitor=by_visitor,
    )
    if by_visitor:
        _to_therapist(
            consult,
            Kind.CHANGE_NOTICE,
            THERAPIST_CHANGE_SUBJECT,
            "change_notice",
            change="cancelled",
        )


def queue_rescheduled(consult, *, old_starts_at):
    """The visitor picked a new time: tell them (with the moved invitation) and the therapist."""
    tz = PracticeProfile.load().tz
    confirmed = _is_confirmed(consult)
    if confirmed:
        ics_method = "REQUEST"
    elif _invitation_was_sent(consult):
        # It waits for confirmation again: take the old time out of their calendar.
        ics_method = "CANCEL"
    else:
        ics_method = ""
    _to_visitor(
        consult,
        Kind.RESCHEDULED,
        "Your free consult has a new time",
        "rescheduled",
        ics_method=ics_method,
        confirmed=confirmed,
        old_when=visitor_when(old_starts_at, consult, tz),
    )
    _to_therapist(
        consult,
        Kind.CHANGE_NOTICE,
        THERAPIST_CHANGE_SUBJECT,
        "change_notice",
        change="rescheduled",
        old_when=format_when(old_starts_at, tz),
    )
    schedule_reminder(consult)


def schedule_reminder(consult):
    """Replace any waiting reminder: one 24 hours before a confirmed consult, if still ahead."""
    outbox.cancel_queued(consult, [Kind.REMINDER])
    if not _is_confirmed(consult):
        return None
    send_at = consult.starts_at - REMINDER_BEFORE
    if send_at <= timezone.now():
        return None
    return _to_visitor(
        consult, Kind.REMINDER, "Reminder: your free consult", "reminder", send_after=send_at
    )


# The therapist's side: a time given or moved, times offered, a cancellation.

# Sent when the therapist cancels over time off, unless they write their own.
THERAPIST_CANCEL_MESSAGE = (
    "I am very sorry: I am not able to keep our free consult at this time after all. "
    "This is about my availability, not about you."
)


def queue_given_time(consult, *, old_starts_at):
    """The therapist gave the request a time (or moved it): the visitor gets the
    confirmation with the invitation, and a reminder is scheduled."""
    if old_starts_at is None:
        return queue_confirmed(consult)
    _to_visitor(
        consult,
        Kind.RESCHEDULED,
        "Your free consult has a new time",
        "rescheduled",
        ics_method="REQUEST",
        confirmed=True,
        old_when=visitor_when(old_starts_at, consult, PracticeProfile.load().tz),
    )
    return schedule_reminder(consult)


def queue_offer(consult, offers, note):
    """Times offered by the therapist: the visitor picks one from their manage link."""
    tz = PracticeProfile.load().tz
    return _to_visitor(
        consult,
        Kind.OFFER,
        "Times for your free consult",
        "offer",
        offered=[visitor_when(offer.starts_at, consult, tz) for offer in offers],
        note=note,
    )


def queue_offer_picked(consult):
    """The visitor picked an offered time: the therapist hears it (no typed details)."""
    return _to_therapist(
        consult, Kind.CHANGE_NOTICE, "A visitor picked one of your offered times", "offer_picked"
    )


def queue_cancelled_by_therapist(consult, message, *, cancel_invitation):
    """The therapist cancelled (time off, say): the visitor gets their kind message."""
    return _to_visitor_withdrawing(
        consult,
        Kind.CANCELLED,
        "About your free consult",
        "cancelled_by_me",
        cancel_invitation=cancel_invitation,
        message=message,
    )


def queue_earlier_request(consult, *, asked_for, visitor_zone):
    """Someone sent a new request from an address with one open: it stands, unchanged."""
    tz = PracticeProfile.load().tz
    asking = ConsultRequest(visitor_zone=visitor_zone)
    _to_visitor(
        consult,
        Kind.EARLIER_REQUEST,
        "Your earlier free-consult request stands",
        "earlier_request",
        asked_when=visitor_when(asked_for, asking, tz),
    )


def queue_hold_expired(consult):
    """An unconfirmed hold lapsed: the visitor hears it kindly, with a way to pick again."""
    tz = PracticeProfile.load().tz
    _to_visitor(
        consult,
        Kind.HOLD_EXPIRED,
        "About the time you asked for",
        "hold_expired",
        expired_when=visitor_when(consult.expired_starts_at, consult, tz),
    )


def queue_availability_changed(consult):
    """A visitor without a time said when they are free now: the therapist is told."""
    _to_therapist(
        consult,
        Kind.CHANGE_NOTICE,
        THERAPIST_CHANGE_SUBJECT,
        "change_notice",
        change="availability",
    )
