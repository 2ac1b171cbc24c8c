"""Fixtures for the fault tests: processes started from the Procfile, always stopped."""

import pytest

from .procs import Procs


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
