#!/usr/bin/env bash
# make bench: Steward's Scalelite reads against the minimal poem-openapi +
# sea-orm reference, both release builds on SQLite, loaded by wrk on
# loopback for a bounded time. Prints req/s, p99 and Steward's peak
# resident memory per scenario, its idle memory, and the ratio. MC's rate
# limits are off: they would cap the per-user scenario at MC's 1000/s.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
duration=${BENCH_SECONDS:-10}
connections=${BENCH_CONNECTIONS:-32}
steward_port=18281
reference_port=18290
secret=bench-secret
work=$(mktemp -d)
pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; [ "${KEEP_BENCH_LOGS:-}" ] && cp "$work"/*.log /tmp/ ; rm -rf "$work"' EXIT

wait_for() { for _ in $(seq 200); do curl -fs "$1" > /dev/null 2>&1 && return 0; sleep 0.1; done; echo "not up: $1"; exit 1; }
checksum() { printf '%s%s%s' "$1" "$2" "$secret" | sha1sum | cut -d' ' -f1; }

argo_key=bench-argo-key
storj_token=bench-storj-token
export MC_PASSWORD=bench-mc-Password-9x7
tenants=${BENCH_TENANTS:-10000}
storj_users=${BENCH_STORJ_USERS:-1000}
STEWARD_LISTEN=127.0.0.1:$steward_port STEWARD_DATABASE_URL="sqlite://$work/steward.db?mode=rwc" \
  STEWARD_SCALELITE_SECRET=$secret STEWARD_ARGO_ADMIN_KEY=$argo_key STEWARD_STORJ_ADMIN_TOKEN=$storj_token \
  STEWARD_MC_ADMIN_PASSWORD=$MC_PASSWORD STEWARD_MC_RATE_LIMIT=false \
  STEWARD_LIGHTHOUSE_ADMIN_PASSWORD=$MC_PASSWORD \
  STEWARD_LOG=warn "$root/target/release/steward" serve > "$work/steward.log" 2>&1 &
pids+=($!)
"$root/target/release/steward-bench-reference" 127.0.0.1:$reference_port "sqlite://$work/reference.db?mode=rwc" > "$work/reference.log" 2>&1 &
pids+=($!)
wait_for "http://127.0.0.1:$steward_port/readyz"
wait_for "http://127.0.0.1:$reference_port/server?id=server-0"
sleep 1
idle_rss=$(awk '/VmRSS/ {print $2}' "/proc/${pids[0]}/status")

# Steward's peak resident memory since the last call, in MiB; then resets
# the peak (Linux: writing 5 to clear_refs), so each scenario has its own.
peak_mib() {
  local kib
  kib=$(awk '/VmHWM/ {print $2}' "/proc/${pids[0]}/status")
  echo 5 > "/proc/${pids[0]}/clear_refs" 2>/dev/null || true
  echo $((kib / 1024))
}

add="http://127.0.0.1:$steward_port/scalelite/api/addServer?checksum=$(checksum addServer '')"
for n in $(seq 0 99); do
  curl -fs -H 'Content-Type: application/json' \
    -d "{\"server\":{\"url\":\"https://bbb$n.example.com/bigbluebutton/api\",\"secret\":\"secret\"}}" "$add" > "$work/last.json"
done
id=$(sed -e 's/.*"id":"\([^"]*\)".*/\1/' "$work/last.json")

echo "seeding $tenants ARGO tenants and $storj_users Storj users (argon2id bounds the latter)..."
python3 "$root/bench/seed.py" 127.0.0.1 "$steward_port" "$tenants" "$storj_users" "$argo_key" "$storj_token"
seed_peak=$(peak_mib)

# Prints "<req/s> <p99 ms> <peak MiB>" for a URL (extra wrk arguments after it).
measure() {
  local url=$1
  shift
  local threads=2
  [ "$connections" -lt 2 ] && threads=1
  wrk -t"$threads" -c"$connections" -d"${duration}s" --latency "$@" "$url" > "$work/wrk.txt"
  local rps p99
  rps=$(awk '/Requests\/sec/ {print $2}' "$work/wrk.txt")
  p99=$(awk '$1 == "99%" {v=$2; if (v ~ /us$/) {sub(/us/,"",v); v=v/1000} else if (v ~ /ms$/) {sub(/ms/,"",v)} else if (v ~ /s$/) {sub(/s/,"",v); v=v*1000}; print v}' "$work/wrk.txt")
  if grep -q "Non-2xx" "$work/wrk.txt"; then echo "non-2xx answers from $url" >&2; cat "$work/wrk.txt" >&2; exit 1; fi
  echo "$rps $p99 $(peak_mib)"
}

servers_url="http://127.0.0.1:$steward_port/scalelite/api/getServers?checksum=$(checksum getServers '')"
info_url="http://127.0.0.1:$steward_port/scalelite/api/getServerInfo?id=$id&checksum=$(checksum getServerInfo "id=$id")"
reference_url="http://127.0.0.1:$reference_port/server?id=server-42"

read -r servers_rps servers_p99 servers_mib < <(measure "$servers_url")
read -r info_rps info_p99 info_mib < <(measure "$info_url")
read -r ref_rps ref_p99 ref_mib < <(measure "$reference_url")
argo_headers=(-H "x-api-key: $argo_key" -H "Accept: application/json")
first_tenant=$(curl -fs "${argo_headers[@]}" "http://127.0.0.1:$steward_port/api/v2/admin/tenants" | python3 -c "import json,sys; print(json.load(sys.stdin)['data'][0]['id'])")
read -r tenants_rps tenants_p99 tenants_mib < <(BENCH_SECONDS=$duration measure "http://127.0.0.1:$steward_port/api/v2/admin/tenants" "${argo_headers[@]}")
read -r tenants1_rps tenants1_p99 tenants1_mib < <(connections=1 measure "http://127.0.0.1:$steward_port/api/v2/admin/tenants" "${argo_headers[@]}")
read -r users_rps users_p99 users_mib < <(measure "http://127.0.0.1:$steward_port/api/v2/admin/tenants/$first_tenant/users" "${argo_headers[@]}")
read -r storj_rps storj_p99 storj_mib < <(measure "http://127.0.0.1:$steward_port/api/user/user7@example.org" -H "Authorization: $storj_token")
mc="http://127.0.0.1:$steward_port/api/v1"
mc_token=$(curl -fs -H 'Content-Type: application/json' -d "{\"username\":\"mexadmin\",\"password\":\"$MC_PASSWORD\"}" "$mc/login" | python3 -c "import json,sys; print(json.load(sys.stdin)['token'])")
login_connections=${BENCH_LOGIN_CONNECTIONS:-2}
read -r login_rps login_p99 login_mib < <(connections=$login_connections measure "$mc/login" -s "$root/bench/mc_login.lua")
read -r login32_rps login32_p99 login32_mib < <(measure "$mc/login" -s "$root/bench/mc_login.lua")
read -r current_rps current_p99 current_mib < <(measure "$mc/auth/user/current" -s "$root/bench/post.lua" -H "Authorization: Bearer $mc_token")
# Flavors and cloudlets each (ShowFlavor, ShowCloudlet over them).
flavors=${BENCH_FLAVORS:-1000}
python3 - "$mc" "$mc_token" "$flavors" <<'PY'
import json, sys, urllib.request
base, token, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
for n in range(count):
    body = {"Region": "local", "Flavor": {"key": {"name": f"seed-{n:04d}"}, "ram": 1024 * (n % 8 + 1), "vcpus": n % 4 + 1, "disk": 20}}
    request = urllib.request.Request(f"{base}/auth/ctrl/CreateFlavor", data=json.dumps(body).encode(),
                                     headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"})
    urllib.request.urlopen(request).read()
def post(path, body):
    request = urllib.request.Request(f"{base}{path}", data=json.dumps(body).encode(),
                                     headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"})
    urllib.request.urlopen(request).read()
post("/auth/org/create", {"Name": "benchop", "Type": "operator"})
for n in range(count):
    post("/auth/ctrl/CreateCloudlet", {"Region": "local", "Cloudlet": {
        "key": {"organization": "benchop", "name": f"c{n:04d}"}, "location": {"latitude": 31 + n / 1000, "longitude": -91},
        "num_dynamic_ips": 254, "platform_type": "fakeedgebox"}})
PY
# App instances (ShowAppInst over them): one VM app, deployed to the
# cloudlets in turn (a VM instance needs no cluster).
appinsts=${BENCH_APPINSTS:-10000}
echo "seeding $appinsts MC app instances..."
appinst_seed_started=$(date +%s)
python3 - "$mc" "$mc_token" "$appinsts" "$flavors" <<'PY'
import json, sys, urllib.request
base, token, count, cloudlets = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
def post(path, body):
    request = urllib.request.Request(f"{base}{path}", data=json.dumps(body).encode(),
                                     headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"})
    return urllib.request.urlopen(request).read()
post("/auth/org/create", {"Name": "benchdev", "Type": "developer"})
md5 = "0123456789abcdef0123456789abcdef"
post("/auth/ctrl/CreateApp", {"Region": "local", "App": {"key": {"organization": "benchdev", "name": "vm", "version": "1"},
    "image_type": "Qcow", "image_path": f"images.example.com/vm.qcow2#md5:{md5}", "access_ports": "tcp:8080",
    "default_flavor": {"name": "seed-0001"}}})
for n in range(count):
    answer = post("/auth/ctrl/CreateAppInst", {"Region": "local", "AppInst": {
        "key": {"name": f"i{n:05d}", "organization": "benchdev", "cloudlet_key": {"organization": "benchop", "name": f"c{n % cloudlets:04d}"}},
        "app_key": {"organization": "benchdev", "name": "vm", "version": "1"}}})
    if b"Created AppInst successfully" not in answer:
        sys.exit(f"instance {n}: {answer!r}")
PY
appinst_seed_seconds=$(( $(date +%s) - appinst_seed_started ))
# Each answer is ~5 MB; a few connections keep the queue under the pool's
# acquire timeout (past it MC answers 503).
show_connections=${BENCH_SHOW_CONNECTIONS:-4}
read -r showappinst_rps showappinst_p99 showappinst_mib < <(connections=$show_connections measure "$mc/auth/ctrl/ShowAppInst" -s "$root/bench/mc_show_app_inst.lua" -H "Authorization: Bearer $mc_token")
read -r createapp_rps createapp_p99 createapp_mib < <(measure "$mc/auth/ctrl/CreateApp" -s "$root/bench/mc_create_app.lua" -H "Authorization: Bearer $mc_token")
read -r showflavor_rps showflavor_p99 showflavor_mib < <(measure "$mc/auth/ctrl/ShowFlavor" -s "$root/bench/mc_show_flavor.lua" -H "Authorization: Bearer $mc_token")
read -r showcloudlet_rps showcloudlet_p99 showcloudlet_mib < <(measure "$mc/auth/ctrl/ShowCloudlet" -s "$root/bench/mc_show_cloudlet.lua" -H "Authorization: Bearer $mc_token")
read -r createflavor_rps createflavor_p99 createflavor_mib < <(measure "$mc/auth/ctrl/CreateFlavor" -s "$root/bench/mc_create_flavor.lua" -H "Authorization: Bearer $mc_token")
read -r refcreate_rps refcreate_p99 _ < <(measure "http://127.0.0.1:$reference_port/flavor" -s "$root/bench/mc_create_flavor.lua")
read -r lh_instances lh_delay lh_best lh_median lh_sequential < <(python3 "$root/bench/lighthouse_deploy.py" \
  "http://127.0.0.1:$steward_port" admin@lighthouse.local "$MC_PASSWORD" "${BENCH_LIGHTHOUSE_INSTANCES:-50}" 100)
lighthouse_mib=$(peak_mib)
# MC's events: a million audit rows over 30 days in both databases, then
# the default 48-hour show (newest ten) and terms (every field counted).
events=${BENCH_EVENTS:-1000000}
echo "seeding $events MC events into both databases..."
events_seed_started=$(date +%s)
python3 "$root/bench/events_seed.py" steward "$work/steward.db" "$events"
python3 "$root/bench/events_seed.py" reference "$work/reference.db" "$events"
events_seed_seconds=$(( $(date +%s) - events_seed_started ))
peak_mib > /dev/null
read -r showevents_rps showevents_p99 showevents_mib < <(measure "$mc/auth/events/show" -s "$root/bench/mc_events.lua" -H "Authorization: Bearer $mc_token")
read -r refshowevents_rps refshowevents_p99 _ < <(measure "http://127.0.0.1:$reference_port/events/show" -s "$root/bench/mc_events.lua")
terms_connections=${BENCH_TERMS_CONNECTIONS:-2}
read -r eventterms_rps eventterms_p99 eventterms_mib < <(connections=$terms_connections measure "$mc/auth/events/terms" --timeout 10s -s "$root/bench/mc_events.lua" -H "Authorization: Bearer $mc_token")
read -r refeventterms_rps refeventterms_p99 _ < <(connections=$terms_connections measure "http://127.0.0.1:$reference_port/events/terms" --timeout 10s -s "$root/bench/mc_events.lua")

printf '\n%-44s %12s %10s %12s\n' "endpoint ($connections connections, ${duration}s, SQLite)" "req/s" "p99 ms" "peak MiB"
row() { printf '%-44s %12.0f %10.2f %12s\n' "$@"; }
row "steward getServers (100 servers)" "$servers_rps" "$servers_p99" "$servers_mib"
row "steward getServerInfo (one row)" "$info_rps" "$info_p99" "$info_mib"
row "reference poem-openapi + sea-orm (one row)" "$ref_rps" "$ref_p99" "(other process)"
row "argo list tenants ($tenants tenants)" "$tenants_rps" "$tenants_p99" "$tenants_mib"
row "  the same, 1 connection" "$tenants1_rps" "$tenants1_p99" "$tenants1_mib"
row "argo list a tenant's users" "$users_rps" "$users_p99" "$users_mib"
row "storj get user ($storj_users users)" "$storj_rps" "$storj_p99" "$storj_mib"
row "mc login (argon2id), $login_connections connections" "$login_rps" "$login_p99" "$login_mib"
row "mc login (argon2id), $connections connections" "$login32_rps" "$login32_p99" "$login32_mib"
row "mc auth/user/current (bearer JWT)" "$current_rps" "$current_p99" "$current_mib"
row "mc ShowFlavor, stream of $flavors flavors" "$showflavor_rps" "$showflavor_p99" "$showflavor_mib"
row "mc ShowCloudlet, stream of $flavors cloudlets" "$showcloudlet_rps" "$showcloudlet_p99" "$showcloudlet_mib"
row "mc CreateFlavor (a new flavor each)" "$createflavor_rps" "$createflavor_p99" "$createflavor_mib"
row "mc ShowAppInst, $appinsts instances, $show_connections conns" "$showappinst_rps" "$showappinst_p99" "$showappinst_mib"
row "mc CreateApp (a new Docker app each)" "$createapp_rps" "$createapp_p99" "$createapp_mib"
row "reference: insert one row from JSON" "$refcreate_rps" "$refcreate_p99" "(other process)"
row "mc ShowEvents, newest 10 of $events" "$showevents_rps" "$showevents_p99" "$showevents_mib"
row "reference: the same query" "$refshowevents_rps" "$refshowevents_p99" "(other process)"
row "mc EventTerms, 48h of $events, $terms_connections conns" "$eventterms_rps" "$eventterms_p99" "$eventterms_mib"
row "reference: SQL GROUP BYs, $terms_connections conns" "$refeventterms_rps" "$refeventterms_p99" "(other process)"
overall_peak=0
for p in "$servers_mib" "$info_mib" "$ref_mib" "$tenants_mib" "$tenants1_mib" "$users_mib" "$storj_mib" "$login_mib" "$login32_mib" "$current_mib" "$showflavor_mib" "$showcloudlet_mib" "$createflavor_mib" "$showappinst_mib" "$createapp_mib" "$showevents_mib" "$eventterms_mib"; do
  [ "$p" -gt "$overall_peak" ] && overall_peak=$p
done
printf 'steward idle memory after start (VmRSS): %d MiB (goal < 30)\n' "$((idle_rss / 1024))"
printf 'steward peak memory while seeding: %d MiB; over the measured scenarios: %d MiB (goal < 256)\n' "$seed_peak" "$overall_peak"
awk -v s="$info_rps" -v r="$ref_rps" 'BEGIN { printf "ratio getServerInfo / reference: %.2f (goal >= 0.80)\n", s / r }'
awk -v s="$createflavor_rps" -v r="$refcreate_rps" 'BEGIN { printf "ratio CreateFlavor / reference insert: %.2f (Steward also authenticates, authorizes and audits)\n", s / r }'
awk -v s="$createapp_rps" -v r="$refcreate_rps" 'BEGIN { printf "ratio CreateApp / reference insert: %.2f (Steward also runs the Controller'"'"'s checks and writes a manifest)\n", s / r }'
awk -v s="$showevents_rps" -v r="$refshowevents_rps" 'BEGIN { printf "ratio ShowEvents / reference: %.2f\n", s / r }'
awk -v s="$eventterms_rps" -v r="$refeventterms_rps" 'BEGIN { printf "ratio EventTerms / reference: %.2f\n", s / r }'
printf 'seeding %d events (both databases) took %d s\n' "$events" "$events_seed_seconds"
printf 'seeding %d app instances through CreateAppInst took %d s\n' "$appinsts" "$appinst_seed_seconds"
printf 'lighthouse start to Finalized, %d instances, %d ms per Docker call: best %s s, median %s s (sequential lower bound %s s; peak %s MiB)\n' \
  "$lh_instances" "$lh_delay" "$lh_best" "$lh_median" "$lh_sequential" "$lighthouse_mib"
