"""The Procfile's processes, started as production starts them: web, worker.

No Docker engine runs here, so this tests what the image runs: each Procfile line as a
process with production settings (practice.settings, DEBUG off) on a database of its
own, created empty for this module.

The worker killed in the middle of a delivery (and every email still delivered exactly
once) is tests/consults/test_smtp.py::test_worker_killed_mid_delivery_then_restarted_*.
"""

import contextlib
import email
import email.policy
import json
import logging
import re
import signal
import time

import psycopg
import pytest
from aiosmtpd.controller import Controller
from django.conf import settings as django_settings

from .procs import PREPARE, Browser, Procs, free_port, production_env, request

HTTPS = {
    "X-Forwarded-Proto": "https"
}  # as the TLS-terminating proxy says (SECURE_PROXY_SSL_HEADER)


@pytest.fixture(scope="module")
def web(empty_database):
    """The web line started on the empty database: it migrates it, then serves."""
    procs = Procs()
    try:
        yield procs.start_web(production_env(empty_database))
    finally:
        procs.stop_all()


def test_web_migrates_an_empty_database_before_serving(web, empty_database):
    url = empty_database
    output = web.output()
    assert "Applying consults.0001_initial... OK" in output
    assert "Traceback" not in output
    with psycopg.connect(url) as conn:
        applied = conn.execute("SELECT count(*) FROM django_migrations").fetchone()[0]
        articles = conn.execute("SELECT count(*) FROM blog_article").fetchone()[0]
    assert applied > 10
    assert articles >= 1, "the seed article is published by a data migration"
    # The next start (another web process, the next deploy) finds nothing to do, quickly.
    again, output = Procs().run(PREPARE, production_env(url))
    assert again == 0, output
    assert "No migrations to apply." in output
    assert "Static files: already collected." in output
    print(f"\n[procfile] second prepare: {output.strip().splitlines()[-1]}")


def test_web_serves_pages_with_the_promised_security_headers(web):
    home = request("GET", web.base_url + "/", headers=HTTPS)
    assert home.status == 200
    assert "Book a free consult" in home.text
    s = django_settings
    assert home.header("Strict-Transport-Security") == (
        f"max-age={s.SECURE_HSTS_SECONDS}; includeSubDomains; preload"
    )
    assert s.SECURE_HSTS_SECONDS >= 31536000
    assert home.header("X-Content-Type-Options") == "nosniff"
    assert home.header("X-Frame-Options") == s.X_FRAME_OPTIONS == "DENY"
    assert home.header("Referrer-Policy") == s.SECURE_REFERRER_POLICY
    assert home.header("Cross-Origin-Opener-Policy") == s.SECURE_CROSS_ORIGIN_OPENER_POLICY
    assert home.header("Cross-Origin-Resource-Policy") == "same-origin"
    assert "camera=()" in home.header("Permissions-Policy", "")
    csp = home.header("Content-Security-Policy", "")
    assert "object-src 'none'" in csp
    assert "frame-ancestors 'none'" in csp
    script_src = re.search(r"script-src ([^;]*)", csp).group(1)
    assert "'unsafe-inline'" not in script_src and "'unsafe-eval'" not in script_src

    # Cookies only over HTTPS, out of scripts' reach, not sent from other sites.
    form = request("GET", web.base_url + "/consult/", headers=HTTPS)
    assert form.status == 200
    csrf_cookie = next(c for c in form.headers.get_all("Set-Cookie") if c.startswith("csrftoken="))
    assert "Secure" in csrf_cookie and "HttpOnly" in csrf_cookie and "SameSite=Lax" in csrf_cookie

    # Static files: hashed names from the manifest, served by WhiteNoise with far-future caching.
    css = re.search(r'href="(/static/css/site\.[0-9a-f]{12}\.css)"', home.text)
    assert css, "the stylesheet is not served under a hashed name: was collectstatic run?"
    static = request("GET", web.base_url + css.group(1), headers={"Accept-Encoding": "gzip"})
    assert static.status == 200
    assert "immutable" in static.header("Cache-Control", "")
    assert static.header("Content-Encoding") == "gzip"

    # DEBUG is off: a missing page is the site's own 404, not Django's technical page.
    missing = request("GET", web.base_url + "/no-such-page/")
    assert missing.status == 404
    assert "URLconf" not in missing.text and "Traceback" not in missing.text


def test_web_health_check_answers_200_over_plain_http_by_ip(web):
    health = request("GET", web.base_url + "/healthz", headers={"Host": "10.1.2.3:8000"})
    assert health.status == 200
    assert json.loads(health.body) == {"status": "ok", "database": "up"}


class Recorder:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.messages.append((envelope.rcpt_tos, message))
        return "250 Message accepted for delivery"


def test_worker_delivers_queued_email_over_smtp_and_stops_cleanly_on_sigterm(
    web, empty_database, capsys
):
    url = empty_database
    logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd's chatter
    smtp_port = free_port()
    inbox = Recorder()
    controller = Controller(inbox, hostname="127.0.0.1", port=smtp_port)
    controller.start()
    procs = Procs()
    try:
        # A visitor books through the web process: the request and its two emails are queued.
        visitor = Browser(web.base_url)
        assert visitor.open_form().status == 200
        sent = visitor.submit(name="Procfile Visitor", email="procfile.visitor@example.org")
        assert sent.status == 302, sent.text[:2000]

        worker = procs.start(
            "worker", production_env(url, EMAIL_URL=f"smtp://127.0.0.1:{smtp_port}")
        )
        deadline = time.monotonic() + 30
        while len(inbox.messages) < 2 and time.monotonic() < deadline:
            assert worker.running(), worker.output()[-4000:]
            time.sleep(0.2)
        recipients = sorted(rcpt[0] for rcpt, _ in inbox.messages)
        assert recipients == ["procfile.visitor@example.org", "therapist@example.test"], (
            worker.output()[-4000:]
        )
        with psycopg.connect(url) as conn:
            statuses = conn.execute(
                "SELECT e.status FROM consults_outboundemail e JOIN consults_consultrequest c"
                " ON c.id = e.consult_id WHERE c.email = 'procfile.visitor@example.org'"
            ).fetchall()
        assert sorted(row[0] for row in statuses) == ["sent", "sent"]

        worker.signal(signal.SIGTERM)
        started = time.monotonic()
        assert worker.wait(timeout=15) == 0, worker.output()[-4000:]
        print(
            f"\n[procfile] worker stopped {time.monotonic() - started:.2f}s after SIGTERM, exit 0"
        )
        assert "email worker stopped" in worker.output()
        assert "Traceback" not in worker.output()
    finally:
        procs.stop_all()
        with contextlib.suppress(Exception):
            controller.stop()


def test_web_logs_json_lines_without_link_tokens_or_query_strings(web):
    secret = "ImFiYzEyMyI:1abcde:signature-part"
    request("GET", f"{web.base_url}/consult/manage/{secret}/?email=sam@example.com", headers=HTTPS)
    request("GET", f"{web.base_url}/blog/?q=private+words", headers=HTTPS)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and '"path": "/blog/"' not in web.output():
        time.sleep(0.1)
    access = [
        json.loads(line)
        for line in web.output().splitlines()
        if line.startswith("{") and '"gunicorn.access"' in line
    ]
    paths = [entry["path"] for entry in access]
    assert "/consult/manage/[token]/" in paths
    assert "/blog/" in paths
    assert all(entry["status"] for entry in access)
    for private in (secret, "sam@example.com", "private+words", "q="):
        assert private not in web.output()
    # Not even the visitor's address: every request here came from 127.0.0.1.
    assert all("127.0.0.1" not in json.dumps(entry) for entry in access)
