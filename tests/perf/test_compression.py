"""Pages rendered per visitor (the booking form) still travel compressed."""

import gzip

import pytest

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
