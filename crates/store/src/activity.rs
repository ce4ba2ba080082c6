//! The activity feed. Events name the items they are about; who may see an event is decided
//! when it is read, against the items' current state.

use crate::scope::Scope;
use crate::{Conn, db_error, execute, on_conn};
use chrono::{DateTime, Utc};
use domain::activity::ActivityKind;
use domain::ids::{ActivityId, ClientOrgId, CommentId, FileId, MilestoneId, ProjectId, TaskId, UserId};
use domain::{Error, Result};
use serde::Serialize;

#[derive(Clone, Debug, Default)]
pub struct NewEvent {
    pub project: ProjectId,
    pub actor: Option<UserId>,
    pub task: Option<TaskId>,
    pub milestone: Option<MilestoneId>,
    pub comment: Option<CommentId>,
    pub file: Option<FileId>,
    /// Kind-specific words, such as the column a task moved to.
    pub detail: String,
    /// The one client organisation the event is for (a review's); `None`: everyone who sees
    /// its items.
    pub audience: Option<ClientOrgId>,
}

pub async fn record(conn: &mut Conn<'_>, kind: ActivityKind, event: &NewEvent, now: DateTime<Utc>) -> Result<()> {
    let sql = "INSERT INTO activity (id, project_id, actor_id, kind, task_id, milestone_id, comment_id, file_id, client_safe, detail, created_at, audience_org_id) \
               VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)";
    execute!(
        conn,
        sqlx::query(sql)
            .bind(ActivityId::new().0)
            .bind(event.project.0)
            .bind(event.actor.map(|u| u.0))
            .bind(kind.as_str())
            .bind(event.task.map(|t| t.0))
            .bind(event.milestone.map(|m| m.0))
            .bind(event.comment.map(|c| c.0))
            .bind(event.file.map(|f| f.0))
            .bind(kind.client_safe())
            .bind(&event.detail)
            .bind(now)
            .bind(event.audience.map(|o| o.0))
    )
    .map_err(db_error)?;
    Ok(())
}

#[derive(Clone, Debug, Serialize, sqlx::FromRow)]
pub struct Entry {
    pub id: ActivityId,
    pub project_id: ProjectId,
    pub project_name: String,
    pub actor_id: Option<UserId>,
    pub actor_name: Option<String>,
    pub kind: String,
    pub task_id: Option<TaskId>,
    pub task_name: Option<String>,
    pub milestone_id: Option<MilestoneId>,
    pub milestone_name: Option<String>,
    pub file_id: Option<FileId>,
    pub detail: String,
    pub created_at: DateTime<Utc>,
}

impl Entry {
    pub fn kind(&self) -> Result<ActivityKind> {
        self.kind
            .parse()
            .map_err(|_| Error::internal(format!("unknown activity kind {}", self.kind)))
    }
}

/// An event among the newest of the viewer's projects, with whether the viewer may see it.
#[derive(sqlx::FromRow)]
struct Candidate {
    #[sqlx(flatten)]
    entry: Entry,
    shown: bool,
}

/// The newest events the viewer may see, in one project or across all of theirs, before a
/// point in time (keyset pagination: pass the last entry's time and id for the next page).
pub async fn feed(
    conn: &mut Conn<'_>,
    scope: &Scope,
    project: Option<ProjectId>,
    mut before: Option<(DateTime<Utc>, ActivityId)>,
    limit: i64,
) -> Result<Vec<Entry>> {
    // The newest events of the viewer's projects are chosen from the index on (project, time,
    // id) alone, a window at a time, and only they are joined and checked: a client may see an
    // event only if it is client-safe and its actor and items are visible to them now. Reading
    // and checking every event of a client's projects cost more than the rest of their
    // dashboard. Windows are three times the page, so one usually suffices.
    let window = limit.clamp(1, 100) * 3;
    let sql = feed_window_sql(scope);
    let mut entries = Vec::new();
    loop {
        let (before_at, before_id) = before.map_or((None, None), |(at, id)| (Some(at), Some(id)));
        let candidates: Vec<Candidate> = on_conn!(conn, c => sqlx::query_as(&sql)
            .bind(scope.subject()).bind(scope.permissions()).bind(project.map(|p| p.0)).bind(before_at).bind(before_id).bind(window)
            .fetch_all(c).await)
        .map_err(db_error)?;
        let exhausted = (candidates.len() as i64) < window;
        before = candidates.last().map(|c| (c.entry.created_at, c.entry.id));
        let wanted = limit as usize - entries.len();
        entries.extend(candidates.into_iter().filter(|c| c.shown).map(|c| c.entry).take(wanted));
        if entries.len() as i64 >= limit || exhausted {
            return Ok(entries);
        }
    }
}

fn feed_window_sql(scope: &Scope) -> String {
    let (shown, client_joins) = if scope.viewer().is_client() {
        (
            format!(
                "a.client_safe AND (a.audience_org_id IS NULL OR a.audience_org_id = $1) AND (a.actor_id IS NULL OR {people}) AND (a.task_id IS NULL OR ({tasks})) \
                 AND (a.milestone_id IS NULL OR ({milestones})) AND (a.comment_id IS NULL OR ({comments})) \
                 AND (a.file_id IS NULL OR ({files}))",
                people = scope.people("ua"),
                tasks = scope.tasks(),
                milestones = scope.milestones(),
                comments = scope.comments(),
                files = scope.files(),
            ),
            "LEFT JOIN comments c ON c.id = a.comment_id LEFT JOIN files f ON f.id = a.file_id",
        )
    } else {
        // Staff see every event of the projects they see. (A client check can be NULL where an
        // item has a NULL column; COALESCE below counts that as hidden, as WHERE would.)
        ("1 = 1".to_owned(), "")
    };
    format!(
        "SELECT a.id, a.project_id, p.name AS project_name, a.actor_id, ua.name AS actor_name, a.kind, a.task_id, t.name AS task_name, \
           a.milestone_id, m.name AS milestone_name, a.file_id, a.detail, a.created_at, COALESCE(({shown}), FALSE) AS shown \
         FROM (SELECT a.id FROM activity a \
               WHERE {projects} \
                 AND ($3 IS NULL OR a.project_id = $3) \
                 AND ($4 IS NULL OR a.created_at < $4 OR (a.created_at = $4 AND a.id < $5)) \
               ORDER BY a.created_at DESC, a.id DESC LIMIT $6) newest \
         JOIN activity a ON a.id = newest.id \
         JOIN projects p ON p.id = a.project_id \
         LEFT JOIN users ua ON ua.id = a.actor_id \
         LEFT JOIN tasks t ON t.id = a.task_id \
         LEFT JOIN milestones m ON m.id = a.milestone_id \
         {client_joins} \
         ORDER BY a.created_at DESC, a.id DESC",
        projects = scope.projects("a.project_id"),
    )
}
