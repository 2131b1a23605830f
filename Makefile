# Steward: the two commands are `make run` and `make test`.
CARGO ?= cargo
PYTHON ?= python3
NPM ?= npm
VENV := .venv
NODE_MODULES := clients/node_modules
LOGS := target/test-logs
PHASE := LOGS=$(LOGS) scripts/phase.sh
# 0: use target/debug/steward as the unit phase built it. A separate
# `cargo build` would build it again with other features (dev-dependencies
# unify features only where tests are built) and take minutes.
BUILD_BIN ?= 1
SHELL := /bin/bash
.SHELLFLAGS := -eo pipefail -c

.PHONY: run test lint unit contract clients speclint deps chromium nextest bench clean-venv

## Build and serve on 127.0.0.1:8080 over an embedded SQLite database.
run:
	$(CARGO) build --release --bin steward
	./target/release/steward serve

## Every test: format, lints, spec lint, unit and integration tests (SQLite
## and PostgreSQL), schemathesis against every served spec, generated
## Python and TypeScript clients and Swagger UI in Chromium. Closes with
## the phases' durations and one "N passed, N failed" line.
test:
	@mkdir -p $(LOGS) && rm -f $(LOGS)/phases.tsv
	@status=0; \
	for target in deps lint speclint unit contract clients; do \
	  $(MAKE) --no-print-directory $$target BUILD_BIN=0 || { status=1; [ $$target = deps ] && break; }; \
	done; \
	scripts/phases.sh $(LOGS)/phases.tsv; \
	scripts/summary.sh $(LOGS)/unit.log $(LOGS)/contract.log $(LOGS)/clients.log || status=1; \
	exit $$status

# Everything outside cargo, installed once per run from pinned lists:
# Python (schemathesis, openapi-python-client, pytest, aiosmtpd), Node
# (openapi-typescript, openapi-fetch, typescript, redocly, playwright-core)
# and Debian's chromium.
deps:
	$(PHASE) deps $(MAKE) --no-print-directory $(VENV)/.installed $(NODE_MODULES)/.installed chromium nextest

# cargo-nextest comes with this kind of machine; installed from crates.io
# where it does not.
nextest:
	command -v cargo-nextest > /dev/null || $(CARGO) install --locked cargo-nextest

lint:
	$(PHASE) fmt $(CARGO) fmt --all -- --check
	$(PHASE) clippy $(CARGO) clippy --workspace --all-targets -- -D warnings

# The specs against redocly's recommended rules and ours (clients/redocly.yaml).
speclint: $(NODE_MODULES)/.installed
	$(PHASE) speclint $(NODE_MODULES)/.bin/redocly lint --config clients/redocly.yaml openapi/*.yaml

# Every Rust test under nextest (each test its own process). It also builds
# target/debug/steward, which every later phase runs.
unit: $(VENV)/.installed
	mkdir -p $(LOGS)
	$(PHASE) unit $(CARGO) nextest run --workspace --no-fail-fast 2>&1 | tee $(LOGS)/unit.log

contract: $(VENV)/.installed
	[ "$(BUILD_BIN)" = 0 ] || $(CARGO) build --bin steward
	mkdir -p $(LOGS)
	$(PHASE) contract contract/run.sh 2>&1 | tee $(LOGS)/contract.log

clients: $(VENV)/.installed $(NODE_MODULES)/.installed chromium
	[ "$(BUILD_BIN)" = 0 ] || $(CARGO) build --bin steward
	mkdir -p $(LOGS)
	$(PHASE) clients clients/run.sh 2>&1 | tee $(LOGS)/clients.log

# Pinned Python packages in a project-local venv.
$(VENV)/.installed: contract/requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -r contract/requirements.txt
	touch $@

# Pinned Node packages, exactly as locked.
$(NODE_MODULES)/.installed: clients/package.json clients/package-lock.json
	$(NPM) ci --prefix clients --no-audit --no-fund --loglevel=error
	touch $@

# Debian's Chromium for the Swagger UI test (no browser is downloaded).
chromium:
	command -v chromium > /dev/null || (apt-get update -q && apt-get install -y -q --no-install-recommends chromium)

## Load test against the minimal poem-openapi + sea-orm reference (not part
## of `make test`).
bench:
	command -v wrk > /dev/null || (apt-get update -q && apt-get install -y -q wrk)
	$(CARGO) build --release -p steward -p steward-bench-reference
	bench/run.sh

clean-venv:
	rm -rf $(VENV)
