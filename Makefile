# Steward: the two commands are `make run` and `make test`.
CARGO ?= cargo
PYTHON ?= python3
VENV := .venv
LOGS := target/test-logs
SHELL := /bin/bash
.SHELLFLAGS := -eo pipefail -c

.PHONY: run test lint unit contract bench clean-venv

## Build and serve on 127.0.0.1:8080 over an embedded SQLite database.
run:
	$(CARGO) build --release --bin steward
	./target/release/steward serve

## Every test: format, lints, unit and integration tests (SQLite and
## PostgreSQL), and schemathesis against every served spec.
test: lint unit contract
	@scripts/summary.sh $(LOGS)/unit.log $(LOGS)/contract.log

lint:
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings

# Doc tests are skipped: there are none, and their empty runs would close the log.
# The venv brings the SMTP server the mail tests talk to.
unit: $(VENV)/.installed
	mkdir -p $(LOGS)
	$(CARGO) test --workspace --lib --bins --tests 2>&1 | tee $(LOGS)/unit.log

contract: $(VENV)/.installed
	$(CARGO) build --bin steward
	mkdir -p $(LOGS)
	contract/run.sh 2>&1 | tee $(LOGS)/contract.log

# Pinned schemathesis (and its dependencies) in a project-local venv.
$(VENV)/.installed: contract/requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -r contract/requirements.txt
	touch $@

## Load test against the minimal poem-openapi + sea-orm reference (not part
## of `make test`).
bench:
	command -v wrk > /dev/null || (apt-get update -q && apt-get install -y -q wrk)
	$(CARGO) build --release -p steward -p steward-bench-reference
	bench/run.sh

clean-venv:
	rm -rf $(VENV)
