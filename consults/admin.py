"""The therapist's side of free consults in Django admin.

Booking rules (one row, with the private calendar address), weekly hours, time off,
consult requests (one-click confirm and decline that email the visitor, an agenda,
CSV export) and the outgoing email log. Help text is written for the therapist.
"""

import csv
from itertools import groupby

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import NoReverseMatch, path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from core.admin import SingletonModelAdmin
from core.models import PracticeProfile

from . import booking, outbox
from .emails import format_when
from .models import (
    HOLDING,
    BookingRules,
    ConsultRequest,
    OutboundEmail,
    TimeOff,
    WeeklyHours,
    new_calendar_token,
)

Status = ConsultRequest.Status

# Spreadsheet programs run a cell that starts with one of these as a formula.
CSV_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(value):
    text = str(value)
    return "'" + text if text.startswith(CSV_FORMULA_STARTS) else text


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
                    "cancellation_window_hours",
                ]
            },
        ),
        ("What visitors are told", {"fields": ["call_details", "decline_message"]}),
        ("Privacy", {"fields": ["retention_days"]}),
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
    list_display = ["__str__", "weekday", "start", "end"]
    list_editable = ["weekday", "start", "end"]


@admin.register(TimeOff)
class TimeOffAdmin(admin.ModelAdmin):
    list_display = ["__str__", "start_date", "start_time", "end_date", "end_time", "note"]
    date_hierarchy = "start_date"


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


# The change page's buttons for recording a status by hand (consults.booking.RECORDABLE).
STATUS_BUTTONS = {
    Status.CONTACTED: "Mark contacted",
    Status.COMPLETED: "Mark completed",
    Status.NO_SHOW: "Mark no-show",
    Status.SPAM: "Mark spam (frees the time)",
    Status.NEW: "Reopen (holds its time again)",
}


class DeclineForm(forms.Form):
    message = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 8, "cols": 70}),
        max_length=2000,
        help_text="Sent to the visitor as it is. Be kind: they may have found it hard to ask.",
    )


# What the visitor sent, shown read-only on the change page (times in the practice zone).
SUBMITTED = [
    "received",
    "name",
    "email",
    "phone",
    "contact_method",
    "availability",
    "message",
    "time_asked",
    "consented",
    "email_log",
]


@admin.register(ConsultRequest)
class ConsultRequestAdmin(admin.ModelAdmin):
    form = ConsultRequestForm
    list_display = ["received_on", "name", "contact_method", "time_asked_on", "status", "buttons"]
    list_display_links = ["received_on", "name"]
    list_filter = ["status", ("created_at", admin.DateFieldListFilter), HasTimeFilter]
    search_fields = ["name", "email"]
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
                "fields": ["status_now", "private_notes", "decline_message"],
                "description": "To change the status, use the buttons at the top of the page.",
            },
        ),
    ]
    readonly_fields = [*SUBMITTED, "status_now"]

    def has_add_permission(self, request):
        # Requests come from the website's form only.
        return False

    # Columns and read-only fields, in the practice time zone: the admin's current time
    # zone (core.middleware.AdminTimeZoneMiddleware).

    @admin.display(description="received", ordering="created_at")
    def received(self, consult):
        return format_when(consult.created_at, timezone.get_current_timezone())

    @admin.display(description="time asked for", ordering="starts_at", empty_value="—")
    def time_asked(self, consult):
        return format_when(consult.starts_at, timezone.get_current_timezone()) or None

    # The list's columns: the same moments, short enough for a table.

    @admin.display(description="received", ordering="created_at")
    def received_on(self, consult):
        return format_when(consult.created_at, timezone.get_current_timezone(), short=True)

    @admin.display(description="time asked for", ordering="starts_at", empty_value="—")
    def time_asked_on(self, consult):
        return format_when(consult.starts_at, timezone.get_current_timezone(), short=True) or None

    @admin.display(description="status")
    def status_now(self, consult):
        since = format_when(consult.status_changed_at, timezone.get_current_timezone())
        return f"{consult.get_status_display()}, since {since}"

    @admin.display(description="agreed to the privacy notice")
    def consented(self, consult):
        return format_when(consult.consented_at, timezone.get_current_timezone())

    @admin.display(description="emails")
    def email_log(self, consult):
        url = (
            reverse("admin:consults_outboundemail_changelist") + f"?consult__id__exact={consult.pk}"
        )
        return format_html('<a href="{}">Emails about this request</a>', url)

    @admin.display(description="")
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
        if self.can_decline(consult):
            parts.append(
                format_html(
                    '<a class="button" href="{}">Decline…</a>',
                    reverse("admin:consults_consultrequest_decline", args=[consult.pk]),
                )
            )
        return format_html(" ".join(["{}"] * len(parts)), *parts) if parts else ""

    @staticmethod
    def can_confirm(consult):
        return consult.status in (Status.NEW, Status.CONTACTED) and consult.starts_at is not None

    @staticmethod
    def can_decline(consult):
        return consult.status in HOLDING

    # Confirm, decline, agenda: admin pages of their own.

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path("agenda/", wrap(self.agenda_view), name="consults_consultrequest_agenda"),
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
            *super().get_urls(),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        consult = self.get_object(request, object_id)
        extra_context = {
            **(extra_context or {}),
            "can_confirm": consult is not None and self.can_confirm(consult),
            "can_decline": consult is not None and self.can_decline(consult),
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

    @staticmethod
    def _apply(request, consult, change, *args):
        """Make a change through consults.booking; a refusal becomes a message in words."""
        try:
            change(consult, *args)
        except booking.BookingError as error:
            messages.error(request, f"{consult}: {error}")
            return False
        return True

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
            default = consult.decline_message or BookingRules.load().decline_message
            form = DeclineForm(initial={"message": default})
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
        days = [
            (day, list(consults))
            for day, consults in groupby(
                upcoming, key=lambda c: timezone.localtime(c.starts_at, tz).date()
            )
        ]
        for _, consults in days:
            for consult in consults:
                consult.local_start = timezone.localtime(consult.starts_at, tz)
                consult.local_end = timezone.localtime(consult.ends_at, tz)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": "Upcoming consults",
            "days": days,
            "time_zone": tz.key,
        }
        return TemplateResponse(request, "admin/consults/consultrequest/agenda.html", context)

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
            single = consults[0].decline_message if len(consults) == 1 else ""
            form = DeclineForm(initial={"message": single or BookingRules.load().decline_message})
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
            ]
            writer.writerow([csv_safe(cell) for cell in row])
        return response


@admin.register(OutboundEmail)
class OutboundEmailAdmin(admin.ModelAdmin):
    list_display = ["kind", "status", "created_at", "attempts", "next_try", "sent_at", "error"]
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

    def has_change_permission(self, request, obj=None):
        # The log itself is read-only; "retry now" on the list is the one change allowed.
        return obj is None and super().has_change_permission(request)

    @admin.display(description="next try", ordering="send_after")
    def next_try(self, email):
        return email.send_after if email.status == OutboundEmail.Status.QUEUED else None

    @admin.display(description="last error")
    def error(self, email):
        return email.last_error[:80]

    @admin.display(description="request")
    def request_link(self, email):
        if email.consult_id is None:
            return "—"
        url = reverse("admin:consults_consultrequest_change", args=[email.consult_id])
        return format_html('<a href="{}">Consult request #{}</a>', url, email.consult_id)

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
