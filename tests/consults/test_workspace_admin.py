"""The therapist's workspace through HTTP: the home screen, giving and offering times,
time off over consults, plain words, the outgoing email list, and the public contact
details. (Browser tests of the same: tests/e2e/test_workspace.py.)"""

from datetime import time, timedelta

import pytest
from django.contrib.admin.models import LogEntry
from django.core.cache import caches
from django.urls import reverse
from django.utils import timezone

from consults import booking
from consults.models import ConsultOffer, ConsultRequest, OutboundEmail, TimeOff, WeeklyHours
from core.models import PracticeProfile
from tests.consults.builders import in_days, make_consult, open_every_day

pytestmark = pytest.mark.django_db

Status = ConsultRequest.Status
HOME = reverse("admin:index")


def local(days, hour, minute=0):
    tz = PracticeProfile.load().tz
    day = (timezone.now() + timedelta(days=days)).astimezone(tz).date()
    return booking.local_start(day, time(hour, minute), tz), day


def text(response):
    assert response.status_code == 200
    return response.content.decode()


def test_home_shows_new_requests_today_and_hides_django_internals(admin_client):
    make_consult(name="Nora New")
    start, _ = local(0, 23, 30)
    if start <= timezone.now():
        start = timezone.now() + timedelta(minutes=30)
    make_consult(name="Tess Today", starts_at=start, status=Status.CONFIRMED, email="t@example.net")
    html = text(admin_client.get(HOME))
    assert "1 new request" in html and "Nora New" in html
    assert "Tess Today" in html
    assert "Getting set up" in html and "Set your weekly hours" in html
    for internal in ("Axes", "OTP_TOTP", "OTP_STATIC", "Groups", "TOTP devices"):
        assert internal not in html
    assert "Security" in html and "Your account" in html
    # Django's tables are still there, in one place.
    security = text(admin_client.get(reverse("admin:security")))
    assert "Access attempts" in security and "TOTP devices" in security


def test_home_flags_failing_emails_and_consults_in_time_off(admin_client):
    open_every_day()
    start, day = local(3, 10)
    consult = make_consult(starts_at=start, status=Status.CONFIRMED)
    TimeOff.objects.create(start_date=day, end_date=day)
    OutboundEmail.objects.create(
        kind=OutboundEmail.Kind.CONFIRMED,
        to="x@example.net",
        subject="s",
        body_text="b",
        status=OutboundEmail.Status.FAILED,
        attempts=9,
        message_id="<m@x>",
    )
    html = text(admin_client.get(HOME))
    assert f"{consult.name}, " in html and "falls in your time off" in html
    assert "1 email</strong></a> could not be sent" in html


def test_home_flags_a_calendar_that_cannot_be_read(admin_client):
    from consults import calendars
    from consults.models import CalendarSource

    source = CalendarSource(name="Practice calendar", last_error="The server said no (403).")
    calendars.set_secrets(source, url="https://calendar.example.org/private.ics")
    source.save()
    html = text(admin_client.get(HOME))
    assert "Practice calendar" in html
    assert "The server said no (403)." in html


def test_giving_a_time_outside_hours_asks_before_booking(admin_client):
    open_every_day(start=time(9), end=time(17))
    consult = make_consult()
    url = reverse("admin:consults_consultrequest_give_time", args=[consult.pk])
    start, day = local(4, 19)
    data = {"day": day.isoformat(), "at": "19:00"}

    html = text(admin_client.post(url, data))
    assert "It is outside your weekly hours." in html
    consult.refresh_from_db()
    assert consult.starts_at is None

    response = admin_client.post(url, {**data, "anyway": "on"})
    assert response.status_code == 302
    consult.refresh_from_db()
    assert consult.status == Status.CONFIRMED and consult.starts_at == start
    assert OutboundEmail.objects.filter(kind=OutboundEmail.Kind.CONFIRMED).exists()


def test_giving_a_clashing_time_names_the_other_consult(admin_client):
    open_every_day(start=time(0), end=time(23, 59))
    start, day = local(4, 11)
    make_consult(starts_at=start, name="Quinn Other", status=Status.CONFIRMED)
    consult = make_consult(name="Rae")
    url = reverse("admin:consults_consultrequest_give_time", args=[consult.pk])
    html = text(admin_client.post(url, {"day": day.isoformat(), "at": "11:05", "anyway": "on"}))
    assert "overlaps Quinn Other" in html
    assert ConsultRequest.objects.get(pk=consult.pk).starts_at is None


def test_offering_times_through_the_admin(admin_client):
    open_every_day(start=time(0), end=time(23, 59))
    consult = make_consult()
    url = reverse("admin:consults_consultrequest_offer_times", args=[consult.pk])
    _, day = local(5, 9)
    data = {"day_1": day, "at_1": "09:00", "day_2": day, "at_2": "11:00", "day_3": day}
    html = text(admin_client.post(url, data))
    assert "give both its day and its time" in html
    response = admin_client.post(url, {**data, "at_3": "14:00", "note": "Hello"})
    assert response.status_code == 302
    assert ConsultOffer.objects.filter(consult=consult).count() == 3


def test_time_off_lists_the_consults_in_it_then_cancels_one_and_moves_the_other(admin_client):
    open_every_day(start=time(0), end=time(23, 59))
    first_start, day = local(6, 9)
    second_start, _ = local(6, 11)
    first = make_consult(starts_at=first_start, status=Status.CONFIRMED, name="Ada")
    second = make_consult(starts_at=second_start, name="Ben", email="ben@example.net")
    url = reverse("admin:consults_timeoff_add")
    data = {"start_date": day.isoformat(), "end_date": day.isoformat(), "note": "Sick"}

    html = text(admin_client.post(url, data))
    assert "This time off covers 2 consults already booked" in html
    assert "Ada" in html and "Ben" in html
    assert not TimeOff.objects.exists()

    new_day = day + timedelta(days=1)
    response = admin_client.post(
        url,
        {
            **data,
            "shown": f"{first.pk},{second.pk}",
            f"decide_{first.pk}": "cancel",
            f"decide_{second.pk}": "move",
            f"day_{second.pk}": new_day.isoformat(),
            f"at_{second.pk}": "10:00",
            "cancel_message": "I am unwell, I am sorry.",
        },
    )
    assert response.status_code == 302
    assert TimeOff.objects.count() == 1
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.status == Status.CANCELLED
    assert second.status == Status.CONFIRMED
    assert second.starts_at == booking.local_start(new_day, time(10), PracticeProfile.load().tz)
    kinds = set(OutboundEmail.objects.values_list("kind", flat=True))
    assert {OutboundEmail.Kind.CANCELLED, OutboundEmail.Kind.RESCHEDULED} <= kinds


def test_weekly_hours_refused_in_plain_words(admin_client):
    WeeklyHours.objects.create(weekday=0, start=time(9), end=time(12))
    url = reverse("admin:consults_weeklyhours_add")
    html = text(admin_client.post(url, {"weekday": 0, "start": "11:00", "end": "13:00"}))
    assert "These hours overlap Monday 09:00–12:00" in html
    html = text(admin_client.post(url, {"weekday": 1, "start": "13:00", "end": "09:00"}))
    assert "The hours must end later than they start." in html
    assert "weekly_hours_start_before_end" not in html


def test_requests_read_as_people_and_search_finds_phone_and_notes(admin_client):
    consult = make_consult(name="Sol Reyes", phone="+1 555 0100", private_notes="prefers Tuesdays")
    changelist = reverse("admin:consults_consultrequest_changelist")
    html = text(admin_client.get(changelist))
    assert "no time yet" in html and "None" not in html.split('id="result_list"')[1]
    assert "Sol Reyes" in text(admin_client.get(changelist, {"q": "555 0100"}))
    assert "Sol Reyes" in text(admin_client.get(changelist, {"q": "Tuesdays"}))
    change = text(
        admin_client.get(reverse("admin:consults_consultrequest_change", args=[consult.pk]))
    )
    assert "<title>Sol Reyes, no time yet" in change
    assert 'href="tel:+15550100"' in change
    assert f'href="mailto:{consult.email}"' in change


def test_notes_and_confirmation_reach_the_timeline(admin_client):
    consult = make_consult(starts_at=in_days(4))
    url = reverse("admin:consults_consultrequest_change", args=[consult.pk])
    admin_client.post(url, {"private_notes": "Called, nice chat", "decline_message": ""})
    admin_client.post(reverse("admin:consults_consultrequest_confirm", args=[consult.pk]))
    html = text(admin_client.get(url))
    assert "You changed your private note" in html and "Called, nice chat" in html
    assert "Confirmed by you" in html
    assert "Email: Confirmed (to visitor)" in html
    # Django's history would keep the name after the request is gone: it is not written.
    assert not LogEntry.objects.exists()


def test_outgoing_emails_show_masked_visitor_addresses(admin_client):
    make_consult(email="alex.private@example.net")
    consult = ConsultRequest.objects.get()
    booking.decline(consult, "Sorry")
    html = text(admin_client.get(reverse("admin:consults_outboundemail_changelist")))
    assert "a•••@example.net" in html
    assert "alex.private@example.net" not in html


def test_contact_details_on_the_public_site_only_when_filled_in(client):
    profile = PracticeProfile.load()
    profile.contact_email = ""
    profile.contact_phone = ""
    profile.location = ""
    profile.save()
    assert "mailto:" not in client.get("/").content.decode()
    caches["pages"].clear()  # kept pages follow a change within seconds (core.pages)
    profile.contact_email = "hello@practice.example"
    profile.contact_phone = "+1 555 0199"
    profile.save()
    for path in ("/", "/about/"):
        html = client.get(path).content.decode()
        assert 'href="mailto:hello@practice.example"' in html, path
        assert 'href="tel:+15550199"' in html, path


def test_a_sick_day_cancels_every_consult_in_it_at_once(admin_client):
    first_start, day = local(6, 9)
    second_start, _ = local(6, 11)
    first = make_consult(starts_at=first_start, status=Status.CONFIRMED)
    second = make_consult(starts_at=second_start, email="ben@example.net")
    url = reverse("admin:consults_timeoff_add")
    data = {"start_date": day.isoformat(), "end_date": day.isoformat()}
    admin_client.post(url, data)
    response = admin_client.post(
        url, {**data, "shown": f"{first.pk},{second.pk}", "for_all": "cancel"}
    )
    assert response.status_code == 302
    assert set(ConsultRequest.objects.values_list("status", flat=True)) == {Status.CANCELLED}
    cancelled = OutboundEmail.objects.filter(kind=OutboundEmail.Kind.CANCELLED)
    assert cancelled.count() == 2
    assert all("not able to keep our free consult" in email.body_text for email in cancelled)
