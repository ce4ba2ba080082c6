//! PayPal Orders v2: an order per attempt (the attempt is its `custom_id` and the request id),
//! approved by the client at PayPal, captured server-to-server; webhooks verified by PayPal's
//! own verify-webhook-signature call.

use super::{Checkout, GatewaySettings, Notification, Settlement, Verdict, WebhookReply, gateway_amount, gateway_json, unexpected};
use crate::App;
use chrono::DateTime;
use domain::money::Currency;
use domain::payments::Gateway;
use domain::{Error, Result};
use serde_json::{Value, json};
use store::payments::Attempt;

pub(crate) struct PayPal<'a> {
    http: &'a reqwest::Client,
    api: &'a str,
    client_id: &'a str,
    client_secret: &'a str,
    webhook_id: &'a str,
    tokens: &'a std::sync::Mutex<Option<AccessToken>>,
}

/// An OAuth access token, kept until shortly before it expires: PayPal asks integrations
/// not to fetch one per call.
#[derive(Clone, Debug)]
pub struct AccessToken {
    /// Whose credentials it was issued for (the admins may change them).
    client_id: String,
    token: String,
    expires: std::time::Instant,
}

impl App {
    pub(crate) fn paypal<'a>(&'a self, settings: &'a GatewaySettings) -> PayPal<'a> {
        PayPal {
            http: &self.http,
            api: self.config.payments.paypal_api.trim_end_matches('/'),
            client_id: settings.get("gateways.paypal.client_id"),
            client_secret: settings.get("gateways.paypal.client_secret"),
            webhook_id: settings.get("gateways.paypal.webhook_id"),
            tokens: &self.paypal_token,
        }
    }
}

/// An order as read from PayPal, judged for its attempt: the capture's id, amount and
/// currency once completed.
/// The headers PayPal signs a notification with; without all of them it is not PayPal's.
const TRANSMISSION_HEADERS: [&str; 5] = [
    "paypal-auth-algo",
    "paypal-cert-url",
    "paypal-transmission-id",
    "paypal-transmission-sig",
    "paypal-transmission-time",
];

fn order_verdict(attempt: &Attempt, order: &Value) -> Result<Verdict> {
    let unit = &order["purchase_units"][0];
    if unit["custom_id"].as_str() != Some(attempt.id.to_string().as_str()) {
        return Err(Error::invalid("order", "The PayPal order belongs to another attempt."));
    }
    let capture = &unit["payments"]["captures"][0];
    Ok(match (order["status"].as_str(), capture["status"].as_str()) {
        (Some("COMPLETED"), Some("COMPLETED")) => {
            let currency = Currency::parse(capture["amount"]["currency_code"].as_str().unwrap_or_default())?;
            let value = capture["amount"]["value"].as_str().unwrap_or_default();
            Verdict::Paid {
                reference: capture["id"].as_str().unwrap_or_default().to_owned(),
                amount: gateway_amount(currency, value)
                    .map_err(|_| Error::internal(format!("PayPal captured an amount we cannot read: {value:?}")))?,
                currency,
            }
        }
        (_, Some("DECLINED" | "FAILED")) => Verdict::Failed("the payment was declined".into()),
        (Some("VOIDED"), _) => Verdict::Failed("the order was voided".into()),
        _ => Verdict::Pending,
    })
}

impl PayPal<'_> {
    async fn token(&self) -> Result<String> {
        let now = std::time::Instant::now();
        if let Some(kept) = self.tokens.lock().expect("token cache").as_ref()
            && kept.client_id == self.client_id
            && kept.expires > now
        {
            return Ok(kept.token.clone());
        }
        let response = self
            .http
            .post(format!("{}/v1/oauth2/token", self.api))
            .basic_auth(self.client_id, Some(self.client_secret))
            .form(&[("grant_type", "client_credentials")])
            .send()
            .await;
        let (status, body) = gateway_json(Gateway::PayPal, response).await?;
        let Some(token) = body["access_token"].as_str().filter(|_| status == 200) else {
            return Err(unexpected(Gateway::PayPal, status, &body));
        };
        // A minute's margin, so that a token is never used as it expires.
        let lifetime = body["expires_in"].as_u64().unwrap_or(0).saturating_sub(60);
        *self.tokens.lock().expect("token cache") = Some(AccessToken {
            client_id: self.client_id.to_owned(),
            token: token.to_owned(),
            expires: now + std::time::Duration::from_secs(lifetime),
        });
        Ok(token.to_owned())
    }

    /// One call to PayPal's REST API with a JSON body, already written out: the webhook
    /// check must pass the event's bytes as PayPal sent them.
    async fn call(&self, method: reqwest::Method, path: &str, request_id: Option<&str>, body: Option<String>) -> Result<(u16, Value)> {
        let token = self.token().await?;
        let mut request = self
            .http
            .request(method, format!("{}{path}", self.api))
            .bearer_auth(token)
            .header("Content-Type", "application/json")
            // The whole resource in the answer, not only its id and status.
            .header("Prefer", "return=representation");
        if let Some(id) = request_id {
            // PayPal's idempotency key: the same call retried returns the first one's result.
            request = request.header("PayPal-Request-Id", id);
        }
        if let Some(body) = body {
            request = request.body(body);
        }
        gateway_json(Gateway::PayPal, request.send().await).await
    }

    async fn order(&self, order_id: &str) -> Result<Value> {
        let (status, order) = self
            .call(reqwest::Method::GET, &format!("/v2/checkout/orders/{order_id}"), None, None)
            .await?;
        if status != 200 {
            return Err(unexpected(Gateway::PayPal, status, &order));
        }
        Ok(order)
    }

    /// Creates the order; returns its id and the page where the client approves it. An
    /// amount PayPal cannot take (cents in a currency it takes whole) is refused first.
    pub(crate) async fn create_order(&self, checkout: &Checkout) -> Result<(Option<String>, String)> {
        let attempt = checkout.attempt.to_string();
        let body = json!({
            "intent": "CAPTURE",
            "purchase_units": [{
                "reference_id": attempt,
                "custom_id": attempt,
                "description": checkout.description,
                "amount": {
                    "currency_code": checkout.currency.code(),
                    "value": paypal_value(checkout.currency, checkout.amount)?,
                },
            }],
            "payment_source": {"paypal": {"experience_context": {
                "user_action": "PAY_NOW",
                "shipping_preference": "NO_SHIPPING",
                "return_url": checkout.return_url,
                "cancel_url": checkout.cancel_url,
            }}},
        });
        let (status, order) = self
            .call(
                reqwest::Method::POST,
                "/v2/checkout/orders",
                Some(&format!("order-{attempt}")),
                Some(body.to_string()),
            )
            .await?;
        let approve = order["links"].as_array().and_then(|links| {
            links
                .iter()
                .find(|l| matches!(l["rel"].as_str(), Some("payer-action" | "approve")))
                .and_then(|l| l["href"].as_str())
        });
        match (status, order["id"].as_str(), approve) {
            (200 | 201, Some(id), Some(url)) => Ok((Some(id.to_owned()), url.to_owned())),
            _ => Err(unexpected(Gateway::PayPal, status, &order)),
        }
    }

    /// Asks PayPal how the attempt's order stands, and captures it once the client approved
    /// it: the capture's answer is the confirmation.
    pub(crate) async fn verify_attempt(&self, attempt: &Attempt) -> Result<Verdict> {
        let order_id = attempt.gateway_ref.as_deref().unwrap_or_default();
        if order_id.is_empty() || !order_id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
            return Err(Error::invalid("order", "That is not a PayPal order id."));
        }
        let order = self.order(order_id).await?;
        if order["status"].as_str() != Some("APPROVED") {
            return order_verdict(attempt, &order);
        }
        let (status, captured) = self
            .call(
                reqwest::Method::POST,
                &format!("/v2/checkout/orders/{order_id}/capture"),
                Some(&format!("capture-{}", attempt.id)),
                None,
            )
            .await?;
        let issue = captured["details"][0]["issue"].as_str().unwrap_or_default();
        match (status, issue) {
            (422, "INSTRUMENT_DECLINED" | "PAYER_ACTION_REQUIRED") => Ok(Verdict::Failed(format!("PayPal: {issue}"))),
            // Captured now, or meanwhile by a webhook's handling: the order, read back whole,
            // says what was taken.
            (200 | 201, _) | (422, "ORDER_ALREADY_CAPTURED") => order_verdict(attempt, &self.order(order_id).await?),
            _ => Err(unexpected(Gateway::PayPal, status, &captured)),
        }
    }

    /// Handles a webhook: PayPal verifies its own signature (the transmission headers and
    /// the event, against the webhook id in the settings); then the order is read back.
    pub(crate) async fn notification(&self, app: &App, notification: &Notification<'_>) -> Result<WebhookReply> {
        let raw = std::str::from_utf8(notification.body).map_err(|_| Error::invalid("body", "The event is not UTF-8."))?;
        let event: Value = serde_json::from_str(raw).map_err(|_| Error::invalid("body", "The event is not JSON."))?;
        let event_id = event["id"].as_str().unwrap_or_default().to_owned();
        if event_id.is_empty() {
            return Err(Error::invalid("body", "The event has no id."));
        }
        // What cannot come from PayPal is refused here, before asking PayPal about it.
        let header = |name: &str| {
            notification
                .headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::trim)
                .unwrap_or_default()
                .to_owned()
        };
        let missing: Vec<&str> = TRANSMISSION_HEADERS.into_iter().filter(|name| header(name).is_empty()).collect();
        if !missing.is_empty() {
            return Err(Error::invalid(
                "signature",
                format!(
                    "The notification lacks PayPal's {} header(s); it cannot come from PayPal.",
                    missing.join(", ")
                ),
            ));
        }
        if DateTime::parse_from_rfc3339(&header("paypal-transmission-time")).is_err() {
            return Err(Error::invalid(
                "signature",
                "The notification's PAYPAL-TRANSMISSION-TIME is not a date.",
            ));
        }
        if self.webhook_id.is_empty() {
            return Err(Error::invalid(
                "signature",
                "No PayPal webhook id is set up here, so no notification can be verified.",
            ));
        }
        // Handled before: answered without asking PayPal again.
        if app.event_seen(Gateway::PayPal, &event_id).await? {
            return Ok(WebhookReply::plain(Settlement::Duplicate));
        }
        let check = json!({
            "auth_algo": header("paypal-auth-algo"),
            "cert_url": header("paypal-cert-url"),
            "transmission_id": header("paypal-transmission-id"),
            "transmission_sig": header("paypal-transmission-sig"),
            "transmission_time": header("paypal-transmission-time"),
            "webhook_id": self.webhook_id,
        })
        .to_string();
        // PayPal checks the event's bytes as it sent them: the event goes in verbatim, not
        // parsed and written again (that would reorder its keys and fail the check).
        let check = format!("{},\"webhook_event\":{raw}}}", &check[..check.len() - 1]);
        let (status, answer) = self
            .call(
                reqwest::Method::POST,
                "/v1/notifications/verify-webhook-signature",
                None,
                Some(check),
            )
            .await?;
        if status != 200 {
            return Err(unexpected(Gateway::PayPal, status, &answer));
        }
        if answer["verification_status"].as_str() != Some("SUCCESS") {
            return Err(Error::invalid("signature", "PayPal did not verify the notification's signature."));
        }
        let resource = &event["resource"];
        let order_id = match event["event_type"].as_str().unwrap_or_default() {
            "CHECKOUT.ORDER.APPROVED" | "CHECKOUT.ORDER.COMPLETED" => resource["id"].as_str(),
            "PAYMENT.CAPTURE.COMPLETED" | "PAYMENT.CAPTURE.DENIED" | "PAYMENT.CAPTURE.DECLINED" => {
                resource["supplementary_data"]["related_ids"]["order_id"].as_str()
            }
            _ => None,
        };
        let attempt = match order_id {
            Some(order) => app.attempt_by_ref(Gateway::PayPal, order).await?,
            None => None,
        };
        let Some(attempt) = attempt else {
            return Ok(WebhookReply::plain(
                app.note_event(Gateway::PayPal, &event_id, Settlement::Ignored).await?,
            ));
        };
        let verdict = self.verify_attempt(&attempt).await?;
        Ok(WebhookReply::plain(app.settle(&attempt, verdict, Some(&event_id)).await?))
    }
}

/// Currencies PayPal takes in whole units only, though ISO 4217 gives them cents.
const WHOLE_UNITS_AT_PAYPAL: [&str; 2] = ["HUF", "TWD"];

/// An amount as PayPal's `value`: with the currency's decimals, or none where PayPal takes
/// whole units only (there an amount with cents cannot be paid by PayPal).
fn paypal_value(currency: Currency, minor: i64) -> Result<String> {
    if !WHOLE_UNITS_AT_PAYPAL.contains(&currency.code()) {
        return Ok(currency.units_of(minor).to_string());
    }
    let unit = 10i64.pow(currency.minor_digits());
    if minor % unit != 0 {
        return Err(Error::invalid(
            "gateway",
            format!(
                "PayPal takes {} in whole units only, so it cannot take {}. Please choose another way to pay.",
                currency.code(),
                currency.format(minor)
            ),
        ));
    }
    Ok((minor / unit).to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_are_written_with_the_decimals_paypal_takes() {
        let currency = |code| Currency::parse(code).unwrap();
        assert_eq!(paypal_value(currency("EUR"), 123_450).unwrap(), "1234.50");
        assert_eq!(paypal_value(currency("JPY"), 1234).unwrap(), "1234");
        assert_eq!(paypal_value(currency("HUF"), 123_400).unwrap(), "1234");
        assert_eq!(paypal_value(currency("TWD"), 500).unwrap(), "5");
        let refused = paypal_value(currency("HUF"), 123_450).unwrap_err().to_string();
        assert!(refused.contains("whole units only") && refused.contains("1,234.50"), "{refused}");
    }
}
