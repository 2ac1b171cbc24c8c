"""The privacy page, the consumer health data page and the set-up checklist in a real
Chromium at 375 and 1280 px: axe finds nothing, nothing scrolls sideways.

The live server's transactional database loses the migrations' rows, so the pages are
put back with the migrations' own functions. Set SHOTS_DIR to keep the screenshots.
"""

import importlib
import os
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings
from django.contrib.auth import get_user_model
from playwright.sync_api import expect

from tests.conftest import login_with_otp, totp_device
from tests.consults.builders import set_profile, set_rules

create_pages = importlib.import_module("blog.migrations.0002_create_pages").create_pages
fit_privacy = importlib.import_module("blog.migrations.0005_privacy_page_with_automatic_part")

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SIZES = {375: {"width": 375, "height": 812}, 1280: {"width": 1280, "height": 900}}


@pytest.fixture
def site(live_server):
    create_pages(apps, None)
    fit_privacy.forwards(apps, None)
    set_rules(retention_days=90)
    set_profile(
        practice_name="Quiet Harbor Counseling",
        therapist_name="Sam Rivera",
        contact_email="hello@quietharbor.test",
        web_host="Hostwell Cloud",
        email_provider="Postbox Mail",
        consumer_health_data_page=True,
    )
    return live_server.url


def look(page, name, axe_violations):
    """axe and no sideways scrolling at both widths; a full-page screenshot of each if asked."""
    shots = os.environ.get("SHOTS_DIR")
    for width, size in SIZES.items():
        page.set_viewport_size(size)
        assert axe_violations(page) == [], f"{name} at {width}px"
        wide = page.evaluate("document.documentElement.scrollWidth")
        assert wide <= width, f"{name} scrolls sideways at {width}px ({wide}px wide)"
        if shots:
            Path(shots).mkdir(parents=True, exist_ok=True)
            page.screenshot(path=f"{shots}/{name}-{width}.png", full_page=True)


def test_the_privacy_page(page, site, axe_violations):
    page.goto(f"{site}/privacy/")
    facts = page.get_by_role("region", name="What this website does with your information")
    expect(facts).to_contain_text("deleted automatically after 90 days")
    expect(facts).to_contain_text("servers run by Hostwell Cloud")
    look(page, "privacy", axe_violations)


def test_the_health_data_page_from_the_home_page(page, site, axe_violations):
    page.goto(f"{site}/")
    look(page, "home-with-health-data-link", axe_violations)
    page.get_by_role("main").get_by_role("link", name="Consumer health data privacy policy").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Consumer health data privacy policy")
    expect(page.get_by_role("main")).to_contain_text("deleted automatically after 90 days")
    look(page, "health-data", axe_violations)


def test_the_set_up_checklist(page, site, axe_violations):
    user = get_user_model().objects.create_superuser("therapist", "t@example.test", "a-long-pw-1")
    totp_device(user)
    login_with_otp(page, user, password="a-long-pw-1", base_url=site)
    page.goto(f"{site}/{settings.ADMIN_URL}")
    checklist = page.locator(".practice-checklist")
    expect(checklist).to_contain_text("Review your privacy page")
    expect(checklist).to_contain_text("Choose how long to keep closed requests (now 90 days)")
    # Named in the profile above: done, so no longer a link.
    expect(checklist.get_by_text("Name your web host and email provider")).to_be_visible()
    expect(checklist.get_by_role("link", name="Name your web host")).to_have_count(0)
    checklist.scroll_into_view_if_needed()
    look(page, "admin-home-checklist", axe_violations)
