//! The audit trail: who did what to whom, kept forever (deactivation history, say).

use crate::{Conn, db_error, execute, on_conn};
use chrono::{DateTime, Utc};
use domain::Result;
use domain::ids::UserId;
use serde::Serialize;
use uuid::Uuid;

pub async fn record(
    conn: &mut Conn<'_>,
    actor: Option<UserId>,
    action: &str,
    subject: Option<Uuid>,
    detail: &str,
    now: DateTime<Utc>,
) -> Result<()> {
    let sql = "INSERT INTO audit_log (id, actor_id, action, subject_id, detail, created_at) VALUES ($1, $2, $3, $4, $5, $6)";
    execute!(
        conn,
        sqlx::query(sql)
            .bind(Uuid::now_v7())
            .bind(actor.map(|a| a.0))
            .bind(action)
            .bind(subject)
            .bind(detail)
            .bind(now)
    )
    .map_err(db_error)?;
    Ok(())
}

#[derive(Clone, Debug, Serialize, sqlx::FromRow)]
pub struct AuditEntry {
    pub action: String,
    pub actor_name: Option<String>,
    pub detail: String,
    pub created_at: DateTime<Utc>,
}

/// The newest entries about one subject, newest first.
pub async fn for_subject(conn: &mut Conn<'_>, subject: Uuid, limit: i64) -> Result<Vec<AuditEntry>> {
    let sql = "SELECT a.action, u.name AS actor_name, a.detail, a.created_at FROM audit_log a \
               LEFT JOIN users u ON u.id = a.actor_id WHERE a.subject_id = $1 ORDER BY a.created_at DESC, a.id DESC LIMIT $2";
    on_conn!(conn, c => sqlx::query_as(sql).bind(subject).bind(limit).fetch_all(c).await).map_err(db_error)
}
