"""Open consult times, computed from availability, time off, existing holds and rules.

Everything here is a plain function of values, so tests can call it directly.

Times are generated on the practice's wall clock, day by day, with `zoneinfo`:
a 09:00 start is 09:00 local on every day, whichever side of a clock change it
falls. A wall time that does not exist (the hour skipped in spring) is not
offered; a wall time that happens twice (the hour repeated in autumn) is offered
once, at its first occurrence. Lengths and buffers are real elapsed time.
"""

from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from itertools import groupby


@dataclass(frozen=True)
class Rules:
    length: timedelta
    buffer: timedelta
    notice: timedelta
    horizon: timedelta
    max_per_day: int


@dataclass(frozen=True)
class Slot:
    start: datetime  # aware, UTC
    end: datetime  # aware, UTC
    key: str = field(init=False, compare=False)  # the value a form posts for this slot

    def __post_init__(self):
        object.__setattr__(self, "key", self.start.strftime("%Y-%m-%dT%H:%MZ"))


def parse_key(value):
    """The UTC start a posted slot value names, or None if it is not one of ours."""
    try:
        start = datetime.strptime(value, "%Y-%m-%dT%H:%MZ").replace(tzinfo=UTC)
    except (TypeError, ValueError):
        return None
    # Times at the very edges of the calendar cannot be moved into another zone.
    if not datetime.min.year < start.year < datetime.max.year:
        return None
    return start


def local_datetime(day, wall_time, tz):
    """The aware datetime for a wall-clock time on a day, or None if the clocks skip it."""
    candidate = datetime.combine(day, wall_time, tzinfo=tz)  # fold=0: first occurrence
    round_trip = candidate.astimezone(UTC).astimezone(tz)
    if round_trip.replace(tzinfo=None) != candidate.replace(tzinfo=None):
        return None
    return candidate


def day_bounds(day, tz):
    """The UTC instants a local calendar day starts and ends."""
    start = datetime.combine(day, time.min, tzinfo=tz).astimezone(UTC)
    end = datetime.combine(day + timedelta(days=1), time.min, tzinfo=tz).astimezone(UTC)
    return start, end


def time_off_interval(start_date, start_time, end_date, end_time, tz):
    """A time-off entry as a UTC interval; blank times mean whole days."""
    start = datetime.combine(start_date, start_time or time.min, tzinfo=tz).astimezone(UTC)
    if end_time is None:
        end = day_bounds(end_date, tz)[1]
    else:
        end = datetime.combine(end_date, end_time, tzinfo=tz).astimezone(UTC)
    return start, end


def _overlaps(start, end, intervals):
    return any(start < other_end and other_start < end for other_start, other_end in intervals)


def open_slots(*, now, tz, rules, weekly_hours, time_off=(), holds=()):
    """Every open slot, soonest first.

    weekly_hours: (weekday, start time, end time) triples, Monday = 0.
    time_off: UTC (start, end) intervals with no consults.
    holds: UTC (start, blocked_until) intervals of consults that hold a time,
        blocked_until being their end plus the buffer.
    """
    now = now.astimezone(UTC)  # arithmetic on real time, whatever zone `now` came in
    earliest = now + rules.notice
    latest = now + rules.horizon
    holds = sorted(holds)
    hours_by_weekday = {}
    for weekday, start, end in weekly_hours:
        hours_by_weekday.setdefault(weekday, []).append((start, end))

    # The daily cap limits bookings, not what is shown: a day that already has
    # max_per_day consults offers nothing more; any other day offers every open time.
    held_per_day = {}
    for start, _ in holds:
        day = start.astimezone(tz).date()
        held_per_day[day] = held_per_day.get(day, 0) + 1

    step = rules.length + rules.buffer
    slots = []
    day = now.astimezone(tz).date()
    last_day = latest.astimezone(tz).date()
    while day <= last_day:
        if held_per_day.get(day, 0) >= rules.max_per_day:
            day += timedelta(days=1)
            continue
        for range_start, range_end in sorted(hours_by_weekday.get(day.weekday(), [])):
            wall = datetime.combine(day, range_start)
            range_end_at = _range_end(day, range_end, tz)
            while wall.time() >= range_start and wall.date() == day:
                start = local_datetime(day, wall.time(), tz)
                wall += step
                if start is None:
                    continue
                start = start.astimezone(UTC)
                end = start + rules.length
                if end > range_end_at:
                    break
                if start < earliest or start > latest:
                    continue
                if _overlaps(start, end, time_off):
                    continue
                if _overlaps(start, end + rules.buffer, holds):
                    continue
                slots.append(Slot(start, end))
        day += timedelta(days=1)
    # Overlapping weekly ranges may offer the same time twice.
    return sorted(set(slots), key=lambda slot: slot.start)


def within_hours(start, end, tz, weekly_hours):
    """Whether [start, end) lies inside one of the weekly ranges on its local day."""
    day = start.astimezone(tz).date()
    for weekday, range_start, range_end in weekly_hours:
        if weekday != day.weekday():
            continue
        opens = local_datetime(day, range_start, tz) or _range_end(day, range_start, tz)
        if opens <= start and end <= _range_end(day, range_end, tz):
            return True
    return False


def _range_end(day, wall_end, tz):
    end = local_datetime(day, wall_end, tz)
    if end is None:  # the range ends inside the skipped hour: take the earlier reading
        end = datetime.combine(day, wall_end, tzinfo=tz).replace(fold=1)
    return end.astimezone(UTC)


def by_local_day(slots, tz):
    """Slots grouped as [(local date, [slots])], for showing one day per group."""
    return [
        (day, list(group))
        for day, group in groupby(slots, key=lambda slot: slot.start.astimezone(tz).date())
    ]


# The picker shows days a fortnight at a time: enough to choose from at a glance.
DAYS_PER_PAGE = 14


def _page_number(day, first_day):
    return (day - first_day).days // DAYS_PER_PAGE


def days_page(days, number):
    """The days (in order, each with open times) on fortnight `number`, counted from the
    first; an out-of-range number gives the nearest fortnight."""
    if not days:
        return []
    last = _page_number(days[-1], days[0])
    number = min(max(number, 0), last)
    return [day for day in days if _page_number(day, days[0]) == number]


def days_page_of(days, day):
    """(the fortnight's days holding `day`, its number, how many fortnights)."""
    if not days:
        return [], 0, 0
    number = _page_number(day, days[0]) if day else 0
    return days_page(days, number), number, _page_number(days[-1], days[0]) + 1


def zone_name(tz):
    """A zone as people say it: "London time", "New York time", "UTC"."""
    key = getattr(tz, "key", None) or str(tz)
    if "/" not in key:
        return key
    return key.rsplit("/", 1)[-1].replace("_", " ") + " time"


def clock(moment):
    """ "9:30 AM", as every page and email writes a time of day."""
    return f"{moment.hour % 12 or 12}:{moment:%M} {'AM' if moment.hour < 12 else 'PM'}"


def describe(start, own_tz, practice_tz):
    """A moment in the visitor's zone, with the practice's clock beside it when it differs:
    "Wednesday 3 December 2026, 9:30 AM London time (4:30 AM New York time)"."""
    own = start.astimezone(own_tz)
    text = f"{own:%A} {own.day} {own:%B %Y}, {clock(own)} {zone_name(own_tz)}"
    there = start.astimezone(practice_tz)
    if there.replace(tzinfo=None) == own.replace(tzinfo=None):
        return text
    day = f"{there:%a} " if there.date() != own.date() else ""
    return f"{text} ({day}{clock(there)} {zone_name(practice_tz)})"
