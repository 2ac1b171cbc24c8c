"""The booking page as a visitor uses it: the form's rules, the redirect, bots, refreshes."""

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import signing
from django.utils import timezone

from consults import forms, slots
from consults.models import ConsultRequest, OutboundEmail
from core.models import PracticeProfile

from .builders import form_data, hidden_fields, open_every_day, open_times

pytestmark = pytest.mark.django_db

RECEIVED = "/consult/received/#top"


@pytest.fixture(autouse=True)
def no_minimum_wait(settings):
    settings.CONSULT_MIN_SECONDS = 0


def get_form(client):
    response = client.get("/consult/")
    assert response.status_code == 200
    return response


def post(client, page, **overrides):
    return client.post("/consult/", form_data(page, **overrides))


def test_page_explains_the_call_and_carries_the_crisis_notice(client):
    html = get_form(client).content.decode()
    assert "Book a free consult" in html
    assert "no obligation" in html
    assert "988" in html
    assert "not monitored around the clock" in html
    for label in [
        "What should I call you?",
        "Email",
        "Phone (optional)",
        "How would you like me to contact you?",
        "When are you usually free?",
        "A brief note (optional)",
        "I understand this form is not for emergencies",
    ]:
        assert label in html


def test_a_request_is_stored_with_its_two_emails_then_redirected(client):
    page = get_form(client)
    response = post(client, page)
    assert response.status_code == 302
    assert response["Location"] == RECEIVED
    consult = ConsultRequest.objects.get()
    assert consult.name == "Sam"
    assert consult.starts_at is None
    assert sorted(OutboundEmail.objects.values_list("kind", flat=True)) == [
        "acknowledge",
        "notify_therapist",
    ]
    received = client.get(response["Location"]).content.decode()
    assert "Request received" in received
    assert "email" in received
    # The manage link is only in the email: the next person at a shared computer
    # cannot reach it from this page.
    assert "/consult/manage/" not in received
    assert "The link is only in the email" in received
    assert "988" in received


def test_refresh_and_double_click_create_one_request(client):
    page = get_form(client)
    data = form_data(page)
    first = client.post("/consult/", data)
    second = client.post("/consult/", data)
    assert first.status_code == second.status_code == 302
    assert ConsultRequest.objects.count() == 1
    assert OutboundEmail.objects.count() == 2


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"name": "   "}, "name", "Please tell me what to call you."),
        ({"email": "not-an-email"}, "email", "Please check the email address"),
        ({"email": ""}, "email", "Please give an email address"),
        ({"contact_method": "text", "phone": ""}, "phone", "Please add a phone number"),
        ({"contact_method": "phone", "phone": "call me"}, "phone", "Please check the phone number"),
        ({"consent": None}, "consent", "not for emergencies"),
        (
            {"slot": "none", "availability": ""},
            "availability",
            "Please say when you are usually free",
        ),
        ({"name": "x" * 101}, "name", "at most 100 characters"),
        ({"message": "x" * 1001}, "message", "at most 1000 characters"),
        ({"contact_method": "carrier-pigeon"}, "contact_method", "Please choose email, a phone"),
    ],
    ids=[
        "blank-name",
        "bad-email",
        "no-email",
        "text-without-phone",
        "bad-phone",
        "no-consent",
        "no-time-no-availability",
        "long-name",
        "long-note",
        "unknown-contact-method",
    ],
)
def test_bad_input_gets_a_clear_message_keeps_answers_and_stores_nothing(
    client, overrides, field, message
):
    page = get_form(client)
    overrides.setdefault("message", "my kept note")
    response = post(client, page, **overrides)
    assert response.status_code == 200
    html = response.content.decode()
    assert message in html
    assert "Please check" in html  # the summary at the top
    form = response.context["form"]
    assert field in form.errors
    if field != "message":
        assert "my kept note" in html  # the other answers are kept
    assert ConsultRequest.objects.count() == 0
    assert OutboundEmail.objects.count() == 0


@pytest.mark.parametrize(
    "phone",
    ["(555) 123-4567", "+1 555 123 4567", "555.123.4567", "+44 20 7946 0958", "555-1234 ext. 12"],
)
def test_phone_numbers_as_people_type_them(client, phone):
    page = get_form(client)
    response = post(client, page, contact_method="text", phone=phone)
    assert response.status_code == 302
    assert ConsultRequest.objects.get().phone == phone


def test_control_characters_are_removed(client):
    page = get_form(client)
    post(client, page, name="Sam\x07", message="line one\nline two\x1b")
    consult = ConsultRequest.objects.get()
    assert consult.name == "Sam"
    assert consult.message == "line one\nline two"


def test_a_null_character_gets_a_message_not_an_error(client):
    page = get_form(client)
    response = post(client, page, name="Sam\x00")
    assert response.status_code == 200
    assert "Null characters are not allowed" in response.content.decode()
    assert ConsultRequest.objects.count() == 0


def test_honeypot_looks_like_success_but_stores_and_sends_nothing(client):
    page = get_form(client)
    response = post(client, page, website="https://spam.example")
    assert response.status_code == 302
    assert response["Location"] == RECEIVED
    assert ConsultRequest.objects.count() == 0
    assert OutboundEmail.objects.count() == 0


def test_a_form_sent_too_fast_is_treated_as_a_bot(client, settings):
    settings.CONSULT_MIN_SECONDS = 60
    page = get_form(client)
    response = post(client, page)
    assert response.status_code == 302
    assert ConsultRequest.objects.count() == 0


def test_a_forged_shown_at_is_treated_as_a_bot(client):
    page = get_form(client)
    post(client, page, shown_at=signing.dumps(0, salt="another-salt"))
    assert ConsultRequest.objects.count() == 0


def test_the_honeypot_is_hidden_by_css_class_not_inline_style(client):
    html = get_form(client).content.decode()
    assert 'class="honeypot" aria-hidden="true"' in html
    assert "style=" not in html


def day_buttons(page):
    """The days a page offers, as (value posted, text shown)."""
    return re.findall(
        r'<button type="submit" class="day" name="show" value="day:([\d-]+)"[^>]*>(.*?)</button>',
        page.content.decode(),
    )


def test_first_view_shows_a_fortnight_of_days_and_one_days_times(client):
    open_every_day()
    page = get_form(client)
    html = page.content.decode()
    days = day_buttons(page)
    assert len(days) == 14  # open every day: two weeks at a glance
    assert "16 times" in days[1][1]  # 9:00 to 17:00, every 30 minutes
    # One day's times only: a phone's first view has no wall of radios.
    assert html.count('type="radio"') <= 20
    assert len(open_times(page)) == len(set(open_times(page))) > 0
    # "None of these" is its own choice, before the days, not the last radio of a group.
    assert html.index("None of these times work for me") < html.index('class="day"')
    assert 'type="checkbox" class="form-check-input" name="no_time"' in html
    assert "Times are in New York time." in html
    assert "Later days" in html and "Earlier days" not in html


def test_picking_a_day_or_a_fortnight_keeps_what_was_typed_and_checks_nothing(client):
    open_every_day()
    page = get_form(client)
    third_day = day_buttons(page)[2][0]
    shown = post(client, page, show=f"day:{third_day}", name="Kept Name", email="bad")
    assert shown.status_code == 200
    html = shown.content.decode()
    assert 'value="Kept Name"' in html
    assert "Please check" not in html  # nothing is checked while moving around
    tz = PracticeProfile.load().tz
    assert {
        slots.parse_key(key).astimezone(tz).date().isoformat() for key in open_times(shown)
    } == {third_day}
    later = post(client, page, show="page:1", message="kept note")
    assert "kept note" in later.content.decode()
    assert day_buttons(later)[0][0] > day_buttons(page)[-1][0]
    assert "Earlier days" in later.content.decode()
    assert post(client, page, show="page:nonsense").status_code == 200
    assert ConsultRequest.objects.count() == 0


def test_after_an_error_the_day_of_the_chosen_time_is_shown_checked(client):
    open_every_day()
    page = get_form(client)
    later = post(client, page, show="page:1")
    chosen = open_times(later)[0]
    response = post(client, page, slot=chosen, email="not-an-email", availability="")
    assert f'value="{chosen}" autocomplete="off" checked' in response.content.decode()


# Late in the practice's evening, so the first day shown is tomorrow, from 9 AM.
@time_machine.travel(datetime(2026, 3, 3, 4, tzinfo=UTC), tick=True)
def test_a_time_is_shown_in_the_visitors_zone_with_the_practices_beside(client):
    open_every_day()
    page = get_form(client)
    london = post(client, page, show="zone", zone="Europe/London")
    html = london.content.decode()
    assert "Times are in London time, with New York time (the practice's) beside them." in html
    first = slots.parse_key(open_times(london)[0])
    assert f"{first.astimezone(ZoneInfo('Europe/London')).hour - 12}:00 PM" in html
    assert "AM New York time)" in html
    # Remembered for the rest of the visit.
    assert "Times are in London time" in get_form(client).content.decode()
    # A zone the server does not know falls back to the practice's, without an error.
    client.session.flush()
    odd = post(client, page, show="zone", zone="Mars/Olympus_Mons")
    assert odd.status_code == 200


def test_picking_a_time_holds_it_and_it_disappears_from_the_page(client):
    open_every_day()
    page = get_form(client)
    first_slot = open_times(page)[0]
    response = post(client, page, slot=first_slot, availability="")
    assert response.status_code == 302
    consult = ConsultRequest.objects.get()
    assert consult.starts_at == slots.parse_key(first_slot)
    assert consult.status == ConsultRequest.Status.NEW
    assert first_slot not in open_times(get_form(client))


def test_a_time_taken_meanwhile_gets_the_form_back_with_answers_kept(client):
    open_every_day()
    page = get_form(client)
    slot = open_times(page)[0]
    post(client, page, slot=slot, availability="")
    other_page = get_form(client)
    response = post(client, other_page, slot=slot, name="Alex", email="alex@example.com")
    assert response.status_code == 200
    html = response.content.decode()
    assert "That time was just taken, please pick another." in html
    assert 'value="Alex"' in html
    assert ConsultRequest.objects.count() == 1


def test_a_time_that_is_not_offered_is_refused(client):
    open_every_day()
    page = get_form(client)
    at_night = (timezone.now() + timedelta(days=3)).replace(hour=7, minute=13)
    response = post(client, page, slot=at_night.strftime("%Y-%m-%dT%H:%MZ"), availability="")
    assert "That time was just taken" in response.content.decode()
    assert ConsultRequest.objects.count() == 0


@pytest.mark.parametrize("slot", ["garbage", "2026-13-45T99:99Z", "", "none; DROP TABLE"])
def test_malformed_times_get_a_message_not_an_error(client, slot):
    page = get_form(client)
    response = post(client, page, slot=slot, availability="")
    assert response.status_code == 200
    assert ConsultRequest.objects.count() == 0


def test_min_seconds_setting_counts_from_when_the_form_was_shown(client, settings):
    settings.CONSULT_MIN_SECONDS = 5
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        page = get_form(client)
        traveller.shift(6)
        response = post(client, page)
    assert response.status_code == 302
    assert ConsultRequest.objects.count() == 1


def test_shown_at_is_signed(client):
    hidden = hidden_fields(get_form(client))
    shown_at, key, _browser = signing.loads(hidden["shown_at"], salt=forms.SHOWN_AT_SALT)
    assert shown_at > 0
    assert key == hidden["submission_key"]


def test_each_visitor_gets_their_own_csrf_token_and_submission_key(settings):
    from django.test import Client

    open_every_day()
    first, second = Client(enforce_csrf_checks=True), Client(enforce_csrf_checks=True)
    pages = [first.get("/consult/"), second.get("/consult/")]
    tokens = [page.cookies["csrftoken"].value for page in pages]
    html = [page.content.decode() for page in pages]
    assert tokens[0] != tokens[1]
    assert "hole" not in html[0] and "hole" not in html[1]
    keys = [re.search(r'name="submission_key" value="([^"]+)"', h).group(1) for h in html]
    assert keys[0] != keys[1]
    for visitor, page_html, name in [(first, html[0], "Ann"), (second, html[1], "Bo")]:
        fields = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', page_html))
        response = visitor.post(
            "/consult/",
            {
                **fields,
                "name": name,
                "email": f"{name.lower()}@example.com",
                "contact_method": "email",
                "slot": "none",
                "availability": "mornings",
                "consent": "on",
            },
        )
        assert response.status_code == 302
    assert sorted(ConsultRequest.objects.values_list("name", flat=True)) == ["Ann", "Bo"]
