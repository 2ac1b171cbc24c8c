"""The free-consult form, and the visitor's forms for changing their request.

Every field has a length limit and a plain-language error. The form also carries
two quiet bot checks: a honeypot field people never see, and the time since the
form was shown (bots post at once).

Its submission key is signed with the moment the form was shown and the browser it
was shown to (the CSRF cookie's secret): a key works once, from that browser, for
settings.CONSULT_FORM_MAX_AGE; a key copied into another browser's form is ignored.
Fields are declared in the order the page shows them, so the error summary follows it.
"""

import hashlib
import re
import time
import uuid
import zoneinfo

from django import forms
from django.conf import settings
from django.core import signing
from django.urls import reverse
from django.utils.html import format_html

from . import slots
from .models import ConsultRequest

NONE_OF_THESE = "none"
SOMEWHERE_ELSE = "somewhere-else"  # the place select's last option (stored as its label)
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


def too_long(what="this"):
    """The error for a field over its limit, in words (Django's says "Ensure this value …")."""
    return (
        f"Please shorten {what} to at most %(limit_value)d characters (it has %(show_value)d now)."
    )


# Zones offered in the picker's select: the places most visitors write from. Any other
# valid zone (the one a browser reports, say) is accepted and added to the list.
COMMON_ZONES = [
    "Pacific/Honolulu",
    "America/Anchorage",
    "America/Los_Angeles",
    "America/Vancouver",
    "America/Phoenix",
    "America/Denver",
    "America/Chicago",
    "America/Mexico_City",
    "America/New_York",
    "America/Toronto",
    "America/Bogota",
    "America/Lima",
    "America/Halifax",
    "America/Santiago",
    "America/St_Johns",
    "America/Sao_Paulo",
    "America/Argentina/Buenos_Aires",
    "UTC",
    "Europe/London",
    "Europe/Dublin",
    "Europe/Lisbon",
    "Africa/Lagos",
    "Europe/Paris",
    "Europe/Madrid",
    "Europe/Amsterdam",
    "Europe/Brussels",
    "Europe/Berlin",
    "Europe/Zurich",
    "Europe/Rome",
    "Europe/Stockholm",
    "Europe/Oslo",
    "Europe/Copenhagen",
    "Europe/Warsaw",
    "Africa/Johannesburg",
    "Africa/Cairo",
    "Europe/Athens",
    "Europe/Helsinki",
    "Europe/Kyiv",
    "Asia/Jerusalem",
    "Europe/Istanbul",
    "Africa/Nairobi",
    "Europe/Moscow",
    "Asia/Dubai",
    "Asia/Karachi",
    "Asia/Kolkata",
    "Asia/Dhaka",
    "Asia/Bangkok",
    "Asia/Singapore",
    "Asia/Hong_Kong",
    "Asia/Shanghai",
    "Asia/Manila",
    "Australia/Perth",
    "Asia/Seoul",
    "Asia/Tokyo",
    "Australia/Adelaide",
    "Australia/Brisbane",
    "Australia/Sydney",
    "Australia/Melbourne",
    "Pacific/Auckland",
]


def valid_zone(key):
    """The ZoneInfo a posted zone names, or None if it is not a real zone."""
    if not key or key not in zoneinfo.available_timezones():
        return None
    return zoneinfo.ZoneInfo(key)


def zone_choices(*keys):
    """The select's options: the common zones, plus any of `keys` not among them."""
    extra = [key for key in dict.fromkeys(keys) if key and key not in COMMON_ZONES]
    return [(key, slots.zone_name(zoneinfo.ZoneInfo(key))) for key in extra + COMMON_ZONES]


class ZoneForm(forms.Form):
    """The visitor's own time zone: every time on the page is shown in it."""

    zone = forms.CharField(
        label="Show times in",
        required=False,
        max_length=64,
        widget=forms.Select(attrs={"autocomplete": "off", "class": "form-select"}),
    )

    def __init__(self, *args, current_zone=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["zone"].widget.choices = zone_choices(current_zone)

    def clean_zone(self):
        # Never an error: a zone the server does not know falls back to the practice's.
        zone = valid_zone(self.cleaned_data["zone"])
        return zone.key if zone else ""


def browser_mark(csrf_secret):
    """A short fingerprint of the browser's CSRF secret, to bind a form to that browser."""
    return hashlib.sha256((csrf_secret or "").encode()).hexdigest()[:16]


class ConsultForm(ZoneForm):
    no_time = forms.BooleanField(label="None of these times work for me", required=False)
    slot = SlotChoiceField(
        label="Pick a time that suits you",
        required=False,
        error_messages={"required": "Please pick a time, or choose “None of these times work”."},
    )
    availability = forms.CharField(
        label="When are you usually free?",
        max_length=500,
        required=False,
        help_text="Needed only if none of the times work: for example “weekday mornings” "
        "or “Tuesdays after 5 pm”.",
        error_messages={"max_length": too_long("this")},
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    name = forms.CharField(
        label="What should I call you?",
        max_length=100,
        help_text="A first name or a nickname is fine.",
        error_messages={
            "required": "Please tell me what to call you.",
            "max_length": too_long("the name"),
        },
        widget=forms.TextInput(attrs={"autocomplete": "given-name"}),
    )
    email = forms.EmailField(
        label="Email",
        max_length=254,
        help_text="I send a confirmation here, with a link to change or cancel.",
        error_messages={
            "required": "Please give an email address, so I can confirm your request.",
            "invalid": "Please check the email address: it should look like name@example.com.",
            "max_length": too_long("the email address"),
        },
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    phone = forms.CharField(
        label="Phone (optional)",
        max_length=32,
        required=False,
        help_text="Only needed if you would like a call or a text.",
        error_messages={"max_length": too_long("the phone number")},
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
    # Asked only when the practice profile lists where the therapist may practice.
    place = forms.ChoiceField(
        label="Where will you be during our sessions?",
        help_text="I can only see clients where my license allows. If you move around, "
        "choose where you will usually be.",
        widget=forms.Select(attrs={"autocomplete": "off"}),
        error_messages={
            "required": "Please choose where you will be, or “Somewhere else”.",
            "invalid_choice": "Please choose one of the places listed, or “Somewhere else”.",
        },
    )
    send_anyway = forms.BooleanField(
        label="I understand, send my request anyway",
        required=False,
        widget=forms.CheckboxInput(attrs={"class": "form-check-input"}),
    )
    # Asked only of visitors to a US practice: it tells the therapist when a Good Faith
    # Estimate is due (ConsultRequest.good_faith_estimate_due).
    payment = forms.ChoiceField(
        label="Will you use insurance, or pay yourself? (optional)",
        required=False,
        help_text="It helps me tell you about fees. Nothing is decided by it.",
        choices=[
            ("", "I’d rather not say"),
            (ConsultRequest.Payment.INSURANCE, "I will use insurance"),
            (ConsultRequest.Payment.SELF_PAY, "I will pay myself"),
            (ConsultRequest.Payment.NOT_SURE, "Not sure yet"),
        ],
        widget=forms.Select(attrs={"autocomplete": "off"}),
        error_messages={"invalid_choice": "Please choose one of the answers listed."},
    )
    message = forms.CharField(
        label="A brief note (optional)",
        max_length=1000,
        required=False,
        help_text="A few words are plenty. Share only what you want to; we can talk about the rest on the call.",
        error_messages={"max_length": too_long("the note")},
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
    shown_at = forms.CharField(widget=forms.HiddenInput, required=False, max_length=400)

    def __init__(
        self,
        *args,
        open_slots=(),
        browser="",
        current_zone=None,
        places=(),
        ask_payment=False,
        **kwargs,
    ):
        super().__init__(*args, current_zone=current_zone, **kwargs)
        self.browser = browser_mark(browser)
        if places:
            self.fields["place"].choices = [
                ("", "Choose a place"),
                *((place, place) for place in places),
                (SOMEWHERE_ELSE, "Somewhere else"),
            ]
        else:
            del self.fields["place"], self.fields["send_anyway"]
        if not ask_payment:
            del self.fields["payment"]
        self.fields["consent"].label = format_html(
            'I understand this form is not for emergencies, and I agree to the <a href="{}">privacy policy</a>.',
            reverse("blog:page", args=["privacy"]),
        )
        if not open_slots:
            self.fields["no_time"].initial = True
        self.fields["website"].widget.attrs.update({"tabindex": "-1", "autocomplete": "off"})

    @staticmethod
    def initial_values(browser, key=None):
        """A fresh submission key (or `key`), signed with now and the browser (see the
        module's docstring). A browser that sent no CSRF cookie is ""."""
        key = key or str(uuid.uuid4())
        shown = [time.time(), key, browser_mark(browser)]
        return {"submission_key": key, "shown_at": signing.dumps(shown, salt=SHOWN_AT_SALT)}

    def _shown(self):
        """(when the form was shown, its key, its browser), or None if altered."""
        try:
            shown_at, key, browser = signing.loads(
                self.data.get("shown_at", ""), salt=SHOWN_AT_SALT
            )
            return float(shown_at), key, browser
        except (signing.BadSignature, TypeError, ValueError):
            return None

    @property
    def expired(self):
        """Shown longer ago than settings.CONSULT_FORM_MAX_AGE (a tab left open overnight)."""
        shown = self._shown()
        return shown is not None and time.time() - shown[0] > settings.CONSULT_FORM_MAX_AGE

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

    def clean_place(self):
        place = self.cleaned_data["place"]
        return ConsultRequest.SOMEWHERE_ELSE if place == SOMEWHERE_ELSE else place

    @property
    def somewhere_else(self):
        """The visitor chose "Somewhere else" (sent, or being shown again after a send)."""
        return "place" in self.fields and self["place"].value() == SOMEWHERE_ELSE

    @property
    def only_asks_to_confirm_place(self):
        """The one thing keeping the form from being sent is "send my request anyway"."""
        return set(self.errors) == {"send_anyway"}

    def clean(self):
        data = super().clean()
        if data.get("place") == ConsultRequest.SOMEWHERE_ELSE and not data.get("send_anyway"):
            # Not sent yet: the page shows the message about being elsewhere first.
            self.add_error(
                "send_anyway",
                "please read the note about being somewhere else, then tick this box if "
                "you would like to send your request anyway.",
            )
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
        if data.get("no_time"):
            data["slot"] = NONE_OF_THESE
        elif not data.get("slot") and "slot" not in self.errors:
            self.add_error("slot", self.fields["slot"].error_messages["required"])
        if data.get("slot") == NONE_OF_THESE and not data.get("availability"):
            self.add_error(
                "availability",
                "Please say when you are usually free, since none of the times work.",
            )
        if self.expired:
            self.add_error(
                None,
                "This form was open for a long time, so nothing was sent yet. Please check "
                "your time and send it again.",
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
        """A filled honeypot, altered hidden fields (a key not shown with this form, or to
        another browser), or a form sent faster than a person could."""
        if self.cleaned_data.get("website") or self.submission_uuid is None:
            return True
        shown = self._shown()
        if shown is None:
            return True
        shown_at, key, browser = shown
        if key != str(self.submission_uuid) or browser != self.browser:
            return True
        return (now or time.time()) - shown_at < settings.CONSULT_MIN_SECONDS


class RescheduleForm(ZoneForm):
    slot = SlotChoiceField(
        allow_none=False,
        label="Pick a new time",
        error_messages={"required": "Please pick a new time."},
    )

    @property
    def chosen_start(self):
        return slots.parse_key(self.cleaned_data.get("slot"))


class AvailabilityForm(forms.Form):
    """A request without a time: when the visitor is usually free, changed from their link."""

    availability = forms.CharField(
        label="When are you usually free?",
        max_length=500,
        help_text="For example “weekday mornings” or “Tuesdays after 5 pm”.",
        error_messages={
            "required": "Please say when you are usually free.",
            "max_length": too_long("this"),
        },
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def clean_availability(self):
        text = clean_text(self.cleaned_data["availability"])
        if not text:
            raise forms.ValidationError("Please say when you are usually free.")
        return text
