"""Article rules that live on the model: rendering on save, validation, fallbacks."""

import pytest
from django.core.exceptions import ValidationError

from blog.models import Article

from .builders import make_article

pytestmark = pytest.mark.django_db


def unsaved(**fields):
    values = {
        "title": "A title",
        "slug": "a-title",
        "summary": "A summary.",
        "body": "<p>Some text.</p>",
    }
    values.update(fields)
    return Article(**values)


def test_saving_renders_the_body_and_counts_reading_time():
    article = make_article(body="<h2>Part</h2><p>" + "word " * 400 + "</p>")
    assert article.body_html.startswith("<h2>Part</h2>")
    assert article.reading_time == 3


def test_an_image_needs_a_description():
    with pytest.raises(ValidationError) as error:
        unsaved(social_image="articles/card.jpg").full_clean()
    assert "social_image_alt" in error.value.message_dict


def test_an_image_with_a_description_is_valid():
    unsaved(social_image="articles/card.jpg", social_image_alt="A lake.").full_clean()


def test_only_image_files_are_accepted():
    with pytest.raises(ValidationError) as error:
        unsaved(social_image="articles/card.svg", social_image_alt="A lake.").full_clean()
    assert "social_image" in error.value.message_dict


@pytest.mark.parametrize("slug", ["feed", "preview", "search", "topics"])
def test_slugs_used_by_the_site_are_refused(slug):
    with pytest.raises(ValidationError) as error:
        unsaved(slug=slug).full_clean()
    assert "slug" in error.value.message_dict


def test_seo_description_falls_back_to_summary():
    assert unsaved(seo_description="").description == "A summary."
    assert unsaved(seo_description="For search.").description == "For search."
