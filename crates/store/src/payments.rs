//! Pay Now attempts and the gateway notifications handled. An attempt keeps the amount and
//! currency the server asked the gateway for: a confirmation is recorded only if it matches.

use crate::{Conn, db_error, execute, on_conn};
use chrono::{DateTime, Utc};
use domain::ids::{InvoiceId, PaymentAttemptId, UserId};
use domain::money::Currency;
use domain::payments::{AttemptStatus, Gateway};
use domain::{Error, Result};

/// A Pay Now attempt, decoded into its types: a gateway or status the code does not know is a
/// decode error naming the column, not a value to guess.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct Attempt {
    pub id: PaymentAttemptId,
    pub invoice_id: InvoiceId,
    pub gateway: Gateway,
    pub amount_minor: i64,
    pub currency: Currency,
    pub gateway_ref: Option<String>,
    pub status: AttemptStatus,
    pub created_by: Option<UserId>,
    pub created_at: DateTime<Utc>,
}

const ATTEMPT_COLUMNS: &str = "id, invoice_id, gateway, amount_minor, currency, gateway_ref, status, created_by, created_at";

pub struct NewAttempt {
    pub id: PaymentAttemptId,
    pub invoice: InvoiceId,
    pub gateway: Gateway,
    pub amount: i64,
    pub currency: Currency,
    pub created_by: UserId,
}

pub async fn insert_attempt(conn: &mut Conn<'_>, attempt: &NewAttempt, now: DateTime<Utc>) -> Result<()> {
    let sql = "INSERT INTO payment_attempts (id, invoice_id, gateway, amount_minor, currency, status, created_by, created_at) \
               VALUES ($1, $2, $3, $4, $5, 'created', $6, $7)";
    execute!(
        conn,
        sqlx::query(sql)
            .bind(attempt.id.0)
            .bind(attempt.invoice.0)
            .bind(attempt.gateway.as_str())
            .bind(attempt.amount)
            .bind(attempt.currency.code())
            .bind(attempt.created_by.0)
            .bind(now)
    )
    .map_err(db_error)?;
    Ok(())
}

/// Keeps the gateway's id for the attempt (a Checkout session, an order).
pub async fn set_gateway_ref(conn: &mut Conn<'_>, id: PaymentAttemptId, gateway_ref: &str) -> Result<()> {
    let sql = "UPDATE payment_attempts SET gateway_ref = $2 WHERE id = $1";
    execute!(conn, sqlx::query(sql).bind(id.0).bind(gateway_ref)).map_err(db_error)?;
    Ok(())
}

pub async fn attempt(conn: &mut Conn<'_>, id: PaymentAttemptId) -> Result<Attempt> {
    let sql = format!("SELECT {ATTEMPT_COLUMNS} FROM payment_attempts WHERE id = $1");
    let row: Option<Attempt> = on_conn!(conn, c => sqlx::query_as(&sql).bind(id.0).fetch_optional(c).await)
        .map_err(crate::row_error(format_args!("payment attempt {id}")))?;
    row.ok_or(Error::NotFound)
}

pub async fn attempt_by_ref(conn: &mut Conn<'_>, gateway: Gateway, gateway_ref: &str) -> Result<Option<Attempt>> {
    let sql = format!("SELECT {ATTEMPT_COLUMNS} FROM payment_attempts WHERE gateway = $1 AND gateway_ref = $2");
    on_conn!(conn, c => sqlx::query_as(&sql).bind(gateway.as_str()).bind(gateway_ref).fetch_optional(c).await).map_err(db_error)
}

/// Moves an attempt on from `created` (or from `failed`, when a declined card is followed by
/// one that pays on the same checkout). A completed attempt stays completed: a late failure
/// notification does not undo a payment. True if the status changed.
pub async fn finish_attempt(conn: &mut Conn<'_>, id: PaymentAttemptId, status: AttemptStatus, now: DateTime<Utc>) -> Result<bool> {
    let sql = "UPDATE payment_attempts SET status = $2, completed_at = $3 WHERE id = $1 AND status <> 'completed' AND status <> $2";
    let changed = execute!(conn, sqlx::query(sql).bind(id.0).bind(status.as_str()).bind(now)).map_err(db_error)?;
    Ok(changed > 0)
}

/// Whether the gateway's notification was handled before.
pub async fn event_seen(conn: &mut Conn<'_>, gateway: Gateway, event_id: &str) -> Result<bool> {
    let sql = "SELECT 1 FROM gateway_events WHERE gateway = $1 AND event_id = $2";
    let row: Option<(i32,)> =
        on_conn!(conn, c => sqlx::query_as(sql).bind(gateway.as_str()).bind(event_id).fetch_optional(c).await).map_err(db_error)?;
    Ok(row.is_some())
}

/// Notes a notification as handled, with what came of it. False if it was noted before (a
/// replay, or the same event delivered twice at once): the caller then changes nothing.
pub async fn claim_event(conn: &mut Conn<'_>, gateway: Gateway, event_id: &str, outcome: &str, now: DateTime<Utc>) -> Result<bool> {
    let sql = "INSERT INTO gateway_events (gateway, event_id, outcome, received_at) VALUES ($1, $2, $3, $4) \
               ON CONFLICT (gateway, event_id) DO NOTHING";
    let inserted = execute!(conn, sqlx::query(sql).bind(gateway.as_str()).bind(event_id).bind(outcome).bind(now)).map_err(db_error)?;
    Ok(inserted > 0)
}

/// How many notifications were handled, by outcome (for the tests and the benchmarks).
pub async fn event_outcomes(conn: &mut Conn<'_>, gateway: Gateway) -> Result<Vec<(String, i64)>> {
    let sql = "SELECT outcome, COUNT(*) FROM gateway_events WHERE gateway = $1 GROUP BY outcome ORDER BY outcome";
    on_conn!(conn, c => sqlx::query_as(sql).bind(gateway.as_str()).fetch_all(c).await).map_err(db_error)
}
