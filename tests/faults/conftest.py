"""Fixtures for the fault tests: processes started from the Procfile, always stopped, and
empty databases for them to start on."""

import uuid

import psycopg
import pytest
from django.conf import settings as django_settings

from .procs import Procs, database_url


@pytest.fixture
def procs():
    """Start Procfile processes in a test; every one is ended at teardown, even on failure."""
    started = Procs()
    try:
        yield started
    finally:
        started.stop_all()


@pytest.fixture
def test_database_url(transactional_db, settings):
    """The pytest test database (test_…) as a DATABASE_URL, for processes the test starts.

    Their data must be committed to be seen, hence transactional_db.
    """
    from .procs import database_url

    return database_url(settings.DATABASES["default"])


def admin_connection():
    db = django_settings.DATABASES["default"]
    return psycopg.connect(
        host=db["HOST"] or "127.0.0.1",
        port=db["PORT"] or 5432,
        user=db["USER"],
        password=db["PASSWORD"] or None,
        dbname="postgres",
        autocommit=True,
    )


@pytest.fixture(scope="module")
def empty_database():
    """A new, empty database on the test server, as a DATABASE_URL; dropped afterwards."""
    name = f"faults_empty_{uuid.uuid4().hex[:8]}"
    with admin_connection() as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    db = {**django_settings.DATABASES["default"], "NAME": name}
    try:
        yield database_url(db)
    finally:
        with admin_connection() as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
