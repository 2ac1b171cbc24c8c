"""Admin-only template tags: what the therapist's home screen shows.

`practice_home` gathers what needs the therapist now, today's and this week's consults
and the set-up checklist, in a fixed number of queries.
"""

from datetime import timedelta

from django import template
from django.apps import apps
from django.urls import reverse
from django.utils import timezone

from core.admin_site import backup_codes_left
from core.models import PracticeProfile

from .. import booking, calendars
from ..admin import agenda_days
from ..models import (
    HOLDING,
    BookingRules,
    ConsultRequest,
    ErasureRecord,
    OutboundEmail,
    WeeklyHours,
)

register = template.Library()

Status = ConsultRequest.Status
Email = OutboundEmail.Status

# A time still waiting for the therapist this close to the call is flagged.
SOON = timedelta(hours=48)
# A visitor's deletion of their own request is mentioned for this long.
WITHDRAWN_FOR = timedelta(days=7)
# An email tried this many times without going out is flagged before it is given up.
STRUGGLING_AFTER = 3
PLACEHOLDER_MARKS = ("please edit", "your name", "your practice name")
# The first words of every page's starting text (blog/migrations/0002_create_pages.py).
PAGE_PLACEHOLDER = "This is placeholder text"


@register.simple_tag
def new_consult_request_count():
    return ConsultRequest.objects.filter(status=Status.NEW).count()


def _placeholder(*values):
    return any(mark in value.lower() for value in values for mark in PLACEHOLDER_MARKS)


def _checklist(user, profile, rules):
    """(done, what, where to do it), in the order a new practice would do them."""
    Page = apps.get_model("blog", "Page")  # by name: consults does not import the blog
    has_placeholder_pages = Page.objects.filter(body_text__icontains=PAGE_PLACEHOLDER).exists()
    privacy = Page.objects.filter(slug="privacy").only("pk", "body_text").first()
    last_finished = (
        OutboundEmail.objects.filter(status__in=[Email.SENT, Email.FAILED])
        .order_by("-created_at")
        .values_list("status", flat=True)
        .first()
    )
    authenticator = user.totpdevice_set.filter(confirmed=True).exists()
    codes = backup_codes_left(user)
    profile_url = reverse("admin:core_practiceprofile_changelist")
    return [
        (
            not _placeholder(profile.practice_name, profile.therapist_name, profile.credentials)
            and bool(profile.contact_email or profile.contact_phone),
            "Fill in your practice profile: your names, credentials and how people reach you",
            profile_url,
        ),
        (
            not _placeholder(profile.location, rules.call_details) and not has_placeholder_pages,
            "Replace the placeholder text (where you work, how the call happens, the About, "
            "Privacy and Accessibility pages)",
            reverse("admin:app_list", args=["blog"]),
        ),
        (
            WeeklyHours.objects.exists(),
            "Set your weekly hours, so visitors can pick a time",
            reverse("admin:consults_weeklyhours_changelist"),
        ),
        (
            last_finished == Email.SENT,
            "Email works: at least one email has gone out, and the last one did not fail",
            reverse("admin:consults_outboundemail_changelist"),
        ),
        (
            authenticator and codes >= 3,
            f"An authenticator app and backup codes in place ({codes} backup codes left)",
            reverse("admin:account"),
        ),
        (
            privacy is not None and PAGE_PLACEHOLDER not in privacy.body_text,
            "Review your privacy page: read the part the website writes from your settings, "
            "add your own words and remove the placeholder note",
            reverse("admin:blog_page_change", args=[privacy.pk]) if privacy else profile_url,
        ),
        (
            rules.retention_confirmed,
            f"Choose how long to keep closed requests (now {rules.retention_days} days), "
            "and tick “I have chosen this period”",
            reverse("admin:consults_bookingrules_changelist"),
        ),
        (
            bool(profile.web_host.strip() and profile.email_provider.strip()),
            "Name your web host and email provider, for the privacy page",
            profile_url,
        ),
        (
            profile.crisis_wording_checked,
            "Check the crisis wording for your country",
            profile_url,
        ),
        (
            bool(profile.license_type and profile.license_number and profile.places),
            "Add your license details: type, number, and where you may practice",
            profile_url,
        ),
    ]


@register.simple_tag(takes_context=True)
def practice_home(context):
    """Everything the home screen shows, as one dictionary."""
    request = context["request"]
    now = timezone.now()
    profile = PracticeProfile.load()
    rules = BookingRules.load()
    tz = profile.tz
    today = timezone.localtime(now, tz).date()
    week_end = booking.slots.day_bounds(today + timedelta(days=7), tz)[0]
    upcoming = list(
        ConsultRequest.objects.filter(
            status__in=HOLDING, ends_at__gt=now, starts_at__lt=now + timedelta(days=60)
        ).order_by("starts_at")
    )
    days = agenda_days([c for c in upcoming if c.starts_at < week_end], tz)
    new = list(ConsultRequest.objects.filter(status=Status.NEW).order_by("created_at")[:20])
    failing = OutboundEmail.objects.filter(
        status__in=[Email.FAILED, Email.QUEUED, Email.SENDING],
        attempts__gte=STRUGGLING_AFTER,
        created_at__gt=now - timedelta(days=14),
    ).count()
    checklist = _checklist(request.user, profile, rules)
    return {
        "new": new,
        "new_count": ConsultRequest.objects.filter(status=Status.NEW).count(),
        "soon": [c for c in upcoming if c.status != Status.CONFIRMED and c.starts_at < now + SOON],
        "failing_emails": failing,
        "withdrawn": list(
            ErasureRecord.objects.filter(
                by=ErasureRecord.By.VISITOR, at__gt=now - WITHDRAWN_FOR
            ).values_list("at", flat=True)
        ),
        "calendars": list(calendars.sources_needing_attention()),
        "attention": booking.needs_a_look(upcoming, rules=rules, profile=profile),
        "today": next((consults for day, consults in days if day == today), []),
        "week": [(day, consults) for day, consults in days if day != today],
        "checklist": checklist,
        "setup_done": all(done for done, _, _ in checklist),
        "time_zone": tz.key,
    }
