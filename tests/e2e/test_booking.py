"""A visitor books a free consult in a real Chromium, keyboard only; the therapist confirms it."""

import re

import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import expect

from consults import booking, tokens
from consults.models import ConsultRequest
from tests.conftest import login_with_otp
from tests.consults.builders import open_every_day

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def quick_forms(settings):
    settings.CONSULT_MIN_SECONDS = 0


def type_into(page, label, text):
    page.get_by_label(label, exact=True).focus()
    page.keyboard.type(text)


def test_request_without_a_time_keyboard_only(live_server, page, axe_violations):
    page.goto(f"{live_server.url}/consult/")
    assert axe_violations(page) == []

    # Send it empty first: the errors are announced and summarised, with no violations.
    page.get_by_role("button", name="Send my request").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("alert")).to_contain_text("Please tell me what to call you.")
    assert axe_violations(page) == []

    # Every field's label names exactly one field.
    for label in ["What should I call you?", "Email", "Phone", "When are you usually free?"]:
        expect(page.get_by_label(label)).to_have_count(1)
    type_into(page, "What should I call you?", "Sam")
    type_into(page, "Email", "sam@example.com")
    contact = page.get_by_label("How would you like me to contact you?")
    contact.focus()
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    expect(contact).to_have_value("text")
    type_into(page, "Phone (optional)", "(555) 123-4567")
    page.get_by_label("None of these times work for me").focus()
    page.keyboard.press("Space")
    type_into(page, "When are you usually free?", "Weekday mornings")
    page.get_by_label(re.compile("I understand this form is not for emergencies")).focus()
    page.keyboard.press("Space")
    page.get_by_role("button", name="Send my request").focus()
    page.keyboard.press("Enter")

    expect(page.get_by_role("heading", level=1)).to_have_text("Request received")
    expect(page.get_by_text("text message", exact=False).first).to_be_visible()
    assert axe_violations(page) == []
    assert ConsultRequest.objects.get().contact_method == "text"


def test_pick_a_time_confirm_in_admin_then_cancel(live_server, page, axe_violations):
    open_every_day()
    first = booking.available_slots()[0]
    page.goto(f"{live_server.url}/consult/")

    type_into(page, "What should I call you?", "Robin")
    type_into(page, "Email", "robin@example.com")
    radio = page.locator(f'input[value="{first.key}"]')
    radio.focus()
    page.keyboard.press("Space")
    expect(radio).to_be_checked()
    page.get_by_label(re.compile("I understand this form is not for emergencies")).focus()
    page.keyboard.press("Space")
    page.keyboard.press("Enter")  # submits from the checkbox, as a keyboard user would

    expect(page.get_by_role("heading", level=1)).to_have_text("Request received")
    expect(page.locator("main")).to_contain_text("held for you until I confirm it")
    consult = ConsultRequest.objects.get()
    assert consult.starts_at == first.start

    # The therapist confirms with one click in the admin.
    user = get_user_model().objects.create_superuser(
        "therapist", "t@example.com", "a-long-password-1"
    )
    admin = page.context.new_page()
    login_with_otp(admin, user, password="a-long-password-1", base_url=live_server.url)
    admin.goto(f"{live_server.url}/admin/consults/consultrequest/{consult.pk}/change/")
    admin.get_by_role("button", name=re.compile("^Confirm")).first.click()
    consult.refresh_from_db()
    assert consult.status == ConsultRequest.Status.CONFIRMED

    # The visitor cancels through their link; the time is open again.
    page.goto(live_server.url + tokens.manage_path(consult))
    expect(page.locator(".status")).to_have_text("Confirmed")
    assert axe_violations(page) == []
    page.get_by_role("button", name="Cancel my request").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("status")).to_contain_text("Your request is cancelled")
    page.goto(f"{live_server.url}/consult/")
    expect(page.locator(f'input[value="{first.key}"]')).to_have_count(1)


@pytest.mark.parametrize(
    ("visitor_zone", "shows_own_time"),
    [("Europe/London", True), ("America/New_York", False)],
    ids=["visitor-elsewhere", "visitor-in-the-practice-zone"],
)
def test_a_visitor_elsewhere_sees_their_own_time_beside_each(
    live_server, browser, visitor_zone, shows_own_time
):
    from zoneinfo import ZoneInfo

    open_every_day()  # the practice is in America/New_York, the default
    first = booking.available_slots()[0]
    context = browser.new_context(timezone_id=visitor_zone)
    page = context.new_page()
    page.goto(f"{live_server.url}/consult/")
    label = page.locator(f'label[for="slot-{first.key}"]')
    note = page.get_by_text("Where your own time differs, it is shown beside each time.")
    if shows_own_time:
        theirs = first.start.astimezone(ZoneInfo(visitor_zone))
        expected = f"({theirs:%a} {theirs:%I:%M %p} your time)".replace(" 0", " ")
        expect(label).to_contain_text(expected)
        expect(note).to_be_visible()
    else:
        expect(label).not_to_contain_text("your time")
        expect(note).to_be_hidden()
    context.close()
