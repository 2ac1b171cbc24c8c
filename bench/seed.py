"""Give the bench site what a real one has: weekly hours and a few held times.

Run with the production settings against the bench's throwaway database (bench/server.py).
"""

import os
import sys
import uuid
from datetime import time
from pathlib import Path

import django

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "practice.settings")
django.setup()

from consults import booking  # noqa: E402
from consults.models import WeeklyHours  # noqa: E402

BOOKINGS = 6


def seed():
    if not WeeklyHours.objects.exists():
        for weekday in range(5):  # Monday to Friday, a morning and an afternoon
            WeeklyHours.objects.create(weekday=weekday, start=time(9), end=time(12))
            WeeklyHours.objects.create(weekday=weekday, start=time(13), end=time(17))
    open_slots = booking.available_slots()
    for index, slot in enumerate(open_slots[: BOOKINGS * 5 : 5]):
        booking.submit_request(
            {
                "name": f"Bench {index}",
                "email": f"bench{index}@example.test",
                "contact_method": "email",
            },
            submission_key=uuid.uuid4(),
            start=slot.start,
        )
    print(f"bench: {len(booking.available_slots())} open times on /consult/", flush=True)


if __name__ == "__main__":
    seed()
