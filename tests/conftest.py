"""Shared fixtures: a real Chromium for browser tests, and axe-core for accessibility."""

import os
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")

# Playwright's sync API runs an event loop in the test thread; Django's live server
# and ORM calls in the same thread are safe here because they never run concurrently.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    if not Path(CHROMIUM).exists():
        reason = f"Chromium not found at {CHROMIUM}: install it (apt-get install -y chromium)"
        if os.environ.get("CI"):
            pytest.fail(f"CI=true and {reason}", pytrace=False)
        pytest.skip(f"BROWSER TESTS SKIPPED: {reason}")
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
        ],
    }


@pytest.fixture
def axe_violations():
    """Run axe-core (served from the installed package, never a CDN) on a page."""
    from axe_playwright_python.sync_playwright import Axe

    axe = Axe()

    def run(page):
        results = axe.run(page)
        violations = results.response["violations"]
        return [
            f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']]}"
            for v in violations
        ]

    return run


@pytest.fixture(autouse=True)
def _no_kept_pages():
    """Each test starts with no kept pages: each process keeps them in its own memory
    (core.pages), and a page rendered for one test's data must not reach another."""
    from django.core.cache import caches

    caches["pages"].clear()


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """Run what waits for a commit (the page cache is emptied then) as if it committed."""

    def run(change):
        with django_capture_on_commit_callbacks(execute=True):
            change()

    return run


@pytest.fixture(autouse=True)
def _consult_rate_limit_off(settings):
    """Most tests book many times from one address: the limit is off unless a test
    (tests/security/test_rate_limit.py) turns it back on."""
    settings.CONSULT_RATE_LIMIT = None


def totp_device(user):
    """The user's authenticator-app device (created confirmed if they have none)."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.filter(user=user).first()
    return device or TOTPDevice.objects.create(user=user, name="Authenticator app")


def current_code(device):
    """The 6-digit code an authenticator app would show now for this device."""
    from django_otp.oath import TOTP

    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return f"{totp.token():0{device.digits}d}"


def login_with_otp(client_or_page, user, *, password=None, base_url=None):
    """Sign a staff user in to the two-factor admin.

    A Django test client is signed in directly, as if through the form (session plus
    verified device). A Playwright page goes through the real sign-in form at
    base_url, with the password and the current code.
    """
    from django.conf import settings
    from django_otp import DEVICE_ID_SESSION_KEY

    device = totp_device(user)
    if hasattr(client_or_page, "force_login"):
        client_or_page.force_login(user)
        session = client_or_page.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()
        return client_or_page
    page = client_or_page
    page.goto(f"{base_url}/{settings.ADMIN_URL}login/")
    page.get_by_label("Username").fill(user.get_username())
    page.get_by_label("Password").fill(password)
    page.get_by_label("Authentication code").fill(current_code(device))
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{base_url}/{settings.ADMIN_URL}")
    return page


@pytest.fixture
def admin_client(admin_user):
    """pytest-django's admin_client, signed in with a second factor as the admin requires."""
    from django.test import Client

    return login_with_otp(Client(), admin_user)
