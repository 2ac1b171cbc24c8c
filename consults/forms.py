"""The free-consult form, and the visitor's forms for changing their request.

Every field has a length limit and a plain-language error. The form also carries
two quiet bot checks: a honeypot field people never see, and the time since the
form was shown (bots post at once).
"""

import re
import time
import uuid

from django import forms
from django.conf import settings
from django.core import signing
from django.urls import reverse
from django.utils.html import format_html

from . import slots
from .models import ConsultRequest

NONE_OF_THESE = "none"
PHONE_ALLOWED = re.compile(r"^[0-9+().\-\s/]*(?:\s*(?:ext\.?|x|#)\s*[0-9]{1,6})?$", re.IGNORECASE)
CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
SHOWN_AT_SALT = "consults.form-shown-at"


def clean_text(value):
    """Strip control characters (but keep line breaks) and surrounding space."""
    return CONTROL_CHARS.sub("", value).strip()


class SlotChoiceField(forms.ChoiceField):
    """A choice among open times, shown by consults/_slot_picker.html one fieldset per day.

    Any well-formed time is accepted here: whether it is still open is decided when it
    is booked, so a time taken meanwhile gets "just taken", not "not a valid choice".
    """

    widget = forms.RadioSelect

    default_error_messages = {"invalid_choice": "Please pick one of the times shown."}

    def __init__(self, *, allow_none=True, **kwargs):
        self.allow_none = allow_none
        choices = [(NONE_OF_THESE, "None of these times work for me")] if allow_none else []
        super().__init__(choices=choices, **kwargs)

    def valid_value(self, value):
        if value == NONE_OF_THESE:
            return self.allow_none
        return slots.parse_key(value) is not None


class ConsultForm(forms.Form):
    name = forms.CharField(
        label="What should I call you?",
        max_length=100,
        help_text="A first name or a nickname is fine.",
        error_messages={"required": "Please tell me what to call you."},
        widget=forms.TextInput(attrs={"autocomplete": "given-name"}),
    )
    email = forms.EmailField(
        label="Email",
        max_length=254,
        help_text="I send a confirmation here, with a link to change or cancel.",
        error_messages={
            "required": "Please give an email address, so I can confirm your request.",
            "invalid": "Please check the email address: it should look like name@example.com.",
        },
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    phone = forms.CharField(
        label="Phone (optional)",
        max_length=32,
        required=False,
        help_text="Only needed if you would like a call or a text.",
        widget=forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel", "type": "tel"}),
    )
    contact_method = forms.ChoiceField(
        label="How would you like me to contact you?",
        choices=ConsultRequest.ContactMethod.choices,
        # A select, not radios: options are not labels, so "Email" and "Phone" each name
        # exactly one field for people using voice control or a screen reader's form list.
        widget=forms.Select(attrs={"autocomplete": "off"}),
        initial=ConsultRequest.ContactMethod.EMAIL,
        error_messages={
            "required": "Please choose how I should contact you.",
            "invalid_choice": "Please choose email, a phone call or a text message.",
        },
    )
    slot = SlotChoiceField(
        label="Pick a time that suits you",
        required=True,
        error_messages={"required": "Please pick a time, or choose “None of these times work”."},
    )
    availability = forms.CharField(
        label="When are you usually free?",
        max_length=500,
        required=False,
        help_text="Needed only if none of the times work: for example “weekday mornings” "
        "or “Tuesdays after 5 pm”.",
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    message = forms.CharField(
        label="A brief note (optional)",
        max_length=1000,
        required=False,
        help_text="A few words are plenty. Share only what you want to; we can talk about the rest on the call.",
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    consent = forms.BooleanField(
        required=True,
        error_messages={
            "required": "Please tick this box to send the form: it says you understand "
            "this form is not for emergencies."
        },
    )
    # Bot checks. `website` is hidden by CSS (and from screen readers) and left empty by people.
    website = forms.CharField(required=False, max_length=200, label="Leave this field empty")
    # Hidden values a real browser sends back untouched; a bad one marks a bot, not an error.
    submission_key = forms.CharField(widget=forms.HiddenInput, required=False, max_length=64)
    shown_at = forms.CharField(widget=forms.HiddenInput, required=False, max_length=200)

    def __init__(self, *args, open_slots=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["consent"].label = format_html(
            'I understand this form is not for emergencies, and I agree to the <a href="{}">privacy policy</a>.',
            reverse("blog:page", args=["privacy"]),
        )
        if not open_slots:
            self.fields["slot"].initial = NONE_OF_THESE
        self.fields["website"].widget.attrs.update({"tabindex": "-1", "autocomplete": "off"})

    @staticmethod
    def initial_values():
        return {
            "submission_key": str(uuid.uuid4()),
            "shown_at": signing.dumps(time.time(), salt=SHOWN_AT_SALT),
        }

    def clean_name(self):
        name = clean_text(self.cleaned_data["name"])
        if not name:
            raise forms.ValidationError("Please tell me what to call you.")
        return name

    def clean_phone(self):
        phone = clean_text(self.cleaned_data["phone"])
        if not phone:
            return ""
        number = re.split(r"\s*(?:ext\.?|x|#)\s*", phone, maxsplit=1, flags=re.IGNORECASE)[0]
        digits = re.sub(r"\D", "", number)
        if not PHONE_ALLOWED.match(phone) or not 7 <= len(digits) <= 15:
            raise forms.ValidationError(
                "Please check the phone number: use digits, with spaces, dashes, "
                "brackets or a leading + if you like."
            )
        return phone

    def clean_availability(self):
        return clean_text(self.cleaned_data["availability"])

    def clean_message(self):
        return clean_text(self.cleaned_data["message"])

    def clean(self):
        data = super().clean()
        wants_phone = data.get("contact_method") in (
            ConsultRequest.ContactMethod.PHONE,
            ConsultRequest.ContactMethod.TEXT,
        )
        if wants_phone and not data.get("phone") and "phone" not in self.errors:
            self.add_error(
                "phone",
                "Please add a phone number, since you chose a call or a text. "
                "Or choose email instead.",
            )
        if data.get("slot") == NONE_OF_THESE and not data.get("availability"):
            self.add_error(
                "availability",
                "Please say when you are usually free, since none of the times work.",
            )
        return data

    @property
    def chosen_start(self):
        """The UTC start picked, or None for "none of these times work"."""
        return slots.parse_key(self.cleaned_data.get("slot"))

    @property
    def submission_uuid(self):
        try:
            return uuid.UUID(self.cleaned_data.get("submission_key", ""))
        except ValueError:
            return None

    def is_probably_bot(self, now=None):
        """A filled honeypot, altered hidden fields, or a form sent faster than a person could."""
        if self.cleaned_data.get("website") or self.submission_uuid is None:
            return True
        try:
            shown_at = float(signing.loads(self.cleaned_data["shown_at"], salt=SHOWN_AT_SALT))
        except (signing.BadSignature, TypeError, ValueError):
            return True
        return (now or time.time()) - shown_at < settings.CONSULT_MIN_SECONDS


class RescheduleForm(forms.Form):
    slot = SlotChoiceField(
        allow_none=False,
        label="Pick a new time",
        error_messages={"required": "Please pick a new time."},
    )

    @property
    def chosen_start(self):
        return slots.parse_key(self.cleaned_data.get("slot"))
