#!/bin/sh
# Used by `make run`: migrate, add example hours to a new database, start the email
# worker beside the dev server, serve.
set -e
PY=.venv/bin/python
PORT=${1:-8000}
# Links in emails, canonical URLs, the feed and the sitemap follow the port served on.
export SITE_URL="${SITE_URL:-http://127.0.0.1:$PORT}"
$PY manage.py migrate --noinput
$PY manage.py add_example_hours
$PY manage.py deliver_email --loop &
WORKER=$!
trap 'kill $WORKER 2>/dev/null' EXIT INT TERM
cat <<MSG

  The practice site is running at http://127.0.0.1:$PORT/
  The admin is at http://127.0.0.1:$PORT/admin/
  No admin account yet? In another terminal run:  make superuser PORT=$PORT
  Then set your weekly hours there: Free consults -> Weekly hours
  (until you do, the booking page offers example hours, marked as such).
  Emails are printed here (the console) instead of being sent.

MSG
$PY manage.py runserver "127.0.0.1:$PORT"
