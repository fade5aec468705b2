# The front door for people: `make run`, `make test`, `make lint`, `make migrations-check`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
WORKERS ?= 2
# pytest-xdist processes, each with its own test database: one more than the CPUs, since the real-process tests
# (servers, a worker, a mail server, a browser) spend much of their time waiting on them.
TEST_WORKERS ?= $(shell $(PYTHON) -c 'import os; print((os.cpu_count() or 1) + 1)')

.PHONY: run test lint format migrations-check schema-check bench bench-sla bench-search bench-reports bench-django-helpdesk clean

$(BIN)/python:
	$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11) and "Python 3.11+ is required (set PYTHON=python3.x)")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.runtime-installed: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev-installed: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@ $(VENV)/.runtime-installed

run: $(VENV)/.runtime-installed
	mkdir -p var
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py seed_demo
	$(BIN)/python manage.py search_backfill  # the worker indexes new tickets from their events; this catches up
	$(BIN)/python manage.py collectstatic --noinput --verbosity 0
	@echo "Serving http://127.0.0.1:$(PORT) with a background worker (Celery, with beat). Ctrl-C stops both."
	PATH="$(CURDIR)/$(BIN):$$PATH" PORT=$(PORT) WORKERS=$(WORKERS) LOG_FORMAT=$${LOG_FORMAT:-plain} \
		$(BIN)/honcho --procfile Procfile.dev start

# The suite starts some hundred Python processes (test workers, servers, commands): with bytecode caching on, as
# Python has it by default, they don't each compile the project and rewrite the tests from source again.
test: $(VENV)/.dev-installed
	PYTHONDONTWRITEBYTECODE= $(BIN)/pytest -n $(TEST_WORKERS) $(PYTEST_ARGS)

lint: $(VENV)/.dev-installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(VENV)/.dev-installed
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

migrations-check: $(VENV)/.dev-installed
	mkdir -p var
	$(BIN)/python manage.py makemigrations --check --dry-run

# The published OpenAPI schema must generate without a single warning (an undocumented view, an untyped field).
schema-check: $(VENV)/.dev-installed
	$(BIN)/python manage.py spectacular --validate --fail-on-warn --file /dev/null

# SQLite in-process by default; BENCH_DB=postgres: gunicorn + wrk on 10k and 1M tickets against a ceiling
# (bench/README.md).
bench: $(VENV)/.dev-installed
	if [ "$(BENCH_DB)" = postgres ]; then $(BIN)/python bench/bench_postgres.py; \
	else $(BIN)/python bench/bench_lists.py && $(BIN)/python bench/bench_queue.py; fi

# The SLA sweep over TICKETS tickets (1,000,000 by default); BENCH_DATABASE_URL=postgres://... for PostgreSQL.
bench-sla: $(VENV)/.dev-installed
	$(BIN)/python bench/bench_sla.py

# Ours against django-helpdesk 2.6.1 on the same 10k tickets, each under gunicorn on PostgreSQL (its own virtualenv
# under var/; bench/README.md).
bench-django-helpdesk: $(VENV)/.dev-installed
	$(BIN)/python bench/bench_django_helpdesk.py

# Ticket search on PostgreSQL at 10k and 1M tickets (databases bench_search_SIZE, kept); BENCH_SEARCH_DATABASE_URL.
bench-search: $(VENV)/.dev-installed
	$(BIN)/python bench/bench_search.py $(SIZES)

# The reports dashboard on 1,000,000 tickets in a kept PostgreSQL database (BENCH_DATABASE_URL, see the README).
bench-reports: $(VENV)/.dev-installed
	$(BIN)/python bench/bench_reports.py

clean:
	rm -rf $(VENV) staticfiles .pytest_cache .ruff_cache
