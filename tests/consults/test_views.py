"""The booking page as a visitor uses it: the form's rules, the redirect, bots, refreshes."""

import re
from datetime import timedelta

import pytest
import time_machine
from django.core import signing
from django.utils import timezone

from consults import forms, slots
from consults.models import ConsultRequest, OutboundEmail
from core.models import PracticeProfile

from .builders import form_data, hidden_fields, open_every_day, open_times

pytestmark = pytest.mark.django_db


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
    assert response["Location"] == "/consult/received/"
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
    assert "manage my request" in received
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
    assert response["Location"] == "/consult/received/"
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


def test_open_times_are_grouped_by_day_a_week_at_a_time_with_the_zone_named(client):
    open_every_day()
    html = get_form(client).content.decode()
    assert html.count('<fieldset class="slot-day">') == 7
    assert "America/New_York" in html
    assert "None of these times work for me" in html
    assert 'href="?week=1#slot-picker">Later times</a>' in html
    assert "Earlier times" not in html


def test_later_weeks_show_the_next_days_and_the_last_week_has_no_later_link(client):
    open_every_day()
    tz = PracticeProfile.load().tz

    def first_day(page):
        return slots.parse_key(open_times(page)[0]).astimezone(tz).date()

    second = client.get("/consult/?week=1")
    assert first_day(second) - first_day(get_form(client)) == timedelta(days=7)
    assert "Earlier times" in second.content.decode()
    last = client.get("/consult/?week=99")
    assert "Later times" not in last.content.decode()
    assert open_times(last)
    assert client.get("/consult/?week=nonsense").status_code == 200


def test_after_an_error_the_week_of_the_chosen_time_is_shown_without_links(client):
    open_every_day()
    page = client.get("/consult/?week=2")
    chosen = open_times(page)[0]
    response = post(client, page, slot=chosen, email="not-an-email", availability="")
    html = response.content.decode()
    assert f'value="{chosen}" checked' in html
    assert "Later times" not in html


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
    response = post(
        client,
        page,
        slot=slot,
        name="Alex",
        submission_key=hidden_fields(other_page)["submission_key"],
    )
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
    value = hidden_fields(get_form(client))["shown_at"]
    assert signing.loads(value, salt=forms.SHOWN_AT_SALT) > 0


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
