"""The admin shows and reads times in the practice's time zone, not UTC."""

from datetime import UTC, datetime

import pytest

from blog.models import Article
from core.models import PracticeProfile

pytestmark = pytest.mark.django_db


def test_a_publish_date_typed_in_the_admin_means_the_practice_local_time(admin_client):
    profile = PracticeProfile.load()
    profile.time_zone = "America/Los_Angeles"
    profile.save()
    add_page = admin_client.get("/admin/blog/article/add/")
    prefix = add_page.context["inline_admin_formsets"][0].formset.prefix
    response = admin_client.post(
        "/admin/blog/article/add/",
        {
            "title": "Hello",
            "slug": "hello",
            "summary": "A summary.",
            "body": "<p>Some words.</p>",
            "status": "draft",
            "published_at_0": "2030-01-15",
            "published_at_1": "09:00:00",
            "seo_description": "",
            "social_image_alt": "",
            f"{prefix}-TOTAL_FORMS": "0",
            f"{prefix}-INITIAL_FORMS": "0",
        },
    )
    errors = response.context["adminform"].form.errors if response.status_code == 200 else None
    assert response.status_code == 302, errors
    article = Article.objects.get(slug="hello")
    # 9:00 in Los Angeles in January is 17:00 UTC.
    assert article.published_at == datetime(2030, 1, 15, 17, 0, tzinfo=UTC)
