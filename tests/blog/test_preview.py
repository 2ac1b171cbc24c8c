"""Draft previews: staff only, never cached, never indexed."""

import pytest
from django.contrib.auth import get_user_model

from .builders import make_draft

pytestmark = pytest.mark.django_db


def make_user(**fields):
    return get_user_model().objects.create_user(
        username=fields.pop("username", "someone"), password="pw", **fields
    )


def test_anonymous_visitors_get_404(client):
    draft = make_draft()
    assert client.get(draft.get_preview_url()).status_code == 404


def test_logged_in_non_staff_get_404(client):
    draft = make_draft()
    client.force_login(make_user())
    assert client.get(draft.get_preview_url()).status_code == 404


def test_staff_see_the_draft_uncached_and_unindexed(client):
    draft = make_draft(title="Not ready yet")
    client.force_login(make_user(is_staff=True))

    response = client.get(draft.get_preview_url())

    assert response.status_code == 200
    assert "Not ready yet" in response.content.decode()
    cache_control = response["Cache-Control"]
    for directive in ("no-cache", "no-store", "private"):
        assert directive in cache_control
    assert '<meta name="robots" content="noindex, nofollow">' in response.content.decode()


def test_preview_of_a_missing_article_is_404_for_staff(client):
    client.force_login(make_user(is_staff=True))
    assert client.get("/blog/preview/999999/").status_code == 404
