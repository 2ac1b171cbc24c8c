"""The therapist's own calendars in the admin ("Calendars I am busy in").

The address and the password are written, never shown: the form's fields start empty
and an empty field keeps what is stored. Each source shows when it was last read, how
many busy periods it gives for the booking horizon and its last problem in plain words.
Reading happens in the worker (consults.calendars), never here.
"""

from datetime import timedelta

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q
from django.template.response import TemplateResponse
from django.urls import path
from django.utils import timezone

from core.models import PracticeProfile

from . import calendars, slots
from .models import BookingRules, CalendarSource

WEEK_VIEW_DAYS = 14


class CalendarSourceForm(forms.ModelForm):
    address = forms.CharField(
        label="Address",
        required=False,
        max_length=2000,
        widget=forms.PasswordInput(
            render_value=False, attrs={"autocomplete": "off", "class": "vTextField"}
        ),
        help_text="The calendar's secret iCal address (https:// or webcal://), or the CalDAV "
        "calendar's address. It is stored encrypted and never shown again: leave blank to "
        "keep the saved one.",
    )
    password = forms.CharField(
        label="App password",
        required=False,
        max_length=500,
        widget=forms.PasswordInput(
            render_value=False, attrs={"autocomplete": "new-password", "class": "vTextField"}
        ),
        help_text="CalDAV only: an app password made for this site in your calendar account. "
        "Leave blank to keep the saved one.",
    )

    class Meta:
        model = CalendarSource
        fields = [
            "name",
            "kind",
            "enabled",
            "address",
            "username",
            "password",
            "tentative_blocks",
            "write_consults",
            "refresh_minutes",
        ]

    def clean_address(self):
        address = self.cleaned_data["address"].strip()
        if not address:
            if not self.instance.url_encrypted:
                raise forms.ValidationError("Please paste the calendar's address.")
            return None
        try:
            return calendars.normalise_url(address)
        except calendars.CalendarError as error:
            raise forms.ValidationError(str(error)) from None

    def clean_refresh_minutes(self):
        minutes = self.cleaned_data["refresh_minutes"]
        if minutes < 1:
            raise forms.ValidationError("Read it at least every minute or more.")
        return minutes

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("write_consults") and cleaned.get("kind") != CalendarSource.Kind.CALDAV:
            self.add_error(
                "write_consults",
                "Consults can only be added to a CalDAV calendar. A calendar address can "
                "only be read; use your private consult feed (in Booking rules) instead.",
            )
        return cleaned

    def save(self, commit=True):
        source = super().save(commit=False)
        calendars.set_secrets(
            source,
            url=self.cleaned_data.get("address"),
            password=self.cleaned_data.get("password") or None,
        )
        # Read it on the worker's next round.
        source.next_refresh_at = timezone.now()
        if commit:
            source.save()
        return source


@admin.register(CalendarSource)
class CalendarSourceAdmin(admin.ModelAdmin):
    form = CalendarSourceForm
    change_list_template = "admin/consults/calendarsource/change_list.html"
    list_display = ["name", "kind", "enabled", "state", "last_success_at", "busy_ahead"]
    readonly_fields = [
        "url_hint",
        "state",
        "last_success_at",
        "busy_ahead",
        "last_error",
        "write_error",
    ]
    fieldsets = [
        (None, {"fields": ["name", "kind", "enabled"]}),
        (
            "Where it is",
            {"fields": ["url_hint", "address", "username", "password"]},
        ),
        (
            "How it is used",
            {"fields": ["tentative_blocks", "write_consults", "refresh_minutes"]},
        ),
        (
            "How it is going",
            {"fields": ["state", "last_success_at", "busy_ahead", "last_error", "write_error"]},
        ),
    ]

    def get_queryset(self, request):
        horizon = timezone.now() + timedelta(days=BookingRules.load().horizon_days)
        return (
            super()
            .get_queryset(request)
            .annotate(
                busy_count=Count(
                    "busy",
                    filter=Q(busy__period__endswith__gt=timezone.now())
                    & Q(busy__period__startswith__lt=horizon),
                )
            )
        )

    def get_fieldsets(self, request, obj=None):
        if obj is None:  # nothing saved or read yet
            where = {"fields": ["address", "username", "password"]}
            return [self.fieldsets[0], ("Where it is", where), self.fieldsets[2]]
        return self.fieldsets

    @admin.display(description="busy periods ahead")
    def busy_ahead(self, source):
        return getattr(source, "busy_count", 0)

    @admin.display(description="state")
    def state(self, source):
        if not source.enabled:
            return "Not in use"
        if calendars.stale_sources(timezone.now()).filter(pk=source.pk).exists():
            if source.last_success_at is None:
                return "Not read yet: no times are offered until it is"
            return "Not read for too long: no times are offered until it is"
        if source.last_error:
            return "Last read failed; its last good busy times still count"
        return "Up to date"

    def get_urls(self):
        week = self.admin_site.admin_view(self.week_view)
        return [path("week/", week, name="consults_calendarsource_week"), *super().get_urls()]

    def week_view(self, request):
        """The next two weeks: busy times ("busy", nothing more) beside consults, and any
        consult that now clashes with a busy time flagged."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        tz = PracticeProfile.load().tz
        start = slots.day_bounds(timezone.localdate(timezone=tz), tz)[0]
        days = calendars.week(start, start + timedelta(days=WEEK_VIEW_DAYS), tz)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": "Busy times and consults",
            "days": days,
            "time_zone": tz.key,
            "clashes": sum(1 for _, entries in days for e in entries if e.get("clash")),
        }
        return TemplateResponse(request, "admin/consults/calendarsource/week.html", context)

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        messages.info(
            request,
            "The site reads this calendar within a minute; come back to see what it found.",
        )
