"""The therapist's side of visitors' data rights, in the admin.

"Find, export or erase by email address": type an address, see everything held about
it (its requests, their timelines, the emails in the outbox), download it in the same
shape as a visitor's own download (consults.personal_data), or erase it after a page
that names what will go. The address travels only in POST bodies, never in a URL, so
it is in no server log. Erasing needs the permission to delete consult requests, and
leaves an ErasureRecord (listed read-only here) that holds nothing about the person.
"""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse

from . import booking, personal_data
from .models import ConsultRequest, ErasureRecord, OutboundEmail

ERASE_PERMISSION = "consults.delete_consultrequest"


class AddressForm(forms.Form):
    email = forms.EmailField(
        label="Email address",
        max_length=254,
        help_text="The address they used on the consult form. Capital letters do not matter.",
        error_messages={"invalid": "Please type a whole email address, like name@example.com."},
        widget=forms.EmailInput(attrs={"class": "vTextField", "autocomplete": "off"}),
    )


def held_for(address):
    """(requests, emails no longer tied to a request) held for an email address."""
    requests = ConsultRequest.objects.filter(email__iexact=address).order_by("created_at")
    loose = OutboundEmail.objects.filter(to__iexact=address, consult__isnull=True)
    return requests, loose


def by_email_view(model_admin, request):
    """The screen, one step per POST: find (the default), export, erase (asks), erase_now."""
    if not model_admin.has_view_permission(request):
        raise PermissionDenied
    here = reverse("admin:consults_consultrequest_by_email")
    form = AddressForm(request.POST if request.method == "POST" else None)
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": model_admin.opts,
        "title": "Find, export or erase by email address",
        "form": form,
        "can_erase": request.user.has_perm(ERASE_PERMISSION),
    }
    if not form.is_bound or not form.is_valid():
        return TemplateResponse(request, "admin/consults/consultrequest/by_email.html", context)

    address = form.cleaned_data["email"]
    requests, loose = held_for(address)
    step = request.POST.get("step", "find")
    if step == "export":
        data = personal_data.export(requests, other_emails=loose)
        response = HttpResponse(
            personal_data.as_json(data), content_type="application/json; charset=utf-8"
        )
        response["Content-Disposition"] = 'attachment; filename="personal-data-export.json"'
        return response
    if step in ("erase", "erase_now") and not context["can_erase"]:
        raise PermissionDenied
    if step == "erase_now":
        record = booking.erase(
            requests, other_emails=loose, by=ErasureRecord.By.THERAPIST, user=request.user
        )
        if record is None:
            messages.info(request, "Nothing was held about that address any more.")
        else:
            messages.success(
                request,
                f"Erased {record.requests} request(s) and {record.emails} email(s). Nobody "
                "was emailed. A record that an erasure happened is kept, without the address.",
            )
        return redirect(here)

    emails = OutboundEmail.objects.filter(consult__in=requests) | loose
    data = personal_data.export(requests, other_emails=loose)
    context.update(
        address=address,
        requests=list(requests),
        data=data,
        found_requests=list(zip(requests, data["requests"], strict=True)),
        email_count=emails.count(),
        waiting_count=emails.filter(status__in=OutboundEmail.DUE).count(),
        found=requests.exists() or loose.exists(),
    )
    template = "confirm_erase" if step == "erase" and context["found"] else "by_email"
    return TemplateResponse(request, f"admin/consults/consultrequest/{template}.html", context)


@admin.register(ErasureRecord)
class ErasureRecordAdmin(admin.ModelAdmin):
    """Read-only: the record is the proof that an erasure happened, so nobody edits it."""

    list_display = ["at", "by", "admin_user", "requests", "emails"]
    date_hierarchy = "at"
    fields = list_display
    readonly_fields = list_display

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def changelist_view(self, request, extra_context=None):
        return super().changelist_view(
            request,
            {
                "title": "Erasures: when personal data was erased, and by whom",
                **(extra_context or {}),
            },
        )
