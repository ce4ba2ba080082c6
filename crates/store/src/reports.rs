//! The financial reports: revenue by month, receivables by age, totals per client and the
//! payment history. Amounts are summed per currency, never across currencies. Every query
//! takes the invoice scope, so a viewer who sees no invoices gets empty reports.

use crate::scope::Scope;
use crate::{Conn, db_error, on_conn};
use chrono::NaiveDate;
use domain::Result;
use domain::ids::{ClientOrgId, InvoiceId, PaymentId};
use domain::money::Currency;
use domain::users::{Page, PageRequest};

/// One month of one currency: what was invoiced (net of credit notes) and what was received
/// (net of refunds).
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct MonthRevenue {
    /// `2026-11`.
    pub month: String,
    pub currency: Currency,
    pub invoiced_minor: i64,
    pub received_minor: i64,
}

/// Revenue by month from `from` (a first of the month) on, per currency, oldest first.
pub async fn revenue_by_month(conn: &mut Conn<'_>, scope: &Scope, from: NaiveDate) -> Result<Vec<MonthRevenue>> {
    let invoices = scope.invoices();
    let sql = format!(
        "SELECT month, currency, CAST(SUM(invoiced) AS BIGINT) AS invoiced_minor, CAST(SUM(received) AS BIGINT) AS received_minor FROM ( \
           SELECT substr(CAST(i.issue_date AS TEXT), 1, 7) AS month, i.currency, \
                  CASE WHEN i.kind = 'credit_note' THEN -i.total_minor ELSE i.total_minor END AS invoiced, 0 AS received \
           FROM invoices i WHERE {invoices} AND i.sent_at IS NOT NULL AND i.voided_at IS NULL AND i.issue_date >= $3 \
           UNION ALL \
           SELECT substr(CAST(y.received_on AS TEXT), 1, 7) AS month, y.currency, 0 AS invoiced, y.amount_minor AS received \
           FROM payments y JOIN invoices i ON i.id = y.invoice_id WHERE {invoices} AND y.received_on >= $3 \
         ) m GROUP BY month, currency ORDER BY month, currency"
    );
    on_conn!(conn, c => sqlx::query_as(&sql).bind(scope.subject()).bind(scope.permissions()).bind(from).fetch_all(c).await)
        .map_err(db_error)
}

/// What open invoices still owe in one currency, by how long past their due date.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct Aging {
    pub currency: Currency,
    /// Not yet due (or no due date).
    pub current_minor: i64,
    pub days_1_30_minor: i64,
    pub days_31_60_minor: i64,
    pub days_61_90_minor: i64,
    pub days_over_90_minor: i64,
    pub total_minor: i64,
    pub invoices: i64,
}

/// The receivables by age on `today`, per currency; with `client`, for one organisation.
pub async fn receivables(conn: &mut Conn<'_>, scope: &Scope, today: NaiveDate, client: Option<ClientOrgId>) -> Result<Vec<Aging>> {
    let ago = |days: u64| today - chrono::Days::new(days);
    let balance = "(i.total_minor - i.credited_minor - i.paid_minor)";
    let bucket = |condition: &str| format!("CAST(SUM(CASE WHEN {condition} THEN {balance} ELSE 0 END) AS BIGINT)");
    let sql = format!(
        "SELECT i.currency, {current} AS current_minor, {d30} AS days_1_30_minor, {d60} AS days_31_60_minor, {d90} AS days_61_90_minor, \
           {older} AS days_over_90_minor, CAST(SUM({balance}) AS BIGINT) AS total_minor, COUNT(*) AS invoices \
         FROM invoices i WHERE {scope} AND i.kind = 'invoice' AND i.status IN ('sent', 'viewed', 'partially_paid', 'overdue') \
           AND ($7 IS NULL OR i.client_org_id = $7) \
         GROUP BY i.currency ORDER BY i.currency",
        current = bucket("i.due_date IS NULL OR i.due_date >= $3"),
        d30 = bucket("i.due_date < $3 AND i.due_date >= $4"),
        d60 = bucket("i.due_date < $4 AND i.due_date >= $5"),
        d90 = bucket("i.due_date < $5 AND i.due_date >= $6"),
        older = bucket("i.due_date < $6"),
        scope = scope.invoices(),
    );
    on_conn!(conn, c => sqlx::query_as(&sql)
        .bind(scope.subject()).bind(scope.permissions())
        .bind(today).bind(ago(30)).bind(ago(60)).bind(ago(90)).bind(client)
        .fetch_all(c).await)
    .map_err(db_error)
}

/// One client's figures in one currency.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct ClientTotals {
    pub client_org_id: ClientOrgId,
    pub client_name: String,
    pub currency: Currency,
    pub invoices: i64,
    /// Sent invoices, not void, less their credit notes.
    pub invoiced_minor: i64,
    pub paid_minor: i64,
    pub outstanding_minor: i64,
}

/// Totals per client and currency, by client name.
pub async fn client_totals(conn: &mut Conn<'_>, scope: &Scope, page: PageRequest) -> Result<Page<ClientTotals>> {
    let predicate = format!(
        "{} AND i.kind = 'invoice' AND i.sent_at IS NOT NULL AND i.voided_at IS NULL",
        scope.invoices()
    );
    let count_sql = format!("SELECT COUNT(*) FROM (SELECT 1 FROM invoices i WHERE {predicate} GROUP BY i.client_org_id, i.currency) g");
    let total: i64 = on_conn!(conn, c => sqlx::query_scalar(&count_sql).bind(scope.subject()).bind(scope.permissions()).fetch_one(c).await)
        .map_err(db_error)?;
    let sql = format!(
        "SELECT i.client_org_id, o.name AS client_name, i.currency, COUNT(*) AS invoices, \
           CAST(SUM(i.total_minor - i.credited_minor) AS BIGINT) AS invoiced_minor, CAST(SUM(i.paid_minor) AS BIGINT) AS paid_minor, \
           CAST(SUM(i.total_minor - i.credited_minor - i.paid_minor) AS BIGINT) AS outstanding_minor \
         FROM invoices i JOIN client_orgs o ON o.id = i.client_org_id WHERE {predicate} \
         GROUP BY i.client_org_id, o.name, i.currency ORDER BY o.name, i.client_org_id, i.currency LIMIT $3 OFFSET $4"
    );
    let items = on_conn!(conn, c => sqlx::query_as(&sql)
        .bind(scope.subject()).bind(scope.permissions()).bind(page.limit()).bind(page.offset())
        .fetch_all(c).await)
    .map_err(db_error)?;
    Ok(Page {
        items,
        total: total.max(0) as u64,
        page: page.page,
        per_page: page.per_page,
    })
}

/// A payment in the history.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct PaymentLine {
    pub id: PaymentId,
    pub invoice_id: InvoiceId,
    pub number: Option<String>,
    pub client_name: String,
    pub amount_minor: i64,
    pub currency: Currency,
    pub method: String,
    pub reference: String,
    pub gateway_ref: Option<String>,
    pub received_on: NaiveDate,
}

/// Every payment and refund, newest first, a page at a time.
pub async fn payment_history(conn: &mut Conn<'_>, scope: &Scope, page: PageRequest) -> Result<Page<PaymentLine>> {
    let predicate = scope.invoices();
    let count_sql = format!("SELECT COUNT(*) FROM payments y JOIN invoices i ON i.id = y.invoice_id WHERE {predicate}");
    let total: i64 = on_conn!(conn, c => sqlx::query_scalar(&count_sql).bind(scope.subject()).bind(scope.permissions()).fetch_one(c).await)
        .map_err(db_error)?;
    let sql = format!(
        "SELECT y.id, y.invoice_id, i.number, o.name AS client_name, y.amount_minor, y.currency, y.method, y.reference, y.gateway_ref, y.received_on \
         FROM payments y JOIN invoices i ON i.id = y.invoice_id JOIN client_orgs o ON o.id = i.client_org_id \
         WHERE {predicate} ORDER BY y.received_on DESC, y.created_at DESC, y.id DESC LIMIT $3 OFFSET $4"
    );
    let items = on_conn!(conn, c => sqlx::query_as(&sql)
        .bind(scope.subject()).bind(scope.permissions()).bind(page.limit()).bind(page.offset())
        .fetch_all(c).await)
    .map_err(db_error)?;
    Ok(Page {
        items,
        total: total.max(0) as u64,
        page: page.page,
        per_page: page.per_page,
    })
}
