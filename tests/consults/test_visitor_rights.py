"""A visitor's rights through their own link: see and download what the site holds about
their request, and delete it all at once; the links after that, and what the therapist
is told."""

import json
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.urls import reverse

from consults import booking, outbox, personal_data, tokens
from consults.models import ConsultEvent, ConsultRequest, ErasureRecord, OutboundEmail, WeeklyHours

from .builders import TYPED, markers_in_database, open_every_day

pytestmark = pytest.mark.django_db

VISITOR = {**TYPED, "contact_method": "text"}
OTHER = {
    "name": "Bartholomew Inkwright",
    "email": "bart.inkwright@example.net",
    "phone": "",
    "contact_method": "email",
    "availability": "",
    "message": "another visitor's note",
}
LONDON = ZoneInfo("Europe/London")
NOTE = "therapist's private note grumbleweed"


def book(visitor=VISITOR, index=0):
    if not WeeklyHours.objects.exists():
        open_every_day()
    slot = booking.available_slots()[index]
    consult, _ = booking.submit_request(
        visitor, submission_key=None, start=slot.start, visitor_zone="Europe/London"
    )
    return consult


@pytest.fixture
def consult():
    """A booked request, with the therapist's private note, and another visitor's beside it."""
    consult = book()
    booking.log_note(consult, NOTE)
    ConsultRequest.objects.filter(pk=consult.pk).update(private_notes=NOTE)
    book(OTHER, index=3)
    return consult


def download(client, consult):
    return client.post(f"{tokens.manage_path(consult)}your-information/")


def test_the_request_page_offers_to_see_download_and_delete(client, consult):
    manage = tokens.manage_path(consult)
    html = client.get(manage).content.decode()
    assert f'<form method="post" action="{manage}your-information/"' in html
    assert "Download my information</button>" in html
    assert f'href="{manage}delete/"' in html


def test_the_download_is_a_json_file_with_what_they_sent_and_the_emails(client, consult):
    response = download(client, consult)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="my-consult-request.json"'
    data = json.loads(response.content)
    (held,) = data["requests"]
    sent = {name: item["value"] for name, item in held["what_you_sent"].items()}
    for field in ("name", "email", "phone", "availability", "message"):
        assert sent[field] == TYPED[field]
    assert sent["contact_method"] == "Text message"
    assert sent["visitor_zone"] == "Europe/London"
    starts = held["status_and_times"]["starts_at"]["value"]
    assert starts["in_your_zone"] == consult.starts_at.astimezone(LONDON).isoformat()
    assert starts["in_practice_zone"].endswith(("-05:00", "-04:00"))  # New York
    assert held["status_and_times"]["status"]["value"] == "New"
    assert [e["what"] for e in held["timeline"]] == ["Request received"]
    subjects = [email["subject"] for email in held["emails_sent_to_you"]]
    assert len(subjects) == 1 and subjects[0].startswith("Your free-consult request arrived")
    assert held["emails_sent_to_you"][0]["status"] == "Waiting"
    assert "Your request for a free consult arrived" in held["emails_sent_to_you"][0]["text"]


def test_the_download_holds_no_secrets_notes_or_other_visitors(client, consult):
    text = download(client, consult).content.decode()
    consult.refresh_from_db()
    for secret in [
        str(consult.public_id),
        tokens.make_token(consult),
        consult.network or "no-network-marker",
        NOTE,
        "therapist@example.test",  # the therapist's notification is not theirs
        OTHER["name"],
        OTHER["email"],
        OTHER["message"],
    ]:
        assert secret not in text
    assert personal_data.LINK_LEFT_OUT in text  # the acknowledgment's link, left out


def test_every_field_but_the_listed_secrets_is_in_the_download(client, consult):
    """A field added to ConsultRequest later is in the download without anyone adding it."""
    held = json.loads(download(client, consult).content)["requests"][0]
    shown = {*held["what_you_sent"], *held["status_and_times"]}
    every = {field.name for field in ConsultRequest._meta.concrete_fields}
    assert shown == every - set(personal_data.NOT_INCLUDED)


def test_the_readable_page_shows_the_same_and_is_never_kept(client, consult):
    path = f"{tokens.manage_path(consult)}your-information/"
    response = client.get(path)
    html = response.content.decode()
    assert response.status_code == 200
    for value in TYPED.values():
        assert value in html
    assert "Your free-consult request arrived" in html
    assert NOTE not in html
    assert OTHER["name"] not in html
    assert "no-store" in response["Cache-Control"]
    assert "private" in response["Cache-Control"]
    # Deleted meanwhile: the next visit shows that, never a page kept from before.
    booking.erase(ConsultRequest.objects.filter(pk=consult.pk), by=ErasureRecord.By.VISITOR)
    assert client.get(path).status_code == 410


def test_a_get_on_the_delete_address_only_asks(client, consult):
    emails_before = OutboundEmail.objects.count()
    response = client.get(f"{tokens.manage_path(consult)}delete/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "Delete your request and your information?" in html
    assert "It opens again for others." in html
    assert "including one still waiting to be sent: it will not be sent" in html
    assert "Yes, delete everything" in html
    assert ConsultRequest.objects.filter(pk=consult.pk).exists()
    assert OutboundEmail.objects.count() == emails_before
    assert not ErasureRecord.objects.exists()


def test_deleting_removes_everything_at_once_and_frees_the_time(client, consult):
    start = consult.starts_at
    assert start not in {slot.start for slot in booking.available_slots()}

    response = client.post(f"{tokens.manage_path(consult)}delete/")

    assert response.status_code == 302 and response["Location"] == "/consult/deleted/"
    page = client.get("/consult/deleted/").content.decode()
    assert "Your request is deleted" in page
    assert "If you are in crisis" in page
    assert not ConsultRequest.objects.filter(pk=consult.pk).exists()
    assert not ConsultEvent.objects.filter(consult_id=consult.pk).exists()
    assert not OutboundEmail.objects.filter(to__iexact=TYPED["email"]).exists()
    assert start in {slot.start for slot in booking.available_slots()}
    # The other visitor's request is untouched.
    assert ConsultRequest.objects.filter(email=OTHER["email"]).exists()
    assert markers_in_database([*TYPED.values(), NOTE]) == []

    record = ErasureRecord.objects.get()
    assert (record.by, record.admin_user, record.requests) == ("visitor", None, 1)
    assert record.emails == 2  # their acknowledgment and the therapist's notification

    # Nothing goes to the visitor afterwards; the therapist hears only that one went.
    outbox.deliver_due()
    sent_to = {message.to[0] for message in mail.outbox}
    assert TYPED["email"] not in sent_to
    (notice,) = [m for m in mail.outbox if m.subject == "A free-consult request was withdrawn"]
    assert notice.to == ["therapist@example.test"]
    for value in [*TYPED.values(), "Zephyrine"]:
        assert value not in notice.body
    assert "withdrew their free-consult request and deleted it" in notice.body


def test_after_deleting_the_link_and_a_second_try_show_already_deleted(client, consult):
    manage = tokens.manage_path(consult)
    client.post(f"{manage}delete/")
    for method, path in [
        ("get", manage),
        ("post", f"{manage}delete/"),
        ("get", f"{manage}delete/"),
        ("post", f"{manage}your-information/"),
        ("get", f"{manage}cancel/"),
        ("post", f"{manage}pick/"),
    ]:
        response = getattr(client, method)(path)
        html = response.content.decode()
        assert response.status_code == 410, (method, path)
        assert "This request has been deleted" in html
        assert "If you are in crisis" in html
        assert TYPED["name"] not in html
    assert ErasureRecord.objects.count() == 1


def test_a_forged_link_still_finds_nothing(client, consult):
    token = tokens.make_token(consult)
    assert client.post(f"/consult/manage/{token[:-2]}xx/delete/").status_code == 404
    assert ConsultRequest.objects.filter(pk=consult.pk).exists()


def test_deleting_counts_against_the_changes_limit(client, consult, settings):
    settings.CONSULT_RATE_LIMIT = (1, 600)
    other = ConsultRequest.objects.get(email=OTHER["email"])
    client.post(f"{tokens.manage_path(other)}cancel/")
    response = client.post(f"{tokens.manage_path(consult)}delete/")
    assert response.status_code == 429
    assert ConsultRequest.objects.filter(pk=consult.pk).exists()


class ErasingBackend:
    """A mail server that is slow enough for the visitor to delete their request while
    their email is being sent."""

    def __init__(self, *args, **kwargs):
        pass

    def send_messages(self, messages):
        booking.erase(
            ConsultRequest.objects.filter(email=TYPED["email"]), by=ErasureRecord.By.VISITOR
        )
        return len(messages)


def test_an_email_erased_while_being_sent_stays_erased(consult, settings):
    OutboundEmail.objects.exclude(to=TYPED["email"]).delete()
    settings.EMAIL_BACKEND = f"{__name__}.ErasingBackend"
    outbox.deliver_due(limit=1)
    assert not OutboundEmail.objects.filter(to__iexact=TYPED["email"]).exists()
    assert not ConsultRequest.objects.filter(email=TYPED["email"]).exists()


def test_the_therapist_sees_the_withdrawal_on_the_home_screen_without_details(admin_client):
    consult = book()
    booking.erase(ConsultRequest.objects.filter(pk=consult.pk), by=ErasureRecord.By.VISITOR)
    html = admin_client.get(reverse("admin:index")).content.decode()
    assert "A request was withdrawn and deleted by the visitor on" in html
    assert TYPED["name"] not in html
