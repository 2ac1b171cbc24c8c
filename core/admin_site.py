"""The admin site: two-factor sign-in for every account, and lockout after failures.

Signing in needs the password and a code from an authenticator app (or a one-time
backup code). A wrong code counts as a failed login for django-axes, like a wrong
password, so guessing codes locks the account out just as guessing passwords does.
"""

from django.contrib.auth.signals import user_login_failed
from django.forms import ValidationError
from django_otp.admin import OTPAdminAuthenticationForm, OTPAdminSite
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice


class TwoFactorLoginForm(OTPAdminAuthenticationForm):
    otp_error_messages = {
        **OTPAdminAuthenticationForm.otp_error_messages,
        "token_required": "Please enter the 6-digit code from your authenticator app, "
        "or one of your backup codes.",
        "invalid_token": "That code did not work. Codes change every 30 seconds: "
        "try the one your app shows now, or a backup code.",
        "device_required": "Please enter the 6-digit code from your authenticator app, "
        "or one of your backup codes.",
    }

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

    def _verify_token(self, user, token, device=None):
        try:
            return super()._verify_token(user, token, device)
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
