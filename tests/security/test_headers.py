"""Security headers on every kind of response, scored by the MDN HTTP Observatory's rules.

The scorer below follows the Observatory's published tests and score table
(github.com/mdn/mdn-http-observatory: src/analyzer/tests/*.js, src/grader/charts.js,
src/scanner/index.js) for what a single site can be judged on: CSP, cookies, CORS,
redirection, Referrer-Policy, HSTS, SRI, X-Content-Type-Options, X-Frame-Options and
CORP. The HSTS preload list is not consulted (our host is not on it: no bonus). Every
response starts at 100; bonuses count only when the penalties leave 90 or more; 100 or
more is A+.
"""

from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest
from django.conf import settings as django_settings
from django.test import Client

pytestmark = pytest.mark.django_db

ARTICLE = "/blog/when-closeness-feels-unsafe/"
OBSERVATORY_ORIGIN = "https://http-observatory.security.mozilla.org"

BROAD = {"ftp:", "http:", "https:", "*", "http://*", "http://*.*", "https://*", "https://*.*"}
UNSAFE_INLINE = {"'unsafe-inline'", "data:"}
NONCE_HASH = ("'sha256-", "'sha384-", "'sha512-", "'nonce-")


def parse_csp(header):
    """Directive name → set of sources; several policies in one header are merged."""
    policy = {}
    for one in header.split(","):
        for directive in one.split(";"):
            parts = directive.strip().split()
            if parts:
                policy.setdefault(parts[0].lower(), set()).update(p.lower() for p in parts[1:])
    return policy


def score_csp(response, https=True):
    header = response.headers.get("Content-Security-Policy")
    if not header:
        return "csp-not-implemented", -25, {}
    csp = parse_csp(header)
    default = csp.get("default-src")
    script = set(csp.get("script-src") or default or {"*"})
    style = set(csp.get("style-src") or default or {"*"})
    objects = set(csp.get("object-src") or default or {"*"})
    for sources in (script, style):
        if any(s.startswith(NONCE_HASH) for s in sources):
            sources.discard("'unsafe-inline'")
    if any(s.startswith(NONCE_HASH) for s in script) and "'strict-dynamic'" in script:
        script = {s for s in script if s not in ("'self'", "'unsafe-inline'") and s not in BROAD}
    active = [
        s
        for name, srcs in csp.items()
        if name not in ("img-src", "media-src", "script-src")
        for s in srcs
    ]
    active += list(script)
    passive = [s for name in ("img-src", "media-src") for s in (csp.get(name) or default or ())]
    insecure = ("http:", "ftp:")
    if script & (BROAD | UNSAFE_INLINE) or objects & BROAD:
        result = "csp-implemented-with-unsafe-inline", -20
    elif https and any(s.startswith(insecure) for s in active):
        result = "csp-implemented-with-insecure-scheme", -20
    elif "'unsafe-eval'" in script | style:
        result = "csp-implemented-with-unsafe-eval", -10
    elif https and any(s.startswith(insecure) for s in passive):
        result = "csp-implemented-with-insecure-scheme-in-passive-content-only", -10
    elif style & (BROAD | UNSAFE_INLINE):
        result = "csp-implemented-with-unsafe-inline-in-style-src-only", 0
    elif default == {"'none'"}:
        result = "csp-implemented-with-no-unsafe-default-src-none", 10
    else:
        result = "csp-implemented-with-no-unsafe", 5
    return (*result, csp)


def score_hsts(response):
    header = response.headers.get("Strict-Transport-Security")
    if not header:
        return "hsts-not-implemented", -20
    if "," in header:
        return "hsts-header-invalid", -20
    max_age = None
    for part in header.split(";"):
        part = part.strip().lower()
        if part.startswith("max-age="):
            max_age = int(part[8:])
    if max_age is None:
        return "hsts-header-invalid", -20
    if max_age < 15_552_000:
        return "hsts-implemented-max-age-less-than-six-months", -10
    return "hsts-implemented-max-age-at-least-six-months", 0


def score_cookies(response, hsts_ok):
    cookies = list(response.cookies.values())  # every Set-Cookie of the response
    if not cookies:
        return "cookies-not-found", 0
    order = [  # worst last, as the Observatory's "goodness" list
        "cookies-without-secure-flag-but-protected-by-hsts",
        "cookies-without-secure-flag",
        "cookies-session-without-secure-flag-but-protected-by-hsts",
        "cookies-samesite-flag-invalid",
        "cookies-anticsrf-without-samesite-flag",
        "cookies-session-without-httponly-flag",
        "cookies-session-without-secure-flag",
    ]
    modifiers = {
        "cookies-without-secure-flag-but-protected-by-hsts": -5,
        "cookies-without-secure-flag": -20,
        "cookies-session-without-secure-flag-but-protected-by-hsts": -10,
        "cookies-samesite-flag-invalid": -20,
        "cookies-anticsrf-without-samesite-flag": -20,
        "cookies-session-without-httponly-flag": -30,
        "cookies-session-without-secure-flag": -40,
    }
    worst = None

    def worse(result):
        nonlocal worst
        if worst is None or order.index(result) > order.index(worst):
            worst = result

    missing_samesite = False
    for morsel in cookies:
        key = morsel.key.lower()
        session = "login" in key or "sess" in key
        secure, httponly = bool(morsel["secure"]), bool(morsel["httponly"])
        samesite = str(morsel["samesite"]).lower()
        if samesite and samesite not in ("lax", "strict", "none"):
            worse("cookies-samesite-flag-invalid")
        if not secure and samesite == "none":
            worse("cookies-samesite-flag-invalid")
        if not secure:
            worse(
                "cookies-without-secure-flag-but-protected-by-hsts"
                if hsts_ok
                else "cookies-without-secure-flag"
            )
        if "csrf" in key and not samesite:
            worse("cookies-anticsrf-without-samesite-flag")
        if session and not secure:
            worse(
                "cookies-session-without-secure-flag-but-protected-by-hsts"
                if hsts_ok
                else "cookies-session-without-secure-flag"
            )
        if session and not httponly:
            worse("cookies-session-without-httponly-flag")
        missing_samesite = missing_samesite or not samesite
    if worst:
        return worst, modifiers[worst]
    if missing_samesite:
        return "cookies-secure-with-httponly-sessions", 0
    return "cookies-secure-with-httponly-sessions-and-samesite", 5


def score_cors(cors_response):
    acao = cors_response.headers.get("Access-Control-Allow-Origin")
    if not acao:
        return "cross-origin-resource-sharing-not-implemented", 0
    acao = acao.strip().lower()
    if acao == "*":
        return "cross-origin-resource-sharing-implemented-with-public-access", 0
    credentials = cors_response.headers.get("Access-Control-Allow-Credentials", "")
    if acao == OBSERVATORY_ORIGIN and credentials.strip().lower() == "true":
        return "cross-origin-resource-sharing-implemented-with-universal-access", -50
    return "cross-origin-resource-sharing-implemented-with-restricted-access", 0


def score_redirection(http_response, host):
    if http_response.status_code not in (301, 302, 303, 307, 308):
        return "redirection-missing", -20
    target = urlsplit(http_response["Location"])
    if target.scheme == "http":
        return "redirection-not-to-https-on-initial-redirection", -10
    if target.scheme != "https":
        return "redirection-not-to-https", -20
    if target.hostname != host:
        return "redirection-off-host-from-http", -5
    return "redirection-to-https", 0


def score_referrer(response):
    header = response.headers.get("Referrer-Policy")
    if not header:
        return "referrer-policy-not-implemented", 0
    good = ["no-referrer", "same-origin", "strict-origin", "strict-origin-when-cross-origin"]
    bad = ["origin", "origin-when-cross-origin", "unsafe-url", "no-referrer-when-downgrade"]
    valid = [p.strip().lower() for p in header.split(",") if p.strip().lower() in good + bad]
    if not valid:
        return "referrer-policy-header-invalid", -5
    if valid[-1] in good:
        return "referrer-policy-private", 5
    return "referrer-policy-unsafe", -5


class _Scripts(HTMLParser):
    def __init__(self):
        super().__init__()
        self.scripts = []

    def handle_starttag(self, tag, attrs):
        if tag == "script":
            self.scripts.append(dict(attrs))


def score_sri(response):
    if response.headers.get("Content-Type", "").split(";")[0] != "text/html":
        return "sri-not-implemented-response-not-html", 0
    parser = _Scripts()
    parser.feed(response.content.decode())
    if not parser.scripts:
        return "sri-not-implemented-but-no-scripts-loaded", 0
    worst = None
    for script in parser.scripts:
        src = script.get("src")
        if not src or (not src.startswith("//") and "://" not in src):
            continue  # inline data or same origin
        secure = src.startswith("https://")
        if script.get("integrity") and not secure:
            worst = worst or ("sri-implemented-but-external-scripts-not-loaded-securely", -20)
        elif not secure:
            return "sri-not-implemented-and-external-scripts-not-loaded-securely", -50
        elif not script.get("integrity"):
            worst = ("sri-not-implemented-but-external-scripts-loaded-securely", -5)
    return worst or ("sri-not-implemented-but-all-scripts-loaded-from-secure-origin", 0)


def score_nosniff(response):
    header = response.headers.get("X-Content-Type-Options")
    if not header:
        return "x-content-type-options-not-implemented", -5
    if header.strip().lower() != "nosniff":
        return "x-content-type-options-header-invalid", -5
    return "x-content-type-options-nosniff", 0


def score_framing(response, csp):
    if "frame-ancestors" in csp:
        return "x-frame-options-implemented-via-csp", 5
    header = (response.headers.get("X-Frame-Options") or "").strip().lower()
    if header in ("deny", "sameorigin"):
        return "x-frame-options-sameorigin-or-deny", 0
    if header.startswith("allow-from"):
        return "x-frame-options-allow-from-origin", 0
    if header:
        return "x-frame-options-header-invalid", -20
    return "x-frame-options-not-implemented", -20


def score_corp(response):
    header = (response.headers.get("Cross-Origin-Resource-Policy") or "").strip().lower()
    if not header:
        return "cross-origin-resource-policy-not-implemented", 0
    if header in ("same-origin", "same-site"):
        return f"cross-origin-resource-policy-implemented-with-{header}", 10
    if header == "cross-origin":
        return "cross-origin-resource-policy-implemented-with-cross-origin", 0
    return "cross-origin-resource-policy-header-invalid", -5


def observatory_score(path):
    """Fetch path as the Observatory does (HTTPS, plain HTTP, and with an Origin) and score it."""
    host = "testserver"
    https = Client().get(path, secure=True)
    assert 200 <= https.status_code < 300, (path, https.status_code)
    http = Client().get(path, secure=False)
    cors = Client().get(path, secure=True, headers={"Origin": OBSERVATORY_ORIGIN})
    csp_result, csp_modifier, csp = score_csp(https)
    hsts = score_hsts(https)
    results = [
        (csp_result, csp_modifier),
        score_cookies(https, hsts_ok=hsts[1] == 0),
        score_cors(cors),
        score_redirection(http, host),
        score_referrer(https),
        hsts,
        score_sri(https),
        score_nosniff(https),
        score_framing(https, csp),
        score_corp(https),
    ]
    penalties = sum(modifier for _, modifier in results if modifier < 0)
    bonuses = sum(modifier for _, modifier in results if modifier > 0)
    score = 100 + penalties + (bonuses if 100 + penalties >= 90 else 0)
    return score, dict(results)


@pytest.fixture
def production_https(settings):
    # As in production: plain HTTP is redirected (the test settings turn it off).
    settings.SECURE_SSL_REDIRECT = True


@pytest.mark.parametrize("path", ["/", ARTICLE, "/consult/", "admin-login"])
def test_observatory_rules_give_a_plus(production_https, path, capsys):
    if path == "admin-login":
        path = f"/{django_settings.ADMIN_URL}login/"
    score, results = observatory_score(path)
    penalties = {name: modifier for name, modifier in results.items() if modifier < 0}
    assert penalties == {}
    assert score >= 100, results
    with capsys.disabled():
        print(f"\n  Observatory rules: {path} scores {score} (A+)")


def test_the_scorer_penalises_what_it_should(production_https, settings):
    # A site without our headers scores an F by the same rules: the scorer has teeth.
    settings.MIDDLEWARE = [
        m
        for m in settings.MIDDLEWARE
        if m
        not in (
            "django.middleware.security.SecurityMiddleware",
            "core.middleware.ContentSecurityPolicyMiddleware",
            "core.middleware.SecurityHeadersMiddleware",
            "django.middleware.clickjacking.XFrameOptionsMiddleware",
        )
    ]
    score, results = observatory_score("/")
    assert results["csp-not-implemented"] == -25
    assert results["hsts-not-implemented"] == -20
    assert results["redirection-missing"] == -20
    assert score < 50


def csp_of(response):
    return parse_csp(response.headers["Content-Security-Policy"])


@pytest.mark.parametrize(
    "path",
    [
        "/",
        ARTICLE,
        "/consult/",
        "/blog/feed/",
        "/robots.txt",
        "/no-such-page/",
        "/static/css/site.css",
    ],
)
def test_every_response_carries_the_headers(client, path):
    response = client.get(path, secure=True)
    assert response.status_code in (200, 404)
    csp = csp_of(response)
    assert csp["default-src"] == {"'none'"}
    assert csp["script-src"] == {"'self'"}
    assert csp["style-src"] == {"'self'"}
    assert csp["img-src"] == {"'self'"}
    assert csp["object-src"] == {"'none'"}
    assert csp["base-uri"] == {"'none'"}
    assert csp["frame-ancestors"] == {"'none'"}
    assert csp["form-action"] == {"'self'"}
    assert "upgrade-insecure-requests" in csp
    for sources in csp.values():
        assert not sources & {"'unsafe-inline'", "'unsafe-eval'", "*", "http:", "https:"}
    hsts = response["Strict-Transport-Security"]
    assert int(hsts.split(";")[0].split("=")[1]) >= 31_536_000
    assert "includeSubDomains" in hsts
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    assert response["Cross-Origin-Resource-Policy"] == "same-origin"
    permissions = response["Permissions-Policy"]
    for feature in ("camera", "microphone", "geolocation", "payment", "browsing-topics"):
        assert f"{feature}=()" in permissions


def test_the_admin_alone_may_use_style_attributes(client):
    admin = csp_of(client.get(f"/{django_settings.ADMIN_URL}login/", secure=True))
    public = csp_of(client.get("/", secure=True))
    assert admin["style-src-attr"] == {"'unsafe-inline'"}
    assert "style-src-attr" not in public
    # Scripts are as strict in the admin as everywhere else.
    assert admin["script-src"] == {"'self'"}
    assert admin["style-src"] == {"'self'"}


def test_cookies_are_secure_httponly_and_samesite(client):
    response = client.get("/consult/", secure=True)
    csrf = response.cookies[django_settings.CSRF_COOKIE_NAME]
    assert csrf["secure"] and csrf["httponly"] and csrf["samesite"] == "Lax"
    assert django_settings.SESSION_COOKIE_SECURE
    assert django_settings.SESSION_COOKIE_HTTPONLY
    assert django_settings.SESSION_COOKIE_SAMESITE in ("Lax", "Strict")


def test_no_page_is_served_to_another_site_by_cors(client):
    response = client.get("/", secure=True, headers={"Origin": "https://elsewhere.example"})
    assert "Access-Control-Allow-Origin" not in response
