"""Rendered public pages kept in each web process's memory, and how they go stale.

A page whose HTML is the same for every visitor (an article, the home page, the
article list, the feed) is rendered once per process and then served from memory,
gzipped ahead of time and with an ETag, so a repeat visit gets a 304.

What keeps it right is the *content state*: the token in core.ContentVersion, which
every save or delete of a watched model replaces (in the same transaction as the
change), and the next moment a scheduled article goes live. A process reads the state
together with the practice profile in one query, at most once every
CONTENT_CHECK_SECONDS; a different state empties its page cache. Changes made in this
process are seen at once. Gunicorn's workers are forked from one master, so a change
is also announced to the others through a few bytes of memory they share (created
before the fork): once it is committed, every worker reads the state again on its next
request. Anything else (another machine, a management command) is seen within a second.

Values pages are made from (per_state), such as the booking rules and weekly hours,
are kept the same way: read once, and again when the state changes.

Fragments (cached_fragment) are the other half: a piece of a page that differs between
visitors, such as the open times on /consult/, keyed by everything it is rendered
from, so it needs no invalidation at all. A HoledPage is such a fragment with a few
stand-ins for each visitor's own values: it is compressed once, and each visitor's
values are spliced into the compressed stream as they are.

A response is only kept when nothing in it can belong to one visitor: status 200,
no cookie set, no CSRF token used, no session or messages read, no Vary header,
nothing marked private or no-cache by the view.
"""

import gzip
import hashlib
import mmap
import os
import re
import struct
import threading
import time
import uuid
import zlib
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime
from functools import wraps

from django.conf import settings
from django.db import transaction
from django.db.models import Subquery
from django.db.models.signals import post_delete, post_save
from django.http import HttpResponse
from django.utils import timezone
from django.utils.cache import get_conditional_response, patch_vary_headers

from .models import ContentVersion, PracticeProfile

_ACCEPTS_GZIP = re.compile(r"\bgzip\b")
_NOT_SHARED = re.compile(r"\b(private|no-cache|no-store)\b")
_MIN_GZIP_BYTES = 200

_lock = threading.Lock()
_schedules = []

# Anonymous shared memory, made at import (in gunicorn's master, before it forks the
# workers): eight bytes that change whenever committed content changes.
_ANNOUNCE_BYTES = 8
_announcements = mmap.mmap(-1, _ANNOUNCE_BYTES)


def _announced():
    return _announcements[:_ANNOUNCE_BYTES]


def _announce():
    # Random rather than a counter: two workers announcing at once can never write the
    # same value another worker has already seen.
    _announcements[:_ANNOUNCE_BYTES] = os.urandom(_ANNOUNCE_BYTES)


@dataclass(frozen=True)
class ContentState:
    token: uuid.UUID | None
    next_change: datetime | None  # when a scheduled article goes live, if any
    profile: PracticeProfile
    checked_at: float
    announced: bytes  # the shared announcement when this state was read

    @property
    def key(self):
        return (self.token, self.next_change)


@dataclass(frozen=True)
class CachedPage:
    content: bytes
    gzipped: bytes | None
    headers: tuple
    etag: str


class _Local:
    state = None
    pages = OrderedDict()
    pages_key = None
    fragments = OrderedDict()


_local = _Local()


def watch(*models):
    """Replace the content token whenever one of these models is saved or deleted."""
    for model in models:
        post_save.connect(_content_changed, sender=model, dispatch_uid=f"core.cache.save.{model}")
        post_delete.connect(
            _content_changed, sender=model, dispatch_uid=f"core.cache.delete.{model}"
        )


def watch_schedule(next_change_queryset):
    """Register a function of `now` returning a queryset of one datetime: the next moment
    a page changes by itself (a scheduled article going live). Cached pages expire then."""
    _schedules.append(next_change_queryset)


def _content_changed(**kwargs):
    bump()


def bump():
    """Give the content a new token, in the current transaction, forget ours, and tell
    the other workers once the change is committed."""
    ContentVersion.objects.bulk_create(
        [ContentVersion(pk=1, token=uuid.uuid4())],
        update_conflicts=True,
        unique_fields=["id"],
        update_fields=["token", "changed_at"],
    )
    reset()
    transaction.on_commit(_announce)


def reset():
    """Forget this process's state, pages and fragments (the next request reads the state
    again)."""
    with _lock:
        _local.state = None
        _local.pages.clear()
        _local.pages_key = None
        _local.fragments.clear()


def cached_fragment(key, render):
    """render(), kept in this process under `key`, which must name everything the
    fragment is made from (and nothing secret: keys are hashed, fragments are not)."""
    digest = hashlib.blake2b(repr(key).encode(), digest_size=16).digest()
    with _lock:
        fragment = _local.fragments.get(digest)
        if fragment is not None:
            _local.fragments.move_to_end(digest)
            return fragment
    fragment = render()
    with _lock:
        _local.fragments[digest] = fragment
        while len(_local.fragments) > settings.PAGE_CACHE_ENTRIES:
            _local.fragments.popitem(last=False)
    return fragment


def accepts_gzip(request):
    return bool(_ACCEPTS_GZIP.search(request.META.get("HTTP_ACCEPT_ENCODING", "")))


# A gzip member (RFC 1952) around raw deflate blocks (RFC 1951): no name, no time.
_GZIP_HEADER = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff"
_LAST_BLOCK = b"\x03\x00"  # an empty final block


def _deflated(data):
    """data as deflate blocks ending on a byte boundary, so more blocks can follow."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    return compressor.compress(data) + compressor.flush(zlib.Z_SYNC_FLUSH)


def _stored(data):
    """data as one uncompressed deflate block (a visitor's value: short and random)."""
    return b"\x00" + struct.pack("<HH", len(data), len(data) ^ 0xFFFF) + data


class HoledPage:
    """A rendered page with stand-ins (holes) for values that are each visitor's own.

    The text between the holes is compressed once. A visitor's values go into the
    gzip stream as uncompressed blocks, so serving it costs no compression, and a
    secret such as a CSRF token is never compressed together with anything else on
    the page (nothing for a BREACH-style attack to measure).
    """

    def __init__(self, text, holes):
        parts = re.split("(" + "|".join(re.escape(hole) for hole in holes) + ")", text)
        self.texts = [part.encode() for part in parts[0::2]]
        self.holes = parts[1::2]
        self.deflated = [_deflated(part) for part in self.texts]

    def _values(self, values):
        return [values[hole].encode() for hole in self.holes] + [b""]

    def response(self, request, values):
        """An HttpResponse with the page, holes filled, gzipped if the client takes it."""
        filled = self._values(values)
        if not accepts_gzip(request):
            pieces = (piece for pair in zip(self.texts, filled, strict=True) for piece in pair)
            response = HttpResponse(b"".join(pieces))
        else:
            body, crc, size = [_GZIP_HEADER], 0, 0
            for text, deflated, value in zip(self.texts, self.deflated, filled, strict=True):
                body += [deflated, _stored(value)] if value else [deflated]
                crc = zlib.crc32(value, zlib.crc32(text, crc))
                size += len(text) + len(value)
            body += [_LAST_BLOCK, struct.pack("<II", crc, size & 0xFFFFFFFF)]
            response = HttpResponse(b"".join(body))
            response["Content-Encoding"] = "gzip"
        patch_vary_headers(response, ["Accept-Encoding"])
        return response


def _read_state(now, announced):
    annotations = {
        "content_token": Subquery(ContentVersion.objects.filter(pk=1).values("token")[:1])
    }
    for index, schedule in enumerate(_schedules):
        annotations[f"next_change_{index}"] = Subquery(schedule(now))
    profile = PracticeProfile.objects.annotate(**annotations).filter(pk=1).first()
    if profile is None:
        PracticeProfile.load()  # creates the row, once in the site's life
        profile = PracticeProfile.objects.annotate(**annotations).get(pk=1)
    changes = [getattr(profile, f"next_change_{index}") for index in range(len(_schedules))]
    return ContentState(
        token=profile.content_token,
        next_change=min((c for c in changes if c is not None), default=None),
        profile=profile,
        checked_at=time.monotonic(),
        announced=announced,
    )


def current_state():
    """This process's view of the content state, read again when older than allowed."""
    state = _local.state
    if state is not None:
        age = time.monotonic() - state.checked_at
        fresh = 0 <= age < settings.CONTENT_CHECK_SECONDS
        scheduled_passed = state.next_change is not None and timezone.now() >= state.next_change
        if fresh and not scheduled_passed and state.announced == _announced():
            return state
    # The announcement is read before the database: one made meanwhile is noticed next time.
    state = _read_state(timezone.now(), _announced())
    with _lock:
        _local.state = state
    return state


def practice_profile():
    """The practice profile, as of the current content state (no query most of the time)."""
    return current_state().profile


def _lookup(state_key, page_key):
    with _lock:
        if _local.pages_key != state_key:
            _local.pages.clear()
            _local.pages_key = state_key
            return None
        page = _local.pages.get(page_key)
        if page is not None:
            _local.pages.move_to_end(page_key)
        return page


def _store(state_key, page_key, page):
    with _lock:
        if _local.pages_key != state_key:
            return
        _local.pages[page_key] = page
        while len(_local.pages) > settings.PAGE_CACHE_ENTRIES:
            _local.pages.popitem(last=False)


def per_state(load):
    """Decorator: load() kept in this process until the content state changes.

    For what pages are made from and watched models hold (the booking rules, the weekly
    hours). The state is read before load() runs, so a value is never older than the
    state it is kept under.
    """
    page_key = ("per_state", load.__module__, load.__qualname__)

    @wraps(load)
    def wrapper():
        state = current_state()
        value = _lookup(state.key, page_key)
        if value is None:
            value = load()
            _store(state.key, page_key, value)
        return value

    return wrapper


def _is_shared(request, response):
    """Whether this response is the same for every visitor, so it may be kept."""
    messages = getattr(request, "_messages", None)
    session = getattr(request, "session", None)
    return (
        response.status_code == 200
        and not response.streaming
        and not response.cookies
        and not response.has_header("Vary")
        and not _NOT_SHARED.search(response.get("Cache-Control", ""))
        and not request.META.get("CSRF_COOKIE_NEEDS_UPDATE")
        and not (session is not None and session.accessed)
        and not (messages is not None and getattr(messages, "used", False))
    )


def _freeze(response):
    content = response.content
    gzipped = gzip.compress(content, compresslevel=9, mtime=0)
    if len(content) < _MIN_GZIP_BYTES or len(gzipped) >= len(content):
        gzipped = None
    headers = tuple(
        (name, value)
        for name, value in response.items()
        if name.lower() not in {"content-length", "etag", "cache-control", "vary"}
    )
    etag = f'W/"{hashlib.blake2b(content, digest_size=16).hexdigest()}"'
    return CachedPage(content, gzipped, headers, etag)


def _thaw(request, page):
    use_gzip = page.gzipped is not None and accepts_gzip(request)
    response = HttpResponse(page.gzipped if use_gzip else page.content)
    for name, value in page.headers:
        response[name] = value
    if use_gzip:
        response["Content-Encoding"] = "gzip"
    if page.gzipped is not None:
        patch_vary_headers(response, ["Accept-Encoding"])
    # Browsers and proxies may keep it, but ask each time; the ETag makes that a 304.
    response["Cache-Control"] = "no-cache"
    response["ETag"] = page.etag
    return get_conditional_response(request, etag=page.etag, response=response)


def cached_page(view):
    """Serve a GET of this view from the process's page cache (see the module docstring)."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if request.method not in ("GET", "HEAD"):
            return view(request, *args, **kwargs)
        state = current_state()
        page_key = request.get_full_path()
        page = _lookup(state.key, page_key)
        if page is None:
            response = view(request, *args, **kwargs)
            if hasattr(response, "render") and not response.is_rendered:
                response.render()
            if not _is_shared(request, response):
                return response
            page = _freeze(response)
            _store(state.key, page_key, page)
        return _thaw(request, page)

    return wrapper
