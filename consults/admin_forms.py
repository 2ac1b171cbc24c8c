"""The therapist's forms in admin: give a request a time, offer a few, time off that
knows about the consults already booked in it.

Times are typed on the practice's wall clock (a date and a time, as a phone's pickers
give them) and turned into moments by consults.booking.local_start. A time outside the
weekly hours or in time off is allowed after a warning; one that overlaps another
request's held time is refused, with that request named.
"""

from django import forms
from django.core.exceptions import ValidationError

from core.models import PracticeProfile

from . import booking, emails
from .models import BookingRules, TimeOff


def date_input():
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def time_input():
    return forms.TimeInput(attrs={"type": "time", "step": 300}, format="%H:%M")


def _start(day, wall_time):
    try:
        return booking.local_start(day, wall_time, PracticeProfile.load().tz)
    except booking.BookingError as error:
        raise ValidationError(str(error)) from None


class WarnedTimesForm(forms.Form):
    """Times the therapist types; warnings about them must be accepted with a tick."""

    anyway = forms.BooleanField(
        label="Yes, book it anyway",
        required=False,
        help_text="Tick this after reading the warnings above, to go ahead.",
    )

    def __init__(self, *args, consult, **kwargs):
        self.consult = consult
        self.warnings = []
        super().__init__(*args, **kwargs)

    def check(self, start, label=""):
        """Refuse a clash; collect the softer warnings."""
        if error := booking.clash_error(start, ignore=self.consult):
            raise ValidationError(f"{label}{error}")
        self.warnings += [f"{label}{warning}" for warning in booking.time_warnings(start)]


class GiveTimeForm(WarnedTimesForm):
    day = forms.DateField(label="Day", widget=date_input())
    at = forms.TimeField(label="Time", widget=time_input(), help_text="In your time zone.")
    field_order = ["day", "at", "anyway"]

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        data["start"] = _start(data["day"], data["at"])
        self.check(data["start"])
        if self.warnings and not data.get("anyway"):
            raise ValidationError("Please read the warning below before going ahead.")
        return data


class OfferTimesForm(WarnedTimesForm):
    day_1 = forms.DateField(label="First time: day", widget=date_input())
    at_1 = forms.TimeField(label="First time: time", widget=time_input())
    day_2 = forms.DateField(label="Second time: day", widget=date_input())
    at_2 = forms.TimeField(label="Second time: time", widget=time_input())
    day_3 = forms.DateField(label="Third time: day", widget=date_input(), required=False)
    at_3 = forms.TimeField(label="Third time: time", widget=time_input(), required=False)
    note = forms.CharField(
        label="A few words to go with them",
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Optional. Put in the email above the times.",
    )
    field_order = ["day_1", "at_1", "day_2", "at_2", "day_3", "at_3", "note", "anyway"]

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        if bool(data.get("day_3")) != bool(data.get("at_3")):
            raise ValidationError("For a third time, give both its day and its time.")
        starts = []
        for number, label in ((1, "First time: "), (2, "Second time: "), (3, "Third time: ")):
            if data.get(f"day_{number}"):
                start = _start(data[f"day_{number}"], data[f"at_{number}"])
                self.check(start, label)
                starts.append(start)
        if len(set(starts)) < len(starts):
            raise ValidationError("Two of the times are the same. Please offer different times.")
        data["starts"] = starts
        if self.warnings and not data.get("anyway"):
            raise ValidationError("Please read the warnings below before going ahead.")
        return data


class DeclineForm(forms.Form):
    message = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 8, "cols": 70}),
        max_length=2000,
        help_text="Sent to the visitor as it is. Be kind: they may have found it hard to ask.",
    )


KEEP, MOVE, CANCEL = "keep", "move", "cancel"


class TimeOffForm(forms.ModelForm):
    """Time off, and what happens to each consult already booked in it.

    The consults it covers are listed before anything is saved: the first save shows
    them with a choice for each (keep, move to another time, or cancel with a message);
    the next save applies the choices (TimeOffAdmin.save_model).
    """

    class Meta:
        model = TimeOff
        fields = ["start_date", "start_time", "end_date", "end_time", "note"]
        widgets = {
            "start_date": date_input(),
            "end_date": date_input(),
            "start_time": time_input(),
            "end_time": time_input(),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.affected = self._affected()
        for consult in self.affected:
            self.fields[f"decide_{consult.pk}"] = forms.ChoiceField(
                label=str(consult),
                choices=[
                    (KEEP, "Keep it"),
                    (MOVE, "Move it to another time (they are emailed, and can change it)"),
                    (CANCEL, "Cancel it (they are emailed the message below)"),
                ],
                widget=forms.RadioSelect,
                required=False,  # asked for once the list has been shown (clean)
            )
            self.fields[f"day_{consult.pk}"] = forms.DateField(
                label="New day", required=False, widget=date_input()
            )
            self.fields[f"at_{consult.pk}"] = forms.TimeField(
                label="New time", required=False, widget=time_input()
            )
        if self.affected:
            self.fields["for_all"] = forms.ChoiceField(
                label="For all of them",
                required=False,
                choices=[("", "Choose for each one"), (KEEP, "Keep all"), (CANCEL, "Cancel all")],
            )
            self.fields["cancel_message"] = forms.CharField(
                label="Message to anyone whose consult you cancel",
                initial=emails.THERAPIST_CANCEL_MESSAGE,
                required=False,
                max_length=2000,
                widget=forms.Textarea(attrs={"rows": 4}),
            )
            # Which consults the page listed: a save that has not seen them shows them.
            self.fields["shown"] = forms.CharField(widget=forms.HiddenInput, required=False)
            if self.is_bound and "cancel_message" not in self.data:
                self.data = self.data.copy()
                self.data["cancel_message"] = emails.THERAPIST_CANCEL_MESSAGE

    def affected_rows(self):
        """(consult, its choice, new day, new time) for the template."""
        return [
            (c, self[f"decide_{c.pk}"], self[f"day_{c.pk}"], self[f"at_{c.pk}"])
            for c in self.affected
        ]

    @property
    def shown_key(self):
        return ",".join(str(consult.pk) for consult in self.affected)

    def _value(self, name):
        """A field's value as typed (or as stored), or None if it is not valid yet."""
        field = self.fields[name]
        if self.is_bound:
            raw = field.widget.value_from_datadict(self.data, self.files, self.add_prefix(name))
        else:
            raw = self.initial.get(name)
        try:
            return field.clean(raw)
        except ValidationError:
            return None

    def _affected(self):
        """The held consults inside the time off as typed (or as stored, before a change)."""
        start_date, end_date = self._value("start_date"), self._value("end_date")
        if start_date is None or end_date is None or end_date < start_date:
            return []
        start, end = booking.slots.time_off_interval(
            start_date,
            self._value("start_time"),
            end_date,
            self._value("end_time"),
            PracticeProfile.load().tz,
        )
        return list(booking.held_between(start, end))

    def clean(self):
        data = super().clean()
        if not self.affected:
            return data
        if data.get("shown") != self.shown_key:
            raise ValidationError(
                f"This time off covers {len(self.affected)} consult"
                f"{'s' if len(self.affected) > 1 else ''} already booked, listed below. "
                "Choose what happens to each, then save again."
            )
        data["cancel_message"] = data.get("cancel_message") or emails.THERAPIST_CANCEL_MESSAGE
        data["decisions"] = {}
        for consult in self.affected:
            decision = data.get("for_all") or data.get(f"decide_{consult.pk}")
            if not decision:
                self.add_error(f"decide_{consult.pk}", "Choose what happens to this consult.")
                continue
            new_start = None
            if decision == MOVE:
                day, at = data.get(f"day_{consult.pk}"), data.get(f"at_{consult.pk}")
                if not day or not at:
                    self.add_error(f"day_{consult.pk}", "Give the day and time to move it to.")
                    continue
                try:
                    new_start = _start(day, at)
                except ValidationError as error:
                    self.add_error(f"day_{consult.pk}", error)
                    continue
                if error := booking.clash_error(new_start, ignore=consult):
                    self.add_error(f"day_{consult.pk}", error)
                    continue
            data["decisions"][consult] = (decision, new_start)
        return data


def default_decline_message(consults):
    single = consults[0].decline_message if len(consults) == 1 else ""
    return single or BookingRules.load().decline_message
