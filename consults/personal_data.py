"""Everything the site holds about a visitor's requests, as one plain structure.

The visitor downloads it from their own link (consults.views), and the therapist exports
it for an email address in the admin (consults.admin_data): the same shape both ways,
written as JSON or shown as a readable page.

What they sent is read from the model itself: every field of ConsultRequest is
included unless it is listed below as the site's own record (shown under status and
times) or as never included (the link's secret id, the form's one-time key, the
network's hash, the therapist's private notes). A field added to the form later is in
the download without anyone remembering to add it here.
"""

import json
import re

from django.db import models
from django.urls import reverse
from django.utils import timezone

from core.models import PracticeProfile

from . import slots
from .emails import THERAPIST_KINDS, visitor_zone
from .models import ConsultEvent, ConsultRequest

# The site's record of the request, shown as its status and times.
ABOUT_THE_REQUEST = (
    "status",
    "created_at",
    "status_changed_at",
    "starts_at",
    "ends_at",
    "expired_starts_at",
    "hold_expired_at",
)
# Never included: secrets that would let someone else act on the request (the link's id,
# the form's one-time key), the keyed hash of their network, and the therapist's own side
# (private notes, the decline message, which reaches the visitor by email anyway, and
# working values).
NOT_INCLUDED = (
    "id",
    "public_id",
    "submission_key",
    "network",
    "private_notes",
    "decline_message",
    "invitation_sequence",
    "blocked_until",
    "held_since",
    "moves",
)
# Who did what, in words that read the same to the visitor and to the therapist.
WHO = {
    ConsultEvent.By.VISITOR: "the visitor",
    ConsultEvent.By.THERAPIST: "the therapist",
    ConsultEvent.By.SITE: "the website",
}


def moment(dt, own_tz, practice_tz):
    """A moment in the visitor's zone and the practice's (ISO 8601), and in words."""
    if dt is None:
        return None
    return {
        "in_your_zone": dt.astimezone(own_tz).isoformat(),
        "in_practice_zone": dt.astimezone(practice_tz).isoformat(),
        "text": slots.describe(dt, own_tz, practice_tz),
    }


def _value(consult, field, own_tz, practice_tz):
    value = getattr(consult, field.attname)
    if isinstance(field, models.DateTimeField):
        return moment(value, own_tz, practice_tz)
    if field.choices and value not in (None, ""):
        return str(dict(field.flatchoices).get(value, value))
    if value is None or isinstance(value, bool | int | str):
        return value
    return str(value)


def _fields(consult, names, own_tz, practice_tz):
    return {
        field.name: {
            "label": str(field.verbose_name),
            "value": _value(consult, field, own_tz, practice_tz),
        }
        for field in names
    }


def sent_fields():
    """The fields of ConsultRequest that hold what the visitor sent (see the module's note)."""
    skip = {*ABOUT_THE_REQUEST, *NOT_INCLUDED}
    return [field for field in ConsultRequest._meta.concrete_fields if field.name not in skip]


LINK_LEFT_OUT = "(the private link to your request, left out of this copy)"


def _without_links(text):
    """The text with its private links to the request left out: a copy may be passed on,
    and the link would let whoever has it change or delete the request."""
    manage = re.escape(reverse("consults:manage", args=["-"]).removesuffix("-/"))
    return re.sub(rf"\S*{manage}[^\s\"'<>]+", LINK_LEFT_OUT, text)


def email_data(email, own_tz, practice_tz):
    return {
        "subject": email.subject,
        "what": email.get_kind_display().removesuffix(" (to visitor)"),
        "written": moment(email.created_at, own_tz, practice_tz),
        "sent": moment(email.sent_at, own_tz, practice_tz),
        "status": email.get_status_display(),
        # Retention clears the text of old emails: the record that one was sent stays.
        "text": _without_links(email.body_text) or None,
    }


def request_data(consult, practice_tz):
    """One request: what the visitor sent, its status and times, its timeline (without
    the therapist's private notes) and the emails sent to the visitor. (The therapist's
    notifications carry nothing the visitor typed, only times and an admin link.)"""
    own_tz = visitor_zone(consult, practice_tz)
    about = [ConsultRequest._meta.get_field(name) for name in ABOUT_THE_REQUEST]
    events = consult.events.exclude(kind=ConsultEvent.Kind.NOTE)
    visitor_emails = consult.emails.exclude(kind__in=THERAPIST_KINDS).order_by("created_at", "pk")
    return {
        "what_you_sent": _fields(consult, sent_fields(), own_tz, practice_tz),
        "status_and_times": _fields(consult, about, own_tz, practice_tz),
        "times_offered": [
            moment(offer.starts_at, own_tz, practice_tz) for offer in consult.offers.all()
        ],
        "timeline": [
            {
                "when": moment(event.at, own_tz, practice_tz),
                "what": event.get_kind_display(),
                "by": WHO[event.by],
                "time_before": moment(event.old_starts_at, own_tz, practice_tz),
                "time_after": moment(event.new_starts_at, own_tz, practice_tz),
                "detail": event.detail,
            }
            for event in events
        ],
        "emails_sent_to_you": [email_data(e, own_tz, practice_tz) for e in visitor_emails],
    }


def export(consults, *, other_emails=(), now=None):
    """Everything held about these requests (and any emails to the same person that no
    longer belong to a request), as a structure ready for JSON or a template."""
    profile = PracticeProfile.load()
    tz = profile.tz
    return {
        "about": (
            f"Everything the website of {profile.practice_name} holds about your free-consult "
            "request: what you sent, its status and times, what happened to it, and the "
            "emails sent to you. Times are given in your time zone and the practice's."
        ),
        "exported_at": (now or timezone.now()).astimezone(tz).isoformat(),
        "requests": [request_data(consult, tz) for consult in consults],
        "other_emails_sent_to_you": [email_data(email, tz, tz) for email in other_emails],
    }


def as_json(data):
    return json.dumps(data, indent=2, ensure_ascii=False)
