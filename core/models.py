"""The practice profile: who the practice is, how to reach it, who processes visitors'
information for it, and its time zone.

Shared by the blog (header, footer, meta tags) and consults (the time zone every
slot is computed in), so it lives in neither of them.
"""

import zoneinfo

from django.core.exceptions import ValidationError
from django.db import models


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
        default="Your credentials and license (please edit)",
        help_text="For example your license type and number. Shown on the About page and in the footer.",
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

    @property
    def tz(self):
        return zoneinfo.ZoneInfo(self.time_zone)

    @classmethod
    def load(cls):
        """The profile (created with placeholder wording if missing)."""
        profile, _ = cls.objects.get_or_create(pk=1)
        return profile
