//! Invoices, credit notes, their lines, number series, payments and tax rates. Amounts are
//! minor units; the figures are computed by `domain::invoices` and stored as computed, so a
//! list never recomputes and a sent invoice never changes.

use crate::scope::Scope;
use crate::{Conn, db_error, execute, on_conn};
use chrono::{DateTime, NaiveDate, Utc};
use domain::ids::{ClientOrgId, InvoiceId, PaymentId, ProjectId, TaxRateId, UserId};
use domain::invoices::{Discount, InvoiceKind, InvoiceStatus, StatusFacts, TaxRate};
use domain::money::Currency;
use domain::users::{Page, PageRequest};
use domain::{Error, Result};
use rust_decimal::Decimal;
use uuid::Uuid;

const INVOICE_COLUMNS: &str = "i.id, i.kind, i.client_org_id, o.name AS client_org_name, i.project_id, p.name AS project_name, \
     i.credits_invoice_id, i.number, i.status, i.currency, i.issue_date, i.due_date, i.terms_days, i.discount, i.tax_rates, \
     i.notes, i.terms, i.footer, i.subtotal_minor, i.discount_minor, i.tax_minor, i.total_minor, i.paid_minor, \
     i.credited_minor, i.overdue, i.sent_at, i.viewed_at, i.voided_at, i.void_reason, i.created_at, i.updated_at";
const INVOICE_FROM: &str = "invoices i JOIN client_orgs o ON o.id = i.client_org_id LEFT JOIN projects p ON p.id = i.project_id";

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct Invoice {
    pub id: InvoiceId,
    pub kind: InvoiceKind,
    pub client_org_id: ClientOrgId,
    pub client_org_name: String,
    pub project_id: Option<ProjectId>,
    pub project_name: Option<String>,
    pub credits_invoice_id: Option<InvoiceId>,
    pub number: Option<String>,
    pub status: InvoiceStatus,
    pub currency: Currency,
    pub issue_date: Option<NaiveDate>,
    pub due_date: Option<NaiveDate>,
    pub terms_days: Option<i32>,
    pub discount: String,
    pub tax_rates: String,
    pub notes: String,
    pub terms: String,
    pub footer: String,
    pub subtotal_minor: i64,
    pub discount_minor: i64,
    pub tax_minor: i64,
    pub total_minor: i64,
    pub paid_minor: i64,
    pub credited_minor: i64,
    pub overdue: bool,
    pub sent_at: Option<DateTime<Utc>>,
    pub viewed_at: Option<DateTime<Utc>>,
    pub voided_at: Option<DateTime<Utc>>,
    pub void_reason: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Invoice {
    pub fn is_credit_note(&self) -> bool {
        self.kind == InvoiceKind::CreditNote
    }

    pub fn discount(&self) -> Result<Discount> {
        serde_json::from_str(&self.discount).map_err(|e| Error::internal(format!("invoice {} discount: {e}", self.id)))
    }

    pub fn tax_rates(&self) -> Result<Vec<TaxRate>> {
        serde_json::from_str(&self.tax_rates).map_err(|e| Error::internal(format!("invoice {} tax rates: {e}", self.id)))
    }

    pub fn facts(&self) -> StatusFacts {
        StatusFacts {
            sent: self.sent_at.is_some(),
            viewed: self.viewed_at.is_some(),
            void: self.voided_at.is_some(),
            overdue: self.overdue,
            total: self.total_minor,
            paid: self.paid_minor,
            credited: self.credited_minor,
        }
    }

    /// What is still owed (negative when more was paid than owed).
    pub fn balance(&self) -> i64 {
        self.facts().balance()
    }
}

/// What a draft holds besides its lines, with its computed figures.
pub struct InvoiceFields<'a> {
    pub client_org: ClientOrgId,
    pub project: Option<ProjectId>,
    pub currency: Currency,
    pub issue_date: Option<NaiveDate>,
    pub due_date: Option<NaiveDate>,
    pub terms_days: Option<i32>,
    pub discount: Discount,
    pub tax_rates: &'a [TaxRate],
    pub notes: &'a str,
    pub terms: &'a str,
    pub footer: &'a str,
    pub subtotal: i64,
    pub discount_minor: i64,
    pub tax_minor: i64,
    pub total: i64,
}

/// A line as stored: what was typed and what it prints.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct LineRow {
    pub position: i32,
    pub description: String,
    pub quantity: Decimal,
    pub unit_price_minor: i64,
    pub discount_percent: Decimal,
    /// Indexes into the invoice's tax rates.
    pub taxes: Vec<usize>,
    pub amount_minor: i64,
    pub discount_minor: i64,
    pub net_minor: i64,
}

/// A line as stored: exact decimals as text, taxes as JSON.
#[derive(sqlx::FromRow)]
struct StoredLine {
    position: i32,
    description: String,
    quantity: String,
    unit_price_minor: i64,
    discount_percent: String,
    taxes: String,
    amount_minor: i64,
    discount_minor: i64,
    net_minor: i64,
}

impl StoredLine {
    /// A stored value that does not read is an error naming the line, never a zero.
    fn decode(self, invoice: InvoiceId) -> Result<LineRow> {
        let bad = |column: &str, value: &str| {
            Error::internal(format!(
                "invoice {invoice} line {}: stored {column} {value:?} does not read",
                self.position
            ))
        };
        Ok(LineRow {
            quantity: self.quantity.parse().map_err(|_| bad("quantity", &self.quantity))?,
            discount_percent: self
                .discount_percent
                .parse()
                .map_err(|_| bad("discount_percent", &self.discount_percent))?,
            taxes: serde_json::from_str(&self.taxes).map_err(|_| bad("taxes", &self.taxes))?,
            position: self.position,
            description: self.description,
            unit_price_minor: self.unit_price_minor,
            amount_minor: self.amount_minor,
            discount_minor: self.discount_minor,
            net_minor: self.net_minor,
        })
    }
}

/// Filters of an invoice list; all optional.
#[derive(Clone, Debug, Default)]
pub struct InvoiceFilter {
    pub client_org: Option<ClientOrgId>,
    pub project: Option<ProjectId>,
    pub status: Option<InvoiceStatus>,
    pub sort: InvoiceSort,
}

/// The order of an invoice list. Newest first by default: drafts (not yet issued), then by
/// issue date, the number breaking a tie, as a client reads their statements.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum InvoiceSort {
    #[default]
    Newest,
    Oldest,
    /// Soonest due first; those without a due date last.
    DueSoonest,
    /// The largest total first.
    Largest,
}

impl InvoiceSort {
    pub const ALL: [InvoiceSort; 4] = [
        InvoiceSort::Newest,
        InvoiceSort::Oldest,
        InvoiceSort::DueSoonest,
        InvoiceSort::Largest,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            InvoiceSort::Newest => "newest",
            InvoiceSort::Oldest => "oldest",
            InvoiceSort::DueSoonest => "due",
            InvoiceSort::Largest => "largest",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            InvoiceSort::Newest => "Newest first",
            InvoiceSort::Oldest => "Oldest first",
            InvoiceSort::DueSoonest => "Due soonest",
            InvoiceSort::Largest => "Largest first",
        }
    }

    /// `""` is the default; anything else unknown is refused.
    pub fn parse(text: &str) -> Result<InvoiceSort> {
        match text {
            "" => Ok(InvoiceSort::default()),
            text => InvoiceSort::ALL
                .into_iter()
                .find(|s| s.as_str() == text)
                .ok_or_else(|| Error::invalid("sort", "sort by newest, oldest, due or largest")),
        }
    }

    /// The ORDER BY: NULLs placed explicitly, since SQLite and PostgreSQL place them apart.
    fn order_by(self) -> &'static str {
        match self {
            InvoiceSort::Newest => "(i.issue_date IS NULL) DESC, i.issue_date DESC, i.number DESC, i.created_at DESC, i.id DESC",
            InvoiceSort::Oldest => "(i.issue_date IS NULL), i.issue_date, i.number, i.created_at, i.id",
            InvoiceSort::DueSoonest => "(i.due_date IS NULL), i.due_date, i.number, i.id",
            InvoiceSort::Largest => "i.total_minor DESC, i.issue_date DESC, i.id DESC",
        }
    }
}

fn json<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_string(value).expect("invoice values serialise")
}

pub async fn insert(
    conn: &mut Conn<'_>,
    id: InvoiceId,
    kind: InvoiceKind,
    fields: &InvoiceFields<'_>,
    credits: Option<InvoiceId>,
    by: UserId,
    now: DateTime<Utc>,
) -> Result<()> {
    let sql = "INSERT INTO invoices (id, kind, client_org_id, project_id, credits_invoice_id, number, status, currency, issue_date, due_date, \
                 terms_days, discount, tax_rates, notes, terms, footer, subtotal_minor, discount_minor, tax_minor, total_minor, \
                 paid_minor, credited_minor, overdue, void_reason, created_by, created_at, updated_at) \
               VALUES ($1, $2, $3, $4, $5, NULL, 'draft', $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, 0, 0, FALSE, '', $19, $20, $20)";
    execute!(
        conn,
        sqlx::query(sql)
            .bind(id.0)
            .bind(kind)
            .bind(fields.client_org.0)
            .bind(fields.project.map(|p| p.0))
            .bind(credits.map(|c| c.0))
            .bind(fields.currency.code())
            .bind(fields.issue_date)
            .bind(fields.due_date)
            .bind(fields.terms_days)
            .bind(json(&fields.discount))
            .bind(json(&fields.tax_rates))
            .bind(fields.notes)
            .bind(fields.terms)
            .bind(fields.footer)
            .bind(fields.subtotal)
            .bind(fields.discount_minor)
            .bind(fields.tax_minor)
            .bind(fields.total)
            .bind(by.0)
            .bind(now)
    )
    .map_err(db_error)?;
    Ok(())
}

/// Rewrites a draft; `NotFound` when it is not a draft any more.
pub async fn update_draft(conn: &mut Conn<'_>, id: InvoiceId, fields: &InvoiceFields<'_>, now: DateTime<Utc>) -> Result<()> {
    let sql = "UPDATE invoices SET client_org_id = $2, project_id = $3, currency = $4, issue_date = $5, due_date = $6, terms_days = $7, \
                 discount = $8, tax_rates = $9, notes = $10, terms = $11, footer = $12, subtotal_minor = $13, discount_minor = $14, \
                 tax_minor = $15, total_minor = $16, updated_at = $17 \
               WHERE id = $1 AND status = 'draft'";
    let changed = execute!(
        conn,
        sqlx::query(sql)
            .bind(id.0)
            .bind(fields.client_org.0)
            .bind(fields.project.map(|p| p.0))
            .bind(fields.currency.code())
            .bind(fields.issue_date)
            .bind(fields.due_date)
            .bind(fields.terms_days)
            .bind(json(&fields.discount))
            .bind(json(&fields.tax_rates))
            .bind(fields.notes)
            .bind(fields.terms)
            .bind(fields.footer)
            .bind(fields.subtotal)
            .bind(fields.discount_minor)
            .bind(fields.tax_minor)
            .bind(fields.total)
            .bind(now)
    )
    .map_err(db_error)?;
    if changed == 0 { Err(Error::NotFound) } else { Ok(()) }
}

/// Replaces an invoice's lines.
pub async fn replace_lines(conn: &mut Conn<'_>, id: InvoiceId, lines: &[LineRow]) -> Result<()> {
    execute!(conn, sqlx::query("DELETE FROM invoice_lines WHERE invoice_id = $1").bind(id.0)).map_err(db_error)?;
    let sql = "INSERT INTO invoice_lines (id, invoice_id, position, description, quantity, unit_price_minor, discount_percent, taxes, \
                 amount_minor, discount_minor, net_minor) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)";
    for line in lines {
        // Exact decimals as text, without trailing zeros; taxes as JSON.
        let quantity = line.quantity.normalize().to_string();
        let discount_percent = line.discount_percent.normalize().to_string();
        let taxes = serde_json::to_string(&line.taxes).map_err(|e| Error::internal(format!("line taxes: {e}")))?;
        execute!(
            conn,
            sqlx::query(sql)
                .bind(Uuid::now_v7())
                .bind(id.0)
                .bind(line.position)
                .bind(&line.description)
                .bind(&quantity)
                .bind(line.unit_price_minor)
                .bind(&discount_percent)
                .bind(&taxes)
                .bind(line.amount_minor)
                .bind(line.discount_minor)
                .bind(line.net_minor)
        )
        .map_err(db_error)?;
    }
    Ok(())
}

pub async fn lines(conn: &mut Conn<'_>, id: InvoiceId) -> Result<Vec<LineRow>> {
    let sql = "SELECT position, description, quantity, unit_price_minor, discount_percent, taxes, amount_minor, discount_minor, net_minor \
               FROM invoice_lines WHERE invoice_id = $1 ORDER BY position";
    let stored: Vec<StoredLine> = on_conn!(conn, c => sqlx::query_as(sql).bind(id.0).fetch_all(c).await).map_err(db_error)?;
    stored.into_iter().map(|line| line.decode(id)).collect()
}

/// Deletes a draft and its lines; `NotFound` when it is not a draft.
pub async fn delete_draft(conn: &mut Conn<'_>, id: InvoiceId) -> Result<()> {
    execute!(
        conn,
        sqlx::query(
            "DELETE FROM invoice_lines WHERE invoice_id = $1 AND EXISTS (SELECT 1 FROM invoices WHERE id = $1 AND status = 'draft')"
        )
        .bind(id.0)
    )
    .map_err(db_error)?;
    let gone = execute!(
        conn,
        sqlx::query("DELETE FROM invoices WHERE id = $1 AND status = 'draft'").bind(id.0)
    )
    .map_err(db_error)?;
    if gone == 0 { Err(Error::NotFound) } else { Ok(()) }
}

/// An invoice as read: a kind, status or currency that does not read is a decode error (the
/// row's types), and a discount or tax rates that do not read an error naming the invoice, so
/// no page shows a guess (a draft, an amount without currency).
fn checked(invoice: Invoice) -> Result<Invoice> {
    invoice.discount()?;
    invoice.tax_rates()?;
    Ok(invoice)
}

/// An invoice the viewer sees.
pub async fn get(conn: &mut Conn<'_>, scope: &Scope, id: InvoiceId) -> Result<Invoice> {
    let sql = format!(
        "SELECT {INVOICE_COLUMNS} FROM {INVOICE_FROM} WHERE i.id = $3 AND {}",
        scope.invoices()
    );
    let row: Option<Invoice> = on_conn!(conn, c => sqlx::query_as(&sql)
        .bind(scope.subject()).bind(scope.permissions()).bind(id.0)
        .fetch_optional(c).await)
    .map_err(crate::row_error(format_args!("invoice {id}")))?;
    checked(row.ok_or(Error::NotFound)?)
}

/// An invoice by id, for the use cases that checked access already (and the jobs).
pub async fn get_any(conn: &mut Conn<'_>, id: InvoiceId) -> Result<Invoice> {
    let sql = format!("SELECT {INVOICE_COLUMNS} FROM {INVOICE_FROM} WHERE i.id = $1");
    let row: Option<Invoice> = on_conn!(conn, c => sqlx::query_as(&sql).bind(id.0).fetch_optional(c).await)
        .map_err(crate::row_error(format_args!("invoice {id}")))?;
    checked(row.ok_or(Error::NotFound)?)
}

/// A page of the invoices and credit notes the viewer sees, newest first.
pub async fn list(conn: &mut Conn<'_>, scope: &Scope, filter: &InvoiceFilter, page: PageRequest) -> Result<Page<Invoice>> {
    // A filter left out binds NULL to a condition that does not name the column, so that
    // the planner can use the client's or the status's index for the ones given (SQLite
    // does not for `$3 IS NULL OR column = $3`).
    let predicate = format!(
        "{} AND {} AND {} AND {}",
        scope.invoices(),
        if filter.client_org.is_some() {
            "i.client_org_id = $3"
        } else {
            "$3 IS NULL"
        },
        if filter.project.is_some() {
            "i.project_id = $4"
        } else {
            "$4 IS NULL"
        },
        if filter.status.is_some() { "i.status = $5" } else { "$5 IS NULL" },
    );
    let client = filter.client_org.map(|c| c.0);
    let project = filter.project.map(|p| p.0);
    let status = filter.status.map(InvoiceStatus::as_str);
    let count_sql = format!("SELECT COUNT(*) FROM invoices i WHERE {predicate}");
    let total: i64 = on_conn!(conn, c => sqlx::query_scalar(&count_sql)
        .bind(scope.subject()).bind(scope.permissions()).bind(client).bind(project).bind(status)
        .fetch_one(c).await)
    .map_err(db_error)?;
    let sql = format!(
        "SELECT {INVOICE_COLUMNS} FROM {INVOICE_FROM} WHERE {predicate} ORDER BY {} LIMIT $6 OFFSET $7",
        filter.sort.order_by()
    );
    let items: Vec<Invoice> = on_conn!(conn, c => sqlx::query_as(&sql)
        .bind(scope.subject()).bind(scope.permissions()).bind(client).bind(project).bind(status)
        .bind(page.limit()).bind(page.offset())
        .fetch_all(c).await)
    .map_err(crate::row_error("an invoice of the list"))?;
    Ok(Page {
        items: items.into_iter().map(checked).collect::<Result<_>>()?,
        total: total.max(0) as u64,
        page: page.page,
        per_page: page.per_page,
    })
}

/// The next number of a series, counted in the caller's transaction: a rolled-back send
/// gives its number back, so numbers stay gapless; the row lock makes concurrent sends wait
/// for each other.
pub async fn next_number(conn: &mut Conn<'_>, series: &str) -> Result<i64> {
    let sql = "INSERT INTO invoice_number_series (series, last_number) VALUES ($1, 1) \
               ON CONFLICT (series) DO UPDATE SET last_number = invoice_number_series.last_number + 1 RETURNING last_number";
    on_conn!(conn, c => sqlx::query_scalar(sql).bind(series).fetch_one(c).await).map_err(db_error)
}

/// Marks a draft sent with its number and dates; `NotFound` when it is not a draft any more.
pub async fn mark_sent(
    conn: &mut Conn<'_>,
    id: InvoiceId,
    number: &str,
    issue: NaiveDate,
    due: Option<NaiveDate>,
    now: DateTime<Utc>,
) -> Result<()> {
    let sql = "UPDATE invoices SET number = $2, issue_date = $3, due_date = $4, sent_at = $5, status = 'sent', updated_at = $5 \
               WHERE id = $1 AND status = 'draft'";
    let changed = execute!(conn, sqlx::query(sql).bind(id.0).bind(number).bind(issue).bind(due).bind(now)).map_err(db_error)?;
    if changed == 0 { Err(Error::NotFound) } else { Ok(()) }
}

/// Stores the status the facts give (and whether the overdue job marked it).
pub async fn save_status(conn: &mut Conn<'_>, id: InvoiceId, status: InvoiceStatus, overdue: bool, now: DateTime<Utc>) -> Result<()> {
    let sql = "UPDATE invoices SET status = $2, overdue = $3, updated_at = $4 WHERE id = $1";
    execute!(conn, sqlx::query(sql).bind(id.0).bind(status.as_str()).bind(overdue).bind(now)).map_err(db_error)?;
    Ok(())
}

/// Records the client's first open; false when it was opened before.
pub async fn set_viewed(conn: &mut Conn<'_>, id: InvoiceId, now: DateTime<Utc>) -> Result<bool> {
    let sql = "UPDATE invoices SET viewed_at = $2 WHERE id = $1 AND viewed_at IS NULL AND sent_at IS NOT NULL";
    Ok(execute!(conn, sqlx::query(sql).bind(id.0).bind(now)).map_err(db_error)? > 0)
}

pub async fn set_void(conn: &mut Conn<'_>, id: InvoiceId, reason: &str, now: DateTime<Utc>) -> Result<()> {
    let sql = "UPDATE invoices SET voided_at = $2, void_reason = $3, updated_at = $2 WHERE id = $1 AND voided_at IS NULL";
    let changed = execute!(conn, sqlx::query(sql).bind(id.0).bind(now).bind(reason)).map_err(db_error)?;
    if changed == 0 { Err(Error::NotFound) } else { Ok(()) }
}

/// Adds to what was paid. With `within_balance`, only if the balance covers it (checked and
/// applied in one statement, so two payments racing for the last cent cannot both pass);
/// returns whether it was applied.
pub async fn add_paid(conn: &mut Conn<'_>, id: InvoiceId, amount: i64, within_balance: bool) -> Result<bool> {
    let sql = "UPDATE invoices SET paid_minor = paid_minor + $2 \
               WHERE id = $1 AND ($3 = FALSE OR total_minor - credited_minor - paid_minor >= $2) AND paid_minor + $2 >= 0";
    Ok(execute!(conn, sqlx::query(sql).bind(id.0).bind(amount).bind(within_balance)).map_err(db_error)? > 0)
}

/// Adds a credit note's total to its invoice, only if it stays within the invoice's total.
pub async fn add_credit(conn: &mut Conn<'_>, id: InvoiceId, amount: i64) -> Result<bool> {
    let sql = "UPDATE invoices SET credited_minor = credited_minor + $2 WHERE id = $1 AND credited_minor + $2 <= total_minor";
    Ok(execute!(conn, sqlx::query(sql).bind(id.0).bind(amount)).map_err(db_error)? > 0)
}

/// What the viewer's open invoices add up to, per currency.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct OpenTotals {
    pub currency: Currency,
    pub open_count: i64,
    pub open_minor: i64,
    pub overdue_count: i64,
    pub overdue_minor: i64,
}

/// The viewer's open invoices (sent and not settled or void), counted and summed per
/// currency: the dashboards' invoice block.
pub async fn open_totals(conn: &mut Conn<'_>, scope: &Scope) -> Result<Vec<OpenTotals>> {
    let sql = format!(
        "SELECT i.currency, COUNT(*) AS open_count, CAST(SUM(i.total_minor - i.credited_minor - i.paid_minor) AS BIGINT) AS open_minor,            CAST(SUM(CASE WHEN i.status = 'overdue' THEN 1 ELSE 0 END) AS BIGINT) AS overdue_count,            CAST(SUM(CASE WHEN i.status = 'overdue' THEN i.total_minor - i.credited_minor - i.paid_minor ELSE 0 END) AS BIGINT) AS overdue_minor          FROM invoices i WHERE {} AND i.kind = 'invoice' AND i.status IN ('sent', 'viewed', 'partially_paid', 'overdue')          GROUP BY i.currency ORDER BY i.currency",
        scope.invoices()
    );
    on_conn!(conn, c => sqlx::query_as(&sql).bind(scope.subject()).bind(scope.permissions()).fetch_all(c).await).map_err(db_error)
}

/// A payment with the number of its invoice.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct PaymentOfInvoice {
    #[sqlx(flatten)]
    pub payment: Payment,
    pub number: Option<String>,
    pub client_org_name: String,
}

/// The newest payments on invoices the viewer sees.
pub async fn recent_payments(conn: &mut Conn<'_>, scope: &Scope, limit: i64) -> Result<Vec<PaymentOfInvoice>> {
    let sql = format!(
        "SELECT y.id, y.invoice_id, y.amount_minor, y.currency, y.method, y.reference, y.note, y.received_on, y.gateway_ref,            y.recorded_by, y.created_at, i.number, o.name AS client_org_name          FROM payments y JOIN invoices i ON i.id = y.invoice_id JOIN client_orgs o ON o.id = i.client_org_id          WHERE {} AND y.client_org_id = i.client_org_id ORDER BY y.created_at DESC, y.id DESC LIMIT $3",
        scope.invoices()
    );
    on_conn!(conn, c => sqlx::query_as(&sql).bind(scope.subject()).bind(scope.permissions()).bind(limit).fetch_all(c).await)
        .map_err(db_error)
}

/// Credit notes of an invoice.
pub async fn credit_notes(conn: &mut Conn<'_>, scope: &Scope, invoice: InvoiceId) -> Result<Vec<Invoice>> {
    let sql = format!(
        "SELECT {INVOICE_COLUMNS} FROM {INVOICE_FROM} WHERE i.credits_invoice_id = $3 AND {} ORDER BY i.created_at",
        scope.invoices()
    );
    let notes: Vec<Invoice> =
        on_conn!(conn, c => sqlx::query_as(&sql).bind(scope.subject()).bind(scope.permissions()).bind(invoice.0).fetch_all(c).await)
            .map_err(db_error)?;
    notes.into_iter().map(checked).collect()
}

/// Open invoices whose due date is before `today` and that the overdue job has not marked.
pub async fn newly_overdue(conn: &mut Conn<'_>, today: NaiveDate, limit: i64) -> Result<Vec<InvoiceId>> {
    let sql = "SELECT id FROM invoices WHERE status IN ('sent', 'viewed', 'partially_paid') AND due_date < $1 AND NOT overdue \
               ORDER BY due_date, id LIMIT $2";
    on_conn!(conn, c => sqlx::query_scalar(sql).bind(today).bind(limit).fetch_all(c).await).map_err(db_error)
}

/// Open invoices whose due date lies in `[from, to]` and that have not had reminder `step`.
pub async fn due_for_reminder(conn: &mut Conn<'_>, step: &str, from: NaiveDate, to: NaiveDate, limit: i64) -> Result<Vec<InvoiceId>> {
    let sql = "SELECT i.id FROM invoices i WHERE i.kind = 'invoice' AND i.status IN ('sent', 'viewed', 'partially_paid', 'overdue') \
               AND i.due_date >= $2 AND i.due_date <= $3 \
               AND NOT EXISTS (SELECT 1 FROM invoice_reminders r WHERE r.invoice_id = i.id AND r.step = $1) \
               ORDER BY i.due_date, i.id LIMIT $4";
    on_conn!(conn, c => sqlx::query_scalar(sql).bind(step).bind(from).bind(to).bind(limit).fetch_all(c).await).map_err(db_error)
}

/// Notes that reminder `step` went out for an invoice; false when it had already (another
/// node got there first), so the caller sends nothing.
pub async fn claim_reminder(conn: &mut Conn<'_>, invoice: InvoiceId, step: &str, now: DateTime<Utc>) -> Result<bool> {
    let sql = "INSERT INTO invoice_reminders (invoice_id, step, sent_at) VALUES ($1, $2, $3) ON CONFLICT (invoice_id, step) DO NOTHING";
    Ok(execute!(conn, sqlx::query(sql).bind(invoice.0).bind(step).bind(now)).map_err(db_error)? > 0)
}

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct Payment {
    pub id: PaymentId,
    pub invoice_id: InvoiceId,
    pub amount_minor: i64,
    pub currency: Currency,
    pub method: String,
    pub reference: String,
    pub note: String,
    pub received_on: NaiveDate,
    pub gateway_ref: Option<String>,
    pub recorded_by: Option<UserId>,
    pub created_at: DateTime<Utc>,
}

pub struct NewPayment<'a> {
    pub id: PaymentId,
    pub invoice: InvoiceId,
    /// The invoice's client.
    pub client_org: ClientOrgId,
    pub amount: i64,
    pub currency: Currency,
    pub method: &'a str,
    pub reference: &'a str,
    pub note: &'a str,
    pub received_on: NaiveDate,
    pub gateway_ref: Option<&'a str>,
    pub recorded_by: Option<UserId>,
}

/// Records a payment. False when a payment with the same `gateway_ref` is already recorded:
/// the gateway's confirmation arrived twice (two events, or a webhook and a redirect racing).
pub async fn insert_payment(conn: &mut Conn<'_>, payment: &NewPayment<'_>, now: DateTime<Utc>) -> Result<bool> {
    let sql = "INSERT INTO payments (id, invoice_id, amount_minor, currency, method, reference, note, received_on, gateway_ref, recorded_by, \
                 created_at, client_org_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) \
               ON CONFLICT (gateway_ref) DO NOTHING";
    execute!(
        conn,
        sqlx::query(sql)
            .bind(payment.id.0)
            .bind(payment.invoice.0)
            .bind(payment.amount)
            .bind(payment.currency.code())
            .bind(payment.method)
            .bind(payment.reference)
            .bind(payment.note)
            .bind(payment.received_on)
            .bind(payment.gateway_ref)
            .bind(payment.recorded_by.map(|u| u.0))
            .bind(now)
            .bind(payment.client_org.0)
    )
    .map(|inserted| inserted > 0)
    .map_err(db_error)
}

pub async fn payments(conn: &mut Conn<'_>, invoice: InvoiceId) -> Result<Vec<Payment>> {
    let sql = "SELECT id, invoice_id, amount_minor, currency, method, reference, note, received_on, gateway_ref, recorded_by, created_at \
               FROM payments WHERE invoice_id = $1 ORDER BY created_at, id";
    on_conn!(conn, c => sqlx::query_as(sql).bind(invoice.0).fetch_all(c).await).map_err(db_error)
}

#[derive(Clone, Debug)]
pub struct TaxRateRow {
    pub id: TaxRateId,
    pub rate: TaxRate,
}

/// A tax rate as stored: its percentage as exact text.
#[derive(sqlx::FromRow)]
struct StoredTaxRate {
    id: TaxRateId,
    name: String,
    percent: String,
    inclusive: bool,
    compound: bool,
}

/// The tax rates offered when writing an invoice. A percentage that does not read is an error
/// naming the rate, never 0 %.
pub async fn tax_rates(conn: &mut Conn<'_>) -> Result<Vec<TaxRateRow>> {
    let sql = "SELECT id, name, percent, inclusive, compound FROM tax_rates WHERE archived_at IS NULL ORDER BY name, id";
    let stored: Vec<StoredTaxRate> = on_conn!(conn, c => sqlx::query_as(sql).fetch_all(c).await).map_err(db_error)?;
    stored
        .into_iter()
        .map(|row| {
            let percent = row
                .percent
                .parse()
                .map_err(|_| Error::internal(format!("tax rate {}: stored percent {:?} does not read", row.id, row.percent)))?;
            Ok(TaxRateRow {
                id: row.id,
                rate: TaxRate {
                    name: row.name,
                    percent,
                    inclusive: row.inclusive,
                    compound: row.compound,
                },
            })
        })
        .collect()
}

pub async fn insert_tax_rate(conn: &mut Conn<'_>, id: TaxRateId, rate: &TaxRate, now: DateTime<Utc>) -> Result<()> {
    let sql = "INSERT INTO tax_rates (id, name, percent, inclusive, compound, created_at) VALUES ($1, $2, $3, $4, $5, $6)";
    execute!(
        conn,
        sqlx::query(sql)
            .bind(id.0)
            .bind(&rate.name)
            .bind(rate.percent.to_string())
            .bind(rate.inclusive)
            .bind(rate.compound)
            .bind(now)
    )
    .map_err(db_error)?;
    Ok(())
}

/// Takes a rate out of the offer; invoices keep their copies.
pub async fn archive_tax_rate(conn: &mut Conn<'_>, id: TaxRateId, now: DateTime<Utc>) -> Result<()> {
    let changed = execute!(
        conn,
        sqlx::query("UPDATE tax_rates SET archived_at = $2 WHERE id = $1 AND archived_at IS NULL")
            .bind(id.0)
            .bind(now)
    )
    .map_err(db_error)?;
    if changed == 0 { Err(Error::NotFound) } else { Ok(()) }
}
