"""Transaction-scoped PostgreSQL advisory locks, named by a string.

Used where a rule counts rows that may not exist yet (a day's bookings, one address's
open requests or emails), so no row lock could serialise two writers.
"""

import hashlib

from django.db import connection


def advisory_lock(name):
    """Hold the lock called `name` until the current transaction ends."""
    key = int.from_bytes(hashlib.blake2b(name.encode(), digest_size=8).digest(), "big", signed=True)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [key])
