"""The email worker: `python manage.py deliver_email --loop` (Procfile `worker:`, `make run`).

Each round first releases unconfirmed holds that have lapsed (consults.booking.expire_holds),
so their kind emails go out in the same round. It also reads the therapist's calendars
when due and writes consults back to them (consults.calendars), so no web request ever
waits on a calendar server.

`--once` sends what is due and exits. `--loop` keeps polling; SIGTERM or Ctrl-C lets
the email being sent finish, then exits; a database outage is logged and waited out.
"""

import logging
import signal
import threading

from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError, close_old_connections

from consults.booking import expire_holds
from consults.calendars import refresh_due_sources
from consults.outbox import deliver_due

logger = logging.getLogger("consults.outbox")

LONGEST_DB_WAIT = 60  # seconds between tries while the database is unreachable


class Command(BaseCommand):
    help = "Send queued emails (confirmations, reminders, notifications) and retry failures."

    def add_arguments(self, parser):
        mode = parser.add_mutually_exclusive_group(required=True)
        mode.add_argument("--once", action="store_true", help="Send what is due, then exit.")
        mode.add_argument("--loop", action="store_true", help="Keep sending until stopped.")
        parser.add_argument(
            "--interval",
            type=float,
            default=2.0,
            help="Seconds between looks at the queue in --loop mode (default 2).",
        )

    def handle(self, *args, once, loop, interval, **options):
        if interval <= 0:
            raise CommandError("--interval must be more than 0 seconds.")
        if once:
            expire_holds()
            handled = deliver_due()
            self.stdout.write(f"{handled} email(s) handled.")
            refresh_due_sources()
            return
        self.run_forever(interval)

    def run_forever(self, interval):
        stopping = threading.Event()

        def stop(signum, frame):
            logger.info("worker stopping (signal %s) after the current email", signum)
            stopping.set()

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        logger.info("email worker started, checking every %ss", interval)
        db_wait = interval
        while not stopping.is_set():
            # As between two web requests: drop a connection that broke or grew too old.
            close_old_connections()
            try:
                expire_holds()
                deliver_due(should_stop=stopping.is_set)
                refresh_due_sources(should_stop=stopping.is_set)  # the therapist's calendars
            except DatabaseError as exc:
                logger.warning(
                    "database unavailable (%s); trying again in %ss", type(exc).__name__, db_wait
                )
                close_old_connections()
                stopping.wait(db_wait)
                db_wait = min(db_wait * 2, LONGEST_DB_WAIT)
                continue
            db_wait = interval
            stopping.wait(interval)
        close_old_connections()
        logger.info("email worker stopped")
