//! Comments on tasks: internal or client-visible, with @mentions of people the author may
//! address; edits and deletions keep the earlier text.

use crate::App;
use crate::projects::managed;
use domain::access::{Hidden, Viewer, may_comment};
use domain::activity::ActivityKind;
use domain::comments::{handle_of, mentioned_handles};
use domain::ids::{CommentId, ProjectId, TaskId, UserId};
use domain::text::markdown_body;
use domain::{Error, Result};
use std::collections::HashMap;
use store::Conn;
use store::comments::{Comment, Revision};
use store::scope::Scope;

impl App {
    /// The comments of a task the viewer sees, a page at a time (oldest first).
    pub async fn comments(
        &self,
        viewer: &Viewer,
        project: ProjectId,
        task: TaskId,
        limit: i64,
        offset: i64,
    ) -> Result<(Vec<Comment>, i64)> {
        let scope = Scope::new(viewer);
        let mut handle = self.db.read().await?;
        let mut conn = handle.conn();
        store::tasks::get(&mut conn, &scope, project, task).await?;
        store::comments::list(&mut conn, &scope, project, task, limit.clamp(1, 200), offset.max(0)).await
    }

    /// Who may comment is decided before what they wrote is checked, so that someone without
    /// the right learns nothing from the validation.
    pub async fn add_comment(&self, viewer: &Viewer, project: ProjectId, task: TaskId, body: &str, internal: bool) -> Result<CommentId> {
        let now = self.now();
        let id = CommentId::new();
        let mut tx = self.db.begin().await?;
        let mut conn = tx.conn();
        let found = store::projects::with_members(&mut conn, project).await?;
        let target = store::tasks::get_unscoped(&mut conn, project, task).await?;
        may_comment(viewer, &found.facts(), &target.facts()).map_err(|hidden| match hidden {
            Hidden::PermissionOff { permission } if permission != domain::access::Permission::ViewTasks => Error::Forbidden,
            _ => Error::NotFound,
        })?;
        if viewer.is_client() && internal {
            return Err(Error::invalid("internal", "clients cannot write internal comments"));
        }
        let body = markdown_body(body)?;
        let comment = store::comments::NewComment {
            id,
            task,
            project,
            author: viewer.user_id(),
            author_org: viewer.client_org(),
            body: &body,
            internal,
        };
        store::comments::insert(&mut conn, &comment, now).await?;
        let mentioned = self::mentions(&mut conn, viewer, &found.staff, &body).await?;
        store::comments::add_mentions(&mut conn, id, &mentioned).await?;
        let event = store::activity::NewEvent {
            project,
            actor: Some(viewer.user_id()),
            task: Some(task),
            comment: Some(id),
            ..Default::default()
        };
        store::activity::record(&mut conn, ActivityKind::CommentAdded, &event, now).await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Only the author edits a comment; the earlier text is kept.
    pub async fn edit_comment(&self, viewer: &Viewer, project: ProjectId, task: TaskId, id: CommentId, body: &str) -> Result<()> {
        let mut tx = self.db.begin().await?;
        let mut conn = tx.conn();
        let comment = store::comments::get(&mut conn, &Scope::new(viewer), project, task, id).await?;
        if comment.author_id != viewer.user_id() || comment.deleted_at.is_some() {
            return Err(Error::Forbidden);
        }
        let body = markdown_body(body)?;
        store::comments::edit(&mut conn, id, &comment.body, &body, viewer.user_id(), self.now()).await?;
        tx.commit().await
    }

    /// The author, or staff managing the project, delete a comment; a trace remains.
    pub async fn delete_comment(&self, viewer: &Viewer, project: ProjectId, task: TaskId, id: CommentId) -> Result<()> {
        let mut tx = self.db.begin().await?;
        let mut conn = tx.conn();
        let comment = store::comments::get(&mut conn, &Scope::new(viewer), project, task, id).await?;
        if comment.author_id != viewer.user_id() {
            managed(&mut conn, viewer, project).await?;
        }
        if comment.deleted_at.is_some() {
            return Ok(());
        }
        store::comments::delete(&mut conn, id, &comment.body, viewer.user_id(), self.now()).await?;
        tx.commit().await
    }

    /// The earlier versions of the edited and deleted comments of a task, by comment: staff only.
    pub async fn comment_histories(&self, viewer: &Viewer, project: ProjectId, task: TaskId) -> Result<HashMap<CommentId, Vec<Revision>>> {
        let mut handle = self.db.read().await?;
        let mut conn = handle.conn();
        managed(&mut conn, viewer, project).await?;
        store::tasks::get(&mut conn, &Scope::new(viewer), project, task).await?;
        store::comments::revisions_of_task(&mut conn, task).await
    }
}

/// The people a comment mentions, among those its author may address: staff on the project
/// for everyone, and for a client also the contacts of their own organisation.
async fn mentions(conn: &mut Conn<'_>, viewer: &Viewer, staff: &[UserId], body: &str) -> Result<Vec<UserId>> {
    let handles = mentioned_handles(body);
    if handles.is_empty() {
        return Ok(Vec::new());
    }
    // The active team in one query, narrowed to the project's staff.
    let mut people: Vec<(UserId, String)> = store::users::team(conn, i64::MAX)
        .await?
        .into_iter()
        .filter(|member| staff.contains(&member.id))
        .map(|member| (member.id, member.email))
        .collect();
    if let Some(org) = viewer.client_org() {
        for contact in store::clients::contacts(conn, org).await? {
            people.push((contact.id, contact.email));
        }
    }
    Ok(people
        .into_iter()
        .filter(|(id, email)| *id != viewer.user_id() && handles.iter().any(|h| h == &handle_of(email).to_lowercase()))
        .map(|(id, _)| id)
        .collect())
}
