"""The site's own 400, 403 (and the CSRF failure), 404 and 500 pages, with DEBUG off.

Each is in the site's layout: the header's navigation, the practice's contact details,
the crisis notice, no inline style; the screenshots and axe run in tests/e2e/test_error_pages.py.
"""

import re

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.views.defaults import permission_denied

from core.models import PracticeProfile
from tests.consults.builders import form_data

pytestmark = pytest.mark.django_db

EMAIL = "hello@example-practice.test"
PHONE = "+1 555 0100"


@pytest.fixture(autouse=True)
def contact_details():
    profile = PracticeProfile.load()
    profile.contact_email = EMAIL
    profile.contact_phone = PHONE
    profile.save()
    return profile


def assert_in_the_site_layout(response, status, heading):
    html = response.content.decode()
    assert response.status_code == status
    assert re.search(r"<h1>\s*" + re.escape(heading), html), html[:3000]
    assert '<nav class="site-nav" aria-label="Main">' in html
    assert "Book a free consult" in html
    assert f'href="mailto:{EMAIL}"' in html and f'href="tel:{PHONE}"' in html
    assert "988" in html and "not monitored around the clock" in html
    assert "style=" not in html and "<style" not in html and "<script>" not in html
    assert '<meta name="robots" content="noindex">' in html
    assert "DEBUG" not in html and "Traceback" not in html
    return html


def test_404(client):
    html = assert_in_the_site_layout(client.get("/no-such-page/"), 404, "This page isn’t here")
    assert "list of articles" in html


def test_404_for_a_mistyped_or_expired_manage_link_says_why(client):
    html = assert_in_the_site_layout(
        client.get("/consult/manage/not-a-real-token/"), 404, "This page isn’t here"
    )
    assert "link in an email about your consult request" in html
    assert "send a new request" in html


def test_400_for_a_malformed_query(client):
    assert_in_the_site_layout(client.get("/?q=%00"), 400, "Something in the address")


def test_400_for_an_unknown_host(client):
    response = client.get("/", HTTP_HOST="attacker.example")
    assert_in_the_site_layout(response, 400, "Something in the address")


def test_403(rf):
    request = rf.get("/somewhere/")
    assert_in_the_site_layout(
        permission_denied(request, PermissionDenied()), 403, "This page isn’t open"
    )


@pytest.mark.urls("tests.core.error_urls")
def test_500():
    client = Client(raise_request_exception=False)
    response = client.get("/fails-for-the-test/")
    html = assert_in_the_site_layout(response, 500, "Something went wrong on this website")
    assert "a fault in the site" not in html
    assert response["Cache-Control"] == "no-store"


def test_csrf_failure_without_the_cookie_says_what_happened_and_leads_back():
    visitor = Client(enforce_csrf_checks=True)
    data = form_data(visitor.get("/consult/"))
    visitor.cookies.clear()  # a browser that blocks cookies
    response = visitor.post("/consult/", data, HTTP_REFERER="http://testserver/consult/")
    html = assert_in_the_site_layout(response, 403, "Your form wasn’t sent")
    assert "didn’t send the cookie" in html
    assert '<a class="button" href="http://testserver/consult/">Back to the form</a>' in html
    assert "Nothing was saved" in html


def test_csrf_failure_from_an_old_tab_says_so():
    visitor = Client(enforce_csrf_checks=True)
    data = form_data(visitor.get("/consult/"))
    data["csrfmiddlewaretoken"] = "x" * 64  # the token of a page from an earlier cookie
    response = visitor.post("/consult/", data)
    html = assert_in_the_site_layout(response, 403, "Your form wasn’t sent")
    assert "open for a long time, or in an old tab" in html
    # No usable Referer: back to the consult form.
    assert 'href="/consult/">Back to the form</a>' in html


def test_csrf_failure_never_leads_to_another_site():
    visitor = Client(enforce_csrf_checks=True)
    response = visitor.post("/consult/", {}, HTTP_REFERER="https://attacker.example/form")
    assert "attacker.example" not in response.content.decode()


def test_413_for_a_body_larger_than_any_form_needs(client):
    response = client.post(
        "/consult/", "x" * (64 * 1024 + 1), content_type="application/x-www-form-urlencoded"
    )
    assert_in_the_site_layout(response, 413, "That was too much to send at once")
