"""The feed, the sitemap and robots.txt: present, well formed, absolute from SITE_URL."""

import xml.etree.ElementTree as ET

import pytest

from .builders import make_article

pytestmark = pytest.mark.django_db

SITE_URL = "https://practice.example"
SITEMAP_NS = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}


@pytest.fixture(autouse=True)
def site_url(settings):
    settings.SITE_URL = SITE_URL


def test_feed_links_are_absolute_from_site_url(client):
    make_article(slug="in-the-feed", title="In the feed", summary="What it is about.")

    response = client.get("/blog/feed/")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/rss+xml")
    channel = ET.fromstring(response.content).find("channel")  # noqa: S314 (our own output)
    assert channel.findtext("link") == f"{SITE_URL}/blog/"
    items = {item.findtext("title"): item for item in channel.findall("item")}
    item = items["In the feed"]
    assert item.findtext("link") == f"{SITE_URL}/blog/in-the-feed/"
    assert item.findtext("description") == "What it is about."


def test_sitemap_has_home_pages_and_articles_with_absolute_urls(client):
    make_article(slug="in-the-sitemap")

    response = client.get("/sitemap.xml")

    assert response.status_code == 200
    urlset = ET.fromstring(response.content)  # noqa: S314 (our own output)
    locations = {loc.text for loc in urlset.findall("s:url/s:loc", SITEMAP_NS)}
    expected = {
        f"{SITE_URL}/",
        f"{SITE_URL}/about/",
        f"{SITE_URL}/privacy/",
        f"{SITE_URL}/accessibility/",
        f"{SITE_URL}/blog/in-the-sitemap/",
        f"{SITE_URL}/blog/when-closeness-feels-unsafe/",
    }
    assert expected <= locations
    assert f"{SITE_URL}/home/" not in locations


def test_robots_points_to_the_sitemap(client):
    response = client.get("/robots.txt")
    assert response.status_code == 200
    assert f"Sitemap: {SITE_URL}/sitemap.xml" in response.content.decode()


def test_article_list_announces_the_feed(client):
    doc_text = client.get("/blog/").content.decode()
    assert 'type="application/rss+xml"' in doc_text
    assert 'href="/blog/feed/"' in doc_text
