//! Conversations and their participants. Who sees one is `Scope::conversations`, the SQL twin
//! of `domain::access::conversation_visibility`; the participants rule (one client
//! organisation at most) is checked by the caller with `domain::conversations::client_org_of`.

use crate::scope::Scope;
use crate::{Conn, db_error, execute, on_conn};
use chrono::{DateTime, Utc};
use domain::conversations::ConversationKind;
use domain::ids::{ClientOrgId, ConversationId, ProjectId, UserId};
use domain::users::{Page, PageRequest};
use domain::{Error, Result};

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct Conversation {
    pub id: ConversationId,
    pub kind: ConversationKind,
    pub project_id: Option<ProjectId>,
    pub client_org_id: Option<ClientOrgId>,
    pub title: String,
    pub created_at: DateTime<Utc>,
    pub last_activity_at: DateTime<Utc>,
}

const COLUMNS: &str = "v.id, v.kind, v.project_id, v.client_org_id, v.title, v.created_at, v.last_activity_at";

pub struct NewConversation<'a> {
    pub id: ConversationId,
    pub kind: ConversationKind,
    pub project: Option<ProjectId>,
    /// As `client_org_of` found it from the participants.
    pub client_org: Option<ClientOrgId>,
    pub title: &'a str,
    pub created_by: UserId,
    pub participants: &'a [UserId],
}

/// Records a conversation and its participants.
pub async fn insert(conn: &mut Conn<'_>, new: &NewConversation<'_>, now: DateTime<Utc>) -> Result<()> {
    let sql = "INSERT INTO conversations (id, kind, project_id, client_org_id, title, created_by, created_at, last_activity_at) \
               VALUES ($1, $2, $3, $4, $5, $6, $7, $7)";
    execute!(
        conn,
        sqlx::query(sql)
            .bind(new.id)
            .bind(new.kind)
            .bind(new.project)
            .bind(new.client_org)
            .bind(new.title)
            .bind(new.created_by)
            .bind(now)
    )
    .map_err(db_error)?;
    for person in new.participants {
        let sql = "INSERT INTO conversation_participants (conversation_id, user_id, added_at) VALUES ($1, $2, $3) \
                   ON CONFLICT (conversation_id, user_id) DO NOTHING";
        execute!(conn, sqlx::query(sql).bind(new.id).bind(*person).bind(now)).map_err(db_error)?;
    }
    Ok(())
}

/// The conversations the viewer sees, the most recently active first.
pub async fn list(conn: &mut Conn<'_>, scope: &Scope, page: PageRequest) -> Result<Page<Conversation>> {
    let predicate = scope.conversations("$3");
    let count_sql = format!("SELECT COUNT(*) FROM conversations v WHERE {predicate}");
    let total: i64 = on_conn!(conn, c => sqlx::query_scalar(&count_sql)
        .bind(scope.subject()).bind(scope.permissions()).bind(scope.person())
        .fetch_one(c).await)
    .map_err(db_error)?;
    let sql =
        format!("SELECT {COLUMNS} FROM conversations v WHERE {predicate} ORDER BY v.last_activity_at DESC, v.id DESC LIMIT $4 OFFSET $5");
    let items = on_conn!(conn, c => sqlx::query_as(&sql)
        .bind(scope.subject()).bind(scope.permissions()).bind(scope.person()).bind(page.limit()).bind(page.offset())
        .fetch_all(c).await)
    .map_err(crate::row_error("a conversation of the list"))?;
    Ok(Page {
        items,
        total: total.max(0) as u64,
        page: page.page,
        per_page: page.per_page,
    })
}

/// One conversation if the viewer sees it; `NotFound` otherwise, with no hint that it exists.
pub async fn get(conn: &mut Conn<'_>, scope: &Scope, id: ConversationId) -> Result<Conversation> {
    let sql = format!(
        "SELECT {COLUMNS} FROM conversations v WHERE v.id = $4 AND {}",
        scope.conversations("$3")
    );
    let row: Option<Conversation> = on_conn!(conn, c => sqlx::query_as(&sql)
        .bind(scope.subject()).bind(scope.permissions()).bind(scope.person()).bind(id)
        .fetch_optional(c).await)
    .map_err(crate::row_error(format_args!("conversation {id}")))?;
    row.ok_or(Error::NotFound)
}

/// The participants of a conversation the caller has found visible.
pub async fn participants(conn: &mut Conn<'_>, id: ConversationId) -> Result<Vec<UserId>> {
    let sql = "SELECT user_id FROM conversation_participants WHERE conversation_id = $1 ORDER BY added_at, user_id";
    on_conn!(conn, c => sqlx::query_scalar(sql).bind(id).fetch_all(c).await).map_err(db_error)
}
