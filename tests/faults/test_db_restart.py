"""PostgreSQL stopped and started again while requests are in flight.

A private PostgreSQL (scripts/localpg.py's functions) is migrated and served by the
Procfile's `web` line (gunicorn, production settings). A few
threads load the home page, the seed article, the booking page and valid booking
POSTs, and poll /healthz. Mid-load the server is stopped (`pg_ctl stop -m fast`, which
cuts every open connection), left down a few seconds, and started on the same port.

What must hold: every answer is a normal page or the calm 503 page (Retry-After, no
stack trace): no 500, no reset connection; /healthz says 503 while the database is
down; the site recovers by itself (the time from PostgreSQL accepting connections to
the first 200 on /consult/ is printed); and nothing is half-written: every booking
that got "request received" is stored, and every stored request has its two emails.
"""

import importlib.util
import os
import shutil
import subprocess
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

import psycopg
import pytest

from .procs import REPO, Browser, production_env, request

ARTICLE = "/blog/when-closeness-feels-unsafe/"
THREADS = 4
WARM_UP = 2.0  # seconds of load before the stop
DOWN_FOR = 4.0  # seconds the database stays down
AFTER_RECOVERY = 2.0  # seconds of load after the site is back
RECOVERY_BOUND = 30.0  # seconds: generous; the measured figure is printed
MAX_REQUESTS_PER_THREAD = 3000


def load_localpg():
    spec = importlib.util.spec_from_file_location("localpg", REPO / "scripts" / "localpg.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class PrivatePostgres:
    """A throwaway cluster of our own, so stopping it disturbs no other test."""

    def __init__(self):
        self.pg = load_localpg()
        self.bin_dir = self.pg.find_bin_dir()
        if self.bin_dir is None:
            pytest.fail("no PostgreSQL binaries: run `make install` (it installs pgserver)")
        self.user = self.pg.server_user()
        self.root = Path(tempfile.mkdtemp(prefix="faults-pg-"))
        if self.user is not None:
            os.chown(self.root, self.user.pw_uid, self.user.pw_gid)
        self.data_dir = self.root / "data"
        self.port = self.pg.free_port()
        self.running = False

    @property
    def url(self):
        return f"postgres://{self.pg.DB_USER}@127.0.0.1:{self.port}/{self.pg.DB_NAME}"

    def create(self):
        self.pg.init_cluster(self.bin_dir, self.data_dir, self.user, throwaway=True)
        self.start()
        self.pg.create_database(self.bin_dir, self.port, self.user)

    def start(self):
        self.pg.start(self.bin_dir, self.data_dir, self.user, self.port)
        self.running = True

    def stop(self, mode="fast"):
        self.pg.run_as(
            self.user,
            [str(self.bin_dir / "pg_ctl"), "-D", str(self.data_dir), "-m", mode, "-w", "stop"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self.running = False

    def destroy(self):
        try:
            if self.running:
                self.stop("immediate")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)


class Load:
    """Threads that request pages and send bookings until told to stop; every answer kept."""

    def __init__(self, base_url):
        self.base_url = base_url
        self.phase = "warm-up"
        self.stopping = threading.Event()
        self.lock = threading.Lock()
        self.results = []  # (phase, what, status or exception name, response or None)
        self.booked = []  # submission keys of bookings answered "request received"
        self.threads = []
        # Every visitor has the form open before the warm-up counts: on a busy machine
        # a thread can take seconds to start.
        self.ready = threading.Barrier(THREADS + 1)

    def span(self, started_in):
        """The phase a request ran in, or "a>b" for one in flight while the phase changed."""
        ended_in = self.phase
        return started_in if started_in == ended_in else f"{started_in}>{ended_in}"

    def record(self, phase, what, outcome, response=None):
        with self.lock:
            self.results.append((phase, what, outcome, response))

    def visitor(self, number):
        browser = Browser(self.base_url)
        assert browser.open_form().status == 200
        self.ready.wait(60)
        steps = ["/", ARTICLE, "/consult/", "POST", "/healthz"]
        for i in range(MAX_REQUESTS_PER_THREAD):
            if self.stopping.is_set():
                return
            what = steps[(i + number) % len(steps)]
            phase = self.phase
            try:
                if what == "POST":
                    response = browser.submit(
                        name=f"Load visitor {number}-{i}", email=f"load{number}.{i}@example.org"
                    )
                    if response.status == 302:
                        with self.lock:
                            self.booked.append(response.submission_key)
                else:
                    response = browser.get(what)
            except OSError as error:  # a reset, refused or timed-out connection
                self.record(self.span(phase), what, type(error).__name__)
            else:
                self.record(self.span(phase), what, response.status, response)
            time.sleep(0.02)

    def start(self):
        for number in range(THREADS):
            thread = threading.Thread(target=self.visitor, args=(number,), daemon=True)
            thread.start()
            self.threads.append(thread)
        self.ready.wait(60)

    def stop(self):
        self.stopping.set()
        for thread in self.threads:
            thread.join(60)
        assert not any(thread.is_alive() for thread in self.threads), "a request never ended"

    def tally(self):
        return Counter((phase, what, outcome) for phase, what, outcome, _ in self.results)


def print_tally(tally, recovery):
    print(f"\n[db-restart] recovery: first 200 on /consult/ {recovery:.2f}s after PostgreSQL")
    print("  accepted connections again; answers by phase, path and status:")
    for (phase, what, outcome), count in sorted(tally.items(), key=str):
        print(f"    {phase:<22} {what:<36} {outcome!s:<8} x{count}")


def wait_until(predicate, timeout, interval=0.1):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return False


def answers(url, expected_status):
    try:
        return request("GET", url, timeout=10).status == expected_status
    except OSError:
        return False


def test_postgres_restarted_mid_load_calm_503_then_recovery_and_nothing_half_written(procs, capsys):
    db = PrivatePostgres()
    try:
        db.create()
        env = production_env(db.url, CONSULT_RATE_LIMIT="off")
        web = procs.start_web(env)
        base = web.base_url

        load = Load(base)
        load.start()
        time.sleep(WARM_UP)

        load.phase = "stopping"
        db.stop("fast")  # cuts every connection gunicorn holds
        load.phase = "down"
        assert wait_until(lambda: answers(base + "/healthz", 503), timeout=10), (
            "/healthz did not say 503 while the database was down"
        )
        down_health = request("GET", base + "/healthz")
        assert down_health.status == 503
        time.sleep(DOWN_FOR)

        load.phase = "starting"
        db.start()  # returns once PostgreSQL accepts connections on the same port
        accepting_at = time.monotonic()
        load.phase = "recovering"
        recovered = wait_until(
            lambda: answers(base + "/consult/", 200), timeout=RECOVERY_BOUND, interval=0.05
        )
        recovery = time.monotonic() - accepting_at
        load.phase = "recovered"
        time.sleep(AFTER_RECOVERY)
        load.stop()
        health_after = request("GET", base + "/healthz").status

        tally = load.tally()
        with capsys.disabled():
            print_tally(tally, recovery)

        assert recovered, f"/consult/ did not answer 200 within {RECOVERY_BOUND}s of the restart"
        assert health_after == 200

        # Every answer was a page or the calm 503: no 500, no reset, no stack trace.
        failures = [
            (phase, what, outcome)
            for phase, what, outcome, _ in load.results
            if outcome not in (200, 302, 503)
        ]
        assert failures == [], failures[:20]
        for phase, what, outcome, response in load.results:
            body = response.text
            assert "Traceback" not in body and "Server Error" not in body, (phase, what)
            if outcome == 503 and what != "/healthz":
                assert response.header("Retry-After"), (phase, what)
                assert "Back in a few minutes" in body, (phase, what, body[:500])
                assert "988" in body, "the calm page keeps the crisis notice"
        down = [r for r in load.results if r[0] == "down"]
        assert any(outcome == 503 for _, _, outcome, _ in down), "the outage was never seen"
        assert {outcome for _, _, outcome, _ in down} <= {200, 503}
        assert all(o == 503 for _, w, o, _ in down if w in ("/healthz", "POST"))
        warm = [r for r in load.results if r[0] in ("warm-up", "recovered")]
        assert {outcome for _, _, outcome, _ in warm} <= {200, 302}
        assert any(o == 302 for p, w, o, _ in load.results if p == "recovered" and w == "POST"), (
            "no booking succeeded after the restart"
        )

        # Nothing lost, nothing half-written.
        with psycopg.connect(db.url) as conn:
            stored = {
                str(key): emails
                for key, emails in conn.execute(
                    "SELECT c.submission_key, array_agg(e.kind ORDER BY e.kind)"
                    " FROM consults_consultrequest c"
                    " LEFT JOIN consults_outboundemail e ON e.consult_id = c.id"
                    " GROUP BY c.id"
                )
            }
            orphans = conn.execute(
                "SELECT count(*) FROM consults_outboundemail WHERE consult_id IS NULL"
            ).fetchone()[0]
        missing = [key for key in load.booked if key not in stored]
        assert missing == [], f"{len(missing)} bookings answered 'received' but not stored"
        half = {
            key: kinds
            for key, kinds in stored.items()
            if kinds != ["acknowledge", "notify_therapist"]
        }
        assert half == {}, "requests without exactly their two emails"
        assert orphans == 0
        with capsys.disabled():
            print(
                f"  bookings: {len(load.booked)} answered 'received', {len(stored)} stored, "
                f"each with its 2 emails; {len(load.results)} answers in all"
            )
    finally:
        procs.stop_all()
        db.destroy()
