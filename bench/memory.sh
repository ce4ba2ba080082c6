#!/usr/bin/env bash
# Memory of a release build on the demo workspace (SQLite): RSS at idle after start, after a
# mixed load (staff, admin and client pages, boards, file downloads, thumbnails, invoice
# PDFs, the API, logins), after a quiet minute, and the high-water mark. Usage:
# bench/memory.sh [SECONDS of load, default 120]; BIN names another binary (default
# target/release/portico). Needs wrk and curl.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${BIN:-target/release/portico}
seconds=${1:-120}
work=$(mktemp -d)
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
base="http://127.0.0.1:$port"

PORTICO_LOG=warn "$bin" serve --demo --listen "127.0.0.1:$port" --data-dir "$work" >"$work/out.log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || { echo "the server had stopped:"; tail -n 20 "$work/out.log"; }; rm -rf "$work"' EXIT
until curl -fs "$base/readyz" >/dev/null 2>&1; do sleep 0.05; done

rss() {
  awk '/^VmRSS|^RssAnon|^RssFile|^VmHWM/ {printf "%s %d MiB  ", $1, $2 / 1024} END {print ""}' "/proc/$pid/status"
}

sleep 3
echo "idle after start:     $(rss)"

login() {
  local jar="$work/jar-$1" csrf
  csrf=$(curl -s -c "$jar" "$base/login" | sed -n 's/.*name="_csrf" value="\([^"]*\)".*/\1/p' | head -n 1)
  curl -s -b "$jar" -c "$jar" -o /dev/null -d "_csrf=$csrf&email=$1&password=portico-demo" "$base/login"
  echo "portico_session=$(awk '$6 == "portico_session" {print $7}' "$jar"); portico_csrf=$csrf"
}
links() { # every distinct href matching a pattern on a page
  curl -s -H "Cookie: $1" "$base$2" | grep -o "href=\"$3\"" | sed 's/href="//; s/"$//' | sort -u
}

admin=$(login admin@example.com)
staff=$(login staff@example.com)
client=$(login client@example.com)

# Staff: dashboard, projects, each project's overview, board and files; every download and
# thumbnail on those pages. Admin: invoices and their PDFs, the media page. Client: the
# portal, its projects and invoices with their PDFs.
{
  echo /staff; echo /projects
  for p in $(links "$staff" /projects '/projects/[0-9a-f-]\{36\}'); do
    echo "$p"; echo "$p/board"; echo "$p/files"
    links "$staff" "$p/files" '/projects/[^"]*/\(download\|thumbnail\)'
    links "$staff" "$p/board" '/projects/[^"]*/tasks/[0-9a-f-]\{36\}' | head -n 5
  done
} >"$work/staff.paths"
{
  echo /admin; echo /invoices; echo /admin/media; echo /admin/emails; echo /api/v1/openapi.json
  for i in $(links "$admin" /invoices '/invoices/[0-9a-f-]\{36\}'); do echo "$i"; echo "$i/pdf"; done
} >"$work/admin.paths"
{
  echo /portal
  for p in $(links "$client" /portal '/portal/projects/[0-9a-f-]\{36\}'); do echo "$p"; echo "$p/files"; done
  for i in $(links "$client" /portal/invoices '/portal/invoices/[0-9a-f-]\{36\}'); do echo "$i"; echo "$i/pdf"; done
} >"$work/client.paths"
echo "paths: $(wc -l <"$work/staff.paths") staff, $(wc -l <"$work/admin.paths") admin, $(wc -l <"$work/client.paths") client"

run() { # cookie, paths file
  wrk -t1 -c4 -d"${seconds}s" -H "Cookie: $1" -s bench/rotate.lua "$base/" -- "$2" | grep -E "Requests/sec|Non-2xx" | tr '\n' ' '
  echo
}
echo "mixed load for ${seconds} s (3 × wrk -c4 plus logins):"
loads=()
run "$staff" "$work/staff.paths" & loads+=($!)
run "$admin" "$work/admin.paths" & loads+=($!)
run "$client" "$work/client.paths" & loads+=($!)
# Logins as another person (a login replaces the jar's session, which the loads use).
for _ in $(seq $((seconds / 2))); do login finance@example.com >/dev/null; sleep 2; done & loads+=($!)
wait "${loads[@]}"
echo "after the load:       $(rss)"
sleep 60
echo "after a quiet minute: $(rss)"
