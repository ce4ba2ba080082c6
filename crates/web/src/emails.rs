//! Email delivery for admins: the emails that could not be delivered after every retry (or
//! that the mail server refused for good), with why, and a way to send them again; on a page
//! and in the API.

use crate::AppState;
use crate::api_core::{ApiJson, ApiQuery, ApiUser, PageParams, Problem};
use crate::context::{Ctx, PageContext, Person, render};
use crate::error::WebResult;
use crate::forms::{Fields, Flash, redirect_with_flash};
use crate::routing::{Route, route};
use crate::views::{PageQuery, optional_id};
use app::jobs::UndeliveredEmail;
use askama::Template;
use axum::Json;
use axum::extract::{Query, State};
use axum::http::Method;
use domain::ids::JobId;
use domain::users::PageRequest;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Undelivered emails, for admins.
pub(crate) fn routes() -> Vec<Route> {
    use crate::routing::Access::*;
    use domain::access::Area::Admin;
    vec![
        route(Method::GET, "/admin/emails", Area(Admin), undelivered_page),
        route(Method::POST, "/admin/emails/retry", Area(Admin), retry),
        route(Method::GET, "/api/v1/emails/undelivered", ApiAdmin, api_undelivered),
        route(Method::POST, "/api/v1/emails/retry", ApiAdmin, api_retry),
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

#[derive(Serialize, ToSchema)]
pub struct UndeliveredView {
    pub id: uuid::Uuid,
    pub to: String,
    pub subject: String,
    /// The mail server's last answer, or why it could not be reached.
    pub error: String,
    pub attempts: i64,
    pub failed_at: Option<chrono::DateTime<chrono::Utc>>,
}

#[derive(Serialize, ToSchema)]
pub struct UndeliveredList {
    pub items: Vec<UndeliveredView>,
    pub page: u32,
    pub per_page: u32,
    /// Whether another page follows.
    pub more: bool,
}

/// The emails that could not be delivered, newest failure first (admins).
#[utoipa::path(get, path = "/api/v1/emails/undelivered", tag = "emails", params(PageParams), responses(
    (status = 200, body = UndeliveredList), (status = 401, body = Problem), (status = 403, body = Problem), (status = 422, body = Problem)
), security(("token" = [])))]
pub async fn api_undelivered(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiQuery(query): ApiQuery<PageParams>,
) -> WebResult<Json<UndeliveredList>> {
    let request = PageRequest::strict(query.page, query.per_page)?;
    let (emails, more) = state.app.undelivered_emails(&user.viewer(), request).await?;
    Ok(Json(UndeliveredList {
        items: emails
            .into_iter()
            .map(|e| UndeliveredView {
                id: e.id.0,
                to: e.to,
                subject: e.subject,
                error: e.error,
                attempts: e.attempts,
                failed_at: e.failed_at,
            })
            .collect(),
        page: request.page,
        per_page: request.per_page,
        more,
    }))
}

#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields, default)]
pub struct RetryRequest {
    /// One undelivered email; absent for all of them.
    pub email: Option<uuid::Uuid>,
}

#[derive(Serialize, ToSchema)]
pub struct RetryAnswer {
    /// How many emails were queued again (0 when it was already queued or delivered).
    pub queued: u64,
}

/// Sends one undelivered email again, or all of them (admins).
#[utoipa::path(post, path = "/api/v1/emails/retry", tag = "emails", request_body = RetryRequest, responses(
    (status = 200, body = RetryAnswer), (status = 401, body = Problem), (status = 403, body = Problem)
), security(("token" = [])))]
pub async fn api_retry(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiJson(request): ApiJson<RetryRequest>,
) -> WebResult<Json<RetryAnswer>> {
    let queued = state.app.retry_undelivered(&user.viewer(), request.email.map(JobId)).await?;
    Ok(Json(RetryAnswer { queued }))
}

/// This feature's part of the OpenAPI document.
#[derive(utoipa::OpenApi)]
#[openapi(paths(api_undelivered, api_retry))]
pub(crate) struct EmailsApi;
