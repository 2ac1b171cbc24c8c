"""The article's weight in a real Chromium: 50 KB or less compressed, in 6 requests or
fewer, all to the site itself, and no script that blocks rendering.

Playwright hands over bodies decoded, so each body is gzipped here, as the production
set-up sends it (WhiteNoise's precompressed static files, Django's GZip middleware).
"""

import gzip
import importlib
from urllib.parse import urlsplit

import pytest
from django.apps import apps

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
