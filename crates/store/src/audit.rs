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

/// An entry of the whole trail, with whom it is about.
#[derive(Clone, Debug, Serialize, sqlx::FromRow)]
pub struct AuditRow {
    pub id: Uuid,
    pub action: String,
    pub actor_id: Option<UserId>,
    pub actor_name: Option<String>,
    pub subject_id: Option<Uuid>,
    pub detail: String,
    pub created_at: DateTime<Utc>,
}

/// What to list of the trail: everything, or the entries about one subject or of one action.
#[derive(Clone, Debug, Default)]
pub struct AuditFilter {
    pub subject: Option<Uuid>,
    pub action: Option<String>,
}

/// A page of the trail, newest first.
pub async fn list(conn: &mut Conn<'_>, filter: &AuditFilter, limit: i64, offset: i64) -> Result<Vec<AuditRow>> {
    let mut conditions = vec!["1 = 1".to_owned()];
    let mut next = 1;
    if filter.subject.is_some() {
        conditions.push(format!("a.subject_id = ${next}"));
        next += 1;
    }
    if filter.action.is_some() {
        conditions.push(format!("a.action = ${next}"));
        next += 1;
    }
    let sql = format!(
        "SELECT a.id, a.action, a.actor_id, u.name AS actor_name, a.subject_id, a.detail, a.created_at FROM audit_log a \
         LEFT JOIN users u ON u.id = a.actor_id WHERE {} ORDER BY a.created_at DESC, a.id DESC LIMIT ${next} OFFSET ${}",
        conditions.join(" AND "),
        next + 1
    );
    on_conn!(conn, c => {
        let mut query = sqlx::query_as(&sql);
        if let Some(subject) = filter.subject {
            query = query.bind(subject);
        }
        if let Some(action) = &filter.action {
            query = query.bind(action);
        }
        query.bind(limit).bind(offset).fetch_all(c).await
    })
    .map_err(db_error)
}
