"""Old addresses of published articles keep working after a slug change."""

import pytest

from blog.models import ArticleSlugRedirect

from .builders import make_article, make_draft

pytestmark = pytest.mark.django_db


def rename(article, slug):
    article.slug = slug
    article.save()
    return article


def test_old_address_answers_301_to_the_new_one(client):
    rename(make_article(slug="first-name"), "second-name")

    response = client.get("/blog/first-name/")

    assert response.status_code == 301
    assert response["Location"] == "/blog/second-name/"
    assert client.get("/blog/second-name/").status_code == 200


def test_every_earlier_address_leads_to_the_latest(client):
    article = make_article(slug="one")
    rename(article, "two")
    rename(article, "three")
    assert client.get("/blog/one/")["Location"] == "/blog/three/"
    assert client.get("/blog/two/")["Location"] == "/blog/three/"


def test_taking_an_old_slug_back_removes_its_redirect(client):
    article = make_article(slug="one")
    rename(article, "two")
    rename(article, "one")
    assert client.get("/blog/one/").status_code == 200
    assert client.get("/blog/two/")["Location"] == "/blog/one/"


def test_renaming_a_draft_records_no_old_address():
    rename(make_draft(slug="draft-one"), "draft-two")
    assert not ArticleSlugRedirect.objects.filter(old_slug="draft-one").exists()


def test_old_address_of_an_unpublished_article_is_404(client):
    article = rename(make_article(slug="was-public"), "now-hidden")
    article.status = article.Status.DRAFT
    article.save()
    assert client.get("/blog/was-public/").status_code == 404
