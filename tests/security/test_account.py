"""The therapist's account: backup codes, a new authenticator, and a forgotten password,
each keeping the second factor."""

import re

import pytest
from django.conf import settings
from django.urls import reverse
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from consults.models import OutboundEmail
from tests.conftest import current_code, login_with_otp, totp_device
from tests.security.test_admin_login import PASSWORD, sign_in, signed_in

pytestmark = pytest.mark.django_db

ACCOUNT = reverse("admin:account")


@pytest.fixture
def therapist(django_user_model):
    user = django_user_model.objects.create_superuser("therapist", "t@example.test", PASSWORD)
    totp_device(user)
    return user


@pytest.fixture
def signed_in_client(client, therapist):
    return login_with_otp(client, therapist)


def test_backup_codes_left_and_new_ones_replace_the_old(signed_in_client, therapist):
    html = signed_in_client.get(ACCOUNT).content.decode()
    assert "0 backup codes left" in html
    wrong = signed_in_client.post(reverse("admin:account_backup_codes"), {"password": "nope"})
    assert "That is not your password" in wrong.content.decode()
    assert not StaticToken.objects.exists()
    response = signed_in_client.post(reverse("admin:account_backup_codes"), {"password": PASSWORD})
    codes = re.findall(r"<code>(\w+)</code>", response.content.decode())
    assert len(codes) == 10
    assert response["Cache-Control"].startswith("max-age=0")
    assert "10 backup codes left" in signed_in_client.get(ACCOUNT).content.decode()
    signed_in_client.post(reverse("admin:account_backup_codes"), {"password": PASSWORD})
    assert not StaticToken.objects.filter(token__in=codes).exists()


def test_a_new_authenticator_replaces_the_old_only_once_it_works(
    signed_in_client, therapist, settings
):
    settings.OTP_TOTP_THROTTLE_FACTOR = 0  # no pause after the wrong code below
    old = TOTPDevice.objects.get(user=therapist)
    url = reverse("admin:account_authenticator")
    html = signed_in_client.get(url).content.decode()
    assert "<svg" in html  # the QR code, drawn inline under the strict CSP
    new = TOTPDevice.objects.get(user=therapist, confirmed=False)

    response = signed_in_client.post(url, {"otp_token": "000000", "password": PASSWORD})
    assert "That code did not match" in response.content.decode()
    assert TOTPDevice.objects.filter(pk=old.pk).exists()

    without_password = signed_in_client.post(url, {"otp_token": current_code(new)})
    assert "This field is required" in without_password.content.decode()
    new.refresh_from_db()
    signed_in_client.post(url, {"otp_token": current_code(new), "password": PASSWORD})
    assert list(TOTPDevice.objects.filter(user=therapist)) == [new]
    new.refresh_from_db()
    assert new.confirmed
    assert signed_in_client.get(ACCOUNT).status_code == 200  # still signed in


def test_the_authenticator_cannot_be_deleted_on_its_own(signed_in_client, therapist):
    device = TOTPDevice.objects.get(user=therapist)
    url = reverse("admin:otp_totp_totpdevice_delete", args=[device.pk])
    assert signed_in_client.post(url, {"post": "yes"}).status_code == 403
    assert TOTPDevice.objects.filter(pk=device.pk).exists()


def test_forgot_password_sends_a_link_through_the_outbox_and_the_code_is_still_needed(
    client, therapist
):
    login = client.get(f"/{settings.ADMIN_URL}login/").content.decode()
    assert "Forgot your password?" in login
    client.post(reverse("admin_password_reset"), {"email": "t@example.test"})
    email = OutboundEmail.objects.get(kind=OutboundEmail.Kind.PASSWORD_RESET)
    assert email.to == "t@example.test"
    link = re.search(r"https?://\S+/reset/\S+/", email.body_text).group(0)
    path = "/" + link.split("/", 3)[3]

    form_page = client.get(path, follow=True)
    new_password = "a-brand-new-password-2"
    client.post(
        form_page.redirect_chain[-1][0],
        {"new_password1": new_password, "new_password2": new_password},
    )
    assert not signed_in(client), "a reset does not sign in"
    sign_in(client, password=new_password)
    assert not signed_in(client), "the password alone is never enough"
    device = TOTPDevice.objects.get(user=therapist)
    sign_in(client, password=new_password, code=current_code(device))
    assert signed_in(client)


def test_no_reset_email_for_an_unknown_address(client, therapist):
    response = client.post(reverse("admin_password_reset"), {"email": "who@example.net"})
    assert response.status_code == 302  # the same answer, so addresses cannot be probed
    assert not OutboundEmail.objects.exists()


def test_reset_requests_are_limited_per_client(client, therapist, settings):
    settings.PASSWORD_RESET_RATE_LIMIT = (2, 3600)
    for _ in range(2):
        client.post(reverse("admin_password_reset"), {"email": "t@example.test"})
    response = client.post(reverse("admin_password_reset"), {"email": "t@example.test"})
    assert response.status_code == 429
    assert OutboundEmail.objects.count() == 2
