"""The therapist's own calendars: busy times read from them, confirmed consults written back.

A CalendarSource is either a calendar address (an ICS file over https; `webcal:` means
https) or a CalDAV calendar. The worker (`manage.py deliver_email --loop`) calls
`refresh_due_sources()`; no web request ever reads a calendar.

- Reading keeps only the start and end of each busy period: no title, description,
  attendees or location is stored. Repeats, exceptions, time zones (with Google's
  X-WR-TIMEZONE), floating and all-day times are expanded by icalendar,
  x-wr-timezone and recurring-ical-events, the way calendar apps show them.
- Fetching uses conditional GET, a short timeout, a size cap, at most MAX_REDIRECTS
  redirects, https only, and refuses addresses on private or loopback networks
  (server-side request forgery) unless settings.CALENDAR_ALLOW_LOCAL (tests only).
- Fail-safe: a source that cannot be read keeps its last good busy periods. Once it
  has gone unread longer than settings.CALENDAR_STALE_AFTER (or was never read), no
  time inside the booking horizon is offered (`busy_intervals`), the admin lists it
  (`sources_needing_attention`) and the therapist gets one email, and one more when it
  recovers.
- Write-back: for a CalDAV source marked "add consults here", the worker compares the
  confirmed consults with what it last wrote (WrittenConsult) and puts, moves or
  deletes events until they match; a failure is simply retried on a later round.

Secrets (the address, which often carries a private token, and the password) are
encrypted with CALENDAR_KEY, and never appear in logs, stored errors or emails: errors
are described by kind, never by the library's message, which may quote the address.
"""

import base64
import contextlib
import hashlib
import ipaddress
import logging
import socket
from datetime import UTC, datetime, time, timedelta
from urllib.parse import urljoin, urlsplit, urlunsplit

import caldav
import icalendar
import recurring_ical_events
import requests
import requests.adapters
import urllib3
import x_wr_timezone
from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.contrib.postgres.fields import DateTimeRangeField
from django.db import transaction
from django.db.backends.postgresql.psycopg_any import DateTimeTZRange
from django.db.models import Q, Value
from django.utils import timezone

from core.models import PracticeProfile

from . import invitations, outbox
from .models import (
    HOLDING,
    BookingRules,
    BusyPeriod,
    CalendarSource,
    ConsultRequest,
    OutboundEmail,
    WrittenConsult,
)

logger = logging.getLogger(__name__)

MAX_REDIRECTS = 3
WRITE_RETRY = timedelta(minutes=1)
# Read a little past the booking horizon, so a day at its edge is complete.
READ_MARGIN = timedelta(days=2)
# Consults written to a calendar that ended longer ago than this are left alone.
WRITTEN_LOOKBACK = timedelta(days=7)
WRITTEN_STATUSES = (
    ConsultRequest.Status.CONFIRMED,
    ConsultRequest.Status.COMPLETED,
    ConsultRequest.Status.NO_SHOW,
)


class CalendarError(Exception):
    """A calendar that could not be read or written; the message is for the therapist
    and never quotes the address or the password."""


# Secrets ---------------------------------------------------------------------------


def _fernet():
    keys = [key.strip() for key in settings.CALENDAR_KEY.split(",") if key.strip()]
    if not keys:
        digest = hashlib.sha256(b"calendar-sources:" + settings.SECRET_KEY.encode()).digest()
        keys = [base64.urlsafe_b64encode(digest).decode()]
    return MultiFernet([Fernet(key) for key in keys])


def encrypt(text):
    return _fernet().encrypt(text.encode()).decode() if text else ""


def decrypt(token):
    if not token:
        return ""
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken as error:
        raise CalendarError(
            "The saved address or password can no longer be read (the site's key changed). "
            "Please enter them again."
        ) from error


def _schemes():
    return ("https", "http") if settings.CALENDAR_ALLOW_LOCAL else ("https",)


def normalise_url(url):
    """`webcal:` means https; anything else must be https (http only in tests)."""
    url = url.strip()
    if url.lower().startswith("webcal://"):
        url = "https://" + url[len("webcal://") :]
    parts = urlsplit(url)
    if parts.scheme.lower() not in _schemes() or not parts.hostname:
        raise CalendarError("The address must start with https:// or webcal://.")
    return url


def url_hint(url):
    """What the admin shows of a stored address: the server's name, never the token."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.hostname or "", "/…", "", ""))


def set_secrets(source, *, url=None, password=None):
    """Store a new address and/or password on the source (encrypted); not saved."""
    if url is not None:
        url = normalise_url(url)
        source.url_encrypted = encrypt(url)
        source.url_hint = url_hint(url)
        source.etag = source.last_modified = ""
    if password is not None:
        source.password_encrypted = encrypt(password)


# Busy periods as the booking page sees them -----------------------------------------


def stale_sources(now):
    """Sources in use that have not been read successfully for too long, or ever."""
    cutoff = now - settings.CALENDAR_STALE_AFTER
    return CalendarSource.objects.filter(enabled=True).filter(
        Q(last_success_at__isnull=True) | Q(last_success_at__lt=cutoff)
    )


def busy_intervals(start, end, now):
    """UTC (start, end) busy intervals between start and end, in ONE query.

    A stale source contributes one interval covering the whole range: with its calendar
    unknown, no time is offered. One SELECT sees one snapshot, so a refresh that
    replaces a source's periods at the same moment is seen wholly or not at all.
    """
    whole = Value(DateTimeTZRange(start, end), output_field=DateTimeRangeField())
    busy = BusyPeriod.objects.filter(
        source__enabled=True, period__overlap=DateTimeTZRange(start, end)
    ).values_list("period")
    blocked = stale_sources(now).annotate(whole=whole).values_list("whole")
    return [(period.lower, period.upper) for (period,) in busy.union(blocked, all=True)]


def clashes(consults):
    """{consult pk: True} for the given consults that overlap a busy period (one query)."""
    ranges = [(c.pk, c.starts_at, c.ends_at) for c in consults if c.starts_at]
    if not ranges:
        return {}
    earliest = min(start for _, start, _ in ranges)
    latest = max(end for _, _, end in ranges)
    periods = list(
        BusyPeriod.objects.filter(
            source__enabled=True, period__overlap=DateTimeTZRange(earliest, latest)
        ).values_list("period", flat=True)
    )
    periods = [(p.lower, p.upper) for p in periods]
    return {pk: True for pk, start, end in ranges if _overlaps_any(start, end, periods)}


def _overlaps_any(start, end, periods):
    return any(busy_start < end and start < busy_end for busy_start, busy_end in periods)


def week(start, end, tz):
    """Busy periods and consults holding a time between start and end, by local day, for
    the admin: [(date, [entry])], each entry a dict with start, end (local), busy (bool),
    consult (or None) and clash (a consult overlapping a busy period). Two queries."""
    periods = [
        (p.lower, p.upper)
        for p in BusyPeriod.objects.filter(
            source__enabled=True, period__overlap=DateTimeTZRange(start, end)
        )
        .order_by("period")
        .values_list("period", flat=True)
    ]
    periods = merge(periods)  # two calendars busy at once show as one "busy"
    consults = ConsultRequest.objects.filter(
        status__in=HOLDING, starts_at__lt=end, ends_at__gt=start
    ).order_by("starts_at")
    entries = [{"start": s, "end": e, "busy": True, "consult": None} for s, e in periods]
    for consult in consults:
        clash = _overlaps_any(consult.starts_at, consult.ends_at, periods)
        entries.append(
            {
                "start": consult.starts_at,
                "end": consult.ends_at,
                "busy": False,
                "consult": consult,
                "clash": clash,
            }
        )
    days = {}
    for entry in sorted(entries, key=lambda entry: entry["start"]):
        entry["start"] = timezone.localtime(entry["start"], tz)
        entry["end"] = timezone.localtime(entry["end"], tz)
        days.setdefault(entry["start"].date(), []).append(entry)
    return list(days.items())


def sources_needing_attention(now=None):
    """Sources in use that the therapist should look at: stale, failing, or failing to
    take consults. For the admin's home screen."""
    now = now or timezone.now()
    stale = stale_sources(now).values_list("pk", flat=True)
    return CalendarSource.objects.filter(enabled=True).filter(
        Q(pk__in=stale) | ~Q(last_error="") | ~Q(write_error="")
    )


# Reading -------------------------------------------------------------------------------


def _check_address(url):
    """Refuse hosts that resolve to private, loopback, link-local or reserved networks."""
    parts = urlsplit(url)
    if parts.scheme.lower() not in _schemes():
        raise CalendarError("The calendar server sent the site to an address that is not https.")
    if settings.CALENDAR_ALLOW_LOCAL:
        return
    try:
        infos = socket.getaddrinfo(parts.hostname, parts.port or 443, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as error:
        raise CalendarError("The calendar server's name could not be found.") from error
    for info in infos:
        _refuse_private(info[4][0])


def _refuse_private(address):
    if (
        not settings.CALENDAR_ALLOW_LOCAL
        and not ipaddress.ip_address(address.split("%")[0]).is_global
    ):
        raise CalendarError(
            "The address points to a private or local network, which the site never reads."
        )


class _PublicHTTPSConnection(urllib3.connection.HTTPSConnection):
    """Checks the address actually connected to, after DNS: a name that resolved to a
    public address for _check_address and to a private one now (DNS rebinding) is
    refused before a byte of the request is sent."""

    def _new_conn(self):
        sock = super()._new_conn()
        try:
            _refuse_private(sock.getpeername()[0])
        except CalendarError:
            sock.close()
            raise
        return sock


class _PublicHTTPSPool(urllib3.HTTPSConnectionPool):
    ConnectionCls = _PublicHTTPSConnection


class _PublicOnlyAdapter(requests.adapters.HTTPAdapter):
    def init_poolmanager(self, *args, **kwargs):
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {
            **self.poolmanager.pool_classes_by_scheme,
            "https": _PublicHTTPSPool,
        }


def _session():
    session = requests.Session()
    session.trust_env = False  # no proxy from the environment between us and the check
    session.mount("https://", _PublicOnlyAdapter())
    return session


def _request_error(error):
    if isinstance(error, requests.Timeout):
        return CalendarError("The calendar server did not answer in time.")
    if isinstance(error, requests.exceptions.SSLError):
        return CalendarError("The calendar server's security certificate was not accepted.")
    if isinstance(error, requests.ConnectionError):
        return CalendarError("The calendar server could not be reached.")
    return CalendarError("The calendar could not be downloaded.")


def fetch_ics(url, *, etag="", last_modified=""):
    """Download a calendar file. Returns (bytes, etag, last_modified), or None when the
    server says it has not changed (304)."""
    headers = {"Accept": "text/calendar, */*;q=0.5", "User-Agent": "practice-site calendar"}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    limit = settings.CALENDAR_MAX_BYTES
    with _session() as session:
        return _fetch(session, url, headers, limit)


def _fetch(session, url, headers, limit):
    for _ in range(MAX_REDIRECTS + 1):
        _check_address(url)
        try:
            response = session.get(
                url,
                headers=headers,
                timeout=settings.CALENDAR_TIMEOUT,
                stream=True,
                allow_redirects=False,
            )
        except requests.RequestException as error:
            raise _request_error(error) from None
        with response:
            if response.is_redirect and response.headers.get("Location"):
                url = urljoin(url, response.headers["Location"])
                continue
            if response.status_code == 304:
                return None
            if response.status_code in (401, 403):
                raise CalendarError(
                    "The calendar server refused the address: it may have been reset. "
                    "Copy the current address from your calendar app."
                )
            if response.status_code == 404:
                raise CalendarError("The calendar server has no calendar at this address.")
            if response.status_code != 200:
                raise CalendarError(
                    f"The calendar server answered with an error (code {response.status_code})."
                )
            if int(response.headers.get("Content-Length") or 0) > limit:
                raise _too_large()
            body = bytearray()
            try:
                for chunk in response.iter_content(64 * 1024):
                    body += chunk
                    if len(body) > limit:
                        raise _too_large()
            except requests.RequestException as error:
                raise _request_error(error) from None
            return (
                bytes(body),
                response.headers.get("ETag", "")[:200],
                response.headers.get("Last-Modified", "")[:100],
            )
    raise CalendarError("The calendar address redirects too many times.")


def _too_large():
    megabytes = settings.CALENDAR_MAX_BYTES // (1024 * 1024)
    return CalendarError(f"The calendar file is larger than {megabytes} MB, so it was not read.")


def _own_uid(uid):
    host = urlsplit(settings.SITE_URL).hostname or "localhost"
    return uid.startswith("consult-") and uid.endswith(f"@{host}")


def _as_utc(value, tz):
    if isinstance(value, datetime):
        if value.tzinfo is None:  # floating: the practice's wall clock
            value = value.replace(tzinfo=tz)
        return value.astimezone(UTC)
    # A date: all day, from the practice's midnight.
    return datetime.combine(value, time.min, tzinfo=tz).astimezone(UTC)


def _blocks(event, tentative_blocks):
    status = str(event.get("STATUS", "")).upper()
    if status == "CANCELLED" or _own_uid(str(event.get("UID", ""))):
        return False
    if str(event.get("TRANSP", "")).upper() == "TRANSPARENT":
        return False
    # Outlook's published calendars say busy / tentative / free in their own property.
    ms_status = str(event.get("X-MICROSOFT-CDO-BUSYSTATUS", "")).upper()
    if ms_status in ("FREE", "WORKINGELSEWHERE"):
        return False
    if status == "TENTATIVE" or ms_status == "TENTATIVE":
        return tentative_blocks
    return True


def parse_busy(data, start, end, tz, *, tentative_blocks=True):
    """The busy periods a calendar file gives between start and end: sorted, merged UTC
    (start, end) pairs. Nothing else of an event is kept."""
    try:
        calendars = icalendar.Calendar.from_ical(data, multiple=True)
        if not calendars or any(calendar.name != "VCALENDAR" for calendar in calendars):
            raise ValueError("no VCALENDAR")
        periods = []
        for calendar in calendars:
            calendar = x_wr_timezone.to_standard(calendar)
            for event in recurring_ical_events.of(calendar).between(start, end):
                if not _blocks(event, tentative_blocks):
                    continue
                begin = event.get("DTSTART").dt
                finish = event.end if "DTEND" in event or "DURATION" in event else None
                if finish is None:
                    # No end: a date lasts the day, a moment lasts no time at all.
                    if not isinstance(begin, datetime):
                        finish = begin + timedelta(days=1)
                    else:
                        continue
                busy_start, busy_end = _as_utc(begin, tz), _as_utc(finish, tz)
                if busy_start < busy_end:
                    periods.append((busy_start, busy_end))
    except CalendarError:
        raise
    except Exception as error:  # any parser's complaint about a broken file
        raise CalendarError(
            "The calendar file could not be read: it is not a valid calendar."
        ) from error
    return merge(periods)


def merge(periods):
    """Overlapping or touching periods joined, in order."""
    merged = []
    for start, end in sorted(periods):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def _caldav_client(source):
    url = decrypt(source.url_encrypted)
    _check_address(url)
    return url, caldav.DAVClient(
        url=url,
        username=source.username or None,
        password=decrypt(source.password_encrypted) or None,
        timeout=settings.CALENDAR_TIMEOUT,
    )


def _caldav_error(error):
    if isinstance(error, CalendarError):
        return error
    name = type(error).__name__
    if "Authorization" in name or "Unauthorized" in name:
        return CalendarError("The CalDAV server refused the user name or app password.")
    if "NotFound" in name:
        return CalendarError("The CalDAV server has no calendar at this address.")
    if isinstance(error, OSError) or "Connection" in name or "Timeout" in name:
        return CalendarError("The CalDAV server could not be reached.")
    return CalendarError("The CalDAV server gave an answer the site could not use.")


def read_caldav(source, start, end, tz):
    """Busy periods from a CalDAV calendar: a calendar-query over the time range, the
    server expanding repeats (not free-busy-query, which Google and Apple refuse)."""
    try:
        url, client = _caldav_client(source)
        with client:
            calendar = client.calendar(url=url)
            found = calendar.search(
                start=start, end=end, event=True, server_expand=True, split_expanded=False
            )
            data = [item.data for item in found]
    except Exception as error:
        raise _caldav_error(error) from None
    periods = []
    for item in data:
        periods += parse_busy(item, start, end, tz, tentative_blocks=source.tentative_blocks)
    return merge(periods)


def read_window(now, rules=None):
    rules = rules or BookingRules.load()
    return now - timedelta(days=1), now + timedelta(days=rules.horizon_days) + READ_MARGIN


def read_source(source, now, tz, rules=None):
    """(periods, etag, last_modified) for a source, or None when unchanged (304)."""
    start, end = read_window(now, rules)
    if source.kind == CalendarSource.Kind.CALDAV:
        return read_caldav(source, start, end, tz), "", ""
    fetched = fetch_ics(
        decrypt(source.url_encrypted), etag=source.etag, last_modified=source.last_modified
    )
    if fetched is None:
        return None
    data, etag, last_modified = fetched
    return (
        parse_busy(data, start, end, tz, tentative_blocks=source.tentative_blocks),
        etag,
        last_modified,
    )


def _claim_due(now):
    """The next source due for reading, pushed forward so no other worker takes it."""
    with transaction.atomic():
        source = (
            CalendarSource.objects.select_for_update(skip_locked=True)
            .filter(enabled=True, next_refresh_at__lte=now)
            .order_by("next_refresh_at", "pk")
            .first()
        )
        if source is not None:
            source.next_refresh_at = now + timedelta(minutes=max(source.refresh_minutes, 1))
            source.save(update_fields=["next_refresh_at"])
    return source


def refresh_source(source, now=None):
    """Read one source and store what it gives; returns True if it was read."""
    now = now or timezone.now()
    profile = PracticeProfile.load()
    read_from = source.url_encrypted
    try:
        result = read_source(source, now, profile.tz)
    except CalendarError as error:
        _record_failure(source, str(error), now)
        return False
    except Exception as error:  # never let one calendar stop the worker
        # No traceback: a library's message may quote the secret address.
        logger.error("calendar %s: unexpected %s", source.pk, type(error).__name__)
        _record_failure(source, "Something went wrong reading this calendar.", now)
        return False
    with transaction.atomic():
        source = CalendarSource.objects.select_for_update().filter(pk=source.pk).first()
        if source is None or source.url_encrypted != read_from:
            return False  # deleted or given a new address meanwhile: that is read next
        if result is not None:
            periods, source.etag, source.last_modified = result
            source.busy.all().delete()
            BusyPeriod.objects.bulk_create(
                BusyPeriod(source=source, period=DateTimeTZRange(start, end))
                for start, end in periods
            )
        source.last_attempt_at = source.last_success_at = now
        source.last_error = ""
        if source.stale_notified:
            source.stale_notified = False
            _notify(source, recovered=True)
        source.save()
    logger.info(
        "calendar %s read: %s", source.pk, "unchanged" if result is None else len(result[0])
    )
    return True


def _record_failure(source, message, now):
    logger.warning("calendar %s could not be read: %s", source.pk, message)
    with transaction.atomic():
        source = CalendarSource.objects.select_for_update().filter(pk=source.pk).first()
        if source is None:  # deleted in the admin meanwhile
            return
        source.last_attempt_at = now
        source.last_error = message[:300]
        stale = stale_sources(now).filter(pk=source.pk).exists()
        if stale and not source.stale_notified:
            source.stale_notified = True
            _notify(source, recovered=False)
        source.save(update_fields=["last_attempt_at", "last_error", "stale_notified"])


def _notify(source, *, recovered):
    """One email to the therapist when a calendar goes stale, one when it is read again."""
    if recovered:
        subject = f"Your calendar “{source.name}” is being read again"
        body = (
            f"The site can read your calendar “{source.name}” again, and the booking "
            "page offers times again where you are free.\n"
        )
    else:
        hours = settings.CALENDAR_STALE_AFTER.total_seconds() / 3600
        subject = f"Your calendar “{source.name}” cannot be read"
        body = (
            f"The site has not been able to read your calendar “{source.name}” for more "
            f"than {hours:g} hours. The last problem was: {source.last_error}\n\n"
            "Until it can be read, the booking page offers no times, so nobody books "
            "over something in that calendar. Visitors can still send a request without "
            "a time.\n\nLook at “Calendars I am busy in” in the admin to fix the address.\n"
        )
    outbox.enqueue(
        kind=OutboundEmail.Kind.CALENDAR_NOTICE,
        to=settings.THERAPIST_EMAIL,
        subject=subject,
        body_text=body,
    )


# Writing consults back -------------------------------------------------------------------


def _consult_ics(consult, uid):
    calendar = icalendar.Calendar()
    calendar.add("prodid", invitations.PRODID)
    calendar.add("version", "2.0")
    event = icalendar.Event()
    event.add("uid", uid)
    event.add("dtstamp", timezone.now().astimezone(UTC))
    event.add("dtstart", consult.starts_at.astimezone(UTC))
    event.add("dtend", consult.ends_at.astimezone(UTC))
    event.add("summary", f"Free consult: {consult.first_name}")
    event.add("transp", "OPAQUE")
    calendar.add_component(event)
    return calendar.to_ical().decode()


def _object_url(calendar, uid):
    safe = "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in uid)
    return calendar.url.join(f"{safe}.ics")


def write_consults(source, now=None):
    """Make the calendar hold exactly the confirmed consults: add, move and remove events.
    Returns how many changes were made; raises nothing (the error is stored)."""
    now = now or timezone.now()
    wanted = {
        invitations.consult_uid(consult): consult
        for consult in ConsultRequest.objects.filter(
            status__in=WRITTEN_STATUSES,
            starts_at__isnull=False,
            ends_at__gt=now - WRITTEN_LOOKBACK,
        )
    }
    written = {row.uid: row for row in source.written.all()}
    to_put = [
        (uid, consult)
        for uid, consult in wanted.items()
        if uid not in written
        or (written[uid].starts_at, written[uid].ends_at) != (consult.starts_at, consult.ends_at)
    ]
    to_remove = [row for uid, row in written.items() if uid not in wanted]
    if not to_put and not to_remove:
        return 0
    changes = 0
    try:
        url, client = _caldav_client(source)
        with client:
            calendar = client.calendar(url=url)
            for uid, consult in to_put:
                caldav.Event(
                    client,
                    url=_object_url(calendar, uid),
                    data=_consult_ics(consult, uid),
                    parent=calendar,
                ).save()
                WrittenConsult.objects.update_or_create(
                    source=source,
                    uid=uid,
                    defaults={"starts_at": consult.starts_at, "ends_at": consult.ends_at},
                )
                changes += 1
            for row in to_remove:
                if row.ends_at > now:  # a past consult stays in the calendar as history
                    # Already gone is what we wanted.
                    with contextlib.suppress(caldav.lib.error.NotFoundError):
                        caldav.Event(
                            client, url=_object_url(calendar, row.uid), parent=calendar
                        ).delete()
                row.delete()
                changes += 1
    except Exception as error:
        message = str(_caldav_error(error))
        logger.warning("calendar %s: consults not written: %s", source.pk, message)
        CalendarSource.objects.filter(pk=source.pk).update(
            write_error=message[:300], write_retry_at=now + WRITE_RETRY
        )
        return changes
    if source.write_error or source.write_retry_at:
        CalendarSource.objects.filter(pk=source.pk).update(write_error="", write_retry_at=None)
    return changes


def refresh_due_sources(now=None, should_stop=None):
    """The worker's round: read every source that is due, then write consults back.
    Returns how many sources were read."""
    read = 0
    while not (should_stop and should_stop()):
        source = _claim_due(now or timezone.now())
        if source is None:
            break
        refresh_source(source, now)
        read += 1
    moment = now or timezone.now()
    writers = CalendarSource.objects.filter(
        enabled=True, write_consults=True, kind=CalendarSource.Kind.CALDAV
    ).filter(Q(write_retry_at__isnull=True) | Q(write_retry_at__lte=moment))
    for source in writers:
        write_consults(source, moment)
    return read
