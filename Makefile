# Steward: the two commands are `make run` and `make test`.
CARGO ?= cargo
PYTHON ?= python3
VENV := .venv

.PHONY: run test lint unit contract bench clean-venv

## Build and serve on 127.0.0.1:8080 over an embedded SQLite database.
run:
	$(CARGO) build --release --bin steward
	./target/release/steward serve

## Every test: format, lints, unit and integration tests (SQLite and
## PostgreSQL), and schemathesis against every served spec.
test: lint unit contract

lint:
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings

unit:
	$(CARGO) test --workspace

contract: $(VENV)/.installed
	$(CARGO) build --bin steward
	contract/run.sh

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
