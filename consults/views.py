"""Public consult pages: book, request received, manage my request (and see, download or
delete its information), the private calendar feed, and the consumer health data privacy
policy."""

import functools
import logging
import secrets

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.cache import cache_control, never_cache
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from core import ratelimit
from core.clientip import network_key
from core.models import PracticeProfile

from . import booking, emails, invitations, personal_data, slots, tokens
from .forms import AvailabilityForm, ConsultForm, RescheduleForm, ZoneForm, valid_zone
from .models import HOLDING, BookingRules, ConsultRequest, ErasureRecord, OutboundEmail

log = logging.getLogger(__name__)

SESSION_KEY = "consult_received"
ZONE_KEY = "consult_zone"


# What the visitor sees for each status: kinder words than the admin's.
VISITOR_STATUS = {
    ConsultRequest.Status.NEW: ("pending", "Received, waiting for confirmation"),
    ConsultRequest.Status.CONTACTED: ("pending", "Received, I have been in touch"),
    ConsultRequest.Status.CONFIRMED: ("confirmed", "Confirmed"),
    ConsultRequest.Status.COMPLETED: ("confirmed", "Completed"),
    ConsultRequest.Status.NO_SHOW: ("cancelled", "Closed"),
    ConsultRequest.Status.DECLINED: ("declined", "Declined"),
    ConsultRequest.Status.CANCELLED: ("cancelled", "Cancelled"),
    ConsultRequest.Status.SPAM: ("cancelled", "Closed"),
}


def _zone(request, form_zone, fallback):
    """The visitor's zone: just chosen on the page, else remembered for this visit, else
    `fallback`. A zone chosen on the page is remembered until the browser closes."""
    if form_zone:
        request.session[ZONE_KEY] = form_zone
        request.session.set_expiry(0)
    return valid_zone(form_zone or request.session.get(ZONE_KEY)) or fallback


def _shown_day(request, days, tz):
    """Which day's times to show: the one asked for (a day button, or the page's hidden
    `day`), else the day of the time picked, else the first open day."""
    show = request.POST.get("show", "")
    wanted = show.removeprefix("day:") if show.startswith("day:") else request.POST.get("day")
    picked = slots.parse_key(request.POST.get("slot"))
    candidates = [wanted, picked and picked.astimezone(tz).date().isoformat()]
    by_iso = {day.isoformat(): day for day in days}
    if show.startswith("page:"):
        page = slots.days_page(days, _number(show.removeprefix("page:")))
        return page[0] if page else None
    for candidate in candidates:
        if candidate in by_iso:
            return by_iso[candidate]
    return days[0] if days else None


def _number(text):
    try:
        return int(text)
    except ValueError:
        return 0


def _context(form, rules, profile, open_slots, tz, request, **extra):
    """The page's picker: a fortnight of days with open times, and one day's times."""
    groups = dict(slots.by_local_day(open_slots, tz))
    days = list(groups)
    shown = _shown_day(request, days, tz)
    page, number, count = slots.days_page_of(days, shown)
    return {
        "action": request.path,
        "form": form,
        "rules": rules,
        "tz": tz,
        "practice_tz": profile.tz,
        "zone_name": slots.zone_name(tz),
        "practice_zone_name": slots.zone_name(profile.tz),
        "days": [(day, len(groups[day])) for day in page],
        "shown_day": shown,
        "times": [
            (slot, slots.clock(slot.start.astimezone(tz)), _practice_clock(slot, tz, profile.tz))
            for slot in groups.get(shown, [])
        ],
        "zone_chosen": ZONE_KEY in request.session,
        "previous_page": number - 1 if number > 0 else None,
        "next_page": number + 1 if number + 1 < count else None,
        **extra,
    }


def _practice_clock(slot, tz, practice_tz):
    """The practice's clock for a slot, only when it differs from the visitor's."""
    own, there = slot.start.astimezone(tz), slot.start.astimezone(practice_tz)
    if own.replace(tzinfo=None) == there.replace(tzinfo=None):
        return ""
    day = f"{there:%a} " if there.date() != own.date() else ""
    return f"{day}{slots.clock(there)} {slots.zone_name(practice_tz)}"


def _browser(request):
    """The browser's CSRF secret, which a booking form is bound to (consults.forms).
    A form is shown with one (made now if need be); a post has one only if it sent the cookie."""
    if request.method != "POST":
        get_token(request)
    return request.META.get("CSRF_COOKIE", "")


def _navigating(request):
    """A day, a fortnight or a zone was picked: show the form again, check nothing."""
    return request.method == "POST" and bool(request.POST.get("show"))


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def book(request):
    rules = BookingRules.load()
    profile = PracticeProfile.load()
    open_slots = booking.available_slots(rules=rules, profile=profile)
    browser = _browser(request)
    zone_form = ZoneForm(request.POST or None)
    posted_zone = zone_form.cleaned_data["zone"] if zone_form.is_valid() else ""
    tz = _zone(request, posted_zone, profile.tz)

    def page(form):
        context = _context(form, rules, profile, open_slots, tz, request)
        return render(request, "consults/book.html", context)

    # What the profile makes the form ask: where the visitor will be, how they will pay.
    asks = {"places": profile.places, "ask_payment": profile.in_us}

    def fresh(initial):
        return ConsultForm(
            initial={**initial, "zone": tz.key},
            open_slots=open_slots,
            browser=browser,
            current_zone=tz.key,
            **asks,
        )

    if request.method != "POST":
        return page(fresh(ConsultForm.initial_values(browser)))
    if _navigating(request):
        # Whatever was typed stays in the form, unchecked until it is sent.
        return page(fresh({k: v for k, v in request.POST.items() if k != "show"}))

    form = ConsultForm(
        request.POST, open_slots=open_slots, browser=browser, current_zone=tz.key, **asks
    )
    if not form.is_valid():
        if form.expired:
            # A new key and clock, so sending again works; the answers stay.
            form.data = form.data.copy()
            form.data.update(ConsultForm.initial_values(browser))
        return page(form)
    # Counted per client address once the form is complete, so fixing a typo never uses
    # up a try; shared by every process (core.ratelimit).
    retry_after = ratelimit.client_limit(request, "consult", "CONSULT_RATE_LIMIT")
    if retry_after:
        return ratelimit.too_many_requests(request, "consults/rate_limited.html", retry_after)
    if form.is_probably_bot():
        # Looks like success to the bot; nothing is stored or sent.
        log.info("consult form: discarded a submission that looked automated")
        return redirect(RECEIVED)
    try:
        booking.submit_request(
            form.cleaned_data,
            submission_key=form.submission_uuid,
            start=form.chosen_start,
            network=network_key(request),
            visitor_zone=tz.key,
        )
    except booking.BookingError as refused:  # the time was just taken, or too many held
        open_slots = booking.available_slots(rules=rules, profile=profile)
        form = ConsultForm(
            request.POST, open_slots=open_slots, browser=browser, current_zone=tz.key, **asks
        )
        form.is_valid()
        form.add_error("slot", str(refused))
        return page(form)
    # What they asked for, not the request stored: an address that already had one open
    # gets the same page (its owner gets an email), so the page never tells.
    request.session[SESSION_KEY] = {
        "start": form.cleaned_data["slot"] if form.chosen_start else "",
        "contact": form.cleaned_data["contact_method"],
        "zone": tz.key,
    }
    request.session.set_expiry(0)  # "request received" ends with the browser
    return redirect(RECEIVED)


# The fragment stops the booking form's "#form-errors" being carried over the redirect.
RECEIVED = "/consult/received/#top"


@never_cache
@require_safe
def received(request):
    asked = request.session.get(SESSION_KEY)
    rules = BookingRules.load()
    practice_tz = PracticeProfile.load().tz
    context = {"rules": rules, "asked": None}
    if isinstance(asked, dict):
        start = slots.parse_key(asked.get("start"))
        tz = valid_zone(asked.get("zone")) or practice_tz
        context["asked"] = {
            "when": slots.describe(start, tz, practice_tz) if start else "",
            "contact": ConsultRequest.ContactMethod(asked["contact"]).label.lower(),
            "confirmed": bool(start) and not rules.requires_confirmation,
        }
    return render(request, "consults/received.html", context)


def _no_request(request, token):
    """The answer for a link that opens no request: a kind page (410) if it named one that
    has been deleted, else "not found"."""
    if tokens.names_deleted_request(token):
        return render(request, "consults/deleted.html", {"already": True}, status=410)
    raise Http404("This link is not valid, or it has expired.")


def _opened_by_link(view):
    """The view gets the request its link opens, after the token is checked; a link that
    opens none gets the kind "deleted" page or "not found" (_no_request)."""

    @functools.wraps(view)
    def with_consult(request, token):
        consult = tokens.consult_for_token(token)
        if consult is None:
            return _no_request(request, token)
        return view(request, token, consult)

    return with_consult


def _limited(request):
    """Moving and cancelling count against the same limit as booking (core.ratelimit)."""
    retry_after = ratelimit.client_limit(request, "consult-change", "CONSULT_RATE_LIMIT")
    if retry_after:
        return ratelimit.too_many_requests(request, "consults/rate_limited.html", retry_after)
    return None


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
@_opened_by_link
def manage(request, token, consult):
    rules = BookingRules.load()
    profile = PracticeProfile.load()
    changeable = booking.can_change(consult, rules)
    movable = changeable and booking.can_move(consult)
    own_zone = emails.visitor_zone(consult, profile.tz)
    zone_form = ZoneForm(request.POST or None)
    tz = _zone(request, zone_form.cleaned_data["zone"] if zone_form.is_valid() else "", own_zone)
    open_slots = booking.available_slots(rules=rules, profile=profile, ignore=consult)
    form = RescheduleForm(initial={"zone": tz.key}, current_zone=tz.key) if movable else None
    free_form = None
    if changeable and consult.starts_at is None:
        free_form = AvailabilityForm(initial={"availability": consult.availability})
    if request.method == "POST" and not _navigating(request):
        limited = _limited(request)
        if limited:
            return limited
        if "availability" in request.POST and free_form is not None:
            free_form = AvailabilityForm(request.POST)
            if free_form.is_valid():
                return _change(
                    request,
                    token,
                    booking.update_availability,
                    consult,
                    free_form.cleaned_data["availability"],
                    done="Thank you: I have your new availability.",
                )
        elif form is not None:
            form = RescheduleForm(request.POST, current_zone=tz.key)
            if form.is_valid():
                try:
                    booking.reschedule(consult, form.chosen_start, network=network_key(request))
                except (booking.SlotTaken, booking.TooManyHolds) as refused:
                    open_slots = booking.available_slots(
                        rules=rules, profile=profile, ignore=consult
                    )
                    form.add_error("slot", str(refused))
                except booking.BookingError as error:
                    messages.error(request, str(error))
                    return redirect("consults:manage", token)
                else:
                    messages.success(
                        request, "Your new time is saved. An email with the details is on its way."
                    )
                    return redirect("consults:manage", token)
    elif _navigating(request) and form is not None:
        form = RescheduleForm(
            initial={k: v for k, v in request.POST.items() if k != "show"}, current_zone=tz.key
        )
    status_class, status_label = VISITOR_STATUS[consult.status]
    if consult.status == ConsultRequest.Status.NEW and consult.starts_at is None:
        status_label = "Received"
    context = _context(
        form,
        rules,
        profile,
        open_slots,
        tz,
        request,
        consult=consult,
        token=token,
        zone_chosen=True,  # the zone they booked in, or one chosen since
        when=slots.describe(consult.starts_at, tz, profile.tz) if consult.starts_at else "",
        expired_when=(
            slots.describe(consult.expired_starts_at, tz, profile.tz)
            if consult.hold_expired_at and consult.starts_at is None
            else ""
        ),
        free_form=free_form,
        changeable=changeable,
        moved_enough=changeable and not movable,
        holding=consult.status in HOLDING,
        status_class=status_class,
        status_label=status_label,
    )
    return render(request, "consults/manage.html", context)


def _change(request, token, action, *args, done):
    """Run a visitor's change; say how it went on the manage page."""
    try:
        action(*args)
    except booking.BookingError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, done)
    return redirect("consults:manage", token)


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
@_opened_by_link
def cancel(request, token, consult):
    """Asks once more (GET), then cancels (POST) and goes back to the request's page,
    which says it is cancelled and offers to book again."""
    if request.method == "POST":
        limited = _limited(request)
        if limited:
            return limited
        return _change(
            request,
            token,
            booking.cancel,
            consult,
            done="Your request is cancelled. An email confirming it is on its way.",
        )
    profile = PracticeProfile.load()
    tz = _zone(request, "", emails.visitor_zone(consult, profile.tz))
    context = {
        "consult": consult,
        "token": token,
        "changeable": booking.can_change(consult, BookingRules.load()),
        "day": consult.starts_at.astimezone(tz) if consult.starts_at else None,
        "clock": slots.clock(consult.starts_at.astimezone(tz)) if consult.starts_at else "",
        "when": slots.describe(consult.starts_at, tz, profile.tz) if consult.starts_at else "",
    }
    return render(request, "consults/cancel.html", context)


@never_cache
@require_safe
def calendar_feed(request, token):
    rules = BookingRules.load()
    if not secrets.compare_digest(token.encode(), rules.calendar_token.encode()):
        raise Http404
    upcoming = ConsultRequest.objects.filter(
        status__in=HOLDING,
        starts_at__isnull=False,
        ends_at__gte=timezone.now(),
    ).order_by("starts_at")
    response = HttpResponse(
        invitations.therapist_feed_ics(upcoming), content_type="text/calendar; charset=utf-8"
    )
    response["Content-Disposition"] = 'inline; filename="consults.ics"'
    return response


@never_cache
@require_POST
@_opened_by_link
def pick_offered_time(request, token, consult):
    """The visitor picks one of the times the therapist offered (consults/_offered_times.html)."""
    try:
        booking.pick_offer(consult, int(request.POST.get("offer", "")))
    except ValueError:
        messages.error(request, "Please pick one of the times.")
    except booking.BookingError as error:
        messages.error(request, str(error))
    else:
        messages.success(
            request,
            "Your free consult is confirmed. An email with a calendar invitation is on its way.",
        )
    return redirect("consults:manage", token)


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
@_opened_by_link
def your_information(request, token, consult):
    """Everything the site holds about the request: a page to read (GET), and the same as
    a JSON file to keep (POST, from this page or the request's page)."""
    data = personal_data.export([consult])
    if request.method == "POST":
        response = HttpResponse(
            personal_data.as_json(data), content_type="application/json; charset=utf-8"
        )
        response["Content-Disposition"] = 'attachment; filename="my-consult-request.json"'
        return response
    context = {"data": data, "held": data["requests"][0], "token": token}
    return render(request, "consults/your_information.html", context)


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
@_opened_by_link
def delete(request, token, consult):
    """Says plainly what will go (GET), then deletes the request and everything about it
    at once (POST) and says so. A second try, or the link afterwards, gets the kind
    "already deleted" page."""
    if request.method == "POST":
        limited = _limited(request)
        if limited:
            return limited
        erased = booking.erase(
            ConsultRequest.objects.filter(pk=consult.pk), by=ErasureRecord.By.VISITOR
        )
        if erased is None:  # a second click, deleted meanwhile
            return _no_request(request, token)
        request.session.pop(SESSION_KEY, None)
        return redirect("consults:deleted")
    profile = PracticeProfile.load()
    tz = _zone(request, "", emails.visitor_zone(consult, profile.tz))
    visitor_emails = consult.emails.exclude(kind__in=emails.THERAPIST_KINDS)
    context = {
        "consult": consult,
        "token": token,
        "changeable": booking.can_change(consult, BookingRules.load()),
        "received": slots.describe(consult.created_at, tz, profile.tz),
        "when": slots.describe(consult.starts_at, tz, profile.tz) if consult.holds_time else "",
        "emails_written": visitor_emails.count(),
        "emails_waiting": visitor_emails.filter(status__in=OutboundEmail.DUE).count(),
    }
    return render(request, "consults/delete.html", context)


@never_cache
@require_safe
def deleted(request):
    """Where a visitor lands after deleting their request."""
    return render(request, "consults/deleted.html", {"already": False})


@cache_control(max_age=0)
@require_safe
def consumer_health_data(request):
    """The consumer health data privacy policy, when the profile switches it on.

    A reader page like the others: the page cache keeps it, and saving the profile or
    the booking rules (its retention period) forgets it.
    """
    profile = PracticeProfile.load()
    if not profile.consumer_health_data_page:
        raise Http404("No such page.")
    return render(
        request, "consults/health_data.html", {"practice": profile, "rules": BookingRules.load()}
    )
