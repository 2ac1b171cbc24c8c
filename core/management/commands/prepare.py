"""`python manage.py prepare`: what the web process needs before it serves (Procfile `web:`).

Applies the migrations, then collects static files when production's manifest storage
is in use and the collected files are missing or older than the sources. Both cost
next to nothing when already done (about half a second: "No migrations to apply", and
a look at file times), so it runs at every start, and a host that runs neither for you
(honcho, a plain server, a Heroku-style host) serves pages all the same.

Several processes may start at once (web processes on several machines, a deploy while
the old release still runs): a PostgreSQL advisory lock lets one prepare at a time, and
the others then find nothing left to do.
"""

import json
import time
from pathlib import Path

from django.conf import settings
from django.contrib.staticfiles import finders
from django.contrib.staticfiles.storage import ManifestFilesMixin, staticfiles_storage
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import connection

# Any fixed number: the lock is this site's only one.
PREPARE_LOCK = 7_140_211

# What collectstatic ignores by default.
IGNORED = ["CVS", ".*", "*~"]


def static_files_current():
    """True when collectstatic has nothing to add: every source file is in the manifest,
    and none changed since it was written. Always True without a manifest storage
    (DEBUG serves the sources themselves)."""
    if not isinstance(staticfiles_storage, ManifestFilesMixin):
        return True
    manifest = Path(settings.STATIC_ROOT) / staticfiles_storage.manifest_name
    try:
        collected = json.loads(manifest.read_text())["paths"]
        written = manifest.stat().st_mtime
    except (OSError, ValueError, KeyError):
        return False
    for finder in finders.get_finders():
        for path, storage in finder.list(IGNORED):
            prefix = getattr(storage, "prefix", None)
            name = f"{prefix}/{path}" if prefix else path
            if name.replace("\\", "/") not in collected:
                return False
            if Path(storage.path(path)).stat().st_mtime > written:
                return False
    return True


class Command(BaseCommand):
    help = "Apply migrations and collect static files if needed; quick when already done."

    def handle(self, *args, **options):
        started = time.monotonic()
        verbosity = options["verbosity"]
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_lock(%s)", [PREPARE_LOCK])
            try:
                call_command("migrate", interactive=False, verbosity=verbosity)
                if static_files_current():
                    self.stdout.write("Static files: already collected.")
                else:
                    call_command("collectstatic", interactive=False, verbosity=verbosity)
            finally:
                cursor.execute("SELECT pg_advisory_unlock(%s)", [PREPARE_LOCK])
        self.stdout.write(f"Ready in {time.monotonic() - started:.2f}s.")
