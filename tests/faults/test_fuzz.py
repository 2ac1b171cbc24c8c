"""Fuzzing the public consult endpoints with hypothesis: never a 5xx, never a stored invalid request.

Generated submissions go to POST /consult/ (the booking form) and to the visitor's
signed-link endpoints, POST /consult/manage/<token>/ (pick another time) and
POST /consult/manage/<token>/cancel/: unicode of every category, control characters,
NUL bytes, 100 KB fields, empty, missing and repeated fields, values of the wrong
type, odd slot values, and bodies in the wrong content type (multipart, urlencoded,
JSON, text/plain, raw bytes with a made-up or broken charset).

After every example the database is checked: each stored ConsultRequest passes
`full_clean()` and carries what the form requires, and every email in the outbox
belongs to a stored request (two per new request). Each example runs in a savepoint
that is rolled back afterwards, so examples do not see each other, and comes from
its own client address so the per-IP rate limit never masks a result.

Run with -s to see how many cases ran.
"""

import itertools
import json
import os
import sys
import uuid
from datetime import time
from urllib.parse import quote, urlencode

import pytest
from django.conf import settings as django_settings
from django.core.cache import cache
from django.core.signals import got_request_exception
from django.db import transaction
from django.test import RequestFactory, override_settings
from django.test.client import MULTIPART_CONTENT, ClientHandler
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from consults import booking, forms, tokens
from consults.models import ConsultRequest, OutboundEmail
from tests.consults.builders import open_every_day, set_rules

pytestmark = pytest.mark.django_db

Kind = OutboundEmail.Kind
FUZZ = settings(
    deadline=None,
    database=None,  # nothing written to .hypothesis/ in the work tree
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    print_blob=True,
)
# FUZZ_SCALE=10 for a longer hunt; the default keeps `make test` quick and over 1000 cases.
SCALE = float(os.environ.get("FUZZ_SCALE", "1"))
FORM_EXAMPLES = int(620 * SCALE)
MANAGE_EXAMPLES = int(420 * SCALE)
CASES = {"consult form": 0, "manage and cancel": 0}
OK_STATUSES = {200, 302, 400, 404, 405, 413, 429}
CONTROL_CHARS = forms.CONTROL_CHARS
SHOWN_AT = "<a signed, valid shown_at>"
_addresses = itertools.count(1)


class EnvironFactory(RequestFactory):
    """A RequestFactory that returns the WSGI environ, untouched by a WSGIRequest."""

    def request(self, **request):
        return self._base_environ(**request)


class Visitor:
    """A new visitor from a new address: no cookies, and a rate-limit bucket of its own.

    Django's test client (without CSRF checks), less its copy of every template context,
    which costs a third of each case on the form page. An exception that Django turns
    into a 500 is raised here, with its traceback, as the test client does.
    """

    handler = ClientHandler(enforce_csrf_checks=False)

    def __init__(self):
        n = next(_addresses)
        self.factory = EnvironFactory(
            REMOTE_ADDR=f"10.{(n >> 16) & 255}.{(n >> 8) & 255}.{n & 255}"
        )

    def post(self, path, data, content_type=MULTIPART_CONTENT):
        return self.send(self.factory.post(path, data, content_type=content_type))

    def generic(self, method, path, data, content_type):
        return self.send(self.factory.generic(method, path, data, content_type=content_type))

    def send(self, environ):
        raised = []

        def keep(**kwargs):
            raised.append(sys.exc_info()[1])

        got_request_exception.connect(keep)
        try:
            response = self.handler(environ)
        finally:
            got_request_exception.disconnect(keep)
        if raised:
            raise raised[0]
        return response


# --- values ---------------------------------------------------------------------------

any_unicode = st.text(st.characters(exclude_categories=["Cs"]), max_size=60)
control_text = st.text(
    st.one_of(
        st.characters(min_codepoint=0, max_codepoint=0x1F),
        st.sampled_from("\x7f\x85\xa0\u200b\u200e\u202e\u2028\u2029\ufeff\ufffd"),
        st.characters(exclude_categories=["Cs"]),
    ),
    max_size=30,
)
huge_text = st.sampled_from(["a", "é", "\U0001f600", "\x00", "<b>", "x@y.z ", "\u202e"]).map(
    lambda unit: (unit * (100_000 // len(unit) + 1))[:100_000]
)
number = st.one_of(st.integers(), st.floats(allow_nan=True, allow_infinity=True))
scalar = st.one_of(
    any_unicode,
    control_text,
    st.just(""),
    st.just(" \t\r\n "),
    st.just("\x00"),
    number.map(str),
    st.booleans().map(str),
    st.sampled_from(["null", "None", "[]", "{}", "true", "0", "-1", "NaN", "on", "off"]),
    st.sampled_from(
        ["'; DROP TABLE consults_consultrequest; --", "{{ 7*7 }}", "<script>x</script>"]
    ),
)


def slot_values(open_keys):
    """Slot values: open times, malformed ones, real times at the wrong moment, injections."""
    formats = [
        "%Y-%m-%dT%H:%MZ",
        "%Y-%m-%dT%H:%MZ",
        "%Y-%m-%dT%H:%M:%SZ",
        "%Y-%m-%d %H:%M",
        "%Y-%m-%dT%H:%M+00:00",
        "%d/%m/%Y",
        "%s",
    ]
    keys = open_keys or ["2030-01-01T10:00Z"]
    return st.one_of(
        st.sampled_from(keys),
        st.just(forms.NONE_OF_THESE),
        st.sampled_from(["NONE", "none ", " none", "", "Z", "T", "0000-00-00T00:00Z"]),
        st.builds(
            lambda moment, fmt: moment.strftime(fmt),
            st.datetimes(),
            st.sampled_from(formats),
        ),
        st.sampled_from(keys).map(lambda key: key + "\x00"),
        st.sampled_from(keys).map(lambda key: key.replace("T", " ")),
        st.sampled_from(keys).map(lambda key: key.replace("0", "\u0660")),
        st.sampled_from(keys).map(lambda key: key[:-1] + "+14:00"),
        st.sampled_from(["9999-12-31T23:59Z", "0001-01-02T00:00Z", "2026-02-30T10:00Z"]),
        any_unicode,
    )


def mangled(valid, open_keys):
    """A field gone wrong: missing, hostile, empty, or repeated (a list of several values)."""
    hostile = st.one_of(scalar, scalar, huge_text, slot_values(open_keys))
    return st.one_of(
        st.just(None),
        hostile.map(lambda value: [value]),
        hostile.map(lambda value: [value]),
        st.just([""]),
        st.lists(st.one_of(valid, hostile), min_size=2, max_size=4),
    )


def consult_fields(open_keys):
    """The booking form's fields: a valid form with a few fields mangled, or all of them.

    Each value is a list (several values: the field is repeated) or None (missing).
    """
    valid = {
        "name": st.one_of(st.just("Sam"), any_unicode.filter(str.strip)),
        "email": st.one_of(st.just("sam@example.com"), st.emails()),
        "phone": st.one_of(
            st.just(""),
            st.just("+1 (555) 010-4477 ext 12"),
            st.from_regex(r"\+?[0-9 ()\-]{5,20}", fullmatch=True),
        ),
        "contact_method": st.sampled_from(["email", "email", "phone", "text"]),
        "slot": st.sampled_from([*open_keys, forms.NONE_OF_THESE]),
        "availability": st.one_of(st.just("weekday mornings"), any_unicode),
        "message": st.one_of(st.just(""), any_unicode, control_text),
        "consent": st.sampled_from(["on", "true", "1", "yes"]),
        "website": st.just(""),
        "submission_key": st.uuids().map(str),
        "shown_at": st.just(SHOWN_AT),
    }
    names = sorted(valid)
    base = st.fixed_dictionaries({name: valid[name].map(lambda v: [v]) for name in names})
    few_wrong = st.sets(st.sampled_from(names), max_size=3).flatmap(
        lambda chosen: st.fixed_dictionaries(
            {name: mangled(valid[name], open_keys) for name in sorted(chosen)}
        )
    )
    all_wrong = st.fixed_dictionaries(
        {
            name: st.one_of(valid[name].map(lambda v: [v]), mangled(valid[name], open_keys))
            for name in names
        }
    )
    extras = st.fixed_dictionaries(
        {},
        optional={
            name: mangled(st.just("x"), open_keys)
            for name in ["extra", "csrfmiddlewaretoken", "\x00", "name[]", "slot "]
        },
    )
    mostly_valid = st.builds(lambda b, wrong, more: {**b, **wrong, **more}, base, few_wrong, extras)
    return st.one_of(
        mostly_valid,
        mostly_valid,
        st.builds(lambda b, more: {**b, **more}, all_wrong, extras),
    )


# --- bodies ---------------------------------------------------------------------------

body_kinds = st.sampled_from(
    [
        *["multipart", "multipart", "urlencoded", "urlencoded"],
        *["urlencoded-charset", "json", "text", "garbage", "empty"],
    ]
)
charsets = st.sampled_from(["utf-8", "latin-1", "utf-16", "ascii", "bogus-charset", "utf-8;;"])
content_types = st.sampled_from(
    [
        "application/x-www-form-urlencoded",
        "multipart/form-data",
        "multipart/form-data; boundary=",
        "multipart/form-data; boundary=zzz",
        "application/json",
        "text/plain",
        "application/octet-stream",
        "",
        "x/\x7f",
        "application/x-www-form-urlencoded; charset=utf-16",
    ]
)


def post(client, path, fields, kind, draw_bytes, charset, content_type):
    """Send the fields in one of several encodings, correct or not."""
    present = {key: values for key, values in fields.items() if values is not None}
    if kind == "multipart":
        data = {key: values if len(values) > 1 else values[0] for key, values in present.items()}
        return client.post(path, data)
    pairs = [(key, value) for key, values in present.items() for value in values]
    if kind == "urlencoded":
        body = urlencode(pairs)
        return client.generic("POST", path, body, "application/x-www-form-urlencoded")
    if kind == "urlencoded-charset":
        body = urlencode(pairs, encoding="utf-8", errors="strict")
        ctype = f"application/x-www-form-urlencoded; charset={charset}"
        return client.generic("POST", path, body.encode(), ctype)
    if kind == "json":
        body = json.dumps(
            {key: values[0] if len(values) == 1 else values for key, values in present.items()}
        )
        return client.generic("POST", path, body, "application/json")
    if kind == "text":
        body = "\n".join(f"{key}={value}" for key, value in pairs)
        return client.generic("POST", path, body.encode(), "text/plain")
    if kind == "garbage":
        return client.generic("POST", path, draw_bytes, content_type)
    return client.generic("POST", path, b"", content_type)


# --- the invariants -------------------------------------------------------------------


def assert_calm(response):
    assert response.status_code < 500, response.status_code
    assert response.status_code in OK_STATUSES, response.status_code
    body = response.content.decode("utf-8", "replace")
    assert "Traceback" not in body
    assert "Server Error" not in body


def assert_every_stored_request_is_valid():
    """What a stored request must be: what the form would accept, and its emails with it."""
    for consult in ConsultRequest.objects.all():
        consult.full_clean()
        assert consult.name.strip() and consult.name == consult.name.strip()
        assert consult.email
        assert consult.consented_at is not None
        assert consult.contact_method in ConsultRequest.ContactMethod.values
        if consult.contact_method != ConsultRequest.ContactMethod.EMAIL:
            assert consult.phone, "a call or a text needs a phone number"
        if consult.starts_at is None:
            assert consult.availability, "no time picked needs the visitor's availability"
        for text in (consult.name, consult.phone, consult.availability, consult.message):
            assert not CONTROL_CHARS.search(text)
            assert "\x00" not in text
        kinds = sorted(consult.emails.values_list("kind", flat=True))
        assert kinds.count(Kind.NOTIFY_THERAPIST) == 1 and kinds.count(Kind.ACKNOWLEDGE) == 1
    orphans = OutboundEmail.objects.filter(consult__isnull=True).count()
    assert orphans == 0, "an email in the outbox belongs to no stored request"
    for email in OutboundEmail.objects.select_related("consult"):
        assert email.to in (email.consult.email, django_settings.THERAPIST_EMAIL), email.kind


def in_rolled_back_savepoint(check):
    """Run one example, check, and undo it, so the next example starts from the same state."""
    cache.clear()
    with transaction.atomic():
        check()
        transaction.set_rollback(True)


# --- the tests ------------------------------------------------------------------------


def few_open_times():
    """A handful of open times: the form page re-renders them on every error, and the
    fuzzing is about the input, not the number of times (tests/consults covers those)."""
    open_every_day(start=time(9), end=time(10))
    set_rules(horizon_days=3)
    slots = booking.available_slots()
    assert len(slots) >= 2
    return slots


def report(capsys, label, count):
    with capsys.disabled():
        print(f"\n[fuzz] {label}: {count} generated cases, no 5xx, nothing invalid stored")


def test_fuzzed_consult_form_never_errors_and_never_stores_anything_invalid(capsys):
    open_keys = [slot.key for slot in few_open_times()]
    ran = []

    @settings(FUZZ, max_examples=FORM_EXAMPLES)
    @given(
        fields=consult_fields(open_keys),
        kind=body_kinds,
        raw=st.binary(max_size=300),
        charset=charsets,
        content_type=content_types,
        method=st.sampled_from(["POST"] * 12 + ["PUT", "PATCH", "DELETE"]),
    )
    def submit(fields, kind, raw, charset, content_type, method):
        if fields.get("shown_at") is not None:
            # Signed with the key sent beside it, as the page shown to this visitor would be
            # (the visitor sends no cookies, so its browser is "").
            key = (fields.get("submission_key") or [""])[-1]
            shown_at = forms.ConsultForm.initial_values("", key=key)["shown_at"]
            fields["shown_at"] = [shown_at if v == SHOWN_AT else v for v in fields["shown_at"]]

        def example():
            before = ConsultRequest.objects.count()
            client = Visitor()
            if method == "POST":
                response = post(client, "/consult/", fields, kind, raw, charset, content_type)
            else:
                response = client.generic(method, "/consult/", raw, content_type)
            assert_calm(response)
            stored = ConsultRequest.objects.count() - before
            assert stored in (0, 1)
            if stored:
                assert response.status_code == 302
                assert response["Location"] == "/consult/received/#top"
                ran.append("stored")
            assert_every_stored_request_is_valid()

        in_rolled_back_savepoint(example)
        ran.append("case")

    with override_settings(CONSULT_MIN_SECONDS=0):
        submit()
    cases = ran.count("case")
    CASES["consult form"] = cases
    report(capsys, f"POST /consult/ ({ran.count('stored')} stored and rolled back)", cases)
    assert cases >= FORM_EXAMPLES * 0.9
    assert ran.count("stored") > 0, "no generated submission was valid: the fuzzing is too blunt"


def test_fuzzed_manage_and_cancel_never_error_and_never_leave_anything_invalid(capsys):
    slots = few_open_times()
    consult, _ = booking.submit_request(
        {"name": "Robin", "email": "robin@example.com", "contact_method": "email"},
        submission_key=uuid.uuid4(),
        start=slots[0].start,
    )
    token = tokens.make_token(consult)
    open_keys = [slot.key for slot in slots[1:]]
    original = consult.starts_at
    ran = []
    manage, cancel = f"/consult/manage/{token}/", f"/consult/manage/{token}/cancel/"
    paths = st.one_of(
        st.sampled_from([manage, manage, manage, manage, cancel]),
        st.sampled_from([manage, manage, manage, manage, cancel]),
        any_unicode.map(lambda junk: f"/consult/manage/{quote(junk, safe='')}x/"),
        any_unicode.map(lambda junk: f"/consult/manage/{token}{quote(junk, safe='')}/cancel/"),
    )

    @settings(FUZZ, max_examples=MANAGE_EXAMPLES)
    @given(
        path=paths,
        fields=st.fixed_dictionaries(
            {
                "slot": st.one_of(
                    st.sampled_from(open_keys).map(lambda v: [v]),
                    st.sampled_from(open_keys).map(lambda v: [v]),
                    mangled(st.sampled_from(open_keys), open_keys),
                )
            },
            optional={"extra": mangled(scalar, open_keys), "slot ": mangled(scalar, open_keys)},
        ),
        kind=body_kinds,
        raw=st.binary(max_size=300),
        charset=charsets,
        content_type=content_types,
    )
    def change(path, fields, kind, raw, charset, content_type):
        def example():
            response = post(Visitor(), path, fields, kind, raw, charset, content_type)
            assert_calm(response)
            assert_every_stored_request_is_valid()
            assert ConsultRequest.objects.count() == 1
            after = ConsultRequest.objects.get()
            if after.status == ConsultRequest.Status.CANCELLED:
                ran.append("cancelled")
            elif after.starts_at != original:
                assert after.starts_at.strftime("%Y-%m-%dT%H:%MZ") in open_keys
                ran.append("moved")

        in_rolled_back_savepoint(example)
        ran.append("case")

    change()
    cases = ran.count("case")
    CASES["manage and cancel"] = cases
    report(
        capsys,
        f"POST manage/cancel ({ran.count('moved')} moved, {ran.count('cancelled')} cancelled, rolled back)",
        cases,
    )
    assert cases >= MANAGE_EXAMPLES * 0.9
    assert ran.count("moved") and ran.count("cancelled")


def test_fuzz_total_is_at_least_a_thousand(capsys):
    """Runs after the two above (file order); skipped when they were not run."""
    if not all(CASES.values()):
        pytest.skip("the fuzz tests above did not run in this session")
    total = sum(CASES.values())
    with capsys.disabled():
        print(f"\n[fuzz] total: {total} generated cases")
    assert total >= 1000 * min(SCALE, 1)


@pytest.mark.parametrize("path", ["/consult/", "manage"])
@pytest.mark.parametrize(
    ("slot", "message"),
    [
        # At the edges of the calendar, beyond what a time zone can convert: not offered.
        ("0001-01-01T00:00Z", "Please pick one of the times shown."),
        ("9999-12-31T23:59Z", "Please pick one of the times shown."),
        # A real time that is not open: "taken".
        ("2001-01-02T00:00Z", "That time was just taken, please pick another."),
    ],
)
def test_a_slot_at_the_edge_of_time_gets_a_message_not_an_error(path, slot, message):
    slots = few_open_times()
    if path == "manage":
        consult, _ = booking.submit_request(
            {"name": "Robin", "email": "robin@example.com", "contact_method": "email"},
            submission_key=uuid.uuid4(),
            start=slots[0].start,
        )
        path = tokens.manage_path(consult)
    data = {
        "name": "Sam",
        "email": "sam@example.com",
        "contact_method": "email",
        "slot": slot,
        "consent": "on",
        **forms.ConsultForm.initial_values(""),
    }
    with override_settings(CONSULT_MIN_SECONDS=0):
        response = Visitor().post(path, data)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert_every_stored_request_is_valid()
