//! Pay Now on the web: the client's button, the page they come back to from the gateway, the
//! gateways' webhooks, and the admins' gateway settings.

use crate::AppState;
use crate::context::{Ctx, PageContext, Person, render};
use crate::error::{AppError, WebResult};
use crate::forms::{Client, Fields, Flash, redirect_with_flash};
use crate::views::parse_id;
use crate::views::portal::PortalView;
use app::payments::{GATEWAY_FIELDS, GatewaySettings, Notification};
use askama::Template;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect};
use domain::Error;
use domain::payments::{AttemptStatus, Gateway};

/// A Pay Now button: the client goes to the gateway's checkout for what is still owed.
pub async fn pay(State(state): State<AppState>, Person(viewer): Person, Path(id): Path<String>, fields: Fields) -> WebResult {
    let id = parse_id(&id)?;
    match state.app.start_payment(&viewer, id, fields.get("gateway")).await {
        Ok(url) => Ok(Redirect::to(&url).into_response()),
        Err(e @ (Error::Invalid { .. } | Error::Conflict { .. })) => {
            Ok(redirect_with_flash(&state, &format!("/portal/invoices/{id}"), Flash::refusal(&e)))
        }
        Err(e) => Err(AppError(e)),
    }
}

/// The security policy of a page with Pay Now buttons: its forms may lead to the gateways'
/// checkout pages (a form's redirect counts as its action). HTTPS anywhere, as the gateways
/// move their checkout hosts; plain HTTP only to the configured endpoints (test peers).
pub fn pay_now_policy(state: &AppState) -> axum::http::HeaderValue {
    let config = &state.app.config.payments;
    let mut origins = vec!["https:".to_owned()];
    for endpoint in [&config.stripe_api, &config.paypal_api, &config.twocheckout_checkout] {
        if let Ok(url) = url::Url::parse(endpoint)
            && url.scheme() == "http"
        {
            origins.push(url.origin().ascii_serialization());
        }
    }
    crate::request::page_policy(&origins)
}

#[derive(Template)]
#[template(path = "portal_payment.html")]
struct ReturnPage {
    ctx: PageContext,
    portal: PortalView,
    invoice: String,
    gateway: &'static str,
    amount: String,
    status: AttemptStatus,
}

/// Where the gateway sends the client back. The page says what the gateway confirmed; while
/// a confirmation is on its way it looks again every few seconds.
pub async fn return_page(
    State(state): State<AppState>,
    Ctx(ctx): Ctx,
    Person(viewer): Person,
    Path((id, attempt)): Path<(String, String)>,
) -> WebResult {
    let attempt = attempt.parse().map_err(|_| Error::NotFound)?;
    let view = state.app.payment_return(&viewer, parse_id(&id)?, attempt).await?;
    Ok(render(&ReturnPage {
        invoice: view.invoice.to_string(),
        gateway: view.gateway.label(),
        amount: view.currency.format(view.amount),
        status: view.status,
        portal: PortalView::own(viewer, &ctx),
        ctx,
    }))
}

/// A gateway's notification. Answers 200 once handled (a duplicate included, so the gateway
/// stops sending it), 400 for a forged or malformed one, 429 past the sender's rate limit,
/// 503 when the gateway could not be asked about it (the gateway sends it again later).
pub async fn webhook(
    State(state): State<AppState>,
    Path(gateway): Path<String>,
    Client(client): Client,
    headers: HeaderMap,
    body: Bytes,
) -> WebResult {
    let gateway = Gateway::parse(&gateway).map_err(|_| Error::NotFound)?;
    let notification = Notification {
        headers: &headers,
        body: &body,
        sender: client.ip.as_deref(),
    };
    let reply = match state.app.gateway_notification(gateway, &notification).await {
        Ok(reply) => reply,
        // A bad signature or body is the sender's fault: 400, as the gateways expect.
        Err(e @ Error::Invalid { .. }) => {
            let mut response = AppError(e).into_response();
            *response.status_mut() = StatusCode::BAD_REQUEST;
            return Ok(response);
        }
        Err(e) => return Err(AppError(e)),
    };
    Ok(if reply.body.is_empty() {
        let body = serde_json::json!({ "outcome": reply.settlement.as_str() });
        (StatusCode::OK, [(header::CONTENT_TYPE, "application/json")], body.to_string()).into_response()
    } else {
        (StatusCode::OK, [(header::CONTENT_TYPE, "text/plain; charset=utf-8")], reply.body).into_response()
    })
}

/// One field of a gateway's settings on the admin page.
pub struct GatewayFieldView {
    pub key: &'static str,
    pub label: &'static str,
    pub secret: bool,
    /// A plain value, or "saved, ending in …" for a secret.
    pub shown: String,
    /// What the admin typed, given back with the error when the form was refused.
    pub typed: Option<String>,
    pub invalid: bool,
}

/// A gateway's block on the admin page.
pub struct GatewayView {
    pub name: &'static str,
    pub label: &'static str,
    pub configured: bool,
    pub webhook_url: String,
    pub fields: Vec<GatewayFieldView>,
    pub error: Option<String>,
}

/// A gateway form refused: what was typed and why.
pub struct RefusedGatewayForm {
    pub gateway: Gateway,
    pub fields: Fields,
    pub field: &'static str,
    pub message: String,
}

pub fn gateway_views(state: &AppState, settings: &GatewaySettings, refused: Option<&RefusedGatewayForm>) -> Vec<GatewayView> {
    Gateway::ALL
        .into_iter()
        .map(|gateway| {
            let refused = refused.filter(|r| r.gateway == gateway);
            GatewayView {
                name: gateway.as_str(),
                label: gateway.label(),
                configured: settings.configured(gateway),
                webhook_url: state.app.link(&format!("/webhooks/{}", gateway.as_str())),
                fields: GATEWAY_FIELDS
                    .iter()
                    .filter(|f| f.gateway == gateway)
                    .map(|f| GatewayFieldView {
                        key: f.key,
                        label: f.label,
                        secret: f.secret,
                        shown: settings.shown(f),
                        typed: refused.map(|r| r.fields.get(f.key).to_owned()),
                        invalid: refused.is_some_and(|r| r.field == f.key),
                    })
                    .collect(),
                error: refused.map(|r| r.message.clone()),
            }
        })
        .collect()
}

/// Saves a gateway's settings from the admin page. A refused form comes back with what was
/// typed and the field named.
pub async fn save_gateway(
    State(state): State<AppState>,
    Ctx(ctx): Ctx,
    Person(viewer): Person,
    Path(gateway): Path<String>,
    fields: Fields,
) -> WebResult {
    let gateway = Gateway::parse(&gateway).map_err(|_| Error::NotFound)?;
    let values = fields.0.iter().cloned().collect();
    let turn_off = fields.get("action") == "turn_off";
    match state.app.save_gateway_settings(&viewer, gateway, &values, turn_off).await {
        Ok(()) => {
            let message = if turn_off {
                format!("{} is turned off.", gateway.label())
            } else {
                format!("{} settings saved.", gateway.label())
            };
            Ok(redirect_with_flash(&state, "/admin/invoicing#gateways", Flash::success(message)))
        }
        Err(Error::Invalid { field, message }) => {
            let refused = RefusedGatewayForm {
                gateway,
                fields,
                field,
                message,
            };
            let settings = state.app.invoice_settings().await?;
            super::settings_page(&state, ctx, &viewer, settings, None, Some(refused)).await
        }
        Err(e) => Err(AppError(e)),
    }
}
