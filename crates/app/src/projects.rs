//! Projects: creation with the default board, members, status and archive; the project
//! overview and the dashboards, all read through the viewer's scope.

use crate::App;
use domain::access::{Viewer, project_visibility};
use domain::activity::ActivityKind;
use domain::ids::{ClientOrgId, ColumnId, ProjectId, UserId};
use domain::projects::{ProjectDetails, parse_column_name};
use domain::tasks::{DUE_SOON_DAYS, POSITION_GAP};
use domain::users::{Page, PageRequest, Role};
use domain::{Error, Result};
use serde::Serialize;
use store::Conn;
use store::projects::{BoardColumn, Member, Project, ProjectFilter, ProjectListItem, ProjectWithMembers, StatusCounts};
use store::scope::Scope;

/// A project as its overview shows it to one viewer.
#[derive(Clone, Debug, Serialize)]
pub struct ProjectOverview {
    pub project: Project,
    pub columns: Vec<BoardColumn>,
    pub progress: domain::projects::Progress,
    /// Staff names; empty for a client when the project hides assignees.
    pub staff: Vec<Member>,
    /// Organisations on the project; a client sees only their own.
    pub client_orgs: Vec<Member>,
}

/// A project with its board's columns: what a page that names tasks' statuses needs.
#[derive(Clone, Debug, Serialize)]
pub struct ProjectColumns {
    pub project: Project,
    pub columns: Vec<BoardColumn>,
}

/// What a dashboard shows.
#[derive(Clone, Debug, Serialize)]
pub struct Dashboard {
    pub counts: StatusCounts,
    pub my_tasks: Vec<store::tasks::MyTask>,
    pub pending_reviews: Vec<store::tasks::PendingReview>,
    pub pending_review_count: i64,
    pub activity: Vec<store::activity::Entry>,
    pub projects: Page<ProjectListItem>,
}

/// What the portal's home shows: the contact's projects, what waits for their review, and
/// recent activity. (No counts: the portal does not show them, and every query costs.)
#[derive(Clone, Debug, Serialize)]
pub struct PortalHome {
    pub projects: Vec<ProjectListItem>,
    pub reviews: Vec<store::tasks::PendingReview>,
    pub activity: Vec<store::activity::Entry>,
}

/// An edit of a project: see [`App::update_project`].
pub struct ProjectChange<'a> {
    pub details: &'a ProjectDetails,
    pub review: Option<ReviewColumns>,
    pub members: Option<&'a Members>,
}

/// Where client review moves a task.
#[derive(Clone, Copy, Debug, Default)]
pub struct ReviewColumns {
    pub review: Option<ColumnId>,
    pub revisions: Option<ColumnId>,
    pub approved: Option<ColumnId>,
}

/// Members of a project chosen in a form.
#[derive(Clone, Debug, Default)]
pub struct Members {
    pub staff: Vec<UserId>,
    pub client_orgs: Vec<ClientOrgId>,
}

/// Loads a project for a change: the viewer must manage it (an admin, or staff on it).
/// Someone who cannot see it gets `NotFound`, a client who can gets `Forbidden`.
pub(crate) async fn managed(conn: &mut Conn<'_>, viewer: &Viewer, id: ProjectId) -> Result<ProjectWithMembers> {
    let project = store::projects::with_members(conn, id).await?;
    project_visibility(viewer, &project.facts()).map_err(|_| Error::NotFound)?;
    if viewer.is_client() {
        return Err(Error::Forbidden);
    }
    Ok(project)
}

impl App {
    /// Whether the viewer may change this project: `NotFound` when they cannot see it,
    /// `Forbidden` for a client. Handlers call it before reading a form, so that someone
    /// without access learns nothing from the form's validation.
    pub async fn check_manage(&self, viewer: &Viewer, id: ProjectId) -> Result<()> {
        let mut handle = self.db.read().await?;
        managed(&mut handle.conn(), viewer, id).await.map(|_| ())
    }

    /// A new project with its board. Staff may create one with colleagues on it, but it
    /// starts internal: sharing with a client organisation is an admin's decision, here as
    /// in [`App::update_project`].
    pub async fn create_project(&self, viewer: &Viewer, details: &ProjectDetails, members: &Members) -> Result<ProjectId> {
        let creator = match viewer {
            Viewer::Admin(id) => *id,
            Viewer::Staff { .. } if !members.client_orgs.is_empty() => {
                return Err(Error::invalid(
                    "client_orgs",
                    "Only an admin shares a project with a client organisation: create it without one, and ask an admin to share it.",
                ));
            }
            Viewer::Staff { id, .. } => *id,
            Viewer::Client { .. } => return Err(Error::Forbidden),
        };
        let mut staff = members.staff.clone();
        if matches!(viewer, Viewer::Staff { .. }) && !staff.contains(&creator) {
            staff.push(creator);
        }
        let now = self.now();
        let id = ProjectId::new();
        let mut tx = self.db.begin().await?;
        let mut conn = tx.conn();
        check_members(&mut conn, &staff, &members.client_orgs).await?;
        store::projects::insert(&mut conn, id, details, Some(creator), now).await?;
        store::projects::set_staff(&mut conn, id, &staff).await?;
        store::projects::set_client_orgs(&mut conn, id, &members.client_orgs).await?;
        let names = &self.config.board_columns;
        let mut column_ids: Vec<ColumnId> = Vec::with_capacity(names.len());
        for (index, name) in names.iter().enumerate() {
            let is_done = index + 1 == names.len();
            let position = (index as i64 + 1) * POSITION_GAP;
            column_ids.push(store::projects::insert_column(&mut conn, id, name, position, is_done, now).await?);
        }
        let (review, revisions, approved) = review_columns(&column_ids);
        store::projects::set_review_columns(&mut conn, id, review, revisions, approved).await?;
        let event = store::activity::NewEvent {
            project: id,
            actor: Some(creator),
            ..Default::default()
        };
        store::activity::record(&mut conn, ActivityKind::ProjectCreated, &event, now).await?;
        store::audit::record(&mut conn, Some(creator), "project.create", Some(id.0), &details.name, now).await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Edits a project in one transaction: its details, and where given, where client review
    /// moves tasks (columns of this project) and who is on it (admins only: staff cannot share
    /// into organisations on their own). Nothing is stored unless all of it is valid.
    pub async fn update_project(&self, viewer: &Viewer, id: ProjectId, change: &ProjectChange<'_>) -> Result<()> {
        if change.members.is_some() && !matches!(viewer, Viewer::Admin(_)) {
            return Err(Error::Forbidden);
        }
        let now = self.now();
        let mut tx = self.db.begin().await?;
        let mut conn = tx.conn();
        managed(&mut conn, viewer, id).await?;
        if let Some(columns) = change.review {
            let board = store::projects::columns(&mut conn, id).await?;
            for (field, column) in [
                ("review_column", columns.review),
                ("revisions_column", columns.revisions),
                ("approved_column", columns.approved),
            ] {
                if column.is_some_and(|c| !board.iter().any(|b| b.id == c)) {
                    return Err(Error::invalid(field, "choose a column of this board"));
                }
            }
            store::projects::set_review_columns(&mut conn, id, columns.review, columns.revisions, columns.approved).await?;
        }
        if let Some(members) = change.members {
            check_members(&mut conn, &members.staff, &members.client_orgs).await?;
            store::projects::set_staff(&mut conn, id, &members.staff).await?;
            store::projects::set_client_orgs(&mut conn, id, &members.client_orgs).await?;
            store::audit::record(&mut conn, Some(viewer.user_id()), "project.members", Some(id.0), "", now).await?;
        }
        store::projects::update(&mut conn, id, change.details, now).await?;
        tx.commit().await
    }

    pub async fn archive_project(&self, viewer: &Viewer, id: ProjectId, archived: bool) -> Result<()> {
        let now = self.now();
        let mut tx = self.db.begin().await?;
        let mut conn = tx.conn();
        managed(&mut conn, viewer, id).await?;
        store::projects::set_archived(&mut conn, id, archived.then_some(now), now).await?;
        let action = if archived { "project.archive" } else { "project.unarchive" };
        store::audit::record(&mut conn, Some(viewer.user_id()), action, Some(id.0), "", now).await?;
        tx.commit().await
    }

    pub async fn projects(&self, viewer: &Viewer, filter: &ProjectFilter, page: PageRequest) -> Result<Page<ProjectListItem>> {
        let mut handle = self.db.read().await?;
        store::projects::list(&mut handle.conn(), &Scope::new(viewer), filter, page).await
    }

    pub async fn project_overview(&self, viewer: &Viewer, id: ProjectId) -> Result<ProjectOverview> {
        let scope = Scope::new(viewer);
        let mut handle = self.db.read().await?;
        let mut conn = handle.conn();
        let project = store::projects::get(&mut conn, &scope, id).await?;
        let columns = store::projects::columns(&mut conn, id).await?;
        let progress = store::projects::progress(&mut conn, &scope, &[id])
            .await?
            .remove(&project.id)
            .unwrap_or_default();
        let mut staff = store::projects::staff_members(&mut conn, id).await?;
        let mut client_orgs = store::projects::client_members(&mut conn, id).await?;
        if let Viewer::Client { org, .. } = viewer {
            client_orgs.retain(|o| o.id == org.0);
            if !domain::access::sees_assignees(viewer, project.show_assignees) {
                staff.clear();
            }
        }
        Ok(ProjectOverview {
            project,
            columns,
            progress,
            staff,
            client_orgs,
        })
    }

    /// The staff on a project, for its filters (not for clients).
    pub async fn project_staff(&self, viewer: &Viewer, id: ProjectId) -> Result<Vec<Member>> {
        if viewer.is_client() {
            return Err(Error::Forbidden);
        }
        let mut handle = self.db.read().await?;
        let mut conn = handle.conn();
        store::projects::get(&mut conn, &Scope::new(viewer), id).await?;
        store::projects::staff_members(&mut conn, id).await
    }

    /// The client organisations on a project, for staff choosing who reviews a task (not for
    /// clients: they never learn of another organisation).
    pub async fn project_clients(&self, viewer: &Viewer, id: ProjectId) -> Result<Vec<Member>> {
        if viewer.is_client() {
            return Err(Error::Forbidden);
        }
        let mut handle = self.db.read().await?;
        let mut conn = handle.conn();
        store::projects::get(&mut conn, &Scope::new(viewer), id).await?;
        store::projects::client_members(&mut conn, id).await
    }

    /// A project the viewer sees and its columns (two queries, where the overview runs five).
    pub async fn project_columns(&self, viewer: &Viewer, id: ProjectId) -> Result<ProjectColumns> {
        let mut handle = self.db.read().await?;
        let mut conn = handle.conn();
        let project = store::projects::get(&mut conn, &Scope::new(viewer), id).await?;
        let columns = store::projects::columns(&mut conn, id).await?;
        Ok(ProjectColumns { project, columns })
    }

    /// The dashboard of any viewer: counts by status, their tasks due soon, reviews pending,
    /// recent activity and their projects, each scoped like the lists.
    pub async fn dashboard(&self, viewer: &Viewer) -> Result<Dashboard> {
        let scope = Scope::new(viewer);
        let today = self.today();
        let mut handle = self.db.read().await?;
        let mut conn = handle.conn();
        let counts = store::projects::status_counts(&mut conn, &scope, today).await?;
        let my_tasks = if viewer.is_client() {
            Vec::new()
        } else {
            let horizon = today + chrono::Days::new(DUE_SOON_DAYS as u64);
            store::tasks::assigned_due(&mut conn, &scope, viewer.user_id(), horizon, 10).await?
        };
        let pending_reviews = store::tasks::pending_reviews(&mut conn, &scope, 10).await?;
        let pending_review_count = store::tasks::pending_review_count(&mut conn, &scope).await?;
        let activity = store::activity::feed(&mut conn, &scope, None, None, 15).await?;
        let projects = store::projects::list(&mut conn, &scope, &ProjectFilter::default(), PageRequest::new(Some(1), Some(50))).await?;
        Ok(Dashboard {
            counts,
            my_tasks,
            pending_reviews,
            pending_review_count,
            activity,
            projects,
        })
    }

    pub async fn portal_home(&self, viewer: &Viewer) -> Result<PortalHome> {
        let scope = Scope::new(viewer);
        let mut handle = self.db.read().await?;
        let mut conn = handle.conn();
        let projects = store::projects::list_items(&mut conn, &scope, &ProjectFilter::default(), 50, 0).await?;
        let reviews = if viewer.allows(domain::access::Permission::Review) {
            store::tasks::pending_reviews(&mut conn, &scope, 10).await?
        } else {
            Vec::new()
        };
        let activity = store::activity::feed(&mut conn, &scope, None, None, 10).await?;
        Ok(PortalHome {
            projects,
            reviews,
            activity,
        })
    }

    /// A page of a project's activity (or of all the viewer's projects), newest first.
    pub async fn activity(
        &self,
        viewer: &Viewer,
        project: Option<ProjectId>,
        before: Option<(chrono::DateTime<chrono::Utc>, domain::ids::ActivityId)>,
        limit: i64,
    ) -> Result<Vec<store::activity::Entry>> {
        let mut handle = self.db.read().await?;
        store::activity::feed(&mut handle.conn(), &Scope::new(viewer), project, before, limit.clamp(1, 100)).await
    }

    /// Today in the installation's time zone.
    pub fn today(&self) -> chrono::NaiveDate {
        self.now().with_timezone(&self.config.time_zone).date_naive()
    }

    pub async fn add_column(&self, viewer: &Viewer, project: ProjectId, name: &str) -> Result<ColumnId> {
        let name = parse_column_name(name)?;
        let mut tx = self.db.begin().await?;
        let mut conn = tx.conn();
        managed(&mut conn, viewer, project).await?;
        let columns = store::projects::columns(&mut conn, project).await?;
        if columns.len() >= 20 {
            return Err(Error::invalid("name", "a board has at most 20 columns"));
        }
        // New columns go before the last (completed) column.
        let position = match columns.as_slice() {
            [.., before, last] if last.is_done => domain::tasks::position_between(Some(before.position), Some(last.position)),
            [.., last] => last.position.checked_add(POSITION_GAP),
            [] => Some(POSITION_GAP),
        }
        .ok_or_else(|| Error::invalid("name", "no room for another column here; reorder the columns first"))?;
        let id = store::projects::insert_column(&mut conn, project, &name, position, false, self.now()).await?;
        tx.commit().await?;
        Ok(id)
    }

    pub async fn rename_column(&self, viewer: &Viewer, project: ProjectId, column: ColumnId, name: &str, is_done: bool) -> Result<()> {
        let mut tx = self.db.begin().await?;
        let mut conn = tx.conn();
        managed(&mut conn, viewer, project).await?;
        if !store::projects::columns(&mut conn, project).await?.iter().any(|c| c.id == column) {
            return Err(Error::NotFound);
        }
        let name = parse_column_name(name)?;
        store::projects::rename_column(&mut conn, project, column, &name, is_done).await?;
        tx.commit().await
    }

    /// Moves a column one place left (`-1`) or right (`+1`).
    pub async fn shift_column(&self, viewer: &Viewer, project: ProjectId, column: ColumnId, direction: i8) -> Result<()> {
        let mut tx = self.db.begin().await?;
        let mut conn = tx.conn();
        managed(&mut conn, viewer, project).await?;
        store::projects::lock(&mut conn, project).await?;
        let mut columns = store::projects::columns(&mut conn, project).await?;
        let index = columns.iter().position(|c| c.id == column).ok_or(Error::NotFound)?;
        let target = index as i64 + i64::from(direction.signum());
        if target < 0 || target as usize >= columns.len() {
            return Ok(());
        }
        columns.swap(index, target as usize);
        for (i, c) in columns.iter().enumerate() {
            store::projects::set_column_position(&mut conn, project, c.id, (i as i64 + 1) * POSITION_GAP).await?;
        }
        tx.commit().await
    }

    pub async fn delete_column(&self, viewer: &Viewer, project: ProjectId, column: ColumnId) -> Result<()> {
        let mut tx = self.db.begin().await?;
        let mut conn = tx.conn();
        let found = managed(&mut conn, viewer, project).await?;
        if store::projects::columns(&mut conn, project).await?.len() <= 2 {
            return Err(Error::invalid("column", "a board keeps at least two columns"));
        }
        let referenced = [
            found.project.review_column_id,
            found.project.revisions_column_id,
            found.project.approved_column_id,
        ];
        if referenced.contains(&Some(column)) {
            return Err(Error::invalid(
                "column",
                "client review moves tasks to this column; choose another in the review settings first",
            ));
        }
        if !store::projects::delete_empty_column(&mut conn, project, column).await? {
            return Err(Error::invalid("column", "move the tasks out of this column before deleting it"));
        }
        tx.commit().await
    }
}

/// The review columns of a fresh board: submitted tasks go to the second-to-last column, a
/// revision request sends them to the second, an approval to the last (completed).
fn review_columns(columns: &[ColumnId]) -> (Option<ColumnId>, Option<ColumnId>, Option<ColumnId>) {
    match columns {
        [first, .., review, done] if columns.len() >= 3 => (Some(*review), Some(columns.get(1).copied().unwrap_or(*first)), Some(*done)),
        [first, done] => (Some(*first), Some(*first), Some(*done)),
        _ => (None, None, None),
    }
}

/// Staff must be active staff or admins; organisations must exist and not be archived.
async fn check_members(conn: &mut Conn<'_>, staff: &[UserId], orgs: &[ClientOrgId]) -> Result<()> {
    for id in staff {
        let user = store::users::get(conn, *id)
            .await
            .map_err(|_| Error::invalid("staff", "choose staff from the list"))?;
        if user.role == Role::Client || !user.is_active() {
            return Err(Error::invalid("staff", format!("{} cannot be assigned to projects", user.name)));
        }
    }
    for id in orgs {
        let org = store::clients::get(conn, *id)
            .await
            .map_err(|_| Error::invalid("client_orgs", "choose organisations from the list"))?;
        if org.archived_at.is_some() {
            return Err(Error::invalid("client_orgs", format!("{} is archived", org.name)));
        }
    }
    Ok(())
}
