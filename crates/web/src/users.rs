//! People management for admins: the list, adding (with an invitation), editing,
//! deactivating and reactivating, in HTML and in the API.

use crate::AppState;
use crate::api_core::{ApiJson, ApiQuery, ApiUser, UserView};
use crate::context::{Ctx, PageContext, render};
use crate::error::{WebResult, public_message};
use crate::forms::{Flash, invalid_form, redirect_with_flash};
use crate::request::Viewer;
use crate::routing::{Route, route};
use crate::views::parse_id;
use app::users::{Actor, FirstPassword, NewUserInput};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::Method;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::{Extension, Form, Json};
use domain::Error;
use domain::ids::{ClientOrgId, UserId};
use domain::users::{Page, PageRequest, Role, User};
use serde::{Deserialize, Serialize};
use store::users::UserFilter;
use utoipa::{IntoParams, ToSchema};

/// People: the admins' pages and the people API.
pub(crate) fn routes() -> Vec<Route> {
    use crate::routing::Access::*;
    use domain::access::Area::Admin;
    vec![
        route(Method::POST, "/admin/users/{id}/finance", Area(Admin), set_finance),
        route(Method::GET, "/admin/users", Area(Admin), list_page),
        route(Method::POST, "/admin/users", Area(Admin), create),
        route(Method::GET, "/admin/users/new", Area(Admin), new_page),
        route(Method::GET, "/admin/users/{id}", Area(Admin), detail_page),
        route(Method::POST, "/admin/users/{id}", Area(Admin), update),
        route(Method::POST, "/admin/users/{id}/deactivate", Area(Admin), deactivate),
        route(Method::POST, "/admin/users/{id}/reactivate", Area(Admin), reactivate),
        route(Method::POST, "/admin/users/{id}/invite", Area(Admin), resend_invitation),
        route(Method::GET, "/api/v1/users", ApiAdmin, api_list),
        route(Method::POST, "/api/v1/users", ApiAdmin, api_create),
        route(Method::GET, "/api/v1/users/{id}", ApiAdmin, api_get),
        route(Method::PATCH, "/api/v1/users/{id}", ApiAdmin, api_update),
        route(Method::POST, "/api/v1/users/{id}/deactivate", ApiAdmin, api_deactivate),
        route(Method::POST, "/api/v1/users/{id}/reactivate", ApiAdmin, api_reactivate),
        route(Method::POST, "/api/v1/users/{id}/invite", ApiAdmin, api_invite),
    ]
}

#[derive(Deserialize, Default, Clone, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(default)]
pub struct ListQuery {
    /// Matches name, email or organisation.
    pub q: String,
    /// `admin`, `staff` or `client`.
    pub role: String,
    /// `active` or `deactivated`.
    pub status: String,
    #[param(minimum = 1)]
    pub page: Option<u32>,
    #[param(minimum = 1, maximum = 100)]
    pub per_page: Option<u32>,
}

impl ListQuery {
    fn filter(&self) -> Result<UserFilter, Error> {
        let role = match self.role.as_str() {
            "" => None,
            role => Some(role.parse::<Role>()?),
        };
        let active = match self.status.as_str() {
            "" => None,
            "active" => Some(true),
            "deactivated" => Some(false),
            _ => return Err(Error::invalid("status", "status must be active or deactivated")),
        };
        Ok(UserFilter {
            search: Some(self.q.clone()).filter(|q| !q.trim().is_empty()),
            role,
            active,
        })
    }

    fn page_request(&self) -> PageRequest {
        PageRequest::new(self.page, self.per_page)
    }

    /// The list's address for another page, with the same filters.
    pub fn link(&self, page: u32) -> String {
        let filters = [("q", self.q.as_str()), ("role", &self.role), ("status", &self.status)];
        crate::views::page_link("/admin/users", &filters, page)
    }
}

#[derive(Template)]
#[template(path = "users_list.html")]
struct ListPage {
    ctx: PageContext,
    query: ListQuery,
    page: Page<User>,
}

impl ListPage {
    /// Another page of the same list (the pager).
    fn page_link(&self, page: u32) -> String {
        self.query.link(page)
    }
}

pub async fn list_page(
    State(state): State<AppState>,
    Ctx(ctx): Ctx,
    Extension(viewer): Extension<Viewer>,
    Query(query): Query<ListQuery>,
) -> WebResult {
    let page = state
        .app
        .list_users(&viewer.actor()?, &query.filter()?, query.page_request())
        .await?;
    Ok(render(&ListPage { ctx, query, page }))
}

#[derive(Deserialize, Default, Clone)]
#[serde(default)]
pub struct NewUserForm {
    pub name: String,
    pub email: String,
    pub role: String,
    pub client_org: String,
}

#[derive(Template)]
#[template(path = "user_new.html")]
struct NewPage {
    ctx: PageContext,
    form: NewUserForm,
    organisations: Vec<store::clients::ClientOrg>,
    error: Option<String>,
    error_field: &'static str,
}

pub async fn new_page(State(state): State<AppState>, Ctx(ctx): Ctx) -> WebResult {
    let organisations = state.app.client_orgs().await?;
    Ok(render(&NewPage {
        ctx,
        form: NewUserForm::default(),
        organisations,
        error: None,
        error_field: "",
    }))
}

/// Adds the person the form describes and sends the invitation.
async fn create_from_form(state: &AppState, viewer: &Viewer, form: &NewUserForm) -> Result<app::users::CreatedUser, Error> {
    // An organisation picked for a staff member or admin is ignored, not an error.
    let client_org_id = match form.client_org.as_str() {
        "" => None,
        _ if form.role != "client" => None,
        raw => Some(
            raw.parse::<ClientOrgId>()
                .map_err(|_| Error::invalid("client_org", "choose a client organisation from the list"))?,
        ),
    };
    let input = NewUserInput {
        email: form.email.clone(),
        name: form.name.clone(),
        role: form.role.clone(),
        client_org_id,
    };
    let actor = viewer.actor().map_err(|e| e.0)?;
    state.app.create_user(&actor, &input, FirstPassword::EmailInvitation).await
}

pub async fn create(
    State(state): State<AppState>,
    Ctx(ctx): Ctx,
    Extension(viewer): Extension<Viewer>,
    Form(form): Form<NewUserForm>,
) -> WebResult {
    let result = create_from_form(&state, &viewer, &form).await;
    match result {
        Ok(created) => Ok(redirect_with_flash(
            &state,
            &format!("/admin/users/{}", created.user.id),
            Flash::success(format!("{} has been added and invited by email.", created.user.name)),
        )),
        Err(e @ (Error::Invalid { .. } | Error::Conflict { .. })) => {
            let organisations = state.app.client_orgs().await?;
            let page = NewPage {
                ctx,
                error_field: e.field().unwrap_or_default(),
                error: Some(public_message(&e)),
                form,
                organisations,
            };
            Ok(invalid_form(render(&page)))
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "user_detail.html")]
struct DetailPage {
    ctx: PageContext,
    user: User,
    form_name: String,
    form_email: String,
    history: Vec<store::audit::AuditEntry>,
    error: Option<String>,
    error_field: &'static str,
}

async fn detail(state: &AppState, ctx: PageContext, viewer: &Viewer, id: UserId, form: Option<(UserEditForm, Error)>) -> WebResult {
    let actor = viewer.actor()?;
    let user = state.app.user_for_admin(&actor, id).await?;
    let history = state.app.user_history(&actor, id).await?;
    let page = match form {
        None => DetailPage {
            ctx,
            form_name: user.name.clone(),
            form_email: user.email.clone(),
            user,
            history,
            error: None,
            error_field: "",
        },
        Some((form, e)) => {
            let page = DetailPage {
                ctx,
                form_name: form.name,
                form_email: form.email,
                user,
                history,
                error: Some(public_message(&e)),
                error_field: e.field().unwrap_or_default(),
            };
            return Ok(invalid_form(render(&page)));
        }
    };
    Ok(render(&page))
}

pub async fn detail_page(
    State(state): State<AppState>,
    Ctx(ctx): Ctx,
    Extension(viewer): Extension<Viewer>,
    Path(id): Path<String>,
) -> WebResult {
    detail(&state, ctx, &viewer, parse_id(&id)?, None).await
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct UserEditForm {
    name: String,
    email: String,
}

pub async fn update(
    State(state): State<AppState>,
    Ctx(ctx): Ctx,
    Extension(viewer): Extension<Viewer>,
    Path(id): Path<String>,
    Form(form): Form<UserEditForm>,
) -> WebResult {
    let id = parse_id(&id)?;
    match state.app.update_user(&viewer.actor()?, id, &form.email, &form.name).await {
        Ok(user) => Ok(redirect_with_flash(
            &state,
            &format!("/admin/users/{id}"),
            Flash::success(format!("Saved the details of {}.", user.name)),
        )),
        Err(e @ (Error::Invalid { .. } | Error::Conflict { .. })) => detail(&state, ctx, &viewer, id, Some((form, e))).await,
        Err(e) => Err(e.into()),
    }
}

/// Runs an action on one person and comes back to their page with its outcome.
async fn act(state: &AppState, viewer: &Viewer, id: &str, action: UserAction) -> WebResult {
    let id = parse_id(id)?;
    let actor = viewer.actor()?;
    let result = match action {
        UserAction::Deactivate => state
            .app
            .deactivate_user(&actor, id)
            .await
            .map(|u| format!("{} has been deactivated and logged out everywhere.", u.name)),
        UserAction::Reactivate => state
            .app
            .reactivate_user(&actor, id)
            .await
            .map(|u| format!("{} can log in again.", u.name)),
        UserAction::Invite => state
            .app
            .resend_invitation(&actor, id)
            .await
            .map(|()| "A new invitation is on its way.".to_owned()),
    };
    let flash = match result {
        Ok(message) => Flash::success(message),
        Err(e @ Error::Invalid { .. }) => Flash::refusal(&e),
        Err(e) => return Err(e.into()),
    };
    Ok(redirect_with_flash(state, &format!("/admin/users/{id}"), flash))
}

/// Gives or takes a staff member's finance permission.
pub async fn set_finance(
    State(state): State<AppState>,
    Extension(viewer): Extension<Viewer>,
    Path(id): Path<String>,
    fields: crate::forms::Fields,
) -> WebResult {
    let id = parse_id(&id)?;
    let finance = fields.checked("finance");
    let flash = match state.app.set_finance(&viewer.actor()?, id, finance).await {
        Ok(user) if finance => Flash::success(format!("{} now sees invoices, payments and the financial reports.", user.name)),
        Ok(user) => Flash::success(format!("{} no longer sees invoices, payments or the financial reports.", user.name)),
        Err(e @ Error::Invalid { .. }) => Flash::refusal(&e),
        Err(e) => return Err(e.into()),
    };
    Ok(redirect_with_flash(&state, &format!("/admin/users/{id}"), flash))
}

enum UserAction {
    Deactivate,
    Reactivate,
    Invite,
}

pub async fn deactivate(State(state): State<AppState>, Extension(viewer): Extension<Viewer>, Path(id): Path<String>) -> WebResult {
    act(&state, &viewer, &id, UserAction::Deactivate).await
}

pub async fn reactivate(State(state): State<AppState>, Extension(viewer): Extension<Viewer>, Path(id): Path<String>) -> WebResult {
    act(&state, &viewer, &id, UserAction::Reactivate).await
}

pub async fn resend_invitation(State(state): State<AppState>, Extension(viewer): Extension<Viewer>, Path(id): Path<String>) -> WebResult {
    act(&state, &viewer, &id, UserAction::Invite).await
}

// --- API ---

/// One page of people.
#[derive(Serialize, ToSchema)]
pub struct UserPage {
    pub items: Vec<UserView>,
    pub total: u64,
    pub page: u32,
    pub per_page: u32,
}

/// Lists people (admins only), filtered and paginated.
#[utoipa::path(get, path = "/api/v1/users", tag = "users", params(ListQuery), responses(
    (status = 200, body = UserPage), (status = 401, body = crate::api_core::Problem), (status = 403, body = crate::api_core::Problem), (status = 422, body = crate::api_core::Problem)
), security(("token" = [])))]
pub async fn api_list(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiQuery(query): ApiQuery<ListQuery>,
) -> WebResult<Json<UserPage>> {
    let page = state
        .app
        .list_users(
            &Actor::User(user),
            &query.filter()?,
            PageRequest::strict(query.page, query.per_page)?,
        )
        .await?;
    Ok(Json(UserPage {
        total: page.total,
        page: page.page,
        per_page: page.per_page,
        items: page.items.into_iter().map(UserView::from).collect(),
    }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewUserRequest {
    #[schema(format = Email, max_length = 254)]
    pub email: String,
    #[schema(min_length = 1, max_length = 200)]
    pub name: String,
    /// `admin`, `staff` or `client`.
    #[schema(pattern = "^(admin|staff|client)$")]
    pub role: String,
    /// Required when `role` is `client`.
    pub client_org_id: Option<uuid::Uuid>,
}

/// Adds a person and emails them an invitation to choose a password (admins only).
#[utoipa::path(post, path = "/api/v1/users", tag = "users", request_body = NewUserRequest, responses(
    (status = 201, body = UserView), (status = 401, body = crate::api_core::Problem), (status = 403, body = crate::api_core::Problem),
    (status = 409, body = crate::api_core::Problem), (status = 422, body = crate::api_core::Problem)
), security(("token" = [])))]
pub async fn api_create(State(state): State<AppState>, ApiUser(user): ApiUser, ApiJson(request): ApiJson<NewUserRequest>) -> WebResult {
    let input = NewUserInput {
        email: request.email,
        name: request.name,
        role: request.role,
        client_org_id: request.client_org_id.map(ClientOrgId),
    };
    let created = state
        .app
        .create_user(&Actor::User(user), &input, FirstPassword::EmailInvitation)
        .await?;
    Ok((StatusCode::CREATED, Json(UserView::from(created.user))).into_response())
}

/// One person (admins only).
#[utoipa::path(get, path = "/api/v1/users/{id}", tag = "users", params(("id" = uuid::Uuid, Path)), responses(
    (status = 200, body = UserView), (status = 401, body = crate::api_core::Problem), (status = 403, body = crate::api_core::Problem), (status = 404, body = crate::api_core::Problem)
), security(("token" = [])))]
pub async fn api_get(State(state): State<AppState>, ApiUser(user): ApiUser, Path(id): Path<String>) -> WebResult<Json<UserView>> {
    Ok(Json(state.app.user_for_admin(&Actor::User(user), parse_id(&id)?).await?.into()))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateUserRequest {
    #[schema(format = Email, max_length = 254)]
    pub email: Option<String>,
    #[schema(min_length = 1, max_length = 200)]
    pub name: Option<String>,
    /// Gives or takes a staff member's finance permission (invoices, payments, reports).
    pub finance: Option<bool>,
}

/// Changes a person's name, email or finance permission (admins only).
#[utoipa::path(patch, path = "/api/v1/users/{id}", tag = "users", params(("id" = uuid::Uuid, Path)), request_body = UpdateUserRequest, responses(
    (status = 200, body = UserView), (status = 401, body = crate::api_core::Problem), (status = 403, body = crate::api_core::Problem),
    (status = 404, body = crate::api_core::Problem), (status = 409, body = crate::api_core::Problem), (status = 422, body = crate::api_core::Problem)
), security(("token" = [])))]
pub async fn api_update(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path(id): Path<String>,
    ApiJson(request): ApiJson<UpdateUserRequest>,
) -> WebResult<Json<UserView>> {
    let actor = Actor::User(user);
    let id = parse_id(&id)?;
    let current = state.app.user_for_admin(&actor, id).await?;
    let email = request.email.unwrap_or(current.email);
    let name = request.name.unwrap_or(current.name);
    let mut updated = state.app.update_user(&actor, id, &email, &name).await?;
    if let Some(finance) = request.finance {
        updated = state.app.set_finance(&actor, id, finance).await?;
    }
    Ok(Json(updated.into()))
}

/// Deactivates a person: their sessions end and their tokens stop working (admins only).
#[utoipa::path(post, path = "/api/v1/users/{id}/deactivate", tag = "users", params(("id" = uuid::Uuid, Path)), responses(
    (status = 200, body = UserView), (status = 401, body = crate::api_core::Problem), (status = 403, body = crate::api_core::Problem),
    (status = 404, body = crate::api_core::Problem), (status = 422, body = crate::api_core::Problem)
), security(("token" = [])))]
pub async fn api_deactivate(State(state): State<AppState>, ApiUser(user): ApiUser, Path(id): Path<String>) -> WebResult<Json<UserView>> {
    Ok(Json(state.app.deactivate_user(&Actor::User(user), parse_id(&id)?).await?.into()))
}

/// Sends a new invitation link to a person who has not chosen a password yet (admins only).
#[utoipa::path(post, path = "/api/v1/users/{id}/invite", tag = "users", params(("id" = uuid::Uuid, Path)), responses(
    (status = 200, body = UserView), (status = 401, body = crate::api_core::Problem), (status = 403, body = crate::api_core::Problem),
    (status = 404, body = crate::api_core::Problem), (status = 422, body = crate::api_core::Problem)
), security(("token" = [])))]
pub async fn api_invite(State(state): State<AppState>, ApiUser(user): ApiUser, Path(id): Path<String>) -> WebResult<Json<UserView>> {
    let actor = Actor::User(user);
    let id = parse_id(&id)?;
    state.app.resend_invitation(&actor, id).await?;
    Ok(Json(state.app.user_for_admin(&actor, id).await?.into()))
}

/// Lets a deactivated person log in again (admins only).
#[utoipa::path(post, path = "/api/v1/users/{id}/reactivate", tag = "users", params(("id" = uuid::Uuid, Path)), responses(
    (status = 200, body = UserView), (status = 401, body = crate::api_core::Problem), (status = 403, body = crate::api_core::Problem), (status = 404, body = crate::api_core::Problem)
), security(("token" = [])))]
pub async fn api_reactivate(State(state): State<AppState>, ApiUser(user): ApiUser, Path(id): Path<String>) -> WebResult<Json<UserView>> {
    Ok(Json(state.app.reactivate_user(&Actor::User(user), parse_id(&id)?).await?.into()))
}

/// This feature's part of the OpenAPI document.
#[derive(utoipa::OpenApi)]
#[openapi(
    paths(api_list, api_create, api_get, api_update, api_deactivate, api_reactivate, api_invite),
    components(schemas(NewUserRequest, UpdateUserRequest, UserPage))
)]
pub(crate) struct UsersApi;
