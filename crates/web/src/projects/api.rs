//! The projects API: lists, details, creating, editing and archiving, milestones, the board's
//! columns, the activity feed and the dashboard, under the caller's scope (a client's token
//! gets the client's view).

use crate::AppState;
use crate::api_core::{ApiJson, ApiQuery, ApiUser, NamedRef, Problem};
use crate::error::WebResult;
use crate::views::parse_id;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use domain::access::Viewer;
use domain::ids::{ClientOrgId, ColumnId, MilestoneId, ProjectId, UserId};
use domain::milestones::MilestoneDetails;
use domain::projects::{Progress, ProjectDetails, ProjectInput};
use domain::users::PageRequest;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

#[derive(Serialize, ToSchema)]
pub struct ProgressView {
    pub done: i64,
    pub total: i64,
    pub percent: i64,
}

impl From<Progress> for ProgressView {
    fn from(p: Progress) -> Self {
        ProgressView {
            done: p.done,
            total: p.total,
            percent: p.percent(),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct ProjectSummary {
    pub id: Uuid,
    pub name: String,
    /// `active`, `on_hold` or `completed`.
    pub status: String,
    pub start_date: Option<chrono::NaiveDate>,
    pub deadline: Option<chrono::NaiveDate>,
    pub archived: bool,
    /// Over the tasks the caller sees.
    pub progress: ProgressView,
}

#[derive(Serialize, ToSchema)]
pub struct ProjectPage {
    pub items: Vec<ProjectSummary>,
    pub total: u64,
    pub page: u32,
    pub per_page: u32,
}

#[derive(Serialize, ToSchema)]
pub struct ColumnView {
    pub id: Uuid,
    pub name: String,
    /// Tasks in this column count as completed.
    pub is_done: bool,
}

impl From<store::projects::BoardColumn> for ColumnView {
    fn from(c: store::projects::BoardColumn) -> Self {
        ColumnView {
            id: c.id.0,
            name: c.name,
            is_done: c.is_done,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct ProjectView {
    pub id: Uuid,
    pub name: String,
    /// Markdown.
    pub description: String,
    pub status: String,
    pub start_date: Option<chrono::NaiveDate>,
    pub deadline: Option<chrono::NaiveDate>,
    pub archived: bool,
    /// Whether clients see who is assigned to tasks.
    pub show_assignees: bool,
    /// Where client review moves a task (absent for a client).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub review_columns: Option<ReviewColumnsView>,
    pub progress: ProgressView,
    /// The board's columns, in order: a task's status is its column.
    pub columns: Vec<ColumnView>,
    /// Empty for a client when the project hides assignees.
    pub staff: Vec<NamedRef>,
    /// A client sees only their own organisation.
    pub client_orgs: Vec<NamedRef>,
}

#[derive(Serialize, ToSchema)]
pub struct ReviewColumnsView {
    pub review_column_id: Option<Uuid>,
    pub revisions_column_id: Option<Uuid>,
    pub approved_column_id: Option<Uuid>,
}

#[derive(Deserialize, Default, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(default)]
pub struct ListQuery {
    /// Matches the project's name.
    pub q: String,
    /// `active`, `on_hold` or `completed`; `overdue` for those past their deadline and not
    /// completed.
    pub status: String,
    /// `true` lists archived projects instead of current ones.
    pub archived: bool,
    /// Only the projects of this client organisation.
    pub client: String,
    #[param(minimum = 1)]
    pub page: Option<u32>,
    #[param(minimum = 1, maximum = 100)]
    pub per_page: Option<u32>,
}

/// The projects the caller sees, most recently changed first.
#[utoipa::path(get, path = "/api/v1/projects", tag = "projects", params(ListQuery), responses(
    (status = 200, body = ProjectPage), (status = 401, body = Problem), (status = 422, body = Problem)
), security(("token" = [])))]
pub async fn list(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiQuery(query): ApiQuery<ListQuery>,
) -> WebResult<Json<ProjectPage>> {
    let today = state.app.today();
    let filter = super::list_filter(&query.q, &query.status, query.archived, &query.client, today)?;
    let page = state
        .app
        .projects(&user.viewer(), &filter, PageRequest::strict(query.page, query.per_page)?)
        .await?;
    Ok(Json(ProjectPage {
        total: page.total,
        page: page.page,
        per_page: page.per_page,
        items: page
            .items
            .into_iter()
            .map(|p| ProjectSummary {
                id: p.id.0,
                name: p.name,
                status: p.status.as_str().to_owned(),
                start_date: p.start_date,
                deadline: p.deadline,
                archived: p.archived_at.is_some(),
                progress: p.progress.into(),
            })
            .collect(),
    }))
}

async fn view(state: &AppState, viewer: &Viewer, id: ProjectId) -> Result<ProjectView, domain::Error> {
    let overview = state.app.project_overview(viewer, id).await?;
    let p = overview.project;
    Ok(ProjectView {
        id: p.id.0,
        name: p.name,
        description: p.description,
        status: p.status.as_str().to_owned(),
        start_date: p.start_date,
        deadline: p.deadline,
        archived: p.archived_at.is_some(),
        show_assignees: p.show_assignees,
        review_columns: (!viewer.is_client()).then_some(ReviewColumnsView {
            review_column_id: p.review_column_id.map(|id| id.0),
            revisions_column_id: p.revisions_column_id.map(|id| id.0),
            approved_column_id: p.approved_column_id.map(|id| id.0),
        }),
        progress: overview.progress.into(),
        columns: overview.columns.into_iter().map(ColumnView::from).collect(),
        staff: overview.staff.into_iter().map(|m| NamedRef { id: m.id, name: m.name }).collect(),
        client_orgs: overview
            .client_orgs
            .into_iter()
            .map(|m| NamedRef { id: m.id, name: m.name })
            .collect(),
    })
}

/// One project, as the caller sees it.
#[utoipa::path(get, path = "/api/v1/projects/{id}", tag = "projects", params(("id" = Uuid, Path)), responses(
    (status = 200, body = ProjectView), (status = 401, body = Problem), (status = 404, body = Problem)
), security(("token" = [])))]
pub async fn get(State(state): State<AppState>, ApiUser(user): ApiUser, Path(id): Path<String>) -> WebResult<Json<ProjectView>> {
    Ok(Json(view(&state, &user.viewer(), parse_id(&id)?).await?))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProjectRequest {
    #[schema(min_length = 1, max_length = 200)]
    pub name: Option<String>,
    /// Markdown.
    #[schema(max_length = 20000)]
    pub description: Option<String>,
    /// `active`, `on_hold` or `completed`.
    #[schema(pattern = "^(active|on_hold|completed)$")]
    pub status: Option<String>,
    /// `YYYY-MM-DD`, or empty for none.
    #[schema(pattern = r"^(\d{4}-\d{2}-\d{2})?$")]
    pub start_date: Option<String>,
    #[schema(pattern = r"^(\d{4}-\d{2}-\d{2})?$")]
    pub deadline: Option<String>,
    pub show_assignees: Option<bool>,
    /// Staff on the project (admins only when editing).
    pub staff: Option<Vec<Uuid>>,
    /// Client organisations on the project (admins only: staff create internal projects).
    pub client_orgs: Option<Vec<Uuid>>,
    /// Where client review moves a task on submission, on a revision request and on approval
    /// (editing only; a column of this project).
    pub review_column_id: Option<Uuid>,
    pub revisions_column_id: Option<Uuid>,
    pub approved_column_id: Option<Uuid>,
    /// Archives the project (`true`: clients no longer see it) or restores it (editing only).
    pub archived: Option<bool>,
}

/// Creates a project with the default board (admins and staff; staff are put on it).
#[utoipa::path(post, path = "/api/v1/projects", tag = "projects", request_body = ProjectRequest, responses(
    (status = 201, body = ProjectView), (status = 401, body = Problem), (status = 403, body = Problem), (status = 422, body = Problem)
), security(("token" = [])))]
pub async fn create(State(state): State<AppState>, ApiUser(user): ApiUser, ApiJson(request): ApiJson<ProjectRequest>) -> WebResult {
    let viewer = user.viewer();
    if viewer.is_client() {
        return Err(domain::Error::Forbidden.into());
    }
    let details = ProjectDetails::parse(&ProjectInput {
        name: request.name.as_deref().unwrap_or_default(),
        description: request.description.as_deref().unwrap_or_default(),
        status: request.status.as_deref().unwrap_or_default(),
        start_date: request.start_date.as_deref().unwrap_or_default(),
        deadline: request.deadline.as_deref().unwrap_or_default(),
        show_assignees: request.show_assignees.unwrap_or(false),
    })?;
    let members = app::projects::Members {
        staff: request.staff.unwrap_or_default().into_iter().map(UserId).collect(),
        client_orgs: request.client_orgs.unwrap_or_default().into_iter().map(ClientOrgId).collect(),
    };
    let id = state.app.create_project(&viewer, &details, &members).await?;
    Ok((StatusCode::CREATED, Json(view(&state, &viewer, id).await?)).into_response())
}

/// Changes a project: only the fields given.
#[utoipa::path(patch, path = "/api/v1/projects/{id}", tag = "projects", params(("id" = Uuid, Path)), request_body = ProjectRequest, responses(
    (status = 200, body = ProjectView), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)
), security(("token" = [])))]
pub async fn update(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path(id): Path<String>,
    ApiJson(request): ApiJson<ProjectRequest>,
) -> WebResult<Json<ProjectView>> {
    let viewer = user.viewer();
    let id: ProjectId = parse_id(&id)?;
    state.app.check_manage(&viewer, id).await?;
    let current = state.app.project_overview(&viewer, id).await?;
    let p = &current.project;
    let iso = crate::views::iso_date;
    let details = ProjectDetails::parse(&ProjectInput {
        name: request.name.as_deref().unwrap_or(&p.name),
        description: request.description.as_deref().unwrap_or(&p.description),
        status: request.status.as_deref().unwrap_or(p.status.as_str()),
        start_date: request.start_date.as_deref().unwrap_or(&iso(p.start_date)),
        deadline: request.deadline.as_deref().unwrap_or(&iso(p.deadline)),
        show_assignees: request.show_assignees.unwrap_or(p.show_assignees),
    })?;
    let review = (request.review_column_id.is_some() || request.revisions_column_id.is_some() || request.approved_column_id.is_some())
        .then(|| {
            let keep = |given: Option<Uuid>, current: Option<Uuid>| given.or(current).map(domain::ids::ColumnId);
            app::projects::ReviewColumns {
                review: keep(request.review_column_id, p.review_column_id.map(|id| id.0)),
                revisions: keep(request.revisions_column_id, p.revisions_column_id.map(|id| id.0)),
                approved: keep(request.approved_column_id, p.approved_column_id.map(|id| id.0)),
            }
        });
    let members = (request.staff.is_some() || request.client_orgs.is_some()).then(|| app::projects::Members {
        staff: request
            .staff
            .clone()
            .map(|s| s.into_iter().map(UserId).collect())
            .unwrap_or_else(|| current.staff.iter().map(|m| UserId(m.id)).collect()),
        client_orgs: request
            .client_orgs
            .clone()
            .map(|s| s.into_iter().map(ClientOrgId).collect())
            .unwrap_or_else(|| current.client_orgs.iter().map(|m| ClientOrgId(m.id)).collect()),
    });
    let change = app::projects::ProjectChange {
        details: &details,
        review,
        members: members.as_ref(),
    };
    state.app.update_project(&viewer, id, &change).await?;
    if let Some(archived) = request.archived {
        state.app.archive_project(&viewer, id, archived).await?;
    }
    Ok(Json(view(&state, &viewer, id).await?))
}

#[derive(Serialize, ToSchema)]
pub struct MilestoneView {
    pub id: Uuid,
    pub name: String,
    pub description: String,
    pub target_date: Option<chrono::NaiveDate>,
    pub completed_at: Option<chrono::DateTime<chrono::Utc>>,
    pub client_visible: bool,
    /// Over the linked tasks the caller sees.
    pub progress: ProgressView,
}

/// A project's milestones the caller sees, by target date.
#[utoipa::path(get, path = "/api/v1/projects/{id}/milestones", tag = "projects", params(("id" = Uuid, Path)), responses(
    (status = 200, body = Vec<MilestoneView>), (status = 401, body = Problem), (status = 404, body = Problem)
), security(("token" = [])))]
pub async fn milestones(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path(id): Path<String>,
) -> WebResult<Json<Vec<MilestoneView>>> {
    let list = state.app.milestones(&user.viewer(), parse_id(&id)?).await?;
    Ok(Json(list.into_iter().map(milestone_view).collect()))
}

fn milestone_view(m: store::milestones::Milestone) -> MilestoneView {
    MilestoneView {
        progress: m.progress().into(),
        id: m.id.0,
        name: m.name,
        description: m.description,
        target_date: m.target_date,
        completed_at: m.completed_at,
        client_visible: m.client_visible,
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MilestoneRequest {
    #[schema(min_length = 1, max_length = 200)]
    pub name: String,
    #[schema(max_length = 5000)]
    pub description: Option<String>,
    /// `YYYY-MM-DD`, or empty for none.
    #[schema(pattern = r"^(\d{4}-\d{2}-\d{2})?$")]
    pub target_date: Option<String>,
    /// Shared with the project's clients (default false).
    pub client_visible: Option<bool>,
}

/// Adds a milestone (staff on the project, admins).
#[utoipa::path(post, path = "/api/v1/projects/{id}/milestones", tag = "projects", params(("id" = Uuid, Path)), request_body = MilestoneRequest, responses(
    (status = 201, body = NamedRef), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)
), security(("token" = [])))]
pub async fn create_milestone(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path(id): Path<String>,
    ApiJson(request): ApiJson<MilestoneRequest>,
) -> WebResult {
    let viewer = user.viewer();
    let id: ProjectId = parse_id(&id)?;
    state.app.check_manage(&viewer, id).await?;
    let details = MilestoneDetails::parse(
        &request.name,
        request.description.as_deref().unwrap_or_default(),
        request.target_date.as_deref().unwrap_or_default(),
        request.client_visible.unwrap_or(false),
    )?;
    let milestone = state.app.create_milestone(&viewer, id, &details).await?;
    Ok((
        StatusCode::CREATED,
        Json(NamedRef {
            id: milestone.0,
            name: details.name,
        }),
    )
        .into_response())
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MilestoneChange {
    #[schema(min_length = 1, max_length = 200)]
    pub name: Option<String>,
    /// Markdown.
    #[schema(max_length = 5000)]
    pub description: Option<String>,
    /// `YYYY-MM-DD`, or empty for none.
    #[schema(pattern = r"^(\d{4}-\d{2}-\d{2})?$")]
    pub target_date: Option<String>,
    pub client_visible: Option<bool>,
    /// Marks the milestone completed (`true`) or reopens it.
    pub completed: Option<bool>,
}

/// Changes a milestone: only the fields given (staff on the project, admins).
#[utoipa::path(patch, path = "/api/v1/projects/{id}/milestones/{milestone}", tag = "projects", params(("id" = Uuid, Path), ("milestone" = Uuid, Path)),
    request_body = MilestoneChange, responses(
    (status = 200, body = MilestoneView), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)
), security(("token" = [])))]
pub async fn update_milestone(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path((id, milestone)): Path<(String, String)>,
    ApiJson(change): ApiJson<MilestoneChange>,
) -> WebResult<Json<MilestoneView>> {
    let viewer = user.viewer();
    let (project, milestone): (ProjectId, MilestoneId) = (parse_id(&id)?, parse_id(&milestone)?);
    state.app.check_manage(&viewer, project).await?;
    let find = |list: Vec<store::milestones::Milestone>| list.into_iter().find(|m| m.id == milestone).ok_or(domain::Error::NotFound);
    let current = find(state.app.milestones(&viewer, project).await?)?;
    let iso = crate::views::iso_date(current.target_date);
    state
        .app
        .update_milestone(&viewer, project, milestone, || {
            MilestoneDetails::parse(
                change.name.as_deref().unwrap_or(&current.name),
                change.description.as_deref().unwrap_or(&current.description),
                change.target_date.as_deref().unwrap_or(&iso),
                change.client_visible.unwrap_or(current.client_visible),
            )
        })
        .await?;
    if let Some(completed) = change.completed {
        state.app.complete_milestone(&viewer, project, milestone, completed).await?;
    }
    Ok(Json(milestone_view(find(state.app.milestones(&viewer, project).await?)?)))
}

/// Deletes a milestone; its tasks stay, unlinked (staff on the project, admins).
#[utoipa::path(delete, path = "/api/v1/projects/{id}/milestones/{milestone}", tag = "projects", params(("id" = Uuid, Path), ("milestone" = Uuid, Path)), responses(
    (status = 204, description = "Deleted"), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)
), security(("token" = [])))]
pub async fn delete_milestone(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path((id, milestone)): Path<(String, String)>,
) -> WebResult {
    let project: ProjectId = parse_id(&id)?;
    state.app.delete_milestone(&user.viewer(), project, parse_id(&milestone)?).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// The board's columns, left to right (tasks: `GET …/tasks`, each with its `column_id`).
#[utoipa::path(get, path = "/api/v1/projects/{id}/columns", tag = "projects", params(("id" = Uuid, Path)), responses(
    (status = 200, body = Vec<ColumnView>), (status = 401, body = Problem), (status = 404, body = Problem)
), security(("token" = [])))]
pub async fn columns(State(state): State<AppState>, ApiUser(user): ApiUser, Path(id): Path<String>) -> WebResult<Json<Vec<ColumnView>>> {
    let board = state.app.project_columns(&user.viewer(), parse_id(&id)?).await?;
    Ok(Json(board.columns.into_iter().map(ColumnView::from).collect()))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ColumnRequest {
    #[schema(min_length = 1, max_length = 60)]
    pub name: String,
}

/// Adds a column before the last (completed) one (staff on the project, admins).
#[utoipa::path(post, path = "/api/v1/projects/{id}/columns", tag = "projects", params(("id" = Uuid, Path)), request_body = ColumnRequest, responses(
    (status = 201, body = NamedRef), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)
), security(("token" = [])))]
pub async fn add_column(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path(id): Path<String>,
    ApiJson(request): ApiJson<ColumnRequest>,
) -> WebResult {
    let viewer = user.viewer();
    let project: ProjectId = parse_id(&id)?;
    state.app.check_manage(&viewer, project).await?;
    let column = state.app.add_column(&viewer, project, &request.name).await?;
    let name = request.name.trim().to_owned();
    Ok((StatusCode::CREATED, Json(NamedRef { id: column.0, name })).into_response())
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ColumnChange {
    #[schema(min_length = 1, max_length = 60)]
    pub name: Option<String>,
    pub is_done: Option<bool>,
    /// Moves the column one place: `left` or `right`.
    pub shift: Option<String>,
}

/// Renames a column, marks it as completing its tasks, or moves it one place.
#[utoipa::path(patch, path = "/api/v1/projects/{id}/columns/{column}", tag = "projects", params(("id" = Uuid, Path), ("column" = Uuid, Path)),
    request_body = ColumnChange, responses(
    (status = 200, body = Vec<ColumnView>), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)
), security(("token" = [])))]
pub async fn change_column(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path((id, column)): Path<(String, String)>,
    ApiJson(change): ApiJson<ColumnChange>,
) -> WebResult<Json<Vec<ColumnView>>> {
    let viewer = user.viewer();
    let (project, column): (ProjectId, ColumnId) = (parse_id(&id)?, parse_id(&column)?);
    state.app.check_manage(&viewer, project).await?;
    let shift = match change.shift.as_deref() {
        None => None,
        Some("left") => Some(-1),
        Some("right") => Some(1),
        Some(_) => return Err(domain::Error::invalid("shift", "left or right").into()),
    };
    if change.name.is_some() || change.is_done.is_some() {
        let current = state.app.project_columns(&viewer, project).await?;
        let found = current.columns.iter().find(|c| c.id == column).ok_or(domain::Error::NotFound)?;
        let name = change.name.as_deref().unwrap_or(&found.name);
        state
            .app
            .rename_column(&viewer, project, column, name, change.is_done.unwrap_or(found.is_done))
            .await?;
    }
    if let Some(direction) = shift {
        state.app.shift_column(&viewer, project, column, direction).await?;
    }
    columns(State(state), ApiUser(user), Path(id)).await
}

/// Deletes an empty column (a board keeps at least two).
#[utoipa::path(delete, path = "/api/v1/projects/{id}/columns/{column}", tag = "projects", params(("id" = Uuid, Path), ("column" = Uuid, Path)), responses(
    (status = 204, description = "Deleted"), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)
), security(("token" = [])))]
pub async fn delete_column(State(state): State<AppState>, ApiUser(user): ApiUser, Path((id, column)): Path<(String, String)>) -> WebResult {
    let project: ProjectId = parse_id(&id)?;
    state.app.delete_column(&user.viewer(), project, parse_id(&column)?).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

#[derive(Serialize, ToSchema)]
pub struct ActivityView {
    pub id: Uuid,
    pub project_id: Uuid,
    pub project_name: String,
    pub actor_name: Option<String>,
    /// `task_created`, `task_moved`, `comment_added`, `review_approved`, …
    pub kind: String,
    pub task_id: Option<Uuid>,
    pub task_name: Option<String>,
    pub milestone_id: Option<Uuid>,
    pub milestone_name: Option<String>,
    pub detail: String,
    pub created_at: chrono::DateTime<chrono::Utc>,
}

#[derive(Serialize, ToSchema)]
pub struct ActivityPage {
    pub items: Vec<ActivityView>,
    /// Pass as `before` for the next (older) page; absent on the last page.
    pub next: Option<String>,
}

#[derive(Deserialize, Default, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(default)]
pub struct ActivityQuery {
    /// Only this project.
    pub project: Option<Uuid>,
    /// The `next` of the previous page.
    pub before: String,
    /// Up to 100 (default 30).
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<i64>,
}

/// The newest events the caller may see, across their projects or in one; keyset-paginated.
#[utoipa::path(get, path = "/api/v1/activity", tag = "projects", params(ActivityQuery), responses(
    (status = 200, body = ActivityPage), (status = 401, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)
), security(("token" = [])))]
pub async fn activity(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiQuery(query): ApiQuery<ActivityQuery>,
) -> WebResult<Json<ActivityPage>> {
    let viewer = user.viewer();
    let before = match query.before.as_str() {
        "" => None,
        cursor => Some(parse_cursor(cursor)?),
    };
    let limit = domain::users::within("limit", query.limit.unwrap_or(30), 1, 100)?;
    let entries = state.app.activity(&viewer, query.project.map(ProjectId), before, limit).await?;
    let next = (entries.len() as i64 == limit)
        .then(|| entries.last().map(|e| format!("{}_{}", e.created_at.timestamp_micros(), e.id)))
        .flatten();
    Ok(Json(ActivityPage {
        next,
        items: entries
            .into_iter()
            .map(|e| ActivityView {
                id: e.id.0,
                project_id: e.project_id.0,
                project_name: e.project_name,
                actor_name: e.actor_name,
                kind: e.kind,
                task_id: e.task_id.map(|id| id.0),
                task_name: e.task_name,
                milestone_id: e.milestone_id.map(|id| id.0),
                milestone_name: e.milestone_name,
                detail: e.detail,
                created_at: e.created_at,
            })
            .collect(),
    }))
}

/// A page cursor: the last entry's time in microseconds and its id.
fn parse_cursor(cursor: &str) -> Result<(chrono::DateTime<chrono::Utc>, domain::ids::ActivityId), domain::Error> {
    let invalid = || domain::Error::invalid("before", "not a cursor from a previous page");
    let (micros, id) = cursor.split_once('_').ok_or_else(invalid)?;
    let at = chrono::DateTime::from_timestamp_micros(micros.parse().map_err(|_| invalid())?).ok_or_else(invalid)?;
    Ok((at, id.parse().map_err(|_| invalid())?))
}

#[derive(Serialize, ToSchema)]
pub struct DashboardView {
    pub projects_total: i64,
    pub projects_active: i64,
    pub projects_on_hold: i64,
    pub projects_completed: i64,
    pub projects_overdue: i64,
    pub reviews_pending: i64,
}

/// The caller's dashboard figures, scoped like the lists.
#[utoipa::path(get, path = "/api/v1/dashboard", tag = "projects", responses(
    (status = 200, body = DashboardView), (status = 401, body = Problem)
), security(("token" = [])))]
pub async fn dashboard(State(state): State<AppState>, ApiUser(user): ApiUser) -> WebResult<Json<DashboardView>> {
    let data = state.app.dashboard(&user.viewer()).await?;
    Ok(Json(DashboardView {
        projects_total: data.counts.total,
        projects_active: data.counts.active,
        projects_on_hold: data.counts.on_hold,
        projects_completed: data.counts.completed,
        projects_overdue: data.counts.overdue,
        reviews_pending: data.pending_review_count,
    }))
}

/// This feature's part of the OpenAPI document.
#[derive(utoipa::OpenApi)]
#[openapi(paths(
    dashboard,
    activity,
    list,
    create,
    get,
    update,
    milestones,
    create_milestone,
    update_milestone,
    delete_milestone,
    columns,
    add_column,
    change_column,
    delete_column
))]
pub(crate) struct ProjectsApi;
