"""The crisis notice in the words of the practice's country: on pages, in visitor emails,
on the error and 503 pages, and the profile form that chooses it."""

import html as html_module
import re

import pytest
from django.urls import reverse

from consults.models import OutboundEmail
from consults.outbox import build_message
from core import resilience
from core.crisis import COUNTRIES
from core.models import PracticeProfile
from tests.consults.builders import form_data, set_profile

pytestmark = pytest.mark.django_db

# What a visitor should be able to read, and tap, for each country in the table.
EXPECTED = {
    "US": (
        ["call or text 988", "988lifeline.org", "veterans, press 1", "call 911"],
        ["988", "911"],
    ),
    "GB": (["NHS 111", "option 2", "Samaritans on 116 123", "call 999"], ["111", "116123", "999"]),
    "CA": (["call or text 9-8-8", "call 911"], ["988", "911"]),
    "IE": (["Samaritans on 116 123", "text HELLO to 50808", "112 or 999"], ["116123", "112"]),
    "DE": (["TelefonSeelsorge on 0800 111 0 111", "call 112"], ["08001110111", "112"]),
    "FR": (["call 3114", "call 112"], ["3114", "112"]),
    "NL": (["113 Zelfmoordpreventie on 113", "0800-0113", "call 112"], ["113", "08000113"]),
    "ES": (["call 024", "call 112"], ["024", "112"]),
    "BE": (["Zelfmoordlijn on 1813", "call 112"], ["1813", "112"]),
    "AT": (["TelefonSeelsorge on 142", "call 112"], ["142", "112"]),
}


def test_every_country_in_the_table_is_tested():
    assert set(EXPECTED) == set(COUNTRIES)


def set_country(country, **values):
    return set_profile(country=country, **values)


def page_text(client, path):
    response = client.get(path)
    assert response.status_code in (200, 404)
    return response.content.decode()


def words_of(markup):
    """What a person reads: the markup without its tags."""
    return " ".join(html_module.unescape(re.sub(r"<[^>]+>", "", markup)).split())


def visitor_email(client):
    """The acknowledgment a visitor gets after sending the form, as it goes out."""
    form = client.get("/consult/")
    assert client.post("/consult/", form_data(form)).status_code == 302
    email = OutboundEmail.objects.get(kind=OutboundEmail.Kind.ACKNOWLEDGE)
    message = build_message(email).message()
    text, html = (
        part.get_payload(decode=True).decode()
        for part in message.walk()
        if part.get_content_type() in ("text/plain", "text/html")
    )
    return text, html


@pytest.fixture(autouse=True)
def no_minimum_wait(settings):
    settings.CONSULT_MIN_SECONDS = 0


@pytest.mark.parametrize("country", EXPECTED)
def test_each_countrys_wording_is_on_every_kind_of_page(client, country):
    set_country(country)
    words, numbers = EXPECTED[country]
    for path in ["/", "/consult/", "/about/", "/no-such-page/"]:
        html = page_text(client, path)
        assert "not monitored around the clock" in html, path
        for phrase in words:
            assert phrase in words_of(html), (path, phrase)
        for number in numbers:
            assert f'href="tel:{number}"' in html, (path, number)
        if country != "US":
            assert "988lifeline" not in html, path


@pytest.mark.parametrize("country", EXPECTED)
def test_each_countrys_wording_is_in_the_visitors_email(client, country):
    set_country(country)
    words, numbers = EXPECTED[country]
    text, html = visitor_email(client)
    for phrase in words:
        assert phrase in text and phrase in words_of(html), phrase
    for number in numbers:
        assert f'href="tel:{number}"' in html, number
    assert "&amp;" not in text  # plain text is not HTML-escaped
    if country != "US":
        assert "988" not in text


def test_another_country_shows_the_line_the_therapist_typed(client):
    set_country(
        "other", crisis_emergency_number="000", crisis_line="Lifeline on 13 11 14, any time"
    )
    html = page_text(client, "/consult/")
    assert "Please call Lifeline on" in words_of(html) and 'href="tel:131114">13 11 14</a>' in html
    assert 'If you are in immediate danger, call <a href="tel:000">000</a>' in html
    assert "988" not in html
    text, email_html = visitor_email(client)
    assert "Please call Lifeline on 13 11 14, any time." in text
    assert "If you are in immediate danger, call 000." in text
    assert 'href="tel:131114"' in email_html


def test_the_503_page_uses_the_last_wording_this_process_drew(client):
    """Drawn while the database is away, it cannot read the profile (core.crisis)."""
    set_country("GB")
    page_text(client, "/")
    html = resilience.unavailable_response().content.decode()
    assert "Samaritans on 116 123" in words_of(html) and 'href="tel:116123"' in html
    assert "988" not in html


PROFILE = reverse("admin:core_practiceprofile_change", args=[1])


def profile_form(**changes):
    profile = PracticeProfile.load()
    data = {
        "practice_name": profile.practice_name,
        "therapist_name": profile.therapist_name,
        "credentials": profile.credentials,
        "contact_email": "",
        "contact_phone": "",
        "location": profile.location,
        "license_type": "",
        "license_number": "",
        "licensed_places": "",
        "country": profile.country,
        "crisis_emergency_number": "",
        "crisis_line": "",
        "time_zone": profile.time_zone,
    }
    if profile.crisis_wording_checked:
        data["crisis_wording_checked"] = "on"
    data.update(changes)
    return data


def test_another_country_needs_both_numbers_with_a_clear_message(admin_client):
    response = admin_client.post(PROFILE, profile_form(country="other"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "please type your local emergency number" in html
    assert "please type a crisis line" in html
    assert PracticeProfile.load().country == "US"  # nothing half-saved

    response = admin_client.post(
        PROFILE,
        profile_form(
            country="other", crisis_emergency_number="000", crisis_line="Lifeline 13 11 14"
        ),
    )
    assert response.status_code == 302
    profile = PracticeProfile.load()
    assert (profile.country, profile.crisis_emergency_number) == ("other", "000")


def test_the_profile_page_shows_the_wording_and_a_new_country_unticks_the_check(admin_client):
    html = admin_client.get(PROFILE).content.decode()
    assert "Crisis wording visitors see" in html and "call or text 988" in words_of(html)
    assert "please check it against your local rules" in html

    admin_client.post(PROFILE, profile_form(crisis_wording_checked="on"))
    assert PracticeProfile.load().crisis_wording_checked
    admin_client.post(PROFILE, profile_form(country="GB"))
    profile = PracticeProfile.load()
    assert profile.country == "GB" and not profile.crisis_wording_checked
    # Changing the country and ticking the box in one go keeps the tick.
    admin_client.post(PROFILE, profile_form(country="IE", crisis_wording_checked="on"))
    assert PracticeProfile.load().crisis_wording_checked


def test_a_saved_country_reaches_kept_pages_at_once(client, django_capture_on_commit_callbacks):
    assert "call or text 988" in words_of(page_text(client, "/"))
    with django_capture_on_commit_callbacks(execute=True):
        set_country("GB")
    assert "Samaritans on 116 123" in words_of(page_text(client, "/"))


def test_markup_typed_into_the_crisis_line_is_shown_as_text(client):
    set_country(
        "other", crisis_emergency_number="000", crisis_line="<script>alert(1)</script> 13 11 14"
    )
    html = page_text(client, "/")
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
