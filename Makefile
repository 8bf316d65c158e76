# Loket: `make run` starts the demo shop; `make test` runs every check.
# Both set everything up first (Python venv, npm packages, browser bundles).

PYTHON ?= python3
# Test workers: the suite mostly waits for real servers, browsers and clocks.
TEST_WORKERS ?= 2
VENV   := .venv
PY     := $(VENV)/bin/python
PIP    := $(VENV)/bin/pip
STATIC := server/loket/static
WIDGET_SRC := $(shell find widget/src -name '*.ts') widget/build.mjs widget/package.json

.PHONY: setup run test lint typecheck pytest bundles bench clean

setup: $(VENV)/.installed bundles

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	$(PIP) install --quiet -e '.[dev]'
	touch $@

widget/node_modules/.installed: widget/package.json widget/package-lock.json
	cd widget && npm ci --no-audit --no-fund --loglevel=error
	touch $@

bundles: $(STATIC)/widget.js

$(STATIC)/widget.js: widget/node_modules/.installed $(WIDGET_SRC)
	cd widget && npm run --silent build

run: setup
	$(VENV)/bin/loket serve

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check server tests bench
	$(VENV)/bin/ruff format --check server tests bench

typecheck: $(VENV)/.installed
	$(VENV)/bin/mypy

# Two passes: everything in parallel, then the tests that time something, alone (exit
# code 5 is "none selected", e.g. when PYTEST_ARGS names a file without such tests).
PYTEST_RUN = $(VENV)/bin/pytest -q -n $(TEST_WORKERS) -m "not timing" $(PYTEST_ARGS) \
	&& { $(VENV)/bin/pytest -q -m timing $(PYTEST_ARGS) || [ $$? -eq 5 ]; }

pytest: setup
	$(PYTEST_RUN)

test: setup lint typecheck
	cd widget && npm run --silent typecheck
	$(PYTEST_RUN)

bench: setup
	$(PY) -m bench $(BENCH_ARGS)

clean:
	rm -rf $(VENV) widget/node_modules $(STATIC) .pytest_cache .mypy_cache .ruff_cache
