"""Django's deployment checklist passes with production settings, warnings included."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
# What the test run sets for itself (tests/settings.py, tests/conftest.py); production has
# none of it.
TEST_ONLY = {
    "DJANGO_SETTINGS_MODULE",
    "DEBUG",
    "SECRET_KEY",
    "ALLOWED_HOSTS",
    "SECURE_SSL_REDIRECT",
    "SITE_URL",
    "DJANGO_ALLOW_ASYNC_UNSAFE",
}


def test_check_deploy_passes_with_production_settings():
    env = {name: value for name, value in os.environ.items() if name not in TEST_ONLY}
    env.update(
        DJANGO_SETTINGS_MODULE="practice.settings",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="www.example-practice.com",
        SITE_URL="https://www.example-practice.com",
        CSRF_TRUSTED_ORIGINS="https://www.example-practice.com",
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout
