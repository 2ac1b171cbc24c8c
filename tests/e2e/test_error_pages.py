"""The error pages in a real browser, at a phone's width and a laptop's: axe finds nothing,
the CSP is never violated, and the page is in the site's layout.

Screenshots go to $SCREENSHOTS_DIR when it is set (for a person to look at), otherwise
to the test's temporary folder.
"""

import os
from pathlib import Path

import pytest
from playwright.sync_api import expect

from core.models import PracticeProfile

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WIDTHS = [375, 1280]
PAGES = {
    "400": ("/?q=%00", 400, "Something in the address didn’t work"),
    "403": ("/refused-for-the-test/", 403, "This page isn’t open to visitors"),
    "404": ("/consult/manage/not-a-real-token/", 404, "This page isn’t here"),
    "500": ("/fails-for-the-test/", 500, "Something went wrong on this website"),
}


@pytest.fixture
def site(live_server):
    profile = PracticeProfile.load()
    profile.contact_email = "hello@example-practice.test"
    profile.contact_phone = "+1 555 0100"
    profile.save()
    return live_server.url


@pytest.fixture
def shots(tmp_path):
    folder = Path(os.environ.get("SCREENSHOTS_DIR") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def watch_csp(page):
    violations = []
    page.on(
        "console",
        lambda message: (
            violations.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    return violations


def check(page, axe_violations, heading, csp_violations):
    expect(page.get_by_role("heading", level=1)).to_have_text(heading)
    expect(page.get_by_role("navigation", name="Main")).to_be_visible()
    expect(page.get_by_text("If you are in crisis:")).to_be_visible()
    # In the page's own words (the footer carries it too, on every page).
    main = page.locator("#main")
    expect(main.get_by_role("link", name="hello@example-practice.test")).to_be_visible()
    assert axe_violations(page) == []
    assert csp_violations == []


@pytest.mark.urls("tests.core.error_urls")
@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("name", PAGES)
def test_error_page(page, site, axe_violations, shots, name, width):
    path, status, heading = PAGES[name]
    page.set_viewport_size({"width": width, "height": 900})
    csp = watch_csp(page)
    response = page.goto(f"{site}{path}")
    assert response.status == status
    check(page, axe_violations, heading, csp)
    page.screenshot(path=shots / f"{name}-{width}.png", full_page=True)


@pytest.mark.parametrize("width", WIDTHS)
def test_csrf_failure_page_leads_back_to_the_form(page, site, axe_violations, shots, width):
    page.set_viewport_size({"width": width, "height": 900})
    csp = watch_csp(page)
    page.goto(f"{site}/consult/")
    # The picker's script may still be fetching the times in the browser's own zone, and
    # that answer would give the cookie back.
    page.wait_for_load_state("networkidle")
    page.context.clear_cookies()  # as if the browser blocked them
    page.locator("main form[method=post]").first.evaluate("form => form.submit()")
    expect(page.get_by_role("heading", level=1)).to_have_text("Your form wasn’t sent")
    check(page, axe_violations, "Your form wasn’t sent", csp)
    page.screenshot(path=shots / f"403-csrf-{width}.png", full_page=True)
    page.get_by_role("link", name="Back to the form").click()
    expect(page).to_have_url(f"{site}/consult/")
