"""Every page a visitor or the therapist opens, in a real Chromium: no CSP violation, and
no request to any other origin.

A listener added before any page script (add_init_script is not subject to the page's
CSP) records every `securitypolicyviolation` event; the console is watched for CSP
messages too (they also cover documents the listener cannot reach, such as the feed).
"""

import importlib
import re
from urllib.parse import urlsplit

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.urls import reverse
from playwright.sync_api import expect

from blog.models import Article
from consults import tokens
from consults.models import ConsultRequest
from tests.conftest import login_with_otp
from tests.consults.builders import open_every_day

create_pages = importlib.import_module("blog.migrations.0002_create_pages").create_pages
publish_article = importlib.import_module("blog.migrations.0003_seed_article").publish_article

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ARTICLE = "/blog/when-closeness-feels-unsafe/"
PASSWORD = "a-long-password-1"

RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__cspViolations.push(`${e.violatedDirective} blocked ${e.blockedURI || "inline"} at ${e.sourceFile}:${e.lineNumber}`);
});
"""
CSP_CONSOLE = re.compile(r"Content Security Policy|Refused to (load|apply|execute|connect|frame)")


class Watch:
    """Everything the page did that it should not have."""

    def __init__(self, page, origin):
        self.page = page
        self.origin = origin
        self.console = []
        self.foreign = []
        page.add_init_script(RECORD_VIOLATIONS)
        page.on("console", self._console)
        page.on("request", self._request)

    def _console(self, message):
        if CSP_CONSOLE.search(message.text):
            self.console.append(f"{message.type}: {message.text}")

    def _request(self, request):
        url = urlsplit(request.url)
        if url.scheme in ("data", "blob", "about"):
            return
        if f"{url.scheme}://{url.netloc}" != self.origin:
            self.foreign.append(request.url)

    def visit(self, path):
        response = self.page.goto(self.origin + path)
        assert response.ok, (path, response.status)
        self.page.wait_for_load_state("networkidle")
        self.check(path)

    def check(self, where):
        violations = self.page.evaluate("window.__cspViolations || []")
        assert violations == [], where
        assert self.console == [], where
        assert self.foreign == [], where


def book_the_first_time(page):
    """Fill in and send the consult form open on the page."""
    page.get_by_label("What should I call you?", exact=True).fill("Robin")
    page.get_by_label("Email", exact=True).fill("robin@example.com")
    page.locator('input[name="slot"]').first.check()
    page.get_by_label(re.compile("I understand this form is not for emergencies")).check()
    page.get_by_role("button", name="Send my request").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Request received")


@pytest.fixture
def site(live_server, settings):
    settings.CONSULT_MIN_SECONDS = 0
    create_pages(apps, None)
    publish_article(apps, None)
    open_every_day()
    return live_server.url


def test_public_pages_and_the_booking_flow(page, site):
    watch = Watch(page, site)
    for path in [
        "/",
        "/about/",
        "/privacy/",
        "/accessibility/",
        "/blog/",
        ARTICLE,
        "/blog/feed/",
        "/consult/",
    ]:
        watch.visit(path)

    # Book a time; the "received" page and the visitor's manage page.
    book_the_first_time(page)
    page.wait_for_load_state("networkidle")
    watch.check("/consult/received/")

    consult = ConsultRequest.objects.get()
    manage = tokens.manage_path(consult)
    for path in [manage, f"{manage}your-information/", f"{manage}delete/"]:
        watch.visit(path)
    page.get_by_role("button", name="Yes, delete everything").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your request is deleted")
    page.wait_for_load_state("networkidle")
    watch.check("/consult/deleted/")


def test_the_admin_pages_the_therapist_uses(page, site):
    watch = Watch(page, site)
    user = get_user_model().objects.create_superuser("therapist", "t@example.com", PASSWORD)
    watch.visit(reverse("admin:login"))
    login_with_otp(page, user, password=PASSWORD, base_url=site)
    page.wait_for_load_state("networkidle")
    watch.check("admin index after signing in")

    page.goto(site + "/consult/")
    book_the_first_time(page)
    consult = ConsultRequest.objects.get()
    article = Article.objects.get()

    for path in [
        reverse("admin:index"),
        reverse("admin:consults_consultrequest_changelist"),
        reverse("admin:consults_consultrequest_change", args=[consult.pk]),
        reverse("admin:consults_consultrequest_agenda"),
        reverse("admin:consults_consultrequest_by_email"),
        reverse("admin:consults_erasurerecord_changelist"),
        reverse("admin:blog_article_changelist"),
        reverse("admin:blog_article_change", args=[article.pk]),
        reverse("admin:consults_bookingrules_changelist"),  # goes straight to the one row
        reverse("admin:consults_weeklyhours_changelist"),
        reverse("admin:consults_outboundemail_changelist"),
        reverse("admin:core_practiceprofile_changelist"),
        reverse("admin:consults_consultrequest_give_time", args=[consult.pk]),
        reverse("admin:consults_consultrequest_offer_times", args=[consult.pk]),
        reverse("admin:consults_timeoff_add"),
        reverse("admin:account"),
        reverse("admin:account_authenticator"),  # the QR code is an inline <svg>
        reverse("admin:security"),
        reverse("admin_password_reset"),
    ]:
        watch.visit(path)


def test_the_editor_and_its_windows(page, site):
    watch = Watch(page, site)
    user = get_user_model().objects.create_superuser("therapist", "t@example.com", PASSWORD)
    login_with_otp(page, user, password=PASSWORD, base_url=site)
    article = Article.objects.get()
    # Each page is checked once what it shows is there; the editor's module is large,
    # and "network idle" can take long on a busy machine.
    for path, ready in [
        (reverse("admin:blog_article_add"), ".prose-menubar"),
        (reverse("admin:blog_article_change", args=[article.pk]), ".writing-help"),
        (reverse("admin:blog_page_add"), ".prose-menubar"),
        (reverse("admin:blog_article_history", args=[article.pk]), "#content-main"),
        (reverse("admin:blog_articleimage_picker"), "form"),
    ]:
        response = page.goto(site + path)
        assert response.ok, path
        page.locator(ready).first.wait_for()
        watch.check(path)


def test_the_watch_sees_a_violation(page, site):
    # The listener works: an inline script the page did not ship is refused and recorded.
    page.add_init_script(RECORD_VIOLATIONS)
    page.goto(site + "/")
    page.evaluate(
        "() => { const s = document.createElement('script'); s.textContent = 'window.ran = 1';"
        " document.body.append(s); }"
    )
    page.wait_for_function("window.__cspViolations.length > 0")
    assert page.evaluate("window.ran") is None
