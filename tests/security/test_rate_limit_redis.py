"""With REDIS_URL set, the caches (and so the rate limit) live in a real Redis server."""

import os
import shutil
import socket
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import pytest
from django.core.cache import caches
from django.test import override_settings

from core import ratelimit
from tests.concurrently import run_at_once

REPO = Path(__file__).resolve().parents[2]
VISITOR = "203.0.113.9"


@pytest.fixture(scope="module")
def redis_url():
    server = shutil.which("redis-server")
    if server is None:
        reason = "redis-server not found: apt-get install -y redis-server"
        if os.environ.get("CI"):
            pytest.fail(f"CI=true and {reason}", pytrace=False)
        pytest.skip(f"REDIS TESTS SKIPPED: {reason}")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    process = subprocess.Popen(
        [server, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_settings_put_both_caches_in_redis_when_redis_url_is_set(redis_url):
    code = (
        "from django.conf import settings; "
        "print(sorted({settings.CACHES[a]['BACKEND'] for a in ('default', 'ratelimit')}), "
        "settings.CACHES['ratelimit']['LOCATION'])"
    )
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "practice.settings",
        "DEBUG": "true",
        "REDIS_URL": redis_url,
    }
    result = subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {code}"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.stdout.strip() == (f"['django.core.cache.backends.redis.RedisCache'] {redis_url}")


def test_concurrent_requests_through_redis_get_exactly_the_limit(redis_url):
    redis_caches = {
        alias: {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": redis_url,
            "KEY_PREFIX": f"test-{alias}",
        }
        for alias in ("default", "ratelimit")
    }
    scope = f"test-redis-{uuid.uuid4()}"
    results = []
    barrier = threading.Barrier(12)

    def attempt(_):
        barrier.wait()
        results.append(ratelimit.take(scope, VISITOR, 5, 600))

    with override_settings(CACHES=redis_caches):
        run_at_once(12, attempt, timeout=30)
        stored = caches[ratelimit.CACHE_ALIAS].get_many(ratelimit._slot_keys(scope, VISITOR, 5))
    assert sorted(results).count(0) == 5
    assert all(wait > 0 for wait in results if wait)
    assert len(stored) == 5
