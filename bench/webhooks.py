"""Webhook throughput of Pay Now (issue 5), driven by bench/webhooks.sh.

For each open invoice of the benchmark client it presses Pay Now (2Checkout for the first
half, Stripe for the second), pays at the gateway, then sends the gateways' notifications
to Portico with a few in flight at once, and reports how many Portico handles per second:

- 2Checkout IPNs: signature, attempt, payment recorded, receipt queued, acknowledgement
  signed; no call out of Portico.
- the same IPNs again: recognised as handled (replays).
- Stripe `checkout.session.completed` events: signature, then the session and its
  PaymentIntent read back from localstripe (two API calls), payment recorded.

    python bench/webhooks.py BASE_URL STRIPE_URL COOKIE INVOICE_IDS_FILE
"""

import asyncio
import hashlib
import hmac
import json
import re
import sys
import time
import urllib.parse

import aiohttp

TWOCHECKOUT_SECRET = 'bench-ipn-secret'
STRIPE_WEBHOOK_SECRET = 'whsec_bench'
IN_FLIGHT = 8


def serialize(values):
    return ''.join('%d%s' % (len(v.encode()), v) for v in values)


def ipn(attempt, refno, price, currency):
    fields = [('REFNO', refno), ('REFNOEXT', attempt), ('ORDERSTATUS', 'COMPLETE'),
              ('IPN_PID[]', '1'), ('IPN_PNAME[]', 'Invoice'),
              ('IPN_DATE', time.strftime('%Y%m%d%H%M%S')),
              ('IPN_TOTALGENERAL', price), ('CURRENCY', currency)]
    signature = hmac.new(TWOCHECKOUT_SECRET.encode(),
                         serialize(v for _, v in fields).encode(),
                         hashlib.sha256).hexdigest()
    return urllib.parse.urlencode(fields + [('SIGNATURE_SHA2_256', signature)])


def stripe_event(session):
    body = json.dumps({'id': 'evt_' + session, 'type': 'checkout.session.completed',
                       'data': {'object': {'id': session}}})
    t = int(time.time())
    signature = hmac.new(STRIPE_WEBHOOK_SECRET.encode(), ('%d.%s' % (t, body)).encode(),
                         hashlib.sha256).hexdigest()
    return body, 't=%d,v1=%s' % (t, signature)


async def pay_now(http, base, headers, csrf, invoice, gateway):
    async with http.post('%s/portal/invoices/%s/pay' % (base, invoice),
                         data={'_csrf': csrf, 'gateway': gateway}, headers=headers,
                         allow_redirects=False) as r:
        location = r.headers.get('Location', '')
        if r.status != 303 or location.startswith('/'):
            raise SystemExit('Pay Now on %s: %s %s' % (invoice, r.status, location))
        return location


async def timed(label, requests):
    """Sends (method, url, body, headers) with IN_FLIGHT at once; prints the figures."""
    latencies = []
    statuses = {}
    queue = list(requests)
    async with aiohttp.ClientSession() as http:
        async def worker():
            while queue:
                url, body, headers = queue.pop()
                started = time.perf_counter()
                async with http.post(url, data=body, headers=headers) as r:
                    text = await r.text()
                    outcome = r.status
                    if r.status == 200 and text.startswith('{'):
                        outcome = json.loads(text).get('outcome')
                    statuses[outcome] = statuses.get(outcome, 0) + 1
                latencies.append(time.perf_counter() - started)
        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(IN_FLIGHT)))
        elapsed = time.perf_counter() - started
    latencies.sort()
    p = lambda q: latencies[min(len(latencies) - 1, int(q * len(latencies)))] * 1000
    print('== %s: %d in %.2f s, %.0f/s with %d in flight; p50 %.1f ms, p99 %.1f ms; %s'
          % (label, len(latencies), elapsed, len(latencies) / elapsed, IN_FLIGHT,
             p(0.5), p(0.99), statuses))


async def main(base, stripe, cookie, ids_file):
    invoices = [line.strip() for line in open(ids_file) if line.strip()]
    csrf = re.search(r'portico_csrf=([^;]+)', cookie).group(1)
    headers = {'Cookie': cookie}
    half = len(invoices) // 2
    ipns, events = [], []
    async with aiohttp.ClientSession() as http:
        for n, invoice in enumerate(invoices[:half]):
            link = await pay_now(http, base, headers, csrf, invoice, 'twocheckout')
            query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(link).query))
            ipns.append(ipn(query['order-ext-ref'], 'B%07d' % n, query['price'], query['currency']))
        for invoice in invoices[half:]:
            checkout = await pay_now(http, base, headers, csrf, invoice, 'stripe')
            async with http.post(checkout, data={'card': 'pm_card_visa'},
                                 allow_redirects=False) as r:
                assert r.status == 303, await r.text()
            events.append(stripe_event(checkout.rsplit('/', 1)[1]))
    form = {'Content-Type': 'application/x-www-form-urlencoded'}
    await timed('2Checkout IPNs (recorded)',
                [(base + '/webhooks/twocheckout', body, form) for body in ipns])
    await timed('2Checkout IPNs again (replays)',
                [(base + '/webhooks/twocheckout', body, form) for body in ipns])
    await timed('Stripe checkout.session.completed (read back from localstripe, recorded)',
                [(base + '/webhooks/stripe', body,
                  {'Content-Type': 'application/json', 'Stripe-Signature': signature})
                 for body, signature in events])


if __name__ == '__main__':
    asyncio.run(main(*sys.argv[1:5]))
