"""The privacy page's automatic part, the consumer health data page, and the set-up
checklist items that go with them. (In Chromium, with axe: tests/e2e/test_privacy_pages.py.)"""

import importlib
import xml.etree.ElementTree as ET

import pytest
from django.apps import apps
from django.conf import settings
from django.urls import reverse

from blog.models import Page
from consults.models import BookingRules
from tests.blog.html import html_problems, parse
from tests.consults.builders import set_profile, set_rules

pytestmark = pytest.mark.django_db

privacy_migration = importlib.import_module("blog.migrations.0005_privacy_page_with_automatic_part")
SITEMAP_NS = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}
HEALTH = "/consumer-health-data/"
HOME = reverse("admin:index")


def facts(client):
    """The privacy page's automatic part, as text."""
    response = client.get("/privacy/")
    assert response.status_code == 200
    return parse(response).find("section", class_="privacy-facts").text()


def test_the_privacy_page_states_the_retention_period_and_follows_a_change(client, committed):
    committed(lambda: set_rules(retention_days=180))
    assert "deleted automatically after 180 days" in facts(client)
    committed(lambda: set_rules(retention_days=30))
    text = facts(client)  # the kept page was forgotten when the rules were saved
    assert "deleted automatically after 30 days" in text
    assert "180" not in text


def test_the_privacy_page_names_the_host_and_email_provider(client, committed):
    text = facts(client)
    assert "servers run by the company that hosts this website" in text
    assert "delivered by the practice's email provider" in text
    committed(lambda: set_profile(web_host="Hostwell Cloud", email_provider="Postbox Mail"))
    text = facts(client)
    assert "servers run by Hostwell Cloud" in text
    assert "delivered by Postbox Mail" in text


def test_the_privacy_page_says_there_are_no_trackers_and_which_cookies(client):
    text = facts(client)
    assert "no analytics, no advertising, no tracking pixels" in text
    assert "Reading the articles sets no cookies" in text
    assert "protects it from forgery" in text
    assert "ends when you close your browser" in text


def test_the_privacy_page_lists_what_the_consult_form_keeps(client):
    text = facts(client)
    for kept in ("email address", "phone number", "how you would like to be contacted"):
        assert kept in text
    for kept in (
        "the time you pick",
        "when you are usually free",
        "your note",
        "optional questions",
    ):
        assert kept in text


def test_the_privacy_page_says_how_to_reach_the_practice(client, committed):
    assert "by replying to any email about your request" in facts(client)
    committed(lambda: set_profile(contact_email="hello@practice.test", contact_phone="555 0100"))
    section = parse(client.get("/privacy/")).find("section", class_="privacy-facts")
    hrefs = {a.attrs["href"] for a in section.find_all("a")}
    assert {"mailto:hello@practice.test", "tel:5550100"} <= hrefs
    assert "The link in the emails about your request" in section.text()


def test_the_therapists_own_text_comes_first_and_is_kept(client):
    privacy = Page.objects.get(slug="privacy")
    privacy.body = "<p>My own words about privacy.</p>"
    privacy.save()
    content = client.get("/privacy/").content.decode()
    assert content.index("My own words about privacy.") < content.index(
        "What this website does with your information"
    )


def test_the_untouched_placeholder_was_replaced_to_fit_the_automatic_part():
    text = Page.objects.get(slug="privacy").body_text
    assert "This is placeholder text" in text
    assert "the part below that the website writes itself" in text
    # The old placeholder asked for the retention period to be typed in by hand.
    assert "Please state the period" not in text


def test_an_edited_privacy_page_is_never_overwritten():
    privacy = Page.objects.get(slug="privacy")
    privacy.body = "<p>Written by the therapist.</p>"
    privacy.save()
    privacy_migration.forwards(apps, None)
    privacy_migration.backwards(apps, None)
    assert Page.objects.get(slug="privacy").body == "<p>Written by the therapist.</p>"


def test_the_health_data_page_is_not_there_until_switched_on(client):
    assert client.get(HEALTH).status_code == 404
    for path in ("/", "/privacy/"):
        assert HEALTH not in client.get(path).content.decode()
    assert HEALTH not in client.get("/sitemap.xml").content.decode()


def test_switched_on_it_is_linked_from_home_and_footer_and_in_the_sitemap(client, committed):
    committed(lambda: set_profile(consumer_health_data_page=True))

    home = parse(client.get("/"))
    assert home.find("main").find_all("a", href=HEALTH), "no link in the home page itself"
    assert home.find("footer").find_all("a", href=HEALTH), "no link in the footer"
    privacy = parse(client.get("/privacy/")).find("section", class_="privacy-facts")
    assert privacy.find_all("a", href=HEALTH)
    urlset = ET.fromstring(client.get("/sitemap.xml").content)  # noqa: S314 (our own output)
    locations = {loc.text for loc in urlset.findall("s:url/s:loc", SITEMAP_NS)}
    assert f"{settings.SITE_URL}{HEALTH}" in locations

    committed(lambda: set_profile(consumer_health_data_page=False))
    assert client.get(HEALTH).status_code == 404
    assert HEALTH not in client.get("/").content.decode()


def test_the_health_data_page_says_what_why_who_how_long_and_how(client, committed):
    committed(lambda: set_rules(retention_days=45))
    committed(
        lambda: set_profile(
            consumer_health_data_page=True,
            web_host="Hostwell Cloud",
            email_provider="Postbox Mail",
            contact_email="hello@practice.test",
        )
    )
    response = client.get(HEALTH)
    assert response.status_code == 200
    text = parse(response).find("main").text()
    assert "Consumer health data privacy policy" in text
    for heading in (
        "The health data collected",
        "Where it comes from",
        "Why it is collected and how it is used",
        "Who it is shared with",
        "How long it is kept",
        "Your rights, and how to use them",
    ):
        assert heading in text
    assert "the fact that you asked" in text
    assert "servers run by Hostwell Cloud" in text and "delivered by Postbox Mail" in text
    assert "Nothing is sold, and nothing is shared with anyone else" in text
    assert "deleted automatically after 45 days" in text
    assert "hello@practice.test" in text and "delete it at once" in text


def test_a_page_cannot_take_the_health_data_address(admin_client):
    response = admin_client.post(
        reverse("admin:blog_page_add"),
        {"title": "Mine", "slug": "consumer-health-data", "body": "<p>x</p>"},
    )
    assert "is used by the site itself" in response.content.decode()
    assert not Page.objects.filter(slug="consumer-health-data").exists()


@pytest.mark.parametrize("health_page", [False, True])
def test_both_pages_and_home_are_well_formed(client, health_page):
    set_profile(consumer_health_data_page=health_page, contact_email="hello@practice.test")
    paths = ["/", "/privacy/", HEALTH] if health_page else ["/", "/privacy/"]
    for path in paths:
        response = client.get(path)
        assert response.status_code == 200
        assert html_problems(response) == [], path


def test_the_html_check_finds_what_it_looks_for():
    broken = (
        '<h1>One</h1><h3 id="x">Skipped</h3><p><div>block</div></p>'
        '<span id="x"><em>crossed</span></em><section aria-labelledby="nowhere"></section>'
    )
    problems = " | ".join(html_problems(broken))
    for found in ("h3 right after an h1", "<div> inside a <p>", 'id="x" used twice'):
        assert found in problems
    assert "</span> closes <em>" in problems
    assert 'aria-labelledby="nowhere" names no element' in problems


# The set-up checklist on the admin's home screen.


def checklist(admin_client):
    """{item's first words: done?} from the home screen's "Getting set up" list."""
    doc = parse(admin_client.get(HOME))
    items = doc.find("ul", class_="practice-checklist").find_all("li")
    return {
        item.text().removeprefix("Done: ").removeprefix("To do: "): "done" in item.classes
        for item in items
    }


def item(admin_client, start):
    found = [done for what, done in checklist(admin_client).items() if what.startswith(start)]
    assert len(found) == 1, f"no checklist item starting “{start}”"
    return found[0]


def test_review_the_privacy_page_is_done_when_its_note_is_gone(admin_client):
    assert item(admin_client, "Review your privacy page") is False
    privacy = Page.objects.get(slug="privacy")
    privacy.body = "<p>I have read it all and written my own introduction.</p>"
    privacy.save()
    assert item(admin_client, "Review your privacy page") is True


def test_the_review_item_links_to_the_privacy_page_in_the_admin(admin_client):
    privacy = Page.objects.get(slug="privacy")
    doc = parse(admin_client.get(HOME))
    links = [a.attrs["href"] for a in doc.find("ul", class_="practice-checklist").find_all("a")]
    assert reverse("admin:blog_page_change", args=[privacy.pk]) in links


def test_choose_the_retention_period_is_done_once_confirmed_in_booking_rules(admin_client):
    assert item(admin_client, "Choose how long to keep closed requests (now 180 days)") is False
    url = reverse("admin:consults_bookingrules_change", args=[BookingRules.load().pk])
    form = parse(admin_client.get(url)).find("form", id="bookingrules_form")
    data = {
        el.attrs["name"]: el.attrs.get("value", "")
        for el in form.find_all("input")
        if el.attrs.get("name") and el.attrs.get("type") not in ("checkbox", "submit")
    }
    data.update({el.attrs["name"]: el.text() for el in form.find_all("textarea")})
    data.update(retention_days="90", retention_confirmed="on", requires_confirmation="on")
    response = admin_client.post(url, data)
    assert response.status_code == 302, response.content.decode()
    assert item(admin_client, "Choose how long to keep closed requests (now 90 days)") is True


def test_name_the_host_and_provider_is_done_when_both_are_filled(admin_client):
    assert item(admin_client, "Name your web host and email provider") is False
    set_profile(web_host="Hostwell Cloud")
    assert item(admin_client, "Name your web host and email provider") is False
    set_profile(email_provider="Postbox Mail")
    assert item(admin_client, "Name your web host and email provider") is True
