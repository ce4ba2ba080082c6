//! The payment gateways on loopback: Stripe is localstripe (PyPI) with Checkout added
//! (`tests/peers/stripe.py`); PayPal and 2Checkout are servers here that speak their
//! documented wire formats — OAuth client credentials, Orders v2 with approve and capture,
//! verify-webhook-signature; the signed buy link and the signed IPN with its signed
//! acknowledgement — and check what Portico sends them.

use axum::Router;
use axum::extract::{Form, Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use sha2::Sha256;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

pub const STRIPE_SECRET_KEY: &str = "sk_test_portico";
pub const STRIPE_WEBHOOK_SECRET: &str = "whsec_portico_test";
pub const PAYPAL_CLIENT_ID: &str = "portico-client";
pub const PAYPAL_CLIENT_SECRET: &str = "portico-secret";
pub const PAYPAL_WEBHOOK_ID: &str = "WH-PORTICO-1";
pub const TWOCHECKOUT_MERCHANT: &str = "PORTICO1";
pub const TWOCHECKOUT_BUY_LINK_SECRET: &str = "buy-link-word";
pub const TWOCHECKOUT_SECRET_KEY: &str = "ipn-secret-key";

fn hmac_hex(key: &str, message: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(key.as_bytes()).unwrap();
    mac.update(message.as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

/// A loopback listener, bound before the peer's router is built so that the peer knows
/// its own address (for the links it hands out).
async fn listen() -> (tokio::net::TcpListener, String) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    (listener, url)
}

fn serve(listener: tokio::net::TcpListener, router: Router) {
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
}

/// localstripe with Checkout, one process per test; killed when dropped. Only tests of the
/// Stripe suite start it (`PORTICO_TEST_STRIPE_PYTHON`, which the browser suite needs too): a
/// missing variable or a Python that cannot run it fails the test.
pub struct StripePeer {
    pub url: String,
    _process: tokio::process::Child,
}

impl StripePeer {
    pub async fn start() -> StripePeer {
        let python = std::env::var("PORTICO_TEST_STRIPE_PYTHON")
            .ok()
            .filter(|python| !python.is_empty())
            .expect("the Stripe peer needs PORTICO_TEST_STRIPE_PYTHON: a Python with localstripe");
        use tokio::io::AsyncBufReadExt;
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/peers/stripe.py");
        let mut process = tokio::process::Command::new(&python)
            .args([script, "--port", "0", "--secret-key", STRIPE_SECRET_KEY])
            .stdout(std::process::Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .unwrap_or_else(|e| panic!("PORTICO_TEST_STRIPE_PYTHON={python} cannot be started: {e}"));
        let mut lines = tokio::io::BufReader::new(process.stdout.take().unwrap()).lines();
        let first = tokio::time::timeout(std::time::Duration::from_secs(30), lines.next_line())
            .await
            .expect("localstripe starts within 30 s")
            .unwrap()
            .unwrap_or_else(|| panic!("localstripe did not start: is it installed for {python}?"));
        let port = first.strip_prefix("port ").expect("localstripe prints its port");
        StripePeer {
            url: format!("http://127.0.0.1:{port}"),
            _process: process,
        }
    }

    /// Sends Stripe's events to Portico's webhook, signed with the endpoint's secret.
    pub async fn register_webhook(&self, portico_webhook: &str) {
        let response = reqwest::Client::new()
            .post(format!("{}/_config/webhooks/portico", self.url))
            .form(&[("url", portico_webhook), ("secret", STRIPE_WEBHOOK_SECRET)])
            .send()
            .await
            .unwrap();
        assert!(response.status().is_success());
    }

    /// Stripe's API, as Portico's secret key.
    pub async fn api(&self, method: reqwest::Method, path: &str, form: &[(&str, &str)]) -> Value {
        self.call(method, path, STRIPE_SECRET_KEY, None, form).await.1
    }

    /// One call to Stripe's API with a given key, perhaps with an idempotency key: the status
    /// and the JSON answer.
    pub async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        key: &str,
        idempotency: Option<&str>,
        form: &[(&str, &str)],
    ) -> (u16, Value) {
        let mut request = reqwest::Client::new()
            .request(method, format!("{}{path}", self.url))
            .bearer_auth(key);
        if let Some(idempotency) = idempotency {
            request = request.header("Idempotency-Key", idempotency);
        }
        if !form.is_empty() {
            request = request.form(form);
        }
        let response = request.send().await.unwrap();
        (response.status().as_u16(), response.json().await.unwrap())
    }
}

/// Signs a Stripe event as Stripe does, for the tests that forge or replay one.
pub fn stripe_signature(secret: &str, timestamp: i64, body: &str) -> String {
    format!("t={timestamp},v1={}", hmac_hex(secret, &format!("{timestamp}.{body}")))
}

#[derive(Default)]
struct PayPalOrders {
    orders: HashMap<String, Value>,
    /// PayPal-Request-Id → order id: a retried create returns the first order.
    requests: HashMap<String, String>,
    return_urls: HashMap<String, String>,
    /// Orders whose capture the bank declines.
    declined: Vec<String>,
    /// Orders whose capture takes another amount than the order's (a gateway gone wrong).
    capture_value: HashMap<String, String>,
    captures: usize,
    tokens_issued: usize,
    /// Calls to verify-webhook-signature.
    verifications: usize,
}

#[derive(Clone)]
pub struct PayPalPeer {
    pub url: String,
    state: Arc<Mutex<PayPalOrders>>,
    /// Signs webhook transmissions; only the peer's verify call knows it (as only PayPal
    /// holds its certificate's key).
    signing_key: Arc<String>,
}

fn paypal_error(status: StatusCode, name: &str, issue: &str) -> Response {
    (status, axum::Json(json!({"name": name, "details": [{"issue": issue}]}))).into_response()
}

fn bearer_ok(headers: &HeaderMap) -> bool {
    headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v == "Bearer A21-portico-token")
}

impl PayPalPeer {
    pub async fn start() -> PayPalPeer {
        let (listener, url) = listen().await;
        let peer = PayPalPeer {
            url,
            state: Arc::default(),
            signing_key: Arc::new(app::secrets::random_token()),
        };
        let router = Router::new()
            .route("/v1/oauth2/token", post(paypal_token))
            .route("/v2/checkout/orders", post(paypal_create))
            .route("/v2/checkout/orders/{id}", get(paypal_get))
            .route("/v2/checkout/orders/{id}/capture", post(paypal_capture))
            .route("/v1/notifications/verify-webhook-signature", post(paypal_verify))
            .route("/checkoutnow", get(paypal_approve_page))
            .with_state(peer.clone());
        serve(listener, router);
        peer
    }

    pub fn decline(&self, order: &str) {
        self.state.lock().unwrap().declined.push(order.to_owned());
    }

    pub fn capture_as(&self, order: &str, value: &str) {
        self.state.lock().unwrap().capture_value.insert(order.to_owned(), value.to_owned());
    }

    pub fn order(&self, id: &str) -> Value {
        self.state.lock().unwrap().orders[id].clone()
    }

    pub fn captures(&self) -> usize {
        self.state.lock().unwrap().captures
    }

    pub fn tokens_issued(&self) -> usize {
        self.state.lock().unwrap().tokens_issued
    }

    pub fn verifications(&self) -> usize {
        self.state.lock().unwrap().verifications
    }

    /// A webhook as PayPal sends it: the transmission headers, signed over the body's exact
    /// bytes (its keys in PayPal's order, not sorted), so that a receiver that writes the
    /// event out again fails the check as it would at PayPal.
    pub async fn send_event(&self, portico: &str, event_type: &str, resource: Value, tamper: bool) -> reqwest::Response {
        let body = format!(
            r#"{{"id":"WH-EVT-{}","resource_type":"checkout-order","event_type":"{event_type}","resource":{resource}}}"#,
            uuid::Uuid::now_v7().simple()
        );
        let transmission = uuid::Uuid::now_v7().to_string();
        let time = chrono::Utc::now().to_rfc3339();
        let signature = self.transmission_signature(&transmission, &time, PAYPAL_WEBHOOK_ID, &body);
        let sent = if tamper {
            body.replacen(r#""resource":{"#, r#""resource":{"tampered":true,"#, 1)
        } else {
            body
        };
        reqwest::Client::new()
            .post(format!("{portico}/webhooks/paypal"))
            .header("paypal-auth-algo", "SHA256withRSA")
            .header("paypal-cert-url", format!("{}/v1/notifications/certs/CERT-1", self.url))
            .header("paypal-transmission-id", transmission)
            .header("paypal-transmission-sig", signature)
            .header("paypal-transmission-time", time)
            .header("content-type", "application/json")
            .body(sent)
            .send()
            .await
            .unwrap()
    }

    fn transmission_signature(&self, id: &str, time: &str, webhook_id: &str, event: &str) -> String {
        let crc = crc32(event.as_bytes());
        hmac_hex(&self.signing_key, &format!("{id}|{time}|{webhook_id}|{crc}"))
    }
}

/// CRC-32 (IEEE), as PayPal's signed transmission string uses.
fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for byte in bytes {
        crc ^= u32::from(*byte);
        for _ in 0..8 {
            crc = if crc & 1 == 1 { (crc >> 1) ^ 0xEDB8_8320 } else { crc >> 1 };
        }
    }
    !crc
}

/// The decimals PayPal takes in a currency it supports: none for HUF, JPY and TWD (HUF and
/// TWD have cents in ISO 4217, not at PayPal), two for the others.
fn paypal_decimals(currency: &str) -> Option<usize> {
    const SUPPORTED: [&str; 25] = [
        "AUD", "BRL", "CAD", "CNY", "CZK", "DKK", "EUR", "HKD", "HUF", "ILS", "JPY", "MYR", "MXN", "TWD", "NZD", "NOK", "PHP", "PLN",
        "GBP", "SGD", "SEK", "CHF", "THB", "USD", "RUB",
    ];
    SUPPORTED
        .contains(&currency)
        .then_some(if matches!(currency, "HUF" | "JPY" | "TWD") { 0 } else { 2 })
}

async fn paypal_token(State(peer): State<PayPalPeer>, headers: HeaderMap, Form(form): Form<HashMap<String, String>>) -> Response {
    use base64::Engine;
    let expected = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{PAYPAL_CLIENT_ID}:{PAYPAL_CLIENT_SECRET}"))
    );
    let authorised = headers.get("authorization").and_then(|v| v.to_str().ok()) == Some(expected.as_str());
    if !authorised || form.get("grant_type").map(String::as_str) != Some("client_credentials") {
        return (StatusCode::UNAUTHORIZED, axum::Json(json!({"error": "invalid_client"}))).into_response();
    }
    peer.state.lock().unwrap().tokens_issued += 1;
    axum::Json(json!({"access_token": "A21-portico-token", "token_type": "Bearer", "expires_in": 32400})).into_response()
}

async fn paypal_create(State(peer): State<PayPalPeer>, headers: HeaderMap, axum::Json(body): axum::Json<Value>) -> Response {
    if !bearer_ok(&headers) {
        return StatusCode::UNAUTHORIZED.into_response();
    }
    let mut state = peer.state.lock().unwrap();
    let unit = &body["purchase_units"][0];
    // Portico retries: each order must carry the idempotency key of its attempt.
    let request_id = headers
        .get("paypal-request-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    if request_id != format!("order-{}", unit["custom_id"].as_str().unwrap_or_default()) {
        return paypal_error(StatusCode::BAD_REQUEST, "INVALID_REQUEST", "MISSING_OR_WRONG_PAYPAL_REQUEST_ID");
    }
    if let Some(id) = state.requests.get(&request_id) {
        return (StatusCode::OK, axum::Json(state.orders[id].clone())).into_response();
    }
    let amount = &unit["amount"];
    let value = amount["value"].as_str().unwrap_or_default();
    if body["intent"] != "CAPTURE" || value.parse::<f64>().map_or(true, |v| v <= 0.0) {
        return paypal_error(StatusCode::UNPROCESSABLE_ENTITY, "UNPROCESSABLE_ENTITY", "INVALID_PARAMETER_VALUE");
    }
    let Some(decimals) = paypal_decimals(amount["currency_code"].as_str().unwrap_or_default()) else {
        return paypal_error(StatusCode::UNPROCESSABLE_ENTITY, "UNPROCESSABLE_ENTITY", "CURRENCY_NOT_SUPPORTED");
    };
    if value.split_once('.').is_some_and(|(_, fraction)| fraction.len() > decimals) {
        return paypal_error(StatusCode::UNPROCESSABLE_ENTITY, "UNPROCESSABLE_ENTITY", "DECIMAL_PRECISION");
    }
    let id = uuid::Uuid::now_v7().simple().to_string()[..17].to_ascii_uppercase();
    let order = json!({
        "id": id,
        "intent": "CAPTURE",
        "status": "PAYER_ACTION_REQUIRED",
        "purchase_units": [unit],
        "links": [
            {"rel": "self", "href": format!("{}/v2/checkout/orders/{id}", peer.url), "method": "GET"},
            {"rel": "payer-action", "href": format!("{}/checkoutnow?token={id}", peer.url), "method": "GET"},
        ],
    });
    let context = &body["payment_source"]["paypal"]["experience_context"];
    state
        .return_urls
        .insert(id.clone(), context["return_url"].as_str().unwrap_or_default().to_owned());
    state.requests.insert(request_id, id.clone());
    state.orders.insert(id, order.clone());
    (StatusCode::OK, axum::Json(order)).into_response()
}

async fn paypal_get(State(peer): State<PayPalPeer>, headers: HeaderMap, Path(id): Path<String>) -> Response {
    if !bearer_ok(&headers) {
        return StatusCode::UNAUTHORIZED.into_response();
    }
    match peer.state.lock().unwrap().orders.get(&id) {
        Some(order) => axum::Json(order.clone()).into_response(),
        None => paypal_error(StatusCode::NOT_FOUND, "RESOURCE_NOT_FOUND", "INVALID_RESOURCE_ID"),
    }
}

/// The client approving the order at PayPal; PayPal then sends the browser back.
async fn paypal_approve_page(State(peer): State<PayPalPeer>, Query(query): Query<HashMap<String, String>>) -> Response {
    let id = query.get("token").cloned().unwrap_or_default();
    let mut state = peer.state.lock().unwrap();
    let Some(order) = state.orders.get_mut(&id) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    order["status"] = json!("APPROVED");
    let back = format!("{}?token={id}&PayerID=PAYER1", state.return_urls[&id]);
    Redirect::to(&back).into_response()
}

async fn paypal_capture(State(peer): State<PayPalPeer>, headers: HeaderMap, Path(id): Path<String>) -> Response {
    if !bearer_ok(&headers) {
        return StatusCode::UNAUTHORIZED.into_response();
    }
    let mut state = peer.state.lock().unwrap();
    let attempt = state
        .orders
        .get(&id)
        .map(|o| o["purchase_units"][0]["custom_id"].as_str().unwrap_or_default().to_owned());
    let request_id = headers.get("paypal-request-id").and_then(|v| v.to_str().ok()).unwrap_or_default();
    if attempt.is_some_and(|attempt| request_id != format!("capture-{attempt}")) {
        return paypal_error(StatusCode::BAD_REQUEST, "INVALID_REQUEST", "MISSING_OR_WRONG_PAYPAL_REQUEST_ID");
    }
    let declined = state.declined.contains(&id);
    let capture_value = state.capture_value.get(&id).cloned();
    let Some(order) = state.orders.get_mut(&id) else {
        return paypal_error(StatusCode::NOT_FOUND, "RESOURCE_NOT_FOUND", "INVALID_RESOURCE_ID");
    };
    match order["status"].as_str() {
        Some("APPROVED") => {}
        Some("COMPLETED") => return paypal_error(StatusCode::UNPROCESSABLE_ENTITY, "UNPROCESSABLE_ENTITY", "ORDER_ALREADY_CAPTURED"),
        _ => return paypal_error(StatusCode::UNPROCESSABLE_ENTITY, "UNPROCESSABLE_ENTITY", "ORDER_NOT_APPROVED"),
    }
    if declined {
        return paypal_error(StatusCode::UNPROCESSABLE_ENTITY, "UNPROCESSABLE_ENTITY", "INSTRUMENT_DECLINED");
    }
    let unit = &mut order["purchase_units"][0];
    let mut amount = unit["amount"].clone();
    if let Some(value) = capture_value {
        amount["value"] = json!(value);
    }
    unit["payments"] = json!({"captures": [{
        "id": format!("CAP{}", &uuid::Uuid::now_v7().simple().to_string()[..14].to_ascii_uppercase()),
        "status": "COMPLETED",
        "amount": amount,
        "custom_id": unit["custom_id"],
    }]});
    order["status"] = json!("COMPLETED");
    let order = order.clone();
    state.captures += 1;
    (StatusCode::CREATED, axum::Json(order)).into_response()
}

/// PayPal's check of a webhook: the signature covers the event's bytes exactly as they were
/// sent, so the event must come back verbatim (the last member of the request).
async fn paypal_verify(State(peer): State<PayPalPeer>, headers: HeaderMap, body: String) -> Response {
    peer.state.lock().unwrap().verifications += 1;
    if !bearer_ok(&headers) {
        return StatusCode::UNAUTHORIZED.into_response();
    }
    let Ok(request) = serde_json::from_str::<Value>(&body) else {
        return paypal_error(StatusCode::BAD_REQUEST, "INVALID_REQUEST", "MALFORMED_REQUEST_JSON");
    };
    let marker = r#""webhook_event":"#;
    // The request's own closing brace follows the event.
    let event = body
        .find(marker)
        .and_then(|at| body[at + marker.len()..].trim_end().strip_suffix('}'))
        .unwrap_or_default();
    let field = |name: &str| request[name].as_str().unwrap_or_default().to_owned();
    let expected = peer.transmission_signature(&field("transmission_id"), &field("transmission_time"), &field("webhook_id"), event);
    let verified = field("webhook_id") == PAYPAL_WEBHOOK_ID && field("transmission_sig") == expected;
    axum::Json(json!({"verification_status": if verified { "SUCCESS" } else { "FAILURE" }})).into_response()
}

/// 2Checkout: checks a buy link's signature, and sends IPNs.
///
/// 2Checkout publishes no test vector for these signatures (no signed example with its key),
/// so nothing here can prove the format against 2Checkout itself. What the harness can do is
/// sign independently of Portico: this serialisation and these field lists are written from
/// 2Checkout's documentation, not shared with `app::payments::twocheckout`, so a mistake in
/// one shows as a mismatch with the other.
#[derive(Clone)]
pub struct TwoCheckoutPeer {
    pub url: String,
    /// Buy links opened, by the order's external reference, with their parameters.
    links: Arc<Mutex<HashMap<String, HashMap<String, String>>>>,
}

/// 2Checkout's serialisation for HMAC: each value's byte length, then the value.
fn length_prefixed(values: &[&str]) -> String {
    values.iter().fold(String::new(), |mut out, v| {
        out.push_str(&v.len().to_string());
        out.push_str(v);
        out
    })
}

impl TwoCheckoutPeer {
    pub async fn start() -> TwoCheckoutPeer {
        let (listener, url) = listen().await;
        let peer = TwoCheckoutPeer {
            url: format!("{url}/checkout/buy"),
            links: Arc::default(),
        };
        serve(
            listener,
            Router::new().route("/checkout/buy", get(buy_link)).with_state(peer.clone()),
        );
        peer
    }

    /// The parameters of the buy link opened for this attempt.
    pub fn link(&self, attempt: &str) -> Option<HashMap<String, String>> {
        self.links.lock().unwrap().get(attempt).cloned()
    }

    /// Sends an IPN for an order as 2Checkout does (fields in its order, signed with the
    /// secret key); returns the status and whether Portico's acknowledgement checks.
    pub async fn send_ipn(&self, portico: &str, fields: &[(&str, &str)], secret: &str) -> (StatusCode, bool) {
        let values: Vec<&str> = fields.iter().map(|(_, v)| *v).collect();
        let signature = hmac_hex(secret, &length_prefixed(&values));
        let mut form: Vec<(&str, &str)> = fields.to_vec();
        form.push(("SIGNATURE_SHA2_256", &signature));
        let response = reqwest::Client::new()
            .post(format!("{portico}/webhooks/twocheckout"))
            .form(&form)
            .send()
            .await
            .unwrap();
        let status = response.status();
        let body = response.text().await.unwrap();
        let field = |name: &str| fields.iter().find(|(k, _)| *k == name).map(|(_, v)| *v).unwrap_or_default();
        let acknowledged = body
            .strip_prefix("<sig algo=\"sha256\" date=\"")
            .and_then(|rest| rest.split_once("\">"))
            .is_some_and(|(date, rest)| {
                let expected = hmac_hex(
                    secret,
                    &length_prefixed(&[field("IPN_PID[]"), field("IPN_PNAME[]"), field("IPN_DATE"), date]),
                );
                rest.strip_suffix("</sig>") == Some(expected.as_str())
            });
        (StatusCode::from_u16(status.as_u16()).unwrap(), acknowledged)
    }
}

/// The hosted checkout: refuses a link whose signature does not cover its parameters.
async fn buy_link(State(peer): State<TwoCheckoutPeer>, Query(params): Query<Vec<(String, String)>>) -> Response {
    let param = |name: &str| params.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str()).unwrap_or_default();
    let mut signed: Vec<&(String, String)> = params
        .iter()
        .filter(|(k, _)| !matches!(k.as_str(), "merchant" | "dynamic" | "signature" | "tpl"))
        .collect();
    signed.sort_by(|a, b| a.0.cmp(&b.0));
    let values: Vec<&str> = signed.iter().map(|(_, v)| v.as_str()).collect();
    let expected = hmac_hex(TWOCHECKOUT_BUY_LINK_SECRET, &length_prefixed(&values));
    if param("merchant") != TWOCHECKOUT_MERCHANT || param("signature") != expected {
        return (StatusCode::BAD_REQUEST, "Invalid signature").into_response();
    }
    let reference = param("order-ext-ref").to_owned();
    peer.links.lock().unwrap().insert(reference, params.into_iter().collect());
    (StatusCode::OK, "<h1>2Checkout</h1>").into_response()
}
