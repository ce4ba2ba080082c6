//! The workspace's tasks: the Kanban board (drag and drop, and keyboard moves that work
//! without script), the list view, creating and editing tasks, sharing them with clients,
//! review, archive, and comments with their internal or client-visible flag.

use crate::AppState;
use crate::context::{Ctx, PageContext, Person, render};
use crate::error::{AppError, WebResult, public_message};
use crate::forms::switch;
use crate::forms::{Fields, Flash, invalid_form, redirect_with_flash};
use crate::routing::{Route, route};
use crate::views::forms::{Choice, SelectOption};
use crate::views::reviews::RoundRow;
use crate::views::{self, Due, TaskPath, optional_id, parse_id};
use app::tasks::{Card, Drop, TaskSettings};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::Method;
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use domain::Error;
use domain::access::Viewer;
use domain::dates::DateStyle;
use domain::ids::{ColumnId, CommentId, MilestoneId, ProjectId, TaskId, UserId};
use domain::tasks::{DUE_SOON_DAYS, Priority, TaskDetails, TaskInput};
use serde::Deserialize;
use store::tasks::TaskFilter;

/// Tasks: the board, the list, the task page, comments, reviews and the tasks API.
pub(crate) fn routes() -> Vec<Route> {
    use crate::routing::Access::*;
    use domain::access::Area::Workspace;
    vec![
        route(Method::GET, "/projects/{id}/board", Area(Workspace), board_page),
        route(Method::GET, "/projects/{id}/tasks", Area(Workspace), list_page),
        route(Method::POST, "/projects/{id}/tasks", Area(Workspace), create),
        route(Method::GET, "/projects/{id}/tasks/new", Area(Workspace), new_page),
        route(Method::GET, "/projects/{id}/tasks/{task}", Area(Workspace), detail_page),
        route(Method::POST, "/projects/{id}/tasks/{task}", Area(Workspace), update),
        route(Method::POST, "/projects/{id}/tasks/{task}/move", Area(Workspace), move_task),
        route(
            Method::POST,
            "/projects/{id}/tasks/{task}/visibility",
            Area(Workspace),
            set_visibility,
        ),
        route(
            Method::POST,
            "/projects/{id}/tasks/{task}/submit-review",
            Area(Workspace),
            submit_review,
        ),
        route(Method::POST, "/projects/{id}/tasks/{task}/archive", Area(Workspace), archive),
        route(Method::POST, "/projects/{id}/tasks/{task}/comments", Area(Workspace), add_comment),
        route(
            Method::POST,
            "/projects/{id}/tasks/{task}/comments/{comment}",
            Area(Workspace),
            change_comment,
        ),
        route(Method::POST, "/api/v1/projects/{id}/requests", ApiUser, api::request_task),
        route(Method::GET, "/api/v1/projects/{id}/reviews", ApiUser, api::review_trail),
        route(Method::GET, "/api/v1/projects/{id}/tasks", ApiUser, api::list),
        route(Method::POST, "/api/v1/projects/{id}/tasks", ApiUser, api::create),
        route(Method::GET, "/api/v1/projects/{id}/tasks/{task}", ApiUser, api::get),
        route(Method::PATCH, "/api/v1/projects/{id}/tasks/{task}", ApiUser, api::update),
        route(Method::POST, "/api/v1/projects/{id}/tasks/{task}/move", ApiUser, api::move_task),
        route(Method::GET, "/api/v1/projects/{id}/tasks/{task}/comments", ApiUser, api::comments),
        route(
            Method::POST,
            "/api/v1/projects/{id}/tasks/{task}/comments",
            ApiUser,
            api::add_comment,
        ),
        route(
            Method::PATCH,
            "/api/v1/projects/{id}/tasks/{task}/comments/{comment}",
            ApiUser,
            api::edit_comment,
        ),
        route(
            Method::DELETE,
            "/api/v1/projects/{id}/tasks/{task}/comments/{comment}",
            ApiUser,
            api::delete_comment,
        ),
        route(Method::GET, "/api/v1/projects/{id}/tasks/{task}/reviews", ApiUser, api::reviews),
        route(Method::POST, "/api/v1/projects/{id}/tasks/{task}/reviews", ApiUser, api::review),
    ]
}

#[derive(Deserialize, Default, Clone)]
#[serde(default)]
pub struct FilterQuery {
    pub assignee: String,
    pub priority: String,
    /// `overdue` or `soon`.
    pub due: String,
    /// `shared` or `internal`.
    pub visibility: String,
    pub archived: String,
    pub page: Option<u32>,
}

impl FilterQuery {
    fn filter(&self, today: chrono::NaiveDate) -> Result<TaskFilter, Error> {
        Ok(TaskFilter {
            assignee: optional_id::<UserId>("assignee", &self.assignee)?,
            priority: match self.priority.as_str() {
                "" => None,
                p => Some(p.parse()?),
            },
            due_before: match self.due.as_str() {
                "" => None,
                "overdue" => Some(today),
                "soon" => Some(today + chrono::Days::new(DUE_SOON_DAYS as u64)),
                _ => return Err(Error::invalid("due", "due must be overdue or soon")),
            },
            client_visible: match self.visibility.as_str() {
                "" => None,
                "shared" => Some(true),
                "internal" => Some(false),
                _ => return Err(Error::invalid("visibility", "visibility must be shared or internal")),
            },
            milestone: None,
            archived: self.archived == "1",
        })
    }

    fn is_filtered(&self) -> bool {
        !(self.assignee.is_empty()
            && self.priority.is_empty()
            && self.due.is_empty()
            && self.visibility.is_empty()
            && self.archived.is_empty())
    }

    fn query_string(&self) -> String {
        crate::views::query_string(&[
            ("assignee", self.assignee.as_str()),
            ("priority", &self.priority),
            ("due", &self.due),
            ("visibility", &self.visibility),
            ("archived", &self.archived),
        ])
    }
}

pub struct CardView {
    pub id: String,
    pub name: String,
    pub href: String,
    pub priority: &'static str,
    pub priority_class: &'static str,
    pub due: Due,
    pub shared: bool,
    pub review: Option<&'static str>,
    pub assignees: Vec<String>,
    pub archived: bool,
    /// The steps this card can take: up, down, previous column, next column.
    pub can_step: [bool; 4],
}

impl CardView {
    fn new(card: &Card, project: ProjectId, today: chrono::NaiveDate, dates: &DateStyle) -> Self {
        let t = &card.task;
        CardView {
            id: t.id.to_string(),
            name: t.name.clone(),
            href: format!("/projects/{project}/tasks/{}", t.id),
            priority: t.priority.label(),
            priority_class: views::priority_class(t.priority),
            due: views::due(dates, t.due_date, t.completed_at.is_some(), today),
            shared: t.client_visible,
            review: t.review_state.map(|s| s.label()),
            assignees: card.assignees.iter().map(|a| initials(&a.name)).collect(),
            archived: t.archived_at.is_some(),
            can_step: [false; 4],
        }
    }
}

fn initials(name: &str) -> String {
    name.split_whitespace()
        .filter_map(|w| w.chars().next())
        .take(2)
        .flat_map(char::to_uppercase)
        .collect()
}

pub struct ColumnView {
    pub id: String,
    pub name: String,
    pub is_done: bool,
    pub cards: Vec<CardView>,
}

#[derive(Template)]
#[template(path = "board.html")]
struct BoardPage {
    ctx: PageContext,
    project_id: ProjectId,
    project_name: String,
    columns: Vec<ColumnView>,
    truncated: bool,
    query: FilterQuery,
    filtered: bool,
    team: Vec<SelectOption>,
    priorities: [Priority; 4],
}

pub async fn board_page(
    State(state): State<AppState>,
    Ctx(ctx): Ctx,
    Person(viewer): Person,
    Path(id): Path<String>,
    Query(query): Query<FilterQuery>,
) -> WebResult {
    let id: ProjectId = parse_id(&id)?;
    let today = state.app.today();
    let board = state.app.board(&viewer, id, &query.filter(today)?).await?;
    let mut columns: Vec<ColumnView> = board
        .columns
        .iter()
        .map(|(column, cards)| ColumnView {
            id: column.id.to_string(),
            name: column.name.clone(),
            is_done: column.is_done,
            cards: cards.iter().map(|c| CardView::new(c, id, today, &ctx.dates)).collect(),
        })
        .collect();
    add_keyboard_moves(&mut columns);
    Ok(render(&BoardPage {
        ctx,
        project_id: id,
        project_name: board.project.name.clone(),
        columns,
        truncated: board.truncated,
        filtered: query.is_filtered(),
        query,
        team: team_options(&state, &viewer, id).await?,
        priorities: Priority::ALL,
    }))
}

/// The people the assignee filter offers: the project's staff.
async fn team_options(state: &AppState, viewer: &Viewer, project: ProjectId) -> Result<Vec<SelectOption>, AppError> {
    let people = state.app.project_staff(viewer, project).await?;
    Ok(people
        .into_iter()
        .map(|m| SelectOption {
            value: m.id.to_string(),
            label: m.name,
        })
        .collect())
}

/// Which of the four steps each card can take, so that the board offers only those.
fn add_keyboard_moves(columns: &mut [ColumnView]) {
    let count = columns.len();
    for (ci, column) in columns.iter_mut().enumerate() {
        let cards = column.cards.len();
        for (ki, card) in column.cards.iter_mut().enumerate() {
            card.can_step = [ki > 0, ki + 1 < cards, ci > 0, ci + 1 < count];
        }
    }
}

pub struct ListRow {
    pub card: CardView,
    pub status: String,
    pub assignees: String,
}

#[derive(Template)]
#[template(path = "task_list.html")]
struct ListPage {
    ctx: PageContext,
    project_id: ProjectId,
    project_name: String,
    rows: Vec<ListRow>,
    total: i64,
    page: u32,
    pages: u32,
    query: FilterQuery,
    filtered: bool,
    query_string: String,
    team: Vec<SelectOption>,
    priorities: [Priority; 4],
}

const LIST_PAGE: i64 = 50;

pub async fn list_page(
    State(state): State<AppState>,
    Ctx(ctx): Ctx,
    Person(viewer): Person,
    Path(id): Path<String>,
    Query(query): Query<FilterQuery>,
) -> WebResult {
    let id: ProjectId = parse_id(&id)?;
    let today = state.app.today();
    let overview = state.app.project_columns(&viewer, id).await?;
    let page = query.page.unwrap_or(1).max(1);
    let (cards, total) = state
        .app
        .tasks(&viewer, id, &query.filter(today)?, LIST_PAGE, i64::from(page - 1) * LIST_PAGE)
        .await?;
    let rows = cards
        .iter()
        .map(|card| ListRow {
            status: overview
                .columns
                .iter()
                .find(|c| c.id == card.task.column_id)
                .map(|c| c.name.clone())
                .unwrap_or_default(),
            assignees: card.assignees.iter().map(|a| a.name.as_str()).collect::<Vec<_>>().join(", "),
            card: CardView::new(card, id, today, &ctx.dates),
        })
        .collect();
    Ok(render(&ListPage {
        ctx,
        project_id: id,
        project_name: overview.project.name,
        rows,
        total,
        page,
        pages: (total.max(1) as u64).div_ceil(LIST_PAGE as u64) as u32,
        filtered: query.is_filtered(),
        query_string: query.query_string(),
        query,
        team: team_options(&state, &viewer, id).await?,
        priorities: Priority::ALL,
    }))
}

#[derive(Template)]
#[template(path = "task_detail.html")]
struct DetailPage {
    ctx: PageContext,
    project_id: ProjectId,
    project_name: String,
    task_id: Option<TaskId>,
    name: String,
    description: String,
    priority: String,
    start_date: String,
    due_date: String,
    column: String,
    milestone: String,
    shared: bool,
    review_enabled: bool,
    review: Option<&'static str>,
    review_pending: bool,
    /// The client approved: a new round is a reopened review, with a reason.
    review_approved: bool,
    /// The project's client organisations when there are several: staff choose which one
    /// reviews (each sees only its own reviews).
    review_orgs: Vec<SelectOption>,
    requested: bool,
    archived: bool,
    columns: Vec<SelectOption>,
    milestones: Vec<SelectOption>,
    assignees: Vec<Choice>,
    priorities: [Priority; 4],
    rounds: Vec<RoundRow>,
    comments: Vec<StaffComment>,
    pager: views::CommentPager,
    attachments: Vec<crate::views::files::FileRow>,
    attachment_upload: Option<String>,
    attachment_manage: Option<String>,
    /// The task is shared: staff's new attachments are too, unless kept internal.
    attachments_shared: bool,
    is_admin: bool,
    /// The task as staff read it; none while the form is shown instead.
    reading: Option<TaskReading>,
    error: Option<String>,
    error_field: &'static str,
}

/// A task as it reads before anyone edits it: the description rendered, the facts in words.
pub struct TaskReading {
    pub description: String,
    pub column: String,
    pub priority: &'static str,
    pub priority_class: &'static str,
    pub start: String,
    pub due: Due,
    pub milestone: String,
    pub assignees: Vec<String>,
}

pub struct StaffComment {
    pub id: String,
    pub author: String,
    pub organisation: Option<String>,
    pub body: String,
    pub source: String,
    pub at: chrono::DateTime<chrono::Utc>,
    pub internal: bool,
    pub edited: bool,
    pub deleted: bool,
    pub mine: bool,
    /// Earlier versions of an edited or deleted comment, newest first: the trace staff see.
    pub history: Vec<store::comments::Revision>,
}

impl DetailPage {
    async fn load(
        state: &AppState,
        ctx: PageContext,
        viewer: &Viewer,
        project: ProjectId,
        task: Option<TaskId>,
        fields: Option<&Fields>,
        opened: &DetailQuery,
    ) -> Result<Self, AppError> {
        let comment_page = opened.page.unwrap_or(1);
        let overview = state.app.project_columns(viewer, project).await?;
        if viewer.is_client() {
            return Err(Error::Forbidden.into());
        }
        let milestones = state.app.milestones(viewer, project).await?;
        let team = state.app.team(viewer).await?;
        let clients = match task {
            Some(_) => state.app.project_clients(viewer, project).await?,
            None => Vec::new(),
        };
        let card = match task {
            Some(id) => Some(state.app.task(viewer, project, id).await?),
            None => None,
        };
        let ((comments, comment_total), rounds) = match task {
            Some(id) => (
                state
                    .app
                    .comments(
                        viewer,
                        project,
                        id,
                        views::COMMENTS_PER_PAGE,
                        views::CommentPager::offset(comment_page),
                    )
                    .await?,
                state.app.review_rounds(viewer, project, id).await?,
            ),
            None => ((Vec::new(), 0), Vec::new()),
        };
        let t = card.as_ref().map(|c| &c.task);
        let chosen: Vec<String> = match fields {
            Some(f) => f.all("assignees").into_iter().map(str::to_owned).collect(),
            None => card
                .iter()
                .flat_map(|c| c.assignees.iter().map(|a| a.user_id.to_string()))
                .collect(),
        };
        let value = |key: &str, current: String| fields.map(|f| f.get(key).to_owned()).unwrap_or(current);
        let description = value("description", t.map(|t| t.description.clone()).unwrap_or_default());
        let reading = match (card.as_ref(), opened.edit.is_some() || fields.is_some()) {
            (Some(card), false) => {
                let t = &card.task;
                let name_of = |id: Option<uuid::Uuid>, options: &[(uuid::Uuid, &str)]| {
                    options
                        .iter()
                        .find(|(o, _)| Some(*o) == id)
                        .map(|(_, n)| (*n).to_owned())
                        .unwrap_or_default()
                };
                let columns: Vec<(uuid::Uuid, &str)> = overview.columns.iter().map(|c| (c.id.0, c.name.as_str())).collect();
                let stones: Vec<(uuid::Uuid, &str)> = milestones.iter().map(|m| (m.id.0, m.name.as_str())).collect();
                Some(TaskReading {
                    description: views::markdown(&t.description),
                    column: name_of(Some(t.column_id.0), &columns),
                    priority: t.priority.label(),
                    priority_class: views::priority_class(t.priority),
                    start: views::date(&ctx.dates, t.start_date),
                    due: views::due(&ctx.dates, t.due_date, t.completed_at.is_some(), state.app.today()),
                    milestone: name_of(t.milestone_id.map(|id| id.0), &stones),
                    assignees: card.assignees.iter().map(|a| a.name.clone()).collect(),
                })
            }
            _ => None,
        };
        Ok(DetailPage {
            reading,
            project_id: project,
            project_name: overview.project.name.clone(),
            task_id: task,
            name: value("name", t.map(|t| t.name.clone()).unwrap_or_default()),
            description,
            priority: value("priority", t.map_or(Priority::Medium, |t| t.priority).as_str().to_owned()),
            start_date: value("start_date", views::iso_date(t.and_then(|t| t.start_date))),
            due_date: value("due_date", views::iso_date(t.and_then(|t| t.due_date))),
            column: value("column", t.map(|t| t.column_id.to_string()).unwrap_or_default()),
            milestone: value(
                "milestone",
                t.and_then(|t| t.milestone_id).map(|m| m.to_string()).unwrap_or_default(),
            ),
            shared: fields
                .map(|f| f.checked("client_visible"))
                .unwrap_or(t.is_some_and(|t| t.client_visible)),
            review_enabled: fields
                .map(|f| f.checked("review_enabled"))
                .unwrap_or(t.is_some_and(|t| t.review_enabled)),
            review: t.and_then(|t| t.review_state.map(|s| s.label())),
            review_pending: t.and_then(|t| t.review_state) == Some(domain::reviews::ReviewState::Pending),
            review_approved: t.and_then(|t| t.review_state) == Some(domain::reviews::ReviewState::Approved),
            review_orgs: if clients.len() > 1 {
                clients
                    .iter()
                    .map(|c| SelectOption {
                        value: c.id.to_string(),
                        label: c.name.clone(),
                    })
                    .collect()
            } else {
                Vec::new()
            },
            requested: t.is_some_and(|t| t.requested_by_org_id.is_some()),
            archived: t.is_some_and(|t| t.archived_at.is_some()),
            columns: overview
                .columns
                .iter()
                .map(|c| SelectOption {
                    value: c.id.to_string(),
                    label: c.name.clone(),
                })
                .collect(),
            milestones: milestones
                .iter()
                .map(|m| SelectOption {
                    value: m.id.to_string(),
                    label: m.name.clone(),
                })
                .collect(),
            assignees: team
                .into_iter()
                .map(|m| Choice {
                    checked: chosen.contains(&m.id.to_string()),
                    id: m.id.to_string(),
                    label: m.name,
                })
                .collect(),
            priorities: Priority::ALL,
            rounds: rounds.iter().map(RoundRow::new).collect(),
            comments: staff_comments(state, viewer, project, comments).await?,
            pager: views::CommentPager::new(comment_page.max(1), comment_total),
            attachments: match task {
                Some(id) => crate::views::files::attachments(state, viewer, project, id, &format!("/projects/{project}/files")).await?,
                None => Vec::new(),
            },
            attachment_upload: task.map(|id| format!("/projects/{project}/tasks/{id}/attachments")),
            attachment_manage: Some(format!("/projects/{project}/files")),
            attachments_shared: t.is_some_and(|t| t.client_visible),
            is_admin: matches!(viewer, Viewer::Admin(_)),
            error: None,
            error_field: "",
            ctx,
        })
    }
}

async fn staff_comments(
    state: &AppState,
    viewer: &Viewer,
    project: ProjectId,
    comments: Vec<store::comments::Comment>,
) -> Result<Vec<StaffComment>, AppError> {
    let task = match comments.first() {
        Some(first) => first.task_id,
        None => return Ok(Vec::new()),
    };
    let mut histories = state.app.comment_histories(viewer, project, task).await?;
    let mut shown = Vec::with_capacity(comments.len());
    for c in comments {
        let history = histories.remove(&c.id).unwrap_or_default();
        shown.push(StaffComment {
            id: c.id.to_string(),
            author: c.author_name,
            organisation: c.author_org_name,
            body: views::markdown(&c.body),
            at: c.created_at,
            internal: c.internal,
            edited: c.edited_at.is_some(),
            deleted: c.deleted_at.is_some(),
            mine: c.author_id == viewer.user_id(),
            source: c.body,
            history,
        });
    }
    Ok(shown)
}

pub async fn new_page(
    State(state): State<AppState>,
    Ctx(ctx): Ctx,
    Person(viewer): Person,
    Path(id): Path<String>,
    Query(fields): Query<Vec<(String, String)>>,
) -> WebResult {
    let id: ProjectId = parse_id(&id)?;
    let fields = Fields(fields);
    Ok(render(
        &DetailPage::load(&state, ctx, &viewer, id, None, Some(&fields), &DetailQuery::default()).await?,
    ))
}

pub async fn detail_page(
    State(state): State<AppState>,
    Ctx(ctx): Ctx,
    Person(viewer): Person,
    TaskPath(id, task): TaskPath,
    Query(query): Query<DetailQuery>,
) -> WebResult {
    Ok(render(&DetailPage::load(&state, ctx, &viewer, id, Some(task), None, &query).await?))
}

/// A task page's address: its comment page, and `edit` to open the form instead of reading.
#[derive(Deserialize, Default)]
pub struct DetailQuery {
    page: Option<u32>,
    edit: Option<String>,
}

fn details_and_settings(fields: &Fields) -> Result<(TaskDetails, TaskSettings), Error> {
    let details = TaskDetails::parse(&TaskInput {
        name: fields.get("name"),
        description: fields.get("description"),
        priority: fields.get("priority"),
        start_date: fields.get("start_date"),
        due_date: fields.get("due_date"),
    })?;
    let settings = TaskSettings {
        column: optional_id::<ColumnId>("column", fields.get("column"))?,
        milestone: optional_id::<MilestoneId>("milestone", fields.get("milestone"))?,
        assignees: fields.ids::<UserId>("assignees")?,
        client_visible: fields.checked("client_visible"),
        review_enabled: fields.checked("review_enabled"),
    };
    Ok((details, settings))
}

async fn form_failed(
    state: &AppState,
    ctx: PageContext,
    viewer: &Viewer,
    project: ProjectId,
    task: Option<TaskId>,
    fields: &Fields,
    error: Error,
) -> WebResult {
    if !matches!(error, Error::Invalid { .. } | Error::Conflict { .. }) {
        return Err(error.into());
    }
    let mut page = DetailPage::load(state, ctx, viewer, project, task, Some(fields), &DetailQuery::default()).await?;
    page.error_field = error.field().unwrap_or_default();
    page.error = Some(public_message(&error));
    Ok(invalid_form(render(&page)))
}

pub async fn create(
    State(state): State<AppState>,
    Ctx(ctx): Ctx,
    Person(viewer): Person,
    Path(id): Path<String>,
    fields: Fields,
) -> WebResult {
    let id: ProjectId = parse_id(&id)?;
    state.app.check_manage(&viewer, id).await?;
    let created = match details_and_settings(&fields) {
        Ok((details, settings)) => state.app.create_task(&viewer, id, &details, &settings).await,
        Err(e) => Err(e),
    };
    match created {
        Ok(task) => Ok(redirect_with_flash(
            &state,
            &format!("/projects/{id}/tasks/{task}"),
            Flash::success("The task was created."),
        )),
        Err(error) => form_failed(&state, ctx, &viewer, id, None, &fields, error).await,
    }
}

pub async fn update(
    State(state): State<AppState>,
    Ctx(ctx): Ctx,
    Person(viewer): Person,
    TaskPath(id, task): TaskPath,
    fields: Fields,
) -> WebResult {
    state.app.check_manage(&viewer, id).await?;
    let saved = async {
        let (details, settings) = details_and_settings(&fields)?;
        state.app.update_task(&viewer, id, task, &details, &settings).await?;
        state.app.set_task_visibility(&viewer, id, task, settings.client_visible).await?;
        state.app.set_task_review(&viewer, id, task, settings.review_enabled).await?;
        if let Some(column) = settings.column {
            let current = state.app.task(&viewer, id, task).await?;
            if current.task.column_id != column {
                state.app.move_task(&viewer, id, task, Drop { column, after: None }).await?;
            }
        }
        Ok::<(), Error>(())
    }
    .await;
    match saved {
        Ok(()) => Ok(redirect_with_flash(
            &state,
            &format!("/projects/{id}/tasks/{task}"),
            Flash::success("The task was saved."),
        )),
        Err(error) => form_failed(&state, ctx, &viewer, id, Some(task), &fields, error).await,
    }
}

/// A request from the board's script (which asks for no page back) or a plain form.
fn is_script(headers: &HeaderMap) -> bool {
    headers.get("x-requested-with").and_then(|v| v.to_str().ok()) == Some("fetch")
}

pub async fn move_task(
    State(state): State<AppState>,
    Person(viewer): Person,
    headers: HeaderMap,
    TaskPath(id, task): TaskPath,
    fields: Fields,
) -> WebResult {
    state.app.check_manage(&viewer, id).await?;
    if fields.get("step").is_empty() {
        let column: ColumnId = optional_id("column", fields.get("column"))?.ok_or_else(|| Error::invalid("column", "choose a column"))?;
        let after = optional_id::<TaskId>("after", fields.get("after"))?;
        state.app.move_task(&viewer, id, task, Drop { column, after }).await?;
    } else {
        state.app.step_task(&viewer, id, task, fields.get("step").parse()?).await?;
    }
    if is_script(&headers) {
        return Ok(StatusCode::NO_CONTENT.into_response());
    }
    let back = match fields.get("back") {
        "task" => format!("/projects/{id}/tasks/{task}"),
        _ => format!("/projects/{id}/board#task-{task}"),
    };
    Ok(redirect_with_flash(&state, &back, Flash::success("The task was moved.")))
}

pub async fn set_visibility(
    State(state): State<AppState>,
    Person(viewer): Person,
    TaskPath(id, task): TaskPath,
    fields: Fields,
) -> WebResult {
    state.app.check_manage(&viewer, id).await?;
    let shared = switch(&fields, "client_visible")?;
    state.app.set_task_visibility(&viewer, id, task, shared).await?;
    let message = if shared {
        "The task is now shared with the project's clients."
    } else {
        "The task is now internal: clients no longer see it."
    };
    Ok(redirect_with_flash(
        &state,
        &format!("/projects/{id}/tasks/{task}"),
        Flash::success(message),
    ))
}

pub async fn submit_review(
    State(state): State<AppState>,
    Person(viewer): Person,
    TaskPath(id, task): TaskPath,
    fields: Fields,
) -> WebResult {
    state.app.check_manage(&viewer, id).await?;
    let organisation = views::optional_id("organisation", fields.get("organisation"))?;
    let here = format!("/projects/{id}/tasks/{task}");
    let submitted = state
        .app
        .submit_for_review(
            &viewer,
            id,
            task,
            organisation,
            fields.get("note"),
            fields.optional("reopen_reason"),
        )
        .await;
    let sent = match submitted {
        Ok(sent) => sent,
        Err(e @ (Error::Invalid { .. } | Error::Conflict { .. })) => {
            return Ok(redirect_with_flash(&state, &here, Flash::refusal(&e)));
        }
        Err(e) => return Err(e.into()),
    };
    // A client asked to review what they cannot see is told nothing useful: say so now.
    let flash = match sent.attachments_seen {
        0 => Flash::warning(format!(
            "The task was sent to {} for review, but they see no attachment on it: attach the \
             deliverable or share one below, or they review the description alone.",
            sent.organisation
        )),
        n => Flash::success(format!(
            "The task was sent to {} for review, with {n} attachment{} they can open.",
            sent.organisation,
            if n == 1 { "" } else { "s" }
        )),
    };
    Ok(redirect_with_flash(&state, &here, flash))
}

pub async fn archive(State(state): State<AppState>, Person(viewer): Person, TaskPath(id, task): TaskPath, fields: Fields) -> WebResult {
    state.app.check_manage(&viewer, id).await?;
    let archived = switch(&fields, "archived")?;
    state.app.archive_task(&viewer, id, task, archived).await?;
    let message = if archived {
        "The task was archived."
    } else {
        "The task was restored."
    };
    Ok(redirect_with_flash(
        &state,
        &format!("/projects/{id}/tasks/{task}"),
        Flash::success(message),
    ))
}

pub async fn add_comment(State(state): State<AppState>, Person(viewer): Person, TaskPath(id, task): TaskPath, fields: Fields) -> WebResult {
    let internal = fields.get("visibility") != "client";
    state.app.add_comment(&viewer, id, task, fields.get("body"), internal).await?;
    Ok(redirect_with_flash(
        &state,
        &format!("/projects/{id}/tasks/{task}#comments"),
        Flash::success("The comment was added."),
    ))
}

pub async fn change_comment(
    State(state): State<AppState>,
    Person(viewer): Person,
    Path((id, task, comment)): Path<(String, String, String)>,
    fields: Fields,
) -> WebResult {
    let (id, task, comment): (ProjectId, TaskId, CommentId) = (parse_id(&id)?, parse_id(&task)?, parse_id(&comment)?);
    let message = if fields.get("action") == "delete" {
        state.app.delete_comment(&viewer, id, task, comment).await?;
        "The comment was deleted."
    } else {
        state.app.edit_comment(&viewer, id, task, comment, fields.get("body")).await?;
        "The comment was edited."
    };
    Ok(redirect_with_flash(
        &state,
        &format!("/projects/{id}/tasks/{task}#comments"),
        Flash::success(message),
    ))
}

pub mod api;
