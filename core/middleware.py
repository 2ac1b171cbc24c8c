"""Middleware: the health check that runs before everything else, security headers, and
the refusal of methods, query strings and bodies that no page can use."""

from csp.middleware import CSPMiddleware
from django.conf import settings
from django.core.exceptions import SuspiciousOperation
from django.http import HttpResponseNotAllowed
from django.utils import timezone

from .models import PracticeProfile
from .views import healthz, request_too_large


class HealthCheckMiddleware:
    """Answer /healthz before host validation and HTTPS redirects.

    Load balancers and the container HEALTHCHECK call it by IP over plain HTTP,
    which ALLOWED_HOSTS and SECURE_SSL_REDIRECT would otherwise refuse.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path == "/healthz":
            return healthz(request)
        return self.get_response(request)


class ContentSecurityPolicyMiddleware(CSPMiddleware):
    """django-csp's middleware, plus the admin's few needs under ADMIN_URL only.

    The admin templates set style attributes, which the site's own policy refuses;
    CONTENT_SECURITY_POLICY_ADMIN_UPDATE adds what they need to the admin's responses
    and nowhere else.
    """

    def get_policy_parts(self, request, response, report_only=False):
        parts = super().get_policy_parts(request, response, report_only)
        admin_update = getattr(settings, "CONTENT_SECURITY_POLICY_ADMIN_UPDATE", None)
        if (
            admin_update
            and not report_only
            and parts.update is None
            and request.path_info.startswith("/" + settings.ADMIN_URL)
        ):
            parts.update = admin_update
        return parts


# Browser features no page of the site may use, sent as `feature=()`.
PERMISSIONS_DENIED = [
    "accelerometer",
    "autoplay",
    "browsing-topics",
    "camera",
    "display-capture",
    "encrypted-media",
    "fullscreen",
    "geolocation",
    "gyroscope",
    "magnetometer",
    "microphone",
    "midi",
    "payment",
    "picture-in-picture",
    "publickey-credentials-get",
    "screen-wake-lock",
    "usb",
    "xr-spatial-tracking",
]


class SecurityHeadersMiddleware:
    """The security headers Django has no setting for, on every response.

    Placed before WhiteNoise, so static files get them too. Under ADMIN_URL, also
    X-Robots-Tag: search engines keep the admin out of their results without robots.txt
    having to name its address.
    """

    headers = {
        # No other site may embed the site's files.
        "Cross-Origin-Resource-Policy": "same-origin",
        "Permissions-Policy": ", ".join(f"{feature}=()" for feature in PERMISSIONS_DENIED),
    }

    def __init__(self, get_response):
        self.get_response = get_response
        self.admin_prefix = "/" + settings.ADMIN_URL

    def __call__(self, request):
        response = self.get_response(request)
        for name, value in self.headers.items():
            response.headers.setdefault(name, value)
        if request.path_info.startswith(self.admin_prefix):
            response.headers["X-Robots-Tag"] = "noindex, nofollow"
        return response


class AdminTimeZoneMiddleware:
    """In the admin, show and read every date and time in the practice's time zone.

    Django renders and parses datetimes in the current time zone, UTC by default: without
    this, a publish date typed as 9:00 would mean 9:00 UTC, not the therapist's 9:00.
    """

    def __init__(self, get_response):
        self.get_response = get_response
        self.prefix = "/" + settings.ADMIN_URL

    def __call__(self, request):
        if not request.path.startswith(self.prefix):
            return self.get_response(request)
        with timezone.override(PracticeProfile.load().tz):
            return self.get_response(request)


class AllowedMethodsMiddleware:
    """405 for any method but GET, HEAD and POST, on every page, the admin's included.

    Each public view also names its own (require_safe, require_http_methods); this covers
    the views that do not, such as the admin's, which would otherwise answer TRACE, PUT
    or DELETE with the page itself.
    """

    allowed = ("GET", "HEAD", "POST")

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.method not in self.allowed:
            return HttpResponseNotAllowed(self.allowed)
        return self.get_response(request)


class MalformedQuery(SuspiciousOperation):
    """Django answers a SuspiciousOperation with 400 (the site's own 400 page)."""


# The admin's date drill-down (date_hierarchy) builds a date from these; Django lets an
# out-of-range one fail with a 500 (OverflowError, or a year past 9999).
ADMIN_DATE_PARTS = {"__year": range(1, 9999), "__month": range(1, 13), "__day": range(1, 32)}


def _malformed(request, admin_prefix):
    for key, values in request.GET.lists():
        if "\x00" in key or any("\x00" in value for value in values):
            return "A query string held a NUL character."
        if not request.path_info.startswith(admin_prefix):
            continue
        for suffix, allowed in ADMIN_DATE_PARTS.items():
            if key.endswith(suffix) and not all(
                value.isascii() and value.isdigit() and len(value) < 6 and int(value) in allowed
                for value in values
            ):
                return f"An admin date filter ({suffix[2:]}) was out of range."
    return None


class RejectMalformedQueryMiddleware:
    """Answer 400 to a query string no page can use, on every page.

    A NUL character: PostgreSQL refuses text that holds one, so it would otherwise
    reach a query (an admin list filter, the admin's search) and fail there with a 500.
    Under the admin, a date drill-down value out of the calendar's range. Form bodies
    need no such guard: Django's form fields refuse NUL characters with a message.
    """

    def __init__(self, get_response):
        self.get_response = get_response
        self.admin_prefix = "/" + settings.ADMIN_URL

    def __call__(self, request):
        problem = _malformed(request, self.admin_prefix)
        if problem:
            raise MalformedQuery(problem)
        return self.get_response(request)


class RequestBodyLimitMiddleware:
    """Answer 413 to a body larger than the page could need, before reading any of it.

    Django would otherwise read it to find the CSRF token (any visitor has the cookie),
    writing a file part to disk as it goes. Content-Length is what counts: a body sent
    without one (chunked) is never read by Django at all.
    """

    def __init__(self, get_response):
        self.get_response = get_response
        self.admin_prefix = "/" + settings.ADMIN_URL

    def __call__(self, request):
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        admin = request.path_info.startswith(self.admin_prefix)
        limit = settings.MAX_ADMIN_REQUEST_BODY if admin else settings.MAX_REQUEST_BODY
        if length > limit:
            return request_too_large(request)
        return self.get_response(request)
