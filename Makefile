# Two commands for a newcomer: `make run` and `make test` (see README.md).
SHELL := /bin/bash
PY    ?= python3
VENV  := .venv
BIN   := $(VENV)/bin
HOST  ?= 127.0.0.1
PORT  ?= 5000
export DEBIAN_FRONTEND := noninteractive

.PHONY: install run test test-sqlite test-postgres lint system-deps clean loadtest bench bench-smoke bench-export bench-web bench-effect lighthouse assets

$(BIN)/.installed: pyproject.toml
	@$(PY) -m venv $(VENV) 2>/dev/null || { [ "$$(id -u)" = 0 ] && apt-get update -qq && apt-get install -y -qq python3-venv >/dev/null && $(PY) -m venv $(VENV); }
	$(BIN)/pip install -q --disable-pip-version-check -U pip
	$(BIN)/pip install -q --disable-pip-version-check -e '.[test]'
	@touch $@

node_modules/.installed: package.json
	npm install --no-audit --no-fund --loglevel=error
	@touch $@

install: $(BIN)/.installed node_modules/.installed assets

# Brotli and gzip copies of the static and npm files, made once (reporting/assets.py; idempotent).
assets: $(BIN)/.installed node_modules/.installed
	@APP_ENV=$${APP_ENV:-development} $(BIN)/flask --app wsgi build-assets

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

# The deadline rush (not part of `make test`): 40 simulated workers for 2 minutes against gunicorn
# on 127.0.0.1, first on SQLite, then on a throwaway PostgreSQL; prints the figures, fails on any
# error, lost or duplicated report (loadtest/rush.py).
loadtest: install system-deps
	$(BIN)/python -m loadtest.rush --db sqlite
	scripts/with-postgres.sh $(BIN)/python -m loadtest.rush --db postgres

# Lighthouse 12 (npm) with Debian's chromium, mobile, logged in as the demo SKP worker: one line per
# page and category, plus LCP and first-load / repeat-visit transfer, the median of 5 runs over TLS and HTTP/2
# (scripts/lighthouse.py, ~6 min).
lighthouse: install system-deps
	$(BIN)/pip install -q --disable-pip-version-check -e '.[test,lighthouse]'
	$(BIN)/python scripts/lighthouse.py

lint: $(BIN)/.installed
	$(BIN)/ruff check .
	$(BIN)/lint-imports --no-cache

# Benchmarks (not part of `make test`; see README "Performance"). 127.0.0.1 only, bounded, self-stopping.
# BENCH_SIZES=10000,100000,500000 runs the full export set; BENCH_PANDAS_MAX caps the pandas reference.
BENCH_SIZES ?= 10000,100000
BENCH_PANDAS_MAX ?= 100000

$(BIN)/.bench-installed: pyproject.toml $(BIN)/.installed
	$(BIN)/pip install -q --disable-pip-version-check -e '.[test,bench]'
	@touch $@

bench: $(BIN)/.bench-installed system-deps
	$(BIN)/python bench/export_bench.py --sizes $(BENCH_SIZES) --pandas-max $(BENCH_PANDAS_MAX)
	$(MAKE) --no-print-directory bench-web
	$(MAKE) --no-print-directory bench-effect

bench-export: $(BIN)/.bench-installed
	$(BIN)/python bench/export_bench.py --sizes $(BENCH_SIZES) --pandas-max $(BENCH_PANDAS_MAX)

# The web bench on PostgreSQL (production's database, with its durable defaults) and on SQLite.
bench-web: $(BIN)/.installed system-deps
	WITH_POSTGRES_DURABLE=1 scripts/with-postgres.sh $(BIN)/python bench/web_bench.py --database postgres
	$(BIN)/python bench/web_bench.py --database sqlite

# The page "Effektmåling" at 100k client-months (BENCH_EFFECT_SIZES): cold, warm and after a change.
bench-effect: $(BIN)/.installed
	$(BIN)/python bench/effect_bench.py

bench-smoke: $(BIN)/.installed
	$(BIN)/pytest -q tests/test_bench_smoke.py

clean:
	rm -rf $(VENV) node_modules instance/*.db
