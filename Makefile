# socialroi — every target documents itself: `make help`.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
BIN := $(VENV)/bin
OUT ?= reports/demo
#: The tests make check leaves out (markers registered in pyproject.toml); make test runs them all.
FAST := not browser and not e2e and not spark and not slow
#: Both test targets keep Python's bytecode caches (__pycache__, ignored by git) even where the
#: environment turns them off: each test worker and each CLI subprocess re-imports the same modules.
#: They also write their temporary files (several hundred DuckDB stores, each flushed to disk when
#: it closes) to RAM when /dev/shm is there: on a virtual disk the flushes took up to a third of
#: the store tests' wall time. Only with 4 GiB free there (a container's /dev/shm can be 64 MB);
#: `make check TEST_TMPDIR=/tmp` puts them back on disk.
TEST_TMPDIR ?= $(shell test -w /dev/shm && df -Pk /dev/shm | awk 'NR==2 && $$4 >= 4194304 {print "/dev/shm"}')
TESTENV := env -u PYTHONDONTWRITEBYTECODE $(if $(TEST_TMPDIR),TMPDIR=$(TEST_TMPDIR))

.DEFAULT_GOAL := help
.PHONY: help install dev demo check test lint format docs bench lock clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-8s %s\n", $$1, $$2}'

$(VENV)/.run: requirements/run.lock pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check --require-hashes --no-deps -r requirements/run.lock
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	@touch $@

$(VENV)/.dev: $(VENV)/.run requirements/dev.lock
	$(PY) -m pip install --quiet --disable-pip-version-check --require-hashes --no-deps -r requirements/dev.lock
	@touch $@

install: $(VENV)/.run ## Install socialroi and its pinned runtime dependencies into .venv

dev: $(VENV)/.dev ## Install runtime plus test and lint tools

demo: install ## Build the demo company and its report (no credentials, no network)
	$(BIN)/socialroi demo --out $(OUT)

check: lint ## Fast loop: lint and the unit tests (no browser, e2e, Spark or slow tests; fewer examples per property)
	$(TESTENV) $(BIN)/pytest -n 2 --dist loadscope -q -m "$(FAST)" --hypothesis-profile=check

test: dev ## Install and run the whole test suite (installs Debian's chromium for the browser test)
	@scripts/ensure-chromium
	$(TESTENV) $(BIN)/pytest -n 2 --dist loadscope

lint: dev ## ruff and mypy
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks
	$(BIN)/mypy

format: dev ## Apply ruff's fixes and formatting
	$(BIN)/ruff check --fix src tests benchmarks
	$(BIN)/ruff format src tests benchmarks

docs: install ## Regenerate the generated docs (docs/cli.md, docs/data-model.md, cli/_commands.py)
	$(PY) -m socialroi.cli._reference --commands > .commands.py.tmp
	mv .commands.py.tmp src/socialroi/cli/_commands.py
	$(BIN)/ruff format --quiet src/socialroi/cli/_commands.py
	$(PY) -m socialroi.cli._reference > docs/cli.md
	$(PY) -c "from socialroi import schema; print(schema.markdown(), end='')" > docs/data-model.md

$(VENV)/.bench: $(VENV)/.dev requirements/bench.lock
	$(PY) -m pip install --quiet --disable-pip-version-check --require-hashes --no-deps -r requirements/bench.lock
	@touch $@

bench: $(VENV)/.bench ## Benchmarks (1 and 2 cores, 100k-30M touches) against the peers; writes benchmarks/results.md
	$(PY) benchmarks/run.py

lock: ## Re-pin every dependency (uv pip compile, with hashes)
	@test -x $(BIN)/uv || { test -x $(PY) || $(PYTHON) -m venv $(VENV); $(PY) -m pip install --quiet uv; }
	$(BIN)/uv pip compile --quiet --python-version 3.11 --generate-hashes pyproject.toml requirements/build.in -o requirements/run.lock
	$(BIN)/uv pip compile --quiet --python-version 3.11 --generate-hashes --extra dev --extra spark pyproject.toml requirements/build.in -o requirements/dev.lock
	$(BIN)/uv pip compile --quiet --python-version 3.11 --generate-hashes --extra dev --extra spark --extra bench pyproject.toml requirements/build.in -o requirements/bench.lock

clean: ## Remove the virtual environment and caches
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache

.PHONY: plotly-bundle
plotly-bundle: ## Rebuild the report's partial plotly.js (needs node, npm and the npm registry)
	scripts/build-plotly-bundle
