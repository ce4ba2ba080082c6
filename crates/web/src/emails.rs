//! Email delivery for admins: the emails that could not be delivered after every retry (or
//! that the mail server refused for good), with why, and a way to send them again.

use crate::AppState;
use crate::context::{Ctx, PageContext, Person, render};
use crate::error::WebResult;
use crate::forms::{Fields, Flash, redirect_with_flash};
use crate::routing::{Route, route};
use crate::views::{PageQuery, optional_id};
use app::jobs::UndeliveredEmail;
use askama::Template;
use axum::extract::{Query, State};
use axum::http::Method;
use domain::ids::JobId;
use domain::users::PageRequest;

/// Undelivered emails, for admins.
pub(crate) fn routes() -> Vec<Route> {
    use crate::routing::Access::*;
    use domain::access::Area::Admin;
    vec![
        route(Method::GET, "/admin/emails", Area(Admin), undelivered_page),
        route(Method::POST, "/admin/emails/retry", Area(Admin), retry),
    ]
}

#[derive(Template)]
#[template(path = "admin_emails.html")]
struct UndeliveredPage {
    ctx: PageContext,
    emails: Vec<UndeliveredEmail>,
    page: u32,
    more: bool,
}

pub async fn undelivered_page(
    State(state): State<AppState>,
    Ctx(ctx): Ctx,
    Person(viewer): Person,
    Query(query): Query<PageQuery>,
) -> WebResult {
    let request = PageRequest::new(query.page, None);
    let (emails, more) = state.app.undelivered_emails(&viewer, request).await?;
    Ok(render(&UndeliveredPage {
        ctx,
        emails,
        page: request.page,
        more,
    }))
}

/// Sends one undelivered email again (`email` names it), or all of them.
pub async fn retry(State(state): State<AppState>, Person(viewer): Person, fields: Fields) -> WebResult {
    let one: Option<JobId> = optional_id("email", fields.get("email"))?;
    let queued = state.app.retry_undelivered(&viewer, one).await?;
    let flash = match queued {
        0 => Flash::info("Nothing to send again: the email was already queued or delivered."),
        1 => Flash::success("The email is queued again; it goes out in a moment."),
        n => Flash::success(format!("{n} emails are queued again; they go out in a moment.")),
    };
    Ok(redirect_with_flash(&state, "/admin/emails", flash))
}
