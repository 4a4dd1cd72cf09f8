# Two commands start everything on a fresh machine: `make run` and `make test`.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
# Development mode for local runs and tests; production sets its own environment (README).
DEV := DJANGO_DEBUG=true

.DEFAULT_GOAL := help
.PHONY: help install lint format migrate run test

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP) ## Create .venv and install the project with its development tools

lint: install ## Check the code with ruff (lint and format)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install ## Reformat the code with ruff
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

migrate: install ## Apply database migrations
	$(DEV) $(BIN)/python manage.py migrate --noinput

run: migrate ## Load the seed and demonstration content, print the admin login, serve on :8000
	$(DEV) $(BIN)/python manage.py load_content --demo
	$(DEV) $(BIN)/python manage.py create_local_admin
	$(DEV) $(BIN)/python manage.py runserver 127.0.0.1:8000

test: lint ## Lint, check for missing migrations, run the whole test suite
	$(DEV) $(BIN)/python manage.py makemigrations --check --dry-run
	$(DEV) $(BIN)/pytest

.PHONY: serve
# Production settings come from the environment, or from a .env file beside this Makefile
# (copy .env.example; quote values with spaces). The checks below stop with a clear message
# rather than serve unsafely. With several servers, migrate once as a release step and set
# PORTAL_MIGRATE_ON_START=false on the servers (README, Deployment).
SERVE_ENV := set -a; if [ -f .env ]; then . ./.env; fi; set +a

serve: install ## Serve as production does: gunicorn on PostgreSQL, DEBUG off (README, Deployment)
	@$(SERVE_ENV); case "$$DATABASE_URL" in postgres://*|postgresql://*) ;; \
	  *) echo "make serve runs on PostgreSQL: set DATABASE_URL=postgres://... (see .env.example)" >&2; exit 2;; esac; \
	  case "$$DJANGO_DEBUG" in ""|0|false|no|off) ;; \
	  *) echo "make serve runs with DJANGO_DEBUG off; unset it (make run is for development)" >&2; exit 2;; esac
	@$(SERVE_ENV); $(BIN)/python manage.py check --deploy \
	  --fail-level $$(case "$$DJANGO_HTTPS" in 0|false|no|off) echo ERROR;; *) echo WARNING;; esac)
	@$(SERVE_ENV); if [ "$${PORTAL_MIGRATE_ON_START:-true}" = true ]; then \
	  $(BIN)/python manage.py migrate --noinput && $(BIN)/python manage.py load_content; fi
	@$(SERVE_ENV); $(BIN)/python manage.py collectstatic --noinput --verbosity 0
	@$(SERVE_ENV); exec $(BIN)/gunicorn -c cuspe_portal/gunicorn.conf.py

.PHONY: bench bench-full
# The benchmark's own tools: wrk from Debian (needs root, once), gunicorn and Datasette in .venv.
BENCH_TOOLS := command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk; }; \
	$(BIN)/python -m pip install --quiet -e '.[dev,bench]'

bench: install ## Benchmark on PostgreSQL at 1k and 10k recommendations (bench/README.md)
	$(BENCH_TOOLS)
	$(BIN)/python bench/run.py

bench-full: install ## The benchmark at 1k, 10k and 100k recommendations
	$(BENCH_TOOLS)
	$(BIN)/python bench/run.py --full
