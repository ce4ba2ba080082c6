//! Milestones: dated goals of a project, shared with clients or kept internal.

use crate::App;
use crate::projects::managed;
use domain::Result;
use domain::access::Viewer;
use domain::activity::ActivityKind;
use domain::ids::{MilestoneId, ProjectId};
use domain::milestones::MilestoneDetails;
use store::milestones::Milestone;
use store::scope::Scope;

impl App {
    pub async fn milestones(&self, viewer: &Viewer, project: ProjectId) -> Result<Vec<Milestone>> {
        let scope = Scope::new(viewer);
        let mut handle = self.db.read().await?;
        let mut conn = handle.conn();
        store::projects::get(&mut conn, &scope, project).await?;
        store::milestones::list(&mut conn, &scope, project).await
    }

    pub async fn create_milestone(&self, viewer: &Viewer, project: ProjectId, details: &MilestoneDetails) -> Result<MilestoneId> {
        let now = self.now();
        let id = MilestoneId::new();
        let mut tx = self.db.begin().await?;
        let mut conn = tx.conn();
        managed(&mut conn, viewer, project).await?;
        store::milestones::insert(&mut conn, id, project, details, now).await?;
        let event = store::activity::NewEvent {
            project,
            actor: Some(viewer.user_id()),
            milestone: Some(id),
            ..Default::default()
        };
        store::activity::record(&mut conn, ActivityKind::MilestoneCreated, &event, now).await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Edits a milestone; the details are checked only once the milestone is found in the
    /// project (`parse` runs after that).
    pub async fn update_milestone(
        &self,
        viewer: &Viewer,
        project: ProjectId,
        id: MilestoneId,
        parse: impl FnOnce() -> Result<MilestoneDetails>,
    ) -> Result<()> {
        let mut tx = self.db.begin().await?;
        let mut conn = tx.conn();
        managed(&mut conn, viewer, project).await?;
        if !store::milestones::belongs_to(&mut conn, project, id).await? {
            return Err(domain::Error::NotFound);
        }
        let details = &parse()?;
        store::milestones::update(&mut conn, project, id, details, self.now()).await?;
        tx.commit().await
    }

    /// Deletes a milestone (staff on the project, admins); its tasks stay, unlinked.
    pub async fn delete_milestone(&self, viewer: &Viewer, project: ProjectId, id: MilestoneId) -> Result<()> {
        let mut tx = self.db.begin().await?;
        let mut conn = tx.conn();
        managed(&mut conn, viewer, project).await?;
        store::milestones::delete(&mut conn, project, id).await?;
        tx.commit().await
    }

    pub async fn complete_milestone(&self, viewer: &Viewer, project: ProjectId, id: MilestoneId, completed: bool) -> Result<()> {
        let now = self.now();
        let mut tx = self.db.begin().await?;
        let mut conn = tx.conn();
        managed(&mut conn, viewer, project).await?;
        store::milestones::set_completed(&mut conn, project, id, completed.then_some(now)).await?;
        if completed {
            let event = store::activity::NewEvent {
                project,
                actor: Some(viewer.user_id()),
                milestone: Some(id),
                ..Default::default()
            };
            store::activity::record(&mut conn, ActivityKind::MilestoneCompleted, &event, now).await?;
        }
        tx.commit().await
    }
}
