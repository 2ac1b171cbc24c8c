"""The admin site: two-factor sign-in for every account, and lockout after failures;
the therapist's home screen, their account page and one place for security.

Signing in needs the password and a code from an authenticator app (or a one-time
backup code). Whatever was wrong (the username, the password, the code, or a missing
code), the answer is the same single message: a right password must never be
confirmable without the second factor. A wrong or missing code counts as a failed login
for django-axes, like a wrong password, so guessing codes locks the account out just as
guessing passwords does. A forgotten password is reset by a link emailed through the
outbox; the code is still needed afterwards. A lost phone: sign in with a backup code,
then set up the new phone from "Your account".
"""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import PasswordResetForm
from django.contrib.auth.signals import user_login_failed
from django.db import transaction
from django.forms import CharField, Form, PasswordInput, ValidationError
from django.shortcuts import redirect
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.urls import path
from django.utils.decorators import method_decorator
from django.utils.safestring import mark_safe
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST
from django_otp import login as otp_login
from django_otp.admin import OTPAdminAuthenticationForm, OTPAdminSite
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from . import ratelimit

BACKUP_CODES = 10
NEW_AUTHENTICATOR = "New authenticator (not confirmed yet)"

# Django's own tables that the therapist never needs day to day: reached from the
# "Security" page, not listed on the home screen or in the side menu.
SECURITY_APPS = ("auth", "axes", "otp_totp", "otp_static")
# The home screen's order: the practice first, the website next, the profile last.
APP_ORDER = ("consults", "blog", "core")
MODEL_ORDER = (
    "ConsultRequest",
    "TimeOff",
    "WeeklyHours",
    "BookingRules",
    "OutboundEmail",
)


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


def backup_codes_left(user):
    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()


def new_backup_codes(user):
    """Replace the user's backup codes with BACKUP_CODES new ones; returns them."""
    with transaction.atomic():
        StaticDevice.objects.filter(user=user).delete()
        device = StaticDevice.objects.create(user=user, name="Backup codes", confirmed=True)
        codes = [StaticToken.random_token() for _ in range(BACKUP_CODES)]
        StaticToken.objects.bulk_create(StaticToken(device=device, token=c) for c in codes)
    return codes


class PasswordAgainForm(Form):
    """The password again before changing the second factor, so a session left open on
    a shared computer cannot take it over."""

    password = CharField(
        label="Your password",
        strip=False,
        widget=PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    def __init__(self, *args, user, **kwargs):
        self.user = user
        super().__init__(*args, **kwargs)

    def clean_password(self):
        if not self.user.check_password(self.cleaned_data["password"]):
            raise ValidationError("That is not your password. Please type it again.")
        return ""


class NewAuthenticatorForm(PasswordAgainForm):
    otp_token = CharField(
        label="The 6-digit code the new app shows",
        max_length=6,
        min_length=6,
    )
    field_order = ["otp_token", "password"]

    def __init__(self, *args, device, **kwargs):
        self.device = device
        super().__init__(*args, user=device.user, **kwargs)
        self.fields["otp_token"].widget.attrs.update(
            {"autocomplete": "one-time-code", "inputmode": "numeric"}
        )

    def clean(self):
        data = super().clean()
        if self.errors:  # a code is used up once checked: check it only with the password
            return data
        token = data["otp_token"].strip()
        allowed, _ = self.device.verify_is_allowed()
        if not allowed:  # django-otp waits longer after each wrong code
            self.add_error(
                "otp_token",
                "Several codes did not match in a row. Wait a few seconds, then type the "
                "code the app shows now.",
            )
        elif not self.device.verify_token(token):
            self.add_error(
                "otp_token",
                "That code did not match. Check the app shows “Practice admin” for this "
                "site, and type the code it shows now.",
            )
        return data


def _qr_svg(url):
    # An inline <svg> element, not an image from another origin or a data: address,
    # so the admin's strict CSP holds.
    import segno

    return mark_safe(segno.make(url, error="m").svg_inline(scale=4, dark="#000", light="#fff"))  # noqa: S308 - drawn by segno from our own address


class OutboxPasswordResetForm(PasswordResetForm):
    """Django's reset form, with the link written to the outbox (delivered and retried
    like every other email) instead of sent during the request."""

    def send_mail(
        self,
        subject_template_name,
        email_template_name,
        context,
        from_email,
        to_email,
        html_email_template_name=None,
    ):
        # The outbox is the consults app's; the reset is the one email outside it.
        from consults import outbox
        from consults.models import OutboundEmail

        subject = "".join(render_to_string(subject_template_name, context).splitlines())
        outbox.enqueue(
            kind=OutboundEmail.Kind.PASSWORD_RESET,
            to=to_email,
            subject=subject,
            body_text=render_to_string(email_template_name, context),
        )


class PasswordResetView(auth_views.PasswordResetView):
    """Forgot your password: a link by email, at most a few per address and hour, so
    the form cannot be used to flood the therapist's inbox."""

    form_class = OutboxPasswordResetForm
    email_template_name = "admin/password_reset_email.txt"
    subject_template_name = "admin/password_reset_subject.txt"
    extra_email_context = {"site_url": settings.SITE_URL}

    def form_valid(self, form):
        retry_after = ratelimit.client_limit(
            self.request, "password_reset", "PASSWORD_RESET_RATE_LIMIT"
        )
        if retry_after:
            return ratelimit.too_many_requests(
                self.request, "admin/password_reset_limited.html", retry_after
            )
        return super().form_valid(form)


class PracticeAdminSite(OTPAdminSite):
    """Django's admin, reachable only by staff verified with a second factor."""

    site_header = "Practice admin"
    site_title = "Practice admin"
    index_title = "Your practice"
    login_form = TwoFactorLoginForm
    login_template = "admin/otp_login.html"
    index_template = "admin/practice_home.html"

    def __init__(self, name="admin"):
        # OTPAdminSite defaults to the name "otpadmin"; every reverse("admin:…") needs "admin".
        super().__init__(name)

    def get_app_list(self, request, app_label=None):
        apps = super().get_app_list(request, app_label)
        if app_label is not None:
            return apps
        apps = [app for app in apps if app["app_label"] not in SECURITY_APPS]
        for app in apps:
            app["models"].sort(
                key=lambda m: (
                    MODEL_ORDER.index(m["object_name"])
                    if m["object_name"] in MODEL_ORDER
                    else len(MODEL_ORDER)
                )
            )
        return sorted(
            apps,
            key=lambda app: (
                APP_ORDER.index(app["app_label"])
                if app["app_label"] in APP_ORDER
                else len(APP_ORDER)
            ),
        )

    def get_urls(self):
        return [
            path("account/", self.admin_view(self.account_view), name="account"),
            path(
                "account/authenticator/",
                self.admin_view(self.authenticator_view),
                name="account_authenticator",
            ),
            path(
                "account/backup-codes/",
                self.admin_view(require_POST(self.backup_codes_view)),
                name="account_backup_codes",
            ),
            path("security/", self.admin_view(self.security_view), name="security"),
            *super().get_urls(),
        ]

    def _page(self, request, template, title, **context):
        context = {**self.each_context(request), "title": title, **context}
        return TemplateResponse(request, template, context)

    def account_view(self, request, codes_form=None):
        user = request.user
        return self._page(
            request,
            "admin/account.html",
            "Your account",
            authenticators=TOTPDevice.objects.devices_for_user(user),
            backup_codes_left=backup_codes_left(user),
            backup_codes=BACKUP_CODES,
            codes_form=codes_form or PasswordAgainForm(user=user),
        )

    @method_decorator(never_cache)
    def authenticator_view(self, request):
        """Replace the authenticator: a new key, confirmed by one code from the new app;
        only then is the old one removed, so there is never a moment with none."""
        user = request.user
        device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
        if device is None:
            device = TOTPDevice.objects.create(user=user, name=NEW_AUTHENTICATOR, confirmed=False)
        form = NewAuthenticatorForm(request.POST or None, device=device)
        if request.method == "POST" and form.is_valid():
            with transaction.atomic():
                TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
                device.name = "Authenticator app"
                device.confirmed = True
                device.save(update_fields=["name", "confirmed"])
            otp_login(request, device)
            messages.success(
                request,
                "Your new authenticator is set up. From now on, sign in with the code it shows.",
            )
            return redirect("admin:account")
        return self._page(
            request,
            "admin/account_authenticator.html",
            "Set up a new authenticator",
            form=form,
            qr=_qr_svg(device.config_url),
            key=device.config_url.split("secret=")[1].split("&")[0],
        )

    @method_decorator(never_cache)
    def backup_codes_view(self, request):
        form = PasswordAgainForm(request.POST, user=request.user)
        if not form.is_valid():
            return self.account_view(request, codes_form=form)
        # Shown once, on this answer only: never stored anywhere they can be read back.
        return self._page(
            request,
            "admin/account_backup_codes.html",
            "Your new backup codes",
            codes=new_backup_codes(request.user),
        )

    def security_view(self, request):
        links = []
        for app in super().get_app_list(request):
            if app["app_label"] in SECURITY_APPS:
                links.extend(app["models"])
        return self._page(request, "admin/security.html", "Security", models=links)


def password_reset_urls(prefix):
    """The "forgot your password" pages, under the admin's address (Django's names)."""
    context = {"site_header": PracticeAdminSite.site_header, "site_title": "Practice admin"}
    return [
        path(
            f"{prefix}password_reset/",
            PasswordResetView.as_view(extra_context=context),
            name="admin_password_reset",
        ),
        path(
            f"{prefix}password_reset/done/",
            auth_views.PasswordResetDoneView.as_view(extra_context=context),
            name="password_reset_done",
        ),
        path(
            f"{prefix}reset/<uidb64>/<token>/",
            auth_views.PasswordResetConfirmView.as_view(extra_context=context),
            name="password_reset_confirm",
        ),
        path(
            f"{prefix}reset/done/",
            auth_views.PasswordResetCompleteView.as_view(extra_context=context),
            name="password_reset_complete",
        ),
    ]
