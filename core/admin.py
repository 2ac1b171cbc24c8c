"""The practice profile in admin, the one-row admin base class, and a guarded authenticator list."""

import zoneinfo

from django import forms
from django.contrib import admin
from django.shortcuts import redirect
from django.urls import reverse
from django_otp.plugins.otp_totp.admin import TOTPDeviceAdmin
from django_otp.plugins.otp_totp.models import TOTPDevice

from .models import PracticeProfile


class PracticeProfileForm(forms.ModelForm):
    # Choices are built here, not on the model, so a tzdata update never needs a migration.
    time_zone = forms.ChoiceField(
        choices=[(name, name.replace("_", " ")) for name in sorted(zoneinfo.available_timezones())],
        help_text=PracticeProfile._meta.get_field("time_zone").help_text,
    )

    class Meta:
        model = PracticeProfile
        fields = [
            "practice_name",
            "therapist_name",
            "credentials",
            "contact_email",
            "contact_phone",
            "location",
            "license_type",
            "license_number",
            "licensed_places",
            "country",
            "crisis_emergency_number",
            "crisis_line",
            "crisis_wording_checked",
            "time_zone",
            "web_host",
            "email_provider",
            "consumer_health_data_page",
        ]
        widgets = {"licensed_places": forms.Textarea(attrs={"rows": 4})}

    def clean(self):
        data = super().clean()
        # A new country means new wording: it has not been checked yet.
        if "country" in self.changed_data and "crisis_wording_checked" not in self.changed_data:
            data["crisis_wording_checked"] = False
        return data


class SingletonModelAdmin(admin.ModelAdmin):
    """Admin for a model with exactly one row (its `load()` creates it when missing)."""

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def changelist_view(self, request, extra_context=None):
        # There is only one: go straight to it.
        only = self.model.load()
        opts = self.model._meta
        return redirect(reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[only.pk]))


@admin.register(PracticeProfile)
class PracticeProfileAdmin(SingletonModelAdmin):
    form = PracticeProfileForm
    fieldsets = [
        ("Who you are", {"fields": ["practice_name", "therapist_name", "credentials"]}),
        ("How people reach you", {"fields": ["contact_email", "contact_phone", "location"]}),
        ("Your license", {"fields": ["license_type", "license_number", "licensed_places"]}),
        (
            "Country and crisis wording",
            {
                "fields": [
                    "country",
                    "crisis_emergency_number",
                    "crisis_line",
                    "crisis_wording",
                    "crisis_wording_checked",
                ]
            },
        ),
        ("Time", {"fields": ["time_zone"]}),
        (
            "Privacy",
            {
                "fields": ["web_host", "email_provider", "consumer_health_data_page"],
                "description": "What the privacy page says about who handles visitors' "
                "information.",
            },
        ),
    ]
    readonly_fields = ["crisis_wording"]

    @admin.display(description="crisis wording visitors see")
    def crisis_wording(self, profile):
        return profile.crisis.html


# The authenticator is replaced from "Your account", never deleted on its own: deleting
# the only one would leave the therapist unable to sign in.
admin.site.unregister(TOTPDevice)


@admin.register(TOTPDevice)
class TOTPDeviceGuardedAdmin(TOTPDeviceAdmin):
    def has_delete_permission(self, request, obj=None):
        return False
