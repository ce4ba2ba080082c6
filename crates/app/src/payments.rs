//! Pay Now: a client pays an invoice through Stripe Checkout, PayPal Orders or a 2Checkout
//! buy link.
//!
//! The server decides the amount (what is still owed) and the currency, and keeps them on a
//! payment attempt. A payment is recorded only from a confirmation verified with the gateway
//! itself: a webhook whose signature checks and whose payment is then read back from the
//! gateway's API (Stripe, PayPal), an IPN whose HMAC checks (2Checkout), or a server-to-server
//! capture (PayPal). The browser coming back from the gateway only asks the server to look;
//! it never says "paid". A confirmation for another amount or currency is refused and logged.
//! Each gateway reference is recorded once (`payments.gateway_ref` is unique) and each
//! notification is handled once (`gateway_events`), so duplicate, replayed, late or
//! out-of-order notifications never record a payment twice.

pub mod paypal;
pub mod stripe;
pub mod twocheckout;

use crate::App;
use crate::invoices::{InvoiceMail, invoice_settings, refresh_status};
use domain::access::{Permission, Viewer};
use domain::ids::{InvoiceId, PaymentAttemptId, PaymentId};
use domain::invoices::InvoiceAction;
use domain::money::Currency;
use domain::payments::{AttemptStatus, Gateway};
use domain::{Error, Result};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use store::Conn;
use store::invoices::NewPayment;
use store::payments::{Attempt, NewAttempt};
use store::scope::Scope;

/// Where the gateways' APIs are. The defaults are the live services; tests and staging point
/// them at loopback peers or sandboxes.
#[derive(Clone, Debug)]
pub struct PaymentsConfig {
    pub stripe_api: String,
    pub paypal_api: String,
    pub twocheckout_checkout: String,
}

impl Default for PaymentsConfig {
    fn default() -> Self {
        PaymentsConfig {
            stripe_api: "https://api.stripe.com".into(),
            paypal_api: "https://api-m.paypal.com".into(),
            twocheckout_checkout: "https://secure.2checkout.com/checkout/buy".into(),
        }
    }
}

/// One setting of a gateway, as the admin page shows it.
pub struct GatewayField {
    pub gateway: Gateway,
    /// The setting's name, `gateways.<gateway>.<field>`.
    pub key: &'static str,
    pub label: &'static str,
    /// Sealed at rest and never shown again once saved.
    pub secret: bool,
}

const fn field(gateway: Gateway, key: &'static str, label: &'static str, secret: bool) -> GatewayField {
    GatewayField {
        gateway,
        key,
        label,
        secret,
    }
}

pub const GATEWAY_FIELDS: [GatewayField; 8] = [
    field(Gateway::Stripe, "gateways.stripe.secret_key", "Secret key", true),
    field(Gateway::Stripe, "gateways.stripe.webhook_secret", "Webhook signing secret", true),
    field(Gateway::PayPal, "gateways.paypal.client_id", "Client ID", false),
    field(Gateway::PayPal, "gateways.paypal.client_secret", "Client secret", true),
    field(Gateway::PayPal, "gateways.paypal.webhook_id", "Webhook ID", false),
    field(Gateway::TwoCheckout, "gateways.twocheckout.merchant_code", "Merchant code", false),
    field(
        Gateway::TwoCheckout,
        "gateways.twocheckout.buy_link_secret",
        "Buy-link secret word",
        true,
    ),
    field(Gateway::TwoCheckout, "gateways.twocheckout.secret_key", "Secret key (IPN)", true),
];

/// The gateways' settings, secrets opened.
#[derive(Clone, Default)]
pub struct GatewaySettings {
    values: std::collections::HashMap<&'static str, String>,
}

impl GatewaySettings {
    pub fn get(&self, key: &str) -> &str {
        self.values.get(key).map(String::as_str).unwrap_or("")
    }

    /// A gateway is offered to clients once all its settings are filled in.
    pub fn configured(&self, gateway: Gateway) -> bool {
        GATEWAY_FIELDS
            .iter()
            .filter(|f| f.gateway == gateway)
            .all(|f| !self.get(f.key).is_empty())
    }

    pub fn configured_gateways(&self) -> Vec<Gateway> {
        Gateway::ALL.into_iter().filter(|g| self.configured(*g)).collect()
    }

    /// What the admin page shows for a field: a plain value, or the last 4 characters of a
    /// secret.
    pub fn shown(&self, field: &GatewayField) -> String {
        let value = self.get(field.key);
        match (field.secret, value.is_empty()) {
            (_, true) => String::new(),
            (false, false) => value.to_owned(),
            // A short secret (a 2Checkout secret word) would give away too much of itself.
            (true, false) if value.chars().count() < 16 => "saved".to_owned(),
            (true, false) => {
                let tail: String = value.chars().rev().take(4).collect::<Vec<_>>().into_iter().rev().collect();
                format!("saved, ending in …{tail}")
            }
        }
    }
}

/// What a gateway says about an attempt, once verified with it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Money taken: the gateway's own reference for it, the amount and currency it took.
    Paid {
        reference: String,
        amount: i64,
        currency: Currency,
    },
    /// Not decided yet (the client is still at the gateway, or the payment is processing).
    Pending,
    /// Declined, cancelled or expired, with the gateway's reason.
    Failed(String),
}

/// What handling a confirmation came to: also the outcome noted for a notification.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Settlement {
    Recorded,
    AlreadyRecorded,
    Pending,
    Failed,
    /// Refused: the gateway took another amount or currency than the server asked for.
    AmountMismatch,
    /// A notification handled before (a replay or a duplicate delivery): nothing changed.
    Duplicate,
    /// A notification about nothing of ours (another attempt's event type, another shop).
    Ignored,
}

impl Settlement {
    pub fn as_str(self) -> &'static str {
        match self {
            Settlement::Recorded => "recorded",
            Settlement::AlreadyRecorded => "already_recorded",
            Settlement::Pending => "pending",
            Settlement::Failed => "failed",
            Settlement::AmountMismatch => "amount_mismatch",
            Settlement::Duplicate => "duplicate",
            Settlement::Ignored => "ignored",
        }
    }
}

/// What the page the client comes back to shows.
pub struct AttemptView {
    pub invoice: InvoiceId,
    pub gateway: Gateway,
    pub status: AttemptStatus,
    pub amount: i64,
    pub currency: Currency,
}

/// A gateway notification after it was handled: what the gateway gets back.
pub struct WebhookReply {
    pub settlement: Settlement,
    /// A body the gateway expects (2Checkout's signed acknowledgement); empty otherwise.
    pub body: String,
}

impl WebhookReply {
    pub(crate) fn plain(settlement: Settlement) -> WebhookReply {
        WebhookReply {
            settlement,
            body: String::new(),
        }
    }
}

/// The parts of an incoming notification the gateways sign, and who sent it.
pub struct Notification<'a> {
    pub headers: &'a http::HeaderMap,
    pub body: &'a [u8],
    /// The sender's address, for the rate limit.
    pub sender: Option<&'a str>,
}

/// Notifications one address may send at once, and per second after that. The gateways
/// send far fewer (and send again later when refused); a forger past it is refused before
/// any work, PayPal's verification call included.
pub const WEBHOOK_BURST: u32 = 60;
pub const WEBHOOK_PER_SECOND: u32 = 2;

pub(crate) fn hmac_sha256(key: &[u8], parts: &[&[u8]]) -> [u8; 32] {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes keys of any length");
    for part in parts {
        mac.update(part);
    }
    mac.finalize().into_bytes().into()
}

/// A gateway's answer as JSON, or an error that says which gateway failed and how.
pub(crate) async fn gateway_json(gateway: Gateway, response: reqwest::Result<reqwest::Response>) -> Result<(u16, serde_json::Value)> {
    let response = response.map_err(|e| Error::Unavailable(format!("{} cannot be reached: {e}", gateway.label())))?;
    let status = response.status().as_u16();
    let text = response
        .text()
        .await
        .map_err(|e| Error::Unavailable(format!("{} answered unreadably: {e}", gateway.label())))?;
    let json = serde_json::from_str(&text)
        .map_err(|_| Error::Unavailable(format!("{} answered {status} with a body that is not JSON", gateway.label())))?;
    Ok((status, json))
}

/// An amount as a gateway writes it (`12.50`, or `1500.00` for yen) in minor units: zeros
/// beyond the currency's digits are accepted, other digits are not.
pub(crate) fn gateway_amount(currency: Currency, text: &str) -> Result<i64> {
    let value = domain::money::parse_decimal("amount", text)?.normalize();
    currency.parse_amount("amount", &value.to_string())
}

pub(crate) fn unexpected(gateway: Gateway, status: u16, body: &serde_json::Value) -> Error {
    let detail: String = body.to_string().chars().take(300).collect();
    Error::Unavailable(format!("{} answered {status}: {detail}", gateway.label()))
}

async fn gateway_settings(app: &App, conn: &mut Conn<'_>) -> Result<GatewaySettings> {
    let mut settings = GatewaySettings::default();
    for stored in store::settings::with_prefix(conn, "gateways.").await? {
        let Some(field) = GATEWAY_FIELDS.iter().find(|f| f.key == stored.key) else {
            continue;
        };
        let value = if stored.encrypted {
            match app.vault().open(field.key, &stored.value) {
                Ok(secret) => secret,
                // Sealed under another key (the key file was lost or not copied to this
                // host): the gateway counts as not set up, the pages keep working, and the
                // admin enters the secret again.
                Err(e) => {
                    tracing::error!(setting = field.key, error = %e, "a gateway secret cannot be opened; enter it again");
                    continue;
                }
            }
        } else {
            stored.value
        };
        settings.values.insert(field.key, value);
    }
    Ok(settings)
}

fn check_gateway_field(field: &GatewayField, value: &str) -> Result<()> {
    let fail = |message: &str| Err(Error::invalid(field.key, message.to_owned()));
    if value.len() > 500 || value.chars().any(char::is_control) {
        return fail("That is not a key: it is too long or holds control characters.");
    }
    match field.key {
        "gateways.stripe.secret_key" if !(value.starts_with("sk_") || value.starts_with("rk_")) => {
            fail("A Stripe secret key starts with sk_ (or rk_ for a restricted key).")
        }
        "gateways.stripe.webhook_secret" if !value.starts_with("whsec_") => fail("A Stripe webhook signing secret starts with whsec_."),
        "gateways.twocheckout.merchant_code" if !value.chars().all(|c| c.is_ascii_alphanumeric()) => {
            fail("A 2Checkout merchant code is letters and digits.")
        }
        _ => Ok(()),
    }
}

impl App {
    pub(crate) fn vault(&self) -> &crate::vault::Vault {
        &self.config.vault
    }

    /// The gateways' settings (admins only): for the settings page.
    pub async fn gateway_settings(&self, viewer: &Viewer) -> Result<GatewaySettings> {
        viewer.require_admin()?;
        let mut handle = self.db.read().await?;
        gateway_settings(self, &mut handle.conn()).await
    }

    /// The gateways a client can pay through.
    pub async fn pay_now_gateways(&self) -> Result<Vec<Gateway>> {
        let mut handle = self.db.read().await?;
        Ok(gateway_settings(self, &mut handle.conn()).await?.configured_gateways())
    }

    /// Saves one gateway's settings. A secret left empty keeps the saved one; `turn_off`
    /// removes them all, which takes the gateway off the invoices.
    pub async fn save_gateway_settings(
        &self,
        viewer: &Viewer,
        gateway: Gateway,
        values: &std::collections::HashMap<String, String>,
        turn_off: bool,
    ) -> Result<()> {
        viewer.require_admin()?;
        let actor = viewer.user_id();
        let now = self.now();
        let mut tx = self.db.begin().await?;
        let mut conn = tx.conn();
        for field in GATEWAY_FIELDS.iter().filter(|f| f.gateway == gateway) {
            let value = values.get(field.key).map(|v| v.trim()).unwrap_or("");
            if turn_off {
                store::settings::put(&mut conn, field.key, "", false, Some(actor), now).await?;
                continue;
            }
            if value.is_empty() && field.secret {
                continue;
            }
            check_gateway_field(field, value)?;
            let (stored, sealed) = if field.secret {
                (self.vault().seal(field.key, value), true)
            } else {
                (value.to_owned(), false)
            };
            store::settings::put(&mut conn, field.key, &stored, sealed, Some(actor), now).await?;
        }
        let detail = if turn_off {
            format!("{} turned off", gateway.label())
        } else {
            format!("{} settings saved", gateway.label())
        };
        store::audit::record(&mut conn, Some(actor), "settings.gateway", None, &detail, now).await?;
        tx.commit().await
    }

    /// A client's Pay Now: records an attempt for what is still owed and asks the gateway
    /// for a checkout. Returns where to send the client's browser.
    pub async fn start_payment(&self, viewer: &Viewer, id: InvoiceId, gateway: &str) -> Result<String> {
        if !viewer.is_client() {
            return Err(Error::Forbidden);
        }
        let (invoice, settings) = {
            let mut handle = self.db.read().await?;
            let mut conn = handle.conn();
            let invoice = store::invoices::get(&mut conn, &Scope::new(viewer), id).await?;
            (invoice, gateway_settings(self, &mut conn).await?)
        };
        if !viewer.allows(Permission::PayInvoices) {
            return Err(Error::Forbidden);
        }
        let gateway = Gateway::parse(gateway)?;
        if invoice.is_credit_note() {
            return Err(Error::invalid("invoice", "A credit note is not paid."));
        }
        invoice.status.allows(InvoiceAction::Pay)?;
        if !settings.configured(gateway) {
            return Err(Error::invalid("gateway", format!("Paying with {} is not set up.", gateway.label())));
        }
        let currency = invoice.currency;
        let amount = invoice.balance();
        if amount <= 0 {
            return Err(Error::conflict("status", "Nothing is owed on this invoice."));
        }
        let attempt = NewAttempt {
            id: PaymentAttemptId::new(),
            invoice: id,
            gateway,
            amount,
            currency,
            created_by: viewer.user_id(),
        };
        {
            let mut tx = self.db.begin().await?;
            store::payments::insert_attempt(&mut tx.conn(), &attempt, self.now()).await?;
            tx.commit().await?;
        }
        let checkout = Checkout {
            attempt: attempt.id,
            amount,
            currency,
            description: format!("Invoice {}", invoice.number.as_deref().unwrap_or_default()),
            return_url: self.link(&format!("/portal/invoices/{id}/payments/{}", attempt.id)),
            cancel_url: self.link(&format!("/portal/invoices/{id}")),
        };
        let started = match gateway {
            Gateway::Stripe => self.stripe(&settings).create_checkout(&checkout).await,
            Gateway::PayPal => self.paypal(&settings).create_order(&checkout).await,
            Gateway::TwoCheckout => Ok(self.twocheckout(&settings).buy_link(&checkout, self.now())),
        };
        let (gateway_ref, url) = match started {
            Ok(started) => started,
            Err(e) => {
                let mut tx = self.db.begin().await?;
                store::payments::finish_attempt(&mut tx.conn(), attempt.id, AttemptStatus::Failed, self.now()).await?;
                tx.commit().await?;
                if let Error::Invalid { .. } = e {
                    // Something the client can act on (an amount this gateway cannot take).
                    return Err(e);
                }
                tracing::warn!(gateway = gateway.as_str(), error = %e, "a checkout could not be started");
                return Err(Error::conflict(
                    "gateway",
                    format!("{} did not start the payment. Please try again in a moment.", gateway.label()),
                ));
            }
        };
        if let Some(gateway_ref) = gateway_ref {
            let mut tx = self.db.begin().await?;
            store::payments::set_gateway_ref(&mut tx.conn(), attempt.id, &gateway_ref).await?;
            tx.commit().await?;
        }
        Ok(url)
    }

    /// The page a client comes back to from the gateway. Coming back proves nothing: the
    /// server asks the gateway (Stripe's session, PayPal's capture) and records only what the
    /// gateway confirms.
    pub async fn payment_return(&self, viewer: &Viewer, id: InvoiceId, attempt_id: PaymentAttemptId) -> Result<AttemptView> {
        let (attempt, settings) = {
            let mut handle = self.db.read().await?;
            let mut conn = handle.conn();
            // The invoice must be one the viewer sees, and the attempt one of its own.
            store::invoices::get(&mut conn, &Scope::new(viewer), id).await?;
            let attempt = store::payments::attempt(&mut conn, attempt_id).await?;
            if attempt.invoice_id != id || attempt.created_by != Some(viewer.user_id()) {
                return Err(Error::NotFound);
            }
            (attempt, gateway_settings(self, &mut conn).await?)
        };
        let gateway = attempt.gateway;
        let mut status = attempt.status;
        // A failed attempt is asked about again: the client may have paid on the same
        // checkout with another card after a decline.
        if status != AttemptStatus::Completed && attempt.gateway_ref.is_some() {
            let verdict = match gateway {
                Gateway::Stripe => self.stripe(&settings).verify_attempt(&attempt).await,
                Gateway::PayPal => self.paypal(&settings).verify_attempt(&attempt).await,
                // 2Checkout confirms by IPN only.
                Gateway::TwoCheckout => Ok(Verdict::Pending),
            };
            match verdict {
                Ok(verdict) => {
                    self.settle(&attempt, verdict, None).await?;
                }
                // The webhook will settle it; the page says it is being confirmed.
                Err(e) => tracing::warn!(gateway = gateway.as_str(), error = %e, "a returning payment could not be checked"),
            }
            let mut handle = self.db.read().await?;
            status = store::payments::attempt(&mut handle.conn(), attempt_id).await?.status;
        }
        Ok(AttemptView {
            invoice: id,
            gateway,
            status,
            amount: attempt.amount_minor,
            currency: attempt.currency,
        })
    }

    /// A notification from a gateway. A forged or tampered one is refused
    /// (`Error::Invalid`, answered 400) and logged; a duplicate changes nothing.
    pub async fn gateway_notification(&self, gateway: Gateway, notification: &Notification<'_>) -> Result<WebhookReply> {
        let sender = notification.sender.unwrap_or("unknown");
        if let Err(retry_after) = self.webhook_limit.take(sender, std::time::Instant::now()) {
            tracing::warn!(gateway = gateway.as_str(), sender, "gateway notifications over the rate limit");
            return Err(Error::RateLimited { retry_after });
        }
        let settings = {
            let mut handle = self.db.read().await?;
            gateway_settings(self, &mut handle.conn()).await?
        };
        if !settings.configured(gateway) {
            tracing::warn!(
                gateway = gateway.as_str(),
                "a notification arrived for a gateway that is not set up"
            );
            return Err(Error::invalid("gateway", format!("{} is not set up here.", gateway.label())));
        }
        let result = match gateway {
            Gateway::Stripe => self.stripe(&settings).notification(self, notification).await,
            Gateway::PayPal => self.paypal(&settings).notification(self, notification).await,
            Gateway::TwoCheckout => self.twocheckout(&settings).notification(self, notification).await,
        };
        match &result {
            Err(Error::Invalid { field, message }) => {
                tracing::warn!(gateway = gateway.as_str(), %field, %message, "a gateway notification was refused")
            }
            Ok(reply) if reply.settlement == Settlement::AmountMismatch => {}
            Ok(reply) => tracing::info!(
                gateway = gateway.as_str(),
                outcome = reply.settlement.as_str(),
                "gateway notification"
            ),
            Err(e) => tracing::warn!(gateway = gateway.as_str(), error = %e, "a gateway notification could not be handled"),
        }
        result
    }

    /// Whether a notification was handled before: checked before asking the gateway about it.
    pub(crate) async fn event_seen(&self, gateway: Gateway, event_id: &str) -> Result<bool> {
        let mut handle = self.db.read().await?;
        store::payments::event_seen(&mut handle.conn(), gateway, event_id).await
    }

    pub(crate) async fn attempt_by_ref(&self, gateway: Gateway, gateway_ref: &str) -> Result<Option<Attempt>> {
        let mut handle = self.db.read().await?;
        store::payments::attempt_by_ref(&mut handle.conn(), gateway, gateway_ref).await
    }

    pub(crate) async fn attempt(&self, id: PaymentAttemptId) -> Result<Option<Attempt>> {
        let mut handle = self.db.read().await?;
        match store::payments::attempt(&mut handle.conn(), id).await {
            Err(Error::NotFound) => Ok(None),
            other => other.map(Some),
        }
    }

    /// Notes a notification that names nothing of ours, once.
    pub(crate) async fn note_event(&self, gateway: Gateway, event_id: &str, settlement: Settlement) -> Result<Settlement> {
        let mut tx = self.db.begin().await?;
        let claimed = store::payments::claim_event(&mut tx.conn(), gateway, event_id, settlement.as_str(), self.now()).await?;
        tx.commit().await?;
        Ok(if claimed { settlement } else { Settlement::Duplicate })
    }

    /// Applies a verified verdict to an attempt, in one transaction with the notification's
    /// note (`event`), so that a notification delivered twice at once is applied once.
    /// Dropping the transaction without committing rolls it back.
    pub(crate) async fn settle(&self, attempt: &Attempt, verdict: Verdict, event: Option<&str>) -> Result<Settlement> {
        let gateway = attempt.gateway;
        let now = self.now();
        let mut tx = self.db.begin().await?;
        let mut conn = tx.conn();
        let settlement = match &verdict {
            Verdict::Paid { amount, currency, .. } if *amount != attempt.amount_minor || *currency != attempt.currency => {
                Settlement::AmountMismatch
            }
            Verdict::Paid { .. } => Settlement::Recorded,
            Verdict::Pending => Settlement::Pending,
            Verdict::Failed(_) => Settlement::Failed,
        };
        let settlement = match (&verdict, settlement) {
            (
                Verdict::Paid {
                    reference,
                    amount,
                    currency,
                },
                Settlement::Recorded,
            ) => {
                let recorded = self
                    .record_gateway_payment(&mut conn, attempt, reference, *amount, *currency)
                    .await?;
                store::payments::finish_attempt(&mut conn, attempt.id, AttemptStatus::Completed, now).await?;
                if recorded {
                    Settlement::Recorded
                } else {
                    Settlement::AlreadyRecorded
                }
            }
            (
                Verdict::Paid {
                    reference,
                    amount,
                    currency,
                },
                Settlement::AmountMismatch,
            ) => {
                let asked = attempt.currency.format(attempt.amount_minor);
                let detail = format!(
                    "{} confirmed {} ({reference}) where {asked} was asked: not recorded",
                    gateway.label(),
                    currency.format(*amount)
                );
                tracing::warn!(gateway = gateway.as_str(), attempt = %attempt.id, %detail, "a payment confirmation was refused");
                // In the audit trail once per notification (each is handled once), and once
                // for the returning client however often the page is reloaded.
                let failed_now = store::payments::finish_attempt(&mut conn, attempt.id, AttemptStatus::Failed, now).await?;
                if failed_now || event.is_some() {
                    store::audit::record(&mut conn, None, "payment.refused", Some(attempt.invoice_id.0), &detail, now).await?;
                }
                Settlement::AmountMismatch
            }
            (Verdict::Failed(reason), _) => {
                if store::payments::finish_attempt(&mut conn, attempt.id, AttemptStatus::Failed, now).await? {
                    tracing::info!(gateway = gateway.as_str(), attempt = %attempt.id, %reason, "a payment did not go through");
                } else if attempt.status == AttemptStatus::Completed {
                    // A refund or reversal at the gateway after the payment was recorded:
                    // staff record the refund (the money may already be gone).
                    let detail = format!("{} reports {reason} for a recorded payment: record the refund", gateway.label());
                    tracing::warn!(gateway = gateway.as_str(), attempt = %attempt.id, %detail, "a recorded payment was reversed");
                    store::audit::record(&mut conn, None, "payment.reversed", Some(attempt.invoice_id.0), &detail, now).await?;
                }
                Settlement::Failed
            }
            (_, settlement) => settlement,
        };
        // Noted last, with what came of it. The same notification handled meanwhile (a
        // duplicate delivered at the same instant) holds the note: this one's changes are
        // rolled back.
        if let Some(event) = event
            && !store::payments::claim_event(&mut conn, gateway, event, settlement.as_str(), now).await?
        {
            return Ok(Settlement::Duplicate);
        }
        tx.commit().await?;
        if settlement == Settlement::Recorded {
            self.outbox.wake();
        }
        Ok(settlement)
    }

    /// Records money a gateway took. Money received is recorded even if the invoice was
    /// settled in the meantime (a bank transfer crossed the card payment): the overpayment
    /// shows on the invoice and in the audit trail, for staff to refund. False if this
    /// gateway reference was recorded before.
    async fn record_gateway_payment(
        &self,
        conn: &mut Conn<'_>,
        attempt: &Attempt,
        reference: &str,
        amount: i64,
        currency: Currency,
    ) -> Result<bool> {
        let gateway = attempt.gateway;
        let now = self.now();
        let id = attempt.invoice_id;
        let invoice = store::invoices::get_any(conn, id).await?;
        let payment = NewPayment {
            id: PaymentId::new(),
            invoice: id,
            client_org: invoice.client_org_id,
            amount,
            currency,
            method: gateway.as_str(),
            reference,
            note: "",
            received_on: self.today(),
            gateway_ref: Some(reference),
            recorded_by: None,
        };
        if !store::invoices::insert_payment(conn, &payment, now).await? {
            return Ok(false);
        }
        store::invoices::add_paid(conn, id, amount, false).await?;
        // Read after the update, which waited for any payment settling at the same time.
        let paid = refresh_status(conn, id, None, now).await?;
        let mut detail = format!("{} by {} ({reference})", currency.format(amount), gateway.label());
        if paid.balance() < 0 || invoice.status == domain::invoices::InvoiceStatus::Void {
            detail.push_str(&format!(
                "; {} more than owed: refund the difference",
                currency.format((-paid.balance()).min(amount).max(0))
            ));
            tracing::warn!(invoice = %id, %detail, "a gateway payment exceeds what was owed");
        }
        let actor = attempt.created_by;
        store::audit::record(conn, actor, "invoice.paid", Some(id.0), &detail, now).await?;
        let settings = invoice_settings(conn).await?;
        self.email_invoice(conn, &paid, InvoiceMail::Receipt { amount }, &settings).await?;
        Ok(true)
    }
}

/// What every gateway is asked for when a client pays.
pub(crate) struct Checkout {
    pub attempt: PaymentAttemptId,
    pub amount: i64,
    pub currency: Currency,
    /// `Invoice INV-2026-0001`.
    pub description: String,
    pub return_url: String,
    pub cancel_url: String,
}
