//! The tasks API: a project's tasks, one task, creating, editing and moving them, comments,
//! review rounds (staff submit, clients decide) and client requests, all under the caller's
//! scope: a client's token sees and does what the portal lets that contact see and do.

use crate::AppState;
use crate::api_core::NamedRef;
use crate::api_core::{ApiJson, ApiQuery, ApiUser, Problem};
use crate::error::WebResult;
use crate::views::{TaskPath, parse_id};
use app::tasks::{Card, Drop, TaskSettings};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use domain::access::Viewer;
use domain::ids::{ColumnId, CommentId, MilestoneId, ProjectId, TaskId, UserId};
use domain::tasks::{TaskDetails, TaskInput};
use domain::users::within;
use serde::{Deserialize, Serialize};
use store::tasks::TaskFilter;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

#[derive(Serialize, ToSchema)]
pub struct StatusView {
    pub column_id: Uuid,
    pub name: String,
    pub completed: bool,
}

#[derive(Serialize, ToSchema)]
pub struct ReviewView {
    pub enabled: bool,
    /// `pending`, `approved` or `revisions_requested`; absent before the first round.
    pub state: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct TaskView {
    pub id: Uuid,
    pub project_id: Uuid,
    pub name: String,
    /// Markdown.
    pub description: String,
    pub status: StatusView,
    /// `low`, `medium`, `high` or `urgent`.
    pub priority: String,
    pub start_date: Option<chrono::NaiveDate>,
    pub due_date: Option<chrono::NaiveDate>,
    pub milestone_id: Option<Uuid>,
    /// Shared with the project's clients.
    pub client_visible: bool,
    pub review: ReviewView,
    /// Empty for a client when the project hides assignees.
    pub assignees: Vec<NamedRef>,
    pub archived: bool,
    /// Filed by a client as a request (shown to staff only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub requested_by_client: Option<bool>,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub updated_at: chrono::DateTime<chrono::Utc>,
}

fn task_view(card: Card, columns: &[store::projects::BoardColumn], viewer: &Viewer) -> TaskView {
    let t = card.task;
    let column = columns.iter().find(|c| c.id == t.column_id);
    TaskView {
        id: t.id.0,
        project_id: t.project_id.0,
        status: StatusView {
            column_id: t.column_id.0,
            name: column.map(|c| c.name.clone()).unwrap_or_default(),
            completed: t.completed_at.is_some(),
        },
        name: t.name,
        description: t.description,
        priority: t.priority.as_str().to_owned(),
        start_date: t.start_date,
        due_date: t.due_date,
        milestone_id: t.milestone_id.map(|id| id.0),
        client_visible: t.client_visible,
        review: ReviewView {
            enabled: t.review_enabled,
            state: t.review_state.map(|s| s.as_str().to_owned()),
        },
        assignees: card
            .assignees
            .into_iter()
            .map(|a| NamedRef {
                id: a.user_id.0,
                name: a.name,
            })
            .collect(),
        archived: t.archived_at.is_some(),
        requested_by_client: (!viewer.is_client()).then_some(t.requested_by_org_id.is_some()),
        created_at: t.created_at,
        updated_at: t.updated_at,
    }
}

#[derive(Serialize, ToSchema)]
pub struct TaskPage {
    pub items: Vec<TaskView>,
    pub total: i64,
    pub page: u32,
    pub per_page: u32,
}

#[derive(Deserialize, Default, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(default)]
pub struct ListQuery {
    pub assignee: Option<Uuid>,
    /// `low`, `medium`, `high` or `urgent`.
    pub priority: String,
    /// Only unfinished tasks due before this date.
    pub due_before: Option<chrono::NaiveDate>,
    pub client_visible: Option<bool>,
    pub milestone: Option<Uuid>,
    /// `true` lists archived tasks instead of current ones.
    pub archived: bool,
    #[param(minimum = 1)]
    pub page: Option<u32>,
    /// Up to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub per_page: Option<u32>,
}

/// A project's tasks the caller sees, in board order.
#[utoipa::path(get, path = "/api/v1/projects/{id}/tasks", tag = "tasks", params(("id" = Uuid, Path), ListQuery), responses(
    (status = 200, body = TaskPage), (status = 401, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)
), security(("token" = [])))]
pub async fn list(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path(id): Path<String>,
    ApiQuery(query): ApiQuery<ListQuery>,
) -> WebResult<Json<TaskPage>> {
    let viewer = user.viewer();
    let id: ProjectId = parse_id(&id)?;
    let filter = TaskFilter {
        assignee: query.assignee.map(UserId),
        priority: match query.priority.as_str() {
            "" => None,
            p => Some(p.parse()?),
        },
        due_before: query.due_before,
        client_visible: query.client_visible,
        milestone: query.milestone.map(MilestoneId),
        archived: query.archived,
    };
    let page = within("page", query.page.unwrap_or(1).into(), 1, i64::from(u32::MAX))? as u32;
    let per_page = within("per_page", query.per_page.unwrap_or(50).into(), 1, 200)? as u32;
    let (cards, total) = state
        .app
        .tasks(&viewer, id, &filter, i64::from(per_page), i64::from(page - 1) * i64::from(per_page))
        .await?;
    let columns = state.app.project_columns(&viewer, id).await?.columns;
    Ok(Json(TaskPage {
        items: cards.into_iter().map(|c| task_view(c, &columns, &viewer)).collect(),
        total,
        page,
        per_page,
    }))
}

async fn one(state: &AppState, viewer: &Viewer, project: ProjectId, task: TaskId) -> Result<TaskView, domain::Error> {
    let card = state.app.task(viewer, project, task).await?;
    let columns = state.app.project_columns(viewer, project).await?.columns;
    Ok(task_view(card, &columns, viewer))
}

/// One task, resolved within its project.
#[utoipa::path(get, path = "/api/v1/projects/{id}/tasks/{task}", tag = "tasks", params(("id" = Uuid, Path), ("task" = Uuid, Path)), responses(
    (status = 200, body = TaskView), (status = 401, body = Problem), (status = 404, body = Problem)
), security(("token" = [])))]
pub async fn get(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path((id, task)): Path<(String, String)>,
) -> WebResult<Json<TaskView>> {
    Ok(Json(one(&state, &user.viewer(), parse_id(&id)?, parse_id(&task)?).await?))
}

#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields, default)]
pub struct TaskRequest {
    #[schema(min_length = 1, max_length = 300)]
    pub name: Option<String>,
    /// Markdown.
    #[schema(max_length = 20000)]
    pub description: Option<String>,
    #[schema(pattern = "^(low|medium|high|urgent)$")]
    pub priority: Option<String>,
    /// `YYYY-MM-DD`, or empty for none.
    #[schema(pattern = r"^(\d{4}-\d{2}-\d{2})?$")]
    pub start_date: Option<String>,
    #[schema(pattern = r"^(\d{4}-\d{2}-\d{2})?$")]
    pub due_date: Option<String>,
    /// The column (status); the first column when creating without one.
    pub column_id: Option<Uuid>,
    pub milestone_id: Option<Uuid>,
    pub assignees: Option<Vec<Uuid>>,
    /// Shared with the project's clients (default false: internal).
    pub client_visible: Option<bool>,
    pub review_enabled: Option<bool>,
    /// Archives the task (`true`) or restores it (editing only).
    pub archived: Option<bool>,
}

/// Adds a task (staff on the project, admins).
#[utoipa::path(post, path = "/api/v1/projects/{id}/tasks", tag = "tasks", params(("id" = Uuid, Path)), request_body = TaskRequest, responses(
    (status = 201, body = TaskView), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)
), security(("token" = [])))]
pub async fn create(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path(id): Path<String>,
    ApiJson(request): ApiJson<TaskRequest>,
) -> WebResult {
    let viewer = user.viewer();
    let id: ProjectId = parse_id(&id)?;
    state.app.check_manage(&viewer, id).await?;
    if request.archived.is_some() {
        return Err(domain::Error::invalid("archived", "a new task is not archived; archive it once it exists").into());
    }
    let details = TaskDetails::parse(&TaskInput {
        name: request.name.as_deref().unwrap_or_default(),
        description: request.description.as_deref().unwrap_or_default(),
        priority: request.priority.as_deref().unwrap_or_default(),
        start_date: request.start_date.as_deref().unwrap_or_default(),
        due_date: request.due_date.as_deref().unwrap_or_default(),
    })?;
    let settings = TaskSettings {
        column: request.column_id.map(ColumnId),
        milestone: request.milestone_id.map(MilestoneId),
        assignees: request.assignees.unwrap_or_default().into_iter().map(UserId).collect(),
        client_visible: request.client_visible.unwrap_or(false),
        review_enabled: request.review_enabled.unwrap_or(false),
    };
    let task = state.app.create_task(&viewer, id, &details, &settings).await?;
    Ok((StatusCode::CREATED, Json(one(&state, &viewer, id, task).await?)).into_response())
}

/// Changes a task: only the fields given. A new `column_id` moves it to the bottom of that column.
#[utoipa::path(patch, path = "/api/v1/projects/{id}/tasks/{task}", tag = "tasks", params(("id" = Uuid, Path), ("task" = Uuid, Path)), request_body = TaskRequest, responses(
    (status = 200, body = TaskView), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)
), security(("token" = [])))]
pub async fn update(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    TaskPath(id, task): TaskPath,
    ApiJson(request): ApiJson<TaskRequest>,
) -> WebResult<Json<TaskView>> {
    let viewer = user.viewer();
    state.app.check_manage(&viewer, id).await?;
    let current = state.app.task(&viewer, id, task).await?;
    let t = &current.task;
    let iso = crate::views::iso_date;
    let details = TaskDetails::parse(&TaskInput {
        name: request.name.as_deref().unwrap_or(&t.name),
        description: request.description.as_deref().unwrap_or(&t.description),
        priority: request.priority.as_deref().unwrap_or(t.priority.as_str()),
        start_date: request.start_date.as_deref().unwrap_or(&iso(t.start_date)),
        due_date: request.due_date.as_deref().unwrap_or(&iso(t.due_date)),
    })?;
    let settings = TaskSettings {
        column: None,
        milestone: match request.milestone_id {
            Some(m) => Some(MilestoneId(m)),
            None => t.milestone_id,
        },
        assignees: match request.assignees {
            Some(list) => list.into_iter().map(UserId).collect(),
            None => current.assignees.iter().map(|a| a.user_id).collect(),
        },
        client_visible: request.client_visible.unwrap_or(t.client_visible),
        review_enabled: request.review_enabled.unwrap_or(t.review_enabled),
    };
    state.app.update_task(&viewer, id, task, &details, &settings).await?;
    state.app.set_task_visibility(&viewer, id, task, settings.client_visible).await?;
    state.app.set_task_review(&viewer, id, task, settings.review_enabled).await?;
    if let Some(archived) = request.archived {
        state.app.archive_task(&viewer, id, task, archived).await?;
    }
    if let Some(column) = request.column_id
        && column != t.column_id.0
    {
        state
            .app
            .move_task(
                &viewer,
                id,
                task,
                Drop {
                    column: ColumnId(column),
                    after: None,
                },
            )
            .await?;
    }
    Ok(Json(one(&state, &viewer, id, task).await?))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MoveRequest {
    pub column_id: Uuid,
    /// The card to follow; absent for the top of the column.
    pub after: Option<Uuid>,
}

/// Moves a card on the board (staff on the project, admins).
#[utoipa::path(post, path = "/api/v1/projects/{id}/tasks/{task}/move", tag = "tasks", params(("id" = Uuid, Path), ("task" = Uuid, Path)), request_body = MoveRequest, responses(
    (status = 200, body = TaskView), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)
), security(("token" = [])))]
pub async fn move_task(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    TaskPath(id, task): TaskPath,
    ApiJson(request): ApiJson<MoveRequest>,
) -> WebResult<Json<TaskView>> {
    let viewer = user.viewer();
    let target = Drop {
        column: ColumnId(request.column_id),
        after: request.after.map(TaskId),
    };
    state.app.move_task(&viewer, id, task, target).await?;
    Ok(Json(one(&state, &viewer, id, task).await?))
}

#[derive(Serialize, ToSchema)]
pub struct CommentView {
    pub id: Uuid,
    pub author: String,
    /// The author's organisation, when a client wrote it.
    pub organisation: Option<String>,
    /// Markdown; empty when deleted.
    pub body: String,
    pub internal: bool,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub edited_at: Option<chrono::DateTime<chrono::Utc>>,
    pub deleted_at: Option<chrono::DateTime<chrono::Utc>>,
}

#[derive(Serialize, ToSchema)]
pub struct CommentPage {
    pub items: Vec<CommentView>,
    pub total: i64,
}

#[derive(Deserialize, Default, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(default)]
pub struct CommentQuery {
    /// Up to 200 (default 100).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    #[param(minimum = 0)]
    pub offset: Option<i64>,
}

/// A task's comments the caller sees, oldest first.
#[utoipa::path(get, path = "/api/v1/projects/{id}/tasks/{task}/comments", tag = "tasks", params(("id" = Uuid, Path), ("task" = Uuid, Path), CommentQuery), responses(
    (status = 200, body = CommentPage), (status = 401, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)
), security(("token" = [])))]
pub async fn comments(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    TaskPath(id, task): TaskPath,
    ApiQuery(query): ApiQuery<CommentQuery>,
) -> WebResult<Json<CommentPage>> {
    let (items, total) = state
        .app
        .comments(
            &user.viewer(),
            id,
            task,
            within("limit", query.limit.unwrap_or(100), 1, 200)?,
            within("offset", query.offset.unwrap_or(0), 0, i64::MAX)?,
        )
        .await?;
    Ok(Json(CommentPage {
        total,
        items: items
            .into_iter()
            .map(|c| CommentView {
                id: c.id.0,
                author: c.author_name,
                organisation: c.author_org_name,
                body: c.body,
                internal: c.internal,
                created_at: c.created_at,
                edited_at: c.edited_at,
                deleted_at: c.deleted_at,
            })
            .collect(),
    }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CommentRequest {
    /// Markdown; mention people with `@` and the part of their email before the `@`.
    #[schema(min_length = 1, max_length = 10000)]
    pub body: String,
    /// Staff only; default true (an internal note). Clients' comments are never internal.
    pub internal: Option<bool>,
}

/// Comments on a task (clients need the comment permission).
#[utoipa::path(post, path = "/api/v1/projects/{id}/tasks/{task}/comments", tag = "tasks", params(("id" = Uuid, Path), ("task" = Uuid, Path)), request_body = CommentRequest, responses(
    (status = 201, body = NamedRef), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)
), security(("token" = [])))]
pub async fn add_comment(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    TaskPath(id, task): TaskPath,
    ApiJson(request): ApiJson<CommentRequest>,
) -> WebResult {
    let viewer = user.viewer();
    let internal = request.internal.unwrap_or(!viewer.is_client());
    let comment = state.app.add_comment(&viewer, id, task, &request.body, internal).await?;
    Ok((
        StatusCode::CREATED,
        Json(NamedRef {
            id: comment.0,
            name: String::new(),
        }),
    )
        .into_response())
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CommentChange {
    /// The new Markdown; the comment shows that it was edited.
    #[schema(min_length = 1, max_length = 10000)]
    pub body: String,
}

/// Edits one's own comment.
#[utoipa::path(patch, path = "/api/v1/projects/{id}/tasks/{task}/comments/{comment}", tag = "tasks",
    params(("id" = Uuid, Path), ("task" = Uuid, Path), ("comment" = Uuid, Path)), request_body = CommentChange, responses(
    (status = 204, description = "Edited"), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)
), security(("token" = [])))]
pub async fn edit_comment(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path((id, task, comment)): Path<(String, String, String)>,
    ApiJson(change): ApiJson<CommentChange>,
) -> WebResult {
    let (id, task, comment): (ProjectId, TaskId, CommentId) = (parse_id(&id)?, parse_id(&task)?, parse_id(&comment)?);
    state.app.edit_comment(&user.viewer(), id, task, comment, &change.body).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// Deletes a comment (its author, or staff managing the project); it stays as "deleted" in the conversation.
#[utoipa::path(delete, path = "/api/v1/projects/{id}/tasks/{task}/comments/{comment}", tag = "tasks",
    params(("id" = Uuid, Path), ("task" = Uuid, Path), ("comment" = Uuid, Path)), responses(
    (status = 204, description = "Deleted"), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)
), security(("token" = [])))]
pub async fn delete_comment(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path((id, task, comment)): Path<(String, String, String)>,
) -> WebResult {
    let (id, task, comment): (ProjectId, TaskId, CommentId) = (parse_id(&id)?, parse_id(&task)?, parse_id(&comment)?);
    state.app.delete_comment(&user.viewer(), id, task, comment).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

#[derive(Serialize, ToSchema)]
pub struct RoundView {
    pub round: i64,
    /// Absent when the caller may not see who it was.
    pub submitted_by: Option<String>,
    pub submitted_at: chrono::DateTime<chrono::Utc>,
    pub note: String,
    /// `approved` or `revisions_requested`; absent while open.
    pub decision: Option<String>,
    pub decided_by: Option<String>,
    pub decided_at: Option<chrono::DateTime<chrono::Utc>>,
    pub comment: Option<String>,
    /// The client organisation the round is addressed to (absent for a client: their own).
    pub organisation: Option<NamedRef>,
    /// Why an approved review was asked again (a reopened round).
    pub reopen_reason: Option<String>,
}

fn round_view(viewer: &domain::access::Viewer, r: store::reviews::Round) -> RoundView {
    RoundView {
        organisation: match (viewer.is_client(), r.client_org_id, r.client_org_name) {
            (false, Some(id), Some(name)) => Some(NamedRef { id: id.0, name }),
            _ => None,
        },
        round: r.round,
        submitted_by: r.submitted_by,
        submitted_at: r.submitted_at,
        note: r.note,
        decision: r.decision.map(|d| d.as_str().to_owned()),
        decided_by: r.decided_by,
        decided_at: r.decided_at,
        comment: r.decision_comment,
        reopen_reason: r.reopen_reason,
    }
}

/// The review rounds of a task, oldest first. A client sees only the rounds addressed to their
/// organisation.
#[utoipa::path(get, path = "/api/v1/projects/{id}/tasks/{task}/reviews", tag = "tasks", params(("id" = Uuid, Path), ("task" = Uuid, Path)), responses(
    (status = 200, body = Vec<RoundView>), (status = 401, body = Problem), (status = 404, body = Problem)
), security(("token" = [])))]
pub async fn reviews(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path((id, task)): Path<(String, String)>,
) -> WebResult<Json<Vec<RoundView>>> {
    let viewer = user.viewer();
    let rounds = state.app.review_rounds(&viewer, parse_id(&id)?, parse_id(&task)?).await?;
    Ok(Json(rounds.into_iter().map(|r| round_view(&viewer, r)).collect()))
}

/// A round of the project's review trail, with its task.
#[derive(Serialize, ToSchema)]
pub struct TrailRound {
    pub task: NamedRef,
    #[serde(flatten)]
    pub round: RoundView,
}

/// The project's review trail: every round of the tasks the caller sees, by task and round
/// (the pages' CSV and JSON exports as data).
#[utoipa::path(get, path = "/api/v1/projects/{id}/reviews", tag = "tasks", params(("id" = Uuid, Path)), responses(
    (status = 200, body = Vec<TrailRound>), (status = 401, body = Problem), (status = 404, body = Problem)
), security(("token" = [])))]
pub async fn review_trail(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path(id): Path<String>,
) -> WebResult<Json<Vec<TrailRound>>> {
    let viewer = user.viewer();
    let rounds = state.app.review_trail(&viewer, parse_id(&id)?).await?;
    Ok(Json(
        rounds
            .into_iter()
            .map(|r| TrailRound {
                task: NamedRef {
                    id: r.task_id.0,
                    name: r.task_name.clone(),
                },
                round: round_view(&viewer, r),
            })
            .collect(),
    ))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReviewRequest {
    /// Staff submitting: a note for the client.
    pub note: Option<String>,
    /// Staff submitting on a project shared by several client organisations: the one that
    /// reviews (only its contacts see the review).
    pub organisation: Option<Uuid>,
    /// A client deciding: `approve` or `request_revisions`.
    pub decision: Option<String>,
    /// Required with `request_revisions`.
    pub comment: Option<String>,
    /// Staff asking again after the client approved: why the review is reopened (required
    /// then, and only then).
    pub reopen_reason: Option<String>,
}

/// Staff submit a task for review (with `note`); a client contact decides (with `decision`).
#[utoipa::path(post, path = "/api/v1/projects/{id}/tasks/{task}/reviews", tag = "tasks", params(("id" = Uuid, Path), ("task" = Uuid, Path)), request_body = ReviewRequest, responses(
    (status = 200, body = TaskView), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem),
    (status = 409, body = Problem), (status = 422, body = Problem)
), security(("token" = [])))]
pub async fn review(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    TaskPath(id, task): TaskPath,
    ApiJson(request): ApiJson<ReviewRequest>,
) -> WebResult<Json<TaskView>> {
    let viewer = user.viewer();
    if viewer.is_client() {
        let decision = request.decision.unwrap_or_default();
        state
            .app
            .decide_review(&viewer, id, task, &decision, request.comment.as_deref().unwrap_or_default())
            .await?;
    } else {
        state
            .app
            .submit_for_review(
                &viewer,
                id,
                task,
                request.organisation.map(domain::ids::ClientOrgId),
                request.note.as_deref().unwrap_or_default(),
                request.reopen_reason.as_deref(),
            )
            .await?;
    }
    Ok(Json(one(&state, &viewer, id, task).await?))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TaskRequestRequest {
    #[schema(min_length = 1, max_length = 300)]
    pub name: String,
    #[schema(max_length = 20000)]
    pub description: Option<String>,
    /// `YYYY-MM-DD`, or empty for none.
    #[schema(pattern = r"^(\d{4}-\d{2}-\d{2})?$")]
    pub due_date: Option<String>,
}

/// A client asks for a new task (with the request permission); it lands internal for staff.
#[utoipa::path(post, path = "/api/v1/projects/{id}/requests", tag = "tasks", params(("id" = Uuid, Path)), request_body = TaskRequestRequest, responses(
    (status = 201, body = NamedRef), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)
), security(("token" = [])))]
pub async fn request_task(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path(id): Path<String>,
    ApiJson(request): ApiJson<TaskRequestRequest>,
) -> WebResult {
    let id: ProjectId = parse_id(&id)?;
    let input = TaskInput {
        name: &request.name,
        description: request.description.as_deref().unwrap_or_default(),
        due_date: request.due_date.as_deref().unwrap_or_default(),
        ..Default::default()
    };
    let task = state.app.request_task(&user.viewer(), id, &input).await?;
    Ok((
        StatusCode::CREATED,
        Json(NamedRef {
            id: task.0,
            name: request.name,
        }),
    )
        .into_response())
}

/// This feature's part of the OpenAPI document.
#[derive(utoipa::OpenApi)]
#[openapi(paths(
    list,
    create,
    get,
    update,
    move_task,
    comments,
    add_comment,
    edit_comment,
    delete_comment,
    reviews,
    review,
    review_trail,
    request_task
))]
pub(crate) struct TasksApi;
