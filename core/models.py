"""The practice profile: who the practice is, how to reach it, its license, its country
(the crisis wording, core.crisis), who processes visitors' information for it, and its
time zone.

Shared by the blog (header, footer, meta tags) and consults (the time zone every
slot is computed in), so it lives in neither of them.
"""

import zoneinfo

from django.core.exceptions import ValidationError
from django.db import models

from . import crisis


def validate_time_zone(value):
    if value not in zoneinfo.available_timezones():
        raise ValidationError(f"“{value}” is not a time zone name such as America/New_York.")


class PracticeProfile(models.Model):
    """A single row, edited in admin under "Practice profile"."""

    practice_name = models.CharField(
        max_length=120,
        default="Your Practice Name",
        help_text="Shown in the header of every page and in emails.",
    )
    therapist_name = models.CharField(
        max_length=120,
        default="Your Name",
        help_text="Your name as clients should see it.",
    )
    credentials = models.CharField(
        max_length=200,
        blank=True,
        default="Your credentials (please edit)",
        help_text="Your qualifications as clients should see them after your name in the footer, "
        "for example “PhD” or “LMFT”. Your license has its own fields below.",
    )
    contact_email = models.EmailField(
        blank=True,
        help_text="A public address for general questions. Leave blank to show none.",
    )
    contact_phone = models.CharField(
        max_length=40,
        blank=True,
        help_text="A public phone number. Leave blank to show none.",
    )
    location = models.CharField(
        max_length=200,
        blank=True,
        default="Telehealth (please edit: where you see clients)",
        help_text="Where you see clients, or that you work by telehealth, and in which states or regions.",
    )
    web_host = models.CharField(
        "who hosts this website",
        max_length=120,
        blank=True,
        help_text="The company whose servers run this website and its database, for example "
        "“DigitalOcean” or “Heroku”. The privacy page names it: it stores what visitors send "
        "on your behalf.",
    )
    email_provider = models.CharField(
        "who sends the website's email",
        max_length=120,
        blank=True,
        help_text="The company that delivers the website's emails (the mail server in its "
        "settings), for example “Postmark” or “Fastmail”. The privacy page names it.",
    )
    consumer_health_data_page = models.BooleanField(
        "show a consumer health data privacy page",
        default=False,
        help_text="Some US states (Washington's My Health My Data Act, and similar laws in "
        "Nevada and Connecticut) ask for a separate consumer health data privacy policy, "
        "linked from the home page, when you may hear from people there. On: the page is at "
        "/consumer-health-data/, written from your settings, and linked from the home page "
        "and every page's footer. Please check the rules where you and your clients are.",
    )
    license_type = models.CharField(
        max_length=120,
        blank=True,
        help_text="For example “Licensed Marriage and Family Therapist” or “HCPC registered "
        "counselling psychologist”. Shown on the About page and in the footer.",
    )
    license_number = models.CharField(
        max_length=60,
        blank=True,
        help_text="As your licensing board or register shows it. Shown beside the type.",
    )
    licensed_places = models.TextField(
        "where you may practice",
        max_length=1000,
        blank=True,
        help_text="The states or countries where your license lets you see clients, one per "
        "line (for example “California”). When filled in, the consult form asks visitors "
        "where they will be during sessions, and gently tells anyone somewhere else that you "
        "may not be able to see them there. Please check the rules of each place, including "
        "for telehealth.",
    )
    country = models.CharField(
        max_length=8,
        # A callable: the table lives in core.crisis, and editing it needs no migration.
        choices=crisis.country_choices,
        default=crisis.DEFAULT,
        help_text="Where your practice is. It sets the crisis lines every page and every email "
        "to a visitor gives, and (in the United States) the Good Faith Estimate notice. The "
        "wording follows each country's official services; please check it against your "
        "local rules and professional guidance.",
    )
    crisis_emergency_number = models.CharField(
        "local emergency number",
        max_length=20,
        blank=True,
        help_text="Only for “Another country”: the number to call in immediate danger, for example 000.",
    )
    crisis_line = models.CharField(
        max_length=200,
        blank=True,
        help_text="Only for “Another country”: a crisis line, finishing the sentence “Please "
        "call …”, for example “Lifeline on 13 11 14, any time”. Its numbers become links.",
    )
    crisis_wording_checked = models.BooleanField(
        "I have checked the crisis wording",
        default=False,
        help_text="Tick once you have read the crisis wording above as visitors see it and "
        "checked it against your local rules. Changing the country unticks it.",
    )
    time_zone = models.CharField(
        max_length=64,
        default="America/New_York",
        validators=[validate_time_zone],
        help_text="Your time zone. Your availability and every consult time use it.",
    )

    class Meta:
        verbose_name = "practice profile"
        verbose_name_plural = "practice profile"

    def __str__(self):
        return self.practice_name

    def save(self, *args, **kwargs):
        self.pk = 1
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise models.ProtectedError("The practice profile cannot be deleted.", [self])

    def clean(self):
        if self.country == crisis.OTHER:
            missing = "For “Another country”, please type {what}, so visitors in crisis know where to turn."
            errors = {}
            if not self.crisis_emergency_number.strip():
                errors["crisis_emergency_number"] = missing.format(
                    what="your local emergency number"
                )
            if not self.crisis_line.strip():
                errors["crisis_line"] = missing.format(what="a crisis line")
            if errors:
                raise ValidationError(errors)

    @property
    def crisis(self):
        """The crisis wording for this practice's country (core.crisis.Notice)."""
        return crisis.notice_for(self.country, self.crisis_emergency_number, self.crisis_line)

    @property
    def in_us(self):
        """A US practice shows the Good Faith Estimate notice (No Surprises Act)."""
        return self.country == "US"

    @property
    def places(self):
        """The places the therapist may practice, one per line, in their order, once each."""
        lines = (line.strip() for line in self.licensed_places.splitlines())
        return list(dict.fromkeys(line for line in lines if line))

    @property
    def places_text(self):
        """The places as a phrase: "California", "California and Oregon", "A, B and C"."""
        places = self.places
        return " and ".join([", ".join(places[:-1]), places[-1]] if len(places) > 1 else places)

    @property
    def tz(self):
        return zoneinfo.ZoneInfo(self.time_zone)

    @classmethod
    def load(cls):
        """The profile (created with placeholder wording if missing)."""
        profile, _ = cls.objects.get_or_create(pk=1)
        return profile
