#!/usr/bin/env bash
# Figures of issue 5 on the large dataset: the invoice list of a client with 1,000 invoices
# (the portal's first and last pages, and the finance team's list of that client), the
# client dashboard with its invoice block, and the invoice PDF (latency at one request at a
# time, PDFs per second with two at a time on the two cores). Usage: bench/invoices.sh
# DATABASE_URL, where the database holds `portico demo --scale large`. BIN names another
# binary (default target/release/portico). Needs wrk, and sqlite3 or psql.
set -euo pipefail
cd "$(dirname "$0")/.."
url=${1:?usage: bench/invoices.sh DATABASE_URL}
. bench/large.sh
client=client-00001-a@example.com
admin=admin@example.com

org=$(sql "SELECT $(uuid client_org_id) FROM users WHERE email = '$client'")
invoice=$(sql "SELECT $(uuid i.id) FROM invoices i JOIN users u ON u.client_org_id = i.client_org_id WHERE u.email = '$client' ORDER BY i.number LIMIT 1")
count=$(sql "SELECT COUNT(*) FROM invoices i JOIN users u ON u.client_org_id = i.client_org_id WHERE u.email = '$client'")
echo "the client's organisation has $count invoices"

start_server

client_cookie=$(login "$client")
admin_cookie=$(login "$admin")

last=$(( (count + 24) / 25 ))
measure "portal invoice list, page 1" "Cookie: $client_cookie" /portal/invoices
measure "portal invoice list, page $last" "Cookie: $client_cookie" "/portal/invoices?page=$last"
measure "portal invoice list, overdue only" "Cookie: $client_cookie" "/portal/invoices?status=overdue"
measure "finance list of the client" "Cookie: $admin_cookie" "/invoices?client=$org"
measure "client dashboard with the invoice block" "Cookie: $client_cookie" /portal
measure "invoice page" "Cookie: $client_cookie" "/portal/invoices/$invoice"
# PDFs of 200 different invoices in turn: Typst remembers a document it has just typeset, so
# one invoice asked for again and again would measure its cache, not the typesetting.
sql "SELECT $(uuid i.id) FROM invoices i JOIN users u ON u.client_org_id = i.client_org_id WHERE u.email = '$client' ORDER BY i.number LIMIT 200" |
  sed 's|^|/portal/invoices/|; s|$|/pdf|' >"$work/pdfs"
check "$(head -n 1 "$work/pdfs")" "Cookie: $client_cookie"
for connections in 1 2; do
  echo "== invoice PDFs, 200 invoices in turn, wrk -t1 -c$connections -d10s"
  wrk -t1 -c"$connections" -d10s --latency -H "Cookie: $client_cookie" -s bench/rotate.lua "$base" -- "$work/pdfs" | grep -E "Requests/sec| 50%| 99%|Non-2xx"
done
echo "server peak RSS: $(awk '$1 == "VmHWM:" {print $2}' "/proc/$pid/status") kB"
