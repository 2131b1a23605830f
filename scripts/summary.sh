#!/usr/bin/env bash
# Prints one closing line for `make test`: every cargo test and schemathesis
# case, passed and failed, from the logs the Makefile keeps.
set -euo pipefail
awk '
  /^test result: / { for (i = 1; i <= NF; i++) { if ($(i+1) ~ /^passed/) p += $i; if ($(i+1) ~ /^failed/) f += $i } }
  / generated, / && /passed/ { for (i = 1; i <= NF; i++) { if ($(i+1) ~ /^passed/) p += $i; if ($(i+1) ~ /^failed/) f += $i } }
  END { printf "%d passed, %d failed\n", p, f }
' "$@"
