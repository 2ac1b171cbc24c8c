"""Calendar data: the visitor's invitation (.ics) and the therapist's private feed.

Times are written in UTC. The UID is stable for a request, so a later CANCEL or a
new time replaces the same entry in the visitor's calendar.
"""

from datetime import UTC
from urllib.parse import urlsplit

from django.conf import settings
from django.utils import timezone
from icalendar import Calendar, Event, vCalAddress, vText

PRODID = "-//Practice website//Free consults//EN"


def consult_uid(consult):
    host = urlsplit(settings.SITE_URL).hostname or "localhost"
    return f"consult-{consult.public_id}@{host}"


def _calendar(method=None):
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    if method:
        cal.add("method", method)
    return cal


def _event(consult, summary, description, *, status="CONFIRMED"):
    event = Event()
    event.add("uid", consult_uid(consult))
    event.add("dtstamp", timezone.now().astimezone(UTC))
    event.add("dtstart", consult.starts_at.astimezone(UTC))
    event.add("dtend", consult.ends_at.astimezone(UTC))
    event.add("sequence", consult.invitation_sequence)
    event.add("summary", summary)
    event.add("description", description)
    event.add("status", status)
    event.add("transp", "OPAQUE")
    return event


def invitation_ics(consult, method, *, practice_name, organizer_email, call_details):
    """An invitation for the visitor: METHOD:REQUEST to add or move, METHOD:CANCEL to remove."""
    cal = _calendar(method)
    event = _event(
        consult,
        f"Free consult call with {practice_name}",
        call_details,
        status="CANCELLED" if method == "CANCEL" else "CONFIRMED",
    )
    organizer = vCalAddress(f"mailto:{organizer_email}")
    organizer.params["cn"] = vText(practice_name)
    event.add("organizer", organizer)
    attendee = vCalAddress(f"mailto:{consult.email}")
    attendee.params["role"] = vText("REQ-PARTICIPANT")
    attendee.params["partstat"] = vText("DECLINED" if method == "CANCEL" else "ACCEPTED")
    event.add("attendee", attendee)
    cal.add_component(event)
    return cal.to_ical().decode()


def therapist_feed_ics(consults):
    """The therapist's private feed: first name and contact method only, nothing else."""
    cal = _calendar()
    cal.add("x-wr-calname", "Free consults")
    for consult in consults:
        label = "confirmed" if consult.status == consult.Status.CONFIRMED else "waiting for you"
        summary = f"Free consult: {consult.first_name} ({consult.get_contact_method_display()})"
        event = _event(
            consult,
            summary,
            f"Status: {label}. Details are in the admin.",
            status="CONFIRMED" if consult.status == consult.Status.CONFIRMED else "TENTATIVE",
        )
        cal.add_component(event)
    return cal.to_ical().decode()
