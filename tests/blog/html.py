"""A tiny HTML tree for assertions, and a strict check of a page's structure, built on the
standard library's html.parser."""

import itertools
from html.parser import HTMLParser

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"}


class Element:
    def __init__(self, tag, attrs, parent=None):
        self.tag = tag
        self.attrs = dict(attrs)
        self.parent = parent
        self.children = []  # Elements and strings, in document order

    @property
    def classes(self):
        return (self.attrs.get("class") or "").split()

    def text(self):
        """All text inside, with runs of whitespace collapsed to one space."""
        parts = []
        for child in self.children:
            parts.append(child.text() if isinstance(child, Element) else child)
        return " ".join("".join(parts).split())

    def iter(self):
        for child in self.children:
            if isinstance(child, Element):
                yield child
                yield from child.iter()

    def find_all(self, tag=None, class_=None, **attrs):
        return [
            el
            for el in self.iter()
            if (tag is None or el.tag == tag)
            and (class_ is None or class_ in el.classes)
            and all(el.attrs.get(name) == value for name, value in attrs.items())
        ]

    def find(self, tag=None, class_=None, **attrs):
        found = self.find_all(tag, class_, **attrs)
        assert found, f"no <{tag} class={class_} {attrs}> found"
        return found[0]


class _TreeBuilder(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.root = Element("#document", {})
        self.current = self.root

    def handle_starttag(self, tag, attrs):
        element = Element(tag, attrs, self.current)
        self.current.children.append(element)
        if tag not in VOID:
            self.current = element

    def handle_startendtag(self, tag, attrs):
        self.current.children.append(Element(tag, attrs, self.current))

    def handle_endtag(self, tag):
        node = self.current
        while node is not self.root and node.tag != tag:
            node = node.parent
        if node is not self.root:
            self.current = node.parent

    def handle_data(self, data):
        self.current.children.append(data)


def _html(response_or_html):
    html = getattr(response_or_html, "content", response_or_html)
    return html.decode() if isinstance(html, bytes) else html


def parse(response_or_html):
    """The document tree of a response (or an HTML string)."""
    builder = _TreeBuilder()
    builder.feed(_html(response_or_html))
    builder.close()
    return builder.root


def meta_content(doc, **attrs):
    """The content of the one <meta> matching attrs, e.g. property="og:title"."""
    matches = doc.find_all("meta", **attrs)
    assert len(matches) == 1, f"expected one <meta {attrs}>, found {len(matches)}"
    return matches[0].attrs["content"]


# Elements that may not sit inside a <p> (the browser would close the paragraph first).
_BLOCKS = {
    "address",
    "article",
    "aside",
    "blockquote",
    "div",
    "dl",
    "figure",
    "footer",
    "form",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "header",
    "hr",
    "main",
    "nav",
    "ol",
    "p",
    "pre",
    "section",
    "table",
    "ul",
}


class _Checker(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.open = []
        self.ids = set()
        self.references = []  # (attribute, id) that must exist
        self.headings = []
        self.problems = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if "p" in self.open and tag in _BLOCKS:
            self.problems.append(f"<{tag}> inside a <p>")
        if "id" in attrs:
            if attrs["id"] in self.ids:
                self.problems.append(f'id="{attrs["id"]}" used twice')
            self.ids.add(attrs["id"])
        for name in ("aria-labelledby", "aria-describedby"):
            self.references += [(name, ref) for ref in (attrs.get(name) or "").split()]
        if tag == "label" and attrs.get("for"):
            self.references.append(("for", attrs["for"]))
        if len(tag) == 2 and tag[0] == "h" and tag[1].isdigit():
            self.headings.append(int(tag[1]))
        if tag not in VOID:
            self.open.append(tag)

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag not in VOID:
            self.handle_endtag(tag)

    def handle_endtag(self, tag):
        if tag in VOID:
            self.problems.append(f"</{tag}> closes an element that has no end")
        elif not self.open or self.open[-1] != tag:
            self.problems.append(f"</{tag}> closes <{self.open[-1] if self.open else ''}>")
            if tag in self.open:
                del self.open[len(self.open) - 1 - self.open[::-1].index(tag) :]
        else:
            self.open.pop()


def html_problems(response_or_html):
    """What would make a page's HTML invalid or confusing to assistive technology, as a
    list of sentences (empty when there is nothing): elements closed out of order or
    never, blocks inside paragraphs, repeated ids, labels and aria references to ids
    that do not exist, not exactly one h1, and heading levels skipped."""
    checker = _Checker()
    checker.feed(_html(response_or_html))
    checker.close()
    problems = checker.problems
    problems += [f"<{tag}> never closed" for tag in checker.open]
    problems += [
        f'{name}="{ref}" names no element'
        for name, ref in checker.references
        if ref not in checker.ids
    ]
    if checker.headings.count(1) != 1:
        problems.append(f"{checker.headings.count(1)} h1 elements, not one")
    for before, level in itertools.pairwise(checker.headings):
        if level > before + 1:
            problems.append(f"an h{level} right after an h{before}")
    return problems
