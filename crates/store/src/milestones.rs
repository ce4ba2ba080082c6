//! Milestones of a project and the progress of the tasks linked to them.

use crate::scope::Scope;
use crate::{Conn, db_error, execute, on_conn};
use chrono::{DateTime, NaiveDate, Utc};
use domain::access::MilestoneFacts;
use domain::ids::{MilestoneId, ProjectId};
use domain::milestones::MilestoneDetails;
use domain::projects::Progress;
use domain::{Error, Result};
use serde::Serialize;

#[derive(Clone, Debug, Serialize, sqlx::FromRow)]
pub struct Milestone {
    pub id: MilestoneId,
    pub project_id: ProjectId,
    pub name: String,
    pub description: String,
    pub target_date: Option<NaiveDate>,
    pub completed_at: Option<DateTime<Utc>>,
    pub client_visible: bool,
    /// Over the linked tasks the viewer sees.
    pub tasks_total: i64,
    pub tasks_done: i64,
}

impl Milestone {
    pub fn facts(&self) -> MilestoneFacts {
        MilestoneFacts {
            client_visible: self.client_visible,
        }
    }

    pub fn progress(&self) -> Progress {
        Progress {
            done: self.tasks_done,
            total: self.tasks_total,
        }
    }
}

pub async fn insert(
    conn: &mut Conn<'_>,
    id: MilestoneId,
    project: ProjectId,
    details: &MilestoneDetails,
    now: DateTime<Utc>,
) -> Result<()> {
    let sql = "INSERT INTO milestones (id, project_id, name, description, target_date, client_visible, created_at, updated_at) \
               VALUES ($1, $2, $3, $4, $5, $6, $7, $7)";
    execute!(
        conn,
        sqlx::query(sql)
            .bind(id.0)
            .bind(project.0)
            .bind(&details.name)
            .bind(&details.description)
            .bind(details.target_date)
            .bind(details.client_visible)
            .bind(now)
    )
    .map_err(db_error)?;
    Ok(())
}

pub async fn update(
    conn: &mut Conn<'_>,
    project: ProjectId,
    id: MilestoneId,
    details: &MilestoneDetails,
    now: DateTime<Utc>,
) -> Result<()> {
    let sql = "UPDATE milestones SET name = $3, description = $4, target_date = $5, client_visible = $6, updated_at = $7 \
               WHERE project_id = $1 AND id = $2";
    let changed = execute!(
        conn,
        sqlx::query(sql)
            .bind(project.0)
            .bind(id.0)
            .bind(&details.name)
            .bind(&details.description)
            .bind(details.target_date)
            .bind(details.client_visible)
            .bind(now)
    )
    .map_err(db_error)?;
    if changed == 0 { Err(Error::NotFound) } else { Ok(()) }
}

pub async fn set_completed(conn: &mut Conn<'_>, project: ProjectId, id: MilestoneId, completed_at: Option<DateTime<Utc>>) -> Result<()> {
    let sql = "UPDATE milestones SET completed_at = $3, updated_at = COALESCE($3, updated_at) WHERE project_id = $1 AND id = $2";
    let changed = execute!(conn, sqlx::query(sql).bind(project.0).bind(id.0).bind(completed_at)).map_err(db_error)?;
    if changed == 0 { Err(Error::NotFound) } else { Ok(()) }
}

/// Deletes a milestone; its tasks stay, unlinked (the foreign key sets theirs to null).
pub async fn delete(conn: &mut Conn<'_>, project: ProjectId, id: MilestoneId) -> Result<()> {
    let sql = "DELETE FROM milestones WHERE project_id = $1 AND id = $2";
    let changed = execute!(conn, sqlx::query(sql).bind(project.0).bind(id.0)).map_err(db_error)?;
    if changed == 0 { Err(Error::NotFound) } else { Ok(()) }
}

fn select(scope: &Scope, extra: &str) -> String {
    format!(
        "SELECT m.id, m.project_id, m.name, m.description, m.target_date, m.completed_at, m.client_visible, \
           (SELECT COUNT(*) FROM tasks t WHERE t.milestone_id = m.id AND t.archived_at IS NULL AND {tasks}) AS tasks_total, \
           (SELECT COUNT(*) FROM tasks t WHERE t.milestone_id = m.id AND t.archived_at IS NULL AND t.completed_at IS NOT NULL AND {tasks}) AS tasks_done \
         FROM milestones m WHERE m.project_id = $3 AND {milestones} {extra}",
        tasks = scope.tasks(),
        milestones = scope.milestones()
    )
}

/// A project's milestones the viewer sees, by target date (undated last).
pub async fn list(conn: &mut Conn<'_>, scope: &Scope, project: ProjectId) -> Result<Vec<Milestone>> {
    let sql = select(scope, "ORDER BY m.target_date IS NULL, m.target_date, m.id LIMIT 200");
    on_conn!(conn, c => sqlx::query_as(&sql).bind(scope.subject()).bind(scope.permissions()).bind(project.0).fetch_all(c).await)
        .map_err(db_error)
}

pub async fn get(conn: &mut Conn<'_>, scope: &Scope, project: ProjectId, id: MilestoneId) -> Result<Milestone> {
    let sql = select(scope, "AND m.id = $4");
    let row: Option<Milestone> = on_conn!(conn, c => sqlx::query_as(&sql)
        .bind(scope.subject()).bind(scope.permissions()).bind(project.0).bind(id.0)
        .fetch_optional(c).await)
    .map_err(db_error)?;
    row.ok_or(Error::NotFound)
}

/// Whether a milestone belongs to the project (a task is linked only within its project).
pub async fn belongs_to(conn: &mut Conn<'_>, project: ProjectId, id: MilestoneId) -> Result<bool> {
    let sql = "SELECT COUNT(*) FROM milestones WHERE project_id = $1 AND id = $2";
    let count: i64 = on_conn!(conn, c => sqlx::query_scalar(sql).bind(project.0).bind(id.0).fetch_one(c).await).map_err(db_error)?;
    Ok(count > 0)
}
