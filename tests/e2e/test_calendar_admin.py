"""The therapist adds a calendar in the admin, in a real Chromium, at 1280 and 375 px:
the form is labelled and axe-clean, bad input is explained, the secret address is never
shown again, and what the worker found is shown."""

import os

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from playwright.sync_api import expect

from consults import calendars
from consults.models import CalendarSource
from tests.conftest import login_with_otp

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PASSWORD = "a-long-password-1"
SECRET = "https://calendar.example.com/private-9f8e7d6c5b4a/basic.ics"
SHOTS = os.environ.get("SHOTS_DIR")


def shot(page, name):
    if SHOTS:
        page.screenshot(path=f"{SHOTS}/{name}.png", full_page=True)


@pytest.mark.parametrize("width", [1280, 375])
def test_add_a_calendar_address(page, live_server, axe_violations, width):
    page.set_viewport_size({"width": width, "height": 900})
    user = get_user_model().objects.create_superuser("therapist", "t@example.com", PASSWORD)
    page.goto(live_server.url + reverse("admin:login"))
    login_with_otp(page, user, password=PASSWORD, base_url=live_server.url)
    page.goto(live_server.url + reverse("admin:consults_calendarsource_add"))

    page.get_by_label("Name:", exact=True).fill("Practice calendar")
    page.get_by_label("Address:", exact=True).fill("http://calendar.example.com/a.ics")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_text("The address must start with https:// or webcal://.")).to_be_visible()
    assert not CalendarSource.objects.exists()
    assert axe_violations(page) == []
    shot(page, f"calendar-add-error-{width}")

    page.get_by_label("Address:", exact=True).fill(SECRET.replace("https://", "webcal://"))
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_text("The site reads this calendar within a minute")).to_be_visible()
    source = CalendarSource.objects.get()
    assert calendars.decrypt(source.url_encrypted) == SECRET

    page.goto(live_server.url + reverse("admin:consults_calendarsource_change", args=[source.pk]))
    expect(page.get_by_text("Not read yet: no times are offered until it is")).to_be_visible()
    expect(page.get_by_text("https://calendar.example.com/…")).to_be_visible()
    assert "private-9f8e7d6c5b4a" not in page.content()
    assert axe_violations(page) == []
    shot(page, f"calendar-change-{width}")
    # Saving again with the address left blank keeps it.
    page.get_by_role("button", name="Save", exact=True).click()
    source.refresh_from_db()
    assert calendars.decrypt(source.url_encrypted) == SECRET
