"""Safe HTML for article and page bodies, reading time, and title lines: plain functions.

Bodies are written in the admin's editor (HTML). Whatever the editor sends, `clean_html`
decides what is kept: the models call it on save, so a page view never cleans anything.
The seed content is Markdown: the data migrations render it with `render_markdown`,
which ends in the same sanitiser.
"""

import math
import re
from html import unescape

import markdown
import nh3
from django.utils.html import strip_tags
from markdown.extensions import Extension
from markdown.treeprocessors import Treeprocessor

WORDS_PER_MINUTE = 200

# What an article or page body may contain once cleaned. No iframes, forms or styles:
# every page must load nothing from another origin, and the site's own stylesheet
# decides how things look. Images only as figures the site itself made (blog.images).
ALLOWED_TAGS = {
    "a",
    "abbr",
    "blockquote",
    "br",
    "code",
    "em",
    "figcaption",
    "figure",
    "h2",
    "h3",
    "h4",
    "hr",
    "img",
    "li",
    "ol",
    "p",
    "pre",
    "strong",
    "table",
    "tbody",
    "td",
    "th",
    "thead",
    "tr",
    "ul",
}
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "abbr": {"title"},
    "img": {"src", "alt", "data-file"},
    "ol": {"start"},
    "th": {"align"},
    "td": {"align"},
}
# Scripts and styles are removed with their content, not just unwrapped, so their
# source never shows up as text either.
REMOVED_WITH_CONTENT = {"script", "style", "iframe", "object", "embed", "template"}
URL_SCHEMES = {"http", "https", "mailto", "tel"}

# Only extensions that add no way to write raw attributes: "attr_list" and
# "md_in_html" (both part of "extra") are deliberately left out.
EXTENSIONS = ["sane_lists", "fenced_code", "tables"]

_TITLE_LINE = re.compile(r"\A\s*#(?!#)[ \t]*(?P<title>.+?)(?:[ \t]+#+)?[ \t]*(?:\n|\Z)")

# Word and older editors write <b>, <i> and <h1>; readers get the same as from the
# editor's own buttons, and the page template owns the only h1.
_RENAMED = {"b": "strong", "i": "em", "h1": "h2"}
_RENAME_TAG = re.compile(r"<(/?)(b|i|h1)>")
_BLOCK_END = re.compile(r"</(p|h2|h3|h4|li|blockquote|figcaption|pre|tr)>|<br>")
_EMPTY_PARAGRAPH = re.compile(r"<p>(\s|&nbsp;|<br>)*</p>")

_cleaner = nh3.Cleaner(
    tags=ALLOWED_TAGS | set(_RENAMED),
    clean_content_tags=REMOVED_WITH_CONTENT,
    attributes=ALLOWED_ATTRIBUTES,
    url_schemes=URL_SCHEMES,
    link_rel=None,
)


def clean_html(html):
    """HTML that is safe to put on a page as it is: the one sanitiser for every body."""
    cleaned = _cleaner.clean(html or "")
    cleaned = _RENAME_TAG.sub(lambda m: f"<{m.group(1)}{_RENAMED[m.group(2)]}>", cleaned)
    # Pasted documents bring empty paragraphs used as spacing; the stylesheet spaces.
    return _EMPTY_PARAGRAPH.sub("", cleaned).strip()


def html_to_text(html):
    """The words of a cleaned body, one block a line: for search and reading time."""
    text = strip_tags(_BLOCK_END.sub(lambda m: m.group(0) + "\n", html or ""))
    return "\n".join(line.strip() for line in unescape(text).splitlines() if line.strip())


class _DemoteH1(Treeprocessor):
    """Turn `# Heading` into h2: the page template already owns the only h1."""

    def run(self, root):
        for element in root.iter("h1"):
            element.tag = "h2"


class _DemoteH1Extension(Extension):
    def extendMarkdown(self, md):
        md.treeprocessors.register(_DemoteH1(md), "demote_h1", 5)


def render_markdown(text):
    """Render Markdown (the seed content) to HTML that is safe to put on a page as it is."""
    html = markdown.markdown(
        text or "",
        extensions=[*EXTENSIONS, _DemoteH1Extension()],
        output_format="html",
    )
    return clean_html(html)


def body_fields(model, markdown_text):
    """A model's body fields for seed content written in Markdown.

    The data migrations call it with historical models, from before bodies were HTML
    (body_markdown) and after (body, body_text), and tests call them with today's.
    """
    html = render_markdown(markdown_text)
    names = {field.name for field in model._meta.get_fields()}
    if "body_markdown" in names:
        return {"body_markdown": markdown_text, "body_html": html}
    return {"body": html, "body_html": html, "body_text": html_to_text(html)}


def reading_minutes(text):
    """Minutes to read `text` at WORDS_PER_MINUTE, rounded up, at least one."""
    words = len((text or "").split())
    return max(1, math.ceil(words / WORDS_PER_MINUTE))


def split_title(text):
    """Split a leading `# Title` line from a Markdown document: (title, body).

    A document without one comes back as ("", text).
    """
    match = _TITLE_LINE.match(text)
    if not match:
        return "", text
    return match.group("title"), text[match.end() :].lstrip("\n")
