# AJIB: on a fresh machine `make run` and `make test` are all it takes (docs/setup.md says what they do).
SHELL := /bin/bash
.DEFAULT_GOAL := help

BIN := .venv/bin
PY := $(BIN)/python
# Extra arguments: make test PYTEST_ARGS='-k custody -x', make run SEED=7
PYTEST_ARGS ?=
# Two workers match the 2-core CI machine; each worker gets its own test database and live server.
PYTEST_WORKERS ?= 2
SEED ?=

.PHONY: help setup setup-test run test lint bench screenshots db db-stop clean clean-state

help:
	@echo "make run          set everything up, then API server + demo data (local PostGIS unless DATABASE_URL)"
	@echo "make test         set everything up (incl. Chromium), then the whole pytest suite"
	@echo "make setup        Debian packages (PostGIS), .venv with the project; idempotent"
	@echo "make lint         ruff and mypy (strict on routing/)"
	@echo "make bench        solver benchmarks (ajib bench)"
	@echo "make screenshots  screenshots of the main screens into docs/screenshots/"
	@echo "make db           provision the database only and print its URL; make db-stop stops a managed cluster"
	@echo "make clean        stop the managed cluster, remove .venv and caches (keeps .ajib/ data)"
	@echo "make clean-state  also delete the managed cluster's data and .ajib/"

setup:
	@bash scripts/setup.sh

setup-test:
	@bash scripts/setup.sh --test

run: setup
	$(BIN)/ajib demo $(if $(SEED),--seed $(SEED)) --serve

test: setup-test
	$(BIN)/mypy
	$(BIN)/pytest -q -p no:cacheprovider -n $(PYTEST_WORKERS) $(PYTEST_ARGS)

lint: setup
	$(BIN)/ruff check .
	$(BIN)/mypy

bench: setup
	$(BIN)/ajib bench

screenshots: setup-test
	$(PY) scripts/screenshots.py

db: setup
	@$(PY) -m dispatch.db.provision ensure

db-stop:
	@if [ -x $(PY) ]; then $(PY) -m dispatch.db.provision stop; fi

clean: db-stop
	rm -rf .venv build dist *.egg-info .pytest_cache .ruff_cache .mypy_cache .hypothesis
	find . -name __pycache__ -type d -prune -exec rm -rf {} +

clean-state:
	@if [ -x $(PY) ]; then $(PY) -m dispatch.db.provision destroy; fi
	rm -rf .ajib
