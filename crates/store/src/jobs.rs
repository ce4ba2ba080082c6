//! The outbox: side effects written in the same transaction as the change that causes them,
//! then delivered by workers with retries. A claimed job carries a lease (`locked_until`):
//! if its worker dies, the job becomes due again when the lease runs out.

use crate::{Backend, Conn, db_error, execute, on_conn};
use chrono::{DateTime, Utc};
use domain::Result;
use domain::ids::JobId;

pub async fn enqueue(
    conn: &mut Conn<'_>,
    kind: &str,
    payload: &str,
    max_attempts: i64,
    run_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<JobId> {
    let id = JobId::new();
    let sql = "INSERT INTO jobs (id, kind, payload, status, attempts, max_attempts, run_at, created_at) \
               VALUES ($1, $2, $3, 'pending', 0, $4, $5, $6)";
    execute!(
        conn,
        sqlx::query(sql)
            .bind(id.0)
            .bind(kind)
            .bind(payload)
            .bind(max_attempts)
            .bind(run_at)
            .bind(now)
    )
    .map_err(db_error)?;
    Ok(id)
}

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct ClaimedJob {
    pub id: JobId,
    pub kind: String,
    pub payload: String,
    /// Including this one.
    pub attempts: i64,
    pub max_attempts: i64,
    /// When it was queued (or queued again by hand): retries stop a set time after it.
    pub created_at: DateTime<Utc>,
}

/// Claims the oldest due job until `lease_until`, counting the attempt. PostgreSQL skips
/// rows other workers hold; SQLite's single writer makes the one statement atomic.
pub async fn claim(conn: &mut Conn<'_>, now: DateTime<Utc>, lease_until: DateTime<Utc>) -> Result<Option<ClaimedJob>> {
    let lock = match conn.backend() {
        Backend::Postgres => "FOR UPDATE SKIP LOCKED",
        Backend::Sqlite => "",
    };
    let sql = format!(
        "UPDATE jobs SET locked_until = $2, attempts = attempts + 1 WHERE id = (\
           SELECT id FROM jobs WHERE status = 'pending' AND run_at <= $1 AND (locked_until IS NULL OR locked_until <= $1) \
           ORDER BY run_at, id LIMIT 1 {lock}) \
         RETURNING id, kind, payload, attempts, max_attempts, created_at"
    );
    on_conn!(conn, c => sqlx::query_as(&sql).bind(now).bind(lease_until).fetch_optional(c).await).map_err(db_error)
}

/// Marks a job done and drops its payload: an email's payload may hold a single-use link,
/// which must not outlive its delivery in the table.
pub async fn complete(conn: &mut Conn<'_>, id: JobId, now: DateTime<Utc>) -> Result<()> {
    let sql = "UPDATE jobs SET status = 'done', payload = '', finished_at = $2, locked_until = NULL, last_error = NULL WHERE id = $1";
    execute!(conn, sqlx::query(sql).bind(id).bind(now)).map_err(db_error)?;
    Ok(())
}

/// Records a failed attempt: due again at `retry_at`, or failed for good when `None`.
pub async fn fail(conn: &mut Conn<'_>, id: JobId, error: &str, retry_at: Option<DateTime<Utc>>, now: DateTime<Utc>) -> Result<()> {
    let sql = "UPDATE jobs SET status = CASE WHEN $3 IS NULL THEN 'failed' ELSE 'pending' END, \
               run_at = COALESCE($3, run_at), locked_until = NULL, last_error = $2, \
               finished_at = CASE WHEN $3 IS NULL THEN $4 ELSE NULL END WHERE id = $1";
    execute!(conn, sqlx::query(sql).bind(id).bind(error).bind(retry_at).bind(now)).map_err(db_error)?;
    Ok(())
}

/// How many jobs are in each state, for the admin's health view and tests.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct JobCounts {
    pub pending: i64,
    pub done: i64,
    pub failed: i64,
}

pub async fn counts(conn: &mut Conn<'_>) -> Result<JobCounts> {
    let sql = "SELECT status, COUNT(*) FROM jobs GROUP BY status";
    let rows: Vec<(String, i64)> = on_conn!(conn, c => sqlx::query_as(sql).fetch_all(c).await).map_err(db_error)?;
    let mut counts = JobCounts::default();
    for (status, n) in rows {
        match status.as_str() {
            "pending" => counts.pending = n,
            "done" => counts.done = n,
            _ => counts.failed += n,
        }
    }
    Ok(counts)
}

/// Makes every job waiting for a retry (the only jobs due later) due now: at start-up, so that mail held back by an
/// outage goes out as soon as the server is back rather than at its next scheduled try.
/// Returns how many.
pub async fn retry_waiting_now(conn: &mut Conn<'_>, now: DateTime<Utc>) -> Result<u64> {
    let sql = "UPDATE jobs SET run_at = $1 WHERE status = 'pending' AND run_at > $1 \
               AND (locked_until IS NULL OR locked_until <= $1)";
    execute!(conn, sqlx::query(sql).bind(now)).map_err(db_error)
}

/// A job that failed for good, for the admins' list.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct FailedJob {
    pub id: JobId,
    pub kind: String,
    pub payload: String,
    pub attempts: i64,
    pub last_error: Option<String>,
    pub finished_at: Option<DateTime<Utc>>,
}

/// Jobs that failed for good, the latest first.
pub async fn failed(conn: &mut Conn<'_>, limit: i64, offset: i64) -> Result<Vec<FailedJob>> {
    let sql = "SELECT id, kind, payload, attempts, last_error, finished_at FROM jobs WHERE status = 'failed' \
               ORDER BY finished_at DESC, id DESC LIMIT $1 OFFSET $2";
    on_conn!(conn, c => sqlx::query_as(sql).bind(limit).bind(offset).fetch_all(c).await).map_err(db_error)
}

/// Queues failed jobs again (one, or all with `None`), as if new: due now, no attempts yet,
/// and a fresh retry horizon. Returns how many.
pub async fn retry_failed(conn: &mut Conn<'_>, id: Option<JobId>, now: DateTime<Utc>) -> Result<u64> {
    let sql = "UPDATE jobs SET status = 'pending', run_at = $2, created_at = $2, attempts = 0, locked_until = NULL, \
               finished_at = NULL WHERE status = 'failed' AND ($1 IS NULL OR id = $1)";
    execute!(conn, sqlx::query(sql).bind(id).bind(now)).map_err(db_error)
}

/// The earliest time a pending job becomes due, so an idle worker sleeps exactly that long.
pub async fn next_due(conn: &mut Conn<'_>) -> Result<Option<DateTime<Utc>>> {
    let sql = "SELECT MIN(CASE WHEN locked_until > run_at THEN locked_until ELSE run_at END) FROM jobs WHERE status = 'pending'";
    on_conn!(conn, c => sqlx::query_scalar(sql).fetch_one(c).await).map_err(db_error)
}
