"""Markdown to safe HTML, reading time, and title lines: plain functions on strings.

The models call these on save, and the data migrations import them, so what the
therapist types and what the seed content becomes go through one and the same path.
"""

import math
import re

import markdown
import nh3
from markdown.extensions import Extension
from markdown.treeprocessors import Treeprocessor

WORDS_PER_MINUTE = 200

# What an article or page body may contain once rendered. No images, iframes, forms
# or styles: every page must load nothing from another origin, and the site's own
# stylesheet decides how things look.
ALLOWED_TAGS = {
    "a",
    "abbr",
    "blockquote",
    "br",
    "code",
    "em",
    "h2",
    "h3",
    "h4",
    "hr",
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


class _DemoteH1(Treeprocessor):
    """Turn `# Heading` into h2: the page template already owns the only h1."""

    def run(self, root):
        for element in root.iter("h1"):
            element.tag = "h2"


class _DemoteH1Extension(Extension):
    def extendMarkdown(self, md):
        md.treeprocessors.register(_DemoteH1(md), "demote_h1", 5)


def render_markdown(text):
    """Render Markdown to HTML that is safe to put on a page as it is."""
    html = markdown.markdown(
        text or "",
        extensions=[*EXTENSIONS, _DemoteH1Extension()],
        output_format="html",
    )
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        clean_content_tags=REMOVED_WITH_CONTENT,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel=None,
    )


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
