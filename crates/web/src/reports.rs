//! The financial reports page (admins and finance staff), the payment history and the CSV
//! exports.

use crate::AppState;
use crate::context::{Ctx, PageContext, Person, render};
use crate::error::WebResult;
use crate::routing::{Route, route};
use crate::views::PageQuery;
use app::reports::{FinancialReport, REVENUE_MONTHS, first_month};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::Method;
use axum::http::header;
use axum::response::IntoResponse;
use chrono::{Datelike, NaiveDate};
use domain::money::Currency;
use domain::users::{Page, PageRequest};
use store::reports::PaymentLine;

/// The financial reports.
pub(crate) fn routes() -> Vec<Route> {
    use crate::routing::Access::*;
    use domain::access::Area::Workspace;
    vec![
        route(Method::GET, "/reports", Area(Workspace), page),
        route(Method::GET, "/reports/payments", Area(Workspace), payments_page),
        route(Method::GET, "/reports/csv/{report}", Area(Workspace), csv),
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
    let mut currencies: Vec<&str> = report.revenue.iter().map(|m| m.currency.as_str()).collect();
    currencies.sort_unstable();
    currencies.dedup();
    currencies
        .into_iter()
        .filter_map(|code| Currency::parse(code).ok())
        .map(|currency| {
            let of = |month: &str| {
                report
                    .revenue
                    .iter()
                    .find(|m| m.month == month && m.currency == currency.code())
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
    pub currency: String,
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
        .filter_map(|a| {
            let c = Currency::parse(&a.currency).ok()?;
            Some(AgingRow {
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
            })
        })
        .collect();
    let clients = report
        .clients
        .items
        .iter()
        .filter_map(|t| {
            let c = Currency::parse(&t.currency).ok()?;
            Some(ClientRow {
                name: t.client_name.clone(),
                href: format!("/invoices?client={}", t.client_org_id),
                currency: t.currency.clone(),
                invoices: t.invoices,
                invoiced: c.format(t.invoiced_minor),
                paid: c.format(t.paid_minor),
                outstanding: c.format(t.outstanding_minor),
            })
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
            amount: Currency::parse(&p.currency).map(|c| c.format(p.amount_minor)).unwrap_or_default(),
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
