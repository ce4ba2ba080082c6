//! Counters of failed attempts (logins, reset requests) keyed by account or IP, kept in the
//! database so that every node behind a load balancer sees the same counts.

use crate::{Conn, db_error, execute, on_conn};
use chrono::{DateTime, Utc};
use domain::Result;
use domain::auth::ThrottleState;

pub async fn get(conn: &mut Conn<'_>, key: &str) -> Result<Option<ThrottleState>> {
    let sql = "SELECT failures, window_started_at, locked_until FROM auth_throttle WHERE key = $1";
    let row: Option<(i64, DateTime<Utc>, Option<DateTime<Utc>>)> =
        on_conn!(conn, c => sqlx::query_as(sql).bind(key).fetch_optional(c).await).map_err(db_error)?;
    Ok(row.map(|(failures, window_started_at, locked_until)| ThrottleState {
        failures,
        window_started_at,
        locked_until,
    }))
}

pub async fn put(conn: &mut Conn<'_>, key: &str, counter: &ThrottleState) -> Result<()> {
    let sql = "INSERT INTO auth_throttle (key, failures, window_started_at, locked_until) VALUES ($1, $2, $3, $4) \
               ON CONFLICT (key) DO UPDATE SET failures = excluded.failures, window_started_at = excluded.window_started_at, \
               locked_until = excluded.locked_until";
    execute!(
        conn,
        sqlx::query(sql)
            .bind(key)
            .bind(counter.failures)
            .bind(counter.window_started_at)
            .bind(counter.locked_until)
    )
    .map_err(db_error)?;
    Ok(())
}

pub async fn clear(conn: &mut Conn<'_>, key: &str) -> Result<()> {
    let sql = "DELETE FROM auth_throttle WHERE key = $1";
    execute!(conn, sqlx::query(sql).bind(key)).map_err(db_error)?;
    Ok(())
}
