"""JSON-lines logging for stdout: one object per line, nothing a visitor typed.

Each line has time, level, logger and message, and for request logs the path (never
the query string, and with secret link tokens cut out) and the status. Email-shaped
text and IP addresses are replaced in messages and tracebacks, in case a message quotes
one (gunicorn's "Invalid request from ip=..." does): no log line holds a client address.
"""

import ipaddress
import json
import logging
import re
from datetime import UTC, datetime

from django.conf import settings

EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
QUERY = re.compile(r"(/[^\s?\"']*)\?[^\s\"']*")
# PostgreSQL quotes the offending values in an error's DETAIL line.
DETAIL = re.compile(r"^DETAIL:.*$", re.MULTILINE)
# Candidates only: a run of hex digits, dots and colons. Each is kept unless ipaddress
# reads it (less trailing punctuation) as an address, so a time such as 12:24:00 stays.
ADDRESS = re.compile(r"(?<![\w.:%])[0-9A-Fa-f.:]*:[0-9A-Fa-f.:]*(?:%\w+)?|\b\d+(?:\.\d+){3}\b")


def _address(match):
    candidate = match.group(0)
    core = candidate.rstrip(":.")
    try:
        ipaddress.ip_address(core)
    except ValueError:
        return candidate
    return "[address]" + candidate[len(core) :]


def _secret_paths():
    prefixes = getattr(settings, "LOG_SECRET_PATH_PREFIXES", ())
    if not prefixes:
        return None
    return re.compile("(" + "|".join(re.escape(p) for p in prefixes) + r")[^/\s\"'?]+")


def scrub(text):
    text = EMAIL.sub("[email]", text)
    text = QUERY.sub(r"\1", text)
    text = DETAIL.sub("DETAIL: [removed]", text)
    text = ADDRESS.sub(_address, text)
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
