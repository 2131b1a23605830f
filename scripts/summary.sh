#!/usr/bin/env bash
# Prints one closing line for `make test`: every cargo test and schemathesis
# case, passed and failed, from the logs the Makefile keeps. Exits non-zero
# when anything failed or errored, so the line can never hide a failure.
set -euo pipefail
awk '
  function count(    i) {
    for (i = 1; i <= NF; i++) {
      if ($(i+1) ~ /^passed/) p += $i
      if ($(i+1) ~ /^(failed|errored)/) f += $i
      # schemathesis: "1367 generated, 1 found 2 unique failures"
      if ($i == "found" && $(i+2) == "unique") f += $(i+1)
    }
  }
  /^test result: / { count() }
  / generated, / { count() }
  END { printf "%d passed, %d failed\n", p, f; exit (f > 0) }
' "$@"
