"""The consult page as the practice's country and license shape it, in a real Chromium:
the "Somewhere else" note with JavaScript (shown on choosing) and without (shown after a
first send, nothing stored), axe at 375 px with the note shown (axe needs JavaScript: the
page the server shows after a first send is checked in the JavaScript test), and the page for a US and
a UK practice at 375 and 1280 px (the Good Faith Estimate notice only in the US).

Screenshots go to $SHOTS_DIR when it is set (to look at them), else to a temporary folder.
"""

import os
from pathlib import Path

import pytest
from playwright.sync_api import expect

from consults.models import ConsultRequest
from tests.consults.builders import set_profile

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PLACE = "Where will you be during our sessions?"
NOTE = "I may not be able to see you there"
ANYWAY = "I understand, send my request anyway"


@pytest.fixture(autouse=True)
def quick_forms(settings):
    settings.CONSULT_MIN_SECONDS = 0


@pytest.fixture
def shots(tmp_path):
    folder = Path(os.environ.get("SHOTS_DIR") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def licensed(country="US"):
    set_profile(
        country=country,
        license_type="Licensed Marriage and Family Therapist",
        license_number="LMFT 123456",
        licensed_places="California\nOregon",
    )


def fill_about_me(page):
    page.get_by_label("When are you usually free?").fill("Weekday mornings")
    page.get_by_label("What should I call you?", exact=True).fill("Robin")
    page.get_by_label("Email", exact=True).fill("robin@example.com")
    page.get_by_label("I understand this form is not for emergencies", exact=False).check()


def send(page):
    page.get_by_role("button", name="Send my request").click()
    page.wait_for_load_state()


def test_with_javascript_the_note_shows_on_choosing_and_the_request_still_sends(
    live_server, browser, axe_violations, shots
):
    licensed()
    context = browser.new_context(viewport={"width": 375, "height": 740})
    page = context.new_page()
    page.goto(f"{live_server.url}/consult/")
    note = page.get_by_role("heading", name=NOTE)
    expect(note).to_be_hidden()
    fill_about_me(page)
    place = page.get_by_label(PLACE)
    place.select_option("Oregon")
    expect(note).to_be_hidden()
    place.select_option(label="Somewhere else")
    expect(note).to_be_visible()
    expect(page.get_by_label(ANYWAY)).to_be_visible()
    assert axe_violations(page) == []
    page.locator(".place-elsewhere").screenshot(path=shots / "place-note-js-375.png")
    # Sent without the tick: the server asks first (the page without JavaScript gets the same).
    send(page)
    expect(page.get_by_role("alert")).to_contain_text("Before you send this")
    expect(page.get_by_role("alert")).to_be_focused()
    expect(note).to_be_visible()
    assert not ConsultRequest.objects.exists()
    assert axe_violations(page) == []
    page.get_by_label(ANYWAY).check()
    send(page)
    expect(page.get_by_role("heading", name="Request received")).to_be_visible()
    assert ConsultRequest.objects.get().place == "Somewhere else"
    context.close()


def test_without_javascript_the_first_send_shows_the_note_and_stores_nothing(
    live_server, browser, shots
):
    licensed()
    context = browser.new_context(java_script_enabled=False, viewport={"width": 375, "height": 740})
    page = context.new_page()
    page.goto(f"{live_server.url}/consult/")
    fill_about_me(page)
    page.get_by_label(PLACE).select_option(label="Somewhere else")
    expect(page.get_by_role("heading", name=NOTE)).to_be_hidden()  # no script to show it
    send(page)
    assert not ConsultRequest.objects.exists()
    summary = page.get_by_role("alert")
    expect(summary).to_contain_text("Before you send this")
    expect(summary).to_contain_text("Nothing has been sent yet")
    expect(page.get_by_role("heading", name=NOTE)).to_be_visible()
    expect(page.get_by_label(PLACE)).to_have_value("somewhere-else")
    expect(page.get_by_label("What should I call you?", exact=True)).to_have_value("Robin")
    page.screenshot(path=shots / "place-note-nojs-375.png", full_page=True)
    summary.get_by_role("link").click()  # the summary leads to the box to tick
    page.get_by_label(ANYWAY).check()
    send(page)
    expect(page.get_by_role("heading", name="Request received")).to_be_visible()
    assert ConsultRequest.objects.get().place == "Somewhere else"
    context.close()


@pytest.mark.parametrize("country", ["US", "GB"])
def test_the_consult_page_for_a_us_and_a_uk_practice(
    live_server, browser, axe_violations, shots, country
):
    licensed(country)
    for width in (375, 1280):
        context = browser.new_context(viewport={"width": width, "height": 800})
        page = context.new_page()
        page.goto(f"{live_server.url}/consult/")
        crisis = page.get_by_role("complementary", name="If you are in crisis")
        if country == "US":
            expect(crisis).to_contain_text("call or text 988")
            expect(
                page.get_by_role("heading", name="Your right to a Good Faith Estimate")
            ).to_be_visible()
            phone = page.get_by_role("link", name="1-800-985-3059")
            expect(phone).to_be_hidden()
            page.get_by_text("Read the full notice").click()
            expect(phone).to_be_visible()
            expect(
                page.get_by_label("Will you use insurance, or pay yourself? (optional)")
            ).to_be_visible()
        else:
            expect(crisis).to_contain_text("Samaritans on 116 123")
            expect(page.get_by_text("Good Faith Estimate")).to_have_count(0)
        expect(page.locator("footer")).to_contain_text(
            "Licensed to see clients in California and Oregon."
        )
        assert axe_violations(page) == []
        page.screenshot(path=shots / f"consult-{country.lower()}-{width}.png", full_page=True)
        context.close()
