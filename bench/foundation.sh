#!/usr/bin/env bash
# Figures for the foundation: binary size, idle RSS, time to /readyz, login throughput and an
# authenticated page's throughput and latency. Usage: bench/foundation.sh [DATABASE_URL]
# (default: a fresh SQLite file); BIN names another binary. Needs a release build (cargo build --release) and wrk.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${BIN:-target/release/portico}
work=$(mktemp -d)
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
url=${1:-sqlite://$work/portico.db}
base="http://127.0.0.1:$port"

echo "binary: $(stat -c %s "$bin" | numfmt --to=iec-i --suffix=B) ($bin)"
start=$(date +%s%N)
DATABASE_URL=$url PORTICO_LOG=warn "$bin" serve --demo --listen "127.0.0.1:$port" --data-dir "$work" >"$work/out.log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null; rm -rf "$work"' EXIT
until curl -fs "$base/readyz" >/dev/null 2>&1; do sleep 0.005; done
echo "start to /readyz (including migrations and demo seeding): $(( ($(date +%s%N) - start) / 1000000 )) ms"
sleep 2
echo "idle RSS: $(awk '/VmRSS/ {print $2, $3}' /proc/$pid/status)"

# A CSRF cookie and token, then a session cookie, the way a browser gets them.
csrf=$(curl -s -c "$work/jar" "$base/login" | sed -n 's/.*name="_csrf" value="\([^"]*\)".*/\1/p' | head -n 1)
curl -s -b "$work/jar" -c "$work/jar" -o /dev/null -d "_csrf=$csrf&email=admin%40example.com&password=portico-demo" "$base/login"
session=$(awk '$6 == "portico_session" {print $7}' "$work/jar")

echo; echo "== login (Argon2id m=19MiB t=2 p=1), wrk -t2 -c8 -d15s"
CSRF=$csrf wrk -t2 -c8 -d15s --latency -s bench/login.lua "$base/login" | grep -E "Requests/sec|Latency|99%|Non-2xx"
echo; echo "== authenticated page GET /admin, wrk -t2 -c16 -d15s"
wrk -t2 -c16 -d15s --latency -H "Cookie: portico_session=$session; portico_csrf=$csrf" "$base/admin" | grep -E "Requests/sec|Latency|50%|99%|Non-2xx"
echo "RSS after load: $(awk '/VmRSS/ {print $2, $3}' /proc/$pid/status)"
