//! Comments on tasks, their earlier versions and their mentions.

use crate::scope::Scope;
use crate::{Conn, db_error, execute, on_conn};
use chrono::{DateTime, Utc};
use domain::access::CommentFacts;
use domain::ids::{ClientOrgId, CommentId, ProjectId, TaskId, UserId};
use domain::{Error, Result};
use serde::Serialize;
use uuid::Uuid;

#[derive(Clone, Debug, Serialize, sqlx::FromRow)]
pub struct Comment {
    pub id: CommentId,
    pub task_id: TaskId,
    pub author_id: UserId,
    pub author_name: String,
    pub author_org_id: Option<ClientOrgId>,
    pub author_org_name: Option<String>,
    pub body: String,
    pub internal: bool,
    pub created_at: DateTime<Utc>,
    pub edited_at: Option<DateTime<Utc>>,
    pub deleted_at: Option<DateTime<Utc>>,
}

impl Comment {
    pub fn facts(&self) -> CommentFacts {
        CommentFacts {
            internal: self.internal,
            author_org: self.author_org_id,
        }
    }
}

const COMMENT_COLUMNS: &str = "c.id, c.task_id, c.author_id, u.name AS author_name, c.author_org_id, o.name AS author_org_name, \
     c.body, c.internal, c.created_at, c.edited_at, c.deleted_at";
const COMMENT_JOINS: &str = "JOIN users u ON u.id = c.author_id LEFT JOIN client_orgs o ON o.id = c.author_org_id";

pub struct NewComment<'a> {
    pub id: CommentId,
    pub task: TaskId,
    pub project: ProjectId,
    pub author: UserId,
    pub author_org: Option<ClientOrgId>,
    pub body: &'a str,
    pub internal: bool,
}

pub async fn insert(conn: &mut Conn<'_>, comment: &NewComment<'_>, now: DateTime<Utc>) -> Result<()> {
    let sql = "INSERT INTO comments (id, task_id, project_id, author_id, author_org_id, body, internal, created_at) \
               VALUES ($1, $2, $3, $4, $5, $6, $7, $8)";
    execute!(
        conn,
        sqlx::query(sql)
            .bind(comment.id.0)
            .bind(comment.task.0)
            .bind(comment.project.0)
            .bind(comment.author.0)
            .bind(comment.author_org.map(|o| o.0))
            .bind(comment.body)
            .bind(comment.internal)
            .bind(now)
    )
    .map_err(db_error)?;
    Ok(())
}

pub async fn add_mentions(conn: &mut Conn<'_>, comment: CommentId, users: &[UserId]) -> Result<()> {
    for user in users {
        let sql = "INSERT INTO comment_mentions (comment_id, user_id) VALUES ($1, $2) ON CONFLICT DO NOTHING";
        execute!(conn, sqlx::query(sql).bind(comment.0).bind(user.0)).map_err(db_error)?;
    }
    Ok(())
}

/// The comments of a task the viewer sees, oldest first, a page at a time.
pub async fn list(
    conn: &mut Conn<'_>,
    scope: &Scope,
    project: ProjectId,
    task: TaskId,
    limit: i64,
    offset: i64,
) -> Result<(Vec<Comment>, i64)> {
    let predicate = format!("c.task_id = $3 AND t.project_id = $4 AND {}", scope.comments());
    let count_sql = format!("SELECT COUNT(*) FROM comments c JOIN tasks t ON t.id = c.task_id WHERE {predicate}");
    let sql = format!(
        "SELECT {COMMENT_COLUMNS} FROM comments c JOIN tasks t ON t.id = c.task_id {COMMENT_JOINS} \
         WHERE {predicate} ORDER BY c.created_at, c.id LIMIT $5 OFFSET $6"
    );
    on_conn!(conn, c => {
        let total: std::result::Result<i64, sqlx::Error> = sqlx::query_scalar(&count_sql)
            .bind(scope.subject()).bind(scope.permissions()).bind(task.0).bind(project.0)
            .fetch_one(&mut *c).await;
        match total {
            Ok(total) => sqlx::query_as(&sql)
                .bind(scope.subject()).bind(scope.permissions()).bind(task.0).bind(project.0).bind(limit).bind(offset)
                .fetch_all(c).await.map(|rows| (rows, total)),
            Err(e) => Err(e),
        }
    })
    .map_err(db_error)
}

/// One comment the viewer sees, resolved within its project and task.
pub async fn get(conn: &mut Conn<'_>, scope: &Scope, project: ProjectId, task: TaskId, id: CommentId) -> Result<Comment> {
    let sql = format!(
        "SELECT {COMMENT_COLUMNS} FROM comments c JOIN tasks t ON t.id = c.task_id {COMMENT_JOINS} \
         WHERE c.id = $3 AND c.task_id = $4 AND t.project_id = $5 AND {}",
        scope.comments()
    );
    let row: Option<Comment> = on_conn!(conn, c => sqlx::query_as(&sql)
        .bind(scope.subject()).bind(scope.permissions()).bind(id.0).bind(task.0).bind(project.0)
        .fetch_optional(c).await)
    .map_err(db_error)?;
    row.ok_or(Error::NotFound)
}

/// Replaces a comment's body, keeping the earlier one as a revision.
pub async fn edit(conn: &mut Conn<'_>, id: CommentId, previous: &str, body: &str, by: UserId, now: DateTime<Utc>) -> Result<()> {
    keep_revision(conn, id, previous, by, now).await?;
    let sql = "UPDATE comments SET body = $2, edited_at = $3 WHERE id = $1 AND deleted_at IS NULL";
    let changed = execute!(conn, sqlx::query(sql).bind(id.0).bind(body).bind(now)).map_err(db_error)?;
    if changed == 0 { Err(Error::NotFound) } else { Ok(()) }
}

/// Deletes a comment: the body is kept as a revision, the comment shows as deleted.
pub async fn delete(conn: &mut Conn<'_>, id: CommentId, previous: &str, by: UserId, now: DateTime<Utc>) -> Result<()> {
    keep_revision(conn, id, previous, by, now).await?;
    let sql = "UPDATE comments SET body = '', deleted_at = $2, deleted_by = $3 WHERE id = $1 AND deleted_at IS NULL";
    let changed = execute!(conn, sqlx::query(sql).bind(id.0).bind(now).bind(by.0)).map_err(db_error)?;
    if changed == 0 { Err(Error::NotFound) } else { Ok(()) }
}

async fn keep_revision(conn: &mut Conn<'_>, id: CommentId, previous: &str, by: UserId, now: DateTime<Utc>) -> Result<()> {
    let sql = "INSERT INTO comment_revisions (id, comment_id, body, replaced_at, replaced_by) VALUES ($1, $2, $3, $4, $5)";
    execute!(
        conn,
        sqlx::query(sql).bind(Uuid::now_v7()).bind(id.0).bind(previous).bind(now).bind(by.0)
    )
    .map_err(db_error)?;
    Ok(())
}

#[derive(Clone, Debug, Serialize, sqlx::FromRow)]
pub struct Revision {
    pub comment_id: CommentId,
    pub body: String,
    pub replaced_at: DateTime<Utc>,
    pub replaced_by_name: String,
}

/// The earlier versions of every comment of a task, by comment, newest first (staff only: the
/// caller checks). One query for the whole thread.
pub async fn revisions_of_task(conn: &mut Conn<'_>, task: TaskId) -> Result<std::collections::HashMap<CommentId, Vec<Revision>>> {
    let sql = "SELECT r.comment_id, r.body, r.replaced_at, u.name AS replaced_by_name FROM comment_revisions r \
               JOIN comments c ON c.id = r.comment_id JOIN users u ON u.id = r.replaced_by \
               WHERE c.task_id = $1 ORDER BY r.replaced_at DESC";
    let rows: Vec<Revision> = on_conn!(conn, c => sqlx::query_as(sql).bind(task.0).fetch_all(c).await).map_err(db_error)?;
    let mut by_comment: std::collections::HashMap<CommentId, Vec<Revision>> = std::collections::HashMap::new();
    for row in rows {
        by_comment.entry(row.comment_id).or_default().push(row);
    }
    Ok(by_comment)
}
