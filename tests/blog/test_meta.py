"""Titles, descriptions, canonical links, OpenGraph tags and an article's JSON-LD."""

import json

import pytest

from core.models import PracticeProfile

from .builders import make_article
from .html import meta_content, parse

pytestmark = pytest.mark.django_db

SITE_URL = "https://practice.example"
SEED = "/blog/when-closeness-feels-unsafe/"


@pytest.fixture(autouse=True)
def site_url(settings):
    settings.SITE_URL = SITE_URL


def json_ld(doc):
    scripts = doc.find_all("script", type="application/ld+json")
    assert len(scripts) == 1
    return json.loads(scripts[0].text())


@pytest.mark.parametrize("path", ["/", "/blog/", SEED, "/about/", "/privacy/", "/accessibility/"])
def test_every_page_has_title_description_canonical_and_og_tags(client, path):
    doc = parse(client.get(path))

    assert doc.find("title").text()
    assert meta_content(doc, name="description").strip()
    assert doc.find("link", rel="canonical").attrs["href"] == f"{SITE_URL}{path}"
    for prop in ("og:type", "og:title", "og:description", "og:site_name"):
        assert meta_content(doc, property=prop).strip(), prop
    assert meta_content(doc, property="og:url") == f"{SITE_URL}{path}"


def test_article_meta_tags_describe_the_article(client):
    article = make_article(
        title="On rest", summary="Why rest matters.", seo_description="Rest, briefly."
    )
    doc = parse(client.get(article.get_absolute_url()))

    assert doc.find("title").text().startswith("On rest")
    assert doc.find("h1").text() == "On rest"
    assert meta_content(doc, name="description") == "Rest, briefly."
    assert meta_content(doc, property="og:type") == "article"
    assert meta_content(doc, property="og:title") == "On rest"
    assert meta_content(doc, property="og:description") == "Rest, briefly."
    # Without a picture of its own, an article is shared with the site's default one.
    assert meta_content(doc, property="og:image").endswith(".png")


def test_description_falls_back_to_the_summary(client):
    article = make_article(summary="The summary says it.", seo_description="")
    doc = parse(client.get(article.get_absolute_url()))
    assert meta_content(doc, name="description") == "The summary says it."


def test_social_image_gives_an_absolute_og_image(client):
    article = make_article(social_image="articles/card.jpg", social_image_alt="A quiet lake.")
    doc = parse(client.get(article.get_absolute_url()))
    assert meta_content(doc, property="og:image") == f"{SITE_URL}/media/articles/card.jpg"
    assert meta_content(doc, property="og:image:alt") == "A quiet lake."
    assert json_ld(doc)["image"] == f"{SITE_URL}/media/articles/card.jpg"


def test_article_json_ld(client):
    profile = PracticeProfile.load()
    profile.practice_name = "Quiet Harbor Therapy"
    profile.therapist_name = "Sam Example"
    profile.save()
    article = make_article(title="On rest", summary="Why rest matters.")

    data = json_ld(parse(client.get(article.get_absolute_url())))

    assert data["@type"] == "Article"
    assert data["headline"] == "On rest"
    assert data["description"] == "Why rest matters."
    assert data["datePublished"] == article.published_at.isoformat()
    assert data["dateModified"] == article.updated_at.isoformat()
    assert data["url"] == f"{SITE_URL}{article.get_absolute_url()}"
    assert data["author"]["name"] == "Sam Example"
    assert data["publisher"]["name"] == "Quiet Harbor Therapy"


def test_json_ld_survives_a_title_that_closes_the_script(client):
    title = 'Safe </script><script>alert("x")</script> & <b>sound</b>'
    article = make_article(title=title)

    response = client.get(article.get_absolute_url())

    html = response.content.decode()
    assert "<script>alert" not in html
    assert json_ld(parse(response))["headline"] == title
