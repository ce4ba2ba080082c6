//! The financial reports page (admins and finance staff), the payment history and the CSV
//! exports.

use crate::AppState;
use crate::api_core::{ApiQuery, ApiUser, PageParams, Problem, amount};
use crate::context::{Ctx, PageContext, Person, render};
use crate::error::WebResult;
use crate::routing::{Route, route};
use crate::views::PageQuery;
use app::reports::{FinancialReport, REVENUE_MONTHS, first_month};
use askama::Template;
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::Method;
use axum::http::header;
use axum::response::IntoResponse;
use chrono::{Datelike, NaiveDate};
use domain::money::Currency;
use domain::users::{Page, PageRequest};
use serde::Serialize;
use store::reports::PaymentLine;
use utoipa::ToSchema;

/// The financial reports.
pub(crate) fn routes() -> Vec<Route> {
    use crate::routing::Access::*;
    use domain::access::Area::Workspace;
    vec![
        route(Method::GET, "/reports", Area(Workspace), page),
        route(Method::GET, "/reports/payments", Area(Workspace), payments_page),
        route(Method::GET, "/reports/csv/{report}", Area(Workspace), csv),
        route(Method::GET, "/api/v1/reports/financial", ApiUser, api_financial),
        route(Method::GET, "/api/v1/reports/payments", ApiUser, api_payments),
    ]
}

/// One month's pair of bars.
pub struct Bar {
    pub label: String,
    pub x: u32,
    pub invoiced_height: u32,
    pub received_height: u32,
    pub invoiced: String,
    pub received: String,
}

/// Revenue by month in one currency, as an SVG bar chart and a table.
pub struct Chart {
    pub currency: &'static str,
    pub bars: Vec<Bar>,
    pub total_invoiced: String,
    pub total_received: String,
}

/// The chart's drawing area, in SVG units.
pub const CHART_HEIGHT: u32 = 160;
const BAR_WIDTH: u32 = 14;
const GROUP_WIDTH: u32 = 44;

fn month_label(month: &str) -> String {
    NaiveDate::parse_from_str(&format!("{month}-01"), "%Y-%m-%d")
        .map(|d| d.format("%b %y").to_string())
        .unwrap_or_else(|_| month.to_owned())
}

fn charts(report: &FinancialReport) -> Vec<Chart> {
    let first = first_month(report.today, REVENUE_MONTHS);
    let months: Vec<String> = (0..REVENUE_MONTHS)
        .map(|n| {
            let index = first.year() * 12 + first.month0() as i32 + n as i32;
            format!("{:04}-{:02}", index.div_euclid(12), index.rem_euclid(12) + 1)
        })
        .collect();
    // Rows come by month, then currency: sort before removing repeats.
    let mut currencies: Vec<Currency> = report.revenue.iter().map(|m| m.currency).collect();
    currencies.sort_unstable_by_key(|c| c.code());
    currencies.dedup();
    currencies
        .into_iter()
        .map(|currency| {
            let of = |month: &str| {
                report
                    .revenue
                    .iter()
                    .find(|m| m.month == month && m.currency == currency)
                    .map_or((0, 0), |m| (m.invoiced_minor, m.received_minor))
            };
            let peak = months.iter().map(|m| of(m).0.max(of(m).1)).max().unwrap_or(0).max(1);
            // Integer arithmetic: no float comes near an amount, even to draw it.
            let height = |minor: i64| (i128::from(minor.max(0)) * i128::from(CHART_HEIGHT) / i128::from(peak)) as u32;
            let bars = months
                .iter()
                .enumerate()
                .map(|(i, month)| {
                    let (invoiced, received) = of(month);
                    Bar {
                        label: month_label(month),
                        x: i as u32 * GROUP_WIDTH + 6,
                        invoiced_height: height(invoiced),
                        received_height: height(received),
                        invoiced: currency.format(invoiced),
                        received: currency.format(received),
                    }
                })
                .collect();
            let sum = |pick: fn((i64, i64)) -> i64| months.iter().map(|m| pick(of(m))).sum::<i64>();
            Chart {
                currency: currency.code(),
                bars,
                total_invoiced: currency.format(sum(|(i, _)| i)),
                total_received: currency.format(sum(|(_, r)| r)),
            }
        })
        .collect()
}

/// Chart geometry, for the template.
pub fn chart_width() -> u32 {
    REVENUE_MONTHS * GROUP_WIDTH
}

pub fn bar_width() -> u32 {
    BAR_WIDTH
}

/// A row of the receivables table.
pub struct AgingRow {
    pub currency: &'static str,
    pub buckets: [String; 5],
    pub total: String,
    pub invoices: i64,
}

pub struct ClientRow {
    pub name: String,
    pub href: String,
    pub currency: &'static str,
    pub invoices: i64,
    pub invoiced: String,
    pub paid: String,
    pub outstanding: String,
}

#[derive(Template)]
#[template(path = "reports.html")]
struct ReportsPage {
    ctx: PageContext,
    charts: Vec<Chart>,
    aging: Vec<AgingRow>,
    clients: Vec<ClientRow>,
    page: Page<store::reports::ClientTotals>,
}

pub async fn page(State(state): State<AppState>, Ctx(ctx): Ctx, Person(viewer): Person, Query(query): Query<PageQuery>) -> WebResult {
    let report = state.app.financial_report(&viewer, PageRequest::new(query.page, None)).await?;
    let aging = report
        .receivables
        .iter()
        .map(|a| {
            let c = a.currency;
            AgingRow {
                currency: c.code(),
                buckets: [
                    c.format(a.current_minor),
                    c.format(a.days_1_30_minor),
                    c.format(a.days_31_60_minor),
                    c.format(a.days_61_90_minor),
                    c.format(a.days_over_90_minor),
                ],
                total: c.format(a.total_minor),
                invoices: a.invoices,
            }
        })
        .collect();
    let clients = report
        .clients
        .items
        .iter()
        .map(|t| {
            let c = t.currency;
            ClientRow {
                name: t.client_name.clone(),
                href: format!("/invoices?client={}", t.client_org_id),
                currency: c.code(),
                invoices: t.invoices,
                invoiced: c.format(t.invoiced_minor),
                paid: c.format(t.paid_minor),
                outstanding: c.format(t.outstanding_minor),
            }
        })
        .collect();
    Ok(render(&ReportsPage {
        charts: charts(&report),
        aging,
        clients,
        page: report.clients,
        ctx,
    }))
}

#[derive(Template)]
#[template(path = "reports_payments.html")]
struct PaymentsPage {
    ctx: PageContext,
    page: Page<PaymentLine>,
    rows: Vec<PaymentRow>,
}

impl PaymentsPage {
    /// Another page of the same list (the pager).
    fn page_link(&self, page: u32) -> String {
        format!("/reports/payments?page={page}")
    }
}

pub struct PaymentRow {
    pub received: NaiveDate,
    pub invoice: String,
    pub href: String,
    pub client: String,
    pub amount: String,
    pub refund: bool,
    pub method: String,
    pub reference: String,
}

pub async fn payments_page(
    State(state): State<AppState>,
    Ctx(ctx): Ctx,
    Person(viewer): Person,
    Query(query): Query<PageQuery>,
) -> WebResult {
    let page = state.app.payment_history(&viewer, PageRequest::new(query.page, None)).await?;
    let rows = page
        .items
        .iter()
        .map(|p| PaymentRow {
            received: p.received_on,
            invoice: p.number.clone().unwrap_or_default(),
            href: format!("/invoices/{}", p.invoice_id),
            client: p.client_name.clone(),
            amount: p.currency.format(p.amount_minor),
            refund: p.amount_minor < 0,
            method: crate::views::invoices::method_label(&p.method),
            reference: [p.reference.as_str(), p.gateway_ref.as_deref().unwrap_or_default()]
                .into_iter()
                .filter(|r| !r.is_empty())
                .collect::<Vec<_>>()
                .join(" · "),
        })
        .collect();
    Ok(render(&PaymentsPage { ctx, page, rows }))
}

/// `/reports/csv/{report}`: revenue, receivables, clients or payments.
pub async fn csv(State(state): State<AppState>, Person(viewer): Person, Path(report): Path<String>) -> WebResult {
    let body = state.app.report_csv(&viewer, &report).await?;
    let name = format!("{report}-{}.csv", state.app.today());
    let headers = [
        (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
        (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{name}\"")),
    ];
    Ok((headers, body).into_response())
}

#[derive(Serialize, ToSchema)]
pub struct MonthView {
    /// `2026-11`.
    pub month: String,
    pub currency: String,
    /// Sent invoices issued that month, less credit notes.
    pub invoiced: String,
    /// Payments received that month, less refunds.
    pub received: String,
}

#[derive(Serialize, ToSchema)]
pub struct AgingView {
    pub currency: String,
    /// Not yet due (or without a due date).
    pub current: String,
    pub days_1_30: String,
    pub days_31_60: String,
    pub days_61_90: String,
    pub days_over_90: String,
    pub total: String,
    pub invoices: i64,
}

#[derive(Serialize, ToSchema)]
pub struct ClientTotalsView {
    pub client_org_id: uuid::Uuid,
    pub client_name: String,
    pub currency: String,
    pub invoices: i64,
    pub invoiced: String,
    pub paid: String,
    pub outstanding: String,
}

/// The financial report, amounts as decimal strings per currency.
#[derive(Serialize, ToSchema)]
pub struct FinancialView {
    /// The last twelve months, oldest first; months without figures are left out.
    pub revenue: Vec<MonthView>,
    /// What is owed, by how long past due.
    pub receivables: Vec<AgingView>,
    /// Per client and currency, by client name (paged by `page` and `per_page`).
    pub clients: Vec<ClientTotalsView>,
    pub clients_total: u64,
    pub page: u32,
    pub per_page: u32,
}

/// Revenue by month, receivables by age and totals per client (admins and finance staff).
#[utoipa::path(get, path = "/api/v1/reports/financial", tag = "reports", params(PageParams), responses(
    (status = 200, body = FinancialView), (status = 401, body = Problem), (status = 403, body = Problem), (status = 422, body = Problem)
), security(("token" = [])))]
pub async fn api_financial(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiQuery(query): ApiQuery<PageParams>,
) -> WebResult<Json<FinancialView>> {
    let report = state
        .app
        .financial_report(&user.viewer(), PageRequest::strict(query.page, query.per_page)?)
        .await?;
    Ok(Json(FinancialView {
        revenue: report
            .revenue
            .into_iter()
            .map(|m| MonthView {
                invoiced: amount(m.currency, m.invoiced_minor),
                received: amount(m.currency, m.received_minor),
                month: m.month,
                currency: m.currency.code().to_owned(),
            })
            .collect(),
        receivables: report
            .receivables
            .into_iter()
            .map(|a| {
                let money = |minor| amount(a.currency, minor);
                AgingView {
                    current: money(a.current_minor),
                    days_1_30: money(a.days_1_30_minor),
                    days_31_60: money(a.days_31_60_minor),
                    days_61_90: money(a.days_61_90_minor),
                    days_over_90: money(a.days_over_90_minor),
                    total: money(a.total_minor),
                    invoices: a.invoices,
                    currency: a.currency.code().to_owned(),
                }
            })
            .collect(),
        clients: report
            .clients
            .items
            .into_iter()
            .map(|c| ClientTotalsView {
                invoiced: amount(c.currency, c.invoiced_minor),
                paid: amount(c.currency, c.paid_minor),
                outstanding: amount(c.currency, c.outstanding_minor),
                client_org_id: c.client_org_id.0,
                client_name: c.client_name,
                currency: c.currency.code().to_owned(),
                invoices: c.invoices,
            })
            .collect(),
        clients_total: report.clients.total,
        page: report.clients.page,
        per_page: report.clients.per_page,
    }))
}

#[derive(Serialize, ToSchema)]
pub struct PaymentLineView {
    pub id: uuid::Uuid,
    pub invoice_id: uuid::Uuid,
    pub invoice_number: Option<String>,
    pub client_name: String,
    /// Negative for a refund.
    pub amount: String,
    pub currency: String,
    /// `bank_transfer`, `cash`, `cheque`, `other`, or the gateway: `stripe`, `paypal`, `twocheckout`.
    pub method: String,
    pub reference: String,
    /// The gateway's own reference.
    pub gateway_ref: Option<String>,
    pub received_on: NaiveDate,
}

#[derive(Serialize, ToSchema)]
pub struct PaymentHistory {
    pub items: Vec<PaymentLineView>,
    pub total: u64,
    pub page: u32,
    pub per_page: u32,
}

/// Every payment and refund, newest first (admins and finance staff).
#[utoipa::path(get, path = "/api/v1/reports/payments", tag = "reports", params(PageParams), responses(
    (status = 200, body = PaymentHistory), (status = 401, body = Problem), (status = 403, body = Problem), (status = 422, body = Problem)
), security(("token" = [])))]
pub async fn api_payments(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiQuery(query): ApiQuery<PageParams>,
) -> WebResult<Json<PaymentHistory>> {
    let page = state
        .app
        .payment_history(&user.viewer(), PageRequest::strict(query.page, query.per_page)?)
        .await?;
    Ok(Json(PaymentHistory {
        items: page
            .items
            .into_iter()
            .map(|p| PaymentLineView {
                amount: amount(p.currency, p.amount_minor),
                id: p.id.0,
                invoice_id: p.invoice_id.0,
                invoice_number: p.number,
                client_name: p.client_name,
                currency: p.currency.code().to_owned(),
                method: p.method,
                reference: p.reference,
                gateway_ref: p.gateway_ref,
                received_on: p.received_on,
            })
            .collect(),
        total: page.total,
        page: page.page,
        per_page: page.per_page,
    }))
}

/// This feature's part of the OpenAPI document.
#[derive(utoipa::OpenApi)]
#[openapi(paths(api_financial, api_payments))]
pub(crate) struct ReportsApi;
