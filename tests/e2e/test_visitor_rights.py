"""Visitors' rights in a real Chromium: from the manage link a visitor sees and downloads
what the site holds, then deletes it all; afterwards no table holds a trace, the time is
open again, and the link (or a second try) shows a kind "already deleted" page. The
therapist finds, exports and erases by email address in the admin. axe checks each page
at 375 and 1280 px; set SHOTS_DIR to keep the screenshots and the downloaded file.
"""

import json
import os
import shutil
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from playwright.sync_api import expect

from consults import booking, tokens
from consults.models import ConsultRequest, ErasureRecord
from tests.conftest import login_with_otp, totp_device
from tests.consults.builders import TYPED, markers_in_database, open_every_day
from tests.e2e.test_workspace import LAPTOP, PASSWORD, look

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NOTE = "the therapist's note fennimore"
VISITOR = {**TYPED, "contact_method": "text"}


@pytest.fixture
def visitor(browser, live_server):
    context = browser.new_context(viewport=LAPTOP, timezone_id="America/New_York")
    yield context.new_page()
    context.close()


def book_first_time():
    open_every_day()
    slot = booking.available_slots()[0]
    consult, _ = booking.submit_request(
        VISITOR, submission_key=None, start=slot.start, visitor_zone="Europe/London"
    )
    booking.log_note(consult, NOTE)
    ConsultRequest.objects.filter(pk=consult.pk).update(private_notes=NOTE)
    return consult, slot


def offered_on_booking_page(page, base_url, slot):
    page.goto(f"{base_url}/consult/")
    return page.locator(f'input[name=slot][value="{slot.key}"]').count() == 1


def test_download_then_delete_from_the_manage_link(visitor, live_server, axe_violations):
    page = visitor
    consult, slot = book_first_time()
    manage = live_server.url + tokens.manage_path(consult)
    assert not offered_on_booking_page(page, live_server.url, slot)

    page.goto(manage)
    section = page.locator("section.data-rights")
    expect(section.get_by_role("heading", name="Your information")).to_be_visible()
    look(page, "rights-manage", axe_violations)

    # The readable page.
    section.get_by_role("link", name="See my information").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your information")
    expect(page.locator("main")).to_contain_text(TYPED["message"])
    expect(page.locator("main")).not_to_contain_text(NOTE)
    look(page, "rights-information", axe_violations)

    # The file: a POST from the page.
    with page.expect_download() as download_info:
        page.get_by_role("button", name="Download my information").click()
    download = download_info.value
    assert download.suggested_filename == "my-consult-request.json"
    text = Path(download.path()).read_text()
    data = json.loads(text)
    assert data["requests"][0]["what_you_sent"]["name"]["value"] == TYPED["name"]
    for marker in TYPED.values():
        assert marker in text
    assert NOTE not in text
    if os.environ.get("SHOTS_DIR"):
        shutil.copy(download.path(), Path(os.environ["SHOTS_DIR"]) / "download-example.json")

    # The confirmation page, and a second tab left open on it.
    page.goto(manage)
    page.get_by_role("link", name="Delete my request and information…").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Delete your request and your information?"
    )
    expect(page.locator("main")).to_contain_text("It opens again for others.")
    look(page, "rights-delete-confirm", axe_violations)
    assert ConsultRequest.objects.filter(pk=consult.pk).exists()  # opening it changed nothing
    second_tab = page.context.new_page()
    second_tab.goto(page.url)

    markers = [*TYPED.values(), NOTE]
    before = markers_in_database(markers)
    assert before, "the search must first see the values it looks for"
    page.get_by_role("button", name="Yes, delete everything").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your request is deleted")
    look(page, "rights-deleted", axe_violations)

    found = markers_in_database(markers)
    print(
        f"\n[visitor deletion] (table, marker) matches in every table, sessions decoded: "
        f"before {len(before)} in {sorted({t for t, _ in before})}; after {found}"
    )
    assert found == []
    assert ErasureRecord.objects.get().by == ErasureRecord.By.VISITOR
    assert offered_on_booking_page(page, live_server.url, slot)

    # The link afterwards, and the second tab's try: the kind page, never an error.
    response = page.goto(manage)
    assert response.status == 410
    expect(page.get_by_role("heading", level=1)).to_have_text("This request has been deleted")
    expect(page.get_by_role("complementary", name="If you are in crisis")).to_be_visible()
    look(page, "rights-already-deleted", axe_violations)
    second_tab.get_by_role("button", name="Yes, delete everything").click()
    expect(second_tab.get_by_role("heading", level=1)).to_have_text("This request has been deleted")
    assert ErasureRecord.objects.count() == 1


def test_the_therapist_finds_exports_and_erases_by_address(visitor, live_server, axe_violations):
    page = visitor  # in the practice's zone, like the therapist
    _, slot = book_first_time()
    user = get_user_model().objects.create_superuser("therapist", "t@example.test", PASSWORD)
    totp_device(user)
    login_with_otp(page, user, password=PASSWORD, base_url=live_server.url)

    page.goto(f"{live_server.url}/{settings.ADMIN_URL}consults/consultrequest/")
    page.get_by_role("link", name="Find, export or erase by email address").click()
    look(page, "admin-by-email-empty", axe_violations)
    page.get_by_label("Email address").fill(TYPED["email"].upper())
    page.get_by_role("button", name="Find").click()
    expect(page.locator("#content")).to_contain_text("1 request and 2 emails in the outbox")
    expect(page.locator("#content")).to_contain_text(TYPED["message"])
    look(page, "admin-by-email-found", axe_violations)

    with page.expect_download() as download_info:
        page.get_by_role("button", name="Download it all (JSON file)").click()
    data = json.loads(Path(download_info.value.path()).read_text())
    assert data["requests"][0]["what_you_sent"]["email"]["value"] == TYPED["email"]

    page.get_by_role("button", name="Erase it all…").click()
    expect(page.locator("#content")).to_contain_text(
        f"Erase everything held about {TYPED['email'].upper()}?"
    )
    look(page, "admin-erase-confirm", axe_violations)
    assert ConsultRequest.objects.exists()
    page.get_by_role("button", name="Yes, erase it all").click()
    expect(page.locator(".messagelist")).to_contain_text("Erased 1 request(s) and 2 email(s).")
    look(page, "admin-erased", axe_violations)
    assert markers_in_database([*TYPED.values(), NOTE]) == []
    assert offered_on_booking_page(page, live_server.url, slot)

    page.goto(f"{live_server.url}/{settings.ADMIN_URL}consults/erasurerecord/")
    expect(page.locator("#result_list")).to_contain_text("In the admin")
    expect(page.locator("#result_list")).not_to_contain_text(TYPED["email"])
    look(page, "admin-erasure-records", axe_violations)
