//! The JSON API under `/api/v1`: the OpenAPI document, assembled from the features' own
//! operations, and `/me`. What handlers share lives in [`crate::api_core`].

use crate::AppState;
use crate::api_core::{ApiJson, ApiUser, Problem, UserView};
use crate::error::WebResult;
use crate::routing::{Route, route};
use axum::Json;
use axum::extract::State;
use axum::http::Method;
use axum::http::header;
use axum::response::IntoResponse;
use domain::Error;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

/// The OpenAPI document and the token's own person.
pub(crate) fn routes() -> Vec<Route> {
    use crate::routing::Access::*;
    vec![
        route(Method::GET, "/api/v1/openapi.json", Public, openapi_json),
        route(Method::GET, "/api/v1/me", ApiUser, me),
        route(Method::PATCH, "/api/v1/me", ApiUser, update_me),
    ]
}

/// The person this token belongs to.
#[utoipa::path(get, path = "/api/v1/me", tag = "account", responses(
    (status = 200, body = UserView), (status = 401, body = Problem)
), security(("token" = [])))]
pub async fn me(ApiUser(user): ApiUser) -> Json<UserView> {
    Json(user.into())
}

#[derive(serde::Deserialize, utoipa::ToSchema, Default)]
#[serde(deny_unknown_fields, default)]
pub struct MeChange {
    /// `d mmm yyyy`, `mmm d, yyyy`, `yyyy-mm-dd`, `dd.mm.yyyy` or `dd/mm/yyyy`; empty follows
    /// the browser's language, then the workspace.
    pub date_format: Option<String>,
    /// An IANA zone (`Europe/Berlin`); empty follows the workspace.
    pub time_zone: Option<String>,
}

/// Sets how dates read for the token's owner, in pages, emails and PDFs: only the fields given.
#[utoipa::path(patch, path = "/api/v1/me", tag = "account", request_body = MeChange, responses(
    (status = 200, body = UserView), (status = 401, body = Problem), (status = 422, body = Problem)
), security(("token" = [])))]
pub async fn update_me(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiJson(change): ApiJson<MeChange>,
) -> WebResult<Json<UserView>> {
    let format = change
        .date_format
        .unwrap_or_else(|| user.date_format.map(|f| f.as_str().to_owned()).unwrap_or_default());
    let zone = change
        .time_zone
        .unwrap_or_else(|| user.time_zone.map(|z| z.name().to_owned()).unwrap_or_default());
    Ok(Json(state.app.set_date_preferences(&user, &format, &zone).await?.into()))
}

struct TokenSecurity;

impl Modify for TokenSecurity {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "token",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("A personal access token (`portico token create`)"))
                    .build(),
            ),
        );
    }
}

/// Makes the document say what the API does with errors: every error is an RFC 9457 problem
/// (`application/problem+json`); an operation with a JSON body also answers 400 (a body that
/// is not the JSON it expects), 415 (a body that is not JSON) and 422 (a field of the wrong
/// type); one with a multipart body or query parameters answers 400 when they are malformed.
struct ProblemResponses;

impl Modify for ProblemResponses {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::{Content, Ref, RefOr, ResponseBuilder};
        let problem = |description: &str| {
            RefOr::T(
                ResponseBuilder::new()
                    .description(description)
                    .content("application/problem+json", Content::new(Some(Ref::from_schema_name("Problem"))))
                    .build(),
            )
        };
        for item in openapi.paths.paths.values_mut() {
            let operations = [&mut item.get, &mut item.post, &mut item.put, &mut item.patch, &mut item.delete];
            for operation in operations.into_iter().flatten() {
                for (status, response) in operation.responses.responses.iter_mut() {
                    let RefOr::T(response) = response else { continue };
                    let is_problem =
                        |content: &Content| matches!(&content.schema, Some(RefOr::Ref(r)) if r.ref_location.ends_with("/Problem"));
                    if status.as_str() >= "400"
                        && response.content.get("application/json").is_some_and(is_problem)
                        && let Some(content) = response.content.shift_remove("application/json")
                    {
                        response.content.insert("application/problem+json".to_owned(), content);
                    }
                }
                let takes = |content_type: &str| {
                    operation
                        .request_body
                        .as_ref()
                        .is_some_and(|body| body.content.contains_key(content_type))
                };
                let (json_body, multipart_body) = (takes("application/json"), takes("multipart/form-data"));
                let has_query = operation
                    .parameters
                    .iter()
                    .flatten()
                    .any(|p| matches!(p.parameter_in, utoipa::openapi::path::ParameterIn::Query));
                let responses = &mut operation.responses.responses;
                if json_body {
                    responses
                        .entry("400".to_owned())
                        .or_insert_with(|| problem("The body is not the JSON this operation expects"));
                    responses
                        .entry("415".to_owned())
                        .or_insert_with(|| problem("The body is not JSON (Content-Type must be application/json)"));
                    responses
                        .entry("422".to_owned())
                        .or_insert_with(|| problem("A field of the body is missing, of the wrong type or not acceptable"));
                }
                if multipart_body {
                    responses
                        .entry("400".to_owned())
                        .or_insert_with(|| problem("The body is not well-formed multipart/form-data"));
                }
                if has_query {
                    responses
                        .entry("400".to_owned())
                        .or_insert_with(|| problem("A query parameter is not of its type"));
                }
            }
        }
    }
}

/// The document's own part: what every operation shares.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "Portico API",
        description = "Projects, tasks and the client portal. Every call acts as the person who owns the token, under the same access rules as the web interface."
    ),
    paths(me, update_me),
    components(schemas(UserView, Problem))
)]
struct Common;

/// The whole document: the common part and each feature's operations, then the rules every
/// operation follows (bearer tokens, problem answers).
pub fn document() -> utoipa::openapi::OpenApi {
    let mut document = Common::openapi();
    for part in [
        crate::users::UsersApi::openapi(),
        crate::projects::api::ProjectsApi::openapi(),
        crate::tasks::api::TasksApi::openapi(),
        crate::clients::api::ClientsApi::openapi(),
        crate::files::api::FilesApi::openapi(),
        crate::invoices::api::InvoicesApi::openapi(),
        crate::invoices::settings_api::InvoicingSettingsApi::openapi(),
        crate::emails::EmailsApi::openapi(),
        crate::reports::ReportsApi::openapi(),
        crate::audit::AuditApi::openapi(),
    ] {
        document.merge(part);
    }
    TokenSecurity.modify(&mut document);
    ProblemResponses.modify(&mut document);
    document
}

/// The document as served: assembled and written once (it merges every feature's part and
/// walks every operation), then shared.
pub async fn openapi_json() -> WebResult {
    static JSON: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    let doc = match JSON.get() {
        Some(doc) => doc,
        None => {
            let written = document().to_json().map_err(Error::internal)?;
            JSON.get_or_init(|| written)
        }
    };
    Ok(([(header::CONTENT_TYPE, "application/json")], doc.as_str()).into_response())
}
