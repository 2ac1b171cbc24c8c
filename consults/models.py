"""Free consults: the therapist's availability and rules, consult requests, outgoing email.

A consult request may hold a time (starts_at / ends_at). The database itself refuses
two active holds that overlap, buffer included: see ConsultRequest.Meta.constraints.
"""

import secrets
import uuid
from datetime import timedelta

from django.conf import settings
from django.contrib.postgres.constraints import ExclusionConstraint
from django.contrib.postgres.fields import DateTimeRangeField, RangeOperators
from django.contrib.postgres.indexes import GistIndex
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Func, Q
from django.urls import reverse
from django.utils import timezone


def new_calendar_token():
    return secrets.token_urlsafe(32)


class BookingRules(models.Model):
    """A single row: how consults can be booked, edited in admin as "Booking rules"."""

    consult_minutes = models.PositiveSmallIntegerField(
        "consult length (minutes)",
        default=20,
        help_text="How long a free consult call lasts.",
    )
    buffer_minutes = models.PositiveSmallIntegerField(
        "buffer between consults (minutes)",
        default=10,
        help_text="Free time kept after each consult before the next one can start.",
    )
    min_notice_hours = models.PositiveSmallIntegerField(
        "minimum notice (hours)",
        default=24,
        help_text="The soonest a new consult can start, counted from the moment someone books.",
    )
    horizon_days = models.PositiveSmallIntegerField(
        "how far ahead (days)",
        default=21,
        help_text="How many days ahead people can book.",
    )
    max_per_day = models.PositiveSmallIntegerField(
        "most consults a day",
        default=4,
        help_text="No more consults than this are offered on any one day.",
    )
    requires_confirmation = models.BooleanField(
        "each booking needs my confirmation",
        default=True,
        help_text="On: a booked time waits for you to confirm it. Off: bookings are confirmed at once.",
    )
    cancellation_window_hours = models.PositiveSmallIntegerField(
        "cancellation window (hours)",
        default=12,
        help_text="Visitors can cancel or change their time online until this many hours before the call.",
    )
    hold_hours = models.PositiveSmallIntegerField(
        "hold an unconfirmed time for (hours)",
        default=72,
        help_text="A time someone picked waits this long for your confirmation. After that it "
        "opens again for others, the person gets a kind email, and their request stays with "
        "you without a time.",
    )
    call_details = models.TextField(
        "how the call happens",
        max_length=1000,
        default="I will call you at the time we agreed, by phone or by video, whichever you prefer. "
        "(Please edit: say how your calls work.)",
        help_text="Put in confirmations and calendar invitations. Do not put private links here if you reuse them.",
    )
    decline_message = models.TextField(
        "default message when declining",
        max_length=2000,
        default="Thank you for reaching out. I am not able to offer a consult at this time, "
        "and I am sorry I cannot help directly. If you would like, I can suggest other "
        "therapists who may be a good fit: just reply to this email.",
        help_text="Sent to a visitor when you decline their request. You can change it for each request.",
    )
    reply_time = models.CharField(
        "how soon I reply",
        max_length=100,
        default="within about two working days",
        help_text="Finishes the sentence “I will reply …” on the booking pages and in emails, "
        "for example “within about two working days” or “by the end of the next weekday”.",
    )
    retention_days = models.PositiveSmallIntegerField(
        "keep closed requests for (days)",
        default=180,
        help_text="Completed, declined, cancelled and spam requests, and the text of sent emails, "
        "are deleted after this many days.",
    )
    retention_confirmed = models.BooleanField(
        "I have chosen this period",
        default=False,
        help_text="Tick once you have decided how long to keep closed requests. The privacy "
        "page tells visitors this number. Consult requests are not clinical records, but "
        "please check whether your licensing board or local law asks you to keep them.",
    )
    calendar_token = models.CharField(
        max_length=64,
        default=new_calendar_token,
        editable=False,
        help_text="The secret part of your private calendar address.",
    )

    class Meta:
        verbose_name = "booking rules"
        verbose_name_plural = "booking rules"

    def __str__(self):
        return "Booking rules"

    def save(self, *args, **kwargs):
        self.pk = 1
        super().save(*args, **kwargs)

    @classmethod
    def load(cls):
        rules, _ = cls.objects.get_or_create(pk=1)
        return rules

    @property
    def consult_length(self):
        return timedelta(minutes=self.consult_minutes)

    @property
    def buffer(self):
        return timedelta(minutes=self.buffer_minutes)


class WeeklyHoursQuerySet(models.QuerySet):
    def in_use(self):
        """The hours that make open times: the therapist's own. Only locally (DEBUG), and
        only while there are none, the example hours `make run` adds
        (manage.py add_example_hours), so a newcomer's booking page is not empty."""
        own = self.filter(example=False)
        if settings.DEBUG and not own.exists():
            return self.filter(example=True)
        return own


class WeeklyHours(models.Model):
    """A range of hours on one weekday when consults can happen, in the practice time zone.

    Example hours (`example`) exist only in a local database; the therapist's first
    own hours replace them (save()).
    """

    class Weekday(models.IntegerChoices):
        MONDAY = 0, "Monday"
        TUESDAY = 1, "Tuesday"
        WEDNESDAY = 2, "Wednesday"
        THURSDAY = 3, "Thursday"
        FRIDAY = 4, "Friday"
        SATURDAY = 5, "Saturday"
        SUNDAY = 6, "Sunday"

    weekday = models.PositiveSmallIntegerField(choices=Weekday.choices)
    start = models.TimeField(help_text="The first consult can start at this time.")
    end = models.TimeField(help_text="The last consult must end by this time.")
    example = models.BooleanField(
        default=False,
        editable=False,
        help_text="Added by `make run` on a new local database; never used in production.",
    )

    objects = WeeklyHoursQuerySet.as_manager()

    class Meta:
        ordering = ["weekday", "start"]
        verbose_name = "weekly hours"
        verbose_name_plural = "weekly hours"
        constraints = [
            models.CheckConstraint(
                condition=Q(start__lt=models.F("end")),
                name="weekly_hours_start_before_end",
                violation_error_message="The hours must end later than they start.",
            ),
        ]

    def __str__(self):
        hours = f"{self.get_weekday_display()} {self.start:%H:%M}–{self.end:%H:%M}"
        return (
            f"{hours} (example: add or change any hours to set your own)" if self.example else hours
        )

    def save(self, *args, **kwargs):
        # Hours the therapist adds or changes are their own, and the examples go.
        self.example = False
        super().save(*args, **kwargs)
        WeeklyHours.objects.filter(example=True).delete()

    def clean(self):
        # Two ranges on one day that overlap would offer the same times twice; say which.
        if self.weekday is None or self.start is None or self.end is None:
            return
        clash = (
            WeeklyHours.objects.filter(weekday=self.weekday, start__lt=self.end, end__gt=self.start)
            .exclude(pk=self.pk)
            .first()
        )
        if clash is not None:
            raise ValidationError(
                f"These hours overlap {clash} that you already have. Change or delete those first."
            )


class TimeOff(models.Model):
    """Days or hours with no consults (holidays, appointments), in the practice time zone."""

    start_date = models.DateField("first day")
    start_time = models.TimeField(
        "from", null=True, blank=True, help_text="Leave blank to take the whole first day off."
    )
    end_date = models.DateField("last day")
    end_time = models.TimeField(
        "until", null=True, blank=True, help_text="Leave blank to take the whole last day off."
    )
    note = models.CharField(
        "private note", max_length=200, blank=True, help_text="Only you see this."
    )

    class Meta:
        ordering = ["start_date", "start_time"]
        verbose_name = "time off"
        verbose_name_plural = "time off"
        constraints = [
            models.CheckConstraint(
                condition=Q(start_date__lte=models.F("end_date")),
                name="time_off_dates_in_order",
                violation_error_message="The last day cannot be before the first day.",
            ),
        ]

    def __str__(self):
        if self.start_date == self.end_date:
            return f"{self.start_date:%a %d %b %Y}"
        return f"{self.start_date:%d %b} – {self.end_date:%d %b %Y}"


class TsTzRange(Func):
    function = "TSTZRANGE"
    output_field = DateTimeRangeField()


class ConsultStatus(models.TextChoices):
    NEW = "new", "New"
    CONTACTED = "contacted", "Contacted"
    CONFIRMED = "confirmed", "Confirmed (scheduled)"
    COMPLETED = "completed", "Completed"
    NO_SHOW = "no_show", "No-show"
    DECLINED = "declined", "Declined"
    CANCELLED = "cancelled", "Cancelled"
    SPAM = "spam", "Spam"


# A request in one of these states keeps its time held; any other frees it. The one
# definition: the exclusion constraint below, every query and the admin use it.
HOLDING = (ConsultStatus.NEW, ConsultStatus.CONTACTED, ConsultStatus.CONFIRMED)
# Holding a time the therapist has not confirmed yet: such a hold lasts BookingRules.hold_hours.
UNCONFIRMED = (ConsultStatus.NEW, ConsultStatus.CONTACTED)
CLOSED = tuple(status for status in ConsultStatus if status not in HOLDING)


class ConsultRequest(models.Model):
    """One visitor's request for a free consult, with the time it holds, if any.

    Its status and time change only through consults.booking.
    """

    Status = ConsultStatus
    HOLDING = HOLDING
    CLOSED = CLOSED

    class ContactMethod(models.TextChoices):
        EMAIL = "email", "Email"
        PHONE = "phone", "Phone call"
        TEXT = "text", "Text message"

    class Payment(models.TextChoices):
        INSURANCE = "insurance", "Will use insurance"
        SELF_PAY = "self_pay", "Will pay themselves"
        NOT_SURE = "not_sure", "Not sure yet"

    # What `place` holds when the visitor will be somewhere the therapist did not list.
    SOMEWHERE_ELSE = "Somewhere else"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    submission_key = models.UUIDField(
        null=True,
        blank=True,
        unique=True,
        editable=False,
        help_text="Sent with the form so a double click or a refresh cannot create a second request.",
    )
    created_at = models.DateTimeField("received", default=timezone.now, db_index=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.NEW)
    status_changed_at = models.DateTimeField("status last changed", default=timezone.now)

    # What the visitor typed.
    name = models.CharField("name", max_length=100)
    email = models.EmailField("email", max_length=254)
    phone = models.CharField("phone", max_length=32, blank=True)
    contact_method = models.CharField(
        "preferred contact", max_length=8, choices=ContactMethod.choices
    )
    availability = models.TextField("usually free", max_length=500, blank=True)
    message = models.TextField("note", max_length=1000, blank=True)
    place = models.CharField(
        "where they will be during sessions",
        max_length=200,
        blank=True,
        help_text="One of the places your profile lists, or “Somewhere else”. Blank when "
        "your profile listed none.",
    )
    payment = models.CharField(
        "insurance or paying themselves",
        max_length=16,
        choices=Payment.choices,
        blank=True,
        help_text="Asked of visitors to a US practice, and optional.",
    )
    consented_at = models.DateTimeField("agreed to the privacy notice")

    # The time asked for, if the visitor picked one.
    starts_at = models.DateTimeField("consult starts", null=True, blank=True, db_index=True)
    ends_at = models.DateTimeField("consult ends", null=True, blank=True)
    blocked_until = models.DateTimeField(
        null=True,
        blank=True,
        editable=False,
        help_text="The end of the consult plus the buffer: no other consult may start before it.",
    )
    invitation_sequence = models.PositiveIntegerField(default=0, editable=False)
    held_since = models.DateTimeField(
        null=True,
        blank=True,
        editable=False,
        help_text="When the visitor picked the time it holds: an unconfirmed hold lasts from here.",
    )
    hold_expired_at = models.DateTimeField(
        "held time released",
        null=True,
        blank=True,
        editable=False,
        help_text="When the time this request held opened again, unconfirmed.",
    )
    expired_starts_at = models.DateTimeField(
        "time that was held",
        null=True,
        blank=True,
        editable=False,
        help_text="The time it held until then.",
    )
    moves = models.PositiveSmallIntegerField(
        "times moved by the visitor", default=0, editable=False
    )
    visitor_zone = models.CharField(
        "time zone",
        max_length=64,
        blank=True,
        help_text="Their emails and pages give times in this zone, with yours beside.",
    )
    # A keyed hash of the visitor's network (IPv4 address, IPv6 /64), never the address:
    # it only counts how many unconfirmed holds one network has.
    network = models.CharField(max_length=32, blank=True, editable=False)

    # The therapist's side.
    private_notes = models.TextField(
        blank=True, help_text="Only you see these. They are deleted with the request."
    )
    decline_message = models.TextField(
        blank=True,
        max_length=2000,
        help_text="Sent when you decline. Leave blank to use the default from Booking rules.",
    )

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            ExclusionConstraint(
                name="consult_holds_never_overlap",
                expressions=[
                    (TsTzRange("starts_at", "blocked_until"), RangeOperators.OVERLAPS),
                ],
                condition=Q(starts_at__isnull=False) & Q(status__in=HOLDING),
            ),
            models.CheckConstraint(
                name="consult_time_complete_and_ordered",
                condition=Q(
                    starts_at__isnull=True, ends_at__isnull=True, blocked_until__isnull=True
                )
                | Q(
                    starts_at__lt=models.F("ends_at"),
                    ends_at__lte=models.F("blocked_until"),
                ),
            ),
        ]

    def __str__(self):
        # The admin shows it in the practice's time zone (core.middleware.AdminTimeZoneMiddleware).
        return f"{self.name}, {self.when_text}"

    @property
    def when_text(self):
        if self.starts_at is None:
            return "no time yet"
        local = timezone.localtime(self.starts_at)
        return f"{local:%a} {local.day} {local:%b}, {local.hour % 12 or 12}:{local:%M} {local:%p}"

    def get_admin_url(self):
        return reverse("admin:consults_consultrequest_change", args=[self.pk])

    def good_faith_estimate_due(self, profile):
        """A US practice owes a Good Faith Estimate (No Surprises Act) to a client who will
        not use insurance: one who said they will pay themselves, or is not sure yet."""
        return profile.in_us and self.payment in (self.Payment.SELF_PAY, self.Payment.NOT_SURE)

    @property
    def holds_time(self):
        return self.starts_at is not None and self.status in self.HOLDING

    @property
    def first_name(self):
        return self.name.split()[0] if self.name.split() else ""


class EmailStatus(models.TextChoices):
    QUEUED = "queued", "Waiting"
    SENDING = "sending", "Sending now"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed (gave up)"
    CANCELLED = "cancelled", "Cancelled"


# Waiting to be sent, or claimed by a worker whose deadline may pass (outbox.py).
EMAIL_DUE = (EmailStatus.QUEUED, EmailStatus.SENDING)


class OutboundEmail(models.Model):
    """An email waiting for, or done with, delivery by the worker (the outbox).

    Written in the same transaction as whatever caused it, so an email exists exactly
    when its cause does; the worker delivers it and retries with backoff.
    """

    Status = EmailStatus
    DUE = EMAIL_DUE

    class Kind(models.TextChoices):
        NOTIFY_THERAPIST = "notify_therapist", "New request (to you)"
        ACKNOWLEDGE = "acknowledge", "Request received (to visitor)"
        CONFIRMED = "confirmed", "Confirmed (to visitor)"
        DECLINED = "declined", "Declined (to visitor)"
        CANCELLED = "cancelled", "Cancelled (to visitor)"
        RESCHEDULED = "rescheduled", "New time (to visitor)"
        REMINDER = "reminder", "Reminder (to visitor)"
        CHANGE_NOTICE = "change_notice", "Visitor changed or cancelled (to you)"
        OFFER = "offer", "Times offered (to visitor)"
        PASSWORD_RESET = "password_reset", "Password reset link (to you)"
        EARLIER_REQUEST = "earlier_request", "Earlier request stands (to visitor)"
        HOLD_EXPIRED = "hold_expired", "Held time released (to visitor)"
        CALENDAR_NOTICE = "calendar_notice", "Calendar not read, or read again (to you)"
        WITHDRAWN = "withdrawn", "Visitor deleted their request (to you)"

    kind = models.CharField(max_length=20, choices=Kind.choices)
    consult = models.ForeignKey(
        ConsultRequest,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="emails",
    )
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.QUEUED, db_index=True
    )
    created_at = models.DateTimeField(default=timezone.now)
    due_at = models.DateTimeField(
        "due since",
        default=timezone.now,
        help_text="When it was first meant to go out. Tries stop three days after this.",
    )
    send_after = models.DateTimeField(
        default=timezone.now, help_text="Not sent before this time (also the next retry)."
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.CharField(max_length=500, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    to = models.EmailField(max_length=254)
    subject = models.CharField(max_length=200)
    body_text = models.TextField()
    body_html = models.TextField(blank=True)
    ics = models.TextField("calendar attachment", blank=True)
    ics_method = models.CharField(max_length=10, blank=True)
    message_id = models.CharField(max_length=200, editable=False)
    consult_starts_at = models.DateTimeField(
        "consult time written for",
        null=True,
        blank=True,
        editable=False,
        help_text="The consult time this email was written for. A reminder whose consult has "
        "moved since is not sent.",
    )

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "outgoing email"
        indexes = [
            models.Index(
                fields=["send_after"],
                condition=Q(status__in=EMAIL_DUE),
                name="outbox_due_idx",
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} #{self.pk}"


class ConsultEvent(models.Model):
    """One thing that happened to a request, for its timeline in admin.

    Written by consults.booking in the transaction of the change it records; deleted
    with the request (retention, or the visitor's own deletion). Emails are not copied
    here: the timeline reads them from the outbox, with their delivery state.
    """

    class Kind(models.TextChoices):
        RECEIVED = "received", "Request received"
        MOVED = "moved", "Time moved"
        GIVEN_TIME = "given_time", "Given a time"
        OFFERED = "offered", "Times offered"
        PICKED = "picked", "Picked an offered time"
        CONFIRMED = "confirmed", "Confirmed"
        DECLINED = "declined", "Declined"
        CANCELLED = "cancelled", "Cancelled"
        EXPIRED = "expired", "Hold expired"
        STATUS = "status", "Status changed"
        NOTE = "note", "Private note changed"

    class By(models.TextChoices):
        VISITOR = "visitor", "the visitor"
        THERAPIST = "therapist", "you"
        SITE = "site", "the website"

    consult = models.ForeignKey(ConsultRequest, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(default=timezone.now, db_index=True)
    kind = models.CharField(max_length=16, choices=Kind.choices)
    by = models.CharField(max_length=10, choices=By.choices)
    old_starts_at = models.DateTimeField(null=True, blank=True)
    new_starts_at = models.DateTimeField(null=True, blank=True)
    detail = models.TextField(blank=True)

    class Meta:
        ordering = ["at", "pk"]
        verbose_name = "timeline entry"
        verbose_name_plural = "timeline"

    def __str__(self):
        return f"{self.get_kind_display()} by {self.get_by_display()}"


class ErasureRecord(models.Model):
    """That a request was erased: when, by whom, how much. Nothing about the person.

    Kept so the therapist can show that an erasure happened (a visitor deleting their
    request from their link, or the therapist erasing an address) without keeping what
    was erased: no name, no address, not even a hash of one.
    """

    class By(models.TextChoices):
        VISITOR = "visitor", "The visitor, from their own link"
        THERAPIST = "therapist", "In the admin"

    at = models.DateTimeField("when", default=timezone.now, db_index=True)
    by = models.CharField("erased by", max_length=10, choices=By.choices)
    admin_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name="admin account",
        help_text="Who erased it in the admin; empty when the visitor did.",
    )
    requests = models.PositiveIntegerField("requests erased", default=0)
    emails = models.PositiveIntegerField("emails erased", default=0)

    class Meta:
        ordering = ["-at"]
        verbose_name = "erasure record"
        verbose_name_plural = "erasure records"

    def __str__(self):
        return f"Erasure on {timezone.localtime(self.at):%d %b %Y}"


class ConsultOffer(models.Model):
    """A time the therapist offered a request by email; the visitor picks one from their
    manage link. Offered times are kept off the booking page while the offer stands; the
    hold itself happens when the visitor picks, under the same database rule as any other."""

    consult = models.ForeignKey(ConsultRequest, on_delete=models.CASCADE, related_name="offers")
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    blocked_until = models.DateTimeField()
    offered_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["starts_at"]
        verbose_name = "offered time"

    def __str__(self):
        local = timezone.localtime(self.starts_at)
        return f"{local:%A} {local.day} {local:%B}, {local.hour % 12 or 12}:{local:%M} {local:%p}"


class CalendarSource(models.Model):
    """One of the therapist's own calendars, read for busy times (consults.calendars).

    The address and the password are secrets: stored encrypted (consults.calendars
    encrypts them with CALENDAR_KEY) and never shown again in full.
    """

    class Kind(models.TextChoices):
        ICS = "ics", "Calendar address (iCal / ICS link)"
        CALDAV = "caldav", "CalDAV calendar (server, user name, app password)"

    name = models.CharField(
        "name", max_length=80, help_text="Only you see this, e.g. “Practice calendar”."
    )
    kind = models.CharField("type", max_length=8, choices=Kind.choices, default=Kind.ICS)
    enabled = models.BooleanField(
        "in use", default=True, help_text="Off: its busy times are ignored and it is not read."
    )
    url_encrypted = models.TextField(editable=False)
    url_hint = models.CharField(
        "saved address", max_length=120, editable=False, help_text="The start of the address only."
    )
    username = models.CharField("user name", max_length=200, blank=True)
    password_encrypted = models.TextField(editable=False, blank=True)
    tentative_blocks = models.BooleanField(
        "tentative events count as busy",
        default=True,
        help_text="On: events marked “maybe” or “tentative” keep consults away too.",
    )
    write_consults = models.BooleanField(
        "add consults here",
        default=False,
        help_text="CalDAV only: confirmed consults are added to this calendar, moved when "
        "they move and removed when they are cancelled.",
    )
    refresh_minutes = models.PositiveSmallIntegerField(
        "read every (minutes)", default=10, help_text="How often the site reads this calendar."
    )

    # What the worker found (never edited by hand).
    next_refresh_at = models.DateTimeField(default=timezone.now, editable=False)
    last_attempt_at = models.DateTimeField(null=True, blank=True, editable=False)
    last_success_at = models.DateTimeField("last updated", null=True, blank=True, editable=False)
    last_error = models.CharField("last problem", max_length=300, blank=True, editable=False)
    etag = models.CharField(max_length=200, blank=True, editable=False)
    last_modified = models.CharField(max_length=100, blank=True, editable=False)
    stale_notified = models.BooleanField(default=False, editable=False)
    write_error = models.CharField(
        "last problem adding consults", max_length=300, blank=True, editable=False
    )
    write_retry_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["name"]
        verbose_name = "calendar I am busy in"
        verbose_name_plural = "calendars I am busy in"
        constraints = [
            models.CheckConstraint(
                name="calendar_write_needs_caldav",
                condition=Q(write_consults=False) | Q(kind="caldav"),
            ),
        ]

    def __str__(self):
        return self.name


class BusyPeriod(models.Model):
    """When the therapist is busy, from a calendar source: start and end, nothing else."""

    source = models.ForeignKey(CalendarSource, on_delete=models.CASCADE, related_name="busy")
    period = DateTimeRangeField()

    class Meta:
        indexes = [GistIndex(fields=["period"], name="busy_period_gist")]

    def __str__(self):
        return f"Busy {self.period.lower:%Y-%m-%d %H:%M}–{self.period.upper:%H:%M}"


class WrittenConsult(models.Model):
    """A confirmed consult as last written into a CalDAV source (what the worker diffs)."""

    source = models.ForeignKey(CalendarSource, on_delete=models.CASCADE, related_name="written")
    uid = models.CharField(max_length=200)
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["source", "uid"], name="written_consult_once"),
        ]

    def __str__(self):
        return self.uid
