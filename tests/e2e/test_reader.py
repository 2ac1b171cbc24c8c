"""A reader's path in a real browser: home, the articles, the seed article, the consult page.

Also runs axe-core on the pages a reader meets first. The live server needs a
transactional database, whose flushes wipe the migrations' rows, so the test puts
the pages and the seed article back with the migrations' own functions.
"""

import importlib

import pytest
from django.apps import apps
from playwright.sync_api import expect

create_pages = importlib.import_module("blog.migrations.0002_create_pages").create_pages
publish_article = importlib.import_module("blog.migrations.0003_seed_article").publish_article

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TITLE = "When Closeness Feels Unsafe: Navigating Intimacy After Trauma"
ARTICLE = "/blog/when-closeness-feels-unsafe/"


@pytest.fixture
def site(live_server):
    create_pages(apps, None)
    publish_article(apps, None)
    return live_server.url


def test_reader_finds_the_article_and_reaches_the_consult_page(page, site):
    page.goto(f"{site}/")
    expect(page.get_by_role("link", name="Book a free consult").first).to_be_visible()

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Articles").click()
    expect(page).to_have_url(f"{site}/blog/")
    page.get_by_role("link", name=TITLE).click()

    expect(page).to_have_url(f"{site}{ARTICLE}")
    expect(page.get_by_role("heading", level=1)).to_have_text(TITLE)

    page.get_by_role("link", name="schedule a free consult call").click()
    expect(page).to_have_url(f"{site}/consult/")


def test_the_home_page_links_to_the_article(page, site):
    page.goto(f"{site}/")
    page.get_by_role("link", name=TITLE).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(TITLE)


@pytest.mark.parametrize("path", ["/", "/blog/", ARTICLE, "/about/"])
def test_no_accessibility_violations(page, site, axe_violations, path):
    page.goto(f"{site}{path}")
    assert axe_violations(page) == []
