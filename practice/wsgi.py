"""WSGI entry point: `gunicorn practice.wsgi` (see the Procfile)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "practice.settings")

application = get_wsgi_application()
