"""Whatever is typed into a body, no script reaches a page."""

import pytest

from blog.markup import reading_minutes, render_markdown, split_title
from blog.models import Page

from .builders import make_article
from .html import parse

HOSTILE = """Hello.

<script>alert("body")</script>

<img src="x" onerror="alert('img')">

<p onclick="alert('p')">Click</p>

[a link](javascript:alert('link')) and [another](JAVASCRIPT:alert(1))

<a href="javascript:alert('raw')">raw link</a>

<iframe src="https://example.com/"></iframe>
"""


# The same, as HTML: what a hostile request could post as an editor's body.
HOSTILE_HTML = """<p>Hello.</p>
<script>alert("body")</script>
<img src="x" onerror="alert('img')">
<p onclick="alert('p')">Click</p>
<p><a href="javascript:alert('link')">a link</a> and <a href="JAVASCRIPT:alert(1)">another</a></p>
<svg><a xlink:href="javascript:alert(2)">svg</a></svg>
<iframe src="https://example.com/"></iframe>
<style>body { display: none }</style>
"""


def assert_harmless(html):
    lowered = html.lower()
    for fragment in ("<script", "onerror", "onclick", "javascript:", "<iframe", "alert("):
        assert fragment not in lowered, fragment


def assert_page_harmless(response):
    """No script but the page's own JSON-LD, no event handler, no javascript: link."""
    assert response.status_code == 200
    elements = list(parse(response).iter())
    assert [el.attrs.get("type") for el in elements if el.tag == "script"] in (
        [],
        ["application/ld+json"],
    )
    assert not [el for el in elements if any(name.startswith("on") for name in el.attrs)]
    assert not [el for el in elements if el.tag in {"iframe", "object", "embed"}]
    html = response.content.decode().lower()
    assert "javascript:" not in html
    assert "alert(" not in html


def test_render_removes_scripts_handlers_and_javascript_links():
    assert_harmless(render_markdown(HOSTILE))


def test_render_keeps_ordinary_markdown():
    html = render_markdown("## Part\n\nSome *words* and [a link](/consult/).\n\n- one\n- two")
    assert "<h2>Part</h2>" in html
    assert "<em>words</em>" in html
    assert '<a href="/consult/">a link</a>' in html
    assert "<li>one</li>" in html


def test_a_heading_level_one_in_the_body_becomes_h2():
    assert render_markdown("# Big") == "<h2>Big</h2>"


@pytest.mark.django_db
def test_hostile_article_body_never_reaches_the_page(client):
    article = make_article(body=HOSTILE_HTML)
    assert_page_harmless(client.get(article.get_absolute_url()))


@pytest.mark.django_db
def test_hostile_page_body_never_reaches_the_page(client):
    about = Page.objects.get(slug="about")
    about.body = HOSTILE_HTML
    about.save()
    assert_page_harmless(client.get("/about/"))


@pytest.mark.parametrize(("words", "minutes"), [(0, 1), (200, 1), (201, 2), (1000, 5)])
def test_reading_time_is_words_over_200_rounded_up(words, minutes):
    assert reading_minutes("word " * words) == minutes


def test_split_title_takes_only_a_leading_level_one_heading():
    assert split_title("# Title\n\nBody\n") == ("Title", "Body\n")
    assert split_title("## Not a title\n\nBody") == ("", "## Not a title\n\nBody")


# What Word puts on the clipboard (shortened): classes, styles, Office tags, conditional
# comments, <b>, and spacing paragraphs.
WORD_HTML = """<html xmlns:o="urn:schemas-microsoft-com:office:office"><head>
<style><!-- p.MsoNormal {margin:0cm} --></style></head><body lang=EN-US>
<!--StartFragment--><h1 style='mso-margin-top-alt:auto'>When it is hard</h1>
<p class=MsoNormal style='margin-bottom:0cm'><span style='font-family:"Calibri",sans-serif'>
Some <b>strong</b> and <i>gentle</i> words<o:p></o:p></span></p>
<p class=MsoNormal><o:p>&nbsp;</o:p></p>
<ul><li class=MsoNormal style='mso-list:l0 level1 lfo1'>first</li></ul>
<p class=MsoNormal><a href="https://988lifeline.org/" target="_blank" style='color:blue'>988</a></p>
<!--EndFragment--></body></html>"""


def test_pasted_word_html_keeps_headings_lists_and_links_and_drops_the_rest():
    from blog.markup import clean_html

    html = clean_html(WORD_HTML)
    assert "<h2>When it is hard</h2>" in html
    assert "<strong>strong</strong>" in html
    assert "<em>gentle</em>" in html
    assert "<li>first</li>" in html
    assert '<a href="https://988lifeline.org/">988</a>' in html
    for gone in ("class=", "style=", "mso", "<o:p", "<!--", "target=", "<p></p>", "MsoNormal {"):
        assert gone not in html, gone


def test_the_editors_own_output_passes_unchanged():
    from blog.markup import clean_html

    editor = (
        "<p>Hello <strong>there</strong>.</p><h2>Part</h2><ul><li><p>One</p></li></ul>"
        '<blockquote><p>Quote</p></blockquote><p><a href="/consult/">Book</a></p>'
        '<figure><img src="/media/a.jpg" alt="A lake" data-file="3"><figcaption>Lake</figcaption></figure>'
    )
    assert clean_html(editor) == editor
