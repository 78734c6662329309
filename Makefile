# Two commands for a newcomer: `make run` and `make test` (see README.md).
SHELL := /bin/bash
PY    ?= python3
VENV  := .venv
BIN   := $(VENV)/bin
HOST  ?= 127.0.0.1
PORT  ?= 5000
export DEBIAN_FRONTEND := noninteractive

.PHONY: install run test test-sqlite test-postgres lint system-deps clean

$(BIN)/.installed: pyproject.toml
	@$(PY) -m venv $(VENV) 2>/dev/null || { [ "$$(id -u)" = 0 ] && apt-get update -qq && apt-get install -y -qq python3-venv >/dev/null && $(PY) -m venv $(VENV); }
	$(BIN)/pip install -q --disable-pip-version-check -U pip
	$(BIN)/pip install -q --disable-pip-version-check -e '.[test]'
	@touch $@

node_modules/.installed: package.json
	npm install --no-audit --no-fund --loglevel=error
	@touch $@

install: $(BIN)/.installed node_modules/.installed

run: install
	APP_ENV=development $(BIN)/flask --app wsgi db upgrade
	APP_ENV=development $(BIN)/flask --app wsgi seed-demo --clients 8 --months 12
	@echo "SKP-indberetning kører på http://$(HOST):$(PORT)  (stop med Ctrl-C)"
	APP_ENV=development $(BIN)/flask --app wsgi run --host $(HOST) --port $(PORT)

system-deps:
	@scripts/ensure-system-deps.sh

test: install system-deps lint
	$(MAKE) --no-print-directory test-sqlite
	$(MAKE) --no-print-directory test-postgres

test-sqlite:
	APP_ENV=testing $(BIN)/pytest

test-postgres:
	APP_ENV=testing scripts/with-postgres.sh $(BIN)/pytest

lint: $(BIN)/.installed
	$(BIN)/ruff check .

clean:
	rm -rf $(VENV) node_modules instance/*.db
