"""Public consult pages: book, request received, manage my request, the private calendar feed."""

import logging
import secrets

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from core import ratelimit
from core.models import PracticeProfile

from . import booking, invitations, slots, tokens
from .forms import ConsultForm, RescheduleForm
from .models import HOLDING, BookingRules, ConsultRequest

log = logging.getLogger(__name__)

SESSION_KEY = "consult_received"


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


def _week(request, open_slots, tz):
    """Which week of open times to show: the one holding the time just picked, if any,
    else the one asked for (?week=N, or the form's hidden `week` after a POST)."""
    picked = slots.page_containing(open_slots, tz, slots.parse_key(request.POST.get("slot")))
    if picked is not None:
        return picked
    try:
        return int(request.POST.get("week") or request.GET.get("week") or 0)
    except ValueError:
        return 0


def _context(form, rules, profile, open_slots, *, week=0, **extra):
    tz = profile.tz
    page, week, weeks = slots.week_page(open_slots, tz, week)
    return {
        "form": form,
        "rules": rules,
        "tz": tz,
        "tz_label": tz.key.rsplit("/", 1)[-1].replace("_", " "),
        "groups": slots.by_local_day(page, tz),
        "slot_keys": " ".join(slot.key for slot in page),
        "week": week,
        "previous_week": week - 1 if week > 0 else None,
        "next_week": week + 1 if week + 1 < weeks else None,
        **extra,
    }


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def book(request):
    rules = BookingRules.load()
    profile = PracticeProfile.load()
    open_slots = booking.available_slots(rules=rules, profile=profile)
    week = _week(request, open_slots, profile.tz)
    if request.method != "POST":
        form = ConsultForm(initial=ConsultForm.initial_values(), open_slots=open_slots)
        return render(
            request, "consults/book.html", _context(form, rules, profile, open_slots, week=week)
        )

    form = ConsultForm(request.POST, open_slots=open_slots)
    if not form.is_valid():
        context = _context(form, rules, profile, open_slots, week=week)
        return render(request, "consults/book.html", context)
    # Counted per client address once the form is complete, so fixing a typo never uses
    # up a try; shared by every process (core.ratelimit).
    retry_after = ratelimit.client_limit(request, "consult", "CONSULT_RATE_LIMIT")
    if retry_after:
        return ratelimit.too_many_requests(request, "consults/rate_limited.html", retry_after)
    if form.is_probably_bot():
        # Looks like success to the bot; nothing is stored or sent.
        log.info("consult form: discarded a submission that looked automated")
        return redirect("consults:received")
    try:
        consult, _ = booking.submit_request(
            form.cleaned_data,
            submission_key=form.submission_uuid,
            start=form.chosen_start,
        )
    except booking.SlotTaken as taken:
        open_slots = booking.available_slots(rules=rules, profile=profile)
        form = ConsultForm(request.POST, open_slots=open_slots)
        form.is_valid()
        form.add_error("slot", str(taken))
        context = _context(form, rules, profile, open_slots, week=week)
        return render(request, "consults/book.html", context)
    request.session[SESSION_KEY] = str(consult.public_id)
    return redirect("consults:received")


@never_cache
@require_safe
def received(request):
    consult = None
    public_id = request.session.get(SESSION_KEY)
    if public_id:
        consult = ConsultRequest.objects.filter(public_id=public_id).first()
    context = {
        "consult": consult,
        "rules": BookingRules.load(),
        "tz": PracticeProfile.load().tz,
        "manage_path": tokens.manage_path(consult) if consult else None,
    }
    return render(request, "consults/received.html", context)


def _consult_or_404(token):
    consult = tokens.consult_for_token(token)
    if consult is None:
        raise Http404("This link is not valid, or it has expired.")
    return consult


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def manage(request, token):
    consult = _consult_or_404(token)
    rules = BookingRules.load()
    profile = PracticeProfile.load()
    changeable = booking.can_change(consult, rules)
    open_slots = booking.available_slots(rules=rules, profile=profile, ignore=consult)
    week = _week(request, open_slots, profile.tz)
    form = RescheduleForm() if changeable and consult.starts_at else None
    if request.method == "POST" and form is not None:
        form = RescheduleForm(request.POST)
        if form.is_valid():
            try:
                booking.reschedule(consult, form.chosen_start)
            except booking.SlotTaken as taken:
                open_slots = booking.available_slots(rules=rules, profile=profile, ignore=consult)
                form = RescheduleForm(request.POST)
                form.is_valid()
                form.add_error("slot", str(taken))
            except booking.BookingError as error:
                messages.error(request, str(error))
                return redirect("consults:manage", token)
            else:
                messages.success(
                    request, "Your new time is saved. An email with the details is on its way."
                )
                return redirect("consults:manage", token)
    status_class, status_label = VISITOR_STATUS[consult.status]
    if consult.status == ConsultRequest.Status.NEW and consult.starts_at is None:
        status_label = "Received"
    context = _context(
        form,
        rules,
        profile,
        open_slots,
        week=week,
        consult=consult,
        token=token,
        changeable=changeable,
        holding=consult.status in HOLDING,
        status_class=status_class,
        status_label=status_label,
    )
    return render(request, "consults/manage.html", context)


@never_cache
@require_POST
def cancel(request, token):
    consult = _consult_or_404(token)
    try:
        booking.cancel(consult)
    except booking.BookingError as error:
        messages.error(request, str(error))
    else:
        messages.success(
            request, "Your request is cancelled. An email confirming it is on its way."
        )
    return redirect("consults:manage", token)


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
def pick_offered_time(request, token):
    """The visitor picks one of the times the therapist offered (consults/_offered_times.html)."""
    consult = _consult_or_404(token)
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
