"""Project settings, read from the environment (see .env.example for every variable).

With DEBUG off (the default) the site refuses to start without SECRET_KEY and
ALLOWED_HOSTS; with DEBUG on, safe local defaults apply.
"""

from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()

DEBUG = env.bool("DEBUG", default=False)


def _required_in_production(name, local_default):
    value = env(name, default=None)
    if value:
        return value
    if DEBUG:
        return local_default
    raise ImproperlyConfigured(
        f"{name} must be set when DEBUG is off. See .env.example for what it means."
    )


SECRET_KEY = _required_in_production("SECRET_KEY", "local-development-only-not-a-secret")
ALLOWED_HOSTS = [
    host.strip()
    for host in _required_in_production("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]").split(",")
    if host.strip()
]
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

SITE_URL = env("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")
ADMIN_URL = env("ADMIN_URL", default="admin/").strip("/") + "/"

INSTALLED_APPS = [
    "core.apps.PracticeAdminConfig",  # django.contrib.admin, with two-factor sign-in
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.sitemaps",
    "django.contrib.postgres",
    "crispy_forms",
    "crispy_bootstrap5",
    "csp",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "axes",
    "reversion",
    "django_prose_editor",
    "core",
    "blog",
    "consults",
]

MIDDLEWARE = [
    "core.middleware.HealthCheckMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Before WhiteNoise, which answers static files itself: they get these headers too.
    "core.middleware.ContentSecurityPolicyMiddleware",
    "core.middleware.SecurityHeadersMiddleware",
    # Only GET, HEAD and POST reach any view (405 otherwise).
    "core.middleware.AllowedMethodsMiddleware",
    # A NUL in a query string is a 400 here, never a 500 from PostgreSQL later.
    "core.middleware.RejectMalformedQueryMiddleware",
    # An oversized body is a 413 before a byte of it is read (MAX_REQUEST_BODY).
    "core.middleware.RequestBodyLimitMiddleware",
    # A calm 503 page while PostgreSQL is away; inside the header middleware, so it has them.
    "core.resilience.DatabaseUnavailableMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Django's page cache (core.pages): above everything that sets Vary, so it sees it.
    "core.pages.UpdateCacheMiddleware",
    # Django's GZip middleware pads its output against BREACH, and CSRF tokens are masked
    # per response.
    "django.middleware.gzip.GZipMiddleware",
    # ETags and 304s, on the uncompressed body (inside GZip, as Django's docs order it).
    "django.middleware.http.ConditionalGetMiddleware",
    "core.resilience.SessionMiddleware",  # Django's, with a 503 if the database is away
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "core.middleware.AdminTimeZoneMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",
    # Last, as Django's docs require: a kept page is answered from here.
    "core.pages.FetchFromCacheMiddleware",
]

ROOT_URLCONF = "practice.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "core.context_processors.practice",
                "consults.context_processors.example_hours",
            ],
        },
    },
]

WSGI_APPLICATION = "practice.wsgi.application"

# PostgreSQL only. `make run` and `make test` start a private server and set
# DATABASE_URL when it is unset (scripts/localpg.py).
DATABASES = {
    "default": env.db_url("DATABASE_URL", default="postgres://practice@127.0.0.1/practice")
}
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DATABASES["default"].setdefault("OPTIONS", {})["connect_timeout"] = 5

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# django-axes checks every sign-in before the password does.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"  # storage and logs; pages use the practice profile's time zone
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env("MEDIA_ROOT", default=str(BASE_DIR / "var" / "media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# The largest request body accepted, in bytes: a public form is a few KB; under
# ADMIN_URL the therapist uploads images. A larger one is refused with 413 before any of
# it is read (core.middleware.RequestBodyLimitMiddleware), whatever the CSRF check would
# say; deploy/nginx.conf.template refuses the same sizes before Django sees them.
MAX_REQUEST_BODY = 64 * 1024
MAX_ADMIN_REQUEST_BODY = 10 * 1024 * 1024
# Whatever is accepted stays in memory: an upload is never written to a temporary file.
FILE_UPLOAD_MAX_MEMORY_SIZE = MAX_ADMIN_REQUEST_BODY
DATA_UPLOAD_MAX_MEMORY_SIZE = MAX_ADMIN_REQUEST_BODY

# Email. EMAIL_URL such as smtp://user:pass@host:587/?tls=True; locally the
# console. Mail is queued in the database and delivered by the worker process.
EMAIL_CONFIG = env.email_url(
    "EMAIL_URL", default="consolemail://" if DEBUG else "smtp://localhost:25"
)
_email_options = {k.upper(): str(v).lower() for k, v in EMAIL_CONFIG.get("OPTIONS", {}).items()}
EMAIL_BACKEND = EMAIL_CONFIG["EMAIL_BACKEND"]
EMAIL_HOST = EMAIL_CONFIG.get("EMAIL_HOST") or "localhost"
EMAIL_PORT = EMAIL_CONFIG.get("EMAIL_PORT") or 25
EMAIL_HOST_USER = EMAIL_CONFIG.get("EMAIL_HOST_USER") or ""
EMAIL_HOST_PASSWORD = EMAIL_CONFIG.get("EMAIL_HOST_PASSWORD") or ""
EMAIL_USE_TLS = bool(EMAIL_CONFIG.get("EMAIL_USE_TLS")) or _email_options.get("TLS") == "true"
EMAIL_USE_SSL = bool(EMAIL_CONFIG.get("EMAIL_USE_SSL")) or _email_options.get("SSL") == "true"
EMAIL_FILE_PATH = EMAIL_CONFIG.get("EMAIL_FILE_PATH") or str(BASE_DIR / "var" / "mail")
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=30)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="practice@localhost")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
THERAPIST_EMAIL = env("THERAPIST_EMAIL", default="therapist@localhost")

# The therapist's own calendars (consults.calendars). Their addresses and passwords are
# encrypted with CALENDAR_KEY: one or more Fernet keys, comma separated, the first
# encrypting and all decrypting (so a key can be rotated). Unset, a key is derived from
# SECRET_KEY, and changing SECRET_KEY then means entering the calendars again.
CALENDAR_KEY = env("CALENDAR_KEY", default="")
# A calendar not read successfully for this long stops open times on the days it covers.
CALENDAR_STALE_AFTER = timedelta(minutes=env.int("CALENDAR_STALE_MINUTES", default=120))
CALENDAR_TIMEOUT = env.float("CALENDAR_TIMEOUT", default=15)
CALENDAR_MAX_BYTES = env.int("CALENDAR_MAX_BYTES", default=10 * 1024 * 1024)
# Tests only: allow plain http and loopback or private addresses (local servers). Off,
# an address that resolves to such a network is refused (server-side request forgery).
CALENDAR_ALLOW_LOCAL = False

# A consult form sent sooner than this after it was shown is taken for a bot's. Bots
# post at once; a person takes many seconds; a browser test script about one second.
CONSULT_MIN_SECONDS = env.float("CONSULT_MIN_SECONDS", default=0.5)

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# HTTPS and cookies. Behind a proxy that terminates TLS, it must set X-Forwarded-Proto.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SECURE_HSTS_SECONDS = 0 if DEBUG else 63072000
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = not DEBUG
SECURE_CONTENT_TYPE_NOSNIFF = True
# No other site learns that a visitor came from this one, not even its address.
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
# Cross-Origin-Resource-Policy and Permissions-Policy: core.middleware.SecurityHeadersMiddleware.
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = 60 * 60 * 12  # an admin sign-in lasts a working day, not two weeks
X_FRAME_OPTIONS = "DENY"
# A form sent without its cookie, or from an old tab: a page in the site's layout that
# says so in plain words, instead of Django's bare one.
CSRF_FAILURE_VIEW = "core.views.csrf_failure"

# Content-Security-Policy (django-csp). Nothing from another origin, no inline script or
# style, no plugins, no framing, forms post only here. The JSON-LD blocks are data, not
# script, so they need no nonce.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'none'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "manifest-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
        "upgrade-insecure-requests": not DEBUG,
    }
}
# Added under ADMIN_URL only (core.middleware.ContentSecurityPolicyMiddleware): the
# admin's templates use style attributes. Scripts stay as strict as everywhere else.
CONTENT_SECURITY_POLICY_ADMIN_UPDATE = {"style-src-attr": ["'unsafe-inline'"]}

# The real client address behind this many proxies that append to X-Forwarded-For
# (core.clientip). 0: no proxy, REMOTE_ADDR is the client.
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)

# Admin sign-in: a lockout after repeated failures (django-axes), keyed on the username
# together with the client address, and two-factor codes (django-otp).
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_CLIENT_IP_CALLABLE = "core.clientip.client_ip"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "admin/locked_out.html"
AXES_ALLOWED_CORS_ORIGINS = SITE_URL
OTP_TOTP_ISSUER = urlsplit(SITE_URL).hostname or "practice"
OTP_ADMIN_HIDE_SENSITIVE_DATA = True  # no TOTP key, QR code or backup code on admin pages
# "Forgot your password?": the emailed link works for two hours, and one client address
# may ask a few times an hour (core.admin_site.PasswordResetView). The code is still needed.
PASSWORD_RESET_TIMEOUT = 2 * 60 * 60
PASSWORD_RESET_RATE_LIMIT = (5, 3600)
LOGIN_URL = "admin:login"

# Shared by every worker and instance: the database (tables made by core's migrations),
# never one process's memory. Rate limits have their own table, so culling the default
# cache never resets a limit.
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.db.DatabaseCache",
        "LOCATION": "django_cache",
    },
    "ratelimit": {
        "BACKEND": "django.core.cache.backends.db.DatabaseCache",
        "LOCATION": "rate_limit_cache",
        "OPTIONS": {"MAX_ENTRIES": 100_000},
    },
}
# With REDIS_URL set, both live in Redis instead: shared by every process and instance
# just the same (its SET NX keeps the rate limit's slots atomic).
REDIS_URL = env("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {
        alias: {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": f"practice-{alias}",
        }
        for alias in CACHES
    }

# Public pages the same for every visitor, kept by Django's cache middleware in each
# process's memory, keyed by a version in the shared default cache that every content
# change replaces (core.pages). At most this long, so a scheduled article shows within
# a minute of its time.
CACHES["pages"] = {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "pages"}
CACHE_MIDDLEWARE_ALIAS = "pages"
CACHE_MIDDLEWARE_SECONDS = 60
CACHE_MIDDLEWARE_KEY_PREFIX = ""

# Consult requests accepted from one client address: "5/600" is five per 600 seconds.
# Locally (DEBUG) everyone is 127.0.0.1, so trying the form out gets more room.
_consult_limit = env("CONSULT_RATE_LIMIT", default="20/600" if DEBUG else "5/600")
CONSULT_RATE_LIMIT = (
    None
    if _consult_limit.strip().lower() in ("", "0", "off")
    else tuple(int(part) for part in _consult_limit.split("/", 1))
)

# Limits that keep the calendar and the mail server out of a bot's hands (consults.booking).
# One network (an IPv4 address, an IPv6 /64) holds at most this many unconfirmed times.
CONSULT_NETWORK_HOLDS = env.int("CONSULT_NETWORK_HOLDS", default=3)
# A visitor can move one request at most this many times; then the page says to get in touch.
CONSULT_MAX_MOVES = env.int("CONSULT_MAX_MOVES", default=3)
# No address gets more than this many emails a day that the therapist did not send by hand.
CONSULT_EMAILS_PER_DAY = env.int("CONSULT_EMAILS_PER_DAY", default=5)
# A booking form (and its submission key) works for this long after it was shown.
CONSULT_FORM_MAX_AGE = env.int("CONSULT_FORM_MAX_AGE", default=60 * 60 * 24)

# Logs: JSON lines on stdout (core.jsonlog), plain text with LOG_FORMAT=plain. Paths
# only, never query strings, form values or email addresses; link tokens cut out.
LOG_SECRET_PATH_PREFIXES = ["/consult/manage/", "/consult/calendar/"]
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "json": {"()": "core.jsonlog.JsonFormatter"},
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "stream": "ext://sys.stdout",
            "formatter": env("LOG_FORMAT", default="plain" if DEBUG else "json"),
        }
    },
    "loggers": {
        "django.server": {"handlers": ["console"], "level": "INFO", "propagate": False},
        "axes.apps": {"level": "WARNING"},  # no start-up banner in every command's output
    },
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
}
