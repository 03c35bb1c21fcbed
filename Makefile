# The README's commands. `make up` sets up a fresh Debian/Ubuntu machine, starts the stack and seeds dev;
# `make test` runs the whole suite against real PostgreSQL 15, Redis 7 and a Docker engine.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# What the native runtime needs (gcc and the Python headers build the snapshot's C speedups; without them it
# runs, slower); tests also need a Docker engine and debootstrap (to build their own images).
SYSTEM_PACKAGES := redis-server postgresql-15 python3-venv make gcc python3-dev
TEST_SYSTEM_PACKAGES := docker.io debootstrap

.PHONY: up down status setup system-deps test-system-deps test lint format bench

up: setup
	$(BIN)/devkit up
	$(BIN)/devkit seed dev --yes

down: setup
	$(BIN)/devkit down

status: setup
	$(BIN)/devkit status

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml setup.py anonymize/native_interface.py $(wildcard anonymize/csrc/*) $(wildcard devkit/seed/csrc/*)
	@$(MAKE) --no-print-directory system-deps
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	@$(BIN)/python -c 'from anonymize.speedups import NATIVE; NATIVE or print("note: the C speedups (anonymize/csrc) were not built -- no gcc or Python headers? -- snapshots run on pure Python, slower")'
	@$(BIN)/python -c 'from devkit.seed.copy_binary import NATIVE; NATIVE or print("note: the seed C speedups (devkit/seed/csrc) were not built -- seeds send COPY text formatted in Python: same rows, more CPU")'
	@touch $@

system-deps:
	@.ci/system-deps $(SYSTEM_PACKAGES)

test-system-deps:
	@.ci/system-deps $(SYSTEM_PACKAGES) $(TEST_SYSTEM_PACKAGES)

# No Docker engine running? The suite starts a private dockerd (as root) and stops it afterwards: tests/engine.py.
test: setup test-system-deps
	$(BIN)/pytest

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: setup
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: setup
	$(BIN)/pip install --quiet -e '.[dev,bench]'
	@for script in bench/*/run.py; do echo "== $$script"; $(BIN)/python $$script || exit 1; done
