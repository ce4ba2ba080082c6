#!/usr/bin/env bash
# Fault drills on a release build (SQLite), as an operator would meet them: a data directory
# that fills up, and SIGTERM during a slow upload. Run as root (it mounts a 20 MB tmpfs).
# Usage: bench/faults.sh; BIN names another binary (default target/release/portico).
# Needs curl. Prints what happened; the suite's own tests assert the same behaviour.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=$(realpath "${BIN:-target/release/portico}")
work=$(mktemp -d)
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
base="http://127.0.0.1:$port"
pid=
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; umount "$work/data" 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

start() {
  PORTICO_LOG=warn PORTICO_SHUTDOWN_TIMEOUT_SECONDS=${SHUTDOWN:-30} "$bin" serve --demo --listen "127.0.0.1:$port" --data-dir "$work/data" >>"$work/out.log" 2>&1 &
  pid=$!
  until curl -fs "$base/readyz" >/dev/null 2>&1; do sleep 0.05; done
}
login() {
  local jar="$work/jar" csrf
  csrf=$(curl -s -c "$jar" "$base/login" | sed -n 's/.*name="_csrf" value="\([^"]*\)".*/\1/p' | head -n 1)
  curl -s -b "$jar" -c "$jar" -o /dev/null -d "_csrf=$csrf&email=staff%40example.com&password=portico-demo" "$base/login"
  echo "$csrf"
}

echo "== 1. the data directory fills up (20 MB tmpfs)"
mkdir -p "$work/data"
mount -t tmpfs -o size=20m tmpfs "$work/data"
start
csrf=$(login)
project=$(curl -s -b "$work/jar" "$base/projects" | grep -o 'href="/projects/[0-9a-f-]\{36\}"' | head -n 1 | sed 's/href="//; s/"$//')
dd if=/dev/zero of="$work/data/filler" bs=1M count=100 2>/dev/null || true
echo "disk: $(df -h --output=avail "$work/data" | tail -n 1 | tr -d ' ') free"
head -c 3000000 /dev/urandom >"$work/upload.bin"
flash() { grep -i '^set-cookie: portico_flash' "$work/headers" | sed 's/.*portico_flash=\([^;]*\).*/\1/' | python3 -c 'import sys, urllib.parse; print(urllib.parse.unquote(sys.stdin.read().strip()))'; }
upload() { curl -s -b "$work/jar" -o /dev/null -D "$work/headers" -w '%{http_code}' -F "files=@$1" "$base$project/files?_csrf=$csrf"; }
echo "upload while full: $(upload "$work/upload.bin"), saying: $(flash)"
echo "/readyz while full: $(curl -s -o /dev/null -w '%{http_code}' "$base/readyz")"
rm -f "$work/data/filler"
echo "/readyz with room again: $(curl -s -o /dev/null -w '%{http_code}' "$base/readyz")"
echo "upload with room again: $(upload "$work/upload.bin"), saying: $(flash)"
kill "$pid"; wait "$pid" || true; pid=

echo; echo "== 2. SIGTERM during a slow upload (100 KB/s, shutdown deadline 5 s)"
SHUTDOWN=5 start
csrf=$(login)
head -c 50000000 /dev/zero >"$work/slow.bin"
curl -s -o /dev/null -b "$work/jar" --limit-rate 100K -F "files=@$work/slow.bin" "$base$project/files?_csrf=$csrf" &
uploader=$!
sleep 3
echo "partial upload before SIGTERM: $(find "$work/data/files" -name '*#*' -printf '%s bytes\n' | head -n 1)"
stopped_at=$(date +%s%N)
kill -TERM "$pid"
set +e; wait "$pid"; code=$?; set -e; pid=
echo "stopped $(( ($(date +%s%N) - stopped_at) / 1000000 )) ms after SIGTERM, exit status $code"
echo "partial uploads left: $(find "$work/data/files" -name '*#*' | wc -l)"
wait "$uploader" 2>/dev/null || true
tail -n 3 "$work/out.log"
