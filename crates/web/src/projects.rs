//! The workspace's projects (admins and staff): the list, creating and editing, members,
//! archive, the overview with milestones and board columns, and the dashboards' data.

use crate::AppState;
use crate::context::{Ctx, PageContext, Person, render};
use crate::error::{AppError, WebResult, public_message};
use crate::forms::switch;
use crate::forms::{Fields, Flash, invalid_form, redirect_with_flash};
use crate::routing::{Route, route};
use crate::views::forms::Choice;
use crate::views::projects::ProjectCard;
use crate::views::{self, ActivityLine, optional_id, parse_id};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::Method;
use domain::Error;
use domain::access::Viewer;
use domain::ids::{ClientOrgId, ColumnId, MilestoneId, ProjectId, UserId};
use domain::milestones::MilestoneDetails;
use domain::projects::{ProjectDetails, ProjectInput, ProjectStatus};
use domain::users::{Page, PageRequest};
use serde::Deserialize;
use store::projects::{ProjectFilter, ProjectListItem};

/// Projects, milestones and board columns: the pages and the API.
pub(crate) fn routes() -> Vec<Route> {
    use crate::routing::Access::*;
    use domain::access::Area::Workspace;
    vec![
        route(Method::GET, "/projects", Area(Workspace), list_page),
        route(Method::POST, "/projects", Area(Workspace), create),
        route(Method::GET, "/projects/new", Area(Workspace), new_page),
        route(Method::GET, "/projects/{id}", Area(Workspace), overview_page),
        route(Method::POST, "/projects/{id}", Area(Workspace), update),
        route(Method::GET, "/projects/{id}/edit", Area(Workspace), edit_page),
        route(Method::POST, "/projects/{id}/archive", Area(Workspace), archive),
        route(Method::POST, "/projects/{id}/milestones", Area(Workspace), create_milestone),
        route(
            Method::POST,
            "/projects/{id}/milestones/{milestone}",
            Area(Workspace),
            update_milestone,
        ),
        route(
            Method::POST,
            "/projects/{id}/milestones/{milestone}/delete",
            Area(Workspace),
            delete_milestone,
        ),
        route(Method::POST, "/projects/{id}/columns", Area(Workspace), add_column),
        route(Method::POST, "/projects/{id}/columns/{column}", Area(Workspace), change_column),
        route(Method::GET, "/api/v1/dashboard", ApiUser, api::dashboard),
        route(Method::GET, "/api/v1/activity", ApiUser, api::activity),
        route(Method::GET, "/api/v1/projects", ApiUser, api::list),
        route(Method::POST, "/api/v1/projects", ApiUser, api::create),
        route(Method::GET, "/api/v1/projects/{id}", ApiUser, api::get),
        route(Method::PATCH, "/api/v1/projects/{id}", ApiUser, api::update),
        route(
            Method::PATCH,
            "/api/v1/projects/{id}/milestones/{milestone}",
            ApiUser,
            api::update_milestone,
        ),
        route(
            Method::DELETE,
            "/api/v1/projects/{id}/milestones/{milestone}",
            ApiUser,
            api::delete_milestone,
        ),
        route(Method::GET, "/api/v1/projects/{id}/columns", ApiUser, api::columns),
        route(Method::POST, "/api/v1/projects/{id}/columns", ApiUser, api::add_column),
        route(Method::PATCH, "/api/v1/projects/{id}/columns/{column}", ApiUser, api::change_column),
        route(
            Method::DELETE,
            "/api/v1/projects/{id}/columns/{column}",
            ApiUser,
            api::delete_column,
        ),
        route(Method::GET, "/api/v1/projects/{id}/milestones", ApiUser, api::milestones),
        route(Method::POST, "/api/v1/projects/{id}/milestones", ApiUser, api::create_milestone),
    ]
}

#[derive(Deserialize, Default, Clone)]
#[serde(default)]
pub struct ListQuery {
    pub q: String,
    pub status: String,
    /// `1` lists archived projects instead of current ones.
    pub archived: String,
    /// Only one client organisation's projects (from the client's page).
    pub client: String,
    pub page: Option<u32>,
}

/// A project list's filter from its query, the same for the page and the API. `overdue` is
/// not a status but the dashboard's tile: past the deadline on `today`.
pub(crate) fn list_filter(
    search: &str,
    status: &str,
    archived: bool,
    client: &str,
    today: chrono::NaiveDate,
) -> Result<ProjectFilter, Error> {
    Ok(ProjectFilter {
        search: Some(search.to_owned()).filter(|q| !q.trim().is_empty()),
        status: match status {
            "" | "overdue" => None,
            status => Some(status.parse()?),
        },
        archived,
        overdue_on: (status == "overdue").then_some(today),
        client_org: optional_id("client", client)?,
    })
}

impl ListQuery {
    fn filter(&self, today: chrono::NaiveDate) -> Result<ProjectFilter, Error> {
        list_filter(&self.q, &self.status, self.archived == "1", &self.client, today)
    }

    pub fn link(&self, page: u32) -> String {
        let filters = [
            ("q", self.q.as_str()),
            ("status", &self.status),
            ("archived", &self.archived),
            ("client", &self.client),
        ];
        crate::views::page_link("/projects", &filters, page)
    }
}

#[derive(Template)]
#[template(path = "projects_list.html")]
struct ListPage {
    ctx: PageContext,
    query: ListQuery,
    page: Page<ProjectListItem>,
    cards: Vec<ProjectCard>,
    statuses: [ProjectStatus; 3],
}

impl ListPage {
    /// Another page of the same list (the pager).
    fn page_link(&self, page: u32) -> String {
        self.query.link(page)
    }
}

pub async fn list_page(State(state): State<AppState>, Ctx(ctx): Ctx, Person(viewer): Person, Query(query): Query<ListQuery>) -> WebResult {
    let page = state
        .app
        .projects(&viewer, &query.filter(state.app.today())?, PageRequest::new(query.page, Some(30)))
        .await?;
    let cards = page.items.iter().map(|p| ProjectCard::new(p, "/projects", &ctx.dates)).collect();
    Ok(render(&ListPage {
        ctx,
        query,
        page,
        cards,
        statuses: ProjectStatus::ALL,
    }))
}

/// One of the columns client review moves a task to, as the form shows it.
pub struct ReviewSetting {
    pub key: &'static str,
    pub label: &'static str,
    pub chosen: String,
}

#[derive(Template)]
#[template(path = "project_form.html")]
struct FormPage {
    ctx: PageContext,
    /// `None` for a new project.
    project_id: Option<ProjectId>,
    name: String,
    description: String,
    status: String,
    start_date: String,
    deadline: String,
    show_assignees: bool,
    staff: Vec<Choice>,
    organisations: Vec<Choice>,
    /// Whether the members can be changed here (admins; staff only when creating).
    /// Staff on the project: admins, and staff creating a project (their colleagues).
    staff_editable: bool,
    /// Client organisations: admins only; sharing with a client is an admin's decision.
    clients_editable: bool,
    /// The board's columns, for the review settings (editing only).
    columns: Vec<crate::views::forms::SelectOption>,
    review_settings: Vec<ReviewSetting>,
    statuses: [ProjectStatus; 3],
    error: Option<String>,
    error_field: &'static str,
}

impl FormPage {
    async fn new(
        state: &AppState,
        ctx: PageContext,
        viewer: &Viewer,
        fields: &Fields,
        project_id: Option<ProjectId>,
    ) -> Result<Self, AppError> {
        let staff_chosen = fields.all("staff");
        let orgs_chosen = fields.all("client_orgs");
        let team = state.app.team(viewer).await?;
        let organisations = state.app.client_orgs().await?;
        let columns = match project_id {
            Some(id) => state
                .app
                .project_columns(viewer, id)
                .await?
                .columns
                .into_iter()
                .map(|c| crate::views::forms::SelectOption {
                    value: c.id.to_string(),
                    label: c.name,
                })
                .collect(),
            None => Vec::new(),
        };
        Ok(FormPage {
            columns,
            review_settings: [
                ("review_column", "When submitted for review"),
                ("revisions_column", "When the client asks for revisions"),
                ("approved_column", "When the client approves"),
            ]
            .into_iter()
            .map(|(key, label)| ReviewSetting {
                key,
                label,
                chosen: fields.get(key).to_owned(),
            })
            .collect(),
            ctx,
            project_id,
            name: fields.get("name").to_owned(),
            description: fields.get("description").to_owned(),
            status: fields.get("status").to_owned(),
            start_date: fields.get("start_date").to_owned(),
            deadline: fields.get("deadline").to_owned(),
            show_assignees: fields.checked("show_assignees"),
            staff: team
                .into_iter()
                .map(|m| Choice {
                    checked: staff_chosen.contains(&m.id.to_string().as_str()),
                    id: m.id.to_string(),
                    label: m.name,
                })
                .collect(),
            organisations: organisations
                .into_iter()
                .map(|o| Choice {
                    checked: orgs_chosen.contains(&o.id.to_string().as_str()),
                    id: o.id.to_string(),
                    label: o.name,
                })
                .collect(),
            staff_editable: matches!(viewer, Viewer::Admin(_)) || project_id.is_none(),
            clients_editable: matches!(viewer, Viewer::Admin(_)),
            statuses: ProjectStatus::ALL,
            error: None,
            error_field: "",
        })
    }
}

fn details(fields: &Fields) -> Result<ProjectDetails, Error> {
    ProjectDetails::parse(&ProjectInput {
        name: fields.get("name"),
        description: fields.get("description"),
        status: fields.get("status"),
        start_date: fields.get("start_date"),
        deadline: fields.get("deadline"),
        show_assignees: fields.checked("show_assignees"),
    })
}

fn members(fields: &Fields) -> Result<app::projects::Members, Error> {
    Ok(app::projects::Members {
        staff: fields.ids::<UserId>("staff")?,
        client_orgs: fields.ids::<ClientOrgId>("client_orgs")?,
    })
}

pub async fn new_page(State(state): State<AppState>, Ctx(ctx): Ctx, Person(viewer): Person) -> WebResult {
    let mut fields = Fields(vec![("status".into(), "active".into())]);
    if let Viewer::Staff { id: me, .. } = viewer {
        fields.0.push(("staff".into(), me.to_string()));
    }
    Ok(render(&FormPage::new(&state, ctx, &viewer, &fields, None).await?))
}

async fn form_failed(
    state: &AppState,
    ctx: PageContext,
    viewer: &Viewer,
    fields: &Fields,
    project: Option<ProjectId>,
    error: Error,
) -> WebResult {
    if !matches!(error, Error::Invalid { .. } | Error::Conflict { .. }) {
        return Err(error.into());
    }
    let mut page = FormPage::new(state, ctx, viewer, fields, project).await?;
    page.error_field = error.field().unwrap_or_default();
    page.error = Some(public_message(&error));
    Ok(invalid_form(render(&page)))
}

pub async fn create(State(state): State<AppState>, Ctx(ctx): Ctx, Person(viewer): Person, fields: Fields) -> WebResult {
    let created = match (details(&fields), members(&fields)) {
        (Ok(details), Ok(members)) => state.app.create_project(&viewer, &details, &members).await,
        (Err(e), _) | (_, Err(e)) => Err(e),
    };
    match created {
        Ok(id) => Ok(redirect_with_flash(
            &state,
            &format!("/projects/{id}"),
            Flash::success("The project was created."),
        )),
        Err(error) => form_failed(&state, ctx, &viewer, &fields, None, error).await,
    }
}

pub async fn edit_page(State(state): State<AppState>, Ctx(ctx): Ctx, Person(viewer): Person, Path(id): Path<String>) -> WebResult {
    let id: ProjectId = parse_id(&id)?;
    let overview = state.app.project_overview(&viewer, id).await?;
    let p = &overview.project;
    let mut pairs = vec![
        ("name".to_owned(), p.name.clone()),
        ("description".to_owned(), p.description.clone()),
        ("status".to_owned(), p.status.as_str().to_owned()),
        ("start_date".to_owned(), views::iso_date(p.start_date)),
        ("deadline".to_owned(), views::iso_date(p.deadline)),
    ];
    if p.show_assignees {
        pairs.push(("show_assignees".into(), "on".into()));
    }
    for (key, column) in [
        ("review_column", p.review_column_id),
        ("revisions_column", p.revisions_column_id),
        ("approved_column", p.approved_column_id),
    ] {
        pairs.push((key.to_owned(), column.map(|c| c.to_string()).unwrap_or_default()));
    }
    pairs.extend(overview.staff.iter().map(|m| ("staff".to_owned(), m.id.to_string())));
    pairs.extend(overview.client_orgs.iter().map(|o| ("client_orgs".to_owned(), o.id.to_string())));
    Ok(render(&FormPage::new(&state, ctx, &viewer, &Fields(pairs), Some(id)).await?))
}

pub async fn update(
    State(state): State<AppState>,
    Ctx(ctx): Ctx,
    Person(viewer): Person,
    Path(id): Path<String>,
    fields: Fields,
) -> WebResult {
    let id: ProjectId = parse_id(&id)?;
    state.app.check_manage(&viewer, id).await?;
    let result = async {
        let details = details(&fields)?;
        let review = app::projects::ReviewColumns {
            review: optional_id("review_column", fields.get("review_column"))?,
            revisions: optional_id("revisions_column", fields.get("revisions_column"))?,
            approved: optional_id("approved_column", fields.get("approved_column"))?,
        };
        let members = if matches!(viewer, Viewer::Admin(_)) {
            Some(members(&fields)?)
        } else {
            None
        };
        let change = app::projects::ProjectChange {
            details: &details,
            review: Some(review),
            members: members.as_ref(),
        };
        state.app.update_project(&viewer, id, &change).await?;
        Ok::<(), Error>(())
    }
    .await;
    match result {
        Ok(()) => Ok(redirect_with_flash(
            &state,
            &format!("/projects/{id}"),
            Flash::success("The project was saved."),
        )),
        Err(error) => form_failed(&state, ctx, &viewer, &fields, Some(id), error).await,
    }
}

pub async fn archive(State(state): State<AppState>, Person(viewer): Person, Path(id): Path<String>, fields: Fields) -> WebResult {
    let id: ProjectId = parse_id(&id)?;
    state.app.check_manage(&viewer, id).await?;
    let archived = switch(&fields, "archived")?;
    state.app.archive_project(&viewer, id, archived).await?;
    let message = if archived {
        "The project was archived; clients no longer see it."
    } else {
        "The project was restored."
    };
    Ok(redirect_with_flash(&state, &format!("/projects/{id}"), Flash::success(message)))
}

pub struct MilestoneItem {
    pub id: String,
    pub name: String,
    pub description: String,
    /// The Markdown source, for the edit form.
    pub source: String,
    pub target: String,
    pub target_iso: String,
    pub completed: bool,
    pub shared: bool,
    pub percent: i64,
    pub done: i64,
    pub total: i64,
}

pub struct ColumnItem {
    pub id: String,
    pub name: String,
    pub is_done: bool,
    pub first: bool,
    pub last: bool,
}

#[derive(Template)]
#[template(path = "project_overview.html")]
struct OverviewPage {
    ctx: PageContext,
    id: ProjectId,
    name: String,
    description: String,
    status: &'static str,
    status_class: &'static str,
    start: String,
    deadline: String,
    archived: bool,
    show_assignees: bool,
    percent: i64,
    done: i64,
    total: i64,
    staff: Vec<String>,
    organisations: Vec<String>,
    milestones: Vec<MilestoneItem>,
    columns: Vec<ColumnItem>,
    activity: Vec<ActivityLine>,
    is_admin: bool,
    has_review_history: bool,
}

pub async fn overview_page(State(state): State<AppState>, Ctx(ctx): Ctx, Person(viewer): Person, Path(id): Path<String>) -> WebResult {
    let id: ProjectId = parse_id(&id)?;
    let overview = state.app.project_overview(&viewer, id).await?;
    let milestones = state.app.milestones(&viewer, id).await?;
    let activity = state.app.activity(&viewer, Some(id), None, 15).await?;
    let p = &overview.project;
    let count = overview.columns.len();
    Ok(render(&OverviewPage {
        id,
        name: p.name.clone(),
        description: views::markdown(&p.description),
        status: p.status.label(),
        status_class: views::status_class(p.status),
        start: views::date(&ctx.dates, p.start_date),
        deadline: views::date(&ctx.dates, p.deadline),
        archived: p.archived_at.is_some(),
        show_assignees: p.show_assignees,
        percent: overview.progress.percent(),
        done: overview.progress.done,
        total: overview.progress.total,
        staff: overview.staff.iter().map(|m| m.name.clone()).collect(),
        organisations: overview.client_orgs.iter().map(|m| m.name.clone()).collect(),
        milestones: milestones
            .iter()
            .map(|m| MilestoneItem {
                id: m.id.to_string(),
                name: m.name.clone(),
                description: views::markdown(&m.description),
                source: m.description.clone(),
                target: views::date(&ctx.dates, m.target_date),
                target_iso: views::iso_date(m.target_date),
                completed: m.completed_at.is_some(),
                shared: m.client_visible,
                percent: m.progress().percent(),
                done: m.tasks_done,
                total: m.tasks_total,
            })
            .collect(),
        columns: overview
            .columns
            .iter()
            .enumerate()
            .map(|(i, c)| ColumnItem {
                id: c.id.to_string(),
                name: c.name.clone(),
                is_done: c.is_done,
                first: i == 0,
                last: i + 1 == count,
            })
            .collect(),
        activity: views::activity_lines(&activity, "/projects"),
        has_review_history: state.app.has_review_history(&viewer, id).await?,
        is_admin: matches!(viewer, Viewer::Admin(_)),
        ctx,
    }))
}

fn milestone_details(fields: &Fields) -> Result<MilestoneDetails, Error> {
    MilestoneDetails::parse(
        fields.get("name"),
        fields.get("description"),
        fields.get("target_date"),
        fields.checked("client_visible"),
    )
}

pub async fn create_milestone(State(state): State<AppState>, Person(viewer): Person, Path(id): Path<String>, fields: Fields) -> WebResult {
    let id: ProjectId = parse_id(&id)?;
    state.app.check_manage(&viewer, id).await?;
    state.app.create_milestone(&viewer, id, &milestone_details(&fields)?).await?;
    Ok(redirect_with_flash(
        &state,
        &format!("/projects/{id}#milestones"),
        Flash::success("The milestone was added."),
    ))
}

pub async fn update_milestone(
    State(state): State<AppState>,
    Person(viewer): Person,
    Path((id, milestone)): Path<(String, String)>,
    fields: Fields,
) -> WebResult {
    let (id, milestone): (ProjectId, MilestoneId) = (parse_id(&id)?, parse_id(&milestone)?);
    state.app.check_manage(&viewer, id).await?;
    if fields.get("completed").is_empty() {
        state
            .app
            .update_milestone(&viewer, id, milestone, || milestone_details(&fields))
            .await?;
    } else {
        state
            .app
            .complete_milestone(&viewer, id, milestone, fields.get("completed") == "1")
            .await?;
    }
    Ok(redirect_with_flash(
        &state,
        &format!("/projects/{id}#milestones"),
        Flash::success("The milestone was saved."),
    ))
}

pub async fn delete_milestone(
    State(state): State<AppState>,
    Person(viewer): Person,
    Path((id, milestone)): Path<(String, String)>,
) -> WebResult {
    let (id, milestone): (ProjectId, MilestoneId) = (parse_id(&id)?, parse_id(&milestone)?);
    state.app.delete_milestone(&viewer, id, milestone).await?;
    Ok(redirect_with_flash(
        &state,
        &format!("/projects/{id}#milestones"),
        Flash::success("The milestone was deleted; its tasks stay, without a milestone."),
    ))
}

pub async fn add_column(State(state): State<AppState>, Person(viewer): Person, Path(id): Path<String>, fields: Fields) -> WebResult {
    let id: ProjectId = parse_id(&id)?;
    state.app.check_manage(&viewer, id).await?;
    state.app.add_column(&viewer, id, fields.get("name")).await?;
    Ok(redirect_with_flash(
        &state,
        &format!("/projects/{id}#columns"),
        Flash::success("The column was added."),
    ))
}

/// Renames, moves or deletes a column, by the form's `action`.
pub async fn change_column(
    State(state): State<AppState>,
    Person(viewer): Person,
    Path((id, column)): Path<(String, String)>,
    fields: Fields,
) -> WebResult {
    let (id, column): (ProjectId, ColumnId) = (parse_id(&id)?, parse_id(&column)?);
    state.app.check_manage(&viewer, id).await?;
    match fields.get("action") {
        "left" => state.app.shift_column(&viewer, id, column, -1).await?,
        "right" => state.app.shift_column(&viewer, id, column, 1).await?,
        "delete" => state.app.delete_column(&viewer, id, column).await?,
        _ => {
            state
                .app
                .rename_column(&viewer, id, column, fields.get("name"), fields.checked("is_done"))
                .await?
        }
    }
    Ok(redirect_with_flash(
        &state,
        &format!("/projects/{id}#columns"),
        Flash::success("The board was updated."),
    ))
}

pub mod api;
