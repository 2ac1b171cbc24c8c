"""Pages rendered per visitor (the booking form) still travel compressed."""

import gzip
import re

import pytest

from core import cache

pytestmark = pytest.mark.django_db


def test_the_booking_page_is_gzipped_for_browsers_that_accept_it(client):
    response = client.get("/consult/", HTTP_ACCEPT_ENCODING="gzip, deflate, br")
    assert response["Content-Encoding"] == "gzip"
    html = gzip.decompress(response.content).decode()
    assert "Book a free consult" in html
    assert len(response.content) < len(html.encode()) / 3


def test_without_accept_encoding_the_page_is_plain(client):
    response = client.get("/consult/")
    assert not response.has_header("Content-Encoding")
    assert "Book a free consult" in response.content.decode()


@pytest.mark.parametrize(
    "text",
    [
        "<p>[a]</p><p>[b]</p>" * 200,
        "[a][b]",  # holes at both ends, side by side
        "",
        "no holes at all, " * 50,
    ],
)
def test_a_holed_page_gzipped_is_the_plain_page(rf, text):
    page = cache.HoledPage(text, ["[a]", "[b]"])
    values = {"[a]": "first-value", "[b]": "second, with ünïcode"}
    plain = page.response(rf.get("/"), values)
    zipped = page.response(rf.get("/", HTTP_ACCEPT_ENCODING="gzip"), values)
    expected = text.replace("[a]", values["[a]"]).replace("[b]", values["[b]"]).encode()
    assert plain.content == expected
    assert zipped["Content-Encoding"] == "gzip"
    assert gzip.decompress(zipped.content) == expected
    assert "Accept-Encoding" in zipped["Vary"]


def test_each_visitors_csrf_token_travels_uncompressed(client):
    """The token is never compressed together with the rest of the page, so the size of
    the response says nothing about it (BREACH)."""
    response = client.get("/consult/", HTTP_ACCEPT_ENCODING="gzip")
    html = gzip.decompress(response.content).decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)
    assert token.encode() in response.content
