//! The home page of the admin and staff areas: project counts, the viewer's tasks due soon,
//! reviews waiting for clients and recent activity, all through the viewer's scope. (The
//! portal's home is in `portal`.)

use crate::AppState;
use crate::context::{Ctx, PageContext, Person, render};
use crate::error::WebResult;
use crate::routing::{Route, route};
use crate::views::{self, ActivityLine, Due};
use askama::Template;
use axum::extract::State;
use axum::http::Method;
use domain::access::Viewer;
use domain::dates::DateStyle;

/// The admins' and staff's home pages.
pub(crate) fn routes() -> Vec<Route> {
    use crate::routing::Access::*;
    use domain::access::Area::{Admin, Staff};
    vec![
        route(Method::GET, "/admin", Area(Admin), admin),
        route(Method::GET, "/staff", Area(Staff), staff),
    ]
}

fn first_name(ctx: &PageContext) -> String {
    ctx.viewer
        .as_ref()
        .and_then(|v| v.name.split_whitespace().next())
        .unwrap_or_default()
        .to_owned()
}

pub struct DueTask {
    pub name: String,
    pub href: String,
    pub project: String,
    pub due: Due,
}

pub struct ReviewLink {
    pub name: String,
    pub href: String,
    pub project: String,
}

/// What both dashboards show of the projects.
pub struct Workspace {
    pub counts: store::projects::StatusCounts,
    pub my_tasks: Vec<DueTask>,
    pub reviews: Vec<ReviewLink>,
    pub pending_review_count: i64,
    pub activity: Vec<ActivityLine>,
}

async fn workspace(state: &AppState, viewer: &Viewer, dates: &DateStyle) -> Result<Workspace, crate::error::AppError> {
    let data = state.app.dashboard(viewer).await?;
    let today = state.app.today();
    Ok(Workspace {
        counts: data.counts,
        my_tasks: data
            .my_tasks
            .iter()
            .map(|t| DueTask {
                name: t.name.clone(),
                href: format!("/projects/{}/tasks/{}", t.project_id, t.id),
                project: t.project_name.clone(),
                due: views::due(dates, t.due_date, false, today),
            })
            .collect(),
        reviews: data
            .pending_reviews
            .iter()
            .map(|r| ReviewLink {
                name: r.name.clone(),
                href: format!("/projects/{}/tasks/{}", r.project_id, r.id),
                project: r.project_name.clone(),
            })
            .collect(),
        pending_review_count: data.pending_review_count,
        activity: views::activity_lines(&data.activity, "/projects"),
    })
}

#[derive(Template)]
#[template(path = "dashboard_admin.html")]
struct AdminDashboard {
    ctx: PageContext,
    first_name: String,
    counts: store::users::UserCounts,
    jobs: store::jobs::JobCounts,
    work: Workspace,
}

pub async fn admin(State(state): State<AppState>, Ctx(ctx): Ctx, Person(viewer): Person) -> WebResult {
    let (counts, jobs) = state.app.admin_overview().await?;
    let work = workspace(&state, &viewer, &ctx.dates).await?;
    Ok(render(&AdminDashboard {
        first_name: first_name(&ctx),
        ctx,
        counts,
        jobs,
        work,
    }))
}

#[derive(Template)]
#[template(path = "dashboard_staff.html")]
struct StaffDashboard {
    ctx: PageContext,
    first_name: String,
    work: Workspace,
}

pub async fn staff(State(state): State<AppState>, Ctx(ctx): Ctx, Person(viewer): Person) -> WebResult {
    let work = workspace(&state, &viewer, &ctx.dates).await?;
    Ok(render(&StaffDashboard {
        first_name: first_name(&ctx),
        ctx,
        work,
    }))
}
