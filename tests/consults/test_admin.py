"""The therapist's admin: request list, one-click confirm and decline, agenda, CSV, email log."""

import csv
import io
from datetime import timedelta

import pytest
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from consults.emails import format_when
from consults.models import BookingRules, ConsultRequest, OutboundEmail
from consults.outbox import enqueue
from core.models import PracticeProfile
from tests.consults.builders import TYPED, in_days, make_consult

pytestmark = pytest.mark.django_db

Status = ConsultRequest.Status
Kind = OutboundEmail.Kind
LIST = reverse("admin:consults_consultrequest_changelist")


def change_url(consult):
    return reverse("admin:consults_consultrequest_change", args=[consult.pk])


def run_action(client, action, consults, **extra):
    data = {"action": action, "_selected_action": [c.pk for c in consults], **extra}
    return client.post(LIST, data)


def test_list_shows_requests_in_a_fixed_number_of_queries(
    admin_client, django_assert_max_num_queries
):
    PracticeProfile.load()
    make_consult(starts_at=in_days(1), email="v1@example.org")
    admin_client.get(LIST)  # warm up the session and the profile
    with CaptureQueriesContext(connection) as one_row:
        admin_client.get(LIST)
    for day in range(2, 31):
        make_consult(starts_at=in_days(day), email=f"v{day}@example.org")

    with django_assert_max_num_queries(len(one_row)):
        response = admin_client.get(LIST)

    assert response.status_code == 200
    assert len(response.context["cl"].result_list) == 30
    first = ConsultRequest.objects.order_by("-created_at").first()
    assert format_when(first.starts_at, PracticeProfile.load().tz, short=True) in response.text


def test_filters_and_search(admin_client):
    timed = make_consult(starts_at=in_days(3), name="Alder Timed")
    untimed = make_consult(name="Birch Open", email="birch@example.org")
    spam = make_consult(name="Cedar Spam", email="cedar@example.org", status=Status.SPAM)

    def names(query):
        response = admin_client.get(LIST + query)
        return {c.name for c in response.context["cl"].result_list}

    assert names("?status__exact=spam") == {spam.name}
    assert names("?has_time=yes") == {timed.name}
    assert names("?has_time=no") == {untimed.name, spam.name}
    assert names("?q=birch") == {untimed.name}
    assert names("?q=cedar@example") == {spam.name}
    make_consult(
        name="Dogwood Old", email="d@example.org", created_at=timezone.now() - timedelta(days=10)
    )
    changelist = admin_client.get(LIST).context["cl"]
    received = next(spec for spec in changelist.filter_specs if spec.title == "received")
    links = {choice["display"]: choice["query_string"] for choice in received.choices(changelist)}
    assert names(links["Past 7 days"]) == {timed.name, untimed.name, spam.name}
    assert "Dogwood Old" in names(links["This year"]) | names(links["Any date"])


def test_index_shows_how_many_requests_are_new(admin_client):
    for n in range(3):
        make_consult(email=f"n{n}@example.org")
    make_consult(email="old@example.org", status=Status.CONTACTED)
    response = admin_client.get(reverse("admin:index"))
    assert "3 new requests" in response.text
    assert f'href="{LIST}?status__exact=new"' in response.text
    assert reverse("admin:consults_consultrequest_agenda") in response.text


def test_index_without_new_requests_says_so(admin_client):
    assert "No new consult requests." in admin_client.get(reverse("admin:index")).text


def test_csv_export_has_a_header_and_defuses_formulas(admin_client):
    consult = make_consult(starts_at=in_days(3), name='=HYPERLINK("http://x","y")')
    other = make_consult(
        name="@SUM(A1)",
        email="o@example.org",
        phone="-1",
        status=Status.CONTACTED,
        place="Oregon",
        payment=ConsultRequest.Payment.SELF_PAY,
    )
    response = run_action(admin_client, "export_csv", [consult, other])
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0] == [
        "received (America/New_York)",
        "name",
        "email",
        "phone",
        "contact method",
        "time asked for (America/New_York)",
        "status",
        "where during sessions",
        "insurance or paying themselves",
    ]
    assert len(rows) == 3
    first, second = rows[1], rows[2]
    assert first[1] == '\'=HYPERLINK("http://x","y")'
    assert first[2] == TYPED["email"]
    assert first[3] == "'" + TYPED["phone"]
    assert first[4] == "Text message"
    local = timezone.localtime(consult.starts_at, PracticeProfile.load().tz)
    assert first[5] == local.strftime("%Y-%m-%d %H:%M")
    assert first[6] == "New"
    assert (second[1], second[3], second[5]) == ("'@SUM(A1)", "'-1", "")
    assert (first[7], first[8]) == ("", "")
    assert (second[7], second[8]) == ("Oregon", "Will pay themselves")


def test_mark_spam_frees_the_time(admin_client):
    start = in_days(3)
    held = make_consult(starts_at=start)
    with pytest.raises(IntegrityError), transaction.atomic():
        make_consult(starts_at=start, email="second@example.org")

    run_action(admin_client, "mark_spam", [held])

    held.refresh_from_db()
    assert held.status == Status.SPAM
    assert timezone.now() - held.status_changed_at < timedelta(minutes=1)
    assert make_consult(starts_at=start, email="second@example.org").holds_time


def test_mark_contacted_only_moves_new_requests(admin_client):
    new = make_consult()
    confirmed = make_consult(starts_at=in_days(3), email="c@example.org", status=Status.CONFIRMED)
    run_action(admin_client, "mark_contacted", [new, confirmed])
    new.refresh_from_db()
    confirmed.refresh_from_db()
    assert (new.status, confirmed.status) == (Status.CONTACTED, Status.CONFIRMED)


def test_confirm_button_on_the_change_page(admin_client):
    consult = make_consult(starts_at=in_days(3))
    page = admin_client.get(change_url(consult)).text
    confirm_url = reverse("admin:consults_consultrequest_confirm", args=[consult.pk])
    assert f'action="{confirm_url}"' in page
    assert reverse("admin:consults_consultrequest_decline", args=[consult.pk]) in page

    assert admin_client.get(confirm_url).status_code == 405
    response = admin_client.post(confirm_url, follow=True)

    consult.refresh_from_db()
    assert consult.status == Status.CONFIRMED
    assert OutboundEmail.objects.filter(consult=consult, kind=Kind.CONFIRMED).count() == 1
    assert "is confirmed" in response.text


def test_confirm_button_in_the_list_posts_the_list_form(admin_client):
    consult = make_consult(starts_at=in_days(3))
    page = admin_client.get(LIST).text
    confirm_url = reverse("admin:consults_consultrequest_confirm", args=[consult.pk])
    assert f'formaction="{confirm_url}" formmethod="post"' in page
    response = admin_client.post(confirm_url, HTTP_REFERER="http://testserver" + LIST + "?o=1")
    assert response.status_code == 302
    assert response["Location"] == "http://testserver" + LIST + "?o=1"
    consult.refresh_from_db()
    assert consult.status == Status.CONFIRMED


def test_confirm_that_is_not_allowed_shows_why(admin_client):
    consult = make_consult()  # no time to confirm
    response = admin_client.post(
        reverse("admin:consults_consultrequest_confirm", args=[consult.pk]), follow=True
    )
    consult.refresh_from_db()
    assert consult.status == Status.NEW
    assert "no time to confirm" in response.text
    assert not OutboundEmail.objects.filter(kind=Kind.CONFIRMED).exists()


def test_confirm_needs_a_signed_in_staff_user(client):
    consult = make_consult(starts_at=in_days(3))
    response = client.post(reverse("admin:consults_consultrequest_confirm", args=[consult.pk]))
    assert response.status_code == 302
    assert "/login/" in response["Location"]
    consult.refresh_from_db()
    assert consult.status == Status.NEW


def test_confirm_needs_the_csrf_token(admin_user):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(admin_user)
    consult = make_consult(starts_at=in_days(3))
    response = client.post(reverse("admin:consults_consultrequest_confirm", args=[consult.pk]))
    assert response.status_code == 403
    consult.refresh_from_db()
    assert consult.status == Status.NEW


def test_decline_asks_first_with_the_kind_message_then_sends_it(admin_client):
    consult = make_consult(starts_at=in_days(3))
    url = reverse("admin:consults_consultrequest_decline", args=[consult.pk])

    page = admin_client.get(url)
    assert BookingRules.load().decline_message in page.text
    consult.refresh_from_db()
    assert consult.status == Status.NEW  # looking at the page changes nothing

    admin_client.post(url, {"message": "Thank you, and I am sorry I cannot help."})
    consult.refresh_from_db()
    assert consult.status == Status.DECLINED
    email = OutboundEmail.objects.get(consult=consult, kind=Kind.DECLINED)
    assert "Thank you, and I am sorry I cannot help." in email.body_text


def test_decline_page_prefers_the_requests_own_message(admin_client):
    consult = make_consult(decline_message="A message written for this one.")
    page = admin_client.get(reverse("admin:consults_consultrequest_decline", args=[consult.pk]))
    assert "A message written for this one." in page.text


def test_decline_action_for_several_requests(admin_client):
    first = make_consult(starts_at=in_days(3))
    second = make_consult(email="s@example.org")
    page = run_action(admin_client, "decline_selected", [first, second])
    assert page.status_code == 200
    assert "These 2 requests will be declined" in page.text
    assert not OutboundEmail.objects.filter(kind=Kind.DECLINED).exists()

    run_action(admin_client, "decline_selected", [first, second], apply="1", message="Sorry.")
    assert set(ConsultRequest.objects.values_list("status", flat=True)) == {Status.DECLINED}
    assert OutboundEmail.objects.filter(kind=Kind.DECLINED).count() == 2


def test_confirm_action_reports_each_refusal(admin_client):
    ready = make_consult(starts_at=in_days(3))
    no_time = make_consult(email="n@example.org")
    response = run_action(admin_client, "confirm_selected", [ready, no_time])
    ready.refresh_from_db()
    no_time.refresh_from_db()
    assert (ready.status, no_time.status) == (Status.CONFIRMED, Status.NEW)
    messages = [str(m) for m in response.wsgi_request._messages]
    assert any("Confirmed 1 request" in m for m in messages)
    assert any(f"{no_time}" in m and "no time to confirm" in m for m in messages)


def status_url(consult, status):
    return reverse("admin:consults_consultrequest_status", args=[consult.pk, status])


def test_change_page_keeps_what_they_sent_read_only(admin_client):
    consult = make_consult(starts_at=in_days(3))
    response = admin_client.post(
        change_url(consult),
        {
            "status": Status.SPAM,
            "private_notes": "Spoke briefly.",
            "decline_message": "",
            "name": "Changed Name",
            "email": "changed@example.org",
        },
    )
    assert response.status_code == 302
    consult.refresh_from_db()
    assert consult.name == TYPED["name"]
    assert consult.email == TYPED["email"]
    assert consult.private_notes == "Spoke briefly."
    # The status changes only through its buttons (consults.booking), never the form.
    assert consult.status == Status.NEW


def test_status_buttons_offer_only_what_can_follow(admin_client):
    confirmed = make_consult(starts_at=in_days(3), status=Status.CONFIRMED)
    page = admin_client.get(change_url(confirmed)).text
    assert "Mark completed" in page and "Mark no-show" in page and "Mark spam" in page
    assert "Mark contacted" not in page and "Reopen" not in page

    response = admin_client.post(status_url(confirmed, Status.COMPLETED))
    assert response.status_code == 302
    confirmed.refresh_from_db()
    assert confirmed.status == Status.COMPLETED
    assert timezone.now() - confirmed.status_changed_at < timedelta(minutes=1)
    assert "Reopen" in admin_client.get(change_url(confirmed)).text

    # A status that cannot follow is refused in words; nothing changes.
    response = admin_client.post(status_url(confirmed, Status.CONTACTED), follow=True)
    assert "cannot be marked contacted" in response.text
    confirmed.refresh_from_db()
    assert confirmed.status == Status.COMPLETED
    assert admin_client.get(status_url(confirmed, Status.SPAM)).status_code == 405
    assert admin_client.post(status_url(confirmed, "nonsense")).status_code == 404


def test_marking_a_confirmed_consult_completed_cancels_its_reminder(admin_client):
    consult = make_consult(starts_at=in_days(3), status=Status.CONFIRMED)
    reminder = enqueue(
        kind=Kind.REMINDER, to=consult.email, subject="s", body_text="b", consult=consult
    )
    admin_client.post(status_url(consult, Status.NO_SHOW))
    reminder.refresh_from_db()
    assert reminder.status == OutboundEmail.Status.CANCELLED


def test_reopening_refuses_to_hold_a_time_taken_since(admin_client):
    start = in_days(3)
    spam = make_consult(starts_at=start, status=Status.SPAM)
    make_consult(starts_at=start, email="taker@example.org")
    response = admin_client.post(status_url(spam, Status.NEW), follow=True)
    assert response.status_code == 200
    assert "Another request now holds this time" in response.text
    spam.refresh_from_db()
    assert spam.status == Status.SPAM


def test_agenda_lists_upcoming_consults_by_day(admin_client):
    tz = PracticeProfile.load().tz
    confirmed = make_consult(starts_at=in_days(2), name="Dana Confirmed", status=Status.CONFIRMED)
    waiting = make_consult(starts_at=in_days(2, hour=18), name="Eli Waiting", email="e@example.org")
    later = make_consult(starts_at=in_days(5), name="Fay Later", email="f@example.org")
    make_consult(starts_at=in_days(3), name="Gus Declined", email="g@e.org", status=Status.DECLINED)
    make_consult(starts_at=in_days(-2), name="Hal Past", email="h@e.org", status=Status.CONFIRMED)
    make_consult(name="Ivy Untimed", email="i@example.org")

    response = admin_client.get(reverse("admin:consults_consultrequest_agenda"))

    days = response.context["days"]
    assert [[c.name for c in consults] for _, consults in days] == [
        [confirmed.name, waiting.name],
        [later.name],
    ]
    assert days[0][0] == timezone.localtime(confirmed.starts_at, tz).date()
    assert "Waiting for you" in response.text
    assert reverse("admin:consults_consultrequest_agenda") in admin_client.get(LIST).text


def test_booking_rules_go_straight_to_the_one_row_with_the_calendar_address(admin_client):
    response = admin_client.get(reverse("admin:consults_bookingrules_changelist"))
    rules = BookingRules.load()
    assert response["Location"] == reverse("admin:consults_bookingrules_change", args=[rules.pk])
    page = admin_client.get(response["Location"]).text
    assert f"http://testserver/consult/calendar/{rules.calendar_token}.ics" in page
    assert "Make a new secret address" in page


def test_new_secret_calendar_address(admin_client):
    old = BookingRules.load().calendar_token
    url = reverse("admin:consults_bookingrules_new_calendar")
    assert admin_client.get(url).status_code == 405
    assert BookingRules.load().calendar_token == old
    admin_client.post(url)
    new = BookingRules.load().calendar_token
    assert new != old and len(new) >= 40


def test_email_log_list_never_shows_the_recipient(admin_client):
    consult = make_consult()
    email = enqueue(
        kind=Kind.ACKNOWLEDGE,
        to=TYPED["email"],
        subject="Hello",
        body_text="The words that were sent.",
        consult=consult,
    )
    listing = admin_client.get(reverse("admin:consults_outboundemail_changelist")).text
    assert TYPED["email"] not in listing
    assert "Request received (to visitor)" in listing
    detail = admin_client.get(reverse("admin:consults_outboundemail_change", args=[email.pk]))
    assert detail.status_code == 200
    assert "The words that were sent." in detail.text
    assert 'name="_save"' not in detail.text  # read-only


def test_email_retry_now(admin_client):
    failed = enqueue(kind=Kind.ACKNOWLEDGE, to="a@example.org", subject="s", body_text="b")
    sent = enqueue(kind=Kind.ACKNOWLEDGE, to="b@example.org", subject="s", body_text="b")
    later = timezone.now() + timedelta(hours=1)
    OutboundEmail.objects.filter(pk=failed.pk).update(
        status=OutboundEmail.Status.FAILED, send_after=later
    )
    OutboundEmail.objects.filter(pk=sent.pk).update(status=OutboundEmail.Status.SENT)
    admin_client.post(
        reverse("admin:consults_outboundemail_changelist"),
        {"action": "retry_now", "_selected_action": [failed.pk, sent.pk]},
    )
    failed.refresh_from_db()
    sent.refresh_from_db()
    assert failed.status == OutboundEmail.Status.QUEUED
    assert failed.send_after <= timezone.now()
    assert sent.status == OutboundEmail.Status.SENT
