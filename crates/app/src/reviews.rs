//! Client review: staff submit a task with a note; a contact approves or asks for revisions;
//! the task moves to the column the project names for each outcome; every round is kept.

use crate::App;
use crate::projects::managed;
use domain::access::{Viewer, may_decide_review};
use domain::activity::ActivityKind;
use domain::ids::{ClientOrgId, ColumnId, ProjectId, TaskId};
use domain::reviews::{Decision, ReviewState, addressed_organisation, check_decision, check_submission};
use domain::text::multi_line;
use domain::{Error, Result};
use store::reviews::Round;
use store::scope::Scope;

/// A round just opened: whom it went to, and how many attachments they will see with it.
pub struct ReviewSubmitted {
    pub organisation: String,
    pub attachments_seen: i64,
}

impl App {
    /// Opens a round addressed to one client organisation (`organisation`, or the project's
    /// only client): only its contacts see the prompt and the trail. An approved task needs
    /// `reopen_reason`, which the round keeps.
    pub async fn submit_for_review(
        &self,
        viewer: &Viewer,
        project: ProjectId,
        task: TaskId,
        organisation: Option<ClientOrgId>,
        note: &str,
        reopen_reason: Option<&str>,
    ) -> Result<ReviewSubmitted> {
        let note = multi_line("note", note, 10_000)?;
        let now = self.now();
        let mut tx = self.db.begin().await?;
        let mut conn = tx.conn();
        let found = managed(&mut conn, viewer, project).await?;
        store::projects::lock(&mut conn, project).await?;
        let current = store::tasks::get_unscoped(&mut conn, project, task).await?;
        let reopen_reason = check_submission(current.review_enabled, current.review_state, reopen_reason)?;
        if !current.client_visible {
            return Err(Error::invalid(
                "review",
                "share the task with the client before asking for their review",
            ));
        }
        let addressed_to = addressed_organisation(&found.client_orgs, organisation)?;
        store::reviews::open_round(
            &mut conn,
            task,
            addressed_to,
            viewer.user_id(),
            &note,
            reopen_reason.as_deref(),
            now,
        )
        .await?;
        store::tasks::set_review_state(&mut conn, task, Some(ReviewState::Pending), Some(addressed_to), now).await?;
        self.move_for_review(&mut conn, &current, found.project.review_column_id, now)
            .await?;
        let event = store::activity::NewEvent {
            project,
            actor: Some(viewer.user_id()),
            task: Some(task),
            audience: Some(addressed_to),
            ..Default::default()
        };
        store::activity::record(&mut conn, ActivityKind::ReviewSubmitted, &event, now).await?;
        let attachments_seen = store::files::attachments_seen_by(&mut conn, project, task, addressed_to).await?;
        let organisation = store::clients::get(&mut conn, addressed_to).await?.name;
        tx.commit().await?;
        Ok(ReviewSubmitted {
            organisation,
            attachments_seen,
        })
    }

    /// A contact's decision (`approve` or `request_revisions`), checked after the policy.
    pub async fn decide_review(&self, viewer: &Viewer, project: ProjectId, task: TaskId, decision: &str, comment: &str) -> Result<()> {
        let now = self.now();
        let mut tx = self.db.begin().await?;
        let mut conn = tx.conn();
        let found = store::projects::with_members(&mut conn, project).await?;
        let current = store::tasks::get_unscoped(&mut conn, project, task).await?;
        let review = current.review_facts();
        may_decide_review(viewer, &found.facts(), &current.facts(), &review)?;
        let organisation = review.addressed_to.ok_or(Error::NotFound)?;
        let decision: Decision = decision.parse()?;
        let comment = check_decision(current.review_state, decision, comment)?;
        store::projects::lock(&mut conn, project).await?;
        store::reviews::decide(&mut conn, task, organisation, decision, viewer.user_id(), &comment, now).await?;
        store::tasks::set_review_state(&mut conn, task, Some(decision.state()), Some(organisation), now).await?;
        let (column, kind) = match decision {
            Decision::Approved => (found.project.approved_column_id, ActivityKind::ReviewApproved),
            Decision::RevisionsRequested => (found.project.revisions_column_id, ActivityKind::RevisionsRequested),
        };
        self.move_for_review(&mut conn, &current, column, now).await?;
        let event = store::activity::NewEvent {
            project,
            actor: Some(viewer.user_id()),
            task: Some(task),
            detail: comment.chars().take(200).collect(),
            audience: Some(organisation),
            ..Default::default()
        };
        store::activity::record(&mut conn, kind, &event, now).await?;
        tx.commit().await
    }

    /// Moves a task to the bottom of the column review names, if the project names one.
    async fn move_for_review(
        &self,
        conn: &mut store::Conn<'_>,
        task: &store::tasks::Task,
        column: Option<ColumnId>,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<()> {
        let Some(column) = column else { return Ok(()) };
        let columns = store::projects::columns(conn, task.project_id).await?;
        let Some(target) = columns.iter().find(|c| c.id == column) else {
            return Ok(());
        };
        if task.column_id == target.id {
            return Ok(());
        }
        let after = store::tasks::column_order(conn, target.id).await?.last().copied();
        self.place(conn, task, target, after, now).await
    }

    /// The review rounds of one task, oldest first.
    pub async fn review_rounds(&self, viewer: &Viewer, project: ProjectId, task: TaskId) -> Result<Vec<Round>> {
        let scope = Scope::new(viewer);
        let mut handle = self.db.read().await?;
        let mut conn = handle.conn();
        store::tasks::get(&mut conn, &scope, project, task).await?;
        store::reviews::for_task(&mut conn, &scope, project, task).await
    }

    /// Every round of the project's tasks the viewer sees: the trail to export.
    pub async fn review_trail(&self, viewer: &Viewer, project: ProjectId) -> Result<Vec<Round>> {
        let scope = Scope::new(viewer);
        let mut handle = self.db.read().await?;
        let mut conn = handle.conn();
        store::projects::get(&mut conn, &scope, project).await?;
        store::reviews::for_project(&mut conn, &scope, project, 10_000).await
    }

    /// Whether the viewer sees any review round of the project (to offer its export).
    pub async fn has_review_history(&self, viewer: &Viewer, project: ProjectId) -> Result<bool> {
        let mut handle = self.db.read().await?;
        let rounds = store::reviews::for_project(&mut handle.conn(), &Scope::new(viewer), project, 1).await?;
        Ok(!rounds.is_empty())
    }
}

/// The trail as CSV (RFC 4180), one row per round.
pub fn trail_csv(rounds: &[Round]) -> String {
    let mut out =
        String::from("task,round,addressed_to,submitted_by,submitted_at,reopen_reason,note,decision,decided_by,decided_at,comment\r\n");
    for r in rounds {
        let fields = [
            r.task_name.clone(),
            r.round.to_string(),
            r.client_org_name.clone().unwrap_or_default(),
            r.submitted_by.clone().unwrap_or_default(),
            r.submitted_at.to_rfc3339(),
            r.reopen_reason.clone().unwrap_or_default(),
            r.note.clone(),
            r.decision.map(|d| d.as_str().to_string()).unwrap_or_default(),
            r.decided_by.clone().unwrap_or_default(),
            r.decided_at.map(|d| d.to_rfc3339()).unwrap_or_default(),
            r.decision_comment.clone().unwrap_or_default(),
        ];
        let row: Vec<String> = fields.iter().map(|f| crate::csv::text(f)).collect();
        out.push_str(&row.join(","));
        out.push_str("\r\n");
    }
    out
}
