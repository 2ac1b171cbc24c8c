"""The therapist's workspace in a real Chromium, signed in with the password and a code.

Each test counts the clicks a therapist makes for the task, and checks every page it
visits with axe. Set SHOTS_DIR to keep a screenshot of each page at 375 and 1280 px.
"""

import os
import re
from datetime import time, timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.utils import timezone
from playwright.sync_api import expect

from consults import booking, tokens
from consults.models import ConsultRequest, OutboundEmail, TimeOff
from core.models import PracticeProfile
from tests.conftest import current_code, login_with_otp, totp_device
from tests.consults.builders import make_consult, open_every_day

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "a-long-password-1"
PHONE = {"width": 375, "height": 812}
LAPTOP = {"width": 1280, "height": 900}
Status = ConsultRequest.Status


@pytest.fixture
def therapist():
    user = get_user_model().objects.create_superuser("therapist", "t@example.test", PASSWORD)
    totp_device(user)
    return user


@pytest.fixture
def admin(live_server, page, therapist):
    login_with_otp(page, therapist, password=PASSWORD, base_url=live_server.url)
    return page


def admin_url(live_server, path=""):
    return f"{live_server.url}/{settings.ADMIN_URL}{path}"


def look(page, name, axe_violations):
    """Check the page with axe at both widths, keeping screenshots if asked to."""
    shots = os.environ.get("SHOTS_DIR")
    for size, label in ((LAPTOP, "1280"), (PHONE, "375")):
        page.set_viewport_size(size)
        assert axe_violations(page) == [], f"{name} at {label}px"
        if label == "375":
            wide = page.evaluate("document.documentElement.scrollWidth")
            assert wide <= 375, f"{name} scrolls sideways at 375px ({wide}px wide)"
        if shots:
            Path(shots).mkdir(parents=True, exist_ok=True)
            page.screenshot(path=f"{shots}/{name}-{label}.png", full_page=True)
    page.set_viewport_size(LAPTOP)


def practice_day(days):
    tz = PracticeProfile.load().tz
    return (timezone.now() + timedelta(days=days)).astimezone(tz).date()


def at(days, hour):
    return booking.local_start(practice_day(days), time(hour), PracticeProfile.load().tz)


class Clicks:
    """Counts a therapist's clicks (and the keys that stand for one)."""

    def __init__(self):
        self.count = 0

    def __call__(self, locator):
        self.count += 1
        locator.click()


def test_home_screen_with_new_requests_and_todays_consults(admin, live_server, axe_violations):
    open_every_day(start=time(0), end=time(23, 59))
    make_consult(name="Nora New", starts_at=at(2, 10), phone="+1 555 0100")
    later_today = timezone.now() + timedelta(hours=1)
    make_consult(
        name="Tess Today",
        starts_at=later_today.replace(second=0, microsecond=0),
        status=Status.CONFIRMED,
        email="tess@example.net",
    )
    admin.goto(admin_url(live_server))
    now = admin.locator("section", has=admin.get_by_role("heading", name="Needs you now"))
    expect(now).to_contain_text("1 new request waiting for you")
    expect(now).to_contain_text("Nora New")
    today = admin.locator("section", has=admin.get_by_role("heading", name="Today", exact=True))
    expect(today).to_contain_text("Tess Today")
    expect(today.get_by_role("link", name="email").first).to_have_attribute(
        "href", "mailto:tess@example.net"
    )
    expect(admin.get_by_role("heading", name="Getting set up")).to_be_visible()
    expect(admin.locator("body")).not_to_contain_text("OTP_TOTP")
    look(admin, "home", axe_violations)

    # Confirming a new request from the home screen: one click.
    clicks = Clicks()
    clicks(now.get_by_role("button", name="Confirm"))
    expect(admin.locator(".messagelist")).to_contain_text("is confirmed")
    assert ConsultRequest.objects.get(name="Nora New").status == Status.CONFIRMED
    assert clicks.count == 1


def test_give_an_inquiry_a_time_and_the_visitor_is_invited(admin, live_server, axe_violations):
    open_every_day(start=time(9), end=time(17))
    consult = make_consult(name="Ines Inquiry")  # "none of these times work"
    admin.goto(admin_url(live_server))
    clicks = Clicks()
    clicks(admin.get_by_role("link", name="Give a time…"))
    look(admin, "give-time", axe_violations)
    day = practice_day(5)
    admin.get_by_label("Day").fill(day.isoformat())
    admin.get_by_label("Time").fill("18:30")  # agreed by phone, after hours
    clicks(admin.get_by_role("button", name=re.compile("Confirm and email")))
    expect(admin.get_by_role("alert")).to_contain_text("It is outside your weekly hours.")
    look(admin, "give-time-warning", axe_violations)
    clicks(admin.get_by_label("Yes, book it anyway"))
    clicks(admin.get_by_role("button", name=re.compile("Confirm and email")))
    expect(admin.locator(".messagelist")).to_contain_text("is confirmed")
    # Home → Give a time → type it → Confirm; after hours, a tick and Confirm again.
    assert clicks.count == 4

    consult.refresh_from_db()
    assert consult.status == Status.CONFIRMED
    invitation = OutboundEmail.objects.get(kind=OutboundEmail.Kind.CONFIRMED)
    assert invitation.to == consult.email
    assert "METHOD:REQUEST" in invitation.ics
    look(admin, "request-after-give-time", axe_violations)
    expect(admin.locator(".field-timeline")).to_contain_text("Given a time by you")


def test_offer_three_times_and_the_visitor_picks_one(
    admin, live_server, page, axe_violations, browser
):
    open_every_day(start=time(8), end=time(18))
    consult = make_consult(name="Oli Offer")
    admin.goto(admin_url(live_server, f"consults/consultrequest/{consult.pk}/change/"))
    admin.get_by_role("link", name="Offer times by email…").click()
    day = practice_day(6)
    for number, hour in ((1, "09:00"), (2, "11:00"), (3, "14:00")):
        admin.get_by_label(f"{['First', 'Second', 'Third'][number - 1]} time: day").fill(
            day.isoformat()
        )
        admin.get_by_label(f"{['First', 'Second', 'Third'][number - 1]} time: time").fill(hour)
    look(admin, "offer-times", axe_violations)
    admin.get_by_role("button", name="Send these times").click()
    expect(admin.locator(".messagelist")).to_contain_text("3 times are offered")
    assert OutboundEmail.objects.filter(kind=OutboundEmail.Kind.OFFER).count() == 1

    visitor = browser.new_page()
    visitor.goto(live_server.url + tokens.manage_path(consult))
    expect(visitor.get_by_role("heading", name="Times I can offer you")).to_be_visible()
    look(visitor, "visitor-offered-times", axe_violations)
    # The manage page also offers the open times: the pick is among the offered ones.
    offered = visitor.get_by_role("region", name="Times I can offer you")
    offered.get_by_label(re.compile("11:00 AM")).check()
    offered.get_by_role("button", name="Take this time").click()
    expect(visitor.get_by_role("status")).to_contain_text("Your free consult is confirmed")
    consult.refresh_from_db()
    assert consult.status == Status.CONFIRMED
    assert consult.starts_at == at(6, 11)
    assert not consult.offers.exists()
    visitor.close()


def test_time_off_over_two_consults_cancel_one_and_move_the_other(
    admin, live_server, axe_violations
):
    open_every_day(start=time(8), end=time(18))
    ada = make_consult(name="Ada Lane", starts_at=at(4, 9), status=Status.CONFIRMED)
    ben = make_consult(name="Ben Moss", starts_at=at(4, 11), email="ben@example.net")
    day = practice_day(4)

    admin.goto(admin_url(live_server))
    clicks = Clicks()
    clicks(admin.get_by_role("link", name="Time off").first)
    clicks(admin.get_by_role("link", name=re.compile("Add time off")))
    admin.get_by_label("First day").fill(day.isoformat())
    admin.get_by_label("Last day").fill(day.isoformat())
    clicks(admin.get_by_role("button", name="Save", exact=True))
    expect(admin.locator(".errorlist.nonfield")).to_contain_text("covers 2 consults")
    look(admin, "time-off-consults", axe_violations)

    clicks(admin.get_by_label(re.compile("Cancel it")).first)
    clicks(admin.get_by_label(re.compile("Move it")).nth(1))
    admin.locator(f"#id_day_{ben.pk}").fill((day + timedelta(days=1)).isoformat())
    admin.locator(f"#id_at_{ben.pk}").fill("10:00")
    clicks(admin.get_by_role("button", name="Save", exact=True))
    expect(admin.locator(".messagelist")).to_contain_text("cancelled; the visitor is emailed")
    expect(admin.locator(".messagelist")).to_contain_text("Moved to Ben Moss")
    # Time off → Add → (dates typed) Save → cancel one, move one (time typed) → Save.
    assert clicks.count == 6
    ada.refresh_from_db()
    ben.refresh_from_db()
    assert ada.status == Status.CANCELLED
    assert ben.starts_at == at(5, 10)
    assert TimeOff.objects.count() == 1


def test_the_timeline_after_the_visitor_moves_twice(admin, live_server, axe_violations):
    open_every_day()
    times = [slot.start for slot in booking.available_slots()[:3]]
    consult, _ = booking.submit_request(
        {"name": "Mo Mover", "email": "mo@example.net", "contact_method": "email"},
        submission_key=None,
        start=times[0],
    )
    booking.reschedule(consult, times[1])
    booking.reschedule(consult, times[2])
    admin.goto(admin_url(live_server, f"consults/consultrequest/{consult.pk}/change/"))
    timeline = admin.locator(".field-timeline")
    expect(timeline.get_by_text("Time moved by the visitor")).to_have_count(2)
    expect(timeline).to_contain_text("Request received by the visitor")
    expect(timeline).to_contain_text("Email: New time (to visitor)")
    first_asked = admin.locator(".field-first_asked")
    tz = PracticeProfile.load().tz
    expect(first_asked).to_contain_text(f"{timezone.localtime(times[0], tz).day} ")
    look(admin, "request-timeline", axe_violations)


def test_the_requests_list_at_375px_keeps_the_actions_in_view(admin, live_server, axe_violations):
    open_every_day()
    for number, slot in enumerate(booking.available_slots()[:3]):
        make_consult(name=f"Person Number{number}", starts_at=slot.start, email=f"{number}@x.net")
    declined = make_consult(name="No Time Yet")
    booking.decline(declined, "I am sorry, I cannot help directly.")
    admin.set_viewport_size(PHONE)
    admin.goto(admin_url(live_server, "consults/consultrequest/"))
    row = admin.locator("#result_list tbody tr", has_text="Person Number2")
    for part in (
        row.locator(".field-name"),
        row.locator(".field-time_asked_on"),
        row.locator(".status"),
        row.get_by_role("button", name="Confirm"),
        row.get_by_role("link", name="Decline…"),
    ):
        expect(part).to_be_visible()
        box = part.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= 375, box
    look(admin, "requests-list", axe_violations)
    admin.goto(admin_url(live_server, "consults/consultrequest/agenda/"))
    look(admin, "agenda", axe_violations)
    admin.goto(admin_url(live_server, "consults/outboundemail/"))
    look(admin, "outgoing-email", axe_violations)


def test_account_and_security_pages(admin, live_server, axe_violations):
    admin.goto(admin_url(live_server))
    admin.get_by_role("link", name="Your account").first.click()
    expect(admin.get_by_text("0 backup codes left")).to_be_visible()
    look(admin, "account", axe_violations)
    admin.get_by_label("Your password").fill(PASSWORD)
    admin.get_by_role("button", name=re.compile("Make 10 new backup codes")).click()
    expect(admin.locator(".practice-codes code")).to_have_count(10)
    look(admin, "backup-codes", axe_violations)
    admin.goto(admin_url(live_server, "account/authenticator/"))
    expect(admin.locator(".practice-qr svg")).to_be_visible()
    look(admin, "new-authenticator", axe_violations)
    admin.goto(admin_url(live_server, "security/"))
    look(admin, "security", axe_violations)


def test_forgot_password_then_sign_in_still_asks_for_the_code(
    live_server, page, therapist, axe_violations
):
    page.goto(admin_url(live_server, "login/"))
    page.get_by_role("link", name="Forgot your password?").click()
    look(page, "password-reset", axe_violations)
    page.get_by_label("Email address").fill("t@example.test")
    page.get_by_role("button", name=re.compile("Reset my password")).click()
    expect(page.locator("#content")).to_contain_text("emailed you instructions")

    email = OutboundEmail.objects.get(kind=OutboundEmail.Kind.PASSWORD_RESET)
    link = re.search(r"https?://\S+/reset/\S+/", email.body_text).group(0)
    page.goto(live_server.url + "/" + link.split("/", 3)[3])
    new_password = "a-brand-new-password-2"
    page.locator("#id_new_password1").fill(new_password)
    page.locator("#id_new_password2").fill(new_password)
    page.get_by_role("button", name=re.compile("Change my password")).click()
    expect(page.locator("#content")).to_contain_text("Your password has been set")

    page.goto(admin_url(live_server, "login/"))
    page.get_by_label("Username").fill("therapist")
    page.get_by_label("Password").fill(new_password)
    expect(page.get_by_label("Authentication code")).to_be_visible()
    page.get_by_label("Authentication code").fill(current_code(totp_device(therapist)))
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(admin_url(live_server))
    expect(page.get_by_role("heading", name="Needs you now")).to_be_visible()
