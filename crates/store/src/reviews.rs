//! Review rounds: what was submitted, by whom and when; what the client decided, by whom,
//! when and why.

use crate::scope::Scope;
use crate::{Conn, db_error, execute, on_conn};
use chrono::{DateTime, Utc};
use domain::ids::{ClientOrgId, ProjectId, ReviewRoundId, TaskId, UserId};
use domain::reviews::Decision;
use domain::{Error, Result};
use serde::Serialize;

/// Opens the next round of a task's review, addressed to one client organisation.
pub async fn open_round(
    conn: &mut Conn<'_>,
    task: TaskId,
    addressed_to: ClientOrgId,
    by: UserId,
    note: &str,
    reopen_reason: Option<&str>,
    now: DateTime<Utc>,
) -> Result<(ReviewRoundId, i64)> {
    let next: i64 = on_conn!(conn, c => sqlx::query_scalar("SELECT COALESCE(MAX(round), 0) + 1 FROM review_rounds WHERE task_id = $1")
        .bind(task.0).fetch_one(c).await)
    .map_err(db_error)?;
    let id = ReviewRoundId::new();
    let sql = "INSERT INTO review_rounds (id, task_id, round, submitted_by, submitted_at, note, client_org_id, reopen_reason) \
               VALUES ($1, $2, $3, $4, $5, $6, $7, $8)";
    execute!(
        conn,
        sqlx::query(sql)
            .bind(id.0)
            .bind(task.0)
            .bind(next)
            .bind(by.0)
            .bind(now)
            .bind(note)
            .bind(addressed_to.0)
            .bind(reopen_reason)
    )
    .map_err(db_error)?;
    Ok((id, next))
}

/// Records the decision on the open round addressed to the decider's organisation. Exactly one
/// decision wins a race: the second finds no open round and gets a conflict.
pub async fn decide(
    conn: &mut Conn<'_>,
    task: TaskId,
    organisation: ClientOrgId,
    decision: Decision,
    by: UserId,
    comment: &str,
    now: DateTime<Utc>,
) -> Result<()> {
    let sql = "UPDATE review_rounds SET decision = $2, decided_by = $3, decided_at = $4, decision_comment = $5 \
               WHERE task_id = $1 AND decision IS NULL AND client_org_id = $6";
    let changed = execute!(
        conn,
        sqlx::query(sql)
            .bind(task.0)
            .bind(decision.as_str())
            .bind(by.0)
            .bind(now)
            .bind(comment)
            .bind(organisation.0)
    )
    .map_err(db_error)?;
    if changed == 0 {
        Err(Error::conflict("review", "this task is not waiting for a review"))
    } else {
        Ok(())
    }
}

/// One round as the trail shows it. Names of people the viewer may not see are left out.
#[derive(Clone, Debug, Serialize, sqlx::FromRow)]
pub struct Round {
    pub id: ReviewRoundId,
    pub task_id: TaskId,
    pub task_name: String,
    pub round: i64,
    pub submitted_by: Option<String>,
    pub submitted_at: DateTime<Utc>,
    pub note: String,
    pub decision: Option<Decision>,
    pub decided_by: Option<String>,
    pub decided_at: Option<DateTime<Utc>>,
    pub decision_comment: Option<String>,
    /// The client organisation the round is addressed to, and its name.
    pub client_org_id: Option<ClientOrgId>,
    pub client_org_name: Option<String>,
    /// Why an approved review was asked again (a reopened round).
    pub reopen_reason: Option<String>,
}

fn select(scope: &Scope, filter: &str, limit: i64) -> String {
    format!(
        "SELECT r.id, r.task_id, t.name AS task_name, r.round, \
           CASE WHEN {sub} THEN su.name END AS submitted_by, r.submitted_at, r.note, r.decision, \
           CASE WHEN {dec} THEN du.name END AS decided_by, r.decided_at, r.decision_comment, \
           r.client_org_id, o.name AS client_org_name, r.reopen_reason \
         FROM review_rounds r JOIN tasks t ON t.id = r.task_id JOIN users su ON su.id = r.submitted_by \
         LEFT JOIN users du ON du.id = r.decided_by LEFT JOIN client_orgs o ON o.id = r.client_org_id \
         WHERE {filter} AND {reviews} ORDER BY t.name, t.id, r.round LIMIT {limit}",
        sub = scope.people("su"),
        dec = scope.people("du"),
        reviews = scope.reviews()
    )
}

/// The rounds of one task, oldest first.
pub async fn for_task(conn: &mut Conn<'_>, scope: &Scope, project: ProjectId, task: TaskId) -> Result<Vec<Round>> {
    let sql = select(scope, "t.project_id = $3 AND t.id = $4", 10_000);
    on_conn!(conn, c => sqlx::query_as(&sql).bind(scope.subject()).bind(scope.permissions()).bind(project.0).bind(task.0).fetch_all(c).await)
        .map_err(db_error)
}

/// Every round of a project's tasks the viewer sees: the export.
pub async fn for_project(conn: &mut Conn<'_>, scope: &Scope, project: ProjectId, limit: i64) -> Result<Vec<Round>> {
    let sql = select(scope, "t.project_id = $3", limit.clamp(1, 10_000));
    on_conn!(conn, c => sqlx::query_as(&sql).bind(scope.subject()).bind(scope.permissions()).bind(project.0).fetch_all(c).await)
        .map_err(db_error)
}
