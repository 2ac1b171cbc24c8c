"""The therapist's side: article and page admin screens work and say the right things."""

import pytest
from django.contrib.auth import get_user_model

from blog.models import Article, Page
from tests.conftest import login_with_otp

from .builders import make_article, make_draft

pytestmark = pytest.mark.django_db

ADMIN = "/admin/blog"


@pytest.fixture
def admin_client(client):
    user = get_user_model().objects.create_superuser("therapist", "t@example.test", "pw")
    return login_with_otp(client, user)


def test_article_list_links_drafts_to_their_preview(admin_client):
    draft = make_draft(title="Still drafting")
    live = make_article(title="Out there")

    content = admin_client.get(f"{ADMIN}/article/").content.decode()

    assert f'href="{draft.get_preview_url()}"' in content
    assert f'href="{live.get_preview_url()}"' not in content
    assert "Still drafting" in content
    assert "Out there" in content


def test_article_search_looks_in_the_body(admin_client):
    make_draft(title="Findable", body="<p>a rare-word inside</p>")
    content = admin_client.get(f"{ADMIN}/article/?q=rare-word").content.decode()
    assert "Findable" in content


def test_article_change_form_has_a_preview_link_and_old_addresses(admin_client):
    draft = make_draft()
    content = admin_client.get(f"{ADMIN}/article/{draft.pk}/change/").content.decode()
    assert f'href="{draft.get_preview_url()}"' in content
    assert "Old addresses" in content


def test_adding_an_article_through_admin(admin_client):
    response = admin_client.post(
        f"{ADMIN}/article/add/",
        {
            "title": "Written in admin",
            "slug": "written-in-admin",
            "summary": "A summary.",
            "body": "<p>Some <i>text</i>.</p><script>alert(1)</script>",
            "status": "draft",
            "published_at_0": "2025-01-01",
            "published_at_1": "09:00:00",
            "old_slugs-TOTAL_FORMS": "0",
            "old_slugs-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302
    article = Article.objects.get(slug="written-in-admin")
    assert article.body_html == "<p>Some <em>text</em>.</p>"


def test_built_in_pages_can_be_edited_but_not_deleted(admin_client):
    about = Page.objects.get(slug="about")
    assert admin_client.get(f"{ADMIN}/page/").status_code == 200
    assert admin_client.get(f"{ADMIN}/page/{about.pk}/change/").status_code == 200
    assert admin_client.get(f"{ADMIN}/page/{about.pk}/delete/").status_code == 403
