"""Who sees what, when: drafts, yesterday's and tomorrow's articles everywhere readers look."""

import pytest
import time_machine
from django.urls import reverse

from blog.models import Article

from .builders import days_from_now, make_article, make_draft

pytestmark = pytest.mark.django_db

READER_LISTINGS = ["blog:home", "blog:article_list", "blog:feed"]


@pytest.fixture
def articles():
    return {
        "yesterday": make_article(slug="from-yesterday", published_at=days_from_now(-1)),
        "tomorrow": make_article(slug="for-tomorrow", published_at=days_from_now(1)),
        "draft": make_draft(slug="a-draft", published_at=days_from_now(-1)),
    }


def test_published_means_published_status_and_a_past_date(articles):
    published = set(Article.objects.published())
    assert articles["yesterday"] in published
    assert articles["tomorrow"] not in published
    assert articles["draft"] not in published


@pytest.mark.parametrize("url_name", READER_LISTINGS)
def test_listings_show_only_published_articles(client, articles, url_name):
    content = client.get(reverse(url_name)).content.decode()
    assert "/blog/from-yesterday/" in content
    assert "/blog/for-tomorrow/" not in content
    assert "/blog/a-draft/" not in content


def test_sitemap_lists_only_published_articles(client, articles):
    content = client.get("/sitemap.xml").content.decode()
    assert "/blog/from-yesterday/" in content
    assert "/blog/for-tomorrow/" not in content
    assert "/blog/a-draft/" not in content


def test_detail_answers_only_for_published_articles(client, articles):
    assert client.get("/blog/from-yesterday/").status_code == 200
    assert client.get("/blog/for-tomorrow/").status_code == 404
    assert client.get("/blog/a-draft/").status_code == 404


def test_a_scheduled_article_appears_when_its_date_comes_without_any_job(client, articles):
    with time_machine.travel(days_from_now(2), tick=False):
        assert client.get("/blog/for-tomorrow/").status_code == 200
        assert "/blog/for-tomorrow/" in client.get("/blog/").content.decode()
        assert "/blog/for-tomorrow/" in client.get("/blog/feed/").content.decode()
        assert "/blog/for-tomorrow/" in client.get("/").content.decode()
        # A draft stays hidden however much time passes.
        assert client.get("/blog/a-draft/").status_code == 404


def test_home_shows_the_three_latest_published_articles(client):
    for day in range(1, 6):
        make_article(slug=f"day-{day}", published_at=days_from_now(-day))
    content = client.get("/").content.decode()
    assert [f"/blog/day-{day}/" in content for day in range(1, 6)] == [
        True,
        True,
        True,
        False,
        False,
    ]


def test_article_list_is_newest_first_ten_a_page(client):
    Article.objects.all().delete()
    for day in range(1, 13):
        make_article(slug=f"day-{day}", published_at=days_from_now(-day))

    first = client.get("/blog/")
    second = client.get("/blog/?page=2")

    assert [a.slug for a in first.context["articles"]] == [f"day-{d}" for d in range(1, 11)]
    assert [a.slug for a in second.context["articles"]] == ["day-11", "day-12"]
    assert 'aria-label="Pages"' in first.content.decode()
