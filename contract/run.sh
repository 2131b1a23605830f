#!/usr/bin/env bash
# Runs schemathesis against every served spec of a freshly started Steward,
# once on a fresh SQLite database and once on a throwaway PostgreSQL one
# (skipped when PostgreSQL is unreachable, unless REQUIRE_POSTGRES=1),
# authenticating every surface's calls (signing Scalelite's) via hooks.py.
# Fails on any 5xx, undocumented status, wrong content type or
# response-schema violation.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bin=${STEWARD_BIN:-$root/target/debug/steward}
venv=${VENV:-$root/.venv}
port=${CONTRACT_PORT:-18181}
work=$(mktemp -d)
pg_db="steward_contract_$$"
printed=
cleanup() {
  # On an interrupt: the runs, their servers (not this shell's children)
  # and what the runs printed so far.
  jobs -p | xargs -r kill 2>/dev/null || true
  cat "$work"/*.pid 2>/dev/null | xargs -r kill 2>/dev/null || true
  wait 2>/dev/null || true
  [ -n "$printed" ] || cat "$work"/*.out 2>/dev/null || true
  psql -h 127.0.0.1 -U postgres -d postgres -qc "DROP DATABASE IF EXISTS $pg_db WITH (FORCE)" > /dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

export STEWARD_SCALELITE_SECRET=contract-secret
export STEWARD_SCALELITE_MULTITENANCY=true
export STEWARD_STORJ_ADMIN_TOKEN=contract-token
export STEWARD_ARGO_ADMIN_KEY=contract-argo-key
export STEWARD_MC_ADMIN_PASSWORD=contract-mc-Password-9x7
export STEWARD_LIGHTHOUSE_ADMIN_PASSWORD=contract-lighthouse-Password-5v3
# Failed logins pause 3 s in MC; schemathesis sends many.
export STEWARD_MC_BAD_AUTH_DELAY_MS=10
export SCHEMATHESIS_HOOKS=hooks

# Every spec against one fresh Steward over the database URL given, on the
# port given. Exits non-zero when any surface failed.
run_against() {
  local database=$1 url=$2 port=$3 server_pid failed=0
  export STEWARD_LISTEN=127.0.0.1:$port
  export STEWARD_CONTRACT_URL=http://127.0.0.1:$port
  STEWARD_DATABASE_URL=$url "$bin" serve > "$work/server-$database.log" 2>&1 &
  server_pid=$!
  echo "$server_pid" > "$work/$database.pid"
  local ready=
  for _ in $(seq 100); do
    kill -0 "$server_pid" 2>/dev/null || break
    curl -fs "http://127.0.0.1:$port/readyz" > /dev/null && { ready=1; break; }
    sleep 0.1
  done
  # Its own server, not one left on the port.
  if [ -z "$ready" ] || ! kill -0 "$server_pid" 2>/dev/null; then
    echo "--- steward ($database) did not start on port $port"; tail -n 20 "$work/server-$database.log"
    return 1
  fi
  cd "$root/contract"
  # mc_federation before mc: its hook logs in as MC's superuser to make a
  # partner, which MC's own run may have locked out or re-passworded.
  for surface in ${SURFACES:-scalelite storj argo mc_federation mc lighthouse}; do
    echo "== schemathesis ($database): $surface"
    "$venv/bin/schemathesis" --config-file "$root/contract/schemathesis.toml" \
      run "http://127.0.0.1:$port/openapi/$surface.json" \
      --url "http://127.0.0.1:$port" \
      --checks not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance \
      --max-examples "${MAX_EXAMPLES:-40}" \
      --seed 1 ${SCHEMATHESIS_EXTRA:-} \
      --no-color || failed=1
  done
  if [ "$failed" != 0 ]; then echo "--- server log ($database)"; tail -n 50 "$work/server-$database.log"; fi
  kill "$server_pid" 2>/dev/null || true
  wait "$server_pid" 2>/dev/null || true
  return "$failed"
}

# The two databases run at once, each on its own port and into its own log
# (printed whole, one after the other): schemathesis is single-threaded
# Python, so one run leaves the second core mostly idle.
status=0
(run_against sqlite "sqlite://$work/contract.db?mode=rwc" "$port") > "$work/sqlite.out" 2>&1 &
sqlite_run=$!
postgres_run=
if psql -h 127.0.0.1 -U postgres -d postgres -qc "CREATE DATABASE $pg_db" > /dev/null 2>&1; then
  (run_against postgres "postgres://postgres@127.0.0.1:5432/$pg_db" "$((port + 1))") > "$work/postgres.out" 2>&1 &
  postgres_run=$!
elif [ "${REQUIRE_POSTGRES:-}" = 1 ]; then
  echo "PostgreSQL unreachable and REQUIRE_POSTGRES=1"; status=1
else
  echo "== schemathesis on PostgreSQL skipped: unreachable"
fi
wait "$sqlite_run" || status=1
if [ -n "$postgres_run" ]; then
  wait "$postgres_run" || status=1
fi
printed=1
cat "$work/sqlite.out"
[ -z "$postgres_run" ] || cat "$work/postgres.out"
exit "$status"
