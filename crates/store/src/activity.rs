//! The activity feed. Events name the items they are about; who may see an event is decided
//! when it is read, against the items' current state.

use crate::scope::Scope;
use crate::{Conn, db_error, execute, on_conn};
use chrono::{DateTime, Utc};
use domain::activity::ActivityKind;
use domain::ids::{ActivityId, CommentId, MilestoneId, ProjectId, TaskId, UserId};
use domain::{Error, Result};
use serde::Serialize;
use uuid::Uuid;

#[derive(Clone, Debug, Default)]
pub struct NewEvent {
    pub project: ProjectId,
    pub actor: Option<UserId>,
    pub task: Option<TaskId>,
    pub milestone: Option<MilestoneId>,
    pub comment: Option<CommentId>,
    /// Kind-specific words, such as the column a task moved to.
    pub detail: String,
}

pub async fn record(conn: &mut Conn<'_>, kind: ActivityKind, event: &NewEvent, now: DateTime<Utc>) -> Result<()> {
    let sql = "INSERT INTO activity (id, project_id, actor_id, kind, task_id, milestone_id, comment_id, client_safe, detail, created_at) \
               VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)";
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
            .bind(kind.client_safe())
            .bind(&event.detail)
            .bind(now)
    )
    .map_err(db_error)?;
    Ok(())
}

#[derive(Clone, Debug, Serialize, sqlx::FromRow)]
pub struct Entry {
    pub id: Uuid,
    pub project_id: Uuid,
    pub project_name: String,
    pub actor_name: Option<String>,
    pub kind: String,
    pub task_id: Option<Uuid>,
    pub task_name: Option<String>,
    pub milestone_id: Option<Uuid>,
    pub milestone_name: Option<String>,
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

/// The newest events the viewer may see, in one project or across all of theirs, before a
/// point in time (keyset pagination: pass the last entry's time and id for the next page).
pub async fn feed(
    conn: &mut Conn<'_>,
    scope: &Scope,
    project: Option<ProjectId>,
    before: Option<(DateTime<Utc>, Uuid)>,
    limit: i64,
) -> Result<Vec<Entry>> {
    // The newest events are chosen first, from the index on (project, time), and only they are
    // joined for names. Staff see every event of the projects they see; a client's events are
    // also checked against the current state of the items they are about.
    let client_conditions = if scope.viewer().is_client() {
        format!(
            "AND a.client_safe AND (a.actor_id IS NULL OR {people}) AND (a.task_id IS NULL OR ({tasks})) \
             AND (a.milestone_id IS NULL OR ({milestones})) AND (a.comment_id IS NULL OR ({comments}))",
            people = scope.people("ua"),
            tasks = scope.tasks(),
            milestones = scope.milestones(),
            comments = scope.comments(),
        )
    } else {
        String::new()
    };
    let client_joins = if scope.viewer().is_client() {
        "LEFT JOIN users ua ON ua.id = a.actor_id LEFT JOIN tasks t ON t.id = a.task_id \
         LEFT JOIN milestones m ON m.id = a.milestone_id LEFT JOIN comments c ON c.id = a.comment_id"
    } else {
        ""
    };
    let sql = format!(
        "SELECT e.id, e.project_id, p.name AS project_name, ua.name AS actor_name, e.kind, e.task_id, t.name AS task_name, \
           e.milestone_id, m.name AS milestone_name, e.detail, e.created_at \
         FROM (SELECT a.* FROM activity a {client_joins} \
               WHERE {projects} \
                 AND ($3 IS NULL OR a.project_id = $3) \
                 AND ($4 IS NULL OR a.created_at < $4 OR (a.created_at = $4 AND a.id < $5)) \
                 {client_conditions} \
               ORDER BY a.created_at DESC, a.id DESC LIMIT $6) e \
         JOIN projects p ON p.id = e.project_id \
         LEFT JOIN users ua ON ua.id = e.actor_id \
         LEFT JOIN tasks t ON t.id = e.task_id \
         LEFT JOIN milestones m ON m.id = e.milestone_id \
         ORDER BY e.created_at DESC, e.id DESC",
        projects = scope.projects("a.project_id"),
    );
    let (before_at, before_id) = before.map_or((None, None), |(at, id)| (Some(at), Some(id)));
    on_conn!(conn, c => sqlx::query_as(&sql)
        .bind(scope.subject()).bind(scope.permissions()).bind(project.map(|p| p.0)).bind(before_at).bind(before_id).bind(limit)
        .fetch_all(c).await)
    .map_err(db_error)
}
