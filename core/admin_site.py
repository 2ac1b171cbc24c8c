"""The admin site: two-factor sign-in for every account, and lockout after failures.

Signing in needs the password and a code from an authenticator app (or a one-time
backup code). Whatever was wrong (the username, the password, the code, or a missing
code), the answer is the same single message: a right password must never be
confirmable without the second factor. A wrong or missing code counts as a failed login
for django-axes, like a wrong password, so guessing codes locks the account out just as
guessing passwords does.
"""

from django.contrib.auth.signals import user_login_failed
from django.forms import ValidationError
from django_otp.admin import OTPAdminAuthenticationForm, OTPAdminSite
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice


class TwoFactorLoginForm(OTPAdminAuthenticationForm):
    sign_in_failed = (
        "Those details did not let you in. Check your username, your password and the "
        "code your authenticator app shows now (or a backup code), then try again."
    )

    def clean(self):
        try:
            return super().clean()
        except ValidationError as error:
            raise ValidationError(self.sign_in_failed, code="invalid_login") from error

    def _chosen_device(self, user):
        device = super()._chosen_device(user)
        if device is not None:
            return device
        # No device picked: six digits are an authenticator code, anything else a backup
        # code. Only that one device is tried, so a typo never throttles the other.
        token = (self.cleaned_data.get("otp_token") or "").strip()
        model = TOTPDevice if token.isdigit() and len(token) == 6 else StaticDevice
        return model.objects.devices_for_user(user).select_for_update().first()

    def _update_form(self, user):
        # django-otp would list the devices and echo the password back into the page for
        # a second try; the device is chosen from the code, and the password is retyped.
        pass

    def clean_otp(self, user):
        # Reached only with the right password (a wrong one has already failed, and been
        # counted, in authenticate()).
        try:
            return super().clean_otp(user)
        except ValidationError:
            user_login_failed.send(
                sender=__name__,
                credentials={"username": user.get_username()},
                request=self.request,
            )
            raise


class PracticeAdminSite(OTPAdminSite):
    """Django's admin, reachable only by staff verified with a second factor."""

    site_header = "Practice admin"
    site_title = "Practice admin"
    index_title = "Your website"
    login_form = TwoFactorLoginForm
    login_template = "admin/otp_login.html"

    def __init__(self, name="admin"):
        # OTPAdminSite defaults to the name "otpadmin"; every reverse("admin:…") needs "admin".
        super().__init__(name)
