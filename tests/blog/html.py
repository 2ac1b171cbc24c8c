"""A tiny HTML tree for assertions, built on the standard library's html.parser."""

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


def parse(response_or_html):
    """The document tree of a response (or an HTML string)."""
    html = getattr(response_or_html, "content", response_or_html)
    if isinstance(html, bytes):
        html = html.decode()
    builder = _TreeBuilder()
    builder.feed(html)
    builder.close()
    return builder.root


def meta_content(doc, **attrs):
    """The content of the one <meta> matching attrs, e.g. property="og:title"."""
    matches = doc.find_all("meta", **attrs)
    assert len(matches) == 1, f"expected one <meta {attrs}>, found {len(matches)}"
    return matches[0].attrs["content"]
