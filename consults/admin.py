"""The therapist's side of free consults in Django admin.

Booking rules (one row, with the private calendar address), weekly hours, time off
that knows about the consults in it, consult requests (one-click confirm and decline,
give a time, offer a few, a timeline, an agenda, CSV export, and finding, exporting or
erasing by email address in consults.admin_data) and the outgoing email log. Help
text is written for the therapist; every change goes through consults.booking.
"""

import csv
import re
from itertools import groupby

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.urls import NoReverseMatch, path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from core.admin import SingletonModelAdmin
from core.models import PracticeProfile

from . import admin_data, booking, outbox
from .admin_forms import (
    DeclineForm,
    GiveTimeForm,
    OfferTimesForm,
    TimeOffForm,
    default_decline_message,
)
from .emails import format_when
from .models import (
    HOLDING,
    BookingRules,
    ConsultEvent,
    ConsultRequest,
    ErasureRecord,
    OutboundEmail,
    TimeOff,
    WeeklyHours,
    new_calendar_token,
)

Status = ConsultRequest.Status

# Spreadsheet programs run a cell that starts with one of these as a formula (OWASP's
# CSV injection list, with the full-width forms some of them also accept).
CSV_FORMULA_STARTS = "=+-@\t\r＝＋－＠"
# Where a spreadsheet may start a new cell: the text's start, or after any character it
# may split on whatever the locale (`,` in English, `;` across much of Europe, tab, `|`)
# or a line break; spaces and double quotes before the formula do not stop it.
CSV_CELL_STARTS = re.compile(
    r"""(^|[,;|\t\r\n])([ "]*)(?=[""" + re.escape(CSV_FORMULA_STARTS) + "])"
)


def csv_safe(value):
    """The text with a ' before anything that could start a formula in any spreadsheet.

    Whatever separator the spreadsheet splits on, no cell it makes can begin a formula:
    `Kim;=1+1;` becomes `Kim;'=1+1;`.
    """
    return CSV_CELL_STARTS.sub(r"\1\2'", str(value))


def _redirect_back(request, fallback):
    """Back to the page the button was on (changelist with its filters), if it is ours."""
    target = request.META.get("HTTP_REFERER", "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return HttpResponseRedirect(target)
    return redirect(fallback)


@admin.register(BookingRules)
class BookingRulesAdmin(SingletonModelAdmin):
    fieldsets = [
        (
            "Consults",
            {
                "fields": [
                    "consult_minutes",
                    "buffer_minutes",
                    "min_notice_hours",
                    "horizon_days",
                    "max_per_day",
                    "requires_confirmation",
                    "hold_hours",
                    "cancellation_window_hours",
                ]
            },
        ),
        (
            "What visitors are told",
            {"fields": ["reply_time", "call_details", "decline_message"]},
        ),
        ("Privacy", {"fields": ["retention_days", "retention_confirmed"]}),
        ("Your calendar", {"fields": ["calendar_feed"]}),
    ]
    readonly_fields = ["calendar_feed"]

    def get_urls(self):
        view = self.admin_site.admin_view(require_POST(self.new_calendar_address_view))
        return [
            path("new-calendar-address/", view, name="consults_bookingrules_new_calendar"),
            *super().get_urls(),
        ]

    @admin.display(description="private calendar address")
    def calendar_feed(self, rules):
        try:
            url = settings.SITE_URL + reverse("consults:calendar_feed", args=[rules.calendar_token])
        except NoReverseMatch:
            return "Not available yet."
        return format_html(
            '<code style="user-select:all;word-break:break-all;">{}</code>'
            '<p class="help">Subscribe to this address in your calendar app ("add calendar '
            'from URL") to see your consults there, with first names only. Keep it private: '
            "anyone who has it can see your consult times. If it may have leaked, use "
            "“Make a new secret address” at the top of this page: the old address then "
            "stops working.</p>",
            url,
        )

    def new_calendar_address_view(self, request):
        rules = BookingRules.load()
        if not self.has_change_permission(request, rules):
            messages.error(request, "You do not have permission to change the booking rules.")
        else:
            rules.calendar_token = new_calendar_token()
            rules.save(update_fields=["calendar_token"])
            messages.success(
                request,
                "Your calendar has a new secret address. Put the new address in your "
                "calendar app: the old one no longer works.",
            )
        return redirect(reverse("admin:consults_bookingrules_change", args=[rules.pk]))


@admin.register(WeeklyHours)
class WeeklyHoursAdmin(admin.ModelAdmin):
    # Edited one range at a time (no editable list), so an overlap is named on its page.
    list_display = ["__str__"]
    fields = ["weekday", "start", "end"]


@admin.register(TimeOff)
class TimeOffAdmin(admin.ModelAdmin):
    form = TimeOffForm
    list_display = ["__str__", "hours", "note"]
    date_hierarchy = "start_date"
    fields = ["start_date", "start_time", "end_date", "end_time", "note"]

    @admin.display(description="hours")
    def hours(self, entry):
        start = f"{entry.start_time:%H:%M}" if entry.start_time else "start of day"
        end = f"{entry.end_time:%H:%M}" if entry.end_time else "end of day"
        return f"{start} – {end}"

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        message = form.cleaned_data.get("cancel_message", "")
        for consult, (decision, new_start) in form.cleaned_data.get("decisions", {}).items():
            if decision == "cancel":
                if _apply(request, consult, booking.cancel_by_therapist, message):
                    messages.success(request, f"{consult}: cancelled; the visitor is emailed.")
            elif decision == "move":
                if _apply(request, consult, booking.give_time, new_start):
                    moved = ConsultRequest.objects.get(pk=consult.pk)
                    messages.success(request, f"Moved to {moved}; the visitor is emailed.")
            else:
                messages.warning(
                    request,
                    f"{consult} is kept, inside your time off. The home page reminds you of it.",
                )


def _apply(request, consult, change, *args):
    """Make a change through consults.booking; a refusal becomes a message in words."""
    try:
        change(consult, *args)
    except booking.BookingError as error:
        messages.error(request, f"{consult}: {error}")
        return False
    return True


def mask_email(address):
    """a•••@example.net: enough to tell emails apart, not enough to read over a shoulder."""
    local, _, domain = address.partition("@")
    return f"{local[:1]}•••@{domain}" if domain else "•••"


def contact_links(consult):
    """Email and phone as links a phone opens in its mail or phone app."""
    parts = [format_html('<a href="mailto:{}">{}</a>', consult.email, consult.email)]
    if consult.phone:
        dial = "".join(ch for ch in consult.phone if ch.isdigit() or ch == "+")
        parts.append(format_html('<a href="tel:{}">{}</a>', dial, consult.phone))
    return format_html(" · ".join(["{}"] * len(parts)), *parts)


class HasTimeFilter(admin.SimpleListFilter):
    title = "time asked for"
    parameter_name = "has_time"

    def lookups(self, request, model_admin):
        return [("yes", "Picked a time"), ("no", "No time (gave availability)")]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(starts_at__isnull=False)
        if self.value() == "no":
            return queryset.filter(starts_at__isnull=True)
        return queryset


class ConsultRequestForm(forms.ModelForm):
    class Meta:
        model = ConsultRequest
        fields = ["private_notes", "decline_message"]
        widgets = {"private_notes": forms.Textarea(attrs={"rows": 4})}


# The change page's buttons for recording a status by hand (consults.booking.RECORDABLE).
STATUS_BUTTONS = {
    Status.CONTACTED: "Mark contacted",
    Status.COMPLETED: "Mark completed",
    Status.NO_SHOW: "Mark no-show",
    Status.SPAM: "Mark spam (frees the time)",
    Status.NEW: "Reopen (holds its time again)",
}


# What the visitor sent, shown read-only on the change page (times in the practice zone).
SUBMITTED = [
    "received",
    "name",
    "contact",
    "contact_method",
    "where_they_will_be",
    "insurance_or_self_pay",
    "availability",
    "message",
    "first_asked",
    "expired_starts_at",  # a time it held until the hold lapsed unconfirmed
    "hold_expired_at",
    "consented",
]


@admin.register(ConsultRequest)
class ConsultRequestAdmin(admin.ModelAdmin):
    form = ConsultRequestForm
    list_display = ["name", "time_asked_on", "status_label", "buttons", "received_on"]
    list_display_links = ["name"]
    list_filter = ["status", ("created_at", admin.DateFieldListFilter), HasTimeFilter]
    search_fields = ["name", "email", "phone", "message", "private_notes"]
    search_help_text = "Finds a name, email, phone number, or words in their note or yours."
    date_hierarchy = "created_at"
    list_per_page = 50
    actions = [
        "confirm_selected",
        "decline_selected",
        "mark_contacted",
        "mark_spam",
        "export_csv",
    ]
    fieldsets = [
        (
            "What they sent",
            {
                "fields": SUBMITTED,
                "description": "As the visitor sent it. It cannot be edited.",
            },
        ),
        (
            "Your side",
            {
                "fields": ["status_now", "time_now", "private_notes", "decline_message"],
                "description": "To change the status or the time, use the buttons at the top "
                "of the page.",
            },
        ),
        ("Timeline", {"fields": ["timeline"]}),
    ]
    readonly_fields = [*SUBMITTED, "status_now", "time_now", "timeline"]

    def has_add_permission(self, request):
        # Requests come from the website's form only.
        return False

    # The request's timeline is its history. Django's own log would keep the visitor's
    # name (the request's title) after retention or an erasure has deleted the request.
    def log_addition(self, request, obj, message):
        return None

    def log_change(self, request, obj, message):
        return None

    def log_deletion(self, request, obj, object_repr):
        return None

    def log_deletions(self, request, queryset):
        return None

    # Deleting here is an erasure like any other (consults.booking.erase): the emails
    # about the request go with it, and a record without personal details is kept.
    def delete_model(self, request, obj):
        self.delete_queryset(request, ConsultRequest.objects.filter(pk=obj.pk))

    def delete_queryset(self, request, queryset):
        booking.erase(queryset, by=ErasureRecord.By.THERAPIST, user=request.user)

    def changelist_view(self, request, extra_context=None):
        # Django's title is "Select consult request to change".
        return super().changelist_view(
            request, {"title": "Consult requests", **(extra_context or {})}
        )

    # Columns and read-only fields, in the practice time zone: the admin's current time
    # zone (core.middleware.AdminTimeZoneMiddleware).

    @admin.display(description="received", ordering="created_at")
    def received(self, consult):
        return format_when(consult.created_at, timezone.get_current_timezone())

    @admin.display(description="time they first asked for")
    def first_asked(self, consult):
        # The timeline's first entry keeps it, however often the time moves since.
        received = consult.events.filter(kind=ConsultEvent.Kind.RECEIVED).first()
        start = received.new_starts_at if received else consult.starts_at
        return (
            format_when(start, timezone.get_current_timezone())
            or "none: they gave their availability"
        )

    @admin.display(description="time now")
    def time_now(self, consult):
        return format_when(consult.starts_at, timezone.get_current_timezone()) or "no time yet"

    @admin.display(description="email and phone")
    def contact(self, consult):
        return contact_links(consult)

    @admin.display(description="where they will be during sessions")
    def where_they_will_be(self, consult):
        if consult.place == ConsultRequest.SOMEWHERE_ELSE:
            return (
                "Somewhere else: not one of the places your profile lists. They read that you "
                "may not be able to see them there, and chose to send their request anyway."
            )
        return consult.place or "not asked (your profile lists no places)"

    @admin.display(description="insurance or paying themselves")
    def insurance_or_self_pay(self, consult):
        answer = consult.get_payment_display() or "not answered"
        if not consult.good_faith_estimate_due(PracticeProfile.load()):
            return answer
        return format_html(
            '{}<p class="reminder"><strong>Reminder: a Good Faith Estimate is due.</strong> '
            "If you schedule services with them, give them a written estimate of the expected "
            "charges first (No Surprises Act; the rules are at "
            '<a href="https://www.cms.gov/nosurprises">www.cms.gov/nosurprises</a>).</p>',
            answer,
        )

    @admin.display(description="what happened")
    def timeline(self, consult):
        return render_to_string(
            "admin/consults/consultrequest/_timeline.html",
            {
                "entries": timeline_entries(consult),
                "time_zone": timezone.get_current_timezone_name(),
            },
        )

    # The list's columns: the same moments, short enough for a table.

    @admin.display(description="received", ordering="created_at")
    def received_on(self, consult):
        return format_when(consult.created_at, timezone.get_current_timezone(), short=True)

    @admin.display(description="time", ordering="starts_at")
    def time_asked_on(self, consult):
        return (
            format_when(consult.starts_at, timezone.get_current_timezone(), short=True)
            or "no time yet"
        )

    @admin.display(description="status", ordering="status")
    def status_label(self, consult):
        return format_html(
            '<span class="status status-{}">{}</span>', consult.status, consult.get_status_display()
        )

    @admin.display(description="status")
    def status_now(self, consult):
        since = format_when(consult.status_changed_at, timezone.get_current_timezone())
        return f"{consult.get_status_display()}, since {since}"

    @admin.display(description="agreed to the privacy notice")
    def consented(self, consult):
        return format_when(consult.consented_at, timezone.get_current_timezone())

    @admin.display(description="actions")
    def buttons(self, consult):
        parts = []
        if self.can_confirm(consult):
            # The list is itself a form (with its CSRF token): this button posts it here.
            parts.append(
                format_html(
                    '<button type="submit" class="button" formaction="{}" formmethod="post">'
                    "Confirm</button>",
                    reverse("admin:consults_consultrequest_confirm", args=[consult.pk]),
                )
            )
        if self.can_give_time(consult):
            parts.append(
                format_html(
                    '<a class="button" href="{}">{}</a>',
                    reverse("admin:consults_consultrequest_give_time", args=[consult.pk]),
                    "Give a time…" if consult.starts_at is None else "Move…",
                )
            )
        if self.can_decline(consult):
            parts.append(
                format_html(
                    '<a class="button" href="{}">Decline…</a>',
                    reverse("admin:consults_consultrequest_decline", args=[consult.pk]),
                )
            )
        if not parts:
            return ""
        return format_html(
            '<span class="row-actions">{}</span>',
            format_html(" ".join(["{}"] * len(parts)), *parts),
        )

    @staticmethod
    def can_confirm(consult):
        return consult.status in (Status.NEW, Status.CONTACTED) and consult.starts_at is not None

    @staticmethod
    def can_decline(consult):
        return consult.status in HOLDING

    @staticmethod
    def can_give_time(consult):
        return consult.status in HOLDING

    # Confirm, decline, agenda: admin pages of their own.

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path("agenda/", wrap(self.agenda_view), name="consults_consultrequest_agenda"),
            path(
                "by-email/",
                wrap(self.by_email_view),
                name="consults_consultrequest_by_email",
            ),
            path(
                "<path:object_id>/confirm/",
                wrap(require_POST(self.confirm_view)),
                name="consults_consultrequest_confirm",
            ),
            path(
                "<path:object_id>/status/<str:status>/",
                wrap(require_POST(self.status_view)),
                name="consults_consultrequest_status",
            ),
            path(
                "<path:object_id>/decline/",
                wrap(self.decline_view),
                name="consults_consultrequest_decline",
            ),
            path(
                "<path:object_id>/give-time/",
                wrap(self.give_time_view),
                name="consults_consultrequest_give_time",
            ),
            path(
                "<path:object_id>/offer-times/",
                wrap(self.offer_times_view),
                name="consults_consultrequest_offer_times",
            ),
            *super().get_urls(),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        consult = self.get_object(request, object_id)
        extra_context = {
            **(extra_context or {}),
            "can_confirm": consult is not None and self.can_confirm(consult),
            "can_decline": consult is not None and self.can_decline(consult),
            "can_give_time": consult is not None and self.can_give_time(consult),
            "status_buttons": [
                (
                    reverse("admin:consults_consultrequest_status", args=[consult.pk, status]),
                    STATUS_BUTTONS[status],
                )
                for status in (booking.recordable_statuses(consult) if consult else [])
            ],
        }
        return super().change_view(request, object_id, form_url, extra_context)

    def _consult_for_change(self, request, object_id):
        consult = get_object_or_404(ConsultRequest, pk=object_id)
        if not self.has_change_permission(request, consult):
            raise PermissionDenied
        return consult

    _apply = staticmethod(_apply)

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if "private_notes" in form.changed_data:
            booking.log_note(obj, obj.private_notes)

    def give_time_view(self, request, object_id):
        consult = self._consult_for_change(request, object_id)
        change_url = reverse("admin:consults_consultrequest_change", args=[consult.pk])
        form = GiveTimeForm(request.POST or None, consult=consult)
        start = form.cleaned_data["start"] if form.is_bound and form.is_valid() else None
        if start and self._apply(request, consult, booking.give_time, start):
            consult.refresh_from_db()
            messages.success(
                request, f"{consult} is confirmed. The visitor is being emailed the invitation."
            )
            return redirect(change_url)
        title = "Give a time" if consult.starts_at is None else "Move to another time"
        return self._time_page(request, consult, form, title, change_url)

    def offer_times_view(self, request, object_id):
        consult = self._consult_for_change(request, object_id)
        change_url = reverse("admin:consults_consultrequest_change", args=[consult.pk])
        form = OfferTimesForm(request.POST or None, consult=consult)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            if self._apply(request, consult, booking.offer_times, data["starts"], data["note"]):
                messages.success(
                    request,
                    f"{len(data['starts'])} times are offered to {consult.name}. They are "
                    "emailed, and the first time they pick is confirmed.",
                )
                return redirect(change_url)
        return self._time_page(request, consult, form, "Offer times by email", change_url)

    def _time_page(self, request, consult, form, title, cancel_url):
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": title,
            "consult": consult,
            "form": form,
            "cancel_url": cancel_url,
            "rules": BookingRules.load(),
            "time_zone": timezone.get_current_timezone_name(),
        }
        return TemplateResponse(request, "admin/consults/consultrequest/time_form.html", context)

    def confirm_view(self, request, object_id):
        consult = self._consult_for_change(request, object_id)
        if self._apply(request, consult, booking.confirm):
            messages.success(
                request,
                f"{consult} is confirmed. The visitor is being emailed the invitation.",
            )
        return _redirect_back(
            request, reverse("admin:consults_consultrequest_change", args=[consult.pk])
        )

    def status_view(self, request, object_id, status):
        consult = self._consult_for_change(request, object_id)
        if status not in Status.values:
            raise Http404
        if self._apply(request, consult, booking.record_status, status):
            messages.success(
                request, f"{consult} is marked {Status(status).label.lower()}. Nobody was emailed."
            )
        return _redirect_back(
            request, reverse("admin:consults_consultrequest_change", args=[consult.pk])
        )

    def decline_view(self, request, object_id):
        consult = self._consult_for_change(request, object_id)
        change_url = reverse("admin:consults_consultrequest_change", args=[consult.pk])
        if request.method == "POST":
            form = DeclineForm(request.POST)
            if form.is_valid():
                if self._apply(request, consult, booking.decline, form.cleaned_data["message"]):
                    messages.success(
                        request,
                        f"{consult} is declined. The visitor is being emailed your message.",
                    )
                return redirect(change_url)
        else:
            form = DeclineForm(initial={"message": default_decline_message([consult])})
        return self._decline_page(request, [consult], form, cancel_url=change_url)

    def _decline_page(self, request, consults, form, *, cancel_url, action=None):
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": "Decline and email the visitor"
            if len(consults) == 1
            else "Decline and email the visitors",
            "consults": consults,
            "form": form,
            "cancel_url": cancel_url,
            "action": action,
            "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "admin/consults/consultrequest/decline.html", context)

    def agenda_view(self, request):
        if not self.has_view_permission(request):
            raise PermissionDenied
        tz = PracticeProfile.load().tz
        upcoming = ConsultRequest.objects.filter(
            status__in=HOLDING,
            ends_at__gt=timezone.now(),
        ).order_by("starts_at")
        days = agenda_days(upcoming, tz)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": "Upcoming consults",
            "days": days,
            "time_zone": tz.key,
        }
        return TemplateResponse(request, "admin/consults/consultrequest/agenda.html", context)

    def by_email_view(self, request):
        return admin_data.by_email_view(self, request)

    # Actions on the list.

    @admin.action(
        description="Confirm selected requests (emails each visitor)", permissions=["change"]
    )
    def confirm_selected(self, request, queryset):
        done = sum(self._apply(request, consult, booking.confirm) for consult in queryset)
        if done:
            messages.success(
                request, f"Confirmed {done} request(s). The visitors are being emailed."
            )

    @admin.action(
        description="Decline selected requests (emails each visitor)…", permissions=["change"]
    )
    def decline_selected(self, request, queryset):
        consults = list(queryset)
        if "apply" in request.POST:
            form = DeclineForm(request.POST)
            if form.is_valid():
                done = sum(
                    self._apply(request, c, booking.decline, form.cleaned_data["message"])
                    for c in consults
                )
                if done:
                    messages.success(
                        request, f"Declined {done} request(s). The visitors are being emailed."
                    )
                return None
        else:
            form = DeclineForm(initial={"message": default_decline_message(consults)})
        return self._decline_page(
            request,
            consults,
            form,
            cancel_url=request.get_full_path(),
            action="decline_selected",
        )

    @admin.action(description="Mark selected as contacted", permissions=["change"])
    def mark_contacted(self, request, queryset):
        new = queryset.filter(status=Status.NEW)
        changed = sum(
            self._apply(request, consult, booking.record_status, Status.CONTACTED)
            for consult in new
        )
        messages.success(request, f"Marked {changed} new request(s) as contacted.")

    @admin.action(description="Mark selected as spam (frees their time)", permissions=["change"])
    def mark_spam(self, request, queryset):
        open_requests = queryset.filter(status__in=HOLDING)
        changed = sum(
            self._apply(request, consult, booking.record_status, Status.SPAM)
            for consult in open_requests
        )
        messages.success(request, f"Marked {changed} request(s) as spam. Nobody was emailed.")

    @admin.action(description="Export selected as a spreadsheet (CSV)", permissions=["view"])
    def export_csv(self, request, queryset):
        tz = PracticeProfile.load().tz
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="consult-requests.csv"'
        writer = csv.writer(response)
        writer.writerow(
            [
                f"received ({tz.key})",
                "name",
                "email",
                "phone",
                "contact method",
                f"time asked for ({tz.key})",
                "status",
                "where during sessions",
                "insurance or paying themselves",
            ]
        )
        for consult in queryset.order_by("created_at"):
            row = [
                timezone.localtime(consult.created_at, tz).strftime("%Y-%m-%d %H:%M"),
                consult.name,
                consult.email,
                consult.phone,
                consult.get_contact_method_display(),
                timezone.localtime(consult.starts_at, tz).strftime("%Y-%m-%d %H:%M")
                if consult.starts_at
                else "",
                consult.get_status_display(),
                consult.place,
                consult.get_payment_display(),
            ]
            writer.writerow([csv_safe(cell) for cell in row])
        return response


def agenda_days(consults, tz):
    """[(local day, [consults])], each consult with local_start, local_end and a flag
    (`attention`) if it falls in time off or outside the weekly hours."""
    consults = list(consults)
    flagged = dict(booking.needs_a_look(consults))
    for consult in consults:
        consult.local_start = timezone.localtime(consult.starts_at, tz)
        consult.local_end = timezone.localtime(consult.ends_at, tz)
        consult.attention = flagged.get(consult, "")
    return [
        (day, list(group)) for day, group in groupby(consults, key=lambda c: c.local_start.date())
    ]


def timeline_entries(consult):
    """What happened to a request, oldest first: its timeline entries and its emails
    (with their delivery state), as (moment, text, detail) for the template."""
    tz = timezone.get_current_timezone()
    entries = []
    for event in consult.events.all():
        text = f"{event.get_kind_display()} by {event.get_by_display()}"
        detail = event.detail
        if event.kind == ConsultEvent.Kind.NOTE:
            text = "You changed your private note"
        if event.old_starts_at and event.new_starts_at:
            detail = (
                f"from {format_when(event.old_starts_at, tz, short=True)} "
                f"to {format_when(event.new_starts_at, tz, short=True)}"
            )
        elif event.new_starts_at:
            detail = format_when(event.new_starts_at, tz, short=True)
        elif event.kind == ConsultEvent.Kind.RECEIVED:
            detail = "no time picked"
        elif event.old_starts_at:
            detail = f"{format_when(event.old_starts_at, tz, short=True)} freed"
        entries.append((event.at, text, detail, ""))
    for email in consult.emails.all():
        when = email.sent_at or email.created_at
        state = email.get_status_display()
        if email.status == OutboundEmail.Status.QUEUED and email.attempts:
            state = f"not sent yet, tried {email.attempts} times"
        entries.append((when, f"Email: {email.get_kind_display()}", state, email.status))
    return sorted(entries, key=lambda entry: entry[0])


# Emails to the therapist show their address; visitors' are masked in the list.
TO_THERAPIST = {
    OutboundEmail.Kind.NOTIFY_THERAPIST,
    OutboundEmail.Kind.CHANGE_NOTICE,
    OutboundEmail.Kind.PASSWORD_RESET,
    OutboundEmail.Kind.WITHDRAWN,
}


@admin.register(OutboundEmail)
class OutboundEmailAdmin(admin.ModelAdmin):
    list_display = ["kind", "recipient", "status", "created_on", "tries"]
    list_filter = ["status", "kind"]
    date_hierarchy = "created_at"
    actions = ["retry_now"]
    fields = [
        "kind",
        "status",
        "request_link",
        "to",
        "subject",
        "created_at",
        "send_after",
        "attempts",
        "sent_at",
        "last_error",
        "body",
        "ics_method",
        "message_id",
    ]
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def changelist_view(self, request, extra_context=None):
        return super().changelist_view(
            request, {"title": "Outgoing email: sent, waiting and failed", **(extra_context or {})}
        )

    def has_change_permission(self, request, obj=None):
        # The log itself is read-only; "retry now" on the list is the one change allowed.
        return obj is None and super().has_change_permission(request)

    @admin.display(description="to")
    def recipient(self, email):
        if not email.to:
            return "(deleted)"
        return email.to if email.kind in TO_THERAPIST else mask_email(email.to)

    @admin.display(description="written", ordering="created_at")
    def created_on(self, email):
        return format_when(email.created_at, timezone.get_current_timezone(), short=True)

    @admin.display(description="tries")
    def tries(self, email):
        if email.status == OutboundEmail.Status.QUEUED and email.attempts:
            next_try = format_when(email.send_after, timezone.get_current_timezone(), short=True)
            return format_html(
                "{} so far; next {}<br><small>{}</small>",
                email.attempts,
                next_try,
                email.last_error[:80],
            )
        tried = f"{email.attempts} tr{'y' if email.attempts == 1 else 'ies'}"
        if email.status == OutboundEmail.Status.FAILED:
            return format_html("{}<br><small>{}</small>", tried, email.last_error[:80])
        return tried

    @admin.display(description="request")
    def request_link(self, email):
        if email.consult_id is None:
            return "none"
        url = reverse("admin:consults_consultrequest_change", args=[email.consult_id])
        return format_html('<a href="{}">{}</a>', url, email.consult or "the request")

    @admin.display(description="text as sent")
    def body(self, email):
        return format_html(
            '<pre style="white-space:pre-wrap;font-family:inherit;margin:0;">{}</pre>',
            email.body_text,
        )

    @admin.action(description="Retry now", permissions=["change"])
    def retry_now(self, request, queryset):
        count = outbox.retry(queryset)
        messages.success(request, f"{count} email(s) will be sent within a minute.")


from . import admin_calendars  # noqa: E402, F401 - the calendar sources register themselves
