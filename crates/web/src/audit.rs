//! The audit trail in the API (admins): who did what to whom, newest first — people invited,
//! deactivated and given permissions, clients changed, settings saved, gateways configured.
//! A person's page shows the entries about them.

use crate::AppState;
use crate::api_core::{ApiQuery, ApiUser, Problem};
use crate::error::WebResult;
use crate::routing::{Route, route};
use crate::views::optional_id;
use app::users::Actor;
use axum::Json;
use axum::extract::State;
use axum::http::Method;
use domain::users::PageRequest;
use serde::{Deserialize, Serialize};
use store::audit::AuditFilter;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

/// The audit trail.
pub(crate) fn routes() -> Vec<Route> {
    use crate::routing::Access::*;
    vec![route(Method::GET, "/api/v1/audit", ApiAdmin, list)]
}

#[derive(Serialize, ToSchema)]
pub struct AuditEntryView {
    pub id: Uuid,
    /// What was done: `user.create`, `user.deactivate`, `client.update`, `settings.gateway`, …
    pub action: String,
    /// Who did it; absent for the system (the command line, a background job).
    pub actor: Option<AuditActor>,
    /// The person, organisation or other item it was done to.
    pub subject_id: Option<Uuid>,
    pub detail: String,
    pub created_at: chrono::DateTime<chrono::Utc>,
}

#[derive(Serialize, ToSchema)]
pub struct AuditActor {
    pub id: Uuid,
    pub name: String,
}

#[derive(Serialize, ToSchema)]
pub struct AuditPage {
    pub items: Vec<AuditEntryView>,
    pub page: u32,
    pub per_page: u32,
    /// Whether another page follows.
    pub more: bool,
}

#[derive(Deserialize, IntoParams, Default)]
#[into_params(parameter_in = Query)]
#[serde(default)]
pub struct AuditQuery {
    /// Only the entries about this item (a person's, an organisation's id).
    pub subject: String,
    /// Only this action (`user.deactivate`).
    pub action: String,
    #[param(minimum = 1)]
    pub page: Option<u32>,
    #[param(minimum = 1, maximum = 100)]
    pub per_page: Option<u32>,
}

/// The audit trail, newest first (admins).
#[utoipa::path(get, path = "/api/v1/audit", tag = "audit", params(AuditQuery), responses(
    (status = 200, body = AuditPage), (status = 401, body = Problem), (status = 403, body = Problem), (status = 422, body = Problem)
), security(("token" = [])))]
pub async fn list(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiQuery(query): ApiQuery<AuditQuery>,
) -> WebResult<Json<AuditPage>> {
    let filter = AuditFilter {
        subject: optional_id("subject", &query.subject)?,
        action: Some(query.action.trim().to_owned()).filter(|a| !a.is_empty()),
    };
    let page = PageRequest::strict(query.page, query.per_page)?;
    let (rows, more) = state.app.audit_trail(&Actor::User(user), &filter, page).await?;
    Ok(Json(AuditPage {
        items: rows
            .into_iter()
            .map(|r| AuditEntryView {
                id: r.id,
                action: r.action,
                actor: r.actor_id.map(|id| AuditActor {
                    id: id.0,
                    name: r.actor_name.unwrap_or_default(),
                }),
                subject_id: r.subject_id,
                detail: r.detail,
                created_at: r.created_at,
            })
            .collect(),
        page: page.page,
        per_page: page.per_page,
        more,
    }))
}

/// This feature's part of the OpenAPI document.
#[derive(utoipa::OpenApi)]
#[openapi(paths(list))]
pub(crate) struct AuditApi;
