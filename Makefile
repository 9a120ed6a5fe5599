# Loom Portal. `make run` serves the demo; `make test` runs everything CI runs.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run install install-dev migrate demo test test-services lint bench clean

run: install
	$(PY) manage.py migrate --noinput
	$(PY) manage.py loom_demo
	@echo "Serving Loom Portal on http://$(HOST):$(PORT)  (Ctrl+C to stop)"
	$(PY) manage.py runserver $(HOST):$(PORT)

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(VENV)/bin/python
	$(PIP) install --quiet -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml $(VENV)/.installed
	$(PIP) install --quiet -e ".[dev]"
	touch $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

migrate: install
	$(PY) manage.py migrate --noinput

demo: migrate
	$(PY) manage.py loom_demo

# Installs (when missing) and starts PostgreSQL 15, Redis and Chromium on loopback ports of
# their own, writes .cache/test.env, then runs lint and the whole suite against PostgreSQL.
test: install-dev test-services lint
	@set -a; source .cache/test.env; set +a; \
	$(VENV)/bin/pytest $(PYTEST_ARGS); code=$$?; \
	if [ $$code -eq 5 ]; then echo "pytest collected no tests: failing the run"; exit 1; fi; exit $$code

test-services:
	@bash scripts/test-services.sh

lint: install-dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports

# Benchmarks print their figures; they are not part of `make test`.
bench: install-dev test-services
	@set -a; source .cache/test.env; set +a; \
	$(VENV)/bin/pytest tests/bench -p no:cacheprovider -s -q -o testpaths=tests/bench -o norecursedirs=.venv

clean:
	rm -rf $(VENV) .cache db.sqlite3 staticfiles
