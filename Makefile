# The two commands: `make run` and `make test`. Everything else is here too.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cksum requirements.txt | cut -d' ' -f1)
HOST ?= 127.0.0.1
PORT ?= 8000

# `make run` is for a laptop: development settings unless the environment says otherwise.
export DEBUG ?= 1

.PHONY: run test lint format install migrate demo serve clean bench backup restore prod-local

$(STAMP): requirements.txt
	@$(PYTHON) -c 'import sys; sys.exit("Python 3.11 or newer is needed; this is " + sys.version.split()[0]) if sys.version_info < (3, 11) else None'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

install: $(STAMP)

migrate: install
	$(BIN)/python manage.py migrate --no-input

demo: migrate
	$(BIN)/python manage.py seed_demo

serve: install
	@echo "Serving on http://$(HOST):$(PORT)/ (Ctrl-C stops it)"
	$(BIN)/python manage.py runserver $(HOST):$(PORT)

# The web server, the task worker and the scheduler, together (Procfile); one Ctrl-C stops all. The
# task queue is the database one here, so the worker does the work, as in production.
run: demo
	@echo "Serving on http://$(HOST):$(PORT)/ with the task worker and the scheduler (Ctrl-C stops all)"
	PATH="$(CURDIR)/$(BIN):$$PATH" TASKS_BACKEND=django_tasks_db.DatabaseBackend PYTHONUNBUFFERED=1 \
		HOST=$(HOST) PORT=$(PORT) $(BIN)/honcho start

test: install
	$(BIN)/python -m pytest

# Production on this machine (deploy/prod_local.py): two gunicorn app servers behind nginx (TLS with
# a self-signed certificate), PostgreSQL (DATABASE_URL, default the local `diary`), Redis (CACHE_URL),
# the task worker and the scheduler, DEBUG off; one Ctrl-C stops all. nginx on https://localhost:8443/
# (PROD_LOCAL_PORT), the app servers on 8001 and 8002 (PROD_LOCAL_APP_PORTS).
prod-local: install
	$(BIN)/python deploy/prod_local.py

# Benchmarks, not timed tests: the trend module on one patient-year, a therapist's list of
# 200 patients, the check-in page's weight (gzipped KB) and taps, and the alert load (how often
# patients see the full-screen alert and therapists a flag raised, before and after CLINICAL.md 1.1), and reminders
# sent to 10,000 patients through a local push-service stand-in; data at scale (10,000 patients ×
# 90 days on PostgreSQL: refresh_flags through the worker, the caseload's pages, the size per
# patient-year; SCALE=1000 for a quick run); and requests per second under wrk against gunicorn in
# production settings, as ratios to a bare Django view (bench_load.py: needs wrk, PostgreSQL and
# Redis). Each builds its own data in a throwaway database and prints figures.
BENCH_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/diary
bench: install
	$(BIN)/python tests/trends/bench_trends.py
	$(BIN)/python tests/bench_api.py
	$(BIN)/python tests/bench_pages.py
	$(BIN)/python tests/bench_alerts.py
	$(BIN)/python tests/bench_reminders.py
	DATABASE_URL=$(BENCH_DATABASE_URL) $(BIN)/python tests/bench_scale.py
	$(BIN)/python tests/bench_load.py

# A backup of the whole database (pg_dump on PostgreSQL, a consistent copy on SQLite) into
# backups/, or FILE=...; restoring replaces every row, after asking (diary/backups.py).
backup: install
	$(BIN)/python manage.py backup $(if $(FILE),--output "$(FILE)")

restore: install
	@test -n "$(FILE)" || { echo "Say which backup: make restore FILE=backups/diary-....dump"; exit 2; }
	$(BIN)/python manage.py restore "$(FILE)"

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

clean:
	rm -rf $(VENV) staticfiles .pytest_cache .mypy_cache .ruff_cache
