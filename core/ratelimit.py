"""Rate limits kept in the shared "ratelimit" cache, so every worker and instance counts together.

A limit of N per W seconds is N slots. Each counted request takes a free slot with
`cache.add`, which is atomic in every shared Django cache (a unique-key INSERT in the
database cache, SET NX in Redis), and the slot stays taken for W seconds after that
request. So no more than N requests pass in any W seconds, however many processes
serve them at once. (`cache.incr` is a plain read-then-write in the database cache,
and resets the expiry, so it is not used.)

The client is identified by its IP address as core.clientip derives it, hashed so the
cache never holds an address.
"""

import hashlib
import math
import time

from django.conf import settings
from django.core.cache import caches
from django.shortcuts import render

from .clientip import client_ip

CACHE_ALIAS = "ratelimit"


def _slot_keys(scope, ident, count):
    digest = hashlib.sha256(f"{settings.SECRET_KEY}:{scope}:{ident}".encode()).hexdigest()[:32]
    return [f"{scope}:{digest}:{n}" for n in range(count)]


def take(scope, ident, count, seconds, *, now=None):
    """Count one request. Returns 0 when allowed, else the seconds until a slot frees."""
    cache = caches[CACHE_ALIAS]
    now = time.time() if now is None else now
    keys = _slot_keys(scope, ident, count)
    taken = cache.get_many(keys)
    for key in keys:
        if key not in taken and cache.add(key, now + seconds, timeout=seconds):
            return 0
    taken = cache.get_many(keys)
    if len(taken) < count:
        # A slot freed while we were looking; count it as taken rather than loop.
        return 1
    return max(1, int(min(taken.values()) - now + 0.999))


def client_limit(request, scope, setting):
    """take() for this request's client, with the (count, seconds) limit in a setting.

    A setting of None turns the limit off.
    """
    limit = getattr(settings, setting)
    if not limit:
        return 0
    count, seconds = limit
    return take(scope, client_ip(request), count, seconds)


def too_many_requests(request, template, retry_after):
    """The calm 429 page, with Retry-After in seconds and the wait in minutes for people."""
    context = {"retry_minutes": max(1, math.ceil(retry_after / 60))}
    response = render(request, template, context, status=429)
    response["Retry-After"] = str(retry_after)
    return response
