//! Settings changed in the admin pages. Values are text; secrets arrive already encrypted by
//! the application, and `encrypted` records which ones are.

use crate::{Conn, db_error, execute, on_conn};
use chrono::{DateTime, Utc};
use domain::Result;
use domain::ids::UserId;

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct Setting {
    pub key: String,
    pub value: String,
    pub encrypted: bool,
}

/// Every stored setting whose key starts with `prefix` (`invoices.`, `gateways.stripe.`).
pub async fn with_prefix(conn: &mut Conn<'_>, prefix: &str) -> Result<Vec<Setting>> {
    let sql = "SELECT key, value, encrypted FROM settings WHERE substr(key, 1, length($1)) = $1 ORDER BY key";
    on_conn!(conn, c => sqlx::query_as(sql).bind(prefix).fetch_all(c).await).map_err(db_error)
}

pub async fn put(conn: &mut Conn<'_>, key: &str, value: &str, encrypted: bool, by: Option<UserId>, now: DateTime<Utc>) -> Result<()> {
    let sql = "INSERT INTO settings (key, value, encrypted, updated_by, updated_at) VALUES ($1, $2, $3, $4, $5) \
               ON CONFLICT (key) DO UPDATE SET value = $2, encrypted = $3, updated_by = $4, updated_at = $5";
    execute!(
        conn,
        sqlx::query(sql)
            .bind(key)
            .bind(value)
            .bind(encrypted)
            .bind(by.map(|u| u.0))
            .bind(now)
    )
    .map_err(db_error)?;
    Ok(())
}

/// Stores a setting unless it exists; returns the value that is stored afterwards (ours, or
/// the one another node stored first).
pub async fn put_if_absent(conn: &mut Conn<'_>, key: &str, value: &str, encrypted: bool, now: DateTime<Utc>) -> Result<String> {
    let sql = "INSERT INTO settings (key, value, encrypted, updated_by, updated_at) VALUES ($1, $2, $3, NULL, $4) \
               ON CONFLICT (key) DO NOTHING";
    execute!(conn, sqlx::query(sql).bind(key).bind(value).bind(encrypted).bind(now)).map_err(db_error)?;
    let sql = "SELECT value FROM settings WHERE key = $1";
    on_conn!(conn, c => sqlx::query_scalar(sql).bind(key).fetch_one(c).await).map_err(db_error)
}

/// Removes a setting.
pub async fn delete(conn: &mut Conn<'_>, key: &str) -> Result<()> {
    execute!(conn, sqlx::query("DELETE FROM settings WHERE key = $1").bind(key)).map_err(db_error)?;
    Ok(())
}
