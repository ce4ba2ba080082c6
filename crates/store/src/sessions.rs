//! Login sessions. Only the SHA-256 of the random token is stored: a leaked table opens no
//! session.

use crate::{Conn, db_error, execute, on_conn};
use chrono::{DateTime, Utc};
use domain::Result;
use domain::ids::UserId;
use uuid::Uuid;

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

/// A live session: its owner and when it was last used (for idle expiry).
#[derive(Debug, sqlx::FromRow)]
pub struct LiveSession {
    pub user_id: Uuid,
    pub last_seen_at: DateTime<Utc>,
}

/// The session with this token hash, unless it has passed its absolute expiry.
pub async fn find(conn: &mut Conn<'_>, token_hash: &[u8], now: DateTime<Utc>) -> Result<Option<LiveSession>> {
    let sql = "SELECT user_id, last_seen_at FROM sessions WHERE token_hash = $1 AND expires_at > $2";
    on_conn!(conn, c => sqlx::query_as(sql).bind(token_hash).bind(now).fetch_optional(c).await).map_err(db_error)
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
