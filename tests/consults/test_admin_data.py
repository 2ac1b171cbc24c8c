"""The therapist's side of visitors' data rights: find, export or erase by email address,
and the record that an erasure happened (which holds nothing about the person)."""

import json

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.db import connection
from django.test import Client
from django.urls import reverse

from consults import booking
from consults.models import ConsultEvent, ConsultRequest, ErasureRecord, OutboundEmail
from consults.outbox import enqueue
from tests.conftest import login_with_otp
from tests.consults.builders import TYPED, in_days, make_consult, markers_in_database

pytestmark = pytest.mark.django_db

SCREEN = reverse("admin:consults_consultrequest_by_email")
OTHER = "someone.else@example.net"
NOTE = "private note quibblethorn"


@pytest.fixture
def held():
    """Two requests from one address (one holding a time, with a waiting email and a
    private note), an email whose request is long gone, and another visitor's request."""
    first = make_consult(status=ConsultRequest.Status.DECLINED, private_notes=NOTE)
    booking.log_note(first, NOTE)
    second = make_consult(email=TYPED["email"].upper(), starts_at=in_days(3))
    enqueue(kind="acknowledge", to=TYPED["email"], subject="Got it", body_text="x", consult=second)
    enqueue(kind="acknowledge", to=TYPED["email"], subject="Orphan", body_text="y")
    other = make_consult(
        name="Other Person",
        email=OTHER,
        phone="",
        availability="",
        message="their own note",
        starts_at=in_days(5),
    )
    return first, second, other


def post(client, step="find", email=TYPED["email"]):
    return client.post(SCREEN, {"email": email, "step": step})


def staff(*permissions):
    user = get_user_model().objects.create_user("assistant", "a@example.test", "pw", is_staff=True)
    for codename in permissions:
        user.user_permissions.add(Permission.objects.get(codename=codename))
    return login_with_otp(Client(), user)


def test_the_screen_is_linked_from_the_requests_list_and_the_home_screen(admin_client):
    for page in [reverse("admin:consults_consultrequest_changelist"), reverse("admin:index")]:
        assert f'href="{SCREEN}"' in admin_client.get(page).text


def test_finding_shows_everything_held_about_the_address_only(admin_client, held):
    first = held[0]
    response = post(admin_client, email=TYPED["email"].title())
    html = response.text
    assert response.status_code == 200
    assert "2 requests and 2 emails in the outbox (2 still waiting to be sent)" in html
    for value in TYPED.values():
        assert value in html
    assert "Orphan" in html and "Got it" in html
    assert "Private note changed" not in html
    assert "Other Person" not in html and "their own note" not in html
    assert reverse("admin:consults_consultrequest_change", args=[first.pk]) in html


def test_the_address_is_never_in_a_link(admin_client, held):
    html = admin_client.get(SCREEN, {"email": TYPED["email"]}).text
    assert TYPED["name"] not in html  # a GET finds nothing: the address is only ever posted
    assert "?email=" not in post(admin_client).text


def test_a_mistyped_address_gets_a_clear_message(admin_client, held):
    html = post(admin_client, email="not an address").text
    assert "Please type a whole email address" in html
    assert TYPED["name"] not in html


def test_export_is_the_visitors_download_shape_for_all_their_requests(admin_client, held):
    response = post(admin_client, "export")
    assert response["Content-Type"] == "application/json; charset=utf-8"
    assert response["Content-Disposition"].startswith("attachment;")
    assert TYPED["email"] not in response["Content-Disposition"]
    data = json.loads(response.content)
    assert [r["what_you_sent"]["email"]["value"].lower() for r in data["requests"]] == [
        TYPED["email"]
    ] * 2
    assert set(data["requests"][0]) == {
        "what_you_sent",
        "status_and_times",
        "times_offered",
        "timeline",
        "emails_sent_to_you",
    }
    assert [e["subject"] for e in data["other_emails_sent_to_you"]] == ["Orphan"]
    text = response.content.decode()
    assert "Other Person" not in text and NOTE not in text


def test_erase_asks_first_naming_what_will_go(admin_client, held):
    first = held[0]
    html = post(admin_client, "erase").text
    assert f"Erase everything held about {TYPED['email']}?" in html
    assert f"The request received {first.created_at:%A} " in html
    assert "that time opens again for others" in html
    assert "2 emails in the outbox, including 2 still waiting: they will not be sent" in html
    assert ConsultRequest.objects.filter(email__iexact=TYPED["email"]).count() == 2


def test_erase_removes_everything_about_the_address_and_keeps_a_bare_record(
    admin_client, admin_user, held
):
    first, second, other = held
    start = second.starts_at
    response = post(admin_client, "erase_now")
    assert response.status_code == 302
    page = admin_client.get(response["Location"]).text
    assert "Erased 2 request(s) and 2 email(s). Nobody was emailed." in page

    assert not ConsultRequest.objects.filter(email__iexact=TYPED["email"]).exists()
    assert not OutboundEmail.objects.filter(to__iexact=TYPED["email"]).exists()
    assert not ConsultEvent.objects.filter(consult_id__in=[first.pk, second.pk]).exists()
    assert booking.clash_error(start) == ""  # the time is free again
    assert ConsultRequest.objects.filter(pk=other.pk).exists()
    assert markers_in_database([*TYPED.values(), NOTE]) == []

    record = ErasureRecord.objects.get()
    assert (record.by, record.admin_user, record.requests, record.emails) == (
        "therapist",
        admin_user,
        2,
        2,
    )
    assert not OutboundEmail.objects.filter(kind=OutboundEmail.Kind.WITHDRAWN).exists()


def test_the_erasure_record_holds_no_personal_detail(admin_client, held):
    post(admin_client, "erase_now")
    with connection.cursor() as cursor:
        cursor.execute("SELECT t::text FROM consults_erasurerecord t")
        (row,) = cursor.fetchall()
    for value in [*TYPED.values(), TYPED["email"].split("@")[1], "Zephyrine"]:
        assert value.lower() not in row[0].lower()
    field_names = {field.name for field in ErasureRecord._meta.get_fields()}
    assert field_names == {"id", "at", "by", "admin_user", "requests", "emails"}


def test_the_erasure_records_are_listed_read_only(admin_client, held):
    post(admin_client, "erase_now")
    record = ErasureRecord.objects.get()
    listing = admin_client.get(reverse("admin:consults_erasurerecord_changelist"))
    assert listing.status_code == 200
    assert "Erasures: when personal data was erased" in listing.text
    change = reverse("admin:consults_erasurerecord_change", args=[record.pk])
    assert 'name="_save"' not in admin_client.get(change).text
    assert admin_client.post(change, {"requests": 0}).status_code == 403
    delete = reverse("admin:consults_erasurerecord_delete", args=[record.pk])
    assert admin_client.post(delete, {"post": "yes"}).status_code == 403
    assert admin_client.get(reverse("admin:consults_erasurerecord_add")).status_code == 403
    assert ErasureRecord.objects.get().requests == 2


def test_viewing_staff_may_find_and_export_but_not_erase(held):
    client = staff("view_consultrequest")
    assert TYPED["name"] in post(client).text
    assert "Erase it all" not in post(client).text
    assert post(client, "export").status_code == 200
    assert post(client, "erase").status_code == 403
    assert post(client, "erase_now").status_code == 403
    assert ConsultRequest.objects.filter(email__iexact=TYPED["email"]).count() == 2


def test_staff_without_permission_and_visitors_see_nothing(client, held):
    assert post(staff(), "find").status_code == 403
    response = post(client, "erase_now")
    assert response.status_code == 302 and "login" in response["Location"]
    assert ConsultRequest.objects.filter(email__iexact=TYPED["email"]).count() == 2


def test_an_address_with_nothing_held(admin_client, held):
    html = post(admin_client, email="nobody@example.org").text
    assert "Nothing is held about this address" in html
    response = post(admin_client, "erase_now", email="nobody@example.org")
    assert "Nothing was held about that address" in admin_client.get(response["Location"]).text
    assert not ErasureRecord.objects.exists()


def test_the_admins_own_delete_is_an_erasure_too(admin_client, admin_user, held):
    second = held[1]
    delete = reverse("admin:consults_consultrequest_delete", args=[second.pk])
    assert admin_client.post(delete, {"post": "yes"}).status_code == 302
    assert not ConsultRequest.objects.filter(pk=second.pk).exists()
    # Django alone would keep its email, unlinked, with the address and the text.
    assert not OutboundEmail.objects.filter(subject="Got it").exists()
    record = ErasureRecord.objects.get()
    assert (record.by, record.admin_user, record.requests) == ("therapist", admin_user, 1)
