"""Delivery through a real SMTP server (aiosmtpd on loopback): privacy, outages, a killed
worker (at least once, with the same Message-ID on a resend)."""

import asyncio
import email
import email.policy
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path
from urllib.parse import quote

import pytest
from aiosmtpd.controller import Controller
from django.core.management import call_command
from django.db import connection, transaction
from django.db.models import Min
from django.utils import timezone

from consults import emails
from consults.models import OutboundEmail
from tests.consults.builders import TYPED, in_days, make_consult

BASE_DIR = Path(__file__).resolve().parents[2]
POLL = timedelta(seconds=2)  # the worker's default --interval
Status = OutboundEmail.Status


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Recorder:
    """An SMTP server's inbox: keeps each message it accepts with 250."""

    def __init__(self):
        self.messages = []
        self.reply = "250 Message accepted for delivery"

    async def handle_DATA(self, server, session, envelope):
        if not self.reply.startswith("250"):
            return self.reply
        self.messages.append(
            (
                envelope.rcpt_tos,
                email.message_from_bytes(envelope.content, policy=email.policy.default),
            )
        )
        return self.reply

    def message_ids(self):
        return [message["Message-ID"] for _, message in self.messages]

    def to(self, address):
        found = [message for rcpt, message in self.messages if rcpt == [address]]
        assert len(found) == 1
        return found[0]


class StallingRecorder(Recorder):
    """Stalls inside DATA on the first message until released, then drops it.

    A server takes responsibility for a message only when it answers 250; the session
    whose client was killed mid-DATA never gets that far, so nothing is recorded.
    """

    def __init__(self):
        super().__init__()
        self.stalled = threading.Event()
        self.release = threading.Event()

    async def handle_DATA(self, server, session, envelope):
        if not self.stalled.is_set():
            self.stalled.set()
            while not self.release.is_set():
                await asyncio.sleep(0.05)  # never block the server's event loop
            return "421 Closing connection"
        return await super().handle_DATA(server, session, envelope)


def start_server(handler, port):
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    return controller


@pytest.fixture
def smtp_settings(settings):
    """Send through the real SMTP backend to a port on loopback; returns the port."""
    port = free_port()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_TIMEOUT = 5
    return port


@pytest.fixture
def smtp_server(smtp_settings):
    handler = Recorder()
    controller = start_server(handler, smtp_settings)
    yield handler
    controller.stop()


def text_of(message):
    """The whole message: raw, and every part decoded."""
    parts = [part.get_content() for part in message.walk() if not part.is_multipart()]
    return "\n".join([message.as_string(), *map(str, parts)])


def run_worker():
    call_command("deliver_email", "--once", stdout=open(os.devnull, "w"))  # noqa: SIM115


@pytest.mark.django_db
def test_request_emails_arrive_and_the_therapists_says_nothing_typed(smtp_server):
    consult = make_consult(starts_at=in_days(4))
    emails.queue_request_received(consult)

    run_worker()

    assert len(smtp_server.messages) == 2
    therapist = text_of(smtp_server.to("therapist@example.test")).lower()
    for value in TYPED.values():
        assert value.lower() not in therapist
    assert "new free-consult request" in therapist
    visitor = text_of(smtp_server.to(TYPED["email"]))
    assert "not monitored around the clock" in visitor
    assert "http://testserver/consult/manage/" in visitor
    assert set(smtp_server.message_ids()) == set(
        OutboundEmail.objects.values_list("message_id", flat=True)
    )
    assert set(OutboundEmail.objects.values_list("status", flat=True)) == {Status.SENT}


def next_try():
    return OutboundEmail.objects.filter(status=Status.QUEUED).aggregate(t=Min("send_after"))["t"]


def simulate_outage(outage, time_machine):
    """Run the worker at each retry time while the server is down, then move to its return."""
    ends = timezone.now() + outage
    while next_try() <= ends:
        time_machine.move_to(next_try())
        run_worker()
    time_machine.move_to(ends)


def wait_for_delivery(handler, expected, time_machine):
    """Run the worker at each retry time until `expected` messages arrived; returns the wait.

    The real worker looks every 2 s, so it sends at most POLL later than this.
    """
    started = timezone.now()
    while len(handler.messages) < expected:
        time_machine.move_to(max(next_try(), timezone.now()))
        run_worker()
    return timezone.now() - started


@pytest.mark.django_db
@pytest.mark.parametrize(
    "outage",
    [timedelta(minutes=1), timedelta(minutes=10), timedelta(hours=1), timedelta(hours=6)],
    ids=["1min", "10min", "1h", "6h"],
)
def test_smtp_down_then_back_delivers_each_email_exactly_once(
    outage, smtp_settings, time_machine, capsys
):
    time_machine.move_to(timezone.now(), tick=False)
    emails.queue_request_received(make_consult(starts_at=in_days(4)))

    run_worker()  # nothing listens on the port
    for row in OutboundEmail.objects.all():
        assert row.status == Status.QUEUED
        assert row.attempts == 1
        assert row.last_error.startswith("ConnectionRefusedError")
    simulate_outage(outage, time_machine)

    handler = Recorder()
    controller = start_server(handler, smtp_settings)
    try:
        recovery = wait_for_delivery(handler, 2, time_machine)
        run_worker()
        run_worker()
    finally:
        controller.stop()

    assert sorted(handler.message_ids()) == sorted(
        OutboundEmail.objects.values_list("message_id", flat=True)
    )
    assert len(set(handler.message_ids())) == 2
    assert set(OutboundEmail.objects.values_list("status", flat=True)) == {Status.SENT}
    # The wait after the server returns is at most the current backoff (capped at 1 hour).
    assert recovery <= timedelta(hours=1) * 1.1
    with capsys.disabled():
        attempts = max(OutboundEmail.objects.values_list("attempts", flat=True))
        print(
            f"\n  SMTP down {outage}: mail out {recovery} (+ up to 2 s polling) after it came back, {attempts} tries"
        )


@pytest.mark.django_db
def test_server_saying_try_later_keeps_the_emails_queued(smtp_server, time_machine):
    time_machine.move_to(timezone.now(), tick=False)
    emails.queue_request_received(make_consult())
    smtp_server.reply = "451 Try again later"

    run_worker()

    rows = list(OutboundEmail.objects.all())
    assert {row.status for row in rows} == {Status.QUEUED}
    assert all(row.last_error.startswith("SMTPDataError: (451") for row in rows)
    assert smtp_server.messages == []

    smtp_server.reply = "250 OK"
    time_machine.shift(timedelta(seconds=40))
    run_worker()
    run_worker()
    assert len(smtp_server.messages) == 2
    assert set(OutboundEmail.objects.values_list("status", flat=True)) == {Status.SENT}


def database_url():
    db = connection.settings_dict
    password = f":{quote(db['PASSWORD'], safe='')}" if db["PASSWORD"] else ""
    return (
        f"postgres://{quote(db['USER'], safe='')}{password}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
    )


def start_worker(port, log_path):
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "DATABASE_URL": database_url(),
        "EMAIL_URL": f"smtp://127.0.0.1:{port}",
        "TESTS_USE_EMAIL_URL": "true",
        # A claimed email is another worker's after 6 x EMAIL_TIMEOUT (consults.outbox).
        "EMAIL_TIMEOUT": "2",
        "PYTHONUNBUFFERED": "1",
    }
    log = open(log_path, "ab")  # noqa: SIM115 - closed with the process
    return subprocess.Popen(
        [sys.executable, "manage.py", "deliver_email", "--loop", "--interval", "0.2"],
        cwd=BASE_DIR,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )


def wait_until(condition, seconds, what):
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


class AcceptingRecorder(Recorder):
    """Keeps the first message, then waits for the test before answering it 250."""

    def __init__(self):
        super().__init__()
        self.pending = threading.Event()
        self.release = threading.Event()

    async def handle_DATA(self, server, session, envelope):
        reply = await super().handle_DATA(server, session, envelope)
        if not self.pending.is_set():
            self.pending.set()
            while not self.release.is_set():
                await asyncio.sleep(0.05)
        return reply


def stop_all(*processes):
    for process in processes:
        if process is not None and process.poll() is None:
            process.kill()
            process.wait()


@pytest.mark.django_db(transaction=True)
def test_worker_killed_mid_delivery_the_next_one_delivers_it_once(tmp_path):
    port = free_port()
    handler = StallingRecorder()
    controller = start_server(handler, port)
    emails.queue_request_received(make_consult(starts_at=in_days(4)))
    log_path = tmp_path / "worker.log"
    first = start_worker(port, log_path)
    second = None
    try:
        assert handler.stalled.wait(30), log_path.read_text()
        # Mid-send: claimed by the first worker, and locked by nobody.
        assert Status.SENDING in set(OutboundEmail.objects.values_list("status", flat=True))
        first.send_signal(signal.SIGKILL)
        assert first.wait(10) == -signal.SIGKILL
        handler.release.set()

        second = start_worker(port, log_path)
        wait_until(
            lambda: not OutboundEmail.objects.exclude(status=Status.SENT).exists(),
            60,
            "the second worker to send everything once the claim lapsed",
        )
        second.send_signal(signal.SIGTERM)
        assert second.wait(10) == 0, log_path.read_text()
    finally:
        stop_all(first, second)
        controller.stop()

    ids = handler.message_ids()
    assert sorted(ids) == sorted(OutboundEmail.objects.values_list("message_id", flat=True))
    assert len(set(ids)) == len(ids) == 2
    assert "worker stopped" in log_path.read_text()


@pytest.mark.django_db(transaction=True)
def test_worker_killed_after_the_servers_250_resends_with_the_same_message_id(tmp_path):
    """The one window at-least-once leaves: the mail server has the message, the worker
    dies before it records that. Held here by locking the email's row, so the worker is
    certain to be waiting to mark it sent when it is killed."""
    port = free_port()
    handler = AcceptingRecorder()
    controller = start_server(handler, port)
    email_row = enqueue_one()
    log_path = tmp_path / "worker.log"
    first = start_worker(port, log_path)
    second = None
    try:
        assert handler.pending.wait(30), log_path.read_text()
        with transaction.atomic():
            OutboundEmail.objects.select_for_update().get(pk=email_row.pk)
            handler.release.set()
            wait_until(lambda: waiting_for_a_lock(), 30, "the worker to try marking it sent")
            (backend,) = waiting_for_a_lock()
            first.send_signal(signal.SIGKILL)
            assert first.wait(10) == -signal.SIGKILL
            # PostgreSQL learns of a dead client only when it next writes to it: end the
            # dead worker's statement as its vanished connection would.
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_terminate_backend(%s)", [backend])
        email_row.refresh_from_db()
        assert email_row.status == Status.SENDING

        second = start_worker(port, log_path)
        wait_until(
            lambda: OutboundEmail.objects.filter(pk=email_row.pk, status=Status.SENT).exists(),
            60,
            "the second worker to send it again",
        )
    finally:
        stop_all(first, second)
        controller.stop()

    assert handler.message_ids() == [email_row.message_id] * 2


def enqueue_one():
    from consults import outbox

    return outbox.enqueue(
        kind=OutboundEmail.Kind.ACKNOWLEDGE,
        to="visitor@example.org",
        subject="Your request",
        body_text="Plain words.",
    )


def waiting_for_a_lock():
    """The database sessions waiting for a lock (their process ids)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT DISTINCT pid FROM pg_locks WHERE NOT granted")
        return [pid for (pid,) in cursor.fetchall()]
