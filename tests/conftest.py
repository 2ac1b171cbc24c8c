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
