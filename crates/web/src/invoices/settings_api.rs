//! Invoicing settings in the API (admins): the business details and numbering, the tax rates
//! offered, and the payment gateways. A gateway's secrets are write-only: once saved, the API
//! (like the page) shows only that one is saved and how it ends.

use crate::AppState;
use crate::api_core::{ApiJson, ApiUser, Problem};
use crate::error::WebResult;
use crate::views::parse_id;
use app::invoices::InvoiceSettings;
use app::payments::GATEWAY_FIELDS;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use domain::Error;
use domain::invoices::TaxRate;
use domain::payments::Gateway;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use utoipa::ToSchema;
use uuid::Uuid;

/// The business as invoices print it, and how invoices are numbered and chased.
#[derive(Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InvoicingSettings {
    pub business_name: String,
    pub business_address: String,
    pub tax_id: String,
    /// Printed on every invoice (how to pay by bank transfer, late fees).
    pub payment_terms: String,
    pub footer: String,
    /// With `{YYYY}`, `{YY}` and `{MM}` from the issue date and the series' next number,
    /// `{SEQ}` or zero-padded `{SEQ:4}`: `INV-{YYYY}-{SEQ:4}`.
    #[schema(min_length = 1)]
    pub number_pattern: String,
    /// Like `number_pattern`, and different from it: `CN-{YYYY}-{SEQ:4}`.
    #[schema(min_length = 1)]
    pub credit_note_pattern: String,
    /// Days from issue to due date on a new invoice.
    #[schema(minimum = 0, maximum = 365)]
    pub default_terms_days: i32,
    /// When reminders go out, in days from the due date (`-3, 0, 7`); empty for none.
    pub reminder_days: String,
    /// Whether the email of a sent invoice carries its PDF.
    pub attach_pdf: bool,
}

impl From<InvoiceSettings> for InvoicingSettings {
    fn from(s: InvoiceSettings) -> Self {
        InvoicingSettings {
            business_name: s.business_name,
            business_address: s.business_address,
            tax_id: s.tax_id,
            payment_terms: s.payment_terms,
            footer: s.footer,
            number_pattern: s.number_pattern,
            credit_note_pattern: s.credit_note_pattern,
            default_terms_days: s.default_terms_days,
            reminder_days: s.reminder_days,
            attach_pdf: s.attach_pdf,
        }
    }
}

impl From<InvoicingSettings> for InvoiceSettings {
    fn from(s: InvoicingSettings) -> Self {
        InvoiceSettings {
            business_name: s.business_name,
            business_address: s.business_address,
            tax_id: s.tax_id,
            payment_terms: s.payment_terms,
            footer: s.footer,
            number_pattern: s.number_pattern,
            credit_note_pattern: s.credit_note_pattern,
            default_terms_days: s.default_terms_days,
            reminder_days: s.reminder_days,
            attach_pdf: s.attach_pdf,
        }
    }
}

/// The invoicing settings (admins).
#[utoipa::path(get, path = "/api/v1/settings/invoicing", tag = "settings", responses(
    (status = 200, body = InvoicingSettings), (status = 401, body = Problem), (status = 403, body = Problem)
), security(("token" = [])))]
pub async fn settings(State(state): State<AppState>, ApiUser(user): ApiUser) -> WebResult<Json<InvoicingSettings>> {
    user.viewer().require_admin()?;
    Ok(Json(state.app.invoice_settings().await?.into()))
}

/// Replaces the invoicing settings (admins); every field is required.
#[utoipa::path(put, path = "/api/v1/settings/invoicing", tag = "settings", request_body = InvoicingSettings, responses(
    (status = 200, body = InvoicingSettings), (status = 401, body = Problem), (status = 403, body = Problem), (status = 422, body = Problem)
), security(("token" = [])))]
pub async fn save_settings(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiJson(request): ApiJson<InvoicingSettings>,
) -> WebResult<Json<InvoicingSettings>> {
    state.app.save_invoice_settings(&user.viewer(), &request.into()).await?;
    Ok(Json(state.app.invoice_settings().await?.into()))
}

#[derive(Serialize, ToSchema)]
pub struct TaxRateView {
    pub id: Uuid,
    pub name: String,
    /// A decimal string: `"20"`, `"7.5"`.
    pub percent: String,
    /// Included in the prices rather than added to them.
    pub inclusive: bool,
    /// Charged on the amount with the other taxes.
    pub compound: bool,
}

/// The tax rates offered on new invoices (finance staff and admins).
#[utoipa::path(get, path = "/api/v1/tax-rates", tag = "settings", responses(
    (status = 200, body = Vec<TaxRateView>), (status = 401, body = Problem), (status = 403, body = Problem)
), security(("token" = [])))]
pub async fn tax_rates(State(state): State<AppState>, ApiUser(user): ApiUser) -> WebResult<Json<Vec<TaxRateView>>> {
    let rates = state.app.tax_rates(&user.viewer()).await?;
    Ok(Json(
        rates
            .into_iter()
            .map(|r| TaxRateView {
                id: r.id.0,
                name: r.rate.name,
                percent: r.rate.percent.normalize().to_string(),
                inclusive: r.rate.inclusive,
                compound: r.rate.compound,
            })
            .collect(),
    ))
}

/// Offers a new tax rate (admins).
#[utoipa::path(post, path = "/api/v1/tax-rates", tag = "settings", request_body = super::api::TaxRateRequest, responses(
    (status = 201, body = TaxRateView), (status = 401, body = Problem), (status = 403, body = Problem), (status = 422, body = Problem)
), security(("token" = [])))]
pub async fn add_tax_rate(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiJson(request): ApiJson<super::api::TaxRateRequest>,
) -> WebResult {
    let rate = TaxRate::parse(&request.name, &request.percent, request.inclusive, request.compound)?;
    let id = state.app.add_tax_rate(&user.viewer(), &rate).await?;
    let view = TaxRateView {
        id: id.0,
        name: rate.name,
        percent: rate.percent.normalize().to_string(),
        inclusive: rate.inclusive,
        compound: rate.compound,
    };
    Ok((StatusCode::CREATED, Json(view)).into_response())
}

/// Stops offering a tax rate; invoices that carry it keep it (admins).
#[utoipa::path(post, path = "/api/v1/tax-rates/{rate}/archive", tag = "settings", params(("rate" = Uuid, Path)), responses(
    (status = 204, description = "No longer offered"), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)
), security(("token" = [])))]
pub async fn archive_tax_rate(State(state): State<AppState>, ApiUser(user): ApiUser, Path(rate): Path<String>) -> WebResult {
    state.app.archive_tax_rate(&user.viewer(), parse_id(&rate)?).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// A gateway's setting. A secret's value is never shown: only whether one is saved, and its
/// last four characters when it is long enough to spare them.
#[derive(Serialize, ToSchema)]
pub struct GatewayFieldView {
    /// The name to send it under (`secret_key`).
    pub name: String,
    pub label: String,
    pub secret: bool,
    /// A plain field's value; absent for a secret.
    pub value: Option<String>,
    /// For a secret: "saved", "saved, ending in …abcd", or empty when none is saved.
    pub saved: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct GatewayView {
    /// `stripe`, `paypal` or `twocheckout`.
    pub gateway: String,
    pub label: String,
    /// Every field is set: invoices offer it.
    pub configured: bool,
    /// Where the gateway must send its notifications.
    pub webhook_url: String,
    pub fields: Vec<GatewayFieldView>,
}

/// The gateway's settings name without its `gateways.<gateway>.` prefix.
fn short_name(key: &str) -> &str {
    key.rsplit('.').next().unwrap_or(key)
}

fn gateway_view(state: &AppState, settings: &app::payments::GatewaySettings, gateway: Gateway) -> GatewayView {
    GatewayView {
        gateway: gateway.as_str().to_owned(),
        label: gateway.label().to_owned(),
        configured: settings.configured(gateway),
        webhook_url: state.app.link(&format!("/webhooks/{}", gateway.as_str())),
        fields: GATEWAY_FIELDS
            .iter()
            .filter(|f| f.gateway == gateway)
            .map(|f| GatewayFieldView {
                name: short_name(f.key).to_owned(),
                label: f.label.to_owned(),
                secret: f.secret,
                value: (!f.secret).then(|| settings.shown(f)),
                saved: f.secret.then(|| settings.shown(f)),
            })
            .collect(),
    }
}

/// The payment gateways and their settings, secrets withheld (admins).
#[utoipa::path(get, path = "/api/v1/settings/gateways", tag = "settings", responses(
    (status = 200, body = Vec<GatewayView>), (status = 401, body = Problem), (status = 403, body = Problem)
), security(("token" = [])))]
pub async fn gateways(State(state): State<AppState>, ApiUser(user): ApiUser) -> WebResult<Json<Vec<GatewayView>>> {
    let settings = state.app.gateway_settings(&user.viewer()).await?;
    Ok(Json(Gateway::ALL.into_iter().map(|g| gateway_view(&state, &settings, g)).collect()))
}

#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields, default)]
pub struct GatewayRequest {
    /// The fields to set, by name (`{"secret_key": "sk_live_…"}`). A secret left out or empty
    /// keeps the saved one; a plain field left out is cleared.
    pub values: BTreeMap<String, String>,
    /// Removes every setting, which takes the gateway off the invoices.
    pub turn_off: bool,
}

/// Saves a gateway's settings (admins). Secrets are sealed at rest and never returned.
#[utoipa::path(put, path = "/api/v1/settings/gateways/{gateway}", tag = "settings", params(("gateway" = String, Path, description = "stripe, paypal or twocheckout")),
    request_body = GatewayRequest, responses(
    (status = 200, body = GatewayView), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem),
    (status = 422, body = Problem)
), security(("token" = [])))]
pub async fn save_gateway(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path(gateway): Path<String>,
    ApiJson(request): ApiJson<GatewayRequest>,
) -> WebResult<Json<GatewayView>> {
    let viewer = user.viewer();
    viewer.require_admin()?;
    let gateway = Gateway::parse(&gateway).map_err(|_| Error::NotFound)?;
    let fields: Vec<_> = GATEWAY_FIELDS.iter().filter(|f| f.gateway == gateway).collect();
    let mut values = HashMap::new();
    for (name, value) in request.values {
        let field = fields.iter().find(|f| short_name(f.key) == name).ok_or_else(|| {
            let known: Vec<&str> = fields.iter().map(|f| short_name(f.key)).collect();
            Error::invalid(
                "values",
                format!("{} has no setting {name}; it has {}", gateway.label(), known.join(", ")),
            )
        })?;
        values.insert(field.key.to_owned(), value);
    }
    state.app.save_gateway_settings(&viewer, gateway, &values, request.turn_off).await?;
    let settings = state.app.gateway_settings(&viewer).await?;
    Ok(Json(gateway_view(&state, &settings, gateway)))
}

/// This part of the invoices feature in the OpenAPI document.
#[derive(utoipa::OpenApi)]
#[openapi(paths(settings, save_settings, tax_rates, add_tax_rate, archive_tax_rate, gateways, save_gateway))]
pub(crate) struct InvoicingSettingsApi;
