"""Create the first admin account, with its authenticator app and backup codes.

    python manage.py create_admin --username NAME --email ADDRESS
    python manage.py create_admin --username NAME --email ADDRESS --password-from-env VAR
    python manage.py create_admin --username NAME --reset-two-factor   (a lost phone)

Prints the otpauth:// address and a QR code to scan with an authenticator app, and
ten one-time backup codes. They are shown once: the admin never displays them.
"""

import getpass
import io
import os

import segno
from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

BACKUP_CODES = 10


class Command(BaseCommand):
    help = "Create an admin account with two-factor sign-in, and print how to enrol it."

    def add_arguments(self, parser):
        parser.add_argument("--username", help="Asked for when left out.")
        parser.add_argument("--email", help="Asked for when left out.")
        parser.add_argument(
            "--password-from-env",
            metavar="VAR",
            help="Read the password from this environment variable instead of asking.",
        )
        parser.add_argument(
            "--reset-two-factor",
            action="store_true",
            help="For an existing account: replace its authenticator and backup codes "
            "(for a lost phone). The password stays as it is.",
        )
        parser.add_argument("--no-qr", action="store_true", help="Leave out the QR code.")

    def handle(self, *args, **options):
        User = get_user_model()
        username = options["username"] or self._ask("Username: ")
        if options["reset_two_factor"]:
            try:
                user = User.objects.get(username=username)
            except User.DoesNotExist:
                raise CommandError(f"There is no account named {username!r}.") from None
        else:
            if User.objects.filter(username=username).exists():
                raise CommandError(
                    f"An account named {username!r} already exists. To give it a new "
                    "authenticator, run this again with --reset-two-factor."
                )
            email = options["email"] or self._ask("Email: ")
            password = self._password(options["password_from_env"], User(username=username))
            user = None

        with transaction.atomic():
            if user is None:
                user = User.objects.create_superuser(username, email, password)
            TOTPDevice.objects.filter(user=user).delete()
            StaticDevice.objects.filter(user=user).delete()
            totp = TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=True)
            backup = StaticDevice.objects.create(user=user, name="Backup codes", confirmed=True)
            codes = [StaticToken.random_token() for _ in range(BACKUP_CODES)]
            StaticToken.objects.bulk_create(StaticToken(device=backup, token=c) for c in codes)

        self._enrolment(user, totp.config_url, codes, qr=not options["no_qr"])

    def _ask(self, prompt):
        try:
            value = input(prompt).strip()
        except EOFError:
            value = ""
        if not value:
            raise CommandError(f"{prompt.rstrip(': ')} is required.")
        return value

    def _password(self, env_var, user):
        if env_var:
            password = os.environ.get(env_var, "")
            if not password:
                raise CommandError(f"The environment variable {env_var} is empty or unset.")
        else:
            password = getpass.getpass("Password: ")
            if password != getpass.getpass("Password (again): "):
                raise CommandError("The two passwords differ.")
        try:
            validate_password(password, user)
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from None
        return password

    def _enrolment(self, user, url, codes, *, qr):
        out = self.stdout
        out.write(self.style.SUCCESS(f"Admin account {user.get_username()!r} is ready."))
        out.write("")
        out.write("1. Add it to an authenticator app (for example the one on your phone):")
        out.write("   scan this QR code, or enter the address below by hand.")
        out.write("")
        if qr:
            picture = io.StringIO()
            segno.make(url, error="m").terminal(out=picture, compact=True)
            out.write(picture.getvalue(), ending="")
            out.write("")
        out.write(f"   {url}")
        out.write("")
        out.write("2. Keep these backup codes somewhere safe, away from the phone. Each works")
        out.write("   once, in place of the app's code, if the phone is lost:")
        out.write("")
        for code in codes:
            out.write(f"   {code}")
        out.write("")
        out.write("They are shown only now. To sign in: the username, the password, and the")
        out.write("6-digit code the app shows (or one backup code).")
