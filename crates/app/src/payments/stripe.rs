//! Stripe: a Checkout Session per attempt, created server-side for the server's amount with
//! the attempt as idempotency key; webhooks signed with `Stripe-Signature` (HMAC-SHA256 of
//! `timestamp.body`, 5 minutes' tolerance); every payment read back from the API before it is
//! recorded.

use super::{Checkout, GatewaySettings, Notification, Settlement, Verdict, WebhookReply, gateway_json, hmac_sha256, unexpected};
use crate::App;
use domain::money::Currency;
use domain::payments::Gateway;
use domain::{Error, Result};
use store::payments::Attempt;

/// The API version Portico reads (the fields it uses are the same in later ones).
const STRIPE_VERSION: &str = "2024-06-20";

/// How old (or how far ahead) a signed notification may be.
pub const SIGNATURE_TOLERANCE_SECONDS: i64 = 300;

pub(crate) struct Stripe<'a> {
    http: &'a reqwest::Client,
    api: &'a str,
    secret_key: &'a str,
    webhook_secret: &'a str,
}

impl App {
    pub(crate) fn stripe<'a>(&'a self, settings: &'a GatewaySettings) -> Stripe<'a> {
        Stripe {
            http: &self.http,
            api: self.config.payments.stripe_api.trim_end_matches('/'),
            secret_key: settings.get("gateways.stripe.secret_key"),
            webhook_secret: settings.get("gateways.stripe.webhook_secret"),
        }
    }
}

/// Checks a `Stripe-Signature` header against the body: one of its `v1` signatures must be
/// the HMAC-SHA256 of `t.body` under the endpoint's secret, and `t` within the tolerance of
/// `now` (a replay of an old notification fails here even before its id is looked up).
pub fn verify_signature(header: &str, body: &[u8], secret: &str, now: i64) -> Result<()> {
    let refuse = |why: &str| Err(Error::invalid("signature", why.to_owned()));
    let mut timestamp = None;
    let mut signatures = Vec::new();
    for part in header.split(',') {
        match part.trim().split_once('=') {
            Some(("t", t)) => timestamp = t.parse::<i64>().ok(),
            Some(("v1", signature)) => signatures.extend(hex::decode(signature).ok()),
            _ => {}
        }
    }
    let Some(timestamp) = timestamp else {
        return refuse("The Stripe-Signature header has no timestamp.");
    };
    if signatures.is_empty() {
        return refuse("The Stripe-Signature header has no v1 signature.");
    }
    let expected = hmac_sha256(secret.as_bytes(), &[timestamp.to_string().as_bytes(), b".", body]);
    if !signatures.iter().any(|s| crate::secrets::constant_time_eq(s, &expected)) {
        return refuse("The signature does not match: forged, tampered with, or signed with another secret.");
    }
    if (now - timestamp).abs() > SIGNATURE_TOLERANCE_SECONDS {
        return refuse("The signature's timestamp is outside the 5-minute tolerance: a replay, or a clock far off.");
    }
    Ok(())
}

/// Stripe takes amounts in minor units, lower-case currency codes, and three-decimal
/// currencies only in multiples of 10.
fn stripe_amount(amount: i64, currency: Currency) -> Result<(String, String)> {
    if currency.minor_digits() == 3 && amount % 10 != 0 {
        return Err(Error::invalid(
            "amount",
            format!(
                "Stripe takes {} amounts in steps of 0.010; pay this invoice another way.",
                currency.code()
            ),
        ));
    }
    Ok((amount.to_string(), currency.code().to_ascii_lowercase()))
}

fn text(value: &serde_json::Value, key: &str) -> String {
    value[key].as_str().unwrap_or_default().to_owned()
}

/// A PaymentIntent as read from the API, judged for the attempt it must belong to.
fn intent_verdict(attempt: &Attempt, intent: &serde_json::Value) -> Result<Verdict> {
    if intent["metadata"]["attempt"].as_str() != Some(attempt.id.to_string().as_str()) {
        return Err(Error::invalid("payment_intent", "The payment belongs to another attempt."));
    }
    Ok(match intent["status"].as_str().unwrap_or_default() {
        "succeeded" => Verdict::Paid {
            reference: text(intent, "id"),
            amount: intent["amount"]
                .as_i64()
                .ok_or_else(|| Error::internal("a Stripe payment without an amount"))?,
            currency: Currency::parse(intent["currency"].as_str().unwrap_or_default())?,
        },
        "canceled" => Verdict::Failed("cancelled".into()),
        "requires_payment_method" if !intent["last_payment_error"].is_null() => {
            Verdict::Failed(intent["last_payment_error"]["message"].as_str().unwrap_or("declined").to_owned())
        }
        _ => Verdict::Pending,
    })
}

impl Stripe<'_> {
    fn get(&self, path: &str) -> reqwest::RequestBuilder {
        self.http
            .get(format!("{}{path}", self.api))
            .bearer_auth(self.secret_key)
            .header("Stripe-Version", STRIPE_VERSION)
    }

    /// Creates the Checkout Session; returns its id and the page to send the client to.
    pub(crate) async fn create_checkout(&self, checkout: &Checkout) -> Result<(Option<String>, String)> {
        let (amount, currency) = stripe_amount(checkout.amount, checkout.currency)?;
        let attempt = checkout.attempt.to_string();
        let form = [
            ("mode", "payment"),
            ("line_items[0][quantity]", "1"),
            ("line_items[0][price_data][currency]", &currency),
            ("line_items[0][price_data][unit_amount]", &amount),
            ("line_items[0][price_data][product_data][name]", &checkout.description),
            ("success_url", &checkout.return_url),
            ("cancel_url", &checkout.cancel_url),
            ("client_reference_id", &attempt),
            ("metadata[attempt]", &attempt),
            ("payment_intent_data[metadata][attempt]", &attempt),
        ];
        let response = self
            .http
            .post(format!("{}/v1/checkout/sessions", self.api))
            .bearer_auth(self.secret_key)
            .header("Stripe-Version", STRIPE_VERSION)
            // The same request retried (after a timeout) gets the first session back
            // instead of a second one.
            .header("Idempotency-Key", format!("checkout-{attempt}"))
            .form(&form)
            .send()
            .await;
        let (status, session) = gateway_json(Gateway::Stripe, response).await?;
        match (status, session["id"].as_str(), session["url"].as_str()) {
            (200, Some(id), Some(url)) => Ok((Some(id.to_owned()), url.to_owned())),
            _ => Err(unexpected(Gateway::Stripe, status, &session)),
        }
    }

    async fn retrieve(&self, what: &str, id: &str) -> Result<serde_json::Value> {
        if id.is_empty() || !id.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            return Err(Error::invalid("id", "That is not a Stripe id."));
        }
        let (status, object) = gateway_json(Gateway::Stripe, self.get(&format!("/v1/{what}/{id}")).send().await).await?;
        match status {
            200 => Ok(object),
            404 => Err(Error::NotFound),
            _ => Err(unexpected(Gateway::Stripe, status, &object)),
        }
    }

    /// Asks Stripe how the attempt's Checkout Session stands.
    pub(crate) async fn verify_attempt(&self, attempt: &Attempt) -> Result<Verdict> {
        let session_id = attempt.gateway_ref.as_deref().unwrap_or_default();
        let session = self.retrieve("checkout/sessions", session_id).await?;
        if session["metadata"]["attempt"].as_str() != Some(attempt.id.to_string().as_str()) {
            return Err(Error::invalid("session", "The Checkout Session belongs to another attempt."));
        }
        if session["status"].as_str() == Some("expired") {
            return Ok(Verdict::Failed("the checkout expired".into()));
        }
        // The PaymentIntent says how the money stands (paid, processing, or failed, as
        // after `checkout.session.async_payment_failed`).
        match session["payment_intent"].as_str() {
            Some(intent) => intent_verdict(attempt, &self.retrieve("payment_intents", intent).await?),
            None => Ok(Verdict::Pending),
        }
    }

    /// Handles a webhook: the signature first, then the event's object read back from the
    /// API, judged against the attempt it names.
    pub(crate) async fn notification(&self, app: &App, notification: &Notification<'_>) -> Result<WebhookReply> {
        let header = notification
            .headers
            .get("stripe-signature")
            .and_then(|v| v.to_str().ok())
            .ok_or_else(|| Error::invalid("signature", "The Stripe-Signature header is missing."))?;
        verify_signature(header, notification.body, self.webhook_secret, app.now().timestamp())?;
        let event: serde_json::Value =
            serde_json::from_slice(notification.body).map_err(|_| Error::invalid("body", "The event is not JSON."))?;
        let (event_id, kind, object_id) = (text(&event, "id"), text(&event, "type"), text(&event["data"]["object"], "id"));
        if event_id.is_empty() {
            return Err(Error::invalid("body", "The event has no id."));
        }
        if app.event_seen(Gateway::Stripe, &event_id).await? {
            return Ok(WebhookReply::plain(Settlement::Duplicate));
        }
        let (attempt, verdict) = match kind.as_str() {
            "checkout.session.completed"
            | "checkout.session.async_payment_succeeded"
            | "checkout.session.async_payment_failed"
            | "checkout.session.expired" => match app.attempt_by_ref(Gateway::Stripe, &object_id).await? {
                Some(attempt) => {
                    let verdict = self.verify_attempt(&attempt).await?;
                    (attempt, verdict)
                }
                None => {
                    return Ok(WebhookReply::plain(
                        app.note_event(Gateway::Stripe, &event_id, Settlement::Ignored).await?,
                    ));
                }
            },
            "payment_intent.succeeded" | "payment_intent.payment_failed" | "payment_intent.canceled" => {
                let intent = self.retrieve("payment_intents", &object_id).await?;
                let attempt = match intent["metadata"]["attempt"].as_str().and_then(|a| a.parse().ok()) {
                    Some(id) => app.attempt(id).await?.filter(|a| a.gateway == Gateway::Stripe),
                    None => None,
                };
                match attempt {
                    Some(attempt) => {
                        let verdict = intent_verdict(&attempt, &intent)?;
                        (attempt, verdict)
                    }
                    None => {
                        return Ok(WebhookReply::plain(
                            app.note_event(Gateway::Stripe, &event_id, Settlement::Ignored).await?,
                        ));
                    }
                }
            }
            _ => {
                return Ok(WebhookReply::plain(
                    app.note_event(Gateway::Stripe, &event_id, Settlement::Ignored).await?,
                ));
            }
        };
        Ok(WebhookReply::plain(app.settle(&attempt, verdict, Some(&event_id)).await?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sign(secret: &str, t: i64, body: &[u8]) -> String {
        format!(
            "t={t},v1={}",
            hex::encode(hmac_sha256(secret.as_bytes(), &[t.to_string().as_bytes(), b".", body]))
        )
    }

    #[test]
    fn signatures_are_checked_against_the_body_the_secret_and_the_clock() {
        let body = br#"{"id":"evt_1"}"#;
        let now = 1_800_000_000;
        let header = sign("whsec_a", now, body);
        assert!(verify_signature(&header, body, "whsec_a", now).is_ok());
        assert!(verify_signature(&header, body, "whsec_a", now + 299).is_ok());
        assert!(
            verify_signature(&header, body, "whsec_a", now + 301).is_err(),
            "replayed after 5 minutes"
        );
        assert!(verify_signature(&header, body, "whsec_b", now).is_err(), "another secret");
        assert!(
            verify_signature(&header, br#"{"id":"evt_2"}"#, "whsec_a", now).is_err(),
            "tampered body"
        );
        assert!(verify_signature("t=1800000000", body, "whsec_a", now).is_err());
        assert!(verify_signature("v1=00", body, "whsec_a", now).is_err());
        // Stripe sends several v1 signatures while a secret is being rolled.
        let rolled = format!("{},v1=deadbeef", sign("whsec_a", now, body));
        assert!(verify_signature(&rolled, body, "whsec_a", now).is_ok());
    }

    #[test]
    fn three_decimal_amounts_go_to_stripe_only_in_steps_of_ten() {
        let kwd = Currency::parse("KWD").unwrap();
        assert_eq!(stripe_amount(12_340, kwd).unwrap(), ("12340".into(), "kwd".into()));
        assert!(stripe_amount(12_345, kwd).is_err());
        let jpy = Currency::parse("JPY").unwrap();
        assert_eq!(stripe_amount(1500, jpy).unwrap(), ("1500".into(), "jpy".into()));
    }
}
