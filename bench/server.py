"""The production set-up, started for measuring it (bench/run.py, bench/lighthouse.py).

gunicorn runs exactly as the Procfile's `web` line, with production settings, two
workers, static files collected for WhiteNoise's manifest storage, and a throwaway
PostgreSQL started the way `make test` starts one (scripts/localpg.py --temp). The site
is seeded with weekly hours and a few bookings, so /consult/ shows real open times.
Everything listens on 127.0.0.1 only.
"""

import contextlib
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
GUNICORN = str(Path(PYTHON).parent / "gunicorn")
LOG_DIR = ROOT / "var" / "bench"
WORKERS = 2


def in_private_database():
    """Run this script again beside a throwaway PostgreSQL, unless that is where we are.

    DATABASE_URL is dropped on purpose: the bench writes bookings, and must never do so
    into a database someone uses.
    """
    if os.environ.get("BENCH_DATABASE") == "private":
        return
    env = {**os.environ, "BENCH_DATABASE": "private"}
    env.pop("DATABASE_URL", None)
    script = str(Path(sys.argv[0]).resolve())
    command = [PYTHON, str(ROOT / "scripts" / "localpg.py"), "--temp", "--"]
    os.execve(PYTHON, [*command, PYTHON, script, *sys.argv[1:]], env)


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def production_env(port):
    env = {
        **os.environ,
        "DEBUG": "false",
        "SECRET_KEY": "bench-only-" + secrets.token_urlsafe(32),
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "SECURE_SSL_REDIRECT": "false",
        "SITE_URL": f"http://127.0.0.1:{port}",
        "PORT": str(port),
        "WEB_CONCURRENCY": str(WORKERS),
        # The bench posts thousands of bookings from one address: the per-address limit
        # (core.ratelimit, a few a minute) would answer 429 after the fifth.
        "CONSULT_RATE_LIMIT": "off",
        "LOG_LEVEL": "WARNING",
        "DJANGO_SETTINGS_MODULE": "practice.settings",
    }
    return env


def manage(env, *args):
    subprocess.run([PYTHON, "manage.py", *args], cwd=ROOT, env=env, check=True)


def wait_until_up(base_url, process, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            sys.exit(f"bench: gunicorn exited; see {LOG_DIR / 'gunicorn.log'}")
        try:
            with urllib.request.urlopen(f"{base_url}/healthz", timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.2)
    sys.exit(f"bench: gunicorn did not answer /healthz within {timeout} s")


@contextlib.contextmanager
def production_server():
    """Set up and start the site; yields its base URL (http://127.0.0.1:PORT)."""
    if not os.environ.get("DATABASE_URL"):
        sys.exit("bench: DATABASE_URL is not set (call in_private_database() first)")
    port = free_port()
    env = production_env(port)
    base_url = f"http://127.0.0.1:{port}"
    print("bench: collectstatic, migrate, seed", flush=True)
    manage(env, "collectstatic", "--noinput", "--verbosity", "0")
    manage(env, "migrate", "--noinput", "--verbosity", "0")
    subprocess.run([PYTHON, str(ROOT / "bench" / "seed.py")], cwd=ROOT, env=env, check=True)
    LOG_DIR.mkdir(parents=True, exist_ok=True)
    log = open(LOG_DIR / "gunicorn.log", "w")  # noqa: SIM115 (closed below)
    # The Procfile's web line, bound to the loopback address only.
    command = [
        GUNICORN,
        "practice.wsgi",
        "--config",
        "practice/gunicorn.conf.py",
        "--bind",
        f"127.0.0.1:{port}",
    ]
    print(f"bench: {' '.join(command[1:])} (WEB_CONCURRENCY={WORKERS})", flush=True)
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=log)
    try:
        wait_until_up(base_url, process)
        yield base_url
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


def static_path(name):
    """The hashed address collectstatic gave a static file, e.g. css/site.css."""
    manifest = json.loads((ROOT / "staticfiles" / "staticfiles.json").read_text())
    return f"/static/{manifest['paths'][name]}"


def main():
    """Serve the production set-up until interrupted, for a look by hand."""
    in_private_database()
    # A plain `kill` stops it as cleanly as Ctrl-C: gunicorn first, then PostgreSQL.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    with production_server() as base_url:
        print(f"bench: serving {base_url} (Ctrl-C or kill stops)", flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            signal.pause()


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    main()
