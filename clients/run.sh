#!/usr/bin/env bash
# Generated clients against a live Steward. Starts one Steward over a fresh
# SQLite database, downloads every served spec (one per openapi/*.yaml),
# generates a Python client (openapi-python-client) and TypeScript types
# (openapi-typescript) from each into target/clients/ (regenerated every
# run, never committed, so spec drift fails the tests), then runs the
# Python tests (pytest), the TypeScript tests (tsc --noEmit, then tsc
# --noCheck to emit, then node --test) and, when there are any,
# clients/browser/*.test.mjs, with the same environment plus STEWARD_URL
# and STEWARD_CLIENTS_OUT. Exits non-zero if any step failed, printing the
# server log's tail. Closing lines: pytest's "=== N passed in Xs ===" and
# node's "# pass N" / "# fail N" (TAP), once per node run.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bin=${STEWARD_BIN:-$root/target/debug/steward}
if [ ! -x "$bin" ]; then echo "!! no Steward binary at $bin (cargo build --bin steward)"; exit 1; fi
bin=$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")
venv=${VENV:-$root/.venv}
port=${CLIENTS_PORT:-18282}
out=$root/target/clients
clients=$root/clients
work=$(mktemp -d)
pid=
types_pid=
cleanup() {
  if [ -n "$types_pid" ]; then kill "$types_pid" 2> /dev/null || true; fi
  if [ -n "$pid" ]; then kill "$pid" 2> /dev/null || true; wait "$pid" 2> /dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

surfaces=()
for spec in "$root"/openapi/*.yaml; do surfaces+=("$(basename "$spec" .yaml)"); done

# Nothing from the caller's environment (or a ./steward.toml: the server
# starts in the temp dir) changes what the tests see.
unset STEWARD_CONFIG STEWARD_MC_JWT_SECRET STEWARD_SMTP_URL STEWARD_METRICS_LISTEN \
  STEWARD_MAIL_FROM STEWARD_MAIL_LOG_BODIES STEWARD_LOG_FORMAT \
  STEWARD_LIGHTHOUSE_SESSION_HOURS STEWARD_LIGHTHOUSE_TOKEN_KEY
export STEWARD_MC_VERIFY_EMAIL=false
export STEWARD_MC_RATE_LIMIT=true
export STEWARD_LISTEN=127.0.0.1:$port
export STEWARD_DATABASE_URL="sqlite://$work/clients.db?mode=rwc"
export STEWARD_SCALELITE_SECRET=clients-scalelite-secret-5b1f
export STEWARD_SCALELITE_MULTITENANCY=true
export STEWARD_STORJ_ADMIN_TOKEN=clients-storj-token-9c2e71
export STEWARD_ARGO_ADMIN_KEY=clients-argo-key-4d8a02
export STEWARD_MC_ADMIN_USER=mexadmin
export STEWARD_MC_ADMIN_PASSWORD='Clients-mc-admin-passphrase-ochre-lantern-73'
export STEWARD_MC_BAD_AUTH_DELAY_MS=10
export STEWARD_LIGHTHOUSE_ADMIN_EMAIL=admin@lighthouse.local
export STEWARD_LIGHTHOUSE_ADMIN_PASSWORD='Clients-lighthouse-admin-passphrase-amber-harbor-41'
export STEWARD_URL=http://127.0.0.1:$port
export STEWARD_CLIENTS_OUT=$out
export PYTHONDONTWRITEBYTECODE=1

status=0
server_log() { echo "--- server log (tail)"; tail -n 60 "$work/server.log"; }
fail() { echo "!! $1"; status=1; }
step() { echo "== clients: $1 (at ${SECONDS}s)"; }

(cd "$work" && exec "$bin" serve) > "$work/server.log" 2>&1 &
pid=$!
ready=
for _ in $(seq 150); do
  kill -0 "$pid" 2> /dev/null || break
  if curl -fs "$STEWARD_URL/readyz" > /dev/null 2>&1; then ready=1; break; fi
  sleep 0.1
done
# Still running: not some other server that answered on the port.
if [ -z "$ready" ] || ! kill -0 "$pid" 2> /dev/null; then
  echo "!! Steward did not become ready on $STEWARD_LISTEN"; server_log; exit 1
fi

step "downloading served specs (${surfaces[*]})"
rm -rf "$out"
mkdir -p "$out/specs" "$out/python" "$out/ts"
for s in "${surfaces[@]}"; do
  curl -fsS "$STEWARD_URL/openapi/$s.json" -o "$out/specs/$s.json" || fail "downloading the $s spec"
done

python_clients() {
  local s log
  for s in "${surfaces[@]}"; do
    log=$out/python/generate-$s.log
    "$venv/bin/openapi-python-client" generate --path "$out/specs/$s.json" --meta none \
      --output-path "$out/python/steward_$s" --config "$clients/python/openapi-python-client.yaml" \
      > "$log" 2>&1 || { cat "$log"; echo "!! generating the Python client for $s"; return 1; }
    # The warnings name what the generator left out (XML-only responses).
    if grep -q '^WARNING' "$log"; then
      echo "   $s: $(grep -c '^WARNING' "$log") generator warning(s), see target/clients/python/generate-$s.log"
    fi
  done
}

typescript_types() {
  local s log
  for s in "${surfaces[@]}"; do
    log=$out/ts/generate-$s.log
    "$clients/node_modules/.bin/openapi-typescript" "$out/specs/$s.json" -o "$out/ts/$s.d.ts" > "$log" 2>&1 \
      || { cat "$log"; echo "!! generating the TypeScript types for $s"; return 1; }
  done
}

python_ok=
typescript_ok=
if [ "$status" = 0 ]; then
  step "generating Python clients (openapi-python-client) and TypeScript types (openapi-typescript)"
  # Side by side: each is one process at a time.
  typescript_types > "$work/typescript-types.out" 2>&1 &
  types_pid=$!
  if python_clients; then python_ok=1; else status=1; fi
  if wait "$types_pid"; then typescript_ok=1; else status=1; fi
  types_pid=
  cat "$work/typescript-types.out"
fi

if [ -n "$python_ok" ]; then
  step "python tests"
  (cd "$clients/python" && "$venv/bin/python" -m pytest -v) || fail "python client tests"
fi

if [ -n "$typescript_ok" ]; then
  step "typescript tests"
  # The compiled tests import openapi-fetch from clients/node_modules.
  ln -sfn "$clients/node_modules" "$out/node_modules"
  tsc=$clients/node_modules/.bin/tsc
  if ! "$tsc" -p "$clients/tsconfig.json" --noEmit; then
    fail "typescript type check"
  # Just checked: the compile only emits.
  elif ! "$tsc" -p "$clients/tsconfig.json" --noCheck; then
    fail "typescript compile"
  else
    # ES modules, as clients/package.json declares for their sources.
    echo '{"type": "module"}' > "$out/ts-out/package.json"
    node --test --test-reporter=tap "$out"/ts-out/*.test.js || fail "typescript client tests"
  fi
fi

shopt -s nullglob
browser_tests=("$clients"/browser/*.test.mjs)
shopt -u nullglob
if [ "${#browser_tests[@]}" -gt 0 ]; then
  step "browser tests"
  node --test --test-reporter=tap "${browser_tests[@]}" || fail "browser tests"
fi

step "done"
if [ "$status" != 0 ]; then server_log; fi
exit "$status"
