"""Topics, related articles, search, and what feeds and search engines are served."""

import json
import re
from email.utils import format_datetime

import pytest

from blog.models import Article, Topic
from core.models import PracticeProfile

from .builders import days_from_now, make_article, make_draft
from .html import parse

pytestmark = pytest.mark.django_db

SEED = "/blog/when-closeness-feels-unsafe/"


@pytest.fixture
def calm():
    return Topic.objects.create(name="Calm", slug="calm", description="Settling the body.")


def test_a_topic_page_lists_its_published_articles(client, calm):
    on_topic = make_article(title="Breathing")
    on_topic.topics.add(calm)
    make_draft(title="Unfinished").topics.add(calm)
    make_article(title="Elsewhere")

    doc = parse(client.get("/blog/topics/calm/"))

    assert doc.find("h1").text() == "Calm"
    titles = [
        a.text()
        for a in doc.find("main").find_all("a")
        if a.text() in {"Breathing", "Unfinished", "Elsewhere"}
    ]
    assert titles == ["Breathing"]


def test_an_article_names_its_topics_and_ends_with_three_related(client, calm):
    other = Topic.objects.create(name="Sleep", slug="sleep")
    article = make_article(title="Main")
    article.topics.add(calm)
    shares = make_article(title="Shares a topic", published_at=days_from_now(-30))
    shares.topics.add(calm)
    for n in range(3):
        make_article(title=f"Newer {n}").topics.add(other)

    doc = parse(client.get(article.get_absolute_url()))

    assert doc.find("p", class_="article-topics").find("a").attrs["href"] == "/blog/topics/calm/"
    related = [h.text() for h in doc.find("section", class_="related").find_all("h3")]
    assert len(related) == 3
    assert related[0] == "Shares a topic"  # a shared topic outranks being newer
    assert "Main" not in related


def test_search_finds_the_seed_article_by_a_stemmed_word_and_marks_it(client):
    # The body says "overwhelmed"; English stemming finds it from "overwhelming".
    doc = parse(client.get("/blog/search/?q=overwhelming"))
    results = doc.find("main").find_all("li", class_="article-card")
    assert len(results) == 1
    assert results[0].find("a").attrs["href"] == SEED
    assert "mark" in [el.tag for el in results[0].iter()]


def test_a_title_match_ranks_above_a_body_match(client):
    make_article(title="Sleep", body="<p>Rest.</p>", slug="sleep")
    make_article(title="Other", body="<p>About sleep, briefly, once.</p>", slug="other")
    doc = parse(client.get("/blog/search/?q=sleep"))
    hrefs = [li.find("a").attrs["href"] for li in doc.find_all("li", class_="article-card")]
    assert hrefs == ["/blog/sleep/", "/blog/other/"]


def test_search_never_shows_drafts_and_escapes_what_it_marks(client):
    make_draft(title="Secret draft about tides")
    make_article(title="Tides", body="<p>&lt;script&gt;tides&lt;/script&gt;</p>")
    content = client.get("/blog/search/?q=tides").content.decode()
    assert "Secret draft" not in content
    assert "<script>" not in content


def test_an_empty_search_still_helps(client, calm):
    make_article().topics.add(calm)
    doc = parse(client.get("/blog/search/?q=zebra"))
    assert "No article matched" in doc.find("main").text()
    assert doc.find("ul", class_="topic-list").find("a").attrs["href"] == "/blog/topics/calm/"
    assert doc.find("input", id="search-words").attrs["value"] == "zebra"


def test_the_article_list_has_a_search_box(client):
    form = parse(client.get("/blog/")).find("form", class_="search-form")
    assert form.attrs["action"] == "/blog/search/"


def test_the_feed_guid_survives_a_slug_change(client):
    article = make_article(slug="first-name")
    before = parse_guids(client.get("/blog/feed/"))
    article.slug = "second-name"
    article.save()
    after = parse_guids(client.get("/blog/feed/"))
    assert before == after
    assert "first-name" not in before[0]


def parse_guids(response):
    return re.findall(r"<guid[^>]*>([^<]*)</guid>", response.content.decode())


def test_the_feed_carries_topics(client, calm):
    Article.objects.get(slug="when-closeness-feels-unsafe").topics.add(calm)
    assert "<category>Calm</category>" in client.get("/blog/feed/").content.decode()


def test_the_feed_answers_if_modified_since_with_304(client):
    response = client.get("/blog/feed/")
    last_modified = response["Last-Modified"]
    assert client.get("/blog/feed/", HTTP_IF_MODIFIED_SINCE=last_modified).status_code == 304
    older = format_datetime(days_from_now(-3000), usegmt=True)
    assert client.get("/blog/feed/", HTTP_IF_MODIFIED_SINCE=older).status_code == 200


@pytest.mark.parametrize("path", ["/", SEED, "/blog/", "/about/"])
def test_every_page_links_the_feed_and_has_an_og_image(client, path):
    doc = parse(client.get(path))
    feed = doc.find("link", rel="alternate")
    assert feed.attrs["href"] == "/blog/feed/"
    assert feed.attrs["type"] == "application/rss+xml"
    assert doc.find("meta", property="og:image").attrs["content"].startswith("http://testserver/")


def test_the_sitemap_lists_the_article_list_and_topics(client, calm):
    Article.objects.get(slug="when-closeness-feels-unsafe").topics.add(calm)
    Topic.objects.create(name="Empty", slug="empty")
    content = client.get("/sitemap.xml").content.decode()
    assert "<loc>http://testserver/blog/</loc>" in content
    assert "<loc>http://testserver/blog/topics/calm/</loc>" in content
    assert "/blog/topics/empty/" not in content


def json_ld(response):
    return [
        json.loads(script.text())
        for script in parse(response).find_all("script")
        if script.attrs.get("type") == "application/ld+json"
    ]


def test_the_article_has_json_ld_with_an_image(client):
    (data,) = json_ld(client.get(SEED))
    assert data["@type"] == "Article"
    assert data["image"].startswith("http://testserver/static/")


def test_the_home_page_describes_the_practice(client):
    profile = PracticeProfile.load()
    profile.practice_name = "Quiet Harbour Therapy"
    profile.contact_phone = "+1 555 0100"
    profile.save()
    (data,) = json_ld(client.get("/"))
    assert data["@type"] == "ProfessionalService"
    assert data["name"] == "Quiet Harbour Therapy"
    assert data["telephone"] == "+1 555 0100"
    assert data["employee"]["@type"] == "Person"


@pytest.mark.parametrize("typed", ["!!!", "&|:*", "x" * 5000, "'"])
def test_odd_searches_get_a_calm_answer(client, typed):
    assert client.get("/blog/search/", {"q": typed}).status_code == 200


@pytest.mark.parametrize("typed", ["\x00", "a\x00b"])
def test_a_nul_in_a_search_gets_the_sites_own_400_page(client, typed):
    # A NUL never reaches a view (core.middleware.RejectMalformedQueryMiddleware).
    response = client.get("/blog/search/", {"q": typed})
    assert response.status_code == 400
    assert "Book a free consult" in response.content.decode()  # the site's layout
