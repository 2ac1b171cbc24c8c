# The two commands a newcomer needs: `make run` serves the site, `make test` runs every test.
# Both create the virtualenv, install, and start a private PostgreSQL when DATABASE_URL is unset.

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
INSTALLED := $(VENV)/.installed
LOCALPG := $(PY) scripts/localpg.py
RUN_DB := $(LOCALPG) --data var/postgres --
PORT ?= 8000

.PHONY: help install run superuser test lint check-migrations pytest clean bench lighthouse

help:
	@echo "make run        serve the site at http://127.0.0.1:$(PORT) (sets everything up)"
	@echo "make superuser  create an admin account (with two-factor sign-in) for http://127.0.0.1:$(PORT)/admin/"
	@echo "make test       run every check and test"
	@echo "make bench      measure pages against a static file (needs wrk)"
	@echo "make lighthouse Lighthouse scores of home, the article and /consult/ (needs npm)"

$(INSTALLED): requirements.txt requirements-dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	$(LOCALPG) --ensure-binaries
	touch $@

install: $(INSTALLED)

run: $(INSTALLED)
	@mkdir -p var
	DEBUG=$${DEBUG:-true} $(RUN_DB) sh scripts/serve-dev.sh $(PORT)

superuser: $(INSTALLED)
	@mkdir -p var
	DEBUG=$${DEBUG:-true} $(RUN_DB) sh -c '$(PY) manage.py migrate --noinput >/dev/null && $(PY) manage.py create_admin'

lint: $(INSTALLED)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/hadolint Dockerfile

test: $(INSTALLED) lint
	DEBUG=true $(PY) manage.py check
	$(LOCALPG) --temp -- $(MAKE) --no-print-directory check-migrations pytest

check-migrations:
	DEBUG=true $(PY) manage.py makemigrations --check --dry-run

pytest:
	$(PY) -m pytest

# Not part of `make test`: minutes long, and its figures depend on the machine.
bench: $(INSTALLED)
	$(PY) bench/run.py

NODE_INSTALLED := node_modules/.installed

$(NODE_INSTALLED): package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $@

lighthouse: $(INSTALLED) $(NODE_INSTALLED)
	$(PY) bench/lighthouse.py

clean:
	rm -rf $(VENV) staticfiles .pytest_cache .ruff_cache
