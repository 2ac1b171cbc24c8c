"""Busy periods from calendar files, against what the calendar app shows (hand-checked).

The practice is in America/New_York; clocks go forward on Sunday 8 March 2026.
Times below are written in UTC: 09:00 in New York is 14:00Z before the 8th, 13:00Z after.
"""

from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from consults.calendars import CalendarError, parse_busy

NY = ZoneInfo("America/New_York")
FILES = Path(__file__).parent / "calendars"
START = datetime(2026, 3, 1, tzinfo=UTC)
END = datetime(2026, 4, 1, tzinfo=UTC)


def z(text):
    """'03-03 15:00' → that moment in March 2026, UTC."""
    return datetime.strptime(f"2026-{text}", "%Y-%m-%d %H:%M").replace(tzinfo=UTC)


def busy(name, **options):
    data = (FILES / name).read_bytes()
    return [
        (f"{s:%m-%d %H:%M}", f"{e:%m-%d %H:%M}")
        for s, e in parse_busy(data, START, END, NY, **options)
    ]


def test_google_export_with_x_wr_timezone():
    assert busy("google.ics") == [
        ("03-03 15:00", "03-03 16:00"),  # a client session: its title and note are not kept
        ("03-04 14:00", "03-04 15:00"),  # daily supervision, twice
        ("03-05 14:00", "03-05 15:00"),
    ]


def test_outlook_busy_only_publish_with_windows_zone_names():
    assert busy("outlook.ics") == [
        ("03-03 14:00", "03-03 15:30"),  # busy 09:00–10:30 Eastern
        ("03-03 18:00", "03-03 19:00"),  # tentative 13:00–14:00 blocks by default
    ]  # "free" 15:00–16:00 does not block


def test_tentative_can_be_set_not_to_block():
    assert busy("outlook.ics", tentative_blocks=False) == [("03-03 14:00", "03-03 15:30")]


def test_weekly_repeat_with_exception_moved_instance_all_day_transparent_cancelled_floating():
    assert busy("weekly.ics") == [
        ("03-02 15:00", "03-02 16:00"),  # Monday 10:00 EST
        ("03-04 13:00", "03-04 13:30"),  # floating 08:00, read on the practice's clock
        ("03-05 22:00", "03-05 23:00"),  # RDATE Thursday 17:00, one hour like the rest
        ("03-06 05:00", "03-07 05:00"),  # all day Friday, New York midnight to midnight
        # Monday 9 March is an EXDATE; the lunch reminder is transparent; one is cancelled.
        ("03-17 16:00", "03-17 17:00"),  # 16 March moved to Tuesday 12:00 EDT
        ("03-23 14:00", "03-23 15:00"),  # Monday 10:00 EDT, after the clock change
    ]


def test_daily_event_keeps_its_wall_clock_through_the_clock_change():
    assert busy("dst.ics") == [
        ("03-06 14:00", "03-06 15:00"),
        ("03-07 14:00", "03-07 15:00"),
        ("03-08 13:00", "03-08 14:00"),  # still 09:00 in New York
        ("03-09 13:00", "03-09 14:00"),
    ]


@pytest.mark.parametrize("data", [b"not a calendar", (FILES / "malformed.ics").read_bytes(), b""])
def test_broken_file_is_a_plain_error(data):
    with pytest.raises(CalendarError, match="not a valid calendar"):
        parse_busy(data, START, END, NY)
