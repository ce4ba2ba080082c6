//! Conversations and their participants. Who sees one is `Scope::conversations`, the SQL twin
//! of `domain::access::conversation_visibility`; the participants rule (one client
//! organisation at most) is checked by the caller with `domain::conversations::client_org_of`.

use crate::scope::Scope;
use crate::{Conn, db_error, execute, on_conn};
use chrono::{DateTime, Utc};
use domain::conversations::ConversationKind;
use domain::ids::{ClientOrgId, ConversationId, MessageId, ProjectId, UserId};
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
        add_participant(conn, new.id, *person, now).await?;
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

/// A message as a participant reads it. A deleted one is a tombstone: its body is gone.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct Message {
    pub id: MessageId,
    pub conversation_id: ConversationId,
    pub author_id: UserId,
    pub author_name: String,
    pub body: String,
    pub reply_to_id: Option<MessageId>,
    pub created_at: DateTime<Utc>,
    pub edited_at: Option<DateTime<Utc>>,
    pub deleted_at: Option<DateTime<Utc>>,
}

pub struct NewMessage<'a> {
    pub id: MessageId,
    pub conversation: ConversationId,
    pub author: UserId,
    pub body: &'a str,
    pub reply_to: Option<MessageId>,
}

/// Records a message and moves its conversation to the top of the lists. A reply must answer
/// a message of the same conversation: the caller checks, the foreign key cannot.
pub async fn insert_message(conn: &mut Conn<'_>, new: &NewMessage<'_>, now: DateTime<Utc>) -> Result<()> {
    let sql = "INSERT INTO messages (id, conversation_id, author_id, body, reply_to_id, created_at) VALUES ($1, $2, $3, $4, $5, $6)";
    execute!(
        conn,
        sqlx::query(sql)
            .bind(new.id)
            .bind(new.conversation)
            .bind(new.author)
            .bind(new.body)
            .bind(new.reply_to)
            .bind(now)
    )
    .map_err(db_error)?;
    let sql = "UPDATE conversations SET last_activity_at = $2 WHERE id = $1 AND last_activity_at < $2";
    execute!(conn, sqlx::query(sql).bind(new.conversation).bind(now)).map_err(db_error)?;
    Ok(())
}

/// A page of a conversation's messages the viewer sees, newest first; pass the last message's
/// time and id as `before` for the next (older) page. Empty for a conversation the viewer
/// does not see, exactly as for one without messages.
pub async fn messages(
    conn: &mut Conn<'_>,
    scope: &Scope,
    conversation: ConversationId,
    before: Option<(DateTime<Utc>, MessageId)>,
    limit: i64,
) -> Result<Vec<Message>> {
    let sql = format!(
        "SELECT ms.id, ms.conversation_id, ms.author_id, u.name AS author_name, \
           CASE WHEN ms.deleted_at IS NULL THEN ms.body ELSE '' END AS body, \
           ms.reply_to_id, ms.created_at, ms.edited_at, ms.deleted_at \
         FROM messages ms JOIN users u ON u.id = ms.author_id \
         WHERE ms.conversation_id = $4 AND ms.conversation_id IN (SELECT v.id FROM conversations v WHERE v.id = $4 AND {}) {keyset} \
         ORDER BY ms.created_at DESC, ms.id DESC LIMIT $5",
        scope.conversations("$3"),
        keyset = if before.is_some() {
            "AND (ms.created_at, ms.id) < ($6, $7)"
        } else {
            ""
        },
    );
    on_conn!(conn, c => {
        let mut query = sqlx::query_as(&sql)
            .bind(scope.subject()).bind(scope.permissions()).bind(scope.person()).bind(conversation).bind(limit.clamp(1, 200));
        if let Some((at, id)) = before {
            query = query.bind(at).bind(id);
        }
        query.fetch_all(c).await
    })
    .map_err(crate::row_error(format_args!("a message of conversation {conversation}")))
}

/// The conversation a message belongs to, for checking a reply's target.
pub async fn message_conversation(conn: &mut Conn<'_>, id: MessageId) -> Result<Option<ConversationId>> {
    let sql = "SELECT conversation_id FROM messages WHERE id = $1";
    on_conn!(conn, c => sqlx::query_scalar(sql).bind(id).fetch_optional(c).await).map_err(db_error)
}

/// Adds a participant (a member of staff joining a project discussion by writing in it).
pub async fn add_participant(conn: &mut Conn<'_>, id: ConversationId, person: UserId, now: DateTime<Utc>) -> Result<()> {
    let sql = "INSERT INTO conversation_participants (conversation_id, user_id, added_at) VALUES ($1, $2, $3) \
               ON CONFLICT (conversation_id, user_id) DO NOTHING";
    execute!(conn, sqlx::query(sql).bind(id).bind(person).bind(now)).map_err(db_error)?;
    Ok(())
}

/// The direct message between two people, if they have one.
pub async fn find_direct(conn: &mut Conn<'_>, one: UserId, other: UserId) -> Result<Option<ConversationId>> {
    let sql = "SELECT a.conversation_id FROM conversation_participants a \
               JOIN conversation_participants b ON b.conversation_id = a.conversation_id AND b.user_id = $2 \
               JOIN conversations v ON v.id = a.conversation_id AND v.kind = 'direct' \
               WHERE a.user_id = $1 ORDER BY a.conversation_id LIMIT 1";
    on_conn!(conn, c => sqlx::query_scalar(sql).bind(one).bind(other).fetch_optional(c).await).map_err(db_error)
}
