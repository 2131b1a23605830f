#!/usr/bin/env bash
# Runs one phase of `make test` and records how long it took in
# $LOGS/phases.tsv (name, seconds, exit status), so the run can close with
# its phases' durations. The phase's own exit status is kept.
set -uo pipefail
logs=${LOGS:-target/test-logs}
name=$1
shift
mkdir -p "$logs"
started=$(date +%s)
"$@"
status=$?
printf '%s\t%s\t%s\n' "$name" "$(($(date +%s) - started))" "$status" >> "$logs/phases.tsv"
exit "$status"
