"""Only the methods a view serves reach it, and malformed query values answer 400, never 500."""

import pytest
from django.conf import settings
from django.urls import reverse

from consults import tokens
from tests.consults.builders import in_days, make_consult

pytestmark = pytest.mark.django_db

ADMIN = f"/{settings.ADMIN_URL}"


def public_pages():
    consult = make_consult(starts_at=in_days(3))
    token = tokens.make_token(consult)
    return {
        "/": "safe",
        "/about/": "safe",
        "/blog/": "safe",
        "/blog/when-closeness-feels-unsafe/": "safe",
        "/blog/feed/": "safe",
        "/sitemap.xml": "safe",
        "/robots.txt": "safe",
        "/healthz": "safe",
        "/consult/": "form",
        "/consult/received/": "safe",
        reverse("consults:manage", args=[token]): "form",
        # GET asks "Cancel your call?"; POST cancels (issue 12).
        reverse("consults:cancel", args=[token]): "form",
        reverse("consults:calendar_feed", args=[token]): "safe",
    }


def test_each_page_answers_only_its_methods(client):
    allowed = {
        "safe": {"GET", "HEAD"},
        "form": {"GET", "HEAD", "POST"},
        "post": {"POST"},
    }
    for path, kind in public_pages().items():
        for method in ("TRACE", "OPTIONS", "PUT", "PATCH", "DELETE", "PROPFIND"):
            response = client.generic(method, path)
            assert response.status_code == 405, (method, path, response.status_code)
        for method in {"GET", "HEAD", "POST"} - allowed[kind]:
            response = client.generic(method, path)
            assert response.status_code == 405, (method, path, response.status_code)
            assert set(response["Allow"].split(", ")) == allowed[kind], path


@pytest.mark.parametrize(
    "path", ["", "login/", "logout/", "consults/consultrequest/", "blog/article/add/"]
)
def test_the_admin_answers_only_get_head_and_post(admin_client, path):
    for method in ("TRACE", "OPTIONS", "PUT", "PATCH", "DELETE"):
        response = admin_client.generic(method, f"{ADMIN}{path}")
        assert response.status_code == 405, (method, path)
        assert response["Allow"] == "GET, HEAD, POST"


@pytest.mark.parametrize(
    "query",
    [
        "status__exact=%00",
        "q=%00",
        "kind=a%00b",
        "%00=1",
        "created_at__year=%00",
        "o=%00",
        "p=%00",
        "status__exact=nonsense",
        "created_at__gte=not-a-date",
        "id__in=a,b",
        "created_at__year=99999999999",
        "created_at__year=9999",
        "created_at__year=9999&created_at__month=12",
        "created_at__year=2026&created_at__month=13",
        "created_at__year=2026&created_at__month=2&created_at__day=31",
        "created_at__year=٢٠٢٦",
        "p=-1",
        "o=99",
        "q=" + "x" * 5000,
    ],
)
@pytest.mark.parametrize(
    "changelist",
    ["consults/consultrequest/", "consults/outboundemail/", "blog/article/", "blog/page/"],
)
def test_malformed_admin_query_values_never_answer_500(admin_client, changelist, query):
    make_consult(starts_at=in_days(2))
    response = admin_client.get(f"{ADMIN}{changelist}?{query}")
    assert response.status_code in (200, 302, 400), response.status_code
    if "%00" in query or "99999" in query:
        assert response.status_code == 400


def test_a_nul_in_a_public_query_string_is_a_400(client):
    for path in ("/", "/blog/?page=%00", "/consult/?week=%00"):
        url = path if "?" in path else path + "?x=%00"
        assert client.get(url).status_code == 400, path
