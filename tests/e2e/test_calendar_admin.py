"""The therapist adds a calendar in the admin, in a real Chromium, at 1280 and 375 px:
the form is labelled and axe-clean, bad input is explained, the secret address is never
shown again, and what the worker found is shown."""

import os
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from consults import calendars
from consults.models import BusyPeriod, CalendarSource
from tests.conftest import login_with_otp
from tests.consults.builders import make_consult, set_rules

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


@pytest.mark.parametrize("width", [1280, 375])
def test_week_view_marks_busy_times_and_a_clashing_consult(
    page, live_server, axe_violations, width
):
    page.set_viewport_size({"width": width, "height": 900})
    set_rules(min_notice_hours=0)
    source = CalendarSource(name="Practice", last_success_at=timezone.now())
    calendars.set_secrets(source, url="https://calendar.example.com/a.ics")
    source.save()
    tomorrow = timezone.now().replace(minute=0, second=0, microsecond=0) + timedelta(days=1)
    BusyPeriod.objects.create(source=source, period=(tomorrow, tomorrow + timedelta(hours=1)))
    clashing = make_consult(starts_at=tomorrow + timedelta(minutes=30), name="Robin Clash")
    make_consult(starts_at=tomorrow + timedelta(hours=3), name="Alex Clear")
    user = get_user_model().objects.create_superuser("therapist", "t@example.com", PASSWORD)
    page.goto(live_server.url + reverse("admin:login"))
    login_with_otp(page, user, password=PASSWORD, base_url=live_server.url)
    page.goto(live_server.url + reverse("admin:consults_calendarsource_changelist"))
    page.get_by_role("link", name="Busy times and consults").click()

    expect(page.get_by_role("alert")).to_contain_text("1 consult now clashes with a busy time")
    rows = page.locator("#content tbody tr")
    expect(rows).to_have_count(3)
    expect(rows.nth(0)).to_contain_text("Busy")
    expect(rows.nth(1)).to_contain_text("Free consult: Robin")
    expect(rows.nth(1)).to_contain_text("clashes with a busy time")
    expect(rows.nth(2)).not_to_contain_text("clashes")
    assert str(clashing.pk) in rows.nth(1).get_by_role("link").get_attribute("href")
    assert axe_violations(page) == []
    shot(page, f"calendar-week-{width}")
