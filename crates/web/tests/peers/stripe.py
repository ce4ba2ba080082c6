"""Stripe on loopback, for Portico's tests and benchmarks.

localstripe serves Stripe's API (PaymentIntents, charges, test cards) and sends webhooks
signed the way Stripe signs them. It has no Checkout, so this adds Checkout Sessions as
Stripe documents them (create with an idempotency key, retrieve) and a hosted payment page
at the session's `url` where a test pays with a test card. Paying creates and confirms a
real localstripe PaymentIntent, so `payment_intent.succeeded` / `payment_intent.payment_failed`
come from localstripe itself, and `checkout.session.completed` is signed by the same code.

Stricter than localstripe, as Stripe is: the API answers only the secret key given with
`--secret-key` (401 for any other), and an Idempotency-Key reused with different parameters is
refused (400 `idempotency_error`) rather than answered with the first result.

Listens on 127.0.0.1 only; prints `port N` once it is ready.

    python stripe.py [--port 0] [--secret-key sk_test_...]
"""

import hashlib

import argparse
import base64
import html
import socket
import sys

from aiohttp import web
from localstripe import resources, server
from localstripe.errors import UserError
from localstripe.webhooks import schedule_webhook

# localstripe pickles its whole store to /tmp after every write (so that a restart keeps
# it). Each run here starts empty, and parallel runs must not share that file.
resources.Store.dump_to_disk = lambda self: None


class CheckoutSession(resources.StripeObject):
    object = 'checkout.session'
    _id_prefix = 'cs_test_'

    def __init__(self, amount, currency, name, success_url, cancel_url,
                 client_reference_id, metadata, intent_metadata):
        super().__init__()
        self.mode = 'payment'
        self.amount_total = amount
        self.currency = currency
        self.client_reference_id = client_reference_id
        self.metadata = metadata
        self.success_url = success_url
        self.cancel_url = cancel_url
        self.status = 'open'
        self.payment_status = 'unpaid'
        self.payment_intent = None
        self.url = None
        self._name = name
        self._intent_metadata = intent_metadata


# Idempotency-Key -> (session id, the request's parameters): a retried create returns the
# first session; the same key with other parameters is an error.
idempotent = {}


def session_or_404(id):
    session = resources.store.get('checkout.session:' + id)
    if session is None:
        raise UserError(404, 'No such checkout.session: ' + id)
    return session


async def create_session(request):
    key = request.headers.get('Idempotency-Key')
    body = hashlib.sha256(await request.read()).hexdigest()
    if key and key in idempotent:
        first, first_body = idempotent[key]
        if body != first_body:
            return web.json_response({'error': {
                'type': 'idempotency_error',
                'message': 'Keys for idempotent requests can only be used with the same '
                           'parameters they were first used with. Try using a key other '
                           'than \'%s\' if you meant to execute a different request.' % key,
            }}, status=400)
        return web.json_response(session_or_404(first)._export())
    data = await server.get_post_data(request) or {}
    try:
        assert data.get('mode') == 'payment'
        item = data['line_items'][0]
        price = item['price_data']
        amount = int(price['unit_amount']) * int(item.get('quantity', 1))
        assert amount > 0
        currency = price['currency']
        assert currency == currency.lower() and len(currency) == 3
        success_url, cancel_url = data['success_url'], data['cancel_url']
    except (AssertionError, KeyError, IndexError, TypeError, ValueError):
        raise UserError(400, 'Bad request')
    session = CheckoutSession(
        amount, currency, price.get('product_data', {}).get('name', ''),
        success_url, cancel_url, data.get('client_reference_id'),
        data.get('metadata') or {},
        (data.get('payment_intent_data') or {}).get('metadata') or {})
    host = request.headers.get('Host')
    session.url = 'http://%s/pay/%s' % (host, session.id)
    if key:
        idempotent[key] = (session.id, body)
    return web.json_response(session._export())


async def retrieve_session(request):
    return web.json_response(session_or_404(request.match_info['id'])._export())


def page(session, message=''):
    amount = '%s %d (minor units)' % (session.currency.upper(), session.amount_total)
    return web.Response(content_type='text/html', text='''<!doctype html>
<html lang="en"><head><title>Pay %(name)s</title></head><body>
<h1>Pay %(amount)s</h1><p>%(name)s</p><p role="alert">%(message)s</p>
<form method="post">
<button name="card" value="pm_card_visa">Pay with Visa 4242</button>
<button name="card" value="pm_card_chargeCustomerFail">Pay with a card that is declined</button>
</form><p><a href="%(cancel)s">Cancel</a></p></body></html>''' % {
        'name': html.escape(session._name), 'amount': amount,
        'message': html.escape(message), 'cancel': html.escape(session.cancel_url)})


async def pay(request, id):
    session = session_or_404(id)
    if request.method == 'GET':
        return page(session)
    if session.status != 'open':
        return page(session, 'This checkout is ' + session.status + '.')
    form = await request.post()
    try:
        intent = resources.PaymentIntent._api_create(
            confirm=True, amount=session.amount_total, currency=session.currency,
            payment_method=form.get('card', 'pm_card_visa'),
            metadata=dict(session._intent_metadata))
    except UserError as e:
        return page(session, 'Your card was declined: %s' %
                    e.body['error'].get('message', ''))
    session.payment_intent = intent.id
    session.status = 'complete'
    session.payment_status = 'paid'
    schedule_webhook(resources.Event('checkout.session.completed', session))
    raise web.HTTPSeeOther(session.success_url)


def api_key_checker(secret_key):
    @web.middleware
    async def check_api_key(request, handler):
        """Stripe's API answers only its account's secret key (Bearer or Basic user)."""
        if request.path.startswith('/v1/'):
            auth = request.headers.get('Authorization', '')
            given = ''
            if auth.startswith('Bearer '):
                given = auth[len('Bearer '):]
            elif auth.startswith('Basic '):
                given = base64.b64decode(auth[len('Basic '):]).decode().split(':')[0]
            if given != secret_key:
                shown = (given[:8] + '*' * 4 + given[-4:]) if len(given) > 12 else given
                return web.json_response({'error': {
                    'type': 'invalid_request_error',
                    'message': 'Invalid API Key provided: %s' % shown,
                }}, status=401)
        return await handler(request)
    return check_api_key


@web.middleware
async def hosted_pages(request, handler):
    """The payment page is for browsers: it needs no API key."""
    if request.path.startswith('/pay/'):
        try:
            return await pay(request, request.path[len('/pay/'):])
        except UserError as e:
            return e.to_response()
    return await handler(request)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--port', type=int, default=0)
    parser.add_argument('--secret-key', default='sk_test_portico')
    args = parser.parse_args()

    app = server.app
    app.middlewares.insert(0, hosted_pages)
    app.middlewares.insert(1, api_key_checker(args.secret_key))
    app.router.add_post('/v1/checkout/sessions', create_session)
    app.router.add_get('/v1/checkout/sessions/{id}', retrieve_session)

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(('127.0.0.1', args.port))
    # Listening before saying so: a caller may connect as soon as it reads the port.
    sock.listen(128)
    print('port %d' % sock.getsockname()[1], flush=True)
    web.run_app(app, sock=sock, print=None, access_log=None)


if __name__ == '__main__':
    sys.exit(main())
