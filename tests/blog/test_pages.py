"""The editable pages: the four from the migration, their addresses, their wording."""

import pytest

from blog.models import Page

pytestmark = pytest.mark.django_db


def test_the_migration_creates_the_four_pages():
    assert set(Page.objects.values_list("slug", flat=True)) == {
        "home",
        "about",
        "privacy",
        "accessibility",
    }


@pytest.mark.parametrize("slug", ["about", "privacy", "accessibility"])
def test_each_page_is_served_at_its_slug_and_asks_to_be_edited(client, slug):
    page = Page.objects.get(slug=slug)
    response = client.get(f"/{slug}/")
    assert response.status_code == 200
    assert f"<h1>{page.title}</h1>" in response.content.decode()
    assert "placeholder text" in page.body


@pytest.mark.parametrize("path", ["/home/", "/nothing-here/", "/consults/"])
def test_other_single_segment_addresses_are_404(client, path):
    assert client.get(path).status_code == 404


def test_home_shows_the_intro_and_the_call_to_action(client):
    home = Page.objects.get(slug="home")
    home.title = "Therapy at your own pace"
    home.body = "<p>An <b>intro</b> paragraph.</p>"
    home.save()

    content = client.get("/").content.decode()

    assert '<section class="hero"' in content
    assert "Therapy at your own pace" in content
    assert "An <strong>intro</strong> paragraph." in content
    assert '<a class="button" href="/consult/">Book a free consult</a>' in content


def test_privacy_page_describes_what_the_site_does(client):
    # The page's own part written from the settings (tests/consults/test_privacy_pages.py).
    text = client.get("/privacy/").content.decode()
    for promise in ("no tracking pixels", "no analytics", "own database", "deleted", "cookie"):
        assert promise in text


def test_accessibility_placeholder_states_the_aim_and_how_to_report():
    text = Page.objects.get(slug="accessibility").body_text
    assert "WCAG" in text
    assert "2.2" in text
    assert "level AA" in text
    assert "Reporting a problem" in text


def test_home_page_works_even_without_its_row(client):
    Page.objects.filter(slug="home").delete()
    assert client.get("/").status_code == 200
