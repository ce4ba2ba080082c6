//! Projects, their staff and client organisations, and their board columns.

use crate::scope::{Scope, placeholders};
use crate::{Conn, db_error, execute, like_pattern, on_conn};
use chrono::{DateTime, NaiveDate, Utc};
use domain::access::ProjectFacts;
use domain::ids::{ClientOrgId, ColumnId, ProjectId, UserId};
use domain::projects::{Progress, ProjectDetails, ProjectStatus};
use domain::users::{Page, PageRequest};
use domain::{Error, Result};
use serde::Serialize;
use std::collections::HashMap;
use uuid::Uuid;

#[derive(Clone, Debug, Serialize, sqlx::FromRow)]
pub struct Project {
    pub id: ProjectId,
    pub name: String,
    pub description: String,
    pub status: ProjectStatus,
    pub start_date: Option<NaiveDate>,
    pub deadline: Option<NaiveDate>,
    pub show_assignees: bool,
    pub review_column_id: Option<ColumnId>,
    pub revisions_column_id: Option<ColumnId>,
    pub approved_column_id: Option<ColumnId>,
    pub archived_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A project with the people and organisations on it: what the policy decides with.
#[derive(Clone, Debug, Serialize)]
pub struct ProjectWithMembers {
    pub project: Project,
    pub staff: Vec<UserId>,
    pub client_orgs: Vec<ClientOrgId>,
}

impl ProjectWithMembers {
    pub fn facts(&self) -> ProjectFacts<'_> {
        ProjectFacts {
            archived: self.project.archived_at.is_some(),
            staff: &self.staff,
            client_orgs: &self.client_orgs,
            show_assignees: self.project.show_assignees,
        }
    }
}

/// A row of a project list, with progress over the tasks the viewer sees.
#[derive(Clone, Debug, Serialize, sqlx::FromRow)]
pub struct ProjectListItem {
    pub id: ProjectId,
    pub name: String,
    pub status: ProjectStatus,
    pub start_date: Option<NaiveDate>,
    pub deadline: Option<NaiveDate>,
    pub archived_at: Option<DateTime<Utc>>,
    pub updated_at: DateTime<Utc>,
    #[sqlx(skip)]
    pub progress: Progress,
}

#[derive(Clone, Debug, Serialize, sqlx::FromRow)]
pub struct BoardColumn {
    pub id: ColumnId,
    pub project_id: ProjectId,
    pub name: String,
    pub position: i64,
    pub is_done: bool,
}

const PROJECT_COLUMNS: &str = "p.id, p.name, p.description, p.status, p.start_date, p.deadline, p.show_assignees, \
     p.review_column_id, p.revisions_column_id, p.approved_column_id, p.archived_at, p.created_at, p.updated_at";

pub async fn insert(
    conn: &mut Conn<'_>,
    id: ProjectId,
    details: &ProjectDetails,
    created_by: Option<UserId>,
    now: DateTime<Utc>,
) -> Result<()> {
    let sql = "INSERT INTO projects (id, name, description, status, start_date, deadline, show_assignees, created_by, created_at, updated_at) \
               VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9)";
    execute!(
        conn,
        sqlx::query(sql)
            .bind(id.0)
            .bind(&details.name)
            .bind(&details.description)
            .bind(details.status.as_str())
            .bind(details.start_date)
            .bind(details.deadline)
            .bind(details.show_assignees)
            .bind(created_by.map(|u| u.0))
            .bind(now)
    )
    .map_err(db_error)?;
    Ok(())
}

pub async fn update(conn: &mut Conn<'_>, id: ProjectId, details: &ProjectDetails, now: DateTime<Utc>) -> Result<()> {
    let sql = "UPDATE projects SET name = $2, description = $3, status = $4, start_date = $5, deadline = $6, show_assignees = $7, \
               updated_at = $8 WHERE id = $1";
    let changed = execute!(
        conn,
        sqlx::query(sql)
            .bind(id.0)
            .bind(&details.name)
            .bind(&details.description)
            .bind(details.status.as_str())
            .bind(details.start_date)
            .bind(details.deadline)
            .bind(details.show_assignees)
            .bind(now)
    )
    .map_err(db_error)?;
    if changed == 0 { Err(Error::NotFound) } else { Ok(()) }
}

/// The columns review moves tasks to: on submission, on a revision request, on approval.
pub async fn set_review_columns(
    conn: &mut Conn<'_>,
    id: ProjectId,
    review: Option<ColumnId>,
    revisions: Option<ColumnId>,
    approved: Option<ColumnId>,
) -> Result<()> {
    let sql = "UPDATE projects SET review_column_id = $2, revisions_column_id = $3, approved_column_id = $4 WHERE id = $1";
    execute!(
        conn,
        sqlx::query(sql)
            .bind(id.0)
            .bind(review.map(|c| c.0))
            .bind(revisions.map(|c| c.0))
            .bind(approved.map(|c| c.0))
    )
    .map_err(db_error)?;
    Ok(())
}

pub async fn set_archived(conn: &mut Conn<'_>, id: ProjectId, archived_at: Option<DateTime<Utc>>, now: DateTime<Utc>) -> Result<()> {
    let sql = "UPDATE projects SET archived_at = $2, updated_at = $3 WHERE id = $1";
    let changed = execute!(conn, sqlx::query(sql).bind(id.0).bind(archived_at).bind(now)).map_err(db_error)?;
    if changed == 0 { Err(Error::NotFound) } else { Ok(()) }
}

/// Replaces the staff assigned to a project.
pub async fn set_staff(conn: &mut Conn<'_>, id: ProjectId, staff: &[UserId]) -> Result<()> {
    execute!(conn, sqlx::query("DELETE FROM project_staff WHERE project_id = $1").bind(id.0)).map_err(db_error)?;
    for user in staff {
        let sql = "INSERT INTO project_staff (project_id, user_id) VALUES ($1, $2) ON CONFLICT DO NOTHING";
        execute!(conn, sqlx::query(sql).bind(id.0).bind(user.0)).map_err(db_error)?;
    }
    Ok(())
}

/// Replaces the client organisations assigned to a project.
pub async fn set_client_orgs(conn: &mut Conn<'_>, id: ProjectId, orgs: &[ClientOrgId]) -> Result<()> {
    execute!(conn, sqlx::query("DELETE FROM project_clients WHERE project_id = $1").bind(id.0)).map_err(db_error)?;
    for org in orgs {
        let sql = "INSERT INTO project_clients (project_id, client_org_id) VALUES ($1, $2) ON CONFLICT DO NOTHING";
        execute!(conn, sqlx::query(sql).bind(id.0).bind(org.0)).map_err(db_error)?;
    }
    Ok(())
}

/// A project and its members, unscoped: for the policy itself and for admin tools.
pub async fn with_members(conn: &mut Conn<'_>, id: ProjectId) -> Result<ProjectWithMembers> {
    let sql = format!("SELECT {PROJECT_COLUMNS} FROM projects p WHERE p.id = $1");
    let project: Option<Project> = on_conn!(conn, c => sqlx::query_as(&sql).bind(id.0).fetch_optional(c).await).map_err(db_error)?;
    let project = project.ok_or(Error::NotFound)?;
    let staff_sql = "SELECT user_id FROM project_staff WHERE project_id = $1";
    let staff: Vec<Uuid> = on_conn!(conn, c => sqlx::query_scalar(staff_sql).bind(id.0).fetch_all(c).await).map_err(db_error)?;
    let orgs_sql = "SELECT client_org_id FROM project_clients WHERE project_id = $1";
    let orgs: Vec<Uuid> = on_conn!(conn, c => sqlx::query_scalar(orgs_sql).bind(id.0).fetch_all(c).await).map_err(db_error)?;
    Ok(ProjectWithMembers {
        project,
        staff: staff.into_iter().map(UserId).collect(),
        client_orgs: orgs.into_iter().map(ClientOrgId).collect(),
    })
}

/// One project if the viewer sees it; `NotFound` otherwise, with no hint that it exists.
pub async fn get(conn: &mut Conn<'_>, scope: &Scope, id: ProjectId) -> Result<Project> {
    let sql = format!(
        "SELECT {PROJECT_COLUMNS} FROM projects p WHERE p.id = $3 AND {}",
        scope.projects("p.id")
    );
    let row: Option<Project> = on_conn!(conn, c => sqlx::query_as(&sql)
        .bind(scope.subject()).bind(scope.permissions()).bind(id.0)
        .fetch_optional(c).await)
    .map_err(db_error)?;
    row.ok_or(Error::NotFound)
}

#[derive(Clone, Debug, Default)]
pub struct ProjectFilter {
    pub search: Option<String>,
    pub status: Option<ProjectStatus>,
    /// Archived projects are listed only when asked for.
    pub archived: bool,
    /// Only the projects past their deadline on this day and not completed (the dashboard's
    /// "Overdue").
    pub overdue_on: Option<chrono::NaiveDate>,
    /// Only the projects this client organisation is on (the client's page).
    pub client_org: Option<ClientOrgId>,
}

/// The projects a viewer sees, newest activity first, with progress over the tasks they see.
pub async fn list(conn: &mut Conn<'_>, scope: &Scope, filter: &ProjectFilter, page: PageRequest) -> Result<Page<ProjectListItem>> {
    let (predicate, pattern, status) = list_predicate(scope, filter);
    let count_sql = format!("SELECT COUNT(*) FROM projects p WHERE {predicate}");
    let total: i64 = on_conn!(conn, c => sqlx::query_scalar(&count_sql)
        .bind(scope.subject()).bind(scope.permissions()).bind(&pattern).bind(status).bind(filter.archived)
        .bind(filter.client_org.map(|o| o.0))
        .fetch_one(c).await)
    .map_err(db_error)?;
    let items = list_items(conn, scope, filter, page.limit(), page.offset()).await?;
    Ok(Page {
        items,
        total: total.max(0) as u64,
        page: page.page,
        per_page: page.per_page,
    })
}

fn list_predicate(scope: &Scope, filter: &ProjectFilter) -> (String, Option<String>, Option<&'static str>) {
    let pattern = filter.search.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(like_pattern);
    let status = filter.status.map(ProjectStatus::as_str);
    // Written only when asked for: behind `$6 IS NULL OR` the planners walked every project
    // and probed its clients, instead of starting from the organisation's few projects.
    let client = match filter.client_org {
        Some(_) => "p.id IN (SELECT pc.project_id FROM project_clients pc WHERE pc.client_org_id = $6)",
        None => "$6 IS NULL",
    };
    let mut predicate = format!(
        "{} AND ($3 IS NULL OR lower(p.name) LIKE $3 ESCAPE '\\') AND ($4 IS NULL OR p.status = $4) AND ((p.archived_at IS NOT NULL) = $5) \
         AND {client}",
        scope.projects("p.id")
    );
    // A typed date, written as ISO: both databases compare it with the deadline column.
    if let Some(day) = filter.overdue_on {
        predicate.push_str(&format!(" AND p.status <> 'completed' AND p.deadline < '{day}'"));
    }
    (predicate, pattern, status)
}

/// A page of the viewer's projects with their progress, in one statement: the page is chosen
/// first, then each of its projects counts its tasks from the progress index.
pub async fn list_items(
    conn: &mut Conn<'_>,
    scope: &Scope,
    filter: &ProjectFilter,
    limit: i64,
    offset: i64,
) -> Result<Vec<ProjectListItem>> {
    let (predicate, pattern, status) = list_predicate(scope, filter);
    let tasks = scope.tasks();
    let sql = format!(
        "SELECT l.*, \
           (SELECT COUNT(*) FROM tasks t WHERE t.project_id = l.id AND t.archived_at IS NULL AND {tasks}) AS tasks_total, \
           (SELECT COUNT(t.completed_at) FROM tasks t WHERE t.project_id = l.id AND t.archived_at IS NULL AND {tasks}) AS tasks_done \
         FROM (SELECT p.id, p.name, p.status, p.start_date, p.deadline, p.archived_at, p.updated_at FROM projects p \
               WHERE {predicate} ORDER BY p.updated_at DESC, p.id DESC LIMIT $7 OFFSET $8) l \
         ORDER BY l.updated_at DESC, l.id DESC"
    );
    let rows: Vec<(ProjectListItem, i64, i64)> = on_conn!(conn, c => {
        let rows: std::result::Result<Vec<ListRow>, sqlx::Error> = sqlx::query_as(&sql)
            .bind(scope.subject()).bind(scope.permissions()).bind(&pattern).bind(status).bind(filter.archived)
            .bind(filter.client_org.map(|o| o.0)).bind(limit).bind(offset)
            .fetch_all(c).await;
        rows.map(|rows| rows.into_iter().map(|r| (r.item, r.tasks_total, r.tasks_done)).collect())
    })
    .map_err(db_error)?;
    Ok(rows
        .into_iter()
        .map(|(mut item, total, done)| {
            item.progress = Progress { done, total };
            item
        })
        .collect())
}

#[derive(sqlx::FromRow)]
struct ListRow {
    #[sqlx(flatten)]
    item: ProjectListItem,
    tasks_total: i64,
    tasks_done: i64,
}

/// Completed and total unarchived tasks per project, counting only tasks the viewer sees
/// (a client's progress bar says nothing about internal work).
pub async fn progress(conn: &mut Conn<'_>, scope: &Scope, projects: &[ProjectId]) -> Result<HashMap<ProjectId, Progress>> {
    if projects.is_empty() {
        return Ok(HashMap::new());
    }
    let sql = format!(
        "SELECT t.project_id, COUNT(*) AS total, COUNT(t.completed_at) AS done FROM tasks t \
         WHERE t.project_id IN ({}) AND t.archived_at IS NULL AND {} GROUP BY t.project_id",
        placeholders(3, projects.len()),
        scope.tasks()
    );
    let rows: Vec<(ProjectId, i64, i64)> = on_conn!(conn, c => {
        let mut query = sqlx::query_as(&sql).bind(scope.subject()).bind(scope.permissions());
        for id in projects {
            query = query.bind(id.0);
        }
        query.fetch_all(c).await
    })
    .map_err(db_error)?;
    Ok(rows.into_iter().map(|(id, total, done)| (id, Progress { done, total })).collect())
}

/// Project counts by status for a dashboard, over the viewer's unarchived projects.
#[derive(Clone, Debug, Default, Serialize)]
pub struct StatusCounts {
    pub total: i64,
    pub active: i64,
    pub on_hold: i64,
    pub completed: i64,
    pub overdue: i64,
}

pub async fn status_counts(conn: &mut Conn<'_>, scope: &Scope, today: NaiveDate) -> Result<StatusCounts> {
    let sql = format!(
        "SELECT p.status, COUNT(*), COUNT(CASE WHEN p.deadline < $3 AND p.status <> 'completed' THEN 1 END) \
         FROM projects p WHERE p.archived_at IS NULL AND {} GROUP BY p.status",
        scope.projects("p.id")
    );
    let rows: Vec<(ProjectStatus, i64, i64)> =
        on_conn!(conn, c => sqlx::query_as(&sql).bind(scope.subject()).bind(scope.permissions()).bind(today).fetch_all(c).await)
            .map_err(db_error)?;
    let mut counts = StatusCounts::default();
    for (status, count, overdue) in rows {
        counts.total += count;
        counts.overdue += overdue;
        match status {
            ProjectStatus::Active => counts.active += count,
            ProjectStatus::OnHold => counts.on_hold += count,
            ProjectStatus::Completed => counts.completed += count,
        }
    }
    Ok(counts)
}

/// The names of the people and organisations on a project, for its overview.
#[derive(Clone, Debug, Serialize, sqlx::FromRow)]
pub struct Member {
    pub id: Uuid,
    pub name: String,
}

pub async fn staff_members(conn: &mut Conn<'_>, id: ProjectId) -> Result<Vec<Member>> {
    let sql = "SELECT u.id, u.name FROM project_staff ps JOIN users u ON u.id = ps.user_id WHERE ps.project_id = $1 ORDER BY lower(u.name)";
    on_conn!(conn, c => sqlx::query_as(sql).bind(id.0).fetch_all(c).await).map_err(db_error)
}

pub async fn client_members(conn: &mut Conn<'_>, id: ProjectId) -> Result<Vec<Member>> {
    let sql = "SELECT o.id, o.name FROM project_clients pc JOIN client_orgs o ON o.id = pc.client_org_id WHERE pc.project_id = $1 ORDER BY lower(o.name)";
    on_conn!(conn, c => sqlx::query_as(sql).bind(id.0).fetch_all(c).await).map_err(db_error)
}

pub async fn insert_column(
    conn: &mut Conn<'_>,
    project: ProjectId,
    name: &str,
    position: i64,
    is_done: bool,
    now: DateTime<Utc>,
) -> Result<ColumnId> {
    let id = ColumnId::new();
    let sql = "INSERT INTO board_columns (id, project_id, name, position, is_done, created_at) VALUES ($1, $2, $3, $4, $5, $6)";
    execute!(
        conn,
        sqlx::query(sql)
            .bind(id.0)
            .bind(project.0)
            .bind(name)
            .bind(position)
            .bind(is_done)
            .bind(now)
    )
    .map_err(db_error)?;
    Ok(id)
}

pub async fn columns(conn: &mut Conn<'_>, project: ProjectId) -> Result<Vec<BoardColumn>> {
    let sql = "SELECT id, project_id, name, position, is_done FROM board_columns WHERE project_id = $1 ORDER BY position, id";
    on_conn!(conn, c => sqlx::query_as(sql).bind(project.0).fetch_all(c).await).map_err(db_error)
}

pub async fn rename_column(conn: &mut Conn<'_>, project: ProjectId, column: ColumnId, name: &str, is_done: bool) -> Result<()> {
    let sql = "UPDATE board_columns SET name = $3, is_done = $4 WHERE project_id = $1 AND id = $2";
    let changed = execute!(conn, sqlx::query(sql).bind(project.0).bind(column.0).bind(name).bind(is_done)).map_err(db_error)?;
    if changed == 0 { Err(Error::NotFound) } else { Ok(()) }
}

pub async fn set_column_position(conn: &mut Conn<'_>, project: ProjectId, column: ColumnId, position: i64) -> Result<()> {
    let sql = "UPDATE board_columns SET position = $3 WHERE project_id = $1 AND id = $2";
    let changed = execute!(conn, sqlx::query(sql).bind(project.0).bind(column.0).bind(position)).map_err(db_error)?;
    if changed == 0 { Err(Error::NotFound) } else { Ok(()) }
}

/// Deletes an empty column. Returns false when tasks are still in it.
pub async fn delete_empty_column(conn: &mut Conn<'_>, project: ProjectId, column: ColumnId) -> Result<bool> {
    let sql = "DELETE FROM board_columns WHERE project_id = $1 AND id = $2 AND NOT EXISTS (SELECT 1 FROM tasks t WHERE t.column_id = $2)";
    let changed = execute!(conn, sqlx::query(sql).bind(project.0).bind(column.0)).map_err(db_error)?;
    Ok(changed > 0)
}

/// Locks the project row for the rest of the transaction, so concurrent board moves in one
/// project apply one after the other (PostgreSQL; SQLite's single writer already serialises).
pub async fn lock(conn: &mut Conn<'_>, id: ProjectId) -> Result<()> {
    match conn {
        Conn::Pg(c) => {
            let found: Option<Uuid> = sqlx::query_scalar("SELECT id FROM projects WHERE id = $1 FOR UPDATE")
                .bind(id.0)
                .fetch_optional(&mut **c)
                .await
                .map_err(db_error)?;
            found.map(|_| ()).ok_or(Error::NotFound)
        }
        Conn::Sqlite(_) => Ok(()),
    }
}

pub async fn touch(conn: &mut Conn<'_>, id: ProjectId, now: DateTime<Utc>) -> Result<()> {
    execute!(
        conn,
        sqlx::query("UPDATE projects SET updated_at = $2 WHERE id = $1")
            .bind(id.0)
            .bind(now)
    )
    .map_err(db_error)?;
    Ok(())
}

/// The projects a member of staff is on that a client organisation is on too: the only
/// projects where a contact and that member of staff can meet (who may write to whom).
pub async fn shared_by(conn: &mut Conn<'_>, staff: UserId, org: ClientOrgId) -> Result<Vec<ProjectId>> {
    let sql = "SELECT ps.project_id FROM project_staff ps JOIN project_clients pc ON pc.project_id = ps.project_id \
               WHERE ps.user_id = $1 AND pc.client_org_id = $2 ORDER BY ps.project_id";
    on_conn!(conn, c => sqlx::query_scalar(sql).bind(staff).bind(org).fetch_all(c).await).map_err(db_error)
}
