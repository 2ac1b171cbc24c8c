"""The new reader pages in a real Chromium: a topic page, search with and without
results, and an article with pictures, each axe-clean at 375 and 1280 px, and with no
CSP violation or request to another origin."""

import importlib

import pytest
from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile

from blog.models import Article, ArticleImage, Topic
from tests.blog.builders import make_article
from tests.blog.pictures import photo_bytes
from tests.e2e.test_csp import Watch

create_pages = importlib.import_module("blog.migrations.0002_create_pages").create_pages
publish_article = importlib.import_module("blog.migrations.0003_seed_article").publish_article

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PAGES = [
    "/blog/topics/relationships/",
    "/blog/search/?q=closeness",
    "/blog/search/?q=zebra",
    "/blog/with-a-photo/",
    "/blog/when-closeness-feels-unsafe/",
]


@pytest.fixture
def site(live_server, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    create_pages(apps, None)
    publish_article(apps, None)
    topic = Topic.objects.create(name="Relationships", slug="relationships")
    Article.objects.get(slug="when-closeness-feels-unsafe").topics.add(topic)
    picture = ArticleImage.objects.create(
        file=SimpleUploadedFile("p.jpg", photo_bytes(), "image/jpeg"), alt_text="A calm lake."
    )
    article = make_article(
        title="With a photo",
        slug="with-a-photo",
        body=(
            "<p>Some words first.</p>"
            f'<figure><img src="" alt="" data-file="{picture.pk}"><figcaption>A lake.</figcaption></figure>'
            "<h2>Then a section</h2><p>More words.</p>"
        ),
    )
    article.topics.add(topic)
    return live_server.url


@pytest.mark.parametrize("width", [375, 1280])
@pytest.mark.parametrize("path", PAGES)
def test_no_accessibility_violations(page, site, axe_violations, path, width):
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(f"{site}{path}")
    assert axe_violations(page) == []
    assert page.evaluate("document.documentElement.scrollWidth") <= width + 1


def test_no_csp_violation_or_other_origin(page, site):
    watch = Watch(page, site)
    for path in PAGES:
        watch.visit(path)


def test_the_search_box_works_with_the_keyboard(page, site):
    page.goto(f"{site}/blog/")
    page.get_by_label("Search the articles").fill("trauma")
    page.keyboard.press("Enter")
    page.wait_for_url("**/blog/search/?q=trauma")
    assert page.locator("main mark").count() > 0
