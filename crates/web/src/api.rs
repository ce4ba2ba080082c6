//! The JSON API under `/api/v1`: the OpenAPI document, assembled from the features' own
//! operations, and `/me`. What handlers share lives in [`crate::api_core`].

use crate::api_core::{ApiUser, Problem, UserView};
use crate::error::WebResult;
use axum::Json;
use axum::http::header;
use axum::response::IntoResponse;
use domain::Error;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

/// The person this token belongs to.
#[utoipa::path(get, path = "/api/v1/me", tag = "account", responses(
    (status = 200, body = UserView), (status = 401, body = Problem)
), security(("token" = [])))]
pub async fn me(ApiUser(user): ApiUser) -> Json<UserView> {
    Json(user.into())
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
/// (`application/problem+json`), and an operation with a JSON body also answers 400 (a body
/// that is not the JSON it expects) and 415 (a body that is not JSON).
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
                let takes_json = operation
                    .request_body
                    .as_ref()
                    .is_some_and(|body| body.content.contains_key("application/json"));
                if takes_json {
                    let responses = &mut operation.responses.responses;
                    responses
                        .entry("400".to_owned())
                        .or_insert_with(|| problem("The body is not the JSON this operation expects"));
                    responses
                        .entry("415".to_owned())
                        .or_insert_with(|| problem("The body is not JSON (Content-Type must be application/json)"));
                }
            }
        }
    }
}

#[derive(OpenApi)]
#[openapi(
    info(title = "Portico API", description = "Projects, tasks and the client portal. Every call acts as the person who owns the token, under the same access rules as the web interface."),
    paths(
        me, crate::users::api_list, crate::users::api_create, crate::users::api_get, crate::users::api_update,
        crate::users::api_deactivate, crate::users::api_reactivate,
        crate::projects::api::dashboard, crate::projects::api::activity, crate::projects::api::list, crate::projects::api::create,
        crate::projects::api::get, crate::projects::api::update, crate::projects::api::milestones, crate::projects::api::create_milestone,
        crate::tasks::api::list, crate::tasks::api::create, crate::tasks::api::get, crate::tasks::api::update, crate::tasks::api::move_task,
        crate::tasks::api::comments, crate::tasks::api::add_comment, crate::tasks::api::reviews, crate::tasks::api::review,
        crate::tasks::api::request_task,
        crate::clients::api::list, crate::clients::api::create, crate::clients::api::get, crate::clients::api::update,
        crate::clients::api::add_contact, crate::clients::api::explain,
        crate::files::api::list, crate::files::api::upload, crate::files::api::get, crate::files::api::content,
        crate::files::api::update, crate::files::api::delete,
        crate::invoices::api::list, crate::invoices::api::create, crate::invoices::api::get, crate::invoices::api::update,
        crate::invoices::api::delete, crate::invoices::api::send, crate::invoices::api::void, crate::invoices::api::record_payment,
    ),
    components(schemas(UserView, Problem, crate::users::NewUserRequest, crate::users::UpdateUserRequest, crate::users::UserPage)),
    modifiers(&TokenSecurity, &ProblemResponses)
)]
pub struct ApiDoc;

pub async fn openapi_json() -> WebResult {
    let doc = ApiDoc::openapi().to_json().map_err(Error::internal)?;
    Ok(([(header::CONTENT_TYPE, "application/json")], doc).into_response())
}
