//! The home page of each area.

use crate::AppState;
use crate::context::{Ctx, PageContext, render};
use crate::error::WebResult;
use askama::Template;
use axum::extract::State;
use axum::response::Response;

fn first_name(ctx: &PageContext) -> String {
    ctx.viewer
        .as_ref()
        .and_then(|v| v.name.split_whitespace().next())
        .unwrap_or_default()
        .to_owned()
}

#[derive(Template)]
#[template(path = "dashboard_admin.html")]
struct AdminDashboard {
    ctx: PageContext,
    first_name: String,
    counts: store::users::UserCounts,
    jobs: store::jobs::JobCounts,
}

pub async fn admin(State(state): State<AppState>, Ctx(ctx): Ctx) -> WebResult {
    let (counts, jobs) = state.app.admin_overview().await?;
    Ok(render(&AdminDashboard {
        first_name: first_name(&ctx),
        ctx,
        counts,
        jobs,
    }))
}

#[derive(Template)]
#[template(path = "dashboard_staff.html")]
struct StaffDashboard {
    ctx: PageContext,
    first_name: String,
}

pub async fn staff(Ctx(ctx): Ctx) -> Response {
    render(&StaffDashboard {
        first_name: first_name(&ctx),
        ctx,
    })
}
