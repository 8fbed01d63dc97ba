# Tessera: `make run` to try it, `make test` to check it. See README.md.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: run test lint typecheck bench install system-deps clean help

help:
	@echo "make run        set up and start Tessera with the demo program (SQLite)"
	@echo "make test       install what the suite needs (the dev extra), then run the whole suite"
	@echo "make lint       ruff"
	@echo "make typecheck  mypy --strict"
	@echo "make bench      load benchmarks (under 5 minutes); writes docs/benchmarks.md and .png"

# What running needs (make run) and what checking needs (make test, lint, typecheck) install
# apart; the second is a superset, so after `make test`, `make run` installs nothing more.
RUN_STAMP := $(VENV)/.run-installed-stamp
DEV_STAMP := $(VENV)/.dev-installed-stamp

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(RUN_STAMP): pyproject.toml | $(BIN)/python
	@if [ $(DEV_STAMP) -nt pyproject.toml ]; then :; else \
		$(BIN)/python -m pip install --quiet -e . ; fi
	@touch $@

$(DEV_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $@

install: $(DEV_STAMP)

# The bench also needs its extra (matplotlib for the chart, localstripe, psycopg).
BENCH_STAMP := $(VENV)/.bench-installed-stamp
$(BENCH_STAMP): $(DEV_STAMP) pyproject.toml
	$(BIN)/python -m pip install --quiet -e '.[dev,bench]'
	@touch $(BENCH_STAMP)

system-deps:
	@scripts/ensure-system-packages

run: $(RUN_STAMP)
	$(BIN)/tessera demo
	$(BIN)/tessera serve

test: system-deps install
	$(BIN)/python -m pytest -n 2 --dist loadfile

lint: install
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

typecheck: install
	$(BIN)/mypy

bench: system-deps $(BENCH_STAMP)
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) var test-artifacts .pytest_cache .mypy_cache .ruff_cache
