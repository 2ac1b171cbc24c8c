"""`honcho start` from a clean checkout, with production settings: the site is served and
keeps being served.

The checkout is a copy of the files git knows (tracked, or new and not ignored): no
staticfiles/, no virtualenv, no var/. The database is new and empty. Nothing is run
before honcho: the Procfile's `web` line must migrate, collect static files and serve
by itself, and no line may end (honcho stops everything when one process ends).
"""

import os
import shutil
import signal
import subprocess
import time

import pytest

from .procs import REPO, VENV_BIN, free_port, production_env, request

PUBLIC_PAGES = [
    "/",
    "/about/",
    "/privacy/",
    "/accessibility/",
    "/blog/",
    "/blog/when-closeness-feels-unsafe/",
    "/blog/feed/",
    "/consult/",
    "/sitemap.xml",
    "/robots.txt",
]
KEEPS_SERVING_FOR = 10  # seconds; honcho used to end everything 2 s after starting


def clean_checkout(target):
    files = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=REPO,
        capture_output=True,
        check=True,
    ).stdout.split(b"\0")
    for name in filter(None, (f.decode() for f in files)):
        source = REPO / name
        if source.is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)
    return target


def statuses(base):
    return {path: request("GET", base + path, timeout=20).status for path in PUBLIC_PAGES}


def wait_for(base, honcho, log, timeout=240):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert honcho.poll() is None, f"honcho ended:\n{log.read_text()[-5000:]}"
        try:
            if request("GET", base + "/healthz", timeout=2).status == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise AssertionError(f"no answer within {timeout}s:\n{log.read_text()[-5000:]}")


@pytest.fixture
def checkout(tmp_path):
    return clean_checkout(tmp_path / "checkout")


def test_honcho_start_serves_every_public_page_and_keeps_serving(
    checkout, empty_database, tmp_path, capsys
):
    assert not (checkout / "staticfiles").exists()
    port = free_port()
    env = production_env(empty_database)
    env.pop("PORT", None)
    log = tmp_path / "honcho.log"
    started = time.monotonic()
    with log.open("wb") as out:
        honcho = subprocess.Popen(
            [str(VENV_BIN / "honcho"), "start", "--port", str(port)],
            cwd=checkout,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for(base, honcho, log)
        ready = time.monotonic() - started
        first = statuses(base)
        assert first == dict.fromkeys(PUBLIC_PAGES, 200), log.read_text()[-5000:]
        home = request("GET", base + "/").text
        stylesheet = home.split('rel="stylesheet" href="', 1)[1].split('"', 1)[0]
        assert request("GET", base + stylesheet).status == 200
        assert (checkout / "staticfiles" / "staticfiles.json").exists()

        time.sleep(KEEPS_SERVING_FOR)
        assert honcho.poll() is None, f"honcho ended:\n{log.read_text()[-5000:]}"
        assert statuses(base) == dict.fromkeys(PUBLIC_PAGES, 200)
        output = log.read_text()
        assert "email worker started" in output
        assert "Traceback" not in output
        with capsys.disabled():
            print(
                f"\n[honcho] from a clean checkout on an empty database: /healthz 200 after"
                f" {ready:.1f}s (migrations and collectstatic included); {len(PUBLIC_PAGES)}"
                f" public pages and the stylesheet 200; still serving {KEEPS_SERVING_FOR}s"
                f" later, web and worker running"
            )
    finally:
        if honcho.poll() is None:
            os.killpg(honcho.pid, signal.SIGTERM)
            try:
                honcho.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(honcho.pid, signal.SIGKILL)
                honcho.wait(10)
