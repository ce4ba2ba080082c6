//! Pay Now against the gateways on loopback (see `peers`): Stripe (localstripe), PayPal and
//! 2Checkout. A payment is recorded only from a confirmation verified with the gateway, for
//! the amount and currency the server asked for, once. On SQLite and PostgreSQL.

use crate::peers::*;
use crate::support::*;
use app::invoices::{InvoiceInput, LineInput};
use domain::access::Viewer;
use domain::ids::InvoiceId;
use domain::invoices::InvoiceStatus;
use domain::payments::Gateway;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::time::Duration;
use store::on_both_databases;

on_both_databases!(
    only_with(
        portico_stripe_suite,
        "Stripe suite off: set PORTICO_TEST_STRIPE_PYTHON to a Python with localstripe to run it",
        "Stripe suite off: set PORTICO_TEST_STRIPE_PYTHON and PORTICO_TEST_POSTGRES_URL to run it"
    ):
    a_client_pays_by_stripe_checkout_and_it_is_recorded_once,
    stripe_refuses_forged_replayed_mismatched_and_declined_payments,
    stripe_answers_only_its_key_and_one_request_per_idempotency_key,
);

on_both_databases!(
    paypal_orders_are_captured_server_side_and_webhooks_verified,
    notifications_that_cannot_be_paypals_are_refused_without_asking_paypal,
    a_sender_flooding_the_webhooks_is_slowed_down,
    twocheckout_links_are_signed_and_ipns_verified_and_acknowledged,
    gateway_settings_are_sealed_validated_and_admin_only,
    pay_now_refuses_what_cannot_be_paid,
);

pub(crate) fn options(stripe: Option<&StripePeer>, paypal: Option<&PayPalPeer>, twocheckout: Option<&TwoCheckoutPeer>) -> Options {
    let mut options = Options::default();
    if let Some(stripe) = stripe {
        options.payments.stripe_api = stripe.url.clone();
    }
    if let Some(paypal) = paypal {
        options.payments.paypal_api = paypal.url.clone();
    }
    if let Some(twocheckout) = twocheckout {
        options.payments.twocheckout_checkout = twocheckout.url.clone();
    }
    options
}

async fn admin(t: &TestApp) -> Viewer {
    Viewer::Admin(t.user_id(ADMIN).await)
}

async fn configure(t: &TestApp, gateway: Gateway, values: &[(&str, &str)]) {
    let values: HashMap<String, String> = values.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    t.app.save_gateway_settings(&admin(t).await, gateway, &values, false).await.unwrap();
}

pub(crate) async fn configure_stripe(t: &TestApp) {
    configure(
        t,
        Gateway::Stripe,
        &[
            ("gateways.stripe.secret_key", STRIPE_SECRET_KEY),
            ("gateways.stripe.webhook_secret", STRIPE_WEBHOOK_SECRET),
        ],
    )
    .await;
}

async fn configure_paypal(t: &TestApp) {
    configure(
        t,
        Gateway::PayPal,
        &[
            ("gateways.paypal.client_id", PAYPAL_CLIENT_ID),
            ("gateways.paypal.client_secret", PAYPAL_CLIENT_SECRET),
            ("gateways.paypal.webhook_id", PAYPAL_WEBHOOK_ID),
        ],
    )
    .await;
}

/// A sent invoice for Acme: `quantity` × 100.00 EUR, no tax.
pub(crate) async fn sent_invoice(t: &TestApp, quantity: &str) -> InvoiceId {
    sent_invoice_in(t, "EUR", quantity, "100").await
}

/// A sent invoice to Acme of one line, in a currency.
async fn sent_invoice_in(t: &TestApp, currency: &str, quantity: &str, unit_price: &str) -> InvoiceId {
    let admin = admin(t).await;
    let org = t.org_of(CLIENT).await;
    let input = InvoiceInput {
        client_org: Some(org),
        currency: currency.into(),
        terms_days: Some(14),
        lines: vec![LineInput {
            description: "Consulting".into(),
            quantity: quantity.into(),
            unit_price: unit_price.into(),
            ..Default::default()
        }],
        ..Default::default()
    };
    let id = t.app.create_invoice(&admin, &input).await.unwrap();
    t.app.send_invoice(&admin, id).await.unwrap();
    id
}

async fn invoice_state(t: &TestApp, id: InvoiceId) -> (InvoiceStatus, i64, Vec<store::invoices::Payment>) {
    let mut handle = t.app.db.read().await.unwrap();
    let mut conn = handle.conn();
    let invoice = store::invoices::get_any(&mut conn, id).await.unwrap();
    let payments = store::invoices::payments(&mut conn, id).await.unwrap();
    (invoice.status, invoice.paid_minor, payments)
}

async fn outcomes(t: &TestApp, gateway: Gateway) -> HashMap<String, i64> {
    let mut handle = t.app.db.read().await.unwrap();
    store::payments::event_outcomes(&mut handle.conn(), gateway)
        .await
        .unwrap()
        .into_iter()
        .collect()
}

async fn attempt_status(t: &TestApp, attempt: &str) -> String {
    let mut handle = t.app.db.read().await.unwrap();
    store::payments::attempt(&mut handle.conn(), attempt.parse().unwrap())
        .await
        .unwrap()
        .status
        .as_str()
        .to_owned()
}

/// Waits (up to 15 s) until `check` holds: webhooks arrive about a second after a payment.
async fn eventually<F, Fut>(what: &str, check: F)
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    while !check().await {
        assert!(tokio::time::Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The client presses Pay Now; returns where Portico sends the browser.
async fn pay_now(client: &Client, id: InvoiceId, gateway: &str) -> String {
    let page = client
        .post_form(&format!("/portal/invoices/{id}/pay"), &[("gateway", gateway)])
        .await;
    assert_eq!(page.status, 303, "{}", page.body);
    page.location().to_owned()
}

/// The browser at the gateway's page: follows nothing, returns the gateway's answer.
async fn at_gateway(url: &str, form: Option<&[(&str, &str)]>) -> Page {
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let request = match form {
        Some(form) => http.post(url).form(form),
        None => http.get(url),
    };
    read(request.send().await.unwrap()).await
}

fn session_id(checkout_url: &str) -> &str {
    checkout_url.rsplit('/').next().unwrap()
}

async fn a_client_pays_by_stripe_checkout_and_it_is_recorded_once(backend: Backend) {
    let stripe = StripePeer::start().await;
    let t = TestApp::spawn_with(backend, options(Some(&stripe), None, None)).await;
    stripe.register_webhook(&t.url("/webhooks/stripe")).await;
    configure_stripe(&t).await;
    let id = sent_invoice(&t, "12.5").await;
    let client = t.login(CLIENT, DEMO_PASSWORD).await;

    let page = client.get(&format!("/portal/invoices/{id}")).await;
    assert!(page.body.contains("Pay EUR 1,250.00 now"), "{}", page.body);
    assert!(page.body.contains("Pay by card"));
    // The page's forms may lead to the gateway (a form's redirect counts as its action).
    let policy = page.headers["content-security-policy"].to_str().unwrap();
    assert!(policy.contains(&format!("form-action 'self' https: {}", stripe.url)), "{policy}");

    // The server asks Stripe for what is owed, and keeps the attempt on the session.
    let checkout = pay_now(&client, id, "stripe").await;
    assert!(checkout.starts_with(&stripe.url), "{checkout}");
    let session = stripe
        .api(
            reqwest::Method::GET,
            &format!("/v1/checkout/sessions/{}", session_id(&checkout)),
            &[],
        )
        .await;
    assert_eq!(session["amount_total"], 125_000);
    assert_eq!(session["currency"], "eur");
    let attempt = session["metadata"]["attempt"].as_str().unwrap().to_owned();
    let return_url = session["success_url"].as_str().unwrap().to_owned();
    assert_eq!(return_url, t.url(&format!("/portal/invoices/{id}/payments/{attempt}")));

    // The client pays; the webhooks arrive before the browser comes back.
    let paid = at_gateway(&checkout, Some(&[("card", "pm_card_visa")])).await;
    assert_eq!(paid.status, 303, "{}", paid.body);
    assert_eq!(paid.location(), return_url);
    eventually("both webhooks", || async {
        let seen = outcomes(&t, Gateway::Stripe).await;
        seen.get("recorded").unwrap_or(&0) + seen.get("already_recorded").unwrap_or(&0) >= 2
    })
    .await;
    let back = client.get(&return_url.replace(&t.url(""), "")).await;
    assert_eq!(back.status, 200);
    assert!(back.body.contains("your payment is received"), "{}", back.body);

    // checkout.session.completed and payment_intent.succeeded both confirm it: one payment.
    let (status, paid_minor, payments) = invoice_state(&t, id).await;
    assert_eq!(status, InvoiceStatus::Paid);
    assert_eq!(paid_minor, 125_000);
    assert_eq!(payments.len(), 1);
    assert_eq!(payments[0].method, "stripe");
    assert!(payments[0].gateway_ref.as_deref().unwrap().starts_with("pi_"));
    let seen = outcomes(&t, Gateway::Stripe).await;
    assert_eq!(seen.get("recorded"), Some(&1), "{seen:?}");
    assert_eq!(seen.get("already_recorded"), Some(&1), "{seen:?}");
    assert_eq!(attempt_status(&t, &attempt).await, "completed");

    // One receipt; the invoice page shows the payment and no Pay Now.
    let receipts = t.smtp.wait_for_subject(CLIENT, "Payment received").await;
    assert_eq!(receipts.len(), 1);
    let page = client.get(&format!("/portal/invoices/{id}")).await;
    assert!(!page.body.contains("Pay by card"));
    assert!(page.body.contains("Stripe"));

    // A second Pay Now on the paid invoice is refused with a message.
    let again = client
        .post_form(&format!("/portal/invoices/{id}/pay"), &[("gateway", "stripe")])
        .await;
    assert_eq!(again.location(), format!("/portal/invoices/{id}"));
    let shown = client.follow(&again).await.body;
    assert!(shown.contains("This invoice is already paid."), "{shown}");
}

/// The Stripe peer is as strict as Stripe about keys, and Portico copes with a refused key.
async fn stripe_answers_only_its_key_and_one_request_per_idempotency_key(backend: Backend) {
    use reqwest::Method;
    let stripe = StripePeer::start().await;
    let session = |amount: &'static str| {
        [
            ("mode", "payment"),
            ("success_url", "http://127.0.0.1/ok"),
            ("cancel_url", "http://127.0.0.1/cancel"),
            ("line_items[0][quantity]", "1"),
            ("line_items[0][price_data][currency]", "eur"),
            ("line_items[0][price_data][unit_amount]", amount),
            ("line_items[0][price_data][product_data][name]", "Invoice"),
        ]
    };
    let path = "/v1/checkout/sessions";
    let (status, first) = stripe
        .call(Method::POST, path, STRIPE_SECRET_KEY, Some("k1"), &session("100"))
        .await;
    assert_eq!(status, 200, "{first}");
    // The same key and parameters: the first session again. Other parameters: refused.
    let (status, again) = stripe
        .call(Method::POST, path, STRIPE_SECRET_KEY, Some("k1"), &session("100"))
        .await;
    assert_eq!((status, &again["id"]), (200, &first["id"]), "{again}");
    let (status, other) = stripe
        .call(Method::POST, path, STRIPE_SECRET_KEY, Some("k1"), &session("200"))
        .await;
    assert_eq!(
        (status, other["error"]["type"].as_str()),
        (400, Some("idempotency_error")),
        "{other}"
    );
    let (status, refused) = stripe.call(Method::GET, path, "sk_test_someone_else", None, &[]).await;
    assert_eq!(
        (status, refused["error"]["type"].as_str()),
        (401, Some("invalid_request_error")),
        "{refused}"
    );

    // Portico with a key Stripe refuses: the client is told, nothing is recorded.
    let t = TestApp::spawn_with(backend, options(Some(&stripe), None, None)).await;
    configure(
        &t,
        Gateway::Stripe,
        &[
            ("gateways.stripe.secret_key", "sk_test_revoked_key_0000"),
            ("gateways.stripe.webhook_secret", STRIPE_WEBHOOK_SECRET),
        ],
    )
    .await;
    let id = sent_invoice(&t, "5").await;
    let client = t.login(CLIENT, DEMO_PASSWORD).await;
    let page = client
        .post_form(&format!("/portal/invoices/{id}/pay"), &[("gateway", "stripe")])
        .await;
    assert_eq!(page.location(), format!("/portal/invoices/{id}"));
    let shown = client.follow(&page).await.body;
    assert!(
        shown.contains(r#"<div class="alert" role="alert" data-flash>Stripe did not start the payment"#),
        "{shown}"
    );
    assert_eq!(invoice_state(&t, id).await.1, 0);
}

/// Stripe's events as localstripe delivered them.
async fn stripe_events(stripe: &StripePeer, kind: &str) -> Vec<Value> {
    let events = stripe.api(reqwest::Method::GET, "/v1/events?limit=100", &[]).await;
    events["data"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["type"] == kind)
        .cloned()
        .collect()
}

async fn post_stripe_event(t: &TestApp, body: &str, signature: &str) -> Page {
    let request = reqwest::Client::new()
        .post(t.url("/webhooks/stripe"))
        .header("stripe-signature", signature)
        .header("content-type", "application/json")
        .body(body.to_owned());
    read(request.send().await.unwrap()).await
}

async fn stripe_refuses_forged_replayed_mismatched_and_declined_payments(backend: Backend) {
    let stripe = StripePeer::start().await;
    let t = TestApp::spawn_with(backend, options(Some(&stripe), None, None)).await;
    stripe.register_webhook(&t.url("/webhooks/stripe")).await;
    configure_stripe(&t).await;
    let id = sent_invoice(&t, "3").await;
    let client = t.login(CLIENT, DEMO_PASSWORD).await;
    let checkout = pay_now(&client, id, "stripe").await;
    let session = stripe
        .api(
            reqwest::Method::GET,
            &format!("/v1/checkout/sessions/{}", session_id(&checkout)),
            &[],
        )
        .await;
    let attempt = session["metadata"]["attempt"].as_str().unwrap().to_owned();
    let return_path = format!("/portal/invoices/{id}/payments/{attempt}");

    // Coming back without paying records nothing: the page waits for Stripe.
    let back = client.get(&return_path).await;
    assert!(back.body.contains("Confirming your payment"), "{}", back.body);
    assert_eq!(invoice_state(&t, id).await.2.len(), 0);

    // A declined card: Stripe's payment_failed event fails the attempt; nothing is paid.
    let declined = at_gateway(&checkout, Some(&[("card", "pm_card_chargeCustomerFail")])).await;
    assert!(declined.body.contains("declined"), "{}", declined.body);
    eventually("the failure event", || async { attempt_status(&t, &attempt).await == "failed" }).await;
    let (status, paid, _) = invoice_state(&t, id).await;
    assert_eq!((status, paid), (InvoiceStatus::Sent, 0));
    let back = client.get(&return_path).await;
    assert!(back.body.contains("did not go through"), "{}", back.body);

    // A payment for another amount, tagged with our attempt (a gateway account misused, a
    // bug): confirmed by Stripe, signed, and still refused.
    let other = stripe
        .api(
            reqwest::Method::POST,
            "/v1/payment_intents",
            &[
                ("amount", "100"),
                ("currency", "eur"),
                ("payment_method", "pm_card_visa"),
                ("confirm", "true"),
                ("metadata[attempt]", &attempt),
            ],
        )
        .await;
    assert_eq!(other["status"], "succeeded", "{other}");
    eventually("the mismatched event", || async {
        outcomes(&t, Gateway::Stripe).await.contains_key("amount_mismatch")
    })
    .await;
    assert_eq!(invoice_state(&t, id).await.1, 0);

    // The client tries again on the same checkout with a good card: paid.
    let paid = at_gateway(&checkout, Some(&[("card", "pm_card_visa")])).await;
    assert_eq!(paid.status, 303, "{}", paid.body);
    // The browser comes back before the webhooks: the server asks Stripe and records it.
    let back = client.get(&return_path).await;
    assert!(back.body.contains("your payment is received"), "{}", back.body);
    let (status, paid_minor, payments) = invoice_state(&t, id).await;
    assert_eq!((status, paid_minor, payments.len()), (InvoiceStatus::Paid, 30_000, 1));
    eventually("the late webhooks", || async {
        outcomes(&t, Gateway::Stripe).await.get("already_recorded") == Some(&2)
    })
    .await;

    // A replayed event: signed afresh, it is recognised by its id and changes nothing.
    let completed = stripe_events(&stripe, "checkout.session.completed").await;
    let body = completed[0].to_string();
    let now = chrono::Utc::now().timestamp();
    let replay = post_stripe_event(&t, &body, &stripe_signature(STRIPE_WEBHOOK_SECRET, now, &body)).await;
    assert_eq!(replay.status, 200, "{}", replay.body);
    assert_eq!(replay.json()["outcome"], "duplicate");
    // Replayed with its old signature after the 5 minutes: refused before anything else.
    let stale = post_stripe_event(&t, &body, &stripe_signature(STRIPE_WEBHOOK_SECRET, now - 301, &body)).await;
    assert_eq!(stale.status, 400, "{}", stale.body);

    // Forged (another secret) and tampered (a valid signature of another body): refused.
    let forged = post_stripe_event(&t, &body, &stripe_signature("whsec_attacker", now, &body)).await;
    assert_eq!(forged.status, 400);
    assert_eq!(forged.json()["field"], "signature");
    let mut changed: Value = serde_json::from_str(&body).unwrap();
    changed["id"] = json!("evt_forged");
    let tampered = post_stripe_event(&t, &changed.to_string(), &stripe_signature(STRIPE_WEBHOOK_SECRET, now, &body)).await;
    assert_eq!(tampered.status, 400);
    assert_eq!(post_stripe_event(&t, &body, "").await.status, 400);

    let (_, paid_minor, payments) = invoice_state(&t, id).await;
    assert_eq!((paid_minor, payments.len()), (30_000, 1), "nothing was recorded twice");
    let mut handle = t.app.db.read().await.unwrap();
    let audit = store::audit::for_subject(&mut handle.conn(), id.0, 50).await.unwrap();
    assert!(audit.iter().any(|a| a.action == "payment.refused" && a.detail.contains("EUR 1.00")));
}

/// The PayPal order an approval link is for.
fn order_of(approve: &str) -> String {
    approve.split("token=").nth(1).unwrap().to_owned()
}

async fn paypal_orders_are_captured_server_side_and_webhooks_verified(backend: Backend) {
    let paypal = PayPalPeer::start().await;
    let t = TestApp::spawn_with(backend, options(None, Some(&paypal), None)).await;
    configure_paypal(&t).await;
    let client = t.login(CLIENT, DEMO_PASSWORD).await;
    let portico = t.url("");

    // Pay Now creates an order for what is owed; the client approves it at PayPal.
    let id = sent_invoice(&t, "2.5").await;
    let approve = pay_now(&client, id, "paypal").await;
    let order_id = order_of(&approve);
    let order = paypal.order(&order_id);
    assert_eq!(
        order["purchase_units"][0]["amount"],
        json!({"currency_code": "EUR", "value": "250.00"})
    );
    let attempt = order["purchase_units"][0]["custom_id"].as_str().unwrap().to_owned();
    let back = at_gateway(&approve, None).await;
    let return_url = back.location().to_owned();
    assert!(return_url.starts_with(&t.url(&format!("/portal/invoices/{id}/payments/{attempt}"))));

    // Coming back, the server captures the order: the capture is the confirmation.
    let page = client.get(&return_url.replace(&portico, "")).await;
    assert!(page.body.contains("your payment is received"), "{}", page.body);
    let (status, paid, payments) = invoice_state(&t, id).await;
    assert_eq!((status, paid, payments.len()), (InvoiceStatus::Paid, 25_000, 1));
    assert!(payments[0].gateway_ref.as_deref().unwrap().starts_with("CAP"));
    // Reloading the page captures nothing more.
    client.get(&return_url.replace(&portico, "")).await;
    assert_eq!(paypal.captures(), 1);

    // PayPal takes forints whole: 1,234 HUF is ordered as "1234", and 1,234.50 HUF is refused
    // with a message before PayPal is asked (which would refuse it for its decimals).
    let whole = sent_invoice_in(&t, "HUF", "1", "1234").await;
    let order = paypal.order(&order_of(&pay_now(&client, whole, "paypal").await));
    assert_eq!(
        order["purchase_units"][0]["amount"],
        json!({"currency_code": "HUF", "value": "1234"})
    );
    let with_cents = sent_invoice_in(&t, "HUF", "1", "1234.5").await;
    let page = client
        .post_form(&format!("/portal/invoices/{with_cents}/pay"), &[("gateway", "paypal")])
        .await;
    let shown = client.follow(&page).await.body;
    assert!(shown.contains("PayPal takes HUF in whole units only"), "{shown}");

    // PayPal's webhook for the capture, verified by PayPal: already recorded. Delivered
    // twice: the second is a duplicate. Tampered with: PayPal does not verify it.
    let capture = json!({"id": payments[0].gateway_ref, "supplementary_data": {"related_ids": {"order_id": order_id}}});
    let response = paypal
        .send_event(&portico, "PAYMENT.CAPTURE.COMPLETED", capture.clone(), false)
        .await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.json::<Value>().await.unwrap()["outcome"], "already_recorded");
    let tampered = paypal.send_event(&portico, "PAYMENT.CAPTURE.COMPLETED", capture, true).await;
    assert_eq!(tampered.status(), 400);
    assert_eq!(invoice_state(&t, id).await.2.len(), 1);

    // An approval that reaches us only by webhook (the client closed the window): the
    // server captures it.
    let by_webhook = sent_invoice(&t, "1").await;
    let approve = pay_now(&client, by_webhook, "paypal").await;
    let order_id = order_of(&approve);
    at_gateway(&approve, None).await;
    let response = paypal
        .send_event(&portico, "CHECKOUT.ORDER.APPROVED", json!({"id": order_id}), false)
        .await;
    assert_eq!(response.json::<Value>().await.unwrap()["outcome"], "recorded");
    assert_eq!(invoice_state(&t, by_webhook).await.1, 10_000);

    // A capture the bank declines: the attempt fails, nothing is paid.
    let declined = sent_invoice(&t, "1").await;
    let approve = pay_now(&client, declined, "paypal").await;
    let order_id = order_of(&approve);
    paypal.decline(&order_id);
    let back = at_gateway(&approve, None).await;
    let page = client.get(&back.location().replace(&portico, "")).await;
    assert!(page.body.contains("did not go through"), "{}", page.body);
    assert_eq!(invoice_state(&t, declined).await.1, 0);

    // A capture of another amount than asked: refused, not recorded.
    let mismatched = sent_invoice(&t, "1").await;
    let approve = pay_now(&client, mismatched, "paypal").await;
    let order_id = order_of(&approve);
    paypal.capture_as(&order_id, "1.00");
    let back = at_gateway(&approve, None).await;
    client.get(&back.location().replace(&portico, "")).await;
    assert_eq!(invoice_state(&t, mismatched).await.1, 0);

    // One OAuth token served every call above: it is kept until it expires.
    assert_eq!(paypal.tokens_issued(), 1);
}

async fn notifications_that_cannot_be_paypals_are_refused_without_asking_paypal(backend: Backend) {
    let paypal = PayPalPeer::start().await;
    let t = TestApp::spawn_with(backend, options(None, Some(&paypal), None)).await;
    configure_paypal(&t).await;
    let anonymous = reqwest::Client::new();
    let forged = anonymous
        .post(t.url("/webhooks/paypal"))
        .header("content-type", "application/json")
        .body(r#"{"id":"WH-FORGED","event_type":"CHECKOUT.ORDER.APPROVED","resource":{"id":"X"}}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 400);
    let answer: Value = forged.json().await.unwrap();
    assert!(
        answer.to_string().contains("paypal-transmission-sig"),
        "the refusal names what is missing: {answer}"
    );
    let undated = anonymous
        .post(t.url("/webhooks/paypal"))
        .header("paypal-auth-algo", "SHA256withRSA")
        .header("paypal-cert-url", "https://example.com/cert")
        .header("paypal-transmission-id", "1")
        .header("paypal-transmission-sig", "c2ln")
        .header("paypal-transmission-time", "yesterday")
        .body(r#"{"id":"WH-FORGED-2"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(undated.status(), 400);
    assert_eq!((paypal.tokens_issued(), paypal.verifications()), (0, 0), "PayPal was never asked");

    // A genuine notification is still asked about.
    let genuine = paypal
        .send_event(&t.url(""), "CHECKOUT.ORDER.APPROVED", json!({"id": "unknown"}), false)
        .await;
    assert_eq!(genuine.status(), 200);
    assert_eq!(paypal.verifications(), 1);
}

async fn a_sender_flooding_the_webhooks_is_slowed_down(backend: Backend) {
    let t = TestApp::spawn(backend).await;
    let sender = reqwest::Client::new();
    let mut statuses = vec![];
    for _ in 0..app::payments::WEBHOOK_BURST + 5 {
        let response = sender.post(t.url("/webhooks/stripe")).body("{}").send().await.unwrap();
        statuses.push(response.status().as_u16());
        if response.status() == 429 {
            assert!(response.headers().contains_key("retry-after"), "says when to come back");
        }
    }
    let refused = statuses.iter().filter(|s| **s == 429).count();
    assert_eq!(
        statuses[0], 400,
        "within the limit, a notification is looked at (Stripe is not set up)"
    );
    assert!(refused >= 4, "past the burst the sender is refused: {statuses:?}");
}

fn ipn<'a>(refno: &'a str, attempt: &'a str, status: &'a str, total: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("GIFT_ORDER", "0"),
        ("SALEDATE", "2026-11-29 10:00:00"),
        ("REFNO", refno),
        ("REFNOEXT", attempt),
        ("ORDERNO", "1"),
        ("ORDERSTATUS", status),
        ("PAYMETHOD", "Visa/MasterCard"),
        ("FIRSTNAME", "Ada"),
        ("LASTNAME", "Lovelace"),
        ("IPN_PID[]", "1"),
        ("IPN_PNAME[]", "Invoice"),
        ("IPN_DATE", "20261129100000"),
        ("IPN_TOTALGENERAL", total),
        ("CURRENCY", "EUR"),
    ]
}

async fn twocheckout_links_are_signed_and_ipns_verified_and_acknowledged(backend: Backend) {
    let peer = TwoCheckoutPeer::start().await;
    let t = TestApp::spawn_with(backend, options(None, None, Some(&peer))).await;
    configure(
        &t,
        Gateway::TwoCheckout,
        &[
            ("gateways.twocheckout.merchant_code", TWOCHECKOUT_MERCHANT),
            ("gateways.twocheckout.buy_link_secret", TWOCHECKOUT_BUY_LINK_SECRET),
            ("gateways.twocheckout.secret_key", TWOCHECKOUT_SECRET_KEY),
        ],
    )
    .await;
    let client = t.login(CLIENT, DEMO_PASSWORD).await;
    let portico = t.url("");
    let id = sent_invoice(&t, "4").await;

    // The buy link carries what is owed, signed: 2Checkout's page accepts it.
    let link = pay_now(&client, id, "twocheckout").await;
    assert_eq!(at_gateway(&link, None).await.status, 200);
    let attempt = link.split("order-ext-ref=").nth(1).unwrap().split('&').next().unwrap().to_owned();
    let params = peer.link(&attempt).expect("the link was opened");
    assert_eq!((params["price"].as_str(), params["currency"].as_str()), ("400.00", "EUR"));
    // A link changed on the way (a lower price) does not pass 2Checkout's check.
    assert_eq!(at_gateway(&link.replace("price=400.00", "price=4.00"), None).await.status, 400);

    // Coming back before the IPN: nothing recorded.
    let page = client.get(&format!("/portal/invoices/{id}/payments/{attempt}")).await;
    assert!(page.body.contains("Confirming your payment"));

    // An IPN signed with another key is refused; one for another total is not recorded.
    let (status, _) = peer
        .send_ipn(&portico, &ipn("9001", &attempt, "COMPLETE", "400.00"), "wrong-key")
        .await;
    assert_eq!(status, 400);
    let (status, acknowledged) = peer
        .send_ipn(&portico, &ipn("9002", &attempt, "COMPLETE", "40.00"), TWOCHECKOUT_SECRET_KEY)
        .await;
    assert!(status.is_success() && acknowledged);
    assert_eq!(invoice_state(&t, id).await.1, 0);

    // The real one is recorded and acknowledged; sent again (2Checkout retries until it
    // reads the acknowledgement), it is acknowledged and changes nothing.
    let complete = ipn("9003", &attempt, "COMPLETE", "400.00");
    for _ in 0..2 {
        let (status, acknowledged) = peer.send_ipn(&portico, &complete, TWOCHECKOUT_SECRET_KEY).await;
        assert!(status.is_success() && acknowledged);
    }
    let (status, paid, payments) = invoice_state(&t, id).await;
    assert_eq!((status, paid, payments.len()), (InvoiceStatus::Paid, 40_000, 1));
    assert_eq!(payments[0].gateway_ref.as_deref(), Some("9003"));
    let seen = outcomes(&t, Gateway::TwoCheckout).await;
    assert_eq!(
        (seen.get("recorded"), seen.get("amount_mismatch")),
        (Some(&1), Some(&1)),
        "{seen:?}"
    );
    let page = client.get(&format!("/portal/invoices/{id}/payments/{attempt}")).await;
    assert!(page.body.contains("your payment is received"));
}

async fn gateway_settings_are_sealed_validated_and_admin_only(backend: Backend) {
    let t = TestApp::spawn(backend).await;
    let admin = t.login(ADMIN, DEMO_PASSWORD).await;

    // A key of the wrong kind is refused, naming the field, with what was typed kept.
    let refused = admin
        .post_form(
            "/admin/invoicing/gateways/stripe",
            &[
                ("gateways.stripe.secret_key", "pk_test_publishable"),
                ("gateways.stripe.webhook_secret", "whsec_abc"),
                ("action", "save"),
            ],
        )
        .await;
    assert_eq!(refused.status, 422, "{}", refused.body);
    assert!(refused.body.contains("starts with sk_"));
    assert!(refused.body.contains("value=\"whsec_abc\""));

    let saved = admin
        .post_form(
            "/admin/invoicing/gateways/stripe",
            &[
                ("gateways.stripe.secret_key", "sk_test_0123456789abcd"),
                ("gateways.stripe.webhook_secret", "whsec_secret9876"),
                ("action", "save"),
            ],
        )
        .await;
    assert_eq!(saved.status, 303, "{}", saved.body);

    // Sealed at rest: the database holds neither secret.
    {
        let mut handle = t.app.db.read().await.unwrap();
        let stored = store::settings::with_prefix(&mut handle.conn(), "gateways.stripe.").await.unwrap();
        assert_eq!(stored.len(), 2);
        for setting in &stored {
            assert!(setting.encrypted);
            assert!(!setting.value.contains("0123456789") && !setting.value.contains("secret9876"));
        }
    }
    // The page never shows a secret again, only its end; an empty secret keeps the saved one.
    let page = admin.get("/admin/invoicing").await;
    assert!(page.body.contains("saved, ending in …abcd"));
    assert!(!page.body.contains("sk_test_0123456789abcd"));
    admin
        .post_form(
            "/admin/invoicing/gateways/stripe",
            &[
                ("gateways.stripe.secret_key", ""),
                ("gateways.stripe.webhook_secret", ""),
                ("action", "save"),
            ],
        )
        .await;
    let settings = t.app.gateway_settings(&Viewer::Admin(t.user_id(ADMIN).await)).await.unwrap();
    assert_eq!(settings.get("gateways.stripe.secret_key"), "sk_test_0123456789abcd");
    assert_eq!(t.app.pay_now_gateways().await.unwrap(), vec![Gateway::Stripe]);

    // Staff and clients cannot change them.
    for email in [STAFF, CLIENT] {
        let other = t.login(email, DEMO_PASSWORD).await;
        let page = other.post_form("/admin/invoicing/gateways/stripe", &[("action", "turn_off")]).await;
        assert_eq!(page.status, 403, "{email}");
    }
    // Turned off, it is no longer offered.
    admin.post_form("/admin/invoicing/gateways/stripe", &[("action", "turn_off")]).await;
    assert!(t.app.pay_now_gateways().await.unwrap().is_empty());
}

async fn pay_now_refuses_what_cannot_be_paid(backend: Backend) {
    let t = TestApp::spawn(backend).await;
    let client = t.login(CLIENT, DEMO_PASSWORD).await;
    let id = sent_invoice(&t, "1").await;

    // No gateway set up: no button, and a hand-made request is refused with a message.
    assert!(!client.get(&format!("/portal/invoices/{id}")).await.body.contains("Pay by card"));
    let page = client
        .post_form(&format!("/portal/invoices/{id}/pay"), &[("gateway", "stripe")])
        .await;
    assert_eq!(page.location(), format!("/portal/invoices/{id}"));
    let shown = client.follow(&page).await.body;
    assert!(shown.contains("Paying with Stripe is not set up."), "{shown}");
    let page = client
        .post_form(&format!("/portal/invoices/{id}/pay"), &[("gateway", "bitcoin")])
        .await;
    assert_eq!(page.location(), format!("/portal/invoices/{id}"));
    let shown = client.follow(&page).await.body;
    assert!(shown.contains("Choose a way to pay."), "{shown}");

    // Stripe set up, but down: the client is told, nothing is recorded, the attempt fails.
    configure_stripe(&t).await;
    let page = client
        .post_form(&format!("/portal/invoices/{id}/pay"), &[("gateway", "stripe")])
        .await;
    assert_eq!(page.location(), format!("/portal/invoices/{id}"));
    let shown = client.follow(&page).await.body;
    assert!(
        shown.contains(r#"<div class="alert" role="alert" data-flash>Stripe did not start the payment. Please try again in a moment."#),
        "{shown}"
    );
    assert_eq!(invoice_state(&t, id).await.1, 0);

    // Another client's invoice, a void one, a draft: not payable.
    let other = t.login(OTHER_CLIENT, DEMO_PASSWORD).await;
    let page = other
        .post_form(&format!("/portal/invoices/{id}/pay"), &[("gateway", "stripe")])
        .await;
    assert_eq!(page.status, 404);
    // Staff do not press Pay Now, even on an invoice its client could pay.
    let staff = t.app.user(t.user_id(STAFF).await).await.unwrap().viewer();
    let refused = t.app.start_payment(&staff, id, "stripe").await.unwrap_err();
    assert!(matches!(refused, domain::Error::Forbidden), "{refused:?}");
    let admin = admin(&t).await;
    t.app.void_invoice(&admin, id, "sent by mistake").await.unwrap();
    let err = t
        .app
        .start_payment(&t.app.user(t.user_id(CLIENT).await).await.unwrap().viewer(), id, "stripe")
        .await
        .unwrap_err();
    assert!(err.to_string().contains("void"), "{err}");
}
