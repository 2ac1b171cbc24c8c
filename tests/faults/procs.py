"""Start the Procfile's processes as production runs them, and talk to them over HTTP.

`Procs` reads the Procfile and runs its `web` and `worker` lines with $PORT filled in,
through `sh -c` as a host does, under production settings (practice.settings, DEBUG
off, a SECRET_KEY, ALLOWED_HOSTS, HTTPS redirect off because the tests speak plain
HTTP). The web line's `0.0.0.0` becomes `127.0.0.1`: nothing the tests start listens
beyond loopback. Each process gets its own session (process group) and log file;
`Procs.stop_all()` (the `procs` fixture's teardown) ends every process it started, and
their children.

The web line prepares before it serves (`manage.py prepare`: migrations, and static
files collected into the default STATIC_ROOT, staticfiles/, which git ignores), so a
web process started on an empty database migrates it first.

`Browser` is a tiny HTTP client (http.client, no keep-alive) that behaves like a
visitor's browser on the booking form: it reads the CSRF cookie, the hidden fields
and the open times from GET /consult/, and sends them back with a POST.
"""

import contextlib
import html
import http.client
import os
import re
import shlex
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import quote, urlencode

REPO = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent
LOOPBACK = "127.0.0.1"


def free_port():
    with socket.socket() as sock:
        sock.bind((LOOPBACK, 0))
        return sock.getsockname()[1]


def procfile():
    """The Procfile's process types: {name: command line}."""
    lines = (REPO / "Procfile").read_text().splitlines()
    return {
        name.strip(): command.strip()
        for name, _, command in (line.partition(":") for line in lines)
        if command.strip() and not name.lstrip().startswith("#")
    }


def command(name, port=None):
    """A Procfile line as argv: $PORT filled in, bound to loopback only. A line with
    more than one command runs through sh, as hosts run it; a single command runs as
    itself, so a signal reaches it and its exit code is its own."""
    line = procfile()[name]
    if port is not None:
        line = line.replace("${PORT}", str(port)).replace("$PORT", str(port))
    line = line.replace("0.0.0.0:", f"{LOOPBACK}:")
    assert "$" not in line, f"unfilled variable in the Procfile's {name} line: {line}"
    if any(operator in line for operator in ("&&", "||", ";", "|")):
        return ["sh", "-c", line]
    return shlex.split(line)


def database_url(db):
    """A DATABASE_URL for a Django DATABASES entry (the pytest test database, say)."""
    user = quote(db["USER"] or "", safe="")
    password = f":{quote(db['PASSWORD'], safe='')}" if db.get("PASSWORD") else ""
    host = db["HOST"] or LOOPBACK
    port = f":{db['PORT']}" if db.get("PORT") else ""
    return f"postgres://{user}{password}@{host}{port}/{quote(db['NAME'], safe='')}"


def production_env(database_url, **overrides):
    """The environment of a production process: practice.settings, DEBUG off."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "PYTEST_", "TESTS_", "COV_"))
    }
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "practice.settings",
            "DEBUG": "false",
            "SECRET_KEY": "faults-tests-only-" + "x" * 50,
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "SECURE_SSL_REDIRECT": "false",
            "DATABASE_URL": database_url,
            "SITE_URL": "http://127.0.0.1",
            "THERAPIST_EMAIL": "therapist@example.test",
            "DEFAULT_FROM_EMAIL": "practice@example.test",
            "EMAIL_URL": "smtp://127.0.0.1:9",  # nothing listens: the worker tests set one
            "WEB_CONCURRENCY": "2",
            "GUNICORN_THREADS": "2",
            "CONSULT_MIN_SECONDS": "0",
            "PATH": f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}",
            "PYTHONUNBUFFERED": "1",
            "PYTHONDONTWRITEBYTECODE": "1",
        }
    )
    env.update({key: str(value) for key, value in overrides.items()})
    return env


class Proc:
    """One started process: its own process group, its output in a temporary file."""

    def __init__(self, name, argv, env, port=None):
        self.name = name
        self.port = port
        self.log = tempfile.NamedTemporaryFile(  # noqa: SIM115 - closed in stop()
            prefix=f"faults-{name}-", suffix=".log", delete=False
        )
        self.popen = subprocess.Popen(
            argv,
            cwd=REPO,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    @property
    def pid(self):
        return self.popen.pid

    @property
    def base_url(self):
        return f"http://{LOOPBACK}:{self.port}"

    def output(self):
        return Path(self.log.name).read_text(errors="replace")

    def running(self):
        return self.popen.poll() is None

    def signal(self, signum):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.popen.pid, signum)

    def wait(self, timeout):
        return self.popen.wait(timeout)

    def stop(self, timeout=10):
        """SIGTERM to the process group, then SIGKILL if it is still there; the exit code."""
        if self.running():
            self.signal(signal.SIGTERM)
            try:
                self.popen.wait(timeout)
            except subprocess.TimeoutExpired:
                self.signal(signal.SIGKILL)
                self.popen.wait(10)
        # Children left behind (a gunicorn worker whose arbiter died) go with the group.
        self.signal(signal.SIGKILL)
        self.log.close()
        return self.popen.returncode


PREPARE = [sys.executable, "manage.py", "prepare"]


class Procs:
    """Starts the Procfile's processes; stop_all() ends every one of them."""

    def __init__(self):
        self.started = []

    def run(self, argv, env, timeout=120):
        """Run a command to its end (`manage.py prepare`, say); returns (exit code, output)."""
        result = subprocess.run(
            argv,
            cwd=REPO,
            env=env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
            start_new_session=True,
        )
        return result.returncode, result.stdout + result.stderr

    def start(self, name, env):
        port = free_port() if name == "web" else None
        if name == "web":
            env = {**env, "PORT": str(port)}
        proc = Proc(name, command(name, port), env, port)
        self.started.append(proc)
        return proc

    def start_web(self, env, timeout=180):
        """The web process, once it answers /healthz (after preparing: on an empty
        database, the migrations first)."""
        proc = self.start("web", env)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert proc.running(), f"gunicorn exited:\n{proc.output()[-4000:]}"
            with contextlib.suppress(OSError, http.client.HTTPException):
                if request("GET", proc.base_url + "/healthz", timeout=2).status in (200, 503):
                    return proc
            time.sleep(0.1)
        raise AssertionError(f"gunicorn did not answer within {timeout}s:\n{proc.output()[-4000:]}")

    def stop_all(self):
        for proc in reversed(self.started):
            proc.stop()


class Response:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers  # an http.client.HTTPMessage: case-insensitive, repeats kept
        self.body = body

    @property
    def text(self):
        return self.body.decode("utf-8", "replace")

    def header(self, name, default=None):
        return self.headers.get(name, default)


def request(method, url, body=None, headers=None, timeout=15):
    """One HTTP request on a new connection (no keep-alive); raises OSError on a reset."""
    match = re.fullmatch(r"http://([^/:]+):(\d+)(/.*)", url)
    assert match, url
    host, port, path = match.group(1), int(match.group(2)), match.group(3)
    conn = http.client.HTTPConnection(host, port, timeout=timeout)
    try:
        conn.request(method, path, body=body, headers={"Connection": "close", **(headers or {})})
        response = conn.getresponse()
        return Response(response.status, response.headers, response.read())
    finally:
        conn.close()


HIDDEN = re.compile(r'<input type="hidden" name="(\w+)" value="([^"]*)"')
SLOT = re.compile(r'name="slot" id="[^"]*" value="(\d{4}-\d\d-\d\dT\d\d:\d\dZ)"')


class Browser:
    """A visitor's browser on the booking form: cookies, the CSRF token, hidden fields."""

    def __init__(self, base_url, headers=None):
        self.base_url = base_url
        self.cookies = {}
        self.extra_headers = headers or {}
        self.hidden = {}
        self.open_slots = []
        self.used_keys = set()

    def _headers(self, more=None):
        headers = {**self.extra_headers, **(more or {})}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        return headers

    def _keep_cookies(self, response):
        for value in response.headers.get_all("Set-Cookie") or []:
            name, _, rest = value.partition("=")
            self.cookies[name.strip()] = rest.split(";", 1)[0]

    def get(self, path, timeout=15):
        response = request("GET", self.base_url + path, headers=self._headers(), timeout=timeout)
        self._keep_cookies(response)
        return response

    def open_form(self, timeout=15):
        """GET /consult/ and keep what a browser would send back; returns the response."""
        response = self.get("/consult/", timeout=timeout)
        if response.status == 200:
            self.hidden = {
                name: html.unescape(value) for name, value in HIDDEN.findall(response.text)
            }
            self.open_slots = SLOT.findall(response.text)
        return response

    def submit(self, slot="none", name="Sam", email="sam@example.com", timeout=15, **fields):
        """POST the consult form with the kept hidden fields. A form's submission key works
        once, so a second submit opens the form again first, as a person booking again would."""
        assert "csrfmiddlewaretoken" in self.hidden, "open_form() first"
        if self.hidden.get("submission_key") in self.used_keys:
            self.open_form(timeout=timeout)
        self.used_keys.add(self.hidden.get("submission_key"))
        data = {
            **self.hidden,
            "name": name,
            "email": email,
            "phone": "",
            "contact_method": "email",
            "slot": slot,
            "availability": "" if slot != "none" else "weekday mornings",
            "message": "",
            "consent": "on",
            "website": "",
            **fields,
        }
        response = request(
            "POST",
            self.base_url + "/consult/",
            body=urlencode(data).encode(),
            headers=self._headers({"Content-Type": "application/x-www-form-urlencoded"}),
            timeout=timeout,
        )
        self._keep_cookies(response)
        response.submission_key = data["submission_key"]
        return response
