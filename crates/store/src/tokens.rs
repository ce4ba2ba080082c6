//! Single-use password tokens (invitations and resets) and personal access tokens for the API.
//! Both are stored only as SHA-256 hashes of the random secret.

use crate::{Conn, db_error, execute, on_conn};
use chrono::{DateTime, Utc};
use domain::Result;
use domain::ids::{ApiTokenId, UserId};
use uuid::Uuid;

/// Why a password token was issued.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PasswordPurpose {
    Invite,
    Reset,
}

impl PasswordPurpose {
    fn as_str(self) -> &'static str {
        match self {
            PasswordPurpose::Invite => "invite",
            PasswordPurpose::Reset => "reset",
        }
    }
}

pub async fn insert_password_token(
    conn: &mut Conn<'_>,
    token_hash: &[u8],
    user_id: UserId,
    purpose: PasswordPurpose,
    now: DateTime<Utc>,
    expires_at: DateTime<Utc>,
) -> Result<()> {
    let sql = "INSERT INTO password_tokens (token_hash, user_id, purpose, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)";
    execute!(
        conn,
        sqlx::query(sql)
            .bind(token_hash)
            .bind(user_id.0)
            .bind(purpose.as_str())
            .bind(now)
            .bind(expires_at)
    )
    .map_err(db_error)?;
    Ok(())
}

/// The owner of an unused, unexpired password token, without consuming it (to show the form).
pub async fn peek_password_token(conn: &mut Conn<'_>, token_hash: &[u8], now: DateTime<Utc>) -> Result<Option<UserId>> {
    let sql = "SELECT user_id FROM password_tokens WHERE token_hash = $1 AND used_at IS NULL AND expires_at > $2";
    let id: Option<Uuid> =
        on_conn!(conn, c => sqlx::query_scalar(sql).bind(token_hash).bind(now).fetch_optional(c).await).map_err(db_error)?;
    Ok(id.map(UserId))
}

/// Marks the token used and returns its owner; `None` if it was already used, expired or
/// unknown. One atomic statement, so two concurrent uses cannot both succeed.
pub async fn consume_password_token(conn: &mut Conn<'_>, token_hash: &[u8], now: DateTime<Utc>) -> Result<Option<UserId>> {
    let sql = "UPDATE password_tokens SET used_at = $2 WHERE token_hash = $1 AND used_at IS NULL AND expires_at > $2 RETURNING user_id";
    let id: Option<Uuid> =
        on_conn!(conn, c => sqlx::query_scalar(sql).bind(token_hash).bind(now).fetch_optional(c).await).map_err(db_error)?;
    Ok(id.map(UserId))
}

/// Invalidates every outstanding password token of a person (after a successful change).
pub async fn retire_password_tokens(conn: &mut Conn<'_>, user_id: UserId, now: DateTime<Utc>) -> Result<()> {
    let sql = "UPDATE password_tokens SET used_at = $2 WHERE user_id = $1 AND used_at IS NULL";
    execute!(conn, sqlx::query(sql).bind(user_id.0).bind(now)).map_err(db_error)?;
    Ok(())
}

pub async fn insert_api_token(
    conn: &mut Conn<'_>,
    user_id: UserId,
    name: &str,
    token_hash: &[u8],
    now: DateTime<Utc>,
) -> Result<ApiTokenId> {
    let id = ApiTokenId::new();
    let sql = "INSERT INTO api_tokens (id, user_id, name, token_hash, created_at) VALUES ($1, $2, $3, $4, $5)";
    execute!(
        conn,
        sqlx::query(sql).bind(id.0).bind(user_id.0).bind(name).bind(token_hash).bind(now)
    )
    .map_err(db_error)?;
    Ok(id)
}

/// The owner of an unrevoked API token.
pub async fn api_token_owner(conn: &mut Conn<'_>, token_hash: &[u8]) -> Result<Option<UserId>> {
    let sql = "SELECT user_id FROM api_tokens WHERE token_hash = $1 AND revoked_at IS NULL";
    let id: Option<Uuid> = on_conn!(conn, c => sqlx::query_scalar(sql).bind(token_hash).fetch_optional(c).await).map_err(db_error)?;
    Ok(id.map(UserId))
}
