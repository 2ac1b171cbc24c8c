"""After the retention purge, nothing a visitor typed is left anywhere in the database.

A visitor books through the site (their session, their emails, a refusal by the mail
server, the therapist's decline naming them, private notes), the request closes, the
retention period passes, and `purge_closed_requests` runs. Then every table in the
database (all of them, as PostgreSQL lists them, not only this project's models) is
read row by row as text, sessions decoded, and searched for the visitor's values.
"""

import smtplib
from datetime import timedelta

import pytest
from django.contrib import admin as django_admin
from django.core.management import call_command
from django.db import connection
from django.test import Client, RequestFactory
from django.utils import timezone

from consults import booking, outbox
from consults.models import ConsultRequest
from tests.consults.builders import TYPED, form_data, markers_in_database, set_rules

pytestmark = pytest.mark.django_db

DECLINE_MARKER = "Dear Zephyrine, with warm wishes"
NOTE_MARKER = "first call went well wombleford"
SECOND = {"name": "Ottoline Brackenbury", "email": "ottoline.b@example.org"}
MARKERS = [
    *TYPED.values(),
    "zq.private",
    "0142 777",
    DECLINE_MARKER,
    NOTE_MARKER,
    *SECOND.values(),
]


class RefusingVisitorBackend:
    """A mail server that accepts the therapist's mail and refuses the visitor's for good,
    quoting their address."""

    def __init__(self, *args, **kwargs):
        pass

    def send_messages(self, messages):
        for message in messages:
            if TYPED["email"] in message.to:
                raise smtplib.SMTPRecipientsRefused(
                    {TYPED["email"]: (550, f"5.1.1 <{TYPED['email']}> unknown".encode())}
                )
        return len(messages)


def markers_found():
    return markers_in_database(MARKERS)


def test_nothing_of_a_purged_request_remains_in_any_table(
    client, settings, time_machine, admin_user
):
    set_rules(retention_days=30)
    settings.CONSULT_MIN_SECONDS = 0
    settings.EMAIL_BACKEND = f"{__name__}.RefusingVisitorBackend"

    page = client.get("/consult/")
    fields = {key: TYPED[key] for key in ("name", "email", "phone", "availability", "message")}
    assert client.post("/consult/", form_data(page, **fields)).status_code == 302
    consult = ConsultRequest.objects.get(email=TYPED["email"])
    assert client.get("/consult/received/").status_code == 200
    outbox.deliver_due()
    consult.private_notes = NOTE_MARKER
    consult.save(update_fields=["private_notes"])
    booking.decline(consult, DECLINE_MARKER)
    outbox.deliver_due()
    # The therapist's edit, as the admin records it in its history.
    admin = django_admin.site._registry[ConsultRequest]
    request = RequestFactory().post("/")
    request.user = admin_user
    admin.log_change(request, consult, [{"changed": {"fields": ["Private notes"]}}])

    # A second visitor cancels while the mail server is down: their acknowledgment is
    # still waiting when the request closes, and the worker is stopped for weeks.
    second = Client()
    page = second.get("/consult/")
    assert second.post("/consult/", form_data(page, **SECOND)).status_code == 302
    booking.cancel(ConsultRequest.objects.get(email=SECOND["email"]))

    before = markers_found()
    assert {table for table, _ in before} >= {
        "consults_consultrequest",
        "consults_outboundemail",
    }, "the test must first see the values it looks for"

    time_machine.move_to(timezone.now() + timedelta(days=31))
    call_command("purge_closed_requests", stdout=open("/dev/null", "w"))  # noqa: SIM115

    after = markers_found()
    tables = connection.introspection.table_names(include_views=False)
    print(
        f"\n[retention] before the purge: {len(before)} (table, value) matches in"
        f" {len({t for t, _ in before})} tables; after: {len(after)} in {len(tables)} tables"
        " searched"
    )
    assert after == [], after
