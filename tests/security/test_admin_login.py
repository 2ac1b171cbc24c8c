"""The admin sign-in: password plus a second factor, lockout after failures, secrets hidden."""

import re
from datetime import timedelta

import pytest
import time_machine
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.conftest import current_code, totp_device

pytestmark = pytest.mark.django_db

LOGIN = f"/{settings.ADMIN_URL}login/"
INDEX = f"/{settings.ADMIN_URL}"
PASSWORD = "a-long-password-1"


@pytest.fixture
def therapist():
    user = get_user_model().objects.create_superuser("therapist", "t@example.test", PASSWORD)
    totp_device(user)
    return user


def sign_in(
    client, username="therapist", password=PASSWORD, code="", ip="203.0.113.7", forwarded=None
):
    """A sign-in attempt; with `forwarded`, through one proxy (ip) that wrote that header."""
    extra = {"HTTP_X_FORWARDED_FOR": forwarded} if forwarded else {}
    return client.post(
        LOGIN,
        {"username": username, "password": password, "otp_token": code, "next": INDEX},
        REMOTE_ADDR=ip,
        **extra,
    )


def signed_in(client):
    return client.get(INDEX).status_code == 200


def wrong_code(device):
    return f"{(int(current_code(device)) + 500_000) % 1_000_000:06d}"


def test_the_sign_in_form_asks_for_the_code(client):
    html = client.get(LOGIN).content.decode()
    assert 'name="otp_token"' in html
    assert "Authentication code" in html


FAILED = "Those details did not let you in."


def error_notes(response):
    return re.findall(r'<p class="errornote">\s*(.*?)\s*</p>', response.content.decode(), re.S)


def test_password_alone_does_not_sign_in(client, therapist):
    response = sign_in(client)
    assert response.status_code == 200
    assert FAILED in response.content.decode()
    assert not signed_in(client)


def test_a_wrong_code_does_not_sign_in(client, therapist):
    response = sign_in(client, code=wrong_code(totp_device(therapist)))
    assert FAILED in response.content.decode()
    # The password is not echoed back into the page for a second try.
    assert PASSWORD not in response.content.decode()
    assert not signed_in(client)


def test_the_answer_never_says_which_part_was_wrong(therapist):
    # Changed deliberately (issue 11): a right password with a wrong or missing code
    # used to get its own message, which confirmed the password without the second factor.
    device = totp_device(therapist)
    cases = {
        "wrong password, right code": {"password": "wrong-password", "code": current_code(device)},
        "wrong password, no code": {"password": "wrong-password"},
        "right password, wrong code": {"code": wrong_code(device)},
        "right password, no code": {},
        "no such user": {"username": "nobody", "code": current_code(device)},
        "right password, a wrong backup code": {"code": "abcd2345"},
    }
    # Each from its own address, so that none of them meets the lockout.
    answers = {
        case: sign_in(Client(), ip=f"203.0.113.{n}", **kwargs)
        for n, (case, kwargs) in enumerate(cases.items(), start=10)
    }
    notes = {case: error_notes(response) for case, response in answers.items()}
    assert all(response.status_code == 200 for response in answers.values())
    assert len({tuple(n) for n in notes.values()}) == 1, notes
    assert FAILED in notes["right password, no code"][0]


def test_password_and_current_code_sign_in(client, therapist):
    response = sign_in(client, code=current_code(totp_device(therapist)))
    assert response.status_code == 302
    assert signed_in(client)


def test_a_backup_code_works_once(client, therapist):
    device = StaticDevice.objects.create(user=therapist, name="Backup codes")
    device.token_set.create(token="abcd2345")
    assert sign_in(client, code="abcd2345").status_code == 302
    assert signed_in(client)
    other = Client()
    sign_in(other, code="abcd2345")
    assert not signed_in(other)


def test_a_session_without_a_verified_device_is_refused(client, therapist):
    # Signed in by password only (no such form exists; this proves the admin checks).
    client.force_login(therapist)
    response = client.get(INDEX)
    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN)


def test_staff_without_any_device_cannot_sign_in(client):
    get_user_model().objects.create_superuser("nodevice", "n@example.test", PASSWORD)
    sign_in(client, username="nodevice", code="123456")
    assert not signed_in(client)


def fail(client, times, **kwargs):
    """Wrong passwords; the one that reaches the limit already gets the lockout page."""
    for n in range(1, times + 1):
        status = sign_in(client, password="wrong-password", **kwargs).status_code
        assert status == (429 if n == settings.AXES_FAILURE_LIMIT else 200)


def test_five_failures_lock_out_for_the_cool_off(client, therapist):
    device = totp_device(therapist)
    fail(client, settings.AXES_FAILURE_LIMIT)

    # Even the right password and code are refused now, with a calm page and a 429.
    locked = sign_in(client, code=current_code(device))
    assert locked.status_code == 429
    assert "Signing in is paused" in locked.content.decode()
    assert "15 minutes" in locked.content.decode()
    assert not signed_in(client)

    with time_machine.travel(timedelta(minutes=16)):
        assert sign_in(Client(), code=current_code(device)).status_code == 302


def test_the_lock_is_per_username_and_address(client, therapist):
    other = get_user_model().objects.create_superuser("assistant", "a@example.test", PASSWORD)
    fail(client, settings.AXES_FAILURE_LIMIT, ip="203.0.113.7")
    assert (
        sign_in(Client(), code=current_code(totp_device(therapist)), ip="203.0.113.7").status_code
        == 429
    )

    # The same account from another address, and another account from the same one.
    assert (
        sign_in(Client(), code=current_code(totp_device(therapist)), ip="198.51.100.9").status_code
        == 302
    )
    assert (
        sign_in(
            Client(), username="assistant", code=current_code(totp_device(other)), ip="203.0.113.7"
        ).status_code
        == 302
    )


def test_wrong_codes_count_like_wrong_passwords(client, therapist):
    device = totp_device(therapist)
    for _ in range(settings.AXES_FAILURE_LIMIT):
        sign_in(client, code=wrong_code(device))
    assert AccessAttempt.objects.get(username="therapist").failures_since_start >= 5
    assert sign_in(Client(), code=current_code(device)).status_code == 429


@pytest.mark.parametrize("code", ["wrong", "missing"])
def test_each_wrong_or_missing_code_counts_once_like_a_wrong_password(therapist, code):
    device = totp_device(therapist)
    statuses = [
        sign_in(Client(), code=wrong_code(device) if code == "wrong" else "").status_code
        for _ in range(settings.AXES_FAILURE_LIMIT)
    ]
    # The same count as fail(): the attempt that reaches the limit gets the lockout page.
    assert statuses == [200] * (settings.AXES_FAILURE_LIMIT - 1) + [429]
    assert AccessAttempt.objects.get(username="therapist").failures_since_start == (
        settings.AXES_FAILURE_LIMIT
    )


def test_guesses_spread_over_one_ipv6_network_are_locked_out(therapist, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    statuses = [
        sign_in(
            Client(), password="nope", ip="10.0.0.2", forwarded=f"2001:db8:7:8::{n:x}"
        ).status_code
        for n in range(1, settings.AXES_FAILURE_LIMIT + 2)
    ]
    assert statuses[-2:] == [429, 429]
    # The next /64 is another client.
    code = current_code(totp_device(therapist))
    next_network = sign_in(Client(), code=code, ip="10.0.0.2", forwarded="2001:db8:7:9::1")
    assert next_network.status_code == 302


def test_an_ipv4_client_written_as_ipv6_is_locked_out_as_itself(client, therapist):
    fail(client, settings.AXES_FAILURE_LIMIT - 1, ip="203.0.113.7")
    assert sign_in(Client(), password="wrong", ip="::ffff:203.0.113.7").status_code == 429


def test_behind_a_proxy_the_lock_uses_the_forwarded_client_address(client, therapist, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    for _ in range(settings.AXES_FAILURE_LIMIT):
        sign_in(client, password="nope", ip="10.0.0.2", forwarded="203.0.113.7")
    attempt = AccessAttempt.objects.get(username="therapist")
    assert attempt.ip_address == "203.0.113.7"
    # Another visitor behind the same proxy is not locked out.
    code = current_code(totp_device(therapist))
    response = sign_in(Client(), code=code, ip="10.0.0.2", forwarded="198.51.100.9")
    assert response.status_code == 302


def test_device_secrets_never_appear_in_the_admin(admin_client, admin_user):
    totp = totp_device(admin_user)
    backup = StaticDevice.objects.create(user=admin_user, name="Backup codes")
    backup.token_set.create(token="zzzz7777")
    secrets_ = [
        totp.key,
        totp.key.upper(),
        totp.config_url.split("secret=")[1].split("&")[0],
        "zzzz7777",
    ]
    pages = [
        reverse("admin:otp_totp_totpdevice_changelist"),
        reverse("admin:otp_totp_totpdevice_change", args=[totp.pk]),
        reverse("admin:otp_static_staticdevice_changelist"),
        reverse("admin:otp_static_staticdevice_change", args=[backup.pk]),
    ]
    for url in pages:
        response = admin_client.get(url)
        assert response.status_code == 200, url
        html = response.content.decode()
        for secret in secrets_:
            assert secret not in html, url
    for view in ("otp_totp_totpdevice_config", "otp_totp_totpdevice_qrcode"):
        assert admin_client.get(reverse(f"admin:{view}", args=[totp.pk])).status_code == 403


def test_create_admin_prints_the_enrolment_once(capsys, monkeypatch):
    monkeypatch.setenv("FIRST_ADMIN_PASSWORD", "correct horse battery staple")
    call_command(
        "create_admin",
        username="therapist",
        email="t@example.test",
        password_from_env="FIRST_ADMIN_PASSWORD",
    )
    out = capsys.readouterr().out
    user = get_user_model().objects.get(username="therapist")
    assert user.is_superuser and user.is_staff
    device = TOTPDevice.objects.get(user=user)
    assert device.config_url in out
    assert "otpauth://totp/" in out
    assert "█" in out or "▀" in out  # the QR code
    codes = set(StaticToken.objects.filter(device__user=user).values_list("token", flat=True))
    assert len(codes) == 10
    assert codes <= set(re.findall(r"^\s+([a-z2-7]{8})$", out, re.MULTILINE))

    client = Client()
    assert (
        sign_in(
            client, password="correct horse battery staple", code=current_code(device)
        ).status_code
        == 302
    )
    assert signed_in(client)


def test_create_admin_refuses_a_weak_password_and_an_existing_name(monkeypatch, therapist):
    monkeypatch.setenv("WEAK", "password")
    with pytest.raises(CommandError, match=r"too common|too short"):
        call_command(
            "create_admin", username="new", email="n@example.test", password_from_env="WEAK"
        )
    with pytest.raises(CommandError, match="already exists"):
        call_command(
            "create_admin", username="therapist", email="t@example.test", password_from_env="WEAK"
        )
    assert not get_user_model().objects.filter(username="new").exists()


def test_create_admin_can_replace_a_lost_authenticator(capsys, therapist):
    old = totp_device(therapist)
    old_code = current_code(old)
    call_command("create_admin", username="therapist", reset_two_factor=True, no_qr=True)
    new = TOTPDevice.objects.get(user=therapist)
    assert new.pk != old.pk
    assert new.config_url in capsys.readouterr().out
    assert therapist.check_password(PASSWORD)  # the password stays

    lost_phone = Client()
    sign_in(lost_phone, code=old_code)
    assert not signed_in(lost_phone)
    # django-otp pauses a device for a second after a wrong code.
    with time_machine.travel(timedelta(seconds=2)):
        assert sign_in(Client(), code=current_code(new)).status_code == 302
