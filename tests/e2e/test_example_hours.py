"""The example-hours notice (`make run` on a new database) in a real browser: axe finds
nothing at a phone's width and a laptop's. Screenshots go to $SCREENSHOTS_DIR if set."""

import os
from pathlib import Path

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("width", [375, 1280])
def test_the_booking_page_marks_example_times(
    page, live_server, settings, axe_violations, tmp_path, width
):
    settings.DEBUG = True
    call_command("add_example_hours", stdout=open(os.devnull, "w"))  # noqa: SIM115
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(f"{live_server.url}/consult/")
    expect(page.get_by_text("Example open times.")).to_be_visible()
    assert axe_violations(page) == []
    folder = Path(os.environ.get("SCREENSHOTS_DIR") or tmp_path)
    page.screenshot(path=folder / f"consult-example-hours-{width}.png")
