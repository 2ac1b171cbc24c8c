"""Settings for the test run: production settings, with local-only values filled in.

DEBUG stays off, as in production. HTTPS redirects are off because the test client
and the live server speak plain HTTP.
"""

import os

os.environ.setdefault("SECRET_KEY", "tests-only-not-a-secret")
os.environ.setdefault("ALLOWED_HOSTS", "localhost,127.0.0.1,testserver")
os.environ.setdefault("SECURE_SSL_REDIRECT", "false")
os.environ.setdefault("SITE_URL", "http://testserver")
os.environ.setdefault("THERAPIST_EMAIL", "therapist@example.test")
os.environ.setdefault("DEFAULT_FROM_EMAIL", "practice@example.test")

from practice.settings import *  # noqa: F403

# No collectstatic in tests: serve static files straight from the finders.
STORAGES["staticfiles"]["BACKEND"] = "django.contrib.staticfiles.storage.StaticFilesStorage"  # noqa: F405
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
if os.environ.get("TESTS_USE_EMAIL_URL") != "true":  # set only by the worker-subprocess test
    EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
