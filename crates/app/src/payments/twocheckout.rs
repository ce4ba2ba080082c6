//! 2Checkout (Verifone): a hosted buy link signed with HMAC-SHA256 under the buy-link secret
//! word, and the IPN, signed with HMAC-SHA256 under the merchant's secret key
//! (`SIGNATURE_SHA2_256`) and acknowledged with a signed `<sig>` reply. Both signatures cover
//! the values as "length in bytes, then value", concatenated. 2Checkout publishes no test
//! vector for either signature; the tests' 2Checkout peer signs with its own code, written from
//! the same documentation, so the two implementations check each other.

use super::{Checkout, GatewaySettings, Notification, Settlement, Verdict, WebhookReply, gateway_amount, hmac_sha256};
use crate::App;
use domain::money::Currency;
use domain::payments::Gateway;
use domain::{Error, Result};

pub(crate) struct TwoCheckout<'a> {
    checkout_url: &'a str,
    merchant_code: &'a str,
    buy_link_secret: &'a str,
    secret_key: &'a str,
}

impl App {
    pub(crate) fn twocheckout<'a>(&'a self, settings: &'a GatewaySettings) -> TwoCheckout<'a> {
        TwoCheckout {
            checkout_url: &self.config.payments.twocheckout_checkout,
            merchant_code: settings.get("gateways.twocheckout.merchant_code"),
            buy_link_secret: settings.get("gateways.twocheckout.buy_link_secret"),
            secret_key: settings.get("gateways.twocheckout.secret_key"),
        }
    }
}

/// The values as 2Checkout serialises them for a signature: each one's length in bytes,
/// then the value.
pub fn serialize<'a>(values: impl IntoIterator<Item = &'a str>) -> String {
    values.into_iter().map(|v| format!("{}{v}", v.len())).collect()
}

/// The buy link's parameters that its signature covers (the others, such as the merchant
/// code, are not signed).
const SIGNED_BUY_LINK_PARAMS: [&str; 10] = [
    "currency",
    "expiration",
    "lock",
    "order-ext-ref",
    "price",
    "prod",
    "qty",
    "return-type",
    "return-url",
    "type",
];

/// How long a buy link can be used.
const BUY_LINK_LIFETIME_SECONDS: i64 = 3600;

/// The signature of a buy link's parameters: the signed ones, sorted by name.
pub fn buy_link_signature(params: &[(&str, String)], secret: &str) -> String {
    let mut signed: Vec<&(&str, String)> = params.iter().filter(|(k, _)| SIGNED_BUY_LINK_PARAMS.contains(k)).collect();
    signed.sort_by_key(|(k, _)| *k);
    let serialized = serialize(signed.iter().map(|(_, v)| v.as_str()));
    hex::encode(hmac_sha256(secret.as_bytes(), &[serialized.as_bytes()]))
}

/// The IPN fields that carry its signatures (and so are not signed).
const IPN_SIGNATURE_FIELDS: [&str; 3] = ["HASH", "SIGNATURE_SHA2_256", "SIGNATURE_SHA3_256"];

/// The signature of an IPN: every field but the signatures, in the order received.
pub fn ipn_signature(fields: &[(String, String)], secret: &str) -> String {
    let serialized = serialize(
        fields
            .iter()
            .filter(|(k, _)| !IPN_SIGNATURE_FIELDS.contains(&k.as_str()))
            .map(|(_, v)| v.as_str()),
    );
    hex::encode(hmac_sha256(secret.as_bytes(), &[serialized.as_bytes()]))
}

/// What 2Checkout expects back to consider the IPN delivered: the first product's id and
/// name, the IPN's date and ours, signed.
pub fn ipn_acknowledgement(fields: &[(String, String)], date: &str, secret: &str) -> String {
    let first = |name: &str| fields.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str()).unwrap_or_default();
    let serialized = serialize([first("IPN_PID[]"), first("IPN_PNAME[]"), first("IPN_DATE"), date]);
    let hash = hex::encode(hmac_sha256(secret.as_bytes(), &[serialized.as_bytes()]));
    format!("<sig algo=\"sha256\" date=\"{date}\">{hash}</sig>")
}

impl TwoCheckout<'_> {
    /// The signed buy link for the attempt. 2Checkout knows the order by our reference
    /// (`order-ext-ref`) until its IPN names it.
    pub(crate) fn buy_link(&self, checkout: &Checkout, now: chrono::DateTime<chrono::Utc>) -> (Option<String>, String) {
        let attempt = checkout.attempt.to_string();
        let mut params: Vec<(&str, String)> = vec![
            ("merchant", self.merchant_code.to_owned()),
            ("dynamic", "1".into()),
            ("prod", checkout.description.clone()),
            ("price", checkout.currency.units_of(checkout.amount).to_string()),
            ("qty", "1".into()),
            ("type", "digital".into()),
            ("currency", checkout.currency.code().into()),
            ("return-url", checkout.return_url.clone()),
            ("return-type", "redirect".into()),
            ("order-ext-ref", attempt.clone()),
            // The client cannot change the cart, and the link does not outlive the visit.
            ("lock", "1".into()),
            ("expiration", (now.timestamp() + BUY_LINK_LIFETIME_SECONDS).to_string()),
        ];
        let signature = buy_link_signature(&params, self.buy_link_secret);
        params.push(("signature", signature));
        let query = serde_urlencoded::to_string(&params).expect("text parameters encode");
        (Some(attempt), format!("{}?{query}", self.checkout_url))
    }

    /// Handles an IPN: its signature first, then our attempt by the external reference; the
    /// IPN's own figures are the confirmation, judged against the attempt.
    pub(crate) async fn notification(&self, app: &App, notification: &Notification<'_>) -> Result<WebhookReply> {
        let fields: Vec<(String, String)> =
            serde_urlencoded::from_bytes(notification.body).map_err(|_| Error::invalid("body", "The IPN is not a form."))?;
        let field = |name: &str| fields.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str()).unwrap_or_default();
        let signature = field("SIGNATURE_SHA2_256").to_ascii_lowercase();
        let expected = ipn_signature(&fields, self.secret_key);
        if !crate::secrets::constant_time_eq(signature.as_bytes(), expected.as_bytes()) {
            return Err(Error::invalid("signature", "The IPN's SIGNATURE_SHA2_256 does not match."));
        }
        let acknowledgement = ipn_acknowledgement(&fields, &app.now().format("%Y%m%d%H%M%S").to_string(), self.secret_key);
        let reply = |settlement| WebhookReply {
            settlement,
            body: acknowledgement.clone(),
        };
        let (refno, status) = (field("REFNO"), field("ORDERSTATUS"));
        if refno.is_empty() {
            return Err(Error::invalid("body", "The IPN has no REFNO."));
        }
        let event_id = format!("{refno}:{status}");
        // 2Checkout sends an IPN again until it reads the acknowledgement: answered at once.
        if app.event_seen(Gateway::TwoCheckout, &event_id).await? {
            return Ok(reply(Settlement::Duplicate));
        }
        let attempt = match field("REFNOEXT").parse() {
            Ok(id) => app.attempt(id).await?.filter(|a| a.gateway == Gateway::TwoCheckout),
            Err(_) => None,
        };
        let Some(attempt) = attempt else {
            return Ok(reply(app.note_event(Gateway::TwoCheckout, &event_id, Settlement::Ignored).await?));
        };
        let verdict = match status {
            "COMPLETE" => {
                let currency = Currency::parse(field("CURRENCY"))?;
                let total = field("IPN_TOTALGENERAL");
                Verdict::Paid {
                    reference: refno.to_owned(),
                    amount: gateway_amount(currency, total)
                        .map_err(|_| Error::invalid("IPN_TOTALGENERAL", format!("{total:?} is not an amount in {}.", currency.code())))?,
                    currency,
                }
            }
            "CANCELED" | "REVERSED" | "REFUND" => Verdict::Failed(format!("2Checkout: {status}")),
            _ => Verdict::Pending,
        };
        Ok(reply(app.settle(&attempt, verdict, Some(&event_id)).await?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_serialised_with_their_length_in_bytes() {
        assert_eq!(serialize(["abc", "", "€"]), "3abc03€");
    }

    #[test]
    fn the_buy_link_signature_covers_the_signed_parameters_in_name_order() {
        let params = vec![
            ("price", "10.00".to_owned()),
            ("merchant", "M1".to_owned()),
            ("currency", "EUR".to_owned()),
        ];
        let reordered = vec![("currency", "EUR".to_owned()), ("price", "10.00".to_owned())];
        assert_eq!(buy_link_signature(&params, "word"), buy_link_signature(&reordered, "word"));
        let changed = vec![("currency", "EUR".to_owned()), ("price", "1.00".to_owned())];
        assert_ne!(buy_link_signature(&params, "word"), buy_link_signature(&changed, "word"));
        assert_ne!(buy_link_signature(&params, "word"), buy_link_signature(&params, "other"));
    }

    #[test]
    fn the_ipn_signature_leaves_out_the_signature_fields() {
        let mut fields = vec![
            ("REFNO".to_owned(), "1".to_owned()),
            ("ORDERSTATUS".to_owned(), "COMPLETE".to_owned()),
        ];
        let signature = ipn_signature(&fields, "key");
        fields.push(("SIGNATURE_SHA2_256".to_owned(), signature.clone()));
        assert_eq!(ipn_signature(&fields, "key"), signature);
        fields[1].1 = "CANCELED".into();
        assert_ne!(ipn_signature(&fields, "key"), signature);
    }
}
