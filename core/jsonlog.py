"""JSON-lines logging for stdout: one object per line, nothing a visitor typed.

Each line has time, level, logger and message, and for request logs the path (never
the query string, and with secret link tokens cut out) and the status. Email-shaped
text is replaced in messages and tracebacks, in case an error message quotes one.
"""

import json
import logging
import re
from datetime import UTC, datetime

from django.conf import settings

EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
QUERY = re.compile(r"(/[^\s?\"']*)\?[^\s\"']*")
# PostgreSQL quotes the offending values in an error's DETAIL line.
DETAIL = re.compile(r"^DETAIL:.*$", re.MULTILINE)


def _secret_paths():
    prefixes = getattr(settings, "LOG_SECRET_PATH_PREFIXES", ())
    if not prefixes:
        return None
    return re.compile("(" + "|".join(re.escape(p) for p in prefixes) + r")[^/\s\"'?]+")


def scrub(text):
    text = EMAIL.sub("[email]", text)
    text = QUERY.sub(r"\1", text)
    text = DETAIL.sub("DETAIL: [removed]", text)
    secret = _secret_paths()
    if secret is not None:
        text = secret.sub(r"\1[token]", text)
    return text


class JsonFormatter(logging.Formatter):
    def format(self, record):
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": scrub(record.getMessage()),
        }
        path, status = self._request_fields(record)
        if path:
            entry["path"] = scrub(path)
        if status:
            entry["status"] = int(status)
        if record.exc_info:
            entry["exception"] = scrub(self.formatException(record.exc_info))
        return json.dumps(entry, ensure_ascii=False)

    @staticmethod
    def _request_fields(record):
        if record.name == "gunicorn.access" and isinstance(record.args, dict):
            return record.args.get("U"), record.args.get("s")
        request = getattr(record, "request", None)
        path = getattr(request, "path", None)  # HttpRequest.path has no query string
        return (path if isinstance(path, str) else None), getattr(record, "status_code", None)
