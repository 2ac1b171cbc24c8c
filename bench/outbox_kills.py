"""How often a worker killed mid-send makes an email go out twice (docs/performance.md).

    .venv/bin/python bench/outbox_kills.py            # 100 emails
    .venv/bin/python bench/outbox_kills.py --emails 300

A real SMTP server (aiosmtpd on loopback) records every message it accepts. The email
worker (`manage.py deliver_email --loop`, production settings) runs against a throwaway
PostgreSQL and is killed with SIGKILL at random moments, then started again, until every
email is sent. Prints how many kills there were, how many caught an email mid-send
(claimed, not yet recorded), how many emails arrived twice (always with the same
Message-ID), and how many never arrived (must be none).
"""

import argparse
import asyncio
import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from email import message_from_bytes
from pathlib import Path

import psycopg
from aiosmtpd.controller import Controller

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.server import PYTHON, ROOT, free_port, in_private_database, manage, production_env

EMAIL_TIMEOUT = 1  # a claimed email is another worker's after 6 s


class Inbox:
    def __init__(self):
        self.message_ids = []

    async def handle_DATA(self, server, session, envelope):
        await asyncio.sleep(0.05)  # a mail server's few milliseconds, so kills land mid-send
        self.message_ids.append(message_from_bytes(envelope.content)["Message-ID"])
        return "250 Message accepted for delivery"


def django_shell(env, code):
    return subprocess.run(
        [PYTHON, "-c", f"import django; django.setup(); {code}"],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--emails", type=int, default=100)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    in_private_database()
    random.seed(args.seed)

    inbox = Inbox()
    smtp_port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=smtp_port)
    controller.start()
    env = {
        **production_env(free_port()),
        "EMAIL_URL": f"smtp://127.0.0.1:{smtp_port}",
        "EMAIL_TIMEOUT": str(EMAIL_TIMEOUT),
        "LOG_LEVEL": "ERROR",
    }
    manage(env, "migrate", "--noinput", "--verbosity", "0")
    django_shell(
        env,
        "from consults.outbox import enqueue\n"
        f"for n in range({args.emails}):\n"
        "    enqueue(kind='acknowledge', to=f'visitor{n}@example.org', subject='Hello',"
        " body_text='Plain words. ' * 200)",
    )
    database = psycopg.connect(os.environ["DATABASE_URL"], autocommit=True)

    def count(where):
        query = "SELECT count(*) FROM consults_outboundemail WHERE " + where  # noqa: S608
        return database.execute(query).fetchone()[0]

    command = [PYTHON, "manage.py", "deliver_email", "--loop", "--interval", "0.05"]
    kills = caught_mid_send = 0
    started = time.monotonic()
    try:
        while True:
            worker = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL)
            # Once it is sending (past its start-up), kill it at a random moment.
            received = len(inbox.message_ids)
            deadline = time.monotonic() + 60
            while len(inbox.message_ids) == received and time.monotonic() < deadline:
                time.sleep(0.01)
            time.sleep(random.uniform(0, 0.3))
            finished = worker.poll() is not None
            worker.send_signal(signal.SIGKILL)
            worker.wait()
            left = count("status <> 'sent'")
            # Claimed by the worker just killed: its claim has not lapsed yet.
            sending = count("status = 'sending' AND send_after > now()")
            if left == 0:
                break
            kills += 1
            caught_mid_send += bool(sending)
            if finished:
                sys.exit("bench: the worker exited by itself")
    finally:
        controller.stop()

    counts = Counter(inbox.message_ids)
    stored = [row[0] for row in database.execute("SELECT message_id FROM consults_outboundemail")]
    twice = sum(1 for n in counts.values() if n > 1)
    lost = sum(1 for message_id in stored if message_id not in counts)
    print(
        f"outbox: {args.emails} emails, {kills} kills in {time.monotonic() - started:.0f} s; "
        f"{caught_mid_send} kills caught an email mid-send; "
        f"{twice} emails arrived twice (same Message-ID), {lost} never arrived"
    )
    if lost:
        sys.exit("bench: an email was lost")


if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "practice.settings")
    main()
