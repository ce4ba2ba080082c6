#!/usr/bin/env bash
# Figures of issue 3 on the large dataset: requests/s, p50 and p99 of the client dashboard,
# a client's project page, the staff board of a 500-task project and a task page with 50
# comments. Usage: bench/portal.sh DATABASE_URL, where the database holds
# `portico demo --scale large` (sqlite:///path/portico.db or postgres://…). BIN names another
# binary (default target/release/portico). Needs wrk, and sqlite3 or psql.
set -euo pipefail
cd "$(dirname "$0")/.."
url=${1:?usage: bench/portal.sh DATABASE_URL}
. bench/large.sh
client=client-00001-a@example.com
staff=staff-000@example.com

big=$(sql "SELECT $(uuid id) FROM projects WHERE name = 'Project 00000'")
busy=$(sql "SELECT $(uuid id) FROM tasks WHERE name = 'Task 0 of project 00000'")
own=$(sql "SELECT $(uuid p.id) FROM projects p JOIN project_clients pc ON pc.project_id = p.id JOIN users u ON u.client_org_id = pc.client_org_id WHERE u.email = '$client' AND p.archived_at IS NULL ORDER BY p.name LIMIT 1")

start_server

client_cookie=$(login "$client")
staff_cookie=$(login "$staff")

measure() {
  local name=$1 cookie=$2 path=$3
  local status
  status=$(curl -s -o /dev/null -w '%{http_code}' -H "Cookie: $cookie" "$base$path")
  [ "$status" = 200 ] || { echo "$name: $path answered $status" >&2; exit 1; }
  echo "== $name ($path)"
  echo "light load, wrk -t1 -c2 -d10s:"
  wrk -t1 -c2 -d10s --latency -H "Cookie: $cookie" "$base$path" | grep -E "Requests/sec| 50%| 99%|Non-2xx"
  echo "throughput, wrk -t2 -c32 -d10s:"
  wrk -t2 -c32 -d10s --latency -H "Cookie: $cookie" "$base$path" | grep -E "Requests/sec| 50%| 99%|Non-2xx"
}
measure "client dashboard" "$client_cookie" /portal
measure "client project page" "$client_cookie" "/portal/projects/$own"
measure "staff board, 500 tasks" "$staff_cookie" "/projects/$big/board"
measure "task page, 50 comments" "$staff_cookie" "/projects/$big/tasks/$busy"
echo "RSS after load: $(awk '/VmRSS/ {print $2, $3}' /proc/$pid/status)"
