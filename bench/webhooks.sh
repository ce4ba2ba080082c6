#!/usr/bin/env bash
# Webhook processing throughput of Pay Now (issue 5) on the large dataset: the benchmark
# client presses Pay Now on its open invoices (half 2Checkout, half Stripe), then
# bench/webhooks.py sends the gateways' notifications, 8 in flight. Stripe is localstripe
# (crates/web/tests/peers/stripe.py) on loopback; its own webhooks are not registered, so
# every event Portico handles is one the script sends.
# Usage: bench/webhooks.sh DATABASE_URL, where the database holds `portico demo --scale
# large` (it records payments: use a copy). STRIPE_PYTHON names a Python with localstripe
# and aiohttp (default target/ci-tools/localstripe/bin/python); BIN another binary.
set -euo pipefail
cd "$(dirname "$0")/.."
url=${1:?usage: bench/webhooks.sh DATABASE_URL}
python=${STRIPE_PYTHON:-target/ci-tools/localstripe/bin/python}
. bench/large.sh
client=client-00001-a@example.com

"$python" crates/web/tests/peers/stripe.py --port 0 >"$work/stripe.out" 2>"$work/stripe.log" &
stripe_pid=$!
until grep -q '^port ' "$work/stripe.out" 2>/dev/null; do sleep 0.1; done
stripe="http://127.0.0.1:$(awk '/^port/ {print $2}' "$work/stripe.out")"
export PORTICO_PAYMENTS_STRIPE_API=$stripe
export PORTICO_PAYMENTS_TWOCHECKOUT_CHECKOUT=$stripe/2checkout-is-not-visited
also_kill=$stripe_pid
start_server

admin_cookie=$(login admin@example.com)
admin_csrf=${admin_cookie##*portico_csrf=}
configure() {
  local status
  status=$(curl -s -o /dev/null -w '%{http_code}' -H "Cookie: $admin_cookie" --data-urlencode "_csrf=$admin_csrf" "${@:2}" "$base/admin/invoicing/gateways/$1")
  [ "$status" = 303 ] || { echo "configuring $1 answered $status" >&2; exit 1; }
}
configure stripe --data-urlencode gateways.stripe.secret_key=sk_test_bench --data-urlencode gateways.stripe.webhook_secret=whsec_bench
configure twocheckout --data-urlencode gateways.twocheckout.merchant_code=BENCH --data-urlencode gateways.twocheckout.buy_link_secret=bench-link --data-urlencode gateways.twocheckout.secret_key=bench-ipn-secret

sql "SELECT $(uuid i.id) FROM invoices i JOIN users u ON u.client_org_id = i.client_org_id
     WHERE u.email = '$client' AND i.kind = 'invoice' AND i.status IN ('sent', 'viewed', 'partially_paid', 'overdue')
       AND i.total_minor - i.credited_minor - i.paid_minor > 0
     ORDER BY i.number LIMIT 1000" >"$work/invoices"
echo "open invoices of the client: $(wc -l <"$work/invoices")"
"$python" bench/webhooks.py "$base" "$stripe" "$(login "$client")" "$work/invoices"
echo "notifications handled, by outcome: $(sql "SELECT gateway || ' ' || outcome || ' ' || COUNT(*) FROM gateway_events GROUP BY gateway, outcome ORDER BY gateway, outcome" | tr '\n' ';')"
echo "payments recorded by the gateways: $(sql "SELECT method || ' ' || COUNT(*) FROM payments WHERE method IN ('stripe', 'twocheckout') GROUP BY method ORDER BY method" | tr '\n' ' ')"
echo "server peak RSS: $(awk '$1 == "VmHWM:" {print $2}' "/proc/$pid/status") kB"
