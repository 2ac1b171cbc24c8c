"""Gunicorn settings for the `web` process (Procfile, Dockerfile).

Workers scale with the CPU count. Gunicorn's own logs (access and errors) go through
the site's JSON formatter, which leaves out query strings and cuts signed link tokens
out of paths, so the access log holds nothing that opens a visitor's request, and no
client address at all.
"""

import multiprocessing
import os

# The formatter reads settings (which paths carry secret tokens).
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "practice.settings")

bind = f"0.0.0.0:{os.environ.get('PORT', '8000')}"
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2 + 1))
threads = int(os.environ.get("GUNICORN_THREADS", "1"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = 20
keepalive = 5
# Recycle workers now and then (a hedge against slow leaks), but rarely: a busy worker
# reaches a low limit every few seconds, and each restart stalls the requests queued
# behind it. The app is loaded once in the master, so a new worker starts at once.
max_requests = 100_000
max_requests_jitter = 10_000
preload_app = True
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
accesslog = "-"
errorlog = "-"
# %(U)s is the path without the query string; the formatter takes path and status from it.
# No %(h)s: a visitor's address beside "POST /consult/" is exactly what must not be kept.
access_log_format = '"%(m)s %(U)s %(H)s" %(s)s %(B)s %(M)sms'
logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"json": {"()": "core.jsonlog.JsonFormatter"}},
    "handlers": {
        "stdout": {
            "class": "logging.StreamHandler",
            "formatter": "json",
            "stream": "ext://sys.stdout",
        }
    },
    "root": {"handlers": ["stdout"], "level": "INFO"},
    "loggers": {
        "gunicorn.error": {"handlers": ["stdout"], "level": "INFO", "propagate": False},
        "gunicorn.access": {"handlers": ["stdout"], "level": "INFO", "propagate": False},
    },
}
