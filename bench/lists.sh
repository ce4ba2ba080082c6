#!/usr/bin/env bash
# Figures of issue 13 on the large dataset: the lists whose order or filters changed (the
# finance team's invoice list over all 101,000 invoices, newest first and by the other sorts;
# the portal's invoices; the projects of one client), the portal pages that gained queries
# (a project page with its review-history check, the Files page across projects), and the
# API's new lists (the audit trail, a project's review trail). Usage: bench/lists.sh
# DATABASE_URL, where the database holds `portico demo --scale large`. BIN names another
# binary (default target/release/portico). Needs wrk, and sqlite3 or psql.
set -euo pipefail
cd "$(dirname "$0")/.."
url=${1:?usage: bench/lists.sh DATABASE_URL}
. bench/large.sh
client=client-00001-a@example.com
admin=admin@example.com

org=$(sql "SELECT $(uuid client_org_id) FROM users WHERE email = '$client'")
project=$(sql "SELECT $(uuid p.id) FROM projects p JOIN project_clients pc ON pc.project_id = p.id JOIN users u ON u.client_org_id = pc.client_org_id WHERE u.email = '$client' AND p.archived_at IS NULL ORDER BY p.id LIMIT 1")
echo "invoices: $(sql 'SELECT COUNT(*) FROM invoices'), audit entries: $(sql 'SELECT COUNT(*) FROM audit_log'), the client's projects: $(sql "SELECT COUNT(*) FROM project_clients pc JOIN users u ON u.client_org_id = pc.client_org_id WHERE u.email = '$client'")"
token=$(DATABASE_URL=$url "$bin" token create --email "$admin" --name bench --data-dir "$data" 2>/dev/null)

start_server

client_cookie=$(login "$client")
admin_cookie=$(login "$admin")

echo "server idle RSS: $(awk '$1 == "VmRSS:" {print $2}' "/proc/$pid/status") kB"
measure "finance list, all invoices, newest first" "Cookie: $admin_cookie" /invoices
measure "finance list, all invoices, oldest first" "Cookie: $admin_cookie" "/invoices?sort=oldest"
measure "finance list, all invoices, by due date" "Cookie: $admin_cookie" "/invoices?sort=due"
measure "finance list, all invoices, largest first" "Cookie: $admin_cookie" "/invoices?sort=largest"
measure "finance list, all invoices, newest first, page 40" "Cookie: $admin_cookie" "/invoices?page=40"
measure "portal invoice list, newest first" "Cookie: $client_cookie" /portal/invoices
measure "projects of one client (staff list, ?client=)" "Cookie: $admin_cookie" "/projects?client=$org"
measure "portal project page (with the review-history check)" "Cookie: $client_cookie" "/portal/projects/$project"
measure "portal Files page (newest files of each project)" "Cookie: $client_cookie" /portal/files
measure "API: audit trail, newest first" "Authorization: Bearer $token" "/api/v1/audit"
measure "API: a project's review trail" "Authorization: Bearer $token" "/api/v1/projects/$project/reviews"
echo "server peak RSS: $(awk '$1 == "VmHWM:" {print $2}' "/proc/$pid/status") kB"
