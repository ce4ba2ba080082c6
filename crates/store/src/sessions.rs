//! Login sessions. Only the SHA-256 of the random token is stored: a leaked table opens no
//! session.

use crate::{Conn, db_error, execute};
use chrono::{DateTime, Utc};
use domain::Result;
use domain::ids::UserId;

pub struct NewSession<'a> {
    pub token_hash: &'a [u8],
    pub user_id: UserId,
    pub expires_at: DateTime<Utc>,
    pub ip: Option<&'a str>,
    pub user_agent: Option<&'a str>,
}

pub async fn insert(conn: &mut Conn<'_>, session: &NewSession<'_>, now: DateTime<Utc>) -> Result<()> {
    let sql = "INSERT INTO sessions (token_hash, user_id, created_at, last_seen_at, expires_at, ip, user_agent) \
               VALUES ($1, $2, $3, $3, $4, $5, $6)";
    execute!(
        conn,
        sqlx::query(sql)
            .bind(session.token_hash)
            .bind(session.user_id.0)
            .bind(now)
            .bind(session.expires_at)
            .bind(session.ip)
            .bind(session.user_agent)
    )
    .map_err(db_error)?;
    Ok(())
}

pub async fn touch(conn: &mut Conn<'_>, token_hash: &[u8], now: DateTime<Utc>) -> Result<()> {
    let sql = "UPDATE sessions SET last_seen_at = $2 WHERE token_hash = $1";
    execute!(conn, sqlx::query(sql).bind(token_hash).bind(now)).map_err(db_error)?;
    Ok(())
}

pub async fn delete(conn: &mut Conn<'_>, token_hash: &[u8]) -> Result<()> {
    let sql = "DELETE FROM sessions WHERE token_hash = $1";
    execute!(conn, sqlx::query(sql).bind(token_hash)).map_err(db_error)?;
    Ok(())
}

/// Ends every session of a person (deactivation, password change), except `keep` if given.
pub async fn delete_for_user(conn: &mut Conn<'_>, user_id: UserId, keep: Option<&[u8]>) -> Result<u64> {
    let sql = "DELETE FROM sessions WHERE user_id = $1 AND ($2 IS NULL OR token_hash <> $2)";
    execute!(conn, sqlx::query(sql).bind(user_id.0).bind(keep)).map_err(db_error)
}

/// Removes sessions past their absolute expiry or idle for longer than `idle_before` allows.
pub async fn delete_expired(conn: &mut Conn<'_>, now: DateTime<Utc>, idle_before: DateTime<Utc>) -> Result<u64> {
    let sql = "DELETE FROM sessions WHERE expires_at <= $1 OR last_seen_at < $2";
    execute!(conn, sqlx::query(sql).bind(now).bind(idle_before)).map_err(db_error)
}
