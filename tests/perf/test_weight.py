"""The article's weight in a real Chromium: 50 KB or less compressed, in 6 requests or
fewer, all to the site itself, and no script that blocks rendering. An article with two
photos, read to the end on a phone, stays under 250 KB.

Playwright hands over bodies decoded, so each body is gzipped here, as the production
set-up sends it (WhiteNoise's precompressed static files, Django's GZip middleware).
"""

import gzip
import importlib
from urllib.parse import urlsplit

import pytest
from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile
from playwright.sync_api import expect

from blog.models import Article, ArticleImage
from tests.blog.builders import make_article
from tests.blog.pictures import photo_bytes

create_pages = importlib.import_module("blog.migrations.0002_create_pages").create_pages
publish_article = importlib.import_module("blog.migrations.0003_seed_article").publish_article

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ARTICLE = "/blog/when-closeness-feels-unsafe/"
MAX_BYTES = 50 * 1024
MAX_REQUESTS = 6


@pytest.fixture
def site(live_server):
    # The live server's transactional database starts empty: put the migrations' rows back.
    create_pages(apps, None)
    publish_article(apps, None)
    return live_server.url


def transferred(response):
    # Playwright hands over the decoded body, compressed by the server or not.
    return len(gzip.compress(response.body(), compresslevel=6))


def test_the_article_is_light_and_all_from_its_own_origin(page, site):
    responses = []
    page.on("response", lambda response: responses.append(response))
    page.goto(f"{site}{ARTICLE}", wait_until="load")
    page.wait_for_load_state("networkidle")

    origin = urlsplit(site).netloc
    elsewhere = [r.url for r in responses if urlsplit(r.url).netloc != origin]
    total = sum(transferred(r) for r in responses)
    report = {r.url.removeprefix(site): transferred(r) for r in responses}

    assert elsewhere == []
    assert len(responses) <= MAX_REQUESTS, report
    assert total <= MAX_BYTES, report


def test_no_script_blocks_rendering(page, site):
    for path in ["/", ARTICLE, "/consult/"]:
        page.goto(f"{site}{path}")
        blocking = page.evaluate(
            """() => [...document.querySelectorAll('script[src]')]
                .filter(s => !s.defer && !s.async && s.type !== 'module')
                .filter(s => s.closest('head') || s.nextElementSibling)
                .map(s => s.src)"""
        )
        assert blocking == [], path


PHOTOS_MAX_BYTES = 250 * 1024


@pytest.fixture
def article_with_two_photos(site, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    pictures = [
        ArticleImage.objects.create(
            file=SimpleUploadedFile(f"photo-{n}.jpg", photo_bytes(color=color), "image/jpeg"),
            alt_text=f"Photo {n}",
        )
        for n, color in enumerate([(120, 150, 130), (170, 140, 110)], start=1)
    ]
    seed = Article.objects.get(slug="when-closeness-feels-unsafe")
    paragraphs = seed.body.split("</p>")
    figures = [
        f'<figure><img src="" alt="" data-file="{p.pk}"><figcaption>Photo.</figcaption></figure>'
        for p in pictures
    ]
    # One picture near the top, one further down, as an article would place them.
    body = paragraphs[0] + "</p>" + figures[0] + "</p>".join(paragraphs[1:8]) + "</p>"
    body += figures[1] + "</p>".join(paragraphs[8:])
    return make_article(title="With two photos", slug="two-photos", body=body)


def test_an_article_with_two_photos_stays_light_on_a_phone(browser, site, article_with_two_photos):
    # A phone: 375 CSS pixels at twice the density, reading to the end of the article.
    context = browser.new_context(viewport={"width": 375, "height": 812}, device_scale_factor=2)
    page = context.new_page()
    responses = []
    page.on("response", lambda response: responses.append(response))
    page.goto(f"{site}/blog/two-photos/", wait_until="load")
    first_screen = sum(transferred(r) for r in responses)
    last_photo = page.locator(".prose picture img").last
    last_photo.scroll_into_view_if_needed()
    expect(last_photo).to_have_js_property("complete", True)
    page.wait_for_load_state("networkidle")

    images = [r for r in responses if r.request.resource_type == "image"]
    total = sum(transferred(r) for r in responses)
    report = {r.url.removeprefix(site): transferred(r) for r in responses}
    print(f"\ntwo photos at 375px: first screen {first_screen} B, read to the end {total} B")
    print(report)

    assert [r.headers["content-type"] for r in images if "/media/" in r.url] == ["image/webp"] * 2
    # The phone gets the 800px size (375 x 2 rounded up), never the largest.
    assert all("/800." in r.url for r in images if "/media/" in r.url)
    assert first_screen < total  # the second photo waited for the reader to get near it
    assert total <= PHOTOS_MAX_BYTES, report
    context.close()
