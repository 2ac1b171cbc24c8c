import pytest

pytestmark = pytest.mark.django_db


def test_healthz_reports_database_up(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "up"}


def test_robots_txt_points_to_sitemap_and_hides_admin(client):
    body = client.get("/robots.txt").content.decode()
    assert "Sitemap: http://testserver/sitemap.xml" in body
    assert "Disallow: /admin/" in body


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
