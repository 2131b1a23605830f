#!/usr/bin/env bash
# Prints the durations `scripts/phase.sh` recorded for this run of `make
# test`, slowest first, and their total.
set -euo pipefail
file=$1
[ -f "$file" ] || exit 0
echo "phases (seconds):"
sort -t$'\t' -k2,2nr "$file" | awk -F'\t' '
  { printf "  %-10s %5d%s\n", $1, $2, ($3 == 0 ? "" : "  (failed)"); total += $2 }
  END { printf "  %-10s %5d\n", "total", total }'
