# Distill Ledger. `make run` and `make test` work on a fresh clone with Python 3.11.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
# Dagster reads dagster.yaml from DAGSTER_HOME: a project-local, git-ignored home holding a copy of it.
export DAGSTER_HOME := $(CURDIR)/.dagster_home
export PYTHONPATH := $(CURDIR)
UI_HOST ?= 127.0.0.1
UI_PORT ?= 3000

.PHONY: run test test-fast fuzz lint launch ui bench docs lock snapshot clean help

help:
	@echo "make run   - install locked dependencies, materialise every asset, print output paths"
	@echo "make test  - run the test suite"
	@echo "make test-fast - the unit layer alone (no Dagster run), for the inner loop"
	@echo "make lint  - ruff (Python), sqlfluff (sql/, DuckDB dialect) and dg check defs; CI runs it before the tests"
	@echo "make launch SELECT='sources/*' - materialise an asset selection with dg launch"
	@echo "make fuzz  - the shape-fuzzing tests with many more cases and mutants than make test runs"
	@echo "make ui    - start the Dagster UI on http://$(UI_HOST):$(UI_PORT)"
	@echo "make bench - time every stage and the baselines; writes out/bench/results.md"
	@echo "make docs  - rewrite the generated parts of docs/ (source kinds, column reference) after make run"
	@echo "make lock  - recompile requirements.lock from requirements.in (needs the package index)"
	@echo "make snapshot FROM=file NAME=name - rebuild an embedded snapshot in data/snapshots/ from a newer upstream file"

$(BIN)/.synced: requirements.lock requirements-bootstrap.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --require-hashes -r requirements-bootstrap.lock
	$(BIN)/uv pip sync --quiet --compile-bytecode --python $(BIN)/python requirements.lock
	$(BIN)/python -m pipeline.charts
	@touch $@

$(DAGSTER_HOME)/dagster.yaml: dagster.yaml
	@mkdir -p $(DAGSTER_HOME)
	cp dagster.yaml $@

run: $(BIN)/.synced $(DAGSTER_HOME)/dagster.yaml
	@# One run of refresh_everything in the project's Dagster home (the UI lists it), then a short summary:
	@# checks that did not pass and why, rows quarantined, stale sources, where the outputs are.
	@# VERBOSE=1 prints Dagster's DEBUG lines too.
	$(BIN)/python -m assets.run $(if $(VERBOSE),--verbose)

test: $(BIN)/.synced $(DAGSTER_HOME)/dagster.yaml
	$(BIN)/python -m pytest

test-fast: $(BIN)/.synced $(DAGSTER_HOME)/dagster.yaml
	LEDGER_EXAMPLES_SCALE=0.1 $(BIN)/python -m pytest -q -m unit

# The same properties as in make test, with 40x the hypothesis cases and a whole run over 100 mutants per kind.
fuzz: $(BIN)/.synced $(DAGSTER_HOME)/dagster.yaml
	LEDGER_FUZZ_EXAMPLES=2500 LEDGER_FUZZ_MUTANTS=100 $(BIN)/python -m pytest -q tests/test_shape_fuzz.py tests/test_totality.py

lint: $(BIN)/.synced
	$(BIN)/ruff check pipeline assets tests bench
	$(BIN)/ruff format --check pipeline assets tests bench
	$(BIN)/sqlfluff lint sql/
	VIRTUAL_ENV=$(CURDIR)/$(VENV) $(BIN)/dg check defs

# `dg launch` runs a selection in the project's Dagster home (the UI lists the run); make run is the whole graph
# with a summary at the end.
launch: $(BIN)/.synced $(DAGSTER_HOME)/dagster.yaml
	@test -n "$(SELECT)" || { echo "usage: make launch SELECT='sources/*'   (a Dagster asset selection)"; exit 2; }
	VIRTUAL_ENV=$(CURDIR)/$(VENV) $(BIN)/dg launch --assets "$(SELECT)"

ui: $(BIN)/.synced $(DAGSTER_HOME)/dagster.yaml
	$(BIN)/dagster dev -w workspace.yaml -h $(UI_HOST) -p $(UI_PORT)

bench: $(BIN)/.synced
	$(BIN)/python -m bench

docs: $(BIN)/.synced
	$(BIN)/python -m pipeline.docs

# Rebuild one embedded snapshot (data/snapshots/NAME.parquet and its manifest row) from an upstream file;
# a new one also needs KIND=, and ARGS='--licence ... --citation ...'.
snapshot: $(BIN)/.synced
	@test -n "$(FROM)" -a -n "$(NAME)" || { echo "usage: make snapshot FROM=path/to/upstream.csv NAME=epoch_notable_models"; exit 2; }
	$(BIN)/python -m pipeline.snapshot "$(FROM)" --name "$(NAME)" $(if $(KIND),--kind $(KIND)) $(if $(DATE),--date $(DATE)) $(ARGS)

lock: $(BIN)/.synced
	$(BIN)/uv pip compile requirements.in --python-version 3.11 --generate-hashes --no-header -o requirements.lock
	$(BIN)/uv pip compile requirements-bootstrap.in --python-version 3.11 --generate-hashes --no-header -o requirements-bootstrap.lock

clean:
	rm -rf out .ledger .dagster_home .tmp_dagster_home_*
