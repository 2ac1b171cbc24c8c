"""Consult requests are limited per client address, in the cache every process shares."""

import threading
import uuid
from datetime import timedelta

import pytest
import time_machine
from django.conf import settings as django_settings
from django.core.cache import caches
from django.db import connection

from consults.models import ConsultRequest
from core import ratelimit
from core.clientip import client_ip
from tests.consults.builders import form_data

pytestmark = pytest.mark.django_db

VISITOR = "203.0.113.7"


@pytest.fixture(autouse=True)
def limit_on(settings):
    settings.CONSULT_RATE_LIMIT = (5, 600)
    settings.CONSULT_MIN_SECONDS = 0


def book(client, ip=VISITOR, **overrides):
    page = client.get("/consult/", REMOTE_ADDR=ip)
    return client.post("/consult/", form_data(page, **overrides), REMOTE_ADDR=ip)


def book_via_proxy(client, forwarded):
    """A booking's status through one proxy (10.0.0.2) that wrote `forwarded`."""
    page = client.get("/consult/")
    return client.post(
        "/consult/", form_data(page), REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR=forwarded
    ).status_code


def test_five_requests_pass_and_the_sixth_gets_a_calm_429(client):
    for n in range(5):  # five people on one connection (one address holds one request)
        assert book(client, email=f"v{n}@example.org").status_code == 302
    response = book(client, email="v5@example.org")
    assert response.status_code == 429
    assert 1 <= int(response["Retry-After"]) <= 600
    html = response.content.decode()
    assert "Please try again in a few minutes" in html
    assert "10 minutes" in html
    assert "not monitored around the clock" in html  # the crisis notice
    assert "no-store" in response["Cache-Control"]
    assert ConsultRequest.objects.count() == 5


def test_the_page_offers_the_practice_contact_details(client):
    from core.models import PracticeProfile

    profile = PracticeProfile.load()
    profile.contact_email = "hello@practice.example"
    profile.contact_phone = "555-0100"
    profile.save()
    for _ in range(5):
        book(client)
    html = book(client).content.decode()
    assert "mailto:hello@practice.example" in html
    assert "tel:555-0100" in html


def test_the_limit_resets_after_the_window(client):
    for _ in range(5):
        book(client)
    assert book(client).status_code == 429
    with time_machine.travel(timedelta(seconds=601)):
        assert book(client).status_code == 302


def test_the_window_slides_one_slot_at_a_time(client):
    with time_machine.travel(0, tick=False) as traveller:
        traveller.move_to("2030-01-01T10:00:00Z")
        book(client)
        traveller.shift(300)
        for _ in range(4):
            book(client)
        assert book(client).status_code == 429
        traveller.shift(301)  # the first slot is free again, the other four are not
        assert book(client).status_code == 302
        response = book(client)
        assert response.status_code == 429
        assert int(response["Retry-After"]) == 299


def test_correcting_mistakes_never_uses_up_a_try(client):
    for _ in range(10):
        assert book(client, email="not an address").status_code == 200
    assert book(client).status_code == 302


def test_each_address_has_its_own_limit(client):
    for _ in range(5):
        book(client)
    assert book(client).status_code == 429
    assert book(client, ip="198.51.100.9").status_code == 302


def test_behind_a_proxy_the_limit_follows_the_real_client(client, settings):
    settings.TRUSTED_PROXY_COUNT = 1

    def via_proxy(forwarded):
        return book_via_proxy(client, forwarded)

    # Whatever the client puts in the header itself is ignored: only the last entry,
    # written by our proxy, counts.
    for n in range(5):
        assert via_proxy(f"1.2.3.{n}, {VISITOR}") == 302
    assert via_proxy(f"9.9.9.9, {VISITOR}") == 429
    assert via_proxy("198.51.100.9") == 302


def test_one_ipv6_network_shares_one_limit_behind_a_proxy(client, settings):
    # A host given a /64 can pick a new address for every request: all count as one.
    settings.TRUSTED_PROXY_COUNT = 1
    statuses = [book_via_proxy(client, f"2001:db8:5:6::{n:x}") for n in range(1, 9)]
    assert statuses == [302] * 5 + [429] * 3
    assert book_via_proxy(client, "2001:db8:5:7::1") == 302  # the next /64 is someone else


def test_ipv4_written_as_ipv6_counts_as_the_same_client(client):
    for _ in range(3):
        assert book(client, ip=VISITOR).status_code == 302
    statuses = [book(client, ip=f"::ffff:{VISITOR}").status_code for _ in range(4)]
    assert statuses == [302, 302, 429, 429]


@pytest.mark.parametrize(
    ("proxies", "remote", "forwarded", "expected"),
    [
        (0, "203.0.113.7", "1.2.3.4", "203.0.113.7"),  # no proxy: the header is the client's word
        (1, "10.0.0.2", "203.0.113.7", "203.0.113.7"),
        (1, "10.0.0.2", "6.6.6.6, 203.0.113.7", "203.0.113.7"),
        (2, "10.0.0.3", "6.6.6.6, 203.0.113.7, 10.0.0.2", "203.0.113.7"),
        (2, "10.0.0.3", "203.0.113.7", "10.0.0.3"),  # fewer hops than proxies: trust nothing
        (1, "10.0.0.2", "not-an-address", "10.0.0.2"),
        (1, "10.0.0.2", "2001:db8::1", "2001:db8::"),
        # An IPv6 client is its /64; an IPv4 address written as IPv6 is the IPv4 address.
        (0, "2001:db8:1:2:aaaa::1", "", "2001:db8:1:2::"),
        (1, "10.0.0.2", "2001:db8:1:2:ffff:1:2:3", "2001:db8:1:2::"),
        (0, "::ffff:203.0.113.7", "", "203.0.113.7"),
        (1, "10.0.0.2", "::ffff:203.0.113.7", "203.0.113.7"),
    ],
)
def test_client_ip(rf, settings, proxies, remote, forwarded, expected):
    settings.TRUSTED_PROXY_COUNT = proxies
    request = rf.get("/", REMOTE_ADDR=remote, HTTP_X_FORWARDED_FOR=forwarded)
    assert client_ip(request) == expected


def test_the_counters_live_in_the_shared_database_cache():
    # Never a per-process cache: every gunicorn worker and instance must count together.
    for alias in ("default", ratelimit.CACHE_ALIAS):
        backend = django_settings.CACHES[alias]["BACKEND"]
        assert backend in (
            "django.core.cache.backends.db.DatabaseCache",
            "django.core.cache.backends.redis.RedisCache",
        )
    ratelimit.take("test-shared", VISITOR, 5, 600)
    table = django_settings.CACHES[ratelimit.CACHE_ALIAS]["LOCATION"]
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {table}")
        assert cursor.fetchone()[0] >= 1


def test_the_cache_never_holds_the_address():
    ratelimit.take("test-hashed", VISITOR, 5, 600)
    table = django_settings.CACHES[ratelimit.CACHE_ALIAS]["LOCATION"]
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT cache_key FROM {table}")
        keys = [row[0] for row in cursor.fetchall()]
    assert keys
    assert not any(VISITOR in key for key in keys)


@pytest.mark.django_db(transaction=True)
def test_concurrent_requests_on_separate_connections_get_exactly_the_limit():
    # As from several processes: each thread has its own database connection.
    scope = f"test-race-{uuid.uuid4()}"
    results = []
    barrier = threading.Barrier(12)

    def attempt():
        from django.db import connections

        barrier.wait()
        try:
            results.append(ratelimit.take(scope, VISITOR, 5, 600))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=attempt) for _ in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results).count(0) == 5
    caches[ratelimit.CACHE_ALIAS].delete_many(ratelimit._slot_keys(scope, VISITOR, 5))
