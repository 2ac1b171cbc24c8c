"""How /consult/ and the visitor's pages look: at 375 and 1280 px, light and dark, for a
London visitor and a New York one. Each state is checked by axe, and the booking page's
first view is measured: it must fit a phone without a wall of radios.

Screenshots go to $SHOTS_DIR when it is set (to look at them), else to a temporary folder.
"""

import os
from pathlib import Path

import pytest

from consults import booking, tokens
from tests.consults.builders import open_every_day

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

FIRST_VIEW = """() => {
  const inputs = [...document.querySelectorAll("input:not([type=hidden]), select, textarea")];
  return {
    height: document.documentElement.scrollHeight,
    radios: document.querySelectorAll("input[type=radio]").length,
    inputs: inputs.length,
    inFirstView: inputs.filter((el) => {
      const box = el.getBoundingClientRect();
      return box.height > 1 && box.top < window.innerHeight;
    }).length,
  };
}"""


@pytest.fixture
def shots(tmp_path):
    folder = Path(os.environ.get("SHOTS_DIR") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("zone", ["Europe/London", "America/New_York"])
def test_each_visitor_page_at_375_and_1280(
    live_server, browser, axe_violations, shots, settings, capsys, scheme, zone
):
    settings.CONSULT_MIN_SECONDS = 0
    open_every_day()
    place = zone.rsplit("/", 1)[-1].lower()
    for width in (375, 1280):
        context = browser.new_context(
            viewport={"width": width, "height": 740 if width == 375 else 800},
            color_scheme=scheme,
            timezone_id=zone,
        )
        page = context.new_page()
        page.goto(f"{live_server.url}/consult/")
        page.wait_for_load_state("networkidle")  # the zone, detected, has been applied
        figures = page.evaluate(FIRST_VIEW)
        with capsys.disabled():
            print(f"\n[first view] /consult/ {width}px {scheme} {zone}: {figures}")
        name = f"{place}-{scheme}-{width}"
        page.screenshot(path=shots / f"book-{name}.png", full_page=True)
        page.screenshot(path=shots / f"book-first-view-{name}.png")
        assert figures["radios"] <= 20
        if width == 375:
            assert figures["height"] < 5000  # 6,551 px before the day-at-a-time picker
        assert axe_violations(page) == []

        # A day picked, then an error.
        page.locator("button.day").nth(2).click()
        page.wait_for_load_state("networkidle")
        assert axe_violations(page) == []
        page.locator("input[name=slot]").nth(1).check()
        page.get_by_role("button", name="Send my request").click()
        page.wait_for_load_state()
        assert axe_violations(page) == []
        page.screenshot(path=shots / f"book-error-{name}.png")

        page.get_by_label("What should I call you?", exact=True).fill("Robin")
        email = f"robin.{place}.{scheme}.{width}@example.com"
        page.get_by_label("Email", exact=True).fill(email)
        page.get_by_label("I understand this form", exact=False).check()
        page.get_by_role("button", name="Send my request").click()
        page.get_by_role("heading", name="Request received").wait_for()
        assert axe_violations(page) == []
        page.screenshot(path=shots / f"received-{name}.png", full_page=True)

        consult = booking.open_request_for(email)
        page.goto(live_server.url + tokens.manage_path(consult))
        assert axe_violations(page) == []
        page.screenshot(path=shots / f"manage-{name}.png", full_page=True)
        page.goto(live_server.url + tokens.manage_path(consult) + "cancel/")
        assert axe_violations(page) == []
        page.screenshot(path=shots / f"cancel-{name}.png", full_page=True)
        page.get_by_role("button", name="Yes, cancel it").click()
        page.get_by_role("status").wait_for()
        assert axe_violations(page) == []
        page.screenshot(path=shots / f"cancelled-{name}.png", full_page=True)
        context.close()
