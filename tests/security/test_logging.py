"""Logs are JSON lines on stdout, and nothing a visitor typed ever reaches them."""

import io
import json
import logging

import pytest

from consults import outbox, tokens
from consults.models import ConsultRequest
from core.jsonlog import JsonFormatter
from tests.consults.builders import form_data

pytestmark = pytest.mark.django_db

# Values nobody else would write, so finding one anywhere in the logs means a leak.
TYPED = {
    "name": "Quillon Zebediah",
    "email": "quillon.zebediah.4471@example.org",
    "phone": "+1 555 014 2977",
    "availability": "Thursdays after the xylophone lesson",
    "message": "I keep dreaming about marmalade lighthouses",
}


@pytest.fixture
def live_log_output():
    """What the configured handlers (settings.LOGGING) write, collected from their streams."""
    root = logging.getLogger()
    streams = [h for h in root.handlers if isinstance(h.formatter, JsonFormatter)]
    assert streams, "settings.LOGGING configures no JSON handler"
    buffer = io.StringIO()
    previous = [(handler, handler.setStream(buffer)) for handler in streams]
    old_level = root.level
    root.setLevel(logging.DEBUG)
    try:
        yield buffer
    finally:
        root.setLevel(old_level)
        for handler, stream in previous:
            handler.setStream(stream)


def test_a_booking_leaves_none_of_its_values_in_any_log(client, settings, caplog, live_log_output):
    settings.CONSULT_MIN_SECONDS = 0
    settings.CONSULT_RATE_LIMIT = (1, 600)
    caplog.set_level(logging.DEBUG)

    page = client.get("/consult/")
    # A mistaken submission first (kept values, an error), then the real one, delivered.
    client.post("/consult/", form_data(page, **{**TYPED, "email": "not-an-address-zq"}))
    assert client.post("/consult/", form_data(page, **TYPED)).status_code == 302
    consult = ConsultRequest.objects.get()
    assert outbox.deliver_due() >= 1
    # A second one is over the limit; a missing page is logged with its path and status.
    assert client.post("/consult/", form_data(client.get("/consult/"), **TYPED)).status_code == 429
    client.get(tokens.manage_path(consult) + "nothing-here/?email=" + TYPED["email"])

    written = live_log_output.getvalue()
    lines = [line for line in written.splitlines() if line.strip()]
    assert lines, "nothing was logged, so the test proves nothing"
    entries = [json.loads(line) for line in lines]  # every line is one JSON object
    for entry in entries:
        assert {"time", "level", "logger", "message"} <= entry.keys()
    statuses = {(e.get("path"), e.get("status")) for e in entries}
    assert any(status == 429 for _, status in statuses)
    assert any(status == 404 for _, status in statuses)

    everything = written + caplog.text + "\n".join(r.getMessage() for r in caplog.records)
    for value in [*TYPED.values(), "not-an-address-zq", "quillon", "zebediah"]:
        assert value.lower() not in everything.lower(), value
    # The signed "manage my request" link opens the request: it is cut out of paths.
    assert tokens.make_token(consult) not in written
    assert "?email" not in written


def record(message, *args, **extra):
    rec = logging.LogRecord("django.request", logging.WARNING, __file__, 1, message, args, None)
    rec.__dict__.update(extra)
    return rec


def test_the_formatter_keeps_paths_without_queries_and_tokens(rf):
    request = rf.get("/consult/manage/abc:def/?q=private")
    line = JsonFormatter().format(
        record(
            "Not Found: %s", "/consult/manage/abc:def/?q=private", request=request, status_code=404
        )
    )
    entry = json.loads(line)
    assert entry["path"] == "/consult/manage/[token]/"
    assert entry["status"] == 404
    assert entry["message"] == "Not Found: /consult/manage/[token]/"
    assert entry["level"] == "WARNING"
    assert entry["logger"] == "django.request"


def test_the_formatter_removes_email_addresses_and_database_details():
    try:
        raise ValueError(
            "duplicate key\nDETAIL:  Key (email)=(someone@example.com) already exists."
        )
    except ValueError:
        import sys

        rec = record("failed for someone@example.com")
        rec.exc_info = sys.exc_info()
    entry = json.loads(JsonFormatter().format(rec))
    assert "someone@example.com" not in json.dumps(entry)
    assert "[email]" in entry["message"]
    assert "ValueError" in entry["exception"]


def test_gunicorn_access_lines_get_path_and_status():
    rec = logging.LogRecord(
        "gunicorn.access",
        logging.INFO,
        __file__,
        1,
        '%(h)s "%(U)s" %(s)s',
        ({"h": "1.2.3.4", "U": "/consult/", "s": "302"},),
        None,
    )
    entry = json.loads(JsonFormatter().format(rec))
    assert entry["path"] == "/consult/"
    assert entry["status"] == 302


@pytest.mark.parametrize(
    "message",
    [
        "Invalid request from ip=203.0.113.7: Invalid HTTP method",
        "Invalid request from ip=2001:db8::1:2: bad",
        "from ::ffff:203.0.113.7 and fe80::1%eth0, then 10.0.0.2.",
    ],
)
def test_no_client_address_reaches_a_log_line(message):
    entry = json.loads(JsonFormatter().format(record(message)))
    for address in ("203.0.113.7", "2001:db8::1:2", "::ffff", "fe80::1", "10.0.0.2"):
        assert address not in entry["message"]
    assert "[address]" in entry["message"]


def test_times_and_versions_are_not_taken_for_addresses():
    message = "started at 12:24:00, Django 5.2.19, took 1.5s"
    assert json.loads(JsonFormatter().format(record(message)))["message"] == message
