//! The invoices API: the same use cases as the pages, under the caller's scope. A client's
//! token lists and reads its organisation's sent invoices, downloads their PDFs and starts a
//! payment; finance staff and admins write drafts, send them, record payments and refunds,
//! issue credit notes and void them.

use crate::AppState;
use crate::api_core::{ApiJson, ApiQuery, ApiUser, Problem, amount};
use crate::error::WebResult;
use crate::views::{optional_id, parse_id};
use app::invoices::{InvoiceDetails, InvoiceInput, LineInput, PaymentInput};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;
use domain::Error;
use domain::ids::InvoiceId;
use domain::invoices::{InvoiceStatus, TaxRate};
use domain::users::PageRequest;
use serde::{Deserialize, Serialize};
use store::invoices::InvoiceFilter;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

/// Amounts are decimal strings in the invoice's currency (`"1344.00"`), never floats.
#[derive(Serialize, ToSchema)]
pub struct InvoiceSummary {
    pub id: Uuid,
    /// `invoice` or `credit_note`.
    pub kind: String,
    /// Assigned when sent.
    pub number: Option<String>,
    pub status: String,
    pub client_org_id: Uuid,
    pub client_name: String,
    pub project_id: Option<Uuid>,
    pub currency: String,
    pub issue_date: Option<NaiveDate>,
    pub due_date: Option<NaiveDate>,
    pub total: String,
    pub paid: String,
    pub credited: String,
    pub balance: String,
}

fn summary(invoice: &store::invoices::Invoice) -> InvoiceSummary {
    let money = |minor| amount(invoice.currency, minor);
    InvoiceSummary {
        id: invoice.id.0,
        kind: invoice.kind.as_str().to_owned(),
        number: invoice.number.clone(),
        status: invoice.status.as_str().to_owned(),
        client_org_id: invoice.client_org_id.0,
        client_name: invoice.client_org_name.clone(),
        project_id: invoice.project_id.map(|p| p.0),
        currency: invoice.currency.code().to_owned(),
        issue_date: invoice.issue_date,
        due_date: invoice.due_date,
        total: money(invoice.total_minor),
        paid: money(invoice.paid_minor),
        credited: money(invoice.credited_minor),
        balance: money(invoice.balance()),
    }
}

#[derive(Serialize, ToSchema)]
pub struct LineView {
    pub description: String,
    pub quantity: String,
    pub unit_price: String,
    pub discount_percent: String,
    /// Indexes into `tax_rates`.
    pub taxes: Vec<usize>,
    pub amount: String,
}

#[derive(Serialize, ToSchema)]
pub struct TaxView {
    pub name: String,
    pub percent: String,
    pub inclusive: bool,
    pub compound: bool,
    /// What the invoice's lines owe at this rate (absent when no line uses it).
    pub base: Option<String>,
    pub amount: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct PaymentView {
    pub amount: String,
    pub method: String,
    pub reference: String,
    pub received_on: NaiveDate,
}

#[derive(Serialize, ToSchema)]
pub struct InvoiceView {
    #[serde(flatten)]
    pub summary: InvoiceSummary,
    pub lines: Vec<LineView>,
    pub tax_rates: Vec<TaxView>,
    pub subtotal: String,
    pub discount: String,
    pub notes: String,
    pub terms: String,
    pub payments: Vec<PaymentView>,
}

fn view(details: &InvoiceDetails) -> InvoiceView {
    let currency = details.currency;
    let money = |minor: i64| currency.units_of(minor).to_string();
    InvoiceView {
        summary: summary(&details.invoice),
        lines: details
            .lines
            .iter()
            .map(|l| LineView {
                description: l.description.clone(),
                quantity: l.quantity.normalize().to_string(),
                unit_price: money(l.unit_price_minor),
                discount_percent: l.discount_percent.normalize().to_string(),
                taxes: l.taxes.clone(),
                amount: money(l.net_minor),
            })
            .collect(),
        tax_rates: details
            .tax_rates
            .iter()
            .enumerate()
            .map(|(i, r)| {
                let total = details.totals.taxes.iter().find(|t| t.rate == i);
                TaxView {
                    name: r.name.clone(),
                    percent: r.percent.normalize().to_string(),
                    inclusive: r.inclusive,
                    compound: r.compound,
                    base: total.map(|t| money(t.base)),
                    amount: total.map(|t| money(t.amount)),
                }
            })
            .collect(),
        subtotal: money(details.totals.subtotal),
        discount: money(details.totals.discount),
        notes: details.invoice.notes.clone(),
        terms: details.invoice.terms.clone(),
        payments: details
            .payments
            .iter()
            .map(|p| PaymentView {
                amount: money(p.amount_minor),
                method: p.method.clone(),
                reference: p.reference.clone(),
                received_on: p.received_on,
            })
            .collect(),
    }
}

#[derive(Serialize, ToSchema)]
pub struct InvoicePage {
    pub items: Vec<InvoiceSummary>,
    pub total: u64,
    pub page: u32,
    pub per_page: u32,
}

#[derive(Deserialize, IntoParams, Default)]
#[into_params(parameter_in = Query)]
#[serde(default)]
pub struct ListQuery {
    /// draft, sent, viewed, partially_paid, paid, overdue or void.
    pub status: Option<String>,
    /// A client organisation's id (finance staff and admins).
    pub client: Option<String>,
    /// `newest` (the default: drafts, then by issue date and number), `oldest`, `due` or
    /// `largest`.
    pub sort: Option<String>,
    #[param(minimum = 1)]
    pub page: Option<u32>,
    #[param(minimum = 1, maximum = 100)]
    pub per_page: Option<u32>,
}

/// The invoices the caller sees, newest first unless `sort` says otherwise.
#[utoipa::path(get, path = "/api/v1/invoices", tag = "invoices", params(ListQuery), responses(
    (status = 200, body = InvoicePage), (status = 401, body = Problem), (status = 403, body = Problem), (status = 422, body = Problem)
), security(("token" = [])))]
pub async fn list(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiQuery(query): ApiQuery<ListQuery>,
) -> WebResult<Json<InvoicePage>> {
    let filter = InvoiceFilter {
        client_org: optional_id("client", query.client.as_deref().unwrap_or_default())?,
        project: None,
        status: query.status.as_deref().map(InvoiceStatus::parse).transpose()?,
        sort: store::invoices::InvoiceSort::parse(query.sort.as_deref().unwrap_or_default())?,
    };
    let page = state
        .app
        .invoices(&user.viewer(), &filter, PageRequest::strict(query.page, query.per_page)?)
        .await?;
    Ok(Json(InvoicePage {
        items: page.items.iter().map(summary).collect(),
        total: page.total,
        page: page.page,
        per_page: page.per_page,
    }))
}

/// One invoice with its lines, taxes and payments.
#[utoipa::path(get, path = "/api/v1/invoices/{invoice}", tag = "invoices", params(("invoice" = Uuid, Path)), responses(
    (status = 200, body = InvoiceView), (status = 401, body = Problem), (status = 404, body = Problem)
), security(("token" = [])))]
pub async fn get(State(state): State<AppState>, ApiUser(user): ApiUser, Path(id): Path<String>) -> WebResult<Json<InvoiceView>> {
    let details = state.app.invoice(&user.viewer(), parse_id(&id)?).await?;
    Ok(Json(view(&details)))
}

#[derive(Deserialize, ToSchema)]
pub struct LineRequest {
    #[schema(max_length = 2000)]
    pub description: String,
    /// A decimal string: `"1.5"`.
    #[schema(pattern = r"^-?\d+(\.\d+)?$")]
    pub quantity: String,
    /// In the currency's units: `"120.50"`.
    #[schema(pattern = r"^-?\d+(\.\d+)?$")]
    pub unit_price: String,
    #[serde(default)]
    pub discount_percent: String,
    /// Indexes into the request's `tax_rates`.
    #[serde(default)]
    pub taxes: Vec<usize>,
}

#[derive(Deserialize, ToSchema)]
pub struct TaxRateRequest {
    #[schema(min_length = 1, max_length = 60)]
    pub name: String,
    /// A decimal string: `"20"`, `"7.5"`.
    #[schema(pattern = r"^\d+(\.\d+)?$")]
    pub percent: String,
    #[serde(default)]
    pub inclusive: bool,
    #[serde(default)]
    pub compound: bool,
}

/// A draft: every field, as the form has them.
#[derive(Deserialize, ToSchema)]
pub struct InvoiceRequest {
    pub client_org_id: Uuid,
    pub project_id: Option<Uuid>,
    /// ISO 4217; the client's currency when absent.
    #[serde(default)]
    pub currency: String,
    pub issue_date: Option<NaiveDate>,
    pub due_date: Option<NaiveDate>,
    pub terms_days: Option<i32>,
    #[serde(default)]
    pub lines: Vec<LineRequest>,
    #[serde(default)]
    pub tax_rates: Vec<TaxRateRequest>,
    /// `percent` or `fixed`, with `discount_value`.
    #[serde(default)]
    pub discount_kind: String,
    #[serde(default)]
    pub discount_value: String,
    #[serde(default)]
    pub notes: String,
    #[serde(default)]
    pub terms: String,
    #[serde(default)]
    pub footer: String,
}

fn line_input(l: LineRequest) -> LineInput {
    LineInput {
        description: l.description,
        quantity: l.quantity,
        unit_price: l.unit_price,
        discount_percent: l.discount_percent,
        taxes: l.taxes,
    }
}

fn input(request: InvoiceRequest) -> Result<InvoiceInput, Error> {
    Ok(InvoiceInput {
        client_org: Some(domain::ids::ClientOrgId(request.client_org_id)),
        project: request.project_id.map(domain::ids::ProjectId),
        currency: request.currency,
        issue_date: request.issue_date,
        due_date: request.due_date,
        terms_days: request.terms_days,
        lines: request.lines.into_iter().map(line_input).collect(),
        tax_rates: request
            .tax_rates
            .iter()
            .map(|r| TaxRate::parse(&r.name, &r.percent, r.inclusive, r.compound))
            .collect::<Result<_, _>>()?,
        discount_kind: request.discount_kind,
        discount_value: request.discount_value,
        notes: request.notes,
        terms: request.terms,
        footer: request.footer,
    })
}

async fn created(state: &AppState, user: &domain::users::User, id: InvoiceId, status: StatusCode) -> WebResult<Response> {
    let details = state.app.invoice(&user.viewer(), id).await?;
    Ok((status, Json(view(&details))).into_response())
}

/// Writes a draft (finance staff and admins).
#[utoipa::path(post, path = "/api/v1/invoices", tag = "invoices", request_body = InvoiceRequest, responses(
    (status = 201, body = InvoiceView), (status = 401, body = Problem), (status = 403, body = Problem), (status = 422, body = Problem)
), security(("token" = [])))]
pub async fn create(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiJson(request): ApiJson<InvoiceRequest>,
) -> WebResult<Response> {
    let id = state.app.create_invoice(&user.viewer(), &input(request)?).await?;
    created(&state, &user, id, StatusCode::CREATED).await
}

/// Rewrites a draft; a sent invoice answers 409.
#[utoipa::path(put, path = "/api/v1/invoices/{invoice}", tag = "invoices", params(("invoice" = Uuid, Path)), request_body = InvoiceRequest, responses(
    (status = 200, body = InvoiceView), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem),
    (status = 409, body = Problem), (status = 422, body = Problem)
), security(("token" = [])))]
pub async fn update(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path(id): Path<String>,
    ApiJson(request): ApiJson<InvoiceRequest>,
) -> WebResult<Response> {
    let id: InvoiceId = parse_id(&id)?;
    state.app.update_invoice(&user.viewer(), id, &input(request)?).await?;
    created(&state, &user, id, StatusCode::OK).await
}

/// Deletes a draft.
#[utoipa::path(delete, path = "/api/v1/invoices/{invoice}", tag = "invoices", params(("invoice" = Uuid, Path)), responses(
    (status = 204, description = "Deleted"), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem),
    (status = 409, body = Problem)
), security(("token" = [])))]
pub async fn delete(State(state): State<AppState>, ApiUser(user): ApiUser, Path(id): Path<String>) -> WebResult<Response> {
    state.app.delete_invoice(&user.viewer(), parse_id(&id)?).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// Sends a draft: it gets its number and goes to the client's contacts.
#[utoipa::path(post, path = "/api/v1/invoices/{invoice}/send", tag = "invoices", params(("invoice" = Uuid, Path)), responses(
    (status = 200, body = InvoiceView), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem),
    (status = 409, body = Problem), (status = 422, body = Problem)
), security(("token" = [])))]
pub async fn send(State(state): State<AppState>, ApiUser(user): ApiUser, Path(id): Path<String>) -> WebResult<Response> {
    let id: InvoiceId = parse_id(&id)?;
    state.app.send_invoice(&user.viewer(), id).await?;
    created(&state, &user, id, StatusCode::OK).await
}

#[derive(Deserialize, ToSchema)]
pub struct VoidRequest {
    pub reason: String,
}

/// Voids a sent invoice nothing has been paid on.
#[utoipa::path(post, path = "/api/v1/invoices/{invoice}/void", tag = "invoices", params(("invoice" = Uuid, Path)), request_body = VoidRequest, responses(
    (status = 200, body = InvoiceView), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem),
    (status = 409, body = Problem), (status = 422, body = Problem)
), security(("token" = [])))]
pub async fn void(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path(id): Path<String>,
    ApiJson(request): ApiJson<VoidRequest>,
) -> WebResult<Response> {
    let id: InvoiceId = parse_id(&id)?;
    state.app.void_invoice(&user.viewer(), id, &request.reason).await?;
    created(&state, &user, id, StatusCode::OK).await
}

#[derive(Deserialize, ToSchema)]
pub struct PaymentRequest {
    /// In the invoice's currency's units: `"250.00"`; at most what is owed.
    pub amount: String,
    /// bank_transfer, cash, cheque or other.
    pub method: String,
    #[serde(default)]
    pub reference: String,
    pub received_on: Option<NaiveDate>,
    #[serde(default)]
    pub note: String,
}

fn payment_input(request: PaymentRequest) -> PaymentInput {
    PaymentInput {
        amount: request.amount,
        method: request.method,
        reference: request.reference,
        received_on: request.received_on,
        note: request.note,
    }
}

/// Records a payment received outside the gateways.
#[utoipa::path(post, path = "/api/v1/invoices/{invoice}/payments", tag = "invoices", params(("invoice" = Uuid, Path)), request_body = PaymentRequest, responses(
    (status = 200, body = InvoiceView), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem),
    (status = 409, body = Problem), (status = 422, body = Problem)
), security(("token" = [])))]
pub async fn record_payment(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path(id): Path<String>,
    ApiJson(request): ApiJson<PaymentRequest>,
) -> WebResult<Response> {
    let id: InvoiceId = parse_id(&id)?;
    state.app.record_payment(&user.viewer(), id, &payment_input(request)).await?;
    created(&state, &user, id, StatusCode::OK).await
}

/// The invoice as a PDF, dated as the token's owner reads dates.
#[utoipa::path(get, path = "/api/v1/invoices/{invoice}/pdf", tag = "invoices", params(("invoice" = Uuid, Path)), responses(
    (status = 200, description = "The PDF", content_type = "application/pdf"), (status = 401, body = Problem), (status = 404, body = Problem)
), security(("token" = [])))]
pub async fn pdf(State(state): State<AppState>, ApiUser(user): ApiUser, Path(id): Path<String>) -> WebResult {
    let details = state.app.invoice(&user.viewer(), parse_id(&id)?).await?;
    let doc = super::Document::new(&state, &details, state.app.invoice_settings().await?);
    super::pdf_response(&state, &doc, &state.app.date_style(Some(&user), None)).await
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreditRequest {
    /// What is credited, as positive amounts (at most what the invoice still has to credit).
    pub lines: Vec<LineRequest>,
    #[schema(min_length = 1)]
    pub reason: String,
}

/// Issues a credit note against a sent invoice; answers the credit note.
#[utoipa::path(post, path = "/api/v1/invoices/{invoice}/credit", tag = "invoices", params(("invoice" = Uuid, Path)), request_body = CreditRequest, responses(
    (status = 201, body = InvoiceView), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem),
    (status = 409, body = Problem), (status = 422, body = Problem)
), security(("token" = [])))]
pub async fn credit(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path(id): Path<String>,
    ApiJson(request): ApiJson<CreditRequest>,
) -> WebResult<Response> {
    let lines: Vec<LineInput> = request.lines.into_iter().map(line_input).collect();
    let note = state
        .app
        .credit_invoice(&user.viewer(), parse_id(&id)?, &lines, &request.reason)
        .await?;
    created(&state, &user, note, StatusCode::CREATED).await
}

/// Records money paid back to the client (at most what was paid).
#[utoipa::path(post, path = "/api/v1/invoices/{invoice}/refunds", tag = "invoices", params(("invoice" = Uuid, Path)), request_body = PaymentRequest, responses(
    (status = 200, body = InvoiceView), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem),
    (status = 409, body = Problem), (status = 422, body = Problem)
), security(("token" = [])))]
pub async fn record_refund(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path(id): Path<String>,
    ApiJson(request): ApiJson<PaymentRequest>,
) -> WebResult<Response> {
    let id: InvoiceId = parse_id(&id)?;
    state.app.record_refund(&user.viewer(), id, &payment_input(request)).await?;
    created(&state, &user, id, StatusCode::OK).await
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PayRequest {
    /// `stripe`, `paypal` or `twocheckout`: one the invoice offers.
    pub gateway: String,
}

#[derive(Serialize, ToSchema)]
pub struct Checkout {
    /// The gateway's checkout page for what is still owed; open it in a browser.
    pub checkout_url: String,
}

/// Pay Now: starts a payment of what is still owed with a gateway (the invoice's client's
/// contacts with the invoices permission).
#[utoipa::path(post, path = "/api/v1/invoices/{invoice}/pay", tag = "invoices", params(("invoice" = Uuid, Path)), request_body = PayRequest, responses(
    (status = 200, body = Checkout), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem),
    (status = 409, body = Problem), (status = 422, body = Problem), (status = 503, body = Problem, description = "The gateway did not answer")
), security(("token" = [])))]
pub async fn pay(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path(id): Path<String>,
    ApiJson(request): ApiJson<PayRequest>,
) -> WebResult<Json<Checkout>> {
    let checkout_url = state.app.start_payment(&user.viewer(), parse_id(&id)?, &request.gateway).await?;
    Ok(Json(Checkout { checkout_url }))
}

/// This feature's part of the OpenAPI document.
#[derive(utoipa::OpenApi)]
#[openapi(paths(list, create, get, update, delete, send, void, record_payment, pdf, credit, record_refund, pay))]
pub(crate) struct InvoicesApi;
