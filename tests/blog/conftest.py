"""Uploaded pictures go to a scratch folder, never the site's own var/media."""

import pytest


@pytest.fixture(autouse=True)
def _scratch_media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
