//! Tasks: the cards of a project's board, their assignees and their order.

use crate::scope::{Scope, placeholders};
use crate::{Conn, db_error, execute, on_conn};
use chrono::{DateTime, NaiveDate, Utc};
use domain::access::{ReviewFacts, TaskFacts};
use domain::ids::{ClientOrgId, ColumnId, MilestoneId, ProjectId, TaskId, UserId};
use domain::reviews::ReviewState;
use domain::tasks::{POSITION_GAP, Priority, TaskDetails};
use domain::{Error, Result};
use serde::Serialize;
use std::collections::HashMap;
use uuid::Uuid;

#[derive(Clone, Debug, Serialize, sqlx::FromRow)]
pub struct Task {
    pub id: TaskId,
    pub project_id: ProjectId,
    pub column_id: ColumnId,
    pub position: i64,
    pub name: String,
    pub description: String,
    pub priority: Priority,
    pub start_date: Option<NaiveDate>,
    pub due_date: Option<NaiveDate>,
    pub milestone_id: Option<MilestoneId>,
    pub client_visible: bool,
    pub review_enabled: bool,
    pub review_state: Option<ReviewState>,
    /// The client organisation the current review is addressed to.
    pub review_org_id: Option<ClientOrgId>,
    pub requested_by_org_id: Option<ClientOrgId>,
    pub completed_at: Option<DateTime<Utc>>,
    pub archived_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Task {
    pub fn facts(&self) -> TaskFacts {
        TaskFacts {
            client_visible: self.client_visible,
            archived: self.archived_at.is_some(),
        }
    }

    pub fn review_facts(&self) -> ReviewFacts {
        ReviewFacts {
            addressed_to: self.review_org_id,
        }
    }
}

/// A task's columns, with its review state as the viewer may see it (`None`: every state, for
/// staff work that is not shown to anyone).
fn task_columns(scope: Option<&Scope>) -> String {
    let review_state = scope.map_or("t.review_state", Scope::review_state);
    format!(
        "t.id, t.project_id, t.column_id, t.position, t.name, t.description, t.priority, t.start_date, \
         t.due_date, t.milestone_id, t.client_visible, t.review_enabled, {review_state} AS review_state, t.review_org_id, \
         t.requested_by_org_id, t.completed_at, t.archived_at, t.created_at, t.updated_at"
    )
}

pub struct NewTask<'a> {
    pub id: TaskId,
    pub project: ProjectId,
    pub column: ColumnId,
    pub position: i64,
    pub details: &'a TaskDetails,
    pub milestone: Option<MilestoneId>,
    pub client_visible: bool,
    pub review_enabled: bool,
    pub requested_by: Option<ClientOrgId>,
    pub created_by: Option<UserId>,
    pub completed_at: Option<DateTime<Utc>>,
}

pub async fn insert(conn: &mut Conn<'_>, task: &NewTask<'_>, now: DateTime<Utc>) -> Result<()> {
    let sql = "INSERT INTO tasks (id, project_id, column_id, position, name, description, priority, start_date, due_date, \
               milestone_id, client_visible, review_enabled, requested_by_org_id, created_by, completed_at, created_at, updated_at) \
               VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $16)";
    execute!(
        conn,
        sqlx::query(sql)
            .bind(task.id.0)
            .bind(task.project.0)
            .bind(task.column.0)
            .bind(task.position)
            .bind(&task.details.name)
            .bind(&task.details.description)
            .bind(task.details.priority.as_str())
            .bind(task.details.start_date)
            .bind(task.details.due_date)
            .bind(task.milestone.map(|m| m.0))
            .bind(task.client_visible)
            .bind(task.review_enabled)
            .bind(task.requested_by.map(|o| o.0))
            .bind(task.created_by.map(|u| u.0))
            .bind(task.completed_at)
            .bind(now)
    )
    .map_err(db_error)?;
    Ok(())
}

/// A task of a project, if the viewer sees it. The id is always resolved within its project.
pub async fn get(conn: &mut Conn<'_>, scope: &Scope, project: ProjectId, id: TaskId) -> Result<Task> {
    let sql = format!(
        "SELECT {} FROM tasks t WHERE t.project_id = $3 AND t.id = $4 AND {}",
        task_columns(Some(scope)),
        scope.tasks()
    );
    let row: Option<Task> = on_conn!(conn, c => sqlx::query_as(&sql)
        .bind(scope.subject()).bind(scope.permissions()).bind(project.0).bind(id.0)
        .fetch_optional(c).await)
    .map_err(crate::row_error(format_args!("task {id}")))?;
    row.ok_or(Error::NotFound)
}

/// A task whatever the viewer: for the policy's own explanations.
pub async fn get_unscoped(conn: &mut Conn<'_>, project: ProjectId, id: TaskId) -> Result<Task> {
    let sql = format!("SELECT {} FROM tasks t WHERE t.project_id = $1 AND t.id = $2", task_columns(None));
    let row: Option<Task> = on_conn!(conn, c => sqlx::query_as(&sql).bind(project.0).bind(id.0).fetch_optional(c).await)
        .map_err(crate::row_error(format_args!("task {id}")))?;
    row.ok_or(Error::NotFound)
}

#[derive(Clone, Debug, Default)]
pub struct TaskFilter {
    pub assignee: Option<UserId>,
    pub priority: Option<Priority>,
    /// Only unfinished tasks due before this date (overdue: today; due soon: today + 3).
    pub due_before: Option<NaiveDate>,
    pub client_visible: Option<bool>,
    pub milestone: Option<MilestoneId>,
    pub archived: bool,
}

/// The most cards one board shows at once; a project beyond this is filtered first.
pub const BOARD_LIMIT: i64 = 2000;

/// A project's tasks the viewer sees, in board order (column, then position), filtered.
pub async fn list(
    conn: &mut Conn<'_>,
    scope: &Scope,
    project: ProjectId,
    filter: &TaskFilter,
    limit: i64,
    offset: i64,
) -> Result<(Vec<Task>, i64)> {
    let count_sql = format!("SELECT COUNT(*) FROM tasks t WHERE {}", list_predicate(scope));
    let (priority, assignee, milestone) = list_parameters(filter);
    let total: i64 = on_conn!(conn, c => sqlx::query_scalar(&count_sql)
        .bind(scope.subject()).bind(scope.permissions()).bind(project.0).bind(filter.archived)
        .bind(assignee).bind(priority).bind(filter.due_before).bind(filter.client_visible).bind(milestone)
        .fetch_one(c).await)
    .map_err(db_error)?;
    Ok((list_page(conn, scope, project, filter, limit, offset).await?, total))
}

/// A page of a project's tasks in board order, without the total (the board asks for one
/// card more than it shows to know whether it is cut short).
pub async fn list_page(
    conn: &mut Conn<'_>,
    scope: &Scope,
    project: ProjectId,
    filter: &TaskFilter,
    limit: i64,
    offset: i64,
) -> Result<Vec<Task>> {
    let sql = format!(
        "SELECT {} FROM tasks t JOIN board_columns bc ON bc.id = t.column_id WHERE {} \
         ORDER BY bc.position, t.position, t.id LIMIT $10 OFFSET $11",
        task_columns(Some(scope)),
        list_predicate(scope)
    );
    let (priority, assignee, milestone) = list_parameters(filter);
    on_conn!(conn, c => sqlx::query_as(&sql)
        .bind(scope.subject()).bind(scope.permissions()).bind(project.0).bind(filter.archived)
        .bind(assignee).bind(priority).bind(filter.due_before).bind(filter.client_visible).bind(milestone)
        .bind(limit).bind(offset)
        .fetch_all(c).await)
    .map_err(db_error)
}

fn list_predicate(scope: &Scope) -> String {
    format!(
        "t.project_id = $3 AND {} AND ((t.archived_at IS NOT NULL) = $4) \
         AND ($5 IS NULL OR t.id IN (SELECT ta.task_id FROM task_assignees ta WHERE ta.user_id = $5)) \
         AND ($6 IS NULL OR t.priority = $6) \
         AND ($7 IS NULL OR (t.due_date < $7 AND t.completed_at IS NULL)) \
         AND ($8 IS NULL OR t.client_visible = $8) \
         AND ($9 IS NULL OR t.milestone_id = $9)",
        scope.tasks()
    )
}

fn list_parameters(filter: &TaskFilter) -> (Option<&'static str>, Option<Uuid>, Option<Uuid>) {
    (
        filter.priority.map(Priority::as_str),
        filter.assignee.map(|u| u.0),
        filter.milestone.map(|m| m.0),
    )
}

/// An assignee of a task, by name.
#[derive(Clone, Debug, Serialize, sqlx::FromRow)]
pub struct Assignee {
    pub task_id: TaskId,
    pub user_id: UserId,
    pub name: String,
}

/// The assignees of every task of a project, in one query with one parameter (cheaper than
/// naming hundreds of tasks).
pub async fn assignees_in_project(conn: &mut Conn<'_>, project: ProjectId) -> Result<HashMap<TaskId, Vec<Assignee>>> {
    let sql = "SELECT ta.task_id, ta.user_id, u.name FROM tasks t JOIN task_assignees ta ON ta.task_id = t.id \
               JOIN users u ON u.id = ta.user_id WHERE t.project_id = $1 ORDER BY lower(u.name)";
    let rows: Vec<Assignee> = on_conn!(conn, c => sqlx::query_as(sql).bind(project.0).fetch_all(c).await).map_err(db_error)?;
    let mut by_task: HashMap<TaskId, Vec<Assignee>> = HashMap::new();
    for row in rows {
        by_task.entry(row.task_id).or_default().push(row);
    }
    Ok(by_task)
}

/// The assignees of several tasks in one query.
pub async fn assignees_of(conn: &mut Conn<'_>, tasks: &[TaskId]) -> Result<HashMap<TaskId, Vec<Assignee>>> {
    let mut by_task: HashMap<TaskId, Vec<Assignee>> = HashMap::new();
    for chunk in tasks.chunks(500) {
        let sql = format!(
            "SELECT ta.task_id, ta.user_id, u.name FROM task_assignees ta JOIN users u ON u.id = ta.user_id \
             WHERE ta.task_id IN ({}) ORDER BY lower(u.name)",
            placeholders(1, chunk.len())
        );
        let rows: Vec<Assignee> = on_conn!(conn, c => {
            let mut query = sqlx::query_as(&sql);
            for id in chunk {
                query = query.bind(*id);
            }
            query.fetch_all(c).await
        })
        .map_err(db_error)?;
        for row in rows {
            by_task.entry(row.task_id).or_default().push(row);
        }
    }
    Ok(by_task)
}

pub async fn set_assignees(conn: &mut Conn<'_>, task: TaskId, users: &[UserId]) -> Result<()> {
    execute!(conn, sqlx::query("DELETE FROM task_assignees WHERE task_id = $1").bind(task.0)).map_err(db_error)?;
    for user in users {
        let sql = "INSERT INTO task_assignees (task_id, user_id) VALUES ($1, $2) ON CONFLICT DO NOTHING";
        execute!(conn, sqlx::query(sql).bind(task.0).bind(user.0)).map_err(db_error)?;
    }
    Ok(())
}

pub async fn update(
    conn: &mut Conn<'_>,
    project: ProjectId,
    id: TaskId,
    details: &TaskDetails,
    milestone: Option<MilestoneId>,
    now: DateTime<Utc>,
) -> Result<()> {
    let sql = "UPDATE tasks SET name = $3, description = $4, priority = $5, start_date = $6, due_date = $7, milestone_id = $8, \
               updated_at = $9 WHERE project_id = $1 AND id = $2";
    let changed = execute!(
        conn,
        sqlx::query(sql)
            .bind(project.0)
            .bind(id.0)
            .bind(&details.name)
            .bind(&details.description)
            .bind(details.priority.as_str())
            .bind(details.start_date)
            .bind(details.due_date)
            .bind(milestone.map(|m| m.0))
            .bind(now)
    )
    .map_err(db_error)?;
    if changed == 0 { Err(Error::NotFound) } else { Ok(()) }
}

/// Sets one of the task's switches. `field` is one of a fixed set, never user input.
async fn set_flag(conn: &mut Conn<'_>, project: ProjectId, id: TaskId, field: &'static str, on: bool, now: DateTime<Utc>) -> Result<()> {
    let sql = format!("UPDATE tasks SET {field} = $3, updated_at = $4 WHERE project_id = $1 AND id = $2");
    let changed = execute!(conn, sqlx::query(&sql).bind(project.0).bind(id.0).bind(on).bind(now)).map_err(db_error)?;
    if changed == 0 { Err(Error::NotFound) } else { Ok(()) }
}

pub async fn set_client_visible(conn: &mut Conn<'_>, project: ProjectId, id: TaskId, visible: bool, now: DateTime<Utc>) -> Result<()> {
    set_flag(conn, project, id, "client_visible", visible, now).await
}

pub async fn set_review_enabled(conn: &mut Conn<'_>, project: ProjectId, id: TaskId, enabled: bool, now: DateTime<Utc>) -> Result<()> {
    set_flag(conn, project, id, "review_enabled", enabled, now).await
}

/// Sets the task's review state and the organisation the review is addressed to.
pub async fn set_review_state(
    conn: &mut Conn<'_>,
    id: TaskId,
    state: Option<ReviewState>,
    addressed_to: Option<ClientOrgId>,
    now: DateTime<Utc>,
) -> Result<()> {
    let sql = "UPDATE tasks SET review_state = $2, updated_at = $3, review_org_id = $4 WHERE id = $1";
    execute!(
        conn,
        sqlx::query(sql)
            .bind(id.0)
            .bind(state.map(ReviewState::as_str))
            .bind(now)
            .bind(addressed_to.map(|o| o.0))
    )
    .map_err(db_error)?;
    Ok(())
}

pub async fn set_archived(
    conn: &mut Conn<'_>,
    project: ProjectId,
    id: TaskId,
    archived_at: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Result<()> {
    let sql = "UPDATE tasks SET archived_at = $3, updated_at = $4 WHERE project_id = $1 AND id = $2";
    let changed = execute!(conn, sqlx::query(sql).bind(project.0).bind(id.0).bind(archived_at).bind(now)).map_err(db_error)?;
    if changed == 0 { Err(Error::NotFound) } else { Ok(()) }
}

/// Puts a task in a column at a position; `completed_at` follows the column's done flag.
pub async fn place(
    conn: &mut Conn<'_>,
    id: TaskId,
    column: ColumnId,
    position: i64,
    completed_at: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Result<()> {
    let sql = "UPDATE tasks SET column_id = $2, position = $3, completed_at = $4, updated_at = $5 WHERE id = $1";
    execute!(
        conn,
        sqlx::query(sql)
            .bind(id.0)
            .bind(column.0)
            .bind(position)
            .bind(completed_at)
            .bind(now)
    )
    .map_err(db_error)?;
    Ok(())
}

/// The position of the first card below `after` in a column (the top card when `after` is
/// `None`), not counting `moving`.
pub async fn next_position(conn: &mut Conn<'_>, column: ColumnId, after: Option<i64>, moving: TaskId) -> Result<Option<i64>> {
    let sql = "SELECT MIN(position) FROM tasks WHERE column_id = $1 AND ($2 IS NULL OR position > $2) AND id <> $3";
    on_conn!(conn, c => sqlx::query_scalar(sql).bind(column.0).bind(after).bind(moving.0).fetch_one(c).await).map_err(db_error)
}

/// The last position in a column, for a card added at the bottom.
pub async fn last_position(conn: &mut Conn<'_>, column: ColumnId) -> Result<Option<i64>> {
    let sql = "SELECT MAX(position) FROM tasks WHERE column_id = $1";
    on_conn!(conn, c => sqlx::query_scalar(sql).bind(column.0).fetch_one(c).await).map_err(db_error)
}

/// Spreads a column's cards out again, keeping their order, when two neighbours have no room
/// left between them.
pub async fn renumber_column(conn: &mut Conn<'_>, column: ColumnId) -> Result<()> {
    let sql = "SELECT id FROM tasks WHERE column_id = $1 ORDER BY position, id";
    let ids: Vec<Uuid> = on_conn!(conn, c => sqlx::query_scalar(sql).bind(column.0).fetch_all(c).await).map_err(db_error)?;
    for (index, id) in ids.into_iter().enumerate() {
        let position = (index as i64 + 1) * POSITION_GAP;
        execute!(
            conn,
            sqlx::query("UPDATE tasks SET position = $2 WHERE id = $1").bind(id).bind(position)
        )
        .map_err(db_error)?;
    }
    Ok(())
}

/// A task of "my tasks" on a dashboard.
#[derive(Clone, Debug, Serialize, sqlx::FromRow)]
pub struct MyTask {
    pub id: TaskId,
    pub project_id: ProjectId,
    pub project_name: String,
    pub name: String,
    pub priority: Priority,
    pub due_date: Option<NaiveDate>,
}

/// Unfinished tasks assigned to a person that are due before `due_before`, soonest first.
/// (`CROSS JOIN` keeps SQLite walking the person's assignments first rather than every task
/// of their projects; PostgreSQL plans it as a plain join.)
pub async fn assigned_due(conn: &mut Conn<'_>, scope: &Scope, user: UserId, due_before: NaiveDate, limit: i64) -> Result<Vec<MyTask>> {
    let sql = format!(
        "SELECT t.id, t.project_id, p.name AS project_name, t.name, t.priority, t.due_date \
         FROM task_assignees ta CROSS JOIN tasks t JOIN projects p ON p.id = t.project_id \
         WHERE t.id = ta.task_id AND ta.user_id = $3 AND t.completed_at IS NULL AND t.archived_at IS NULL AND p.archived_at IS NULL \
         AND t.due_date < $4 AND {} ORDER BY t.due_date, t.id LIMIT $5",
        scope.tasks()
    );
    on_conn!(conn, c => sqlx::query_as(&sql)
        .bind(scope.subject()).bind(scope.permissions()).bind(user.0).bind(due_before).bind(limit)
        .fetch_all(c).await)
    .map_err(db_error)
}

/// A task waiting for a client's review, for dashboards.
#[derive(Clone, Debug, Serialize, sqlx::FromRow)]
pub struct PendingReview {
    pub id: TaskId,
    pub project_id: ProjectId,
    pub project_name: String,
    pub name: String,
    pub updated_at: DateTime<Utc>,
}

pub async fn pending_reviews(conn: &mut Conn<'_>, scope: &Scope, limit: i64) -> Result<Vec<PendingReview>> {
    let sql = format!(
        "SELECT t.id, t.project_id, p.name AS project_name, t.name, t.updated_at FROM tasks t JOIN projects p ON p.id = t.project_id \
         WHERE {} AND t.archived_at IS NULL AND {} ORDER BY t.updated_at, t.id LIMIT $3",
        scope.review_pending(),
        scope.tasks()
    );
    on_conn!(conn, c => sqlx::query_as(&sql).bind(scope.subject()).bind(scope.permissions()).bind(limit).fetch_all(c).await)
        .map_err(db_error)
}

pub async fn pending_review_count(conn: &mut Conn<'_>, scope: &Scope) -> Result<i64> {
    let sql = format!(
        "SELECT COUNT(*) FROM tasks t WHERE {} AND t.archived_at IS NULL AND {}",
        scope.review_pending(),
        scope.tasks()
    );
    on_conn!(conn, c => sqlx::query_scalar(&sql).bind(scope.subject()).bind(scope.permissions()).fetch_one(c).await).map_err(db_error)
}

/// The unarchived cards of a column, top to bottom.
pub async fn column_order(conn: &mut Conn<'_>, column: ColumnId) -> Result<Vec<TaskId>> {
    let sql = "SELECT id FROM tasks WHERE column_id = $1 AND archived_at IS NULL ORDER BY position, id";
    on_conn!(conn, c => sqlx::query_scalar(sql).bind(column.0).fetch_all(c).await).map_err(db_error)
}
