"""The therapist's first article, published by a migration, matches its Markdown source.

The source is the repository's copy (blog/content/), which is what the migration reads.
"""

import re
from pathlib import Path

import pytest

import blog
from blog.models import Article

from .html import parse

pytestmark = pytest.mark.django_db

SOURCE = Path(blog.__file__).resolve().parent / "content" / "when-closeness-feels-unsafe.md"
URL = "/blog/when-closeness-feels-unsafe/"
MARKDOWN_LINK = re.compile(r"\[([^\]]+)\]\(([^)]+)\)")


def source_blocks():
    """The source as (tag, text) in order: h1, h2, li and p, links reduced to their words."""
    blocks = []
    for line in SOURCE.read_text(encoding="utf-8").splitlines():
        line = MARKDOWN_LINK.sub(r"\1", line.strip())
        if not line:
            continue
        if line.startswith("## "):
            blocks.append(("h2", line[3:]))
        elif line.startswith("# "):
            blocks.append(("h1", line[2:]))
        elif line.startswith("- "):
            blocks.append(("li", line[2:]))
        else:
            blocks.append(("p", line))
    return blocks


@pytest.fixture
def article_element(client):
    response = client.get(URL)
    assert response.status_code == 200
    return parse(response).find("main").find("article")


def test_the_source_has_the_shape_of_the_article():
    tags = [tag for tag, _ in source_blocks()]
    assert tags.count("h1") == 1
    assert tags.count("h2") == 5
    assert tags.count("li") == 16
    assert tags[0] == "h1"


def test_the_migration_published_it_in_the_past():
    article = Article.objects.get(slug="when-closeness-feels-unsafe")
    assert article in Article.objects.published()
    assert article.title == source_blocks()[0][1]
    assert not article.body.startswith(("<h1", "<h2"))


def test_summary_is_in_the_articles_own_words():
    article = Article.objects.get(slug="when-closeness-feels-unsafe")
    source = SOURCE.read_text(encoding="utf-8")
    for sentence in re.split(r"(?<=\.) ", article.summary):
        assert sentence in source
    assert article.seo_description


def test_every_heading_item_and_paragraph_appears_in_order(article_element):
    title = article_element.find("header", class_="article-header").find("h1").text()
    prose = article_element.find("div", class_="prose")
    page_blocks = [("h1", title)] + [
        (el.tag, el.text()) for el in prose.iter() if el.tag in {"h1", "h2", "li", "p"}
    ]
    assert page_blocks == source_blocks()


def test_the_title_is_the_only_h1(client):
    doc = parse(client.get(URL))
    assert [h1.text() for h1 in doc.find_all("h1")] == [source_blocks()[0][1]]


@pytest.mark.parametrize(
    ("words", "href"),
    [
        ("schedule a free consult call", "/consult/"),
        ("learn more about how I work with trauma and relationships on my website", "/about/"),
    ],
)
def test_the_two_links(article_element, words, href):
    links = article_element.find("div", class_="prose").find_all("a")
    assert [(a.text(), a.attrs["href"]) for a in links if a.text() == words] == [(words, href)]


def test_the_article_ends_with_a_calm_invitation(article_element, client):
    doc = parse(client.get(URL))
    panel = doc.find("aside", class_="cta-panel")
    assert panel.find("a", class_="button").attrs["href"] == "/consult/"
