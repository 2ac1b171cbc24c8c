"""core.resilience in-process: a database outage anywhere in a request gets the calm 503.

The real outage (PostgreSQL stopped under gunicorn) is test_db_restart.py; these pin
the two paths through the middleware and what it must leave alone.
"""

import pytest
from django.contrib.sessions.backends.db import SessionStore
from django.db import IntegrityError, OperationalError
from django.test import Client

from consults.models import BookingRules
from tests.consults.builders import form_data, open_every_day

pytestmark = pytest.mark.django_db


def broken(error):
    def fail(*args, **kwargs):
        raise error("connection to server at 127.0.0.1 failed: Connection refused")

    return fail


def assert_calm_503(response):
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    assert "no-cache" in response["Cache-Control"]
    body = response.content.decode()
    assert "Back in a few minutes" in body
    assert "988" in body  # the crisis notice
    assert "Traceback" not in body and "Server Error" not in body


def test_an_outage_met_in_a_view_gets_the_calm_503(monkeypatch):
    monkeypatch.setattr(BookingRules, "load", broken(OperationalError))
    assert_calm_503(Client(raise_request_exception=False).get("/consult/"))


def test_an_outage_met_in_a_middleware_after_the_view_gets_the_calm_503(monkeypatch, settings):
    """The session is saved after the booking view returned: that save meets the outage."""
    settings.CONSULT_MIN_SECONDS = 0
    open_every_day()
    client = Client(raise_request_exception=False)
    page = client.get("/consult/")
    monkeypatch.setattr(SessionStore, "save", broken(OperationalError))
    response = client.post("/consult/", form_data(page))
    assert_calm_503(response)


def test_other_database_errors_are_bugs_and_stay_500(monkeypatch):
    monkeypatch.setattr(BookingRules, "load", broken(IntegrityError))
    assert Client(raise_request_exception=False).get("/consult/").status_code == 500


def test_an_outage_while_updating_an_existing_session_gets_the_calm_503_not_a_400(
    monkeypatch, settings
):
    """Django answers 400 "session interrupted" when an existing session cannot be saved;
    when the cause is the database going away, the visitor gets the calm 503 instead."""
    from django.contrib.sessions.models import Session

    settings.CONSULT_MIN_SECONDS = 0
    client = Client(raise_request_exception=False)
    first = client.post("/consult/", form_data(client.get("/consult/")))
    assert first.status_code == 302  # the visitor now has a session
    page = client.get("/consult/")
    monkeypatch.setattr(Session, "save", broken(OperationalError))
    response = client.post("/consult/", form_data(page, name="Again"))
    assert_calm_503(response)
