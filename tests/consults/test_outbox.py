"""The outbox: delivery, retries with backoff, giving up, claiming, stale reminders."""

import logging
import os
import signal
import smtplib
import threading
from datetime import timedelta

import pytest
from django.core import mail
from django.core.management import call_command
from django.db import OperationalError, connection, connections, transaction
from django.utils import timezone

from consults import emails, outbox
from consults.models import ConsultRequest, OutboundEmail
from tests.consults.builders import TYPED, in_days, make_consult

pytestmark = pytest.mark.django_db

Status = OutboundEmail.Status


def queue(**fields):
    values = {
        "kind": OutboundEmail.Kind.ACKNOWLEDGE,
        "to": "visitor@example.org",
        "subject": "Hello there",
        "body_text": "Plain words.",
    }
    values.update(fields)
    return outbox.enqueue(**values)


class FlakyBackend:
    """A mail backend that fails while `down` is true, and records what it sent."""

    down = True
    sent = []

    def __init__(self, *args, **kwargs):
        pass

    def send_messages(self, messages):
        if FlakyBackend.down:
            raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")
        FlakyBackend.sent.extend(messages)
        return len(messages)

    def close(self):
        pass


@pytest.fixture
def flaky(settings):
    settings.EMAIL_BACKEND = f"{__name__}.FlakyBackend"
    FlakyBackend.down = True
    FlakyBackend.sent = []
    return FlakyBackend


def test_enqueue_sets_a_unique_message_id_for_the_site():
    first, second = queue(), queue()
    assert first.message_id.startswith("<") and first.message_id.endswith("@testserver>")
    assert first.message_id != second.message_id
    assert first.status == Status.QUEUED


def test_queued_email_is_sent_once_and_marked_sent():
    email = queue(body_html="<p>Plain words.</p>", ics="BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n")
    email.ics_method = "REQUEST"
    email.save()

    assert outbox.deliver_due() == 1
    assert outbox.deliver_due() == 0

    assert len(mail.outbox) == 1
    sent = mail.outbox[0]
    assert sent.to == ["visitor@example.org"]
    assert sent.extra_headers["Message-ID"] == email.message_id
    raw = sent.message()
    assert raw["Message-ID"] == email.message_id
    calendar = [part for part in raw.walk() if part.get_content_type() == "text/calendar"]
    assert len(calendar) == 1
    assert calendar[0].get_param("method") == "REQUEST"
    assert calendar[0].get_content_charset() == "utf-8"
    assert [a[1] for a in sent.alternatives] == ["text/html"]
    email.refresh_from_db()
    assert email.status == Status.SENT
    assert email.sent_at is not None
    assert email.attempts == 1


def test_email_not_yet_due_waits():
    queue(send_after=timezone.now() + timedelta(minutes=5))
    assert outbox.deliver_due() == 0
    assert mail.outbox == []


def test_due_emails_go_out_oldest_first():
    now = timezone.now()
    later = queue(subject="second", send_after=now - timedelta(minutes=1))
    earlier = queue(subject="first", send_after=now - timedelta(minutes=2))
    assert outbox.deliver_due() == 2
    assert [m.subject for m in mail.outbox] == ["first", "second"]
    assert {e.status for e in OutboundEmail.objects.filter(pk__in=[later.pk, earlier.pk])} == {
        Status.SENT
    }


def test_failure_is_retried_with_growing_backoff(flaky, time_machine):
    time_machine.move_to(timezone.now(), tick=False)
    email = queue()
    delays = []
    for _ in range(9):
        now = timezone.now()
        assert outbox.deliver_due() == 1
        email.refresh_from_db()
        assert email.status == Status.QUEUED
        assert email.last_error.startswith("SMTPServerDisconnected: Connection unexpectedly")
        delays.append((email.send_after - now).total_seconds())
        # Nothing is retried before its time.
        assert outbox.deliver_due() == 0
        time_machine.move_to(email.send_after)
    expected = [30, 60, 120, 240, 480, 960, 1920, 3600, 3600]
    for delay, base in zip(delays, expected, strict=True):
        assert base <= delay <= base * 1.1
    assert email.attempts == 9

    flaky.down = False
    assert outbox.deliver_due() == 1
    email.refresh_from_db()
    assert email.status == Status.SENT
    assert email.attempts == 10
    assert len(flaky.sent) == 1


def test_gives_up_three_days_after_it_first_fell_due(flaky, time_machine):
    time_machine.move_to(timezone.now(), tick=False)
    email = queue()
    time_machine.shift(timedelta(days=3) - timedelta(seconds=10))
    outbox.deliver_due()
    email.refresh_from_db()
    assert email.status == Status.QUEUED

    time_machine.move_to(email.send_after)
    outbox.deliver_due()
    email.refresh_from_db()
    assert email.status == Status.FAILED
    assert email.attempts == 2
    time_machine.shift(timedelta(days=1))
    assert outbox.deliver_due() == 0


def test_a_reminder_ten_days_ahead_survives_a_mail_server_down_for_its_first_tries(
    flaky, time_machine
):
    """Written when the consult is confirmed, due the day before: its three days of tries
    start then, not when it was written."""
    time_machine.move_to(timezone.now(), tick=False)
    consult = make_consult(starts_at=in_days(10), status=ConsultRequest.Status.CONFIRMED)
    reminder = emails.schedule_reminder(consult)
    time_machine.move_to(reminder.send_after)
    for _ in range(4):
        assert outbox.deliver_due() == 1
        reminder.refresh_from_db()
        assert reminder.status == Status.QUEUED
        time_machine.move_to(reminder.send_after)
    flaky.down = False
    assert outbox.deliver_due() == 1
    reminder.refresh_from_db()
    assert (reminder.status, reminder.attempts) == (Status.SENT, 5)
    assert len(flaky.sent) == 1


class RefusingBackend(FlakyBackend):
    """A mail server that refuses the recipient for good (550)."""

    def send_messages(self, messages):
        (address,) = messages[0].to
        raise smtplib.SMTPRecipientsRefused(
            {address: (550, f"5.1.1 <{address}>: Recipient address rejected".encode())}
        )


def test_a_permanent_refusal_gives_up_at_once_and_keeps_no_address(settings):
    settings.EMAIL_BACKEND = f"{__name__}.RefusingBackend"
    email = queue(to="nobody.here@example.org")
    assert outbox.deliver_due() == 1
    email.refresh_from_db()
    assert (email.status, email.attempts) == (Status.FAILED, 1)
    assert "550" in email.last_error
    assert "nobody.here" not in email.last_error


class QuotingBackend(FlakyBackend):
    """A mail server whose temporary refusal quotes the address."""

    def send_messages(self, messages):
        raise smtplib.SMTPDataError(451, f"Mailbox {messages[0].to[0]} busy".encode())


def test_a_temporary_error_never_stores_the_address(settings):
    settings.EMAIL_BACKEND = f"{__name__}.QuotingBackend"
    email = queue(to="busy.person@example.org")
    outbox.deliver_due()
    email.refresh_from_db()
    assert email.status == Status.QUEUED
    assert "451" in email.last_error
    assert "busy.person" not in email.last_error


def test_retry_now_gives_a_failed_email_a_full_new_series(flaky, time_machine):
    time_machine.move_to(timezone.now(), tick=False)
    email = queue()
    time_machine.shift(timedelta(days=4))
    outbox.deliver_due()
    email.refresh_from_db()
    assert email.status == Status.FAILED

    outbox.retry(OutboundEmail.objects.filter(pk=email.pk))  # the admin's "Retry now"
    # Fails again, but this is the first try of a new series: it will be tried again.
    outbox.deliver_due()
    email.refresh_from_db()
    assert email.status == Status.QUEUED
    flaky.down = False
    time_machine.move_to(email.send_after)
    outbox.deliver_due()
    email.refresh_from_db()
    assert email.status == Status.SENT


class SlowBackend(FlakyBackend):
    """A mail server in the middle of a conversation until the test releases it."""

    sending, release = threading.Event(), threading.Event()

    def send_messages(self, messages):
        SlowBackend.sending.set()
        SlowBackend.release.wait(10)
        return len(messages)


@pytest.mark.django_db(transaction=True)
def test_cancelling_a_queued_email_never_waits_for_a_send_in_progress(settings):
    """The worker talks to the mail server holding no lock: a visitor cancelling meanwhile
    is answered at once (here PostgreSQL would refuse any wait for a lock)."""
    consult = make_consult(starts_at=in_days(3), status=ConsultRequest.Status.CONFIRMED)
    queue(consult=consult, subject="being sent")
    reminder = queue(
        kind=OutboundEmail.Kind.REMINDER,
        consult=consult,
        send_after=timezone.now() + timedelta(days=1),
    )
    sending, release = SlowBackend.sending, SlowBackend.release
    sending.clear()
    release.clear()
    settings.EMAIL_BACKEND = f"{__name__}.SlowBackend"

    def worker():
        try:
            outbox.deliver_due()
        finally:
            connections.close_all()

    thread = threading.Thread(target=worker)
    thread.start()
    try:
        assert sending.wait(10)
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET LOCAL lock_timeout = '50ms'")
            assert outbox.cancel_queued(consult, [OutboundEmail.Kind.REMINDER]) == 1
            cursor.execute("SELECT status FROM consults_outboundemail WHERE subject = 'being sent'")
            assert cursor.fetchone() == (Status.SENDING,)
    finally:
        release.set()
        thread.join()
    reminder.refresh_from_db()
    assert reminder.status == Status.CANCELLED
    assert OutboundEmail.objects.get(subject="being sent").status == Status.SENT


@pytest.mark.django_db(transaction=True)
def test_a_row_locked_by_another_worker_is_skipped():
    busy = queue(subject="being sent elsewhere")
    free = queue(subject="free")
    locked = threading.Event()
    release = threading.Event()

    def other_worker():
        # A second database connection, as another worker process would have.
        try:
            with transaction.atomic():
                OutboundEmail.objects.select_for_update().get(pk=busy.pk)
                locked.set()
                release.wait(10)
        finally:
            connections.close_all()

    thread = threading.Thread(target=other_worker)
    thread.start()
    try:
        assert locked.wait(10)
        assert outbox.deliver_due() == 1
        assert [m.subject for m in mail.outbox] == ["free"]
    finally:
        release.set()
        thread.join()
    busy.refresh_from_db()
    free.refresh_from_db()
    assert (busy.status, free.status) == (Status.QUEUED, Status.SENT)

    # Once the other worker lets go (here: without sending), it goes out next time.
    assert outbox.deliver_due() == 1
    assert [m.subject for m in mail.outbox] == ["free", "being sent elsewhere"]


def test_cancel_queued_only_touches_waiting_emails_of_those_kinds():
    consult = make_consult()
    other = make_consult(email="someone.else@example.org")
    Kind = OutboundEmail.Kind
    reminder = queue(kind=Kind.REMINDER, consult=consult)
    ack = queue(kind=Kind.ACKNOWLEDGE, consult=consult)
    sent_reminder = queue(kind=Kind.REMINDER, consult=consult)
    OutboundEmail.objects.filter(pk=sent_reminder.pk).update(status=Status.SENT)
    others_reminder = queue(kind=Kind.REMINDER, consult=other)

    assert outbox.cancel_queued(consult, [Kind.REMINDER]) == 1

    statuses = dict(OutboundEmail.objects.values_list("pk", "status"))
    assert statuses == {
        reminder.pk: Status.CANCELLED,
        ack.pk: Status.QUEUED,
        sent_reminder.pk: Status.SENT,
        others_reminder.pk: Status.QUEUED,
    }


@pytest.mark.parametrize("change", ["cancelled", "moved", "deleted"])
def test_reminder_for_a_consult_that_changed_is_cancelled_not_sent(change, time_machine):
    time_machine.move_to(timezone.now(), tick=False)
    consult = make_consult(starts_at=in_days(3), status=ConsultRequest.Status.CONFIRMED)
    reminder = emails.schedule_reminder(consult)
    assert reminder.send_after == consult.starts_at - timedelta(hours=24)
    # The change happens behind the email functions' back (e.g. a status edited by hand).
    if change == "cancelled":
        ConsultRequest.objects.filter(pk=consult.pk).update(status=ConsultRequest.Status.CANCELLED)
    elif change == "moved":
        ConsultRequest.objects.filter(pk=consult.pk).update(
            starts_at=consult.starts_at + timedelta(hours=1),
            ends_at=consult.ends_at + timedelta(hours=1),
            blocked_until=consult.blocked_until + timedelta(hours=1),
        )
    else:
        consult.delete()

    time_machine.move_to(reminder.send_after)
    assert outbox.deliver_due() == 1
    reminder.refresh_from_db()
    assert reminder.status == Status.CANCELLED
    assert mail.outbox == []


def test_reminder_for_a_confirmed_consult_is_sent_on_time(time_machine):
    time_machine.move_to(timezone.now(), tick=False)
    consult = make_consult(starts_at=in_days(3), status=ConsultRequest.Status.CONFIRMED)
    reminder = emails.schedule_reminder(consult)
    time_machine.move_to(reminder.send_after - timedelta(seconds=1))
    assert outbox.deliver_due() == 0
    time_machine.shift(timedelta(seconds=1))
    assert outbox.deliver_due() == 1
    assert len(mail.outbox) == 1


def test_logs_name_no_recipient_subject_or_body(flaky, caplog, time_machine):
    time_machine.move_to(timezone.now(), tick=False)
    consult = make_consult(starts_at=in_days(4))
    emails.queue_request_received(consult)
    caplog.set_level(logging.DEBUG)

    outbox.deliver_due()  # both fail
    time_machine.shift(timedelta(minutes=1))
    flaky.down = False
    outbox.deliver_due()  # both go out

    assert len(flaky.sent) == 2
    assert caplog.records, "delivery should log what it does"
    logged = "\n".join(
        f"{r.getMessage()} {r.exc_text or ''} {r.args!r}" for r in caplog.records
    ).lower()
    secrets = [*TYPED.values(), "therapist@example.test"]
    secrets += list(OutboundEmail.objects.values_list("subject", flat=True))
    for secret in secrets:
        assert secret.lower() not in logged
    assert "smtpserverdisconnected" in logged  # the class is there, the detail is not


# Autocommit on, so the worker may drop and reopen its connection as it does for real.
@pytest.mark.django_db(transaction=True)
def test_worker_loop_waits_out_a_database_outage_and_stops_on_sigterm(monkeypatch, caplog):
    calls = []

    def deliver_due(should_stop=None):
        calls.append(should_stop())
        if len(calls) == 1:
            raise OperationalError("connection to server failed")
        # The database is back: this round delivers, then the platform asks us to stop.
        os.kill(os.getpid(), signal.SIGTERM)
        return 1

    monkeypatch.setattr("consults.management.commands.deliver_email.deliver_due", deliver_due)
    caplog.set_level(logging.INFO)
    previous = signal.getsignal(signal.SIGTERM), signal.getsignal(signal.SIGINT)
    try:
        call_command("deliver_email", "--loop", "--interval", "0.01")
    finally:
        signal.signal(signal.SIGTERM, previous[0])
        signal.signal(signal.SIGINT, previous[1])

    assert calls == [False, False]
    assert "database unavailable (OperationalError)" in caplog.text
    assert "email worker stopped" in caplog.text
