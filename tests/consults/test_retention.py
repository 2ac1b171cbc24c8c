"""Retention: closed requests and the text of old emails go after the period the therapist set."""

import io
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from consults.models import ConsultRequest, OutboundEmail
from consults.outbox import enqueue
from tests.consults.builders import TYPED, make_consult, set_rules

pytestmark = pytest.mark.django_db

Status = ConsultRequest.Status
EmailStatus = OutboundEmail.Status


def days_ago(days):
    return timezone.now() - timedelta(days=days)


def email(status, *, age_days, consult=None):
    row = enqueue(
        kind=OutboundEmail.Kind.ACKNOWLEDGE,
        to=TYPED["email"],
        subject="Your request",
        body_text="Body text",
        body_html="<p>Body</p>",
        ics="BEGIN:VCALENDAR",
        consult=consult,
    )
    OutboundEmail.objects.filter(pk=row.pk).update(status=status, created_at=days_ago(age_days))
    return row


def purge():
    out = io.StringIO()
    call_command("purge_closed_requests", stdout=out)
    return out.getvalue()


def test_closed_requests_older_than_the_period_are_deleted():
    set_rules(retention_days=30)
    old_closed = [
        make_consult(email=f"{status}@example.org", status=status, status_changed_at=days_ago(31))
        for status in ConsultRequest.CLOSED
    ]
    recent_closed = make_consult(status=Status.DECLINED, status_changed_at=days_ago(29))
    old_open = [
        make_consult(
            email=f"open-{status}@example.org", status=status, status_changed_at=days_ago(400)
        )
        for status in ConsultRequest.HOLDING
    ]

    output = purge()

    remaining = set(ConsultRequest.objects.values_list("pk", flat=True))
    assert remaining == {recent_closed.pk, *(c.pk for c in old_open)}
    assert not remaining & {c.pk for c in old_closed}
    assert output.splitlines() == [
        f"Deleted {len(old_closed)} closed request(s); cleared the text of 0 email(s).",
        "Removed expired sessions.",
    ]


def test_old_finished_emails_lose_their_text_and_waiting_ones_keep_it():
    set_rules(retention_days=180)
    old = [
        email(status, age_days=181)
        for status in (EmailStatus.SENT, EmailStatus.CANCELLED, EmailStatus.FAILED)
    ]
    recent = email(EmailStatus.SENT, age_days=179)
    waiting = email(EmailStatus.QUEUED, age_days=181)

    output = purge()

    for row in old:
        row.refresh_from_db()
        assert (row.subject, row.to, row.body_text, row.body_html, row.ics) == (
            "(deleted)",
            "",
            "",
            "",
            "",
        )
    for row in (recent, waiting):
        row.refresh_from_db()
        assert (row.subject, row.to, row.body_text) == ("Your request", TYPED["email"], "Body text")
    assert "cleared the text of 3 email(s)" in output
    # Running it again finds nothing new.
    assert "Deleted 0 closed request(s); cleared the text of 0 email(s)." in purge()


def test_emails_about_a_deleted_request_are_cleared_whatever_their_age():
    set_rules(retention_days=30)
    consult = make_consult(status=Status.CANCELLED, status_changed_at=days_ago(31))
    about_it = email(EmailStatus.SENT, age_days=2, consult=consult)

    purge()

    about_it.refresh_from_db()
    assert about_it.consult is None
    assert (about_it.subject, about_it.to, about_it.body_text) == ("(deleted)", "", "")


def test_output_is_counts_only():
    set_rules(retention_days=1)
    consult = make_consult(status=Status.SPAM, status_changed_at=days_ago(2))
    email(EmailStatus.SENT, age_days=3, consult=consult)
    output = purge()
    for value in TYPED.values():
        assert value not in output


def test_expired_sessions_go_too():
    from django.contrib.sessions.backends.db import SessionStore
    from django.contrib.sessions.models import Session

    expired, live = SessionStore(), SessionStore()
    expired["zone"] = live["zone"] = "Europe/London"
    expired.create()
    live.create()
    Session.objects.filter(session_key=expired.session_key).update(expire_date=days_ago(1))
    assert "Removed expired sessions." in purge()
    assert list(Session.objects.values_list("session_key", flat=True)) == [live.session_key]
