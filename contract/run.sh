#!/usr/bin/env bash
# Runs schemathesis against every served spec of a freshly started Steward
# (fresh SQLite database), signing Scalelite calls via hooks.py. Fails on any
# 5xx, undocumented status, wrong content type or response-schema violation.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bin=${STEWARD_BIN:-$root/target/debug/steward}
venv=${VENV:-$root/.venv}
port=${CONTRACT_PORT:-18181}
work=$(mktemp -d)
trap 'kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; rm -rf "$work"' EXIT

export STEWARD_LISTEN=127.0.0.1:$port
export STEWARD_DATABASE_URL="sqlite://$work/contract.db?mode=rwc"
export STEWARD_SCALELITE_SECRET=contract-secret
export STEWARD_SCALELITE_MULTITENANCY=true
export STEWARD_STORJ_ADMIN_TOKEN=contract-token
export STEWARD_ARGO_ADMIN_KEY=contract-argo-key
export STEWARD_MC_ADMIN_PASSWORD=contract-mc-Password-9x7
# Failed logins pause 3 s in MC; schemathesis sends many.
export STEWARD_MC_BAD_AUTH_DELAY_MS=10
export STEWARD_CONTRACT_URL=http://127.0.0.1:$port
"$bin" serve > "$work/server.log" 2>&1 &
pid=$!
for _ in $(seq 100); do
  curl -fs "http://127.0.0.1:$port/readyz" > /dev/null && break
  sleep 0.1
done

export SCHEMATHESIS_HOOKS=hooks
cd "$root/contract"
status=0
for surface in ${SURFACES:-scalelite storj argo mc}; do
  echo "== schemathesis: $surface"
  "$venv/bin/schemathesis" run "http://127.0.0.1:$port/openapi/$surface.json" \
    --url "http://127.0.0.1:$port" \
    --checks not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance \
    --max-examples "${MAX_EXAMPLES:-40}" \
    --seed 1 \
    --no-color || status=1
done
if [ "$status" -ne 0 ]; then
  echo "--- server log"; tail -n 50 "$work/server.log"
fi
exit "$status"
