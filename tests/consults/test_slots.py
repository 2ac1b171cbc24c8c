"""Open consult times from the pure `open_slots`: wall clock, daylight saving, rules.

Every table runs in America/New_York and Europe/London. The rules are the defaults:
20-minute consults, a 10-minute buffer, 24 hours' notice, 21 days ahead, 4 a day.
Expected times are written out by hand, as a visitor would read them on the page.
"""

from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

import pytest

from consults.slots import (
    Rules,
    by_local_day,
    describe,
    open_slots,
    parse_key,
    time_off_interval,
)

NY = ZoneInfo("America/New_York")
LONDON = ZoneInfo("Europe/London")
ZONES = [pytest.param(NY, id="new_york"), pytest.param(LONDON, id="london")]

LENGTH = timedelta(minutes=20)
BUFFER = timedelta(minutes=10)
RULES = Rules(
    length=LENGTH,
    buffer=BUFFER,
    notice=timedelta(hours=24),
    horizon=timedelta(days=21),
    max_per_day=4,
)

NORMAL_DAY = date(2026, 3, 3)  # a Tuesday, no clock change anywhere near
MORNING = ["09:00", "09:30", "10:00", "10:30", "11:00", "11:30"]  # 09:00–12:00


def at(day, hh_mm, tz, fold=0):
    """The aware local moment for a wall time on a day."""
    hour, minute = map(int, hh_mm.split(":"))
    return datetime.combine(day, time(hour, minute), tzinfo=tz).replace(fold=fold)


def utc(day, hh_mm):
    return at(day, hh_mm, UTC)


def hold(start, length=LENGTH, buffer=BUFFER):
    """A held consult as open_slots takes it: (start, end + buffer), in UTC."""
    start = start.astimezone(UTC)
    return (start, start + length + buffer)


def compute(day, tz, ranges=(("09:00", "12:00"),), *, now=None, **kwargs):
    """Open slots on one local day, with `ranges` as that weekday's hours.

    `now` defaults to noon three days before, so notice and horizon leave the day alone.
    """
    now = now or at(day - timedelta(days=3), "12:00", tz)
    weekly = [(day.weekday(), time.fromisoformat(s), time.fromisoformat(e)) for s, e in ranges]
    found = open_slots(
        now=now, tz=tz, rules=kwargs.pop("rules", RULES), weekly_hours=weekly, **kwargs
    )
    return [slot for slot in found if slot.start.astimezone(tz).date() == day]


def walls(slots, tz):
    return [slot.start.astimezone(tz).strftime("%H:%M") for slot in slots]


def assert_well_formed(slots):
    """Each slot lasts exactly the consult length in real time; none overlaps the next's buffer."""
    for slot in slots:
        assert slot.start.tzinfo is UTC
        assert slot.end - slot.start == LENGTH
    for earlier, later in pairwise(slots):
        assert later.start >= earlier.end + BUFFER


# --- An ordinary day ---------------------------------------------------------------


@pytest.mark.parametrize("tz", ZONES)
@pytest.mark.parametrize(
    ("ranges", "expected"),
    [
        pytest.param([("09:00", "12:00")], MORNING, id="morning"),
        pytest.param([("09:00", "11:50")], MORNING, id="last-consult-ends-exactly-at-closing"),
        pytest.param([("09:00", "11:49")], MORNING[:-1], id="one-minute-short"),
        pytest.param([("09:00", "09:20")], ["09:00"], id="room-for-exactly-one"),
        pytest.param([("09:00", "09:19")], [], id="too-short-for-any"),
        pytest.param(
            [("09:00", "10:00"), ("14:00", "15:00")],
            ["09:00", "09:30", "14:00", "14:30"],
            id="two-ranges",
        ),
        pytest.param(
            [("14:00", "15:00"), ("09:00", "10:00")],
            ["09:00", "09:30", "14:00", "14:30"],
            id="two-ranges-entered-afternoon-first",
        ),
        pytest.param(
            [("09:00", "10:10"), ("10:10", "11:00")],
            ["09:00", "09:30", "10:10", "10:40"],
            id="back-to-back-ranges-off-the-half-hour",
        ),
        pytest.param([("09:15", "10:30")], ["09:15", "09:45"], id="starts-off-the-hour"),
    ],
)
def test_an_ordinary_day_offers_every_half_hour_that_fits(tz, ranges, expected):
    slots = compute(NORMAL_DAY, tz, ranges)
    assert walls(slots, tz) == expected
    assert_well_formed(slots)


@pytest.mark.parametrize("tz", ZONES)
def test_overlapping_ranges_offer_each_time_once_and_in_order(tz):
    # An easy admin slip: "Tuesday 9–11" and "Tuesday 10–12" both entered.
    slots = compute(NORMAL_DAY, tz, [("09:00", "11:00"), ("10:00", "12:00")])
    assert walls(slots, tz) == MORNING


# --- Clock changes -----------------------------------------------------------------

CLOCK_CHANGE_DAYS = [
    # zone, day, UTC instant of 09:00 local that day
    pytest.param(NY, date(2026, 3, 1), "14:00", id="new_york-week-before-spring-forward"),
    pytest.param(NY, date(2026, 3, 8), "13:00", id="new_york-spring-forward"),
    pytest.param(NY, date(2026, 3, 9), "13:00", id="new_york-day-after-spring-forward"),
    pytest.param(NY, date(2026, 11, 1), "14:00", id="new_york-fall-back"),
    pytest.param(NY, date(2026, 10, 31), "13:00", id="new_york-day-before-fall-back"),
    pytest.param(LONDON, date(2026, 3, 22), "09:00", id="london-week-before-spring-forward"),
    pytest.param(LONDON, date(2026, 3, 29), "08:00", id="london-spring-forward"),
    pytest.param(LONDON, date(2026, 10, 25), "09:00", id="london-fall-back"),
    pytest.param(LONDON, date(2026, 10, 24), "08:00", id="london-day-before-fall-back"),
]


@pytest.mark.parametrize(("tz", "day", "first_utc"), CLOCK_CHANGE_DAYS)
def test_morning_hours_read_the_same_on_the_wall_on_clock_change_days(tz, day, first_utc):
    slots = compute(day, tz)
    assert walls(slots, tz) == MORNING
    first = utc(day, first_utc)
    assert [slot.start for slot in slots] == [
        first + i * (LENGTH + BUFFER) for i in range(len(MORNING))
    ]
    assert_well_formed(slots)


@pytest.mark.parametrize(
    ("tz", "day", "expected"),
    [
        pytest.param(
            NY,
            date(2026, 3, 8),
            # 02:00–02:59 does not exist: 01:59 EST is followed by 03:00 EDT.
            [
                ("00:00", "05:00"),
                ("00:30", "05:30"),
                ("01:00", "06:00"),
                ("01:30", "06:30"),
                ("03:00", "07:00"),
                ("03:30", "07:30"),
            ],
            id="new_york",
        ),
        pytest.param(
            LONDON,
            date(2026, 3, 29),
            # 01:00–01:59 does not exist: 00:59 GMT is followed by 02:00 BST.
            [
                ("00:00", "00:00"),
                ("00:30", "00:30"),
                ("02:00", "01:00"),
                ("02:30", "01:30"),
                ("03:00", "02:00"),
                ("03:30", "02:30"),
            ],
            id="london",
        ),
    ],
)
def test_spring_forward_skips_the_wall_times_that_do_not_exist(tz, day, expected):
    slots = compute(day, tz, [("00:00", "04:00")])
    assert [
        (w, s.start.strftime("%H:%M")) for w, s in zip(walls(slots, tz), slots, strict=True)
    ] == expected
    assert all(s.start.date() == day for s in slots)
    assert_well_formed(slots)


@pytest.mark.parametrize(
    ("tz", "day", "expected"),
    [
        pytest.param(
            NY,
            date(2026, 11, 1),
            # 01:00–01:59 happens twice (EDT, then EST); each time is offered once, the first.
            [
                ("00:00", utc(date(2026, 11, 1), "04:00")),
                ("00:30", utc(date(2026, 11, 1), "04:30")),
                ("01:00", utc(date(2026, 11, 1), "05:00")),
                ("01:30", utc(date(2026, 11, 1), "05:30")),
                ("02:00", utc(date(2026, 11, 1), "07:00")),
                ("02:30", utc(date(2026, 11, 1), "07:30")),
                ("03:00", utc(date(2026, 11, 1), "08:00")),
                ("03:30", utc(date(2026, 11, 1), "08:30")),
            ],
            id="new_york",
        ),
        pytest.param(
            LONDON,
            date(2026, 10, 25),
            # 01:00–01:59 happens twice (BST, then GMT).
            [
                ("00:00", utc(date(2026, 10, 24), "23:00")),
                ("00:30", utc(date(2026, 10, 24), "23:30")),
                ("01:00", utc(date(2026, 10, 25), "00:00")),
                ("01:30", utc(date(2026, 10, 25), "00:30")),
                ("02:00", utc(date(2026, 10, 25), "02:00")),
                ("02:30", utc(date(2026, 10, 25), "02:30")),
                ("03:00", utc(date(2026, 10, 25), "03:00")),
                ("03:30", utc(date(2026, 10, 25), "03:30")),
            ],
            id="london",
        ),
    ],
)
def test_fall_back_offers_each_repeated_wall_time_once(tz, day, expected):
    slots = compute(day, tz, [("00:00", "04:00")])
    assert list(zip(walls(slots, tz), (s.start for s in slots), strict=True)) == expected
    assert len({slot.key for slot in slots}) == len(slots)
    assert_well_formed(slots)


@pytest.mark.parametrize(
    ("tz", "spring_forward", "expected_hours"),
    [
        pytest.param(NY, date(2026, 3, 8), 23, id="new_york-spring"),
        pytest.param(NY, date(2026, 11, 1), 25, id="new_york-fall"),
        pytest.param(NY, NORMAL_DAY, 24, id="new_york-normal"),
        pytest.param(LONDON, date(2026, 3, 29), 23, id="london-spring"),
        pytest.param(LONDON, date(2026, 10, 25), 25, id="london-fall"),
        pytest.param(LONDON, NORMAL_DAY, 24, id="london-normal"),
    ],
)
def test_a_whole_day_off_covers_the_local_day_however_long_it_is(
    tz, spring_forward, expected_hours
):
    start, end = time_off_interval(spring_forward, None, spring_forward, None, tz)
    assert start == at(spring_forward, "00:00", tz)
    assert end == at(spring_forward + timedelta(days=1), "00:00", tz)
    assert end - start == timedelta(hours=expected_hours)


CHANGE_DAYS = [
    pytest.param(NY, date(2026, 3, 8), id="new_york-spring-forward"),
    pytest.param(NY, date(2026, 11, 1), id="new_york-fall-back"),
    pytest.param(LONDON, date(2026, 3, 29), id="london-spring-forward"),
    pytest.param(LONDON, date(2026, 10, 25), id="london-fall-back"),
]


@pytest.mark.parametrize(("tz", "day"), CHANGE_DAYS)
def test_a_day_off_on_a_clock_change_day_is_that_whole_local_day_and_no_more(tz, day):
    # Hours just after midnight and just before: a "day" of 24 UTC hours would wrongly
    # block the next day's 00:00 (23-hour day) or leave this day's 23:00 open (25-hour day).
    weekly = [(weekday, time(0), time(0, 50)) for weekday in range(7)]
    weekly += [(weekday, time(23), time(23, 50)) for weekday in range(7)]
    now = at(day - timedelta(days=3), "12:00", tz)
    off = [time_off_interval(day, None, day, None, tz)]
    found = open_slots(now=now, tz=tz, rules=RULES, weekly_hours=weekly, time_off=off)
    by_day = dict(by_local_day(found, tz))
    assert day not in by_day
    every_day = ["00:00", "00:30", "23:00", "23:30"]
    assert walls(by_day[day - timedelta(days=1)], tz) == every_day
    assert walls(by_day[day + timedelta(days=1)], tz) == every_day


@pytest.mark.parametrize(
    ("tz", "day", "ranges", "expected"),
    [
        # 02:30 does not exist on 8 March in New York. Its earlier reading is 01:30 EST.
        pytest.param(
            NY,
            date(2026, 3, 8),
            [("00:00", "02:30")],
            ["00:00", "00:30", "01:00"],
            id="new_york-until-02-30",
        ),
        # 01:30 does not exist on 29 March in London. Its earlier reading is 00:30 GMT.
        pytest.param(
            LONDON,
            date(2026, 3, 29),
            [("00:00", "01:30")],
            ["00:00"],
            id="london-until-01-30",
        ),
    ],
)
def test_hours_ending_inside_the_skipped_hour_end_at_its_earlier_reading(tz, day, ranges, expected):
    slots = compute(day, tz, ranges)
    assert walls(slots, tz) == expected
    assert_well_formed(slots)


# --- Time off, holds, buffer ---------------------------------------------------------


def day_off(start_time=None, end_time=None, day=NORMAL_DAY):
    def build(tz):
        return [time_off_interval(day, start_time, day, end_time, tz)]

    return build


@pytest.mark.parametrize("tz", ZONES)
@pytest.mark.parametrize(
    ("time_off", "expected"),
    [
        pytest.param(day_off(), [], id="whole-day"),
        pytest.param(day_off(time(10)), ["09:00", "09:30"], id="from-10-to-end-of-day"),
        pytest.param(day_off(None, time(10, 30)), ["10:30", "11:00", "11:30"], id="until-10-30"),
        pytest.param(
            day_off(time(10), time(11)), ["09:00", "09:30", "11:00", "11:30"], id="10-to-11"
        ),
        pytest.param(
            day_off(time(10, 10), time(10, 20)),
            ["09:00", "09:30", "10:30", "11:00", "11:30"],
            id="ten-minutes-inside-a-consult",
        ),
        pytest.param(day_off(day=NORMAL_DAY + timedelta(days=1)), MORNING, id="the-next-day"),
        pytest.param(day_off(day=NORMAL_DAY - timedelta(days=1)), MORNING, id="the-day-before"),
    ],
)
def test_time_off_removes_exactly_the_times_it_covers(tz, time_off, expected):
    assert walls(compute(NORMAL_DAY, tz, time_off=time_off(tz)), tz) == expected


@pytest.mark.parametrize("tz", ZONES)
@pytest.mark.parametrize(
    ("held", "expected"),
    [
        # Rule: a slot [s, s+20+10) must not overlap a hold [h, h+20+10).
        pytest.param(["10:00"], ["09:00", "09:30", "10:30", "11:00", "11:30"], id="on-the-grid"),
        pytest.param(
            ["09:05"],
            ["10:00", "10:30", "11:00", "11:30"],
            # 09:30 is only inside the hold's buffer (its consult ends 09:25, buffer to 09:35).
            id="hold-buffer-blocks-the-next-slot",
        ),
        pytest.param(
            ["10:25"],
            ["09:00", "09:30", "11:00", "11:30"],
            # 10:00 ends 10:20, before the hold starts, but its own buffer runs to 10:30.
            id="slot-buffer-runs-into-the-hold",
        ),
        pytest.param(
            ["10:30"],
            ["09:00", "09:30", "10:00", "11:00", "11:30"],
            # 10:00's buffer ends exactly as the hold starts: touching is fine.
            id="buffer-ends-as-hold-starts",
        ),
        pytest.param(
            ["08:30"],
            MORNING,
            # Ends 08:50, buffer to 09:00: the 09:00 slot may start just then.
            id="before-opening-touching",
        ),
        pytest.param(["08:45"], MORNING[1:], id="before-opening-buffer-into-09"),
        pytest.param(["09:00", "11:00"], ["09:30", "10:00", "10:30", "11:30"], id="two-holds"),
    ],
)
def test_holds_block_their_slot_and_buffer(tz, held, expected):
    holds = [hold(at(NORMAL_DAY, h, tz)) for h in held]
    assert walls(compute(NORMAL_DAY, tz, holds=holds), tz) == expected


@pytest.mark.parametrize("tz", ZONES)
def test_a_longer_buffer_in_the_rules_widens_what_a_hold_blocks(tz):
    rules = Rules(
        length=LENGTH,
        buffer=timedelta(minutes=40),
        notice=RULES.notice,
        horizon=RULES.horizon,
        max_per_day=4,
    )
    holds = [hold(at(NORMAL_DAY, "10:30", tz), buffer=timedelta(minutes=40))]
    # Slots now step by an hour: 09:00, 10:00, 11:00. 10:00 runs to 10:20+40 = 11:00,
    # into the hold; 11:00 starts inside the hold's buffer (10:50 + 40 = 11:30).
    assert walls(compute(NORMAL_DAY, tz, rules=rules, holds=holds), tz) == ["09:00"]


# --- Notice and horizon --------------------------------------------------------------


@pytest.mark.parametrize("tz", ZONES)
@pytest.mark.parametrize(
    ("now_wall", "expected"),
    [
        pytest.param("09:00", MORNING, id="exactly-24h-before-opening"),
        pytest.param("09:01", MORNING[1:], id="a-minute-late-for-09"),
        pytest.param("09:30", MORNING[1:], id="exactly-24h-before-09-30"),
        pytest.param("10:40", ["11:00", "11:30"], id="mid-morning"),
        pytest.param("11:31", [], id="after-the-last"),
    ],
)
def test_nothing_is_offered_sooner_than_the_minimum_notice(tz, now_wall, expected):
    now = at(NORMAL_DAY - timedelta(days=1), now_wall, tz)
    slots = compute(NORMAL_DAY, tz, now=now)
    assert walls(slots, tz) == expected
    assert all(slot.start >= now + RULES.notice for slot in slots)


SATURDAY_BEFORE = [
    # 24 real hours after 10:00 EST on the Saturday is 11:00 EDT on the Sunday.
    pytest.param(NY, at(date(2026, 3, 7), "10:00", NY), id="new_york"),
    # 24 real hours after 10:00 GMT on the Saturday is 11:00 BST on the Sunday.
    pytest.param(LONDON, at(date(2026, 3, 28), "10:00", LONDON), id="london"),
]


@pytest.mark.parametrize(("tz", "booked_at"), SATURDAY_BEFORE)
def test_notice_is_real_hours_across_spring_forward(tz, booked_at):
    now = booked_at.astimezone(UTC)  # as the site passes it: timezone.now()
    day = booked_at.date() + timedelta(days=1)
    assert walls(compute(day, tz, now=now), tz) == ["11:00", "11:30"]


@pytest.mark.parametrize(("tz", "booked_at"), SATURDAY_BEFORE)
def test_the_same_instant_gives_the_same_slots_whatever_zone_now_is_written_in(tz, booked_at):
    day = booked_at.date() + timedelta(days=1)
    in_utc = compute(day, tz, now=booked_at.astimezone(UTC))
    in_local = compute(day, tz, now=booked_at)
    assert walls(in_local, tz) == walls(in_utc, tz)


@pytest.mark.parametrize("tz", ZONES)
def test_nothing_is_offered_beyond_the_horizon(tz):
    # June: no clock change between now and the horizon.
    now = at(date(2026, 6, 1), "10:00", tz)
    weekly = [(weekday, time(9), time(12)) for weekday in range(7)]
    days = dict(by_local_day(open_slots(now=now, tz=tz, rules=RULES, weekly_hours=weekly), tz))
    assert min(days) == date(2026, 6, 2)
    assert walls(days[date(2026, 6, 2)], tz) == MORNING[2:]  # 24 h notice: from 10:00
    assert max(days) == date(2026, 6, 22)  # 21 days after 1 June
    assert walls(days[date(2026, 6, 22)], tz) == ["09:00", "09:30", "10:00"]
    assert len(days) == 21
    assert all(len(slots) == len(MORNING) for day, slots in days.items() if day.day not in (2, 22))


def test_a_day_with_no_weekly_hours_offers_nothing():
    assert compute(NORMAL_DAY, NY, ranges=()) == []


# --- The daily cap -------------------------------------------------------------------


@pytest.mark.parametrize("tz", ZONES)
@pytest.mark.parametrize(
    ("held", "expected"),
    [
        pytest.param([], MORNING, id="none-held"),
        pytest.param(["09:00", "10:00", "11:00"], ["09:30", "10:30", "11:30"], id="three-held"),
        pytest.param(["09:00", "10:00", "11:00", "11:30"], [], id="four-held"),
        # A booking outside the weekly hours (set by hand) still counts towards the day.
        pytest.param(["07:00", "09:00", "10:00", "11:00"], [], id="four-one-outside-hours"),
    ],
)
def test_a_day_at_its_cap_offers_nothing_more(tz, held, expected):
    holds = [hold(at(NORMAL_DAY, h, tz)) for h in held]
    assert walls(compute(NORMAL_DAY, tz, holds=holds), tz) == expected


@pytest.mark.parametrize(
    ("tz", "day", "held", "expected"),
    [
        # 20:00–21:30 EST on 2 March is 3 March in UTC, yet those four belong to 2 March.
        pytest.param(
            NY,
            NORMAL_DAY,
            [
                at(NORMAL_DAY - timedelta(days=1), h, NY)
                for h in ("20:00", "20:30", "21:00", "21:30")
            ],
            MORNING,
            id="new_york-evening-before-is-not-this-day",
        ),
        # 00:00 and 00:30 BST on 3 June are 2 June in UTC, yet they count for 3 June.
        pytest.param(
            LONDON,
            date(2026, 6, 3),
            [at(date(2026, 6, 3), h, LONDON) for h in ("00:00", "00:30", "09:00", "10:00")],
            [],
            id="london-after-midnight-is-this-day",
        ),
    ],
)
def test_the_cap_counts_consults_by_local_day_not_utc_day(tz, day, held, expected):
    holds = [hold(start) for start in held]
    assert walls(compute(day, tz, holds=holds), tz) == expected


# --- Keys and grouping ---------------------------------------------------------------


@pytest.mark.parametrize(("tz", "day", "first_utc"), CLOCK_CHANGE_DAYS)
def test_every_key_names_its_own_start_and_parses_back(tz, day, first_utc):
    slots = compute(day, tz, [("00:00", "04:00"), ("09:00", "12:00")])
    keys = [slot.key for slot in slots]
    assert len(set(keys)) == len(keys)
    assert [parse_key(key) for key in keys] == [slot.start for slot in slots]
    assert f"{day:%Y-%m-%d}T{first_utc}Z" in keys


def test_a_key_is_the_utc_minute():
    (slot,) = compute(date(2026, 3, 8), NY, [("09:00", "09:20")])
    assert slot.key == "2026-03-08T13:00Z"


@pytest.mark.parametrize(
    "value",
    [
        pytest.param("", id="empty"),
        pytest.param(None, id="none"),
        pytest.param("none", id="no-time-word"),
        pytest.param("2026-03-08 13:00", id="no-T-no-Z"),
        pytest.param("2026-03-08T13:00+00:00", id="offset-not-Z"),
        pytest.param("2026-02-30T13:00Z", id="no-such-date"),
        pytest.param("2026-03-08T25:00Z", id="no-such-hour"),
        pytest.param("2026-03-08T13:00Z<script>", id="trailing-junk"),
    ],
)
def test_parse_key_refuses_anything_that_is_not_one_of_ours(value):
    assert parse_key(value) is None


@pytest.mark.parametrize(
    ("tz", "hours", "expected_walls", "expected_days"),
    [
        # 20:00 and 20:30 EDT are already the next day in UTC.
        pytest.param(NY, ("20:00", "21:00"), ["20:00", "20:30"], [2, 3, 4], id="new_york-evening"),
        # 00:00 and 00:30 BST are still the previous day in UTC.
        pytest.param(
            LONDON,
            ("00:00", "01:00"),
            ["00:00", "00:30"],
            [3, 4, 5],
            id="london-after-midnight",
        ),
    ],
)
def test_by_local_day_groups_by_the_practice_calendar_day(tz, hours, expected_walls, expected_days):
    now = at(date(2026, 6, 1), "12:00", tz)
    start, end = (time.fromisoformat(h) for h in hours)
    weekly = [(weekday, start, end) for weekday in range(7)]
    rules = Rules(
        length=LENGTH, buffer=BUFFER, notice=RULES.notice, horizon=timedelta(days=4), max_per_day=4
    )
    groups = by_local_day(open_slots(now=now, tz=tz, rules=rules, weekly_hours=weekly), tz)
    assert [day for day, _ in groups] == [date(2026, 6, d) for d in expected_days]
    for day, slots in groups:
        assert walls(slots, tz) == expected_walls
        assert {slot.start.astimezone(tz).date() for slot in slots} == {day}
        assert {slot.start.date() for slot in slots} != {day}  # the UTC date differs


# London and New York change their clocks on different Sundays (in 2026: New York on
# 8 March and 1 November, London on 29 March and 25 October), so for a few weeks a year
# the two are four hours apart instead of five.
NEW_YORK = NY


@pytest.mark.parametrize(
    ("instant", "london", "new_york"),
    [
        ("2026-03-04T15:00Z", "Wednesday 4 March 2026, 3:00 PM", "10:00 AM"),  # both winter
        ("2026-03-18T14:00Z", "Wednesday 18 March 2026, 2:00 PM", "10:00 AM"),  # NY moved
        ("2026-04-01T14:00Z", "Wednesday 1 April 2026, 3:00 PM", "10:00 AM"),  # both summer
        ("2026-10-28T14:00Z", "Wednesday 28 October 2026, 2:00 PM", "10:00 AM"),  # London back
        ("2026-11-04T15:00Z", "Wednesday 4 November 2026, 3:00 PM", "10:00 AM"),  # both winter
    ],
    ids=["both-standard", "only-new-york-summer", "both-summer", "only-london-back", "both-back"],
)
def test_times_in_both_zones_across_each_clock_change(instant, london, new_york):
    start = parse_key(instant)
    # A London visitor of a New York practice ...
    assert describe(start, LONDON, NEW_YORK) == f"{london} London time ({new_york} New York time)"
    # ... and a New York visitor of a London practice.
    date, _, clock_there = london.rpartition(", ")
    assert describe(start, NEW_YORK, LONDON) == (
        f"{date}, {new_york} New York time ({clock_there} London time)"
    )
    # Someone in the practice's own zone reads it once.
    assert describe(start, NEW_YORK, NEW_YORK) == f"{date}, {new_york} New York time"


def test_a_time_on_another_day_there_names_the_day():
    start = parse_key("2026-07-01T01:00Z")  # Tuesday 9 PM in New York, Wednesday in Tokyo
    assert describe(start, ZoneInfo("Asia/Tokyo"), NEW_YORK) == (
        "Wednesday 1 July 2026, 10:00 AM Tokyo time (Tue 9:00 PM New York time)"
    )
