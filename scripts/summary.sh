#!/usr/bin/env bash
# Prints one closing line for `make test`: every nextest test, schemathesis
# case, pytest test and node test, passed and failed, from the logs the
# Makefile keeps. Exits non-zero when anything failed or errored, or when a
# log is missing, so the line can never hide a failure.
set -euo pipefail
missing=0
logs=()
for log in "$@"; do
  if [ -f "$log" ]; then logs+=("$log"); else echo "missing log: $log" >&2; missing=1; fi
done
awk -v missing="$missing" '
  function count(    i) {
    for (i = 1; i <= NF; i++) {
      if ($(i+1) ~ /^passed/) p += $i
      if ($(i+1) ~ /^(failed|errored|errors?)[,;.]?$/) f += $i
      # schemathesis: "1367 generated, 1 found 2 unique failures"
      if ($i == "found" && $(i+2) == "unique") f += $(i+1)
    }
  }
  # nextest: "Summary [ 111.358s] 280 tests run: 278 passed, 2 failed, 0 skipped"
  /^ *Summary \[/ { count() }
  # schemathesis
  / generated, / { count() }
  # pytest: "==== 1 failed, 11 passed in 3.10s ===="
  /^=+ .*(passed|failed|error).* in [0-9.]+s/ { count() }
  # node --test: "# pass 12" and "# fail 0"
  /^# pass [0-9]+$/ { p += $3 }
  /^# fail [0-9]+$/ { f += $3 }
  END { printf "%d passed, %d failed\n", p, f; exit (f > 0 || missing > 0) }
' "${logs[@]}" /dev/null
