//! The client portal: the dashboard with every project shared with the contact, a project
//! page, a task page with comments and review; and the same pages for an admin previewing the
//! portal as a chosen contact, read-only. Every read goes through the viewer's scope.

use crate::AppState;
use crate::context::{Ctx, PageContext, Person, render};
use crate::error::WebResult;
use crate::forms::{Flash, redirect_with_flash};
use crate::routing::{Route, route};
use crate::views::portal::{PortalView, preview_of};
use crate::views::projects::ProjectCard;
use crate::views::reviews::RoundRow;
use crate::views::{self, ActivityLine, Due, PageQuery, TaskPath, parse_id};
use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::Method;
use domain::access::Permission;
use domain::ids::{ProjectId, TaskId};
use domain::reviews::Decision;
use domain::tasks::TaskInput;
use domain::users::PageRequest;
use serde::Deserialize;
use store::tasks::TaskFilter;

/// The client portal's dashboard, projects and tasks, and an admin's preview of them.
pub(crate) fn routes() -> Vec<Route> {
    use crate::routing::Access::*;
    use domain::access::Area::{Admin, Portal};
    vec![
        route(Method::GET, "/portal", Area(Portal), dashboard_page),
        route(Method::GET, "/portal/projects", Area(Portal), projects_page),
        route(Method::GET, "/portal/projects/{id}", Area(Portal), project_page),
        route(Method::POST, "/portal/projects/{id}/requests", Area(Portal), request_task),
        route(Method::GET, "/portal/projects/{id}/tasks/{task}", Area(Portal), task_page),
        route(
            Method::POST,
            "/portal/projects/{id}/tasks/{task}/comments",
            Area(Portal),
            add_comment,
        ),
        route(
            Method::POST,
            "/portal/projects/{id}/tasks/{task}/review",
            Area(Portal),
            decide_review,
        ),
        route(Method::GET, "/admin/preview/{contact}", Area(Admin), preview_dashboard),
        route(Method::GET, "/admin/preview/{contact}/projects/{id}", Area(Admin), preview_project),
        route(
            Method::GET,
            "/admin/preview/{contact}/projects/{id}/tasks/{task}",
            Area(Admin),
            preview_task,
        ),
    ]
}

pub struct ReviewItem {
    pub name: String,
    pub project: String,
    pub href: String,
}

#[derive(Template)]
#[template(path = "portal_dashboard.html")]
struct DashboardPage {
    ctx: PageContext,
    portal: PortalView,
    first_name: String,
    organisation: String,
    projects: Vec<ProjectCard>,
    reviews: Vec<ReviewItem>,
    activity: Vec<ActivityLine>,
    invoices: Option<crate::views::invoices::InvoiceBlock>,
    /// Whether the contact sees projects at all (an invoices-only contact does not).
    sees_projects: bool,
}

async fn dashboard(state: &AppState, ctx: PageContext, portal: PortalView) -> WebResult {
    let home = state.app.portal_home(&portal.viewer).await?;
    let base = portal.projects_base();
    let invoices = state
        .app
        .invoice_overview(&portal.viewer)
        .await?
        .map(|overview| crate::views::invoices::InvoiceBlock::new(&overview, &format!("{}/invoices", portal.base)));
    Ok(render(&DashboardPage {
        invoices,
        projects: home.projects.iter().map(|p| ProjectCard::new(p, &base, &ctx.dates)).collect(),
        reviews: home
            .reviews
            .iter()
            .map(|r| ReviewItem {
                name: r.name.clone(),
                project: r.project_name.clone(),
                href: format!("{base}/{}/tasks/{}", r.project_id, r.id),
            })
            .collect(),
        activity: views::activity_lines(&home.activity, &base),
        first_name: portal.person.split_whitespace().next().unwrap_or_default().to_owned(),
        sees_projects: domain::access::PROJECT_PERMISSIONS.iter().any(|p| portal.viewer.allows(*p)),
        organisation: portal.organisation.clone(),
        portal,
        ctx,
    }))
}

pub async fn dashboard_page(State(state): State<AppState>, Ctx(ctx): Ctx, Person(viewer): Person) -> WebResult {
    let portal = PortalView::own(viewer, &ctx);
    dashboard(&state, ctx, portal).await
}

pub async fn preview_dashboard(
    State(state): State<AppState>,
    Ctx(ctx): Ctx,
    Person(admin): Person,
    Path(contact): Path<String>,
) -> WebResult {
    let portal = preview_of(&state, &admin, &contact).await?;
    dashboard(&state, ctx, portal).await
}

#[derive(Template)]
#[template(path = "portal_projects.html")]
struct ProjectsPage {
    ctx: PageContext,
    portal: PortalView,
    page: domain::users::Page<store::projects::ProjectListItem>,
    cards: Vec<ProjectCard>,
}

impl ProjectsPage {
    /// Another page of the same list (the pager).
    fn page_link(&self, page: u32) -> String {
        format!("?page={page}")
    }
}

/// Every project shared with the contact, a page at a time (the dashboard shows the first).
pub async fn projects_page(
    State(state): State<AppState>,
    Ctx(ctx): Ctx,
    Person(viewer): Person,
    Query(query): Query<PageQuery>,
) -> WebResult {
    let portal = PortalView::own(viewer, &ctx);
    let page = state
        .app
        .projects(&portal.viewer, &Default::default(), PageRequest::new(query.page, Some(12)))
        .await?;
    let base = portal.projects_base();
    Ok(render(&ProjectsPage {
        cards: page.items.iter().map(|p| ProjectCard::new(p, &base, &ctx.dates)).collect(),
        page,
        portal,
        ctx,
    }))
}

pub struct TaskRow {
    pub name: String,
    pub href: String,
    pub status: String,
    pub done: bool,
    pub priority: &'static str,
    pub priority_class: &'static str,
    pub due: Due,
    pub review: Option<&'static str>,
    pub assignees: String,
}

pub struct MilestoneRow {
    pub name: String,
    pub description: String,
    pub target: String,
    pub completed: bool,
    pub percent: i64,
    pub done: i64,
    pub total: i64,
}

#[derive(Template)]
#[template(path = "portal_project.html")]
struct ProjectPage {
    ctx: PageContext,
    portal: PortalView,
    name: String,
    description: String,
    status: &'static str,
    status_class: &'static str,
    deadline: String,
    percent: i64,
    done: i64,
    total: i64,
    team: Vec<String>,
    tasks: Vec<TaskRow>,
    tasks_total: i64,
    page: u32,
    pages: u32,
    milestones: Vec<MilestoneRow>,
    activity: Vec<ActivityLine>,
    request_action: Option<String>,
    /// The review trail's export, where the project has one.
    export_href: Option<String>,
    files_href: String,
    /// The project's invoices, for a contact who sees invoices.
    invoices: Option<Vec<crate::views::invoices::InvoiceRow>>,
}

const TASKS_PER_PAGE: i64 = 50;

async fn project(state: &AppState, ctx: PageContext, portal: PortalView, id: &str, query: &PageQuery) -> WebResult {
    let id: ProjectId = parse_id(id)?;
    let viewer = portal.viewer;
    let overview = state.app.project_overview(&viewer, id).await?;
    let page = query.page.unwrap_or(1).max(1);
    let (cards, tasks_total) = state
        .app
        .tasks(
            &viewer,
            id,
            &TaskFilter::default(),
            TASKS_PER_PAGE,
            i64::from(page - 1) * TASKS_PER_PAGE,
        )
        .await?;
    let milestones = if viewer.allows(Permission::ViewMilestones) {
        state.app.milestones(&viewer, id).await?
    } else {
        Vec::new()
    };
    let activity = state.app.activity(&viewer, Some(id), None, 10).await?;
    let invoices = if viewer.allows(Permission::ViewInvoices) {
        let filter = store::invoices::InvoiceFilter {
            project: Some(id),
            ..Default::default()
        };
        let page = state.app.invoices(&viewer, &filter, PageRequest::new(Some(1), Some(10))).await?;
        let base = format!("{}/invoices", portal.base);
        Some(
            page.items
                .iter()
                .map(|i| crate::views::invoices::InvoiceRow::new(i, &base))
                .collect(),
        )
    } else {
        None
    };
    let today = state.app.today();
    let base = portal.projects_base();
    let column_name = |column: domain::ids::ColumnId| {
        overview
            .columns
            .iter()
            .find(|c| c.id == column)
            .map(|c| c.name.clone())
            .unwrap_or_default()
    };
    let tasks = cards
        .iter()
        .map(|card| {
            let t = &card.task;
            TaskRow {
                name: t.name.clone(),
                href: format!("{base}/{id}/tasks/{}", t.id),
                status: column_name(t.column_id),
                done: t.completed_at.is_some(),
                priority: t.priority.label(),
                priority_class: views::priority_class(t.priority),
                due: views::due(&ctx.dates, t.due_date, t.completed_at.is_some(), today),
                review: t.review_state.map(|s| s.label()),
                assignees: card.assignees.iter().map(|a| a.name.as_str()).collect::<Vec<_>>().join(", "),
            }
        })
        .collect();
    let p = &overview.project;
    Ok(render(&ProjectPage {
        name: p.name.clone(),
        description: views::markdown(&p.description),
        status: p.status.label(),
        status_class: views::status_class(p.status),
        deadline: views::date(&ctx.dates, p.deadline),
        percent: overview.progress.percent(),
        done: overview.progress.done,
        total: overview.progress.total,
        team: overview.staff.iter().map(|m| m.name.clone()).collect(),
        tasks,
        tasks_total,
        page,
        pages: (tasks_total.max(1) as u64).div_ceil(TASKS_PER_PAGE as u64) as u32,
        milestones: milestones
            .iter()
            .map(|m| MilestoneRow {
                name: m.name.clone(),
                description: views::markdown(&m.description),
                target: views::date(&ctx.dates, m.target_date),
                completed: m.completed_at.is_some(),
                percent: m.progress().percent(),
                done: m.tasks_done,
                total: m.tasks_total,
            })
            .collect(),
        activity: views::activity_lines(&activity, &base),
        request_action: portal.may(Permission::RequestTasks).then(|| format!("{base}/{id}/requests")),
        export_href: state
            .app
            .has_review_history(&portal.viewer, id)
            .await?
            .then(|| format!("{base}/{id}/reviews")),
        files_href: format!("{base}/{id}/files"),
        invoices,
        portal,
        ctx,
    }))
}

pub async fn project_page(
    State(state): State<AppState>,
    Ctx(ctx): Ctx,
    Person(viewer): Person,
    Path(id): Path<String>,
    Query(query): Query<PageQuery>,
) -> WebResult {
    let portal = PortalView::own(viewer, &ctx);
    project(&state, ctx, portal, &id, &query).await
}

pub async fn preview_project(
    State(state): State<AppState>,
    Ctx(ctx): Ctx,
    Person(admin): Person,
    Path((contact, id)): Path<(String, String)>,
    Query(query): Query<PageQuery>,
) -> WebResult {
    let portal = preview_of(&state, &admin, &contact).await?;
    project(&state, ctx, portal, &id, &query).await
}

pub struct CommentRow {
    pub author: String,
    pub organisation: Option<String>,
    pub body: String,
    pub at: chrono::DateTime<chrono::Utc>,
    pub edited: bool,
    pub deleted: bool,
}

#[derive(Template)]
#[template(path = "portal_task.html")]
struct TaskPage {
    ctx: PageContext,
    portal: PortalView,
    project_name: String,
    project_href: String,
    name: String,
    description: String,
    status: String,
    priority: &'static str,
    priority_class: &'static str,
    due: Due,
    start: String,
    assignees: Vec<String>,
    review: Option<&'static str>,
    review_action: Option<String>,
    rounds: Vec<RoundRow>,
    comments: Vec<CommentRow>,
    pager: views::CommentPager,
    comment_action: Option<String>,
    attachments: Vec<crate::views::files::FileRow>,
    attachment_upload: Option<String>,
    attachment_manage: Option<String>,
    /// A client's uploads are theirs and the team's, never shared further.
    attachments_shared: bool,
}

async fn task(state: &AppState, ctx: PageContext, portal: PortalView, project: &str, task: &str, page: u32) -> WebResult {
    let project: ProjectId = parse_id(project)?;
    let task: TaskId = parse_id(task)?;
    let viewer = portal.viewer;
    let overview = state.app.project_columns(&viewer, project).await?;
    let card = state.app.task(&viewer, project, task).await?;
    let page = page.max(1);
    let (comments, total) = state
        .app
        .comments(&viewer, project, task, views::COMMENTS_PER_PAGE, views::CommentPager::offset(page))
        .await?;
    let rounds = state.app.review_rounds(&viewer, project, task).await?;
    let t = &card.task;
    let base = format!("{}/{project}", portal.projects_base());
    let pending = t.review_state == Some(domain::reviews::ReviewState::Pending);
    Ok(render(&TaskPage {
        project_name: overview.project.name.clone(),
        project_href: base.clone(),
        name: t.name.clone(),
        description: views::markdown(&t.description),
        status: overview
            .columns
            .iter()
            .find(|c| c.id == t.column_id)
            .map(|c| c.name.clone())
            .unwrap_or_default(),
        priority: t.priority.label(),
        priority_class: views::priority_class(t.priority),
        due: views::due(&ctx.dates, t.due_date, t.completed_at.is_some(), state.app.today()),
        start: views::date(&ctx.dates, t.start_date),
        assignees: card.assignees.iter().map(|a| a.name.clone()).collect(),
        review: t.review_state.map(|s| s.label()),
        review_action: (pending && portal.may(Permission::Review)).then(|| format!("{base}/tasks/{task}/review")),
        rounds: rounds.iter().map(RoundRow::new).collect(),
        comments: comments
            .iter()
            .map(|c| CommentRow {
                author: c.author_name.clone(),
                organisation: c.author_org_name.clone(),
                body: views::markdown(&c.body),
                at: c.created_at,
                edited: c.edited_at.is_some(),
                deleted: c.deleted_at.is_some(),
            })
            .collect(),
        pager: views::CommentPager::new(page, total),
        comment_action: portal
            .may(Permission::CommentOnTasks)
            .then(|| format!("{base}/tasks/{task}/comments")),
        attachments: crate::views::files::attachments(state, &viewer, project, task, &format!("{base}/files")).await?,
        attachment_upload: portal
            .may(Permission::UploadFiles)
            .then(|| format!("{base}/tasks/{task}/attachments")),
        attachment_manage: None,
        attachments_shared: false,
        portal,
        ctx,
    }))
}

pub async fn task_page(
    State(state): State<AppState>,
    Ctx(ctx): Ctx,
    Person(viewer): Person,
    Path((project, id)): Path<(String, String)>,
    Query(query): Query<PageQuery>,
) -> WebResult {
    let portal = PortalView::own(viewer, &ctx);
    task(&state, ctx, portal, &project, &id, query.page.unwrap_or(1)).await
}

pub async fn preview_task(
    State(state): State<AppState>,
    Ctx(ctx): Ctx,
    Person(admin): Person,
    Path((contact, project, id)): Path<(String, String, String)>,
    Query(query): Query<PageQuery>,
) -> WebResult {
    let portal = preview_of(&state, &admin, &contact).await?;
    task(&state, ctx, portal, &project, &id, query.page.unwrap_or(1)).await
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct CommentForm {
    pub body: String,
}

pub async fn add_comment(
    State(state): State<AppState>,
    Person(viewer): Person,
    TaskPath(project, task): TaskPath,
    Form(form): Form<CommentForm>,
) -> WebResult {
    state.app.add_comment(&viewer, project, task, &form.body, false).await?;
    Ok(redirect_with_flash(
        &state,
        &format!("/portal/projects/{project}/tasks/{task}#comments"),
        Flash::success("Your comment was added."),
    ))
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ReviewForm {
    pub decision: String,
    pub comment: String,
}

pub async fn decide_review(
    State(state): State<AppState>,
    Person(viewer): Person,
    TaskPath(project, task): TaskPath,
    Form(form): Form<ReviewForm>,
) -> WebResult {
    state
        .app
        .decide_review(&viewer, project, task, &form.decision, &form.comment)
        .await?;
    let message = match form.decision.parse::<Decision>() {
        Ok(Decision::Approved) => "Thank you: the task is approved.",
        _ => "Thank you: the team will revise the task.",
    };
    Ok(redirect_with_flash(
        &state,
        &format!("/portal/projects/{project}/tasks/{task}"),
        Flash::success(message),
    ))
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct RequestForm {
    pub name: String,
    pub description: String,
    pub due_date: String,
}

pub async fn request_task(
    State(state): State<AppState>,
    Person(viewer): Person,
    Path(project): Path<String>,
    Form(form): Form<RequestForm>,
) -> WebResult {
    let project: ProjectId = parse_id(&project)?;
    let input = TaskInput {
        name: &form.name,
        description: &form.description,
        due_date: &form.due_date,
        ..Default::default()
    };
    state.app.request_task(&viewer, project, &input).await?;
    Ok(redirect_with_flash(
        &state,
        &format!("/portal/projects/{project}"),
        Flash::success("Your request was sent to the team."),
    ))
}
