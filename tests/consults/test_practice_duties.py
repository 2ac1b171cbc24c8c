"""What the practice's country and license add to the booking: the Good Faith Estimate
notice (US), the insurance question and its reminder, the license shown on the site, the
question of where the visitor will be (without JavaScript; with it: tests/e2e/
test_practice_duties.py), and the two set-up checklist items."""

import re

import pytest
from django.urls import reverse

from consults.models import ConsultRequest, OutboundEmail
from core.models import PracticeProfile
from tests.consults.builders import form_data, make_consult, set_profile

pytestmark = pytest.mark.django_db

GFE_START = "You have the right to receive a “Good Faith Estimate” explaining how much your medical care will cost."
GFE_END = 'visit <a href="https://www.cms.gov/nosurprises">www.cms.gov/nosurprises</a> or call'
GFE_PHONE = 'href="tel:18009853059">1-800-985-3059</a>'
PAYMENT_LABEL = "Will you use insurance, or pay yourself? (optional)"
PLACE_LABEL = "Where will you be during our sessions?"
ELSEWHERE_NOTE = "I may not be able to see you there"
RECEIVED = "/consult/received/#top"


@pytest.fixture(autouse=True)
def no_minimum_wait(settings):
    settings.CONSULT_MIN_SECONDS = 0


def html_of(response, status=200):
    assert response.status_code == status
    return response.content.decode()


# The Good Faith Estimate notice


def test_a_us_practice_shows_the_good_faith_estimate_on_the_consult_page_and_in_the_footer(client):
    book = html_of(client.get("/consult/"))
    assert "Your right to a Good Faith Estimate" in book
    assert GFE_START in book and GFE_END in book and GFE_PHONE in book
    home = html_of(client.get("/"))
    assert '<a href="/good-faith-estimate/">Good Faith Estimate</a>' in home
    notice = html_of(client.get("/good-faith-estimate/"))
    assert "<h1>Your right to a Good Faith Estimate</h1>" in notice
    assert GFE_START in notice and GFE_PHONE in notice
    assert "/good-faith-estimate/</loc>" in html_of(client.get("/sitemap.xml"))


def test_a_uk_practice_has_no_good_faith_estimate(client):
    set_profile(country="GB")
    for path in ["/consult/", "/", "/about/"]:
        html = html_of(client.get(path))
        assert "Good Faith Estimate" not in html, path
        assert PAYMENT_LABEL not in html, path
    html_of(client.get("/good-faith-estimate/"), 404)
    assert "good-faith-estimate" not in html_of(client.get("/sitemap.xml"))


def test_the_notice_page_is_kept_like_other_reader_pages_and_forgotten_when_the_country_changes(
    client, django_capture_on_commit_callbacks
):
    first = client.get("/good-faith-estimate/")
    assert first.status_code == 200 and "max-age=0" in first["Cache-Control"]
    with django_capture_on_commit_callbacks(execute=True):
        set_profile(country="CA")
    html_of(client.get("/good-faith-estimate/"), 404)


# The insurance question


def send(client, **answers):
    page = client.get("/consult/")
    return client.post("/consult/", form_data(page, **answers))


@pytest.mark.parametrize(
    "answer, due",
    [("self_pay", True), ("not_sure", True), ("insurance", False), ("", False)],
)
def test_the_insurance_answer_is_stored_and_the_request_page_reminds_when_an_estimate_is_due(
    client, admin_client, answer, due
):
    assert PAYMENT_LABEL in html_of(client.get("/consult/"))
    assert send(client, payment=answer)["Location"] == RECEIVED
    consult = ConsultRequest.objects.get()
    assert consult.payment == answer
    page = html_of(admin_client.get(consult.get_admin_url()))
    assert "Insurance or paying themselves" in page
    assert ("Reminder: a Good Faith Estimate is due." in page) is due
    # The therapist's email says nothing the visitor chose.
    notify = OutboundEmail.objects.get(kind=OutboundEmail.Kind.NOTIFY_THERAPIST)
    for body in (notify.body_text, notify.body_html):
        assert "insurance" not in body.lower() and "pay" not in body.lower()


def test_no_reminder_for_a_practice_outside_the_us():
    set_profile(country="GB")
    consult = make_consult(payment=ConsultRequest.Payment.SELF_PAY)
    assert not consult.good_faith_estimate_due(PracticeProfile.load())


def test_an_answer_not_offered_gets_a_message_and_nothing_is_stored(client):
    html = html_of(send(client, payment="free please"))
    assert "Please choose one of the answers listed." in html
    assert not ConsultRequest.objects.exists()


# The license, on the site


def test_the_license_is_shown_on_about_and_in_the_footer_once_filled_in(
    client, django_capture_on_commit_callbacks
):
    assert "Licensed to see clients in" not in html_of(client.get("/about/"))
    with django_capture_on_commit_callbacks(execute=True):  # the kept pages are forgotten
        set_profile(
            license_type="Licensed Marriage and Family Therapist",
            license_number="LMFT 123456",
            licensed_places="California\n\n  Oregon \nCalifornia\nWashington",
        )
    expected = (
        "Licensed Marriage and Family Therapist, license number LMFT 123456. "
        "Licensed to see clients in California, Oregon and Washington."
    )
    about = html_of(client.get("/about/"))
    assert about.count(expected) == 2  # the page, and the footer
    assert expected in html_of(client.get("/blog/"))


# Where the visitor will be


PLACES = "California\nOregon"


def test_without_places_listed_the_form_does_not_ask(client):
    assert PLACE_LABEL not in html_of(client.get("/consult/"))


def test_with_places_listed_the_form_asks_and_needs_an_answer(client):
    set_profile(licensed_places=PLACES)
    html = html_of(client.get("/consult/"))
    assert re.search(r'<label\s+for="id_place"[^>]*>\s*' + re.escape(PLACE_LABEL), html)
    for option in ['value="California"', 'value="Oregon"', 'value="somewhere-else"']:
        assert option in html
    # The note about being elsewhere is in the page for the script, hidden until chosen.
    assert '<div class="notice place-elsewhere" hidden>' in html

    html = html_of(send(client, place=""))
    assert "Please choose where you will be, or “Somewhere else”." in html
    html = html_of(send(client, place="Nevada"))
    assert "Please choose one of the places listed, or “Somewhere else”." in html
    assert not ConsultRequest.objects.exists()

    assert send(client, place="Oregon")["Location"] == RECEIVED
    assert ConsultRequest.objects.get().place == "Oregon"


def test_somewhere_else_first_shows_the_note_and_sends_nothing_then_sends_when_they_choose(
    client, admin_client, settings
):
    set_profile(licensed_places=PLACES)
    # One request allowed: the first, unsent try must not use it up.
    settings.CONSULT_RATE_LIMIT = (1, 600)
    page = client.get("/consult/")
    data = form_data(page, place="somewhere-else", name="Robin", message="Hello there")
    html = html_of(client.post("/consult/", data))
    assert not ConsultRequest.objects.exists() and not OutboundEmail.objects.exists()
    assert "<h2>Before you send this</h2>" in html and "alert-danger" not in html
    assert "Nothing has been sent yet, and your answers are kept." in html
    assert '<div class="notice place-elsewhere">' in html  # shown now
    assert ELSEWHERE_NOTE in html and "California and Oregon" in html
    assert 'href="https://findtreatment.gov/"' in html
    assert 'name="send_anyway"' in html and "I understand, send my request anyway" in html
    assert 'value="Robin"' in html and "Hello there" in html
    assert '<option value="somewhere-else" selected>' in html

    response = client.post("/consult/", {**data, "send_anyway": "on"})
    assert response["Location"] == RECEIVED
    consult = ConsultRequest.objects.get()
    assert consult.place == "Somewhere else"
    # Sending the same form again (a refresh) makes no second request.
    client.post("/consult/", {**data, "send_anyway": "on"})
    assert ConsultRequest.objects.count() == 1

    page = html_of(admin_client.get(consult.get_admin_url()))
    assert "Where they will be during sessions" in page
    assert "Somewhere else: not one of the places your profile lists." in page


def test_the_note_shows_with_other_mistakes_too(client):
    set_profile(licensed_places=PLACES)
    html = html_of(send(client, place="somewhere-else", name=""))
    assert "Please check these answers" in html
    assert "Please tell me what to call you." in html
    assert '<div class="notice place-elsewhere">' in html


# The set-up checklist


def test_the_checklist_asks_for_the_crisis_check_and_the_license_until_done(admin_client):
    home = reverse("admin:index")
    html = html_of(admin_client.get(home))
    crisis = "Check the crisis wording for your country"
    license = "Add your license details: type, number, and where you may practice"
    url = reverse("admin:core_practiceprofile_changelist")
    assert f'<a href="{url}">{crisis}</a>' in html
    assert f'<a href="{url}">{license}</a>' in html

    set_profile(license_type="LMFT", license_number="123", licensed_places="Oregon")
    html = html_of(admin_client.get(home))
    assert f'<a href="{url}">{license}</a>' not in html and license in html
    assert f'<a href="{url}">{crisis}</a>' in html

    set_profile(crisis_wording_checked=True)
    html = html_of(admin_client.get(home))
    assert f'<a href="{url}">{crisis}</a>' not in html and crisis in html
