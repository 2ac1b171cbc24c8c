"""A visitor books a free consult in a real Chromium: keyboard only, with JavaScript and
without, in their own time zone, going Back, making mistakes on a phone, cancelling and
booking again; the therapist confirms in the admin. axe checks every page and state."""

import re
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import expect

from consults import booking, slots, tokens
from consults.models import ConsultRequest, OutboundEmail
from tests.conftest import login_with_otp
from tests.consults.builders import open_every_day

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NEW_YORK = ZoneInfo("America/New_York")  # the practice's zone, the default
LONDON = ZoneInfo("Europe/London")
CONSENT = re.compile("I understand this form is not for emergencies")
CONSENT_LABEL = "I understand this form is not for emergencies, and I agree to the privacy policy."


@pytest.fixture(autouse=True)
def quick_forms(settings):
    settings.CONSULT_MIN_SECONDS = 0


def type_into(page, label, text):
    page.get_by_label(label, exact=True).focus()
    page.keyboard.type(text)


def fill_about_me(page, name="Robin", email="robin@example.com"):
    type_into(page, "What should I call you?", name)
    type_into(page, "Email", email)
    page.get_by_label(CONSENT).focus()
    page.keyboard.press("Space")


def send(page):
    page.get_by_role("button", name="Send my request").focus()
    page.keyboard.press("Enter")
    page.wait_for_load_state()


def tab_to(page, locator, limit=80):
    """Press Tab until `locator` has focus, as a keyboard user moves through the page."""
    for _ in range(limit):
        if locator.evaluate("element => element === document.activeElement"):
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"never reached {locator} with Tab")


def day_button(page, start, tz=NEW_YORK):
    return page.locator(f'button.day[value="day:{start.astimezone(tz).date().isoformat()}"]')


def test_request_without_a_time_keyboard_only(live_server, page, axe_violations):
    page.goto(f"{live_server.url}/consult/")
    assert axe_violations(page) == []

    # Send it empty first: the page opens at the summary, focus on it, in page order.
    send(page)
    summary = page.get_by_role("alert")
    expect(summary).to_be_focused()
    expect(summary).to_contain_text("Please tell me what to call you.")
    items = [item.split(":")[0] for item in summary.locator("li").all_inner_texts()]
    # No open times: "none of these" is ticked already, so "when are you free" comes first.
    assert items == [
        "When are you usually free?",
        "What should I call you?",
        "Email",
        CONSENT_LABEL,
    ]
    assert page.url.endswith("#form-errors")
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
    # No open times: "None of these times work for me" is ticked already.
    expect(page.get_by_label("None of these times work for me")).to_be_checked()
    type_into(page, "When are you usually free?", "Weekday mornings")
    page.get_by_label(CONSENT).focus()
    page.keyboard.press("Space")
    send(page)

    expect(page.get_by_role("heading", level=1)).to_have_text("Request received")
    expect(page.get_by_text("text message", exact=False).first).to_be_visible()
    expect(page.locator("a[href*='/consult/manage/']")).to_have_count(0)
    assert axe_violations(page) == []
    assert ConsultRequest.objects.get().contact_method == "text"


def test_pick_a_day_then_a_time_keyboard_only_confirm_then_cancel_and_book_again(
    live_server, page, axe_violations
):
    open_every_day()
    third_day = slots.by_local_day(booking.available_slots(), NEW_YORK)[2]
    chosen = third_day[1][1]
    page.goto(f"{live_server.url}/consult/")
    fill_about_me(page)

    # Tab to the third day and press Enter: its times appear without a page load, and
    # focus moves to them.
    day = day_button(page, chosen.start)
    tab_to(page, day)
    page.keyboard.press("Enter")
    times = page.locator("#slot-times")
    expect(times).to_be_focused()
    expect(times.locator("legend")).to_contain_text(f"{chosen.start.astimezone(NEW_YORK):%A}")
    expect(day).to_have_attribute("aria-pressed", "true")
    expect(page.get_by_label("What should I call you?")).to_have_value("Robin")  # kept
    assert axe_violations(page) == []
    first_radio = times.locator("input[type=radio]").first
    tab_to(page, first_radio)
    page.keyboard.press("ArrowDown")  # the second time of that day
    radio = page.locator(f'input[value="{chosen.key}"]')
    expect(radio).to_be_checked()
    send(page)

    expect(page.get_by_role("heading", level=1)).to_have_text("Request received")
    main = page.locator("main")
    expect(main).to_contain_text("held for you until I confirm it")
    expect(main).to_contain_text(slots.describe(chosen.start, NEW_YORK, NEW_YORK))
    consult = ConsultRequest.objects.get()
    assert consult.starts_at == chosen.start

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

    # The visitor cancels through their link: asked once more, then cancelled.
    page.goto(live_server.url + tokens.manage_path(consult))
    expect(page.locator(".status")).to_have_text("Confirmed")
    assert axe_violations(page) == []
    page.get_by_role("link", name="Cancel my request…").focus()
    page.keyboard.press("Enter")
    local = chosen.start.astimezone(NEW_YORK)
    expect(page.get_by_role("heading", level=1)).to_have_text(
        f"Cancel your {slots.clock(local)} call on {local:%A}?"
    )
    assert axe_violations(page) == []
    page.get_by_role("button", name="Yes, cancel it").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("status")).to_contain_text("Your request is cancelled")
    expect(page.locator("main")).not_to_contain_text("I will contact you")
    assert axe_violations(page) == []

    # ... and books again from there, with the same address.
    page.get_by_role("link", name="Book a free consult").last.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Book a free consult")
    fill_about_me(page)
    page.locator("input[name=slot]").first.check()
    send(page)
    expect(page.get_by_role("heading", level=1)).to_have_text("Request received")
    assert ConsultRequest.objects.filter(status=ConsultRequest.Status.NEW).count() == 1


def test_without_javascript_days_and_zones_are_form_submits_that_keep_answers(live_server, browser):
    open_every_day()
    days = slots.by_local_day(booking.available_slots(), LONDON)
    chosen = days[4][1][0]
    context = browser.new_context(java_script_enabled=False, timezone_id="Europe/London")
    page = context.new_page()
    page.goto(f"{live_server.url}/consult/")
    fill_about_me(page, name="No Script")
    # The zone is not detected without JavaScript: the visitor chooses it.
    page.get_by_label("Show times in").select_option("Europe/London")
    page.get_by_role("button", name="Show times").click()
    expect(page.locator("#zone-note")).to_contain_text("Times are in London time")
    expect(page.get_by_label("What should I call you?")).to_have_value("No Script")
    day_button(page, chosen.start, LONDON).click()
    assert page.url.endswith("#slot-times")
    expect(page.get_by_label(CONSENT)).to_be_checked()  # kept across the page load
    page.locator(f'input[value="{chosen.key}"]').check()
    page.get_by_role("button", name="Send my request").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Request received")
    expect(page.locator("main")).to_contain_text(slots.describe(chosen.start, LONDON, NEW_YORK))
    assert ConsultRequest.objects.get().visitor_zone == "Europe/London"
    context.close()


@pytest.mark.parametrize(
    ("zone", "beside"), [(LONDON, True), (NEW_YORK, False)], ids=["london", "new-york"]
)
def test_times_are_in_the_visitors_own_zone_with_the_practices_beside(
    live_server, browser, axe_violations, zone, beside
):
    open_every_day()
    first = slots.by_local_day(booking.available_slots(), zone)[0][1][0]
    context = browser.new_context(timezone_id=zone.key)
    page = context.new_page()
    page.goto(f"{live_server.url}/consult/")
    expect(page.get_by_label("Show times in")).to_have_value(zone.key)  # detected
    label = page.locator(f'label[for="slot-{first.key}"]')
    # Fetched in the visitor's zone once the page has settled (picker.js).
    expect(label).to_contain_text(slots.clock(first.start.astimezone(zone)), timeout=15_000)
    if beside:
        expect(label).to_contain_text(f"({slots.clock(first.start.astimezone(NEW_YORK))}")
        expect(page.locator("#zone-note")).to_contain_text("with New York time")
    else:
        expect(label).not_to_contain_text("New York time")
    assert axe_violations(page) == []

    # Changed on the page, without a page load, and remembered for the visit.
    page.get_by_label("Show times in").select_option("Asia/Tokyo")
    expect(page.locator("#zone-note")).to_contain_text("Times are in Tokyo time")
    expect(page.get_by_label("Show times in")).to_be_focused()
    page.goto(f"{live_server.url}/consult/")
    expect(page.get_by_label("Show times in")).to_have_value("Asia/Tokyo")
    context.close()


def test_back_then_send_again_books_nothing_the_visitor_did_not_choose(live_server, page):
    open_every_day()
    page.goto(f"{live_server.url}/consult/")
    fill_about_me(page)
    first = page.locator("input[name=slot]").first
    chosen = first.get_attribute("value")
    first.check()
    send(page)
    expect(page.get_by_role("heading", level=1)).to_have_text("Request received")

    page.go_back()  # "to check"
    expect(page.get_by_role("heading", level=1)).to_have_text("Book a free consult")
    # The time just held is gone, and no other time is ticked in its place.
    expect(page.locator(f'input[value="{chosen}"]')).to_have_count(0)
    expect(page.locator("input[name=slot]:checked")).to_have_count(0)
    # Sending again "to be sure", with another time.
    page.get_by_label("What should I call you?").fill("Robin")
    page.get_by_label("Email").fill("robin@example.com")
    page.get_by_label(CONSENT).check()
    page.locator("input[name=slot]").first.check()
    send(page)
    expect(page.get_by_role("heading", level=1)).to_have_text("Request received")

    consult = ConsultRequest.objects.get()
    assert consult.starts_at.strftime("%Y-%m-%dT%H:%MZ") == chosen
    kinds = sorted(OutboundEmail.objects.values_list("kind", flat=True))
    assert kinds == ["acknowledge", "earlier_request", "notify_therapist"]


def test_an_error_on_a_phone_opens_at_the_summary(live_server, browser, axe_violations):
    open_every_day()
    context = browser.new_context(viewport={"width": 375, "height": 740})
    page = context.new_page()
    page.goto(f"{live_server.url}/consult/")
    page.locator("input[name=slot]").first.check()
    type_into(page, "Email", "not an address")
    page.get_by_label(CONSENT).check()
    send(page)
    summary = page.locator("#form-errors")
    expect(summary).to_be_focused()
    box = summary.bounding_box()
    assert 0 <= box["y"] < 740, f"the summary is at {box['y']}px, out of sight"
    texts = summary.locator("li").all_inner_texts()
    assert [text.split(":")[0] for text in texts] == ["What should I call you?", "Email"]
    assert axe_violations(page) == []
    context.close()


@pytest.fixture
def browser_context_args(browser_context_args):
    """Visitors here are in the practice's zone unless a test says otherwise."""
    return {**browser_context_args, "timezone_id": "America/New_York"}
