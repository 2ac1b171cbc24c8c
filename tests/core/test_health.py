import pytest

pytestmark = pytest.mark.django_db


def test_healthz_reports_database_up(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "up"}


def test_robots_txt_points_to_sitemap_and_never_names_the_admin(client, settings):
    # Changed deliberately (issue 11): robots.txt used to Disallow ADMIN_URL, which
    # published an address the therapist may have chosen to keep obscure.
    body = client.get("/robots.txt").content.decode()
    assert "Sitemap: http://testserver/sitemap.xml" in body
    assert "Disallow: /consult/manage/" in body
    assert settings.ADMIN_URL.strip("/") not in body


@pytest.mark.parametrize("path", ["", "login/", "consults/consultrequest/", "no-such-page/"])
def test_every_admin_answer_asks_search_engines_not_to_index_it(client, settings, path):
    response = client.get(f"/{settings.ADMIN_URL}{path}")
    assert response["X-Robots-Tag"] == "noindex, nofollow"


def test_public_pages_may_be_indexed(client):
    assert "X-Robots-Tag" not in client.get("/")


def test_healthz_answers_any_host_over_plain_http(client, settings):
    settings.ALLOWED_HOSTS = ["www.example.com"]
    settings.SECURE_SSL_REDIRECT = True
    response = client.get("/healthz", HTTP_HOST="10.0.0.7:8000")
    assert response.status_code == 200


def test_healthz_reports_503_when_the_database_is_down(client, monkeypatch):
    from django.db import connection
    from django.db.utils import OperationalError

    def broken_cursor(*args, **kwargs):
        raise OperationalError("connection refused")

    monkeypatch.setattr(connection, "cursor", broken_cursor)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["database"] == "down"
