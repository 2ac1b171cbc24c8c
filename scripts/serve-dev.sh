#!/bin/sh
# Used by `make run`: migrate, start the email worker beside the dev server, serve.
set -e
PY=.venv/bin/python
PORT=${1:-8000}
$PY manage.py migrate --noinput
$PY manage.py deliver_email --loop &
WORKER=$!
trap 'kill $WORKER 2>/dev/null' EXIT INT TERM
cat <<MSG

  The practice site is running at http://127.0.0.1:$PORT/
  The admin is at http://127.0.0.1:$PORT/admin/
  No admin account yet? In another terminal run:  make superuser
  Emails are printed here (the console) instead of being sent.

MSG
$PY manage.py runserver "127.0.0.1:$PORT"
