//! The client organisations API (admins only) and the visibility explanation.

use crate::AppState;
use crate::api_core::{ApiJson, ApiQuery, ApiUser, Problem};
use crate::error::WebResult;
use crate::views::parse_id;
use app::clients::Item;
use app::users::Actor;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use domain::access::{Permission, PortalPermissions};
use domain::clients::{ClientDetails, ClientInput};
use domain::ids::{ClientOrgId, MilestoneId, ProjectId, TaskId, UserId};
use domain::users::PageRequest;
use serde::{Deserialize, Serialize};
use store::clients::ClientFilter;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

#[derive(Serialize, ToSchema)]
pub struct ClientView {
    pub id: Uuid,
    pub name: String,
    pub address: String,
    pub billing_address: String,
    pub phone: String,
    pub website: String,
    pub tax_id: String,
    pub currency: String,
    pub notes: String,
    /// The organisation's portal permissions: `view_tasks`, `comment_on_tasks`, …
    pub permissions: Vec<String>,
    pub primary_contact_id: Option<Uuid>,
    pub archived: bool,
    pub contacts: Vec<ContactView>,
}

#[derive(Serialize, ToSchema)]
pub struct ContactView {
    pub id: Uuid,
    pub name: String,
    pub email: String,
    /// The contact's own narrowing; absent when the organisation's apply.
    pub permissions: Option<Vec<String>>,
    pub active: bool,
}

fn keys(set: PortalPermissions) -> Vec<String> {
    set.granted().map(|p| p.key().to_owned()).collect()
}

fn parse_permissions(keys: &[String]) -> Result<PortalPermissions, domain::Error> {
    keys.iter().try_fold(PortalPermissions::NONE, |set, key| {
        Permission::from_key(key)
            .map(|p| set.with(p, true))
            .ok_or_else(|| domain::Error::invalid("permissions", format!("unknown permission {key}")))
    })
}

async fn view(state: &AppState, actor: &Actor, id: ClientOrgId) -> Result<ClientView, domain::Error> {
    let found = state.app.client(actor, id).await?;
    let c = found.client;
    Ok(ClientView {
        permissions: keys(c.permissions()),
        id: c.id.0,
        name: c.name,
        address: c.address,
        billing_address: c.billing_address,
        phone: c.phone,
        website: c.website,
        tax_id: c.tax_id,
        currency: c.currency,
        notes: c.notes,
        primary_contact_id: c.primary_contact_id.map(|id| id.0),
        archived: c.archived_at.is_some(),
        contacts: found
            .contacts
            .into_iter()
            .map(|k| ContactView {
                id: k.id.0,
                name: k.name,
                email: k.email,
                permissions: k.portal_permissions.map(|b| keys(PortalPermissions::from_bits(b))),
                active: k.deactivated_at.is_none(),
            })
            .collect(),
    })
}

#[derive(Serialize, ToSchema)]
pub struct ClientSummary {
    pub id: Uuid,
    pub name: String,
    pub currency: String,
    pub archived: bool,
    pub contacts: i64,
    pub projects: i64,
}

#[derive(Serialize, ToSchema)]
pub struct ClientPage {
    pub items: Vec<ClientSummary>,
    pub total: u64,
    pub page: u32,
    pub per_page: u32,
}

#[derive(Deserialize, Default, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(default)]
pub struct ListQuery {
    /// Matches the organisation, a contact's name or email.
    pub q: String,
    pub archived: bool,
    #[param(minimum = 1)]
    pub page: Option<u32>,
    #[param(minimum = 1, maximum = 100)]
    pub per_page: Option<u32>,
}

/// Client organisations (admins only).
#[utoipa::path(get, path = "/api/v1/clients", tag = "clients", params(ListQuery), responses(
    (status = 200, body = ClientPage), (status = 401, body = Problem), (status = 403, body = Problem), (status = 422, body = Problem)
), security(("token" = [])))]
pub async fn list(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiQuery(query): ApiQuery<ListQuery>,
) -> WebResult<Json<ClientPage>> {
    let filter = ClientFilter {
        search: Some(query.q).filter(|q| !q.trim().is_empty()),
        archived: Some(query.archived),
    };
    let page = state
        .app
        .clients(&Actor::User(user), &filter, PageRequest::strict(query.page, query.per_page)?)
        .await?;
    Ok(Json(ClientPage {
        total: page.total,
        page: page.page,
        per_page: page.per_page,
        items: page
            .items
            .into_iter()
            .map(|c| ClientSummary {
                id: c.id.0,
                name: c.name,
                currency: c.currency,
                archived: c.archived_at.is_some(),
                contacts: c.contacts,
                projects: c.projects,
            })
            .collect(),
    }))
}

/// One organisation with its contacts (admins only).
#[utoipa::path(get, path = "/api/v1/clients/{id}", tag = "clients", params(("id" = Uuid, Path)), responses(
    (status = 200, body = ClientView), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)
), security(("token" = [])))]
pub async fn get(State(state): State<AppState>, ApiUser(user): ApiUser, Path(id): Path<String>) -> WebResult<Json<ClientView>> {
    Ok(Json(view(&state, &Actor::User(user), parse_id(&id)?).await?))
}

#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields, default)]
pub struct ClientRequest {
    #[schema(min_length = 1, max_length = 200)]
    pub name: Option<String>,
    #[schema(max_length = 1000)]
    pub address: Option<String>,
    #[schema(max_length = 1000)]
    pub billing_address: Option<String>,
    #[schema(max_length = 50)]
    pub phone: Option<String>,
    #[schema(max_length = 300)]
    pub website: Option<String>,
    #[schema(max_length = 50)]
    pub tax_id: Option<String>,
    /// ISO 4217, like `EUR`.
    #[schema(pattern = "^[A-Za-z]{3}$")]
    pub currency: Option<String>,
    #[schema(max_length = 10000)]
    pub notes: Option<String>,
    /// Portal permission keys; the defaults (all but task requests) when creating without.
    pub permissions: Option<Vec<String>>,
    /// Archives the organisation (`true`: it leaves the current client list) or restores it
    /// (editing only).
    pub archived: Option<bool>,
}

/// Adds a client organisation (admins only).
#[utoipa::path(post, path = "/api/v1/clients", tag = "clients", request_body = ClientRequest, responses(
    (status = 201, body = ClientView), (status = 401, body = Problem), (status = 403, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)
), security(("token" = [])))]
pub async fn create(State(state): State<AppState>, ApiUser(user): ApiUser, ApiJson(request): ApiJson<ClientRequest>) -> WebResult {
    let actor = Actor::User(user);
    if request.archived.is_some() {
        return Err(domain::Error::invalid("archived", "a new organisation is not archived; archive it once it exists").into());
    }
    let permissions = match &request.permissions {
        Some(list) => parse_permissions(list)?,
        None => PortalPermissions::organisation_default(),
    };
    let field = |value: &Option<String>| value.clone().unwrap_or_default();
    let (name, address, billing, phone, website, tax_id, currency, notes) = (
        field(&request.name),
        field(&request.address),
        field(&request.billing_address),
        field(&request.phone),
        field(&request.website),
        field(&request.tax_id),
        field(&request.currency),
        field(&request.notes),
    );
    let details = ClientDetails::parse(&ClientInput {
        name: &name,
        address: &address,
        billing_address: &billing,
        phone: &phone,
        website: &website,
        tax_id: &tax_id,
        currency: &currency,
        notes: &notes,
        permissions,
    })?;
    let id = state.app.create_client(&actor, &details).await?;
    Ok((StatusCode::CREATED, Json(view(&state, &actor, id).await?)).into_response())
}

/// Changes an organisation: only the fields given (admins only).
#[utoipa::path(patch, path = "/api/v1/clients/{id}", tag = "clients", params(("id" = Uuid, Path)), request_body = ClientRequest, responses(
    (status = 200, body = ClientView), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem),
    (status = 409, body = Problem), (status = 422, body = Problem)
), security(("token" = [])))]
pub async fn update(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path(id): Path<String>,
    ApiJson(request): ApiJson<ClientRequest>,
) -> WebResult<Json<ClientView>> {
    let actor = Actor::User(user);
    let id: ClientOrgId = parse_id(&id)?;
    let current = state.app.client(&actor, id).await?.client;
    let permissions = match &request.permissions {
        Some(list) => parse_permissions(list)?,
        None => current.permissions(),
    };
    let pick = |value: &Option<String>, current: &str| value.clone().unwrap_or_else(|| current.to_owned());
    let (name, address, billing, phone, website, tax_id, currency, notes) = (
        pick(&request.name, &current.name),
        pick(&request.address, &current.address),
        pick(&request.billing_address, &current.billing_address),
        pick(&request.phone, &current.phone),
        pick(&request.website, &current.website),
        pick(&request.tax_id, &current.tax_id),
        pick(&request.currency, &current.currency),
        pick(&request.notes, &current.notes),
    );
    let details = ClientDetails::parse(&ClientInput {
        name: &name,
        address: &address,
        billing_address: &billing,
        phone: &phone,
        website: &website,
        tax_id: &tax_id,
        currency: &currency,
        notes: &notes,
        permissions,
    })?;
    state.app.update_client(&actor, id, &details).await?;
    if let Some(archived) = request.archived {
        state.app.archive_client(&actor, id, archived).await?;
    }
    Ok(Json(view(&state, &actor, id).await?))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ContactRequest {
    #[schema(min_length = 1, max_length = 200)]
    pub name: String,
    #[schema(format = Email, max_length = 254)]
    pub email: String,
    /// Narrows this contact's permissions; the organisation's apply when absent.
    pub permissions: Option<Vec<String>>,
}

/// Adds a contact and emails the invitation (admins only).
#[utoipa::path(post, path = "/api/v1/clients/{id}/contacts", tag = "clients", params(("id" = Uuid, Path)), request_body = ContactRequest, responses(
    (status = 201, body = ClientView), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem),
    (status = 409, body = Problem), (status = 422, body = Problem)
), security(("token" = [])))]
pub async fn add_contact(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path(id): Path<String>,
    ApiJson(request): ApiJson<ContactRequest>,
) -> WebResult {
    let actor = Actor::User(user);
    let id: ClientOrgId = parse_id(&id)?;
    state.app.client(&actor, id).await?;
    let narrowed = request.permissions.as_deref().map(parse_permissions).transpose()?;
    let contact = state.app.add_contact(&actor, id, &request.name, &request.email).await?;
    if narrowed.is_some() {
        state.app.set_contact_permissions(&actor, id, contact, narrowed).await?;
    }
    Ok((StatusCode::CREATED, Json(view(&state, &actor, id).await?)).into_response())
}

#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields, default)]
pub struct ContactChange {
    /// `true` makes this contact the organisation's primary contact.
    pub primary: Option<bool>,
    /// Narrows this contact's permissions to these keys.
    pub permissions: Option<Vec<String>>,
    /// `true` gives the contact the organisation's permissions again (with no `permissions`).
    pub organisation_permissions: bool,
}

/// Makes a contact the primary one, or sets their permissions (admins only).
#[utoipa::path(patch, path = "/api/v1/clients/{id}/contacts/{contact}", tag = "clients", params(("id" = Uuid, Path), ("contact" = Uuid, Path)),
    request_body = ContactChange, responses(
    (status = 200, body = ClientView), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem),
    (status = 422, body = Problem)
), security(("token" = [])))]
pub async fn change_contact(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path((id, contact)): Path<(String, String)>,
    ApiJson(change): ApiJson<ContactChange>,
) -> WebResult<Json<ClientView>> {
    let actor = Actor::User(user);
    let (id, contact): (ClientOrgId, UserId) = (parse_id(&id)?, parse_id(&contact)?);
    let client = state.app.client(&actor, id).await?;
    if !client.contacts.iter().any(|c| c.id == contact) {
        return Err(domain::Error::NotFound.into());
    }
    match change.primary {
        Some(true) => state.app.set_primary_contact(&actor, id, contact).await?,
        Some(false) => return Err(domain::Error::invalid("primary", "make another contact the primary one instead").into()),
        None => {}
    }
    match (change.permissions, change.organisation_permissions) {
        (Some(_), true) => {
            return Err(domain::Error::invalid("permissions", "give permissions or organisation_permissions, not both").into());
        }
        (Some(list), false) => {
            let narrowed = parse_permissions(&list)?;
            state.app.set_contact_permissions(&actor, id, contact, Some(narrowed)).await?
        }
        (None, true) => state.app.set_contact_permissions(&actor, id, contact, None).await?,
        (None, false) => {}
    }
    Ok(Json(view(&state, &actor, id).await?))
}

#[derive(Deserialize, Default, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(default)]
pub struct ExplainQuery {
    pub task: Option<Uuid>,
    /// A task whose current review to explain.
    pub review: Option<Uuid>,
    pub milestone: Option<Uuid>,
    pub file: Option<Uuid>,
    pub contact: Option<Uuid>,
}

#[derive(Serialize, ToSchema)]
pub struct Explanation {
    pub visible: bool,
    /// The layer that hides the item: `organisation_not_assigned`, `permission_off`, `item_internal`, …
    pub layer: Option<String>,
    pub explanation: String,
}

/// Why can't my client see this? (admins only)
#[utoipa::path(get, path = "/api/v1/projects/{id}/visibility", tag = "clients", params(("id" = Uuid, Path), ExplainQuery), responses(
    (status = 200, body = Explanation), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)
), security(("token" = [])))]
pub async fn explain(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path(id): Path<String>,
    ApiQuery(query): ApiQuery<ExplainQuery>,
) -> WebResult<Json<Explanation>> {
    let project: ProjectId = parse_id(&id)?;
    let item = match (query.task, query.review, query.milestone, query.file) {
        (Some(task), None, None, None) => Item::Task(TaskId(task)),
        (None, Some(task), None, None) => Item::Review(TaskId(task)),
        (None, None, Some(milestone), None) => Item::Milestone(MilestoneId(milestone)),
        (None, None, None, Some(file)) => Item::File(domain::ids::FileId(file)),
        _ => return Err(domain::Error::invalid("task", "give one task, review, milestone or file").into()),
    };
    let contact = UserId(query.contact.ok_or_else(|| domain::Error::invalid("contact", "give the contact"))?);
    Ok(Json(
        match state.app.explain_visibility(&user.viewer(), project, item, contact).await? {
            Ok(()) => Explanation {
                visible: true,
                layer: None,
                explanation: "Visible: this contact sees it in the portal.".into(),
            },
            Err(hidden) => Explanation {
                visible: false,
                layer: serde_json::to_value(hidden)
                    .ok()
                    .and_then(|v| v["layer"].as_str().map(str::to_owned)),
                explanation: hidden.explanation(),
            },
        },
    ))
}

/// This feature's part of the OpenAPI document.
#[derive(utoipa::OpenApi)]
#[openapi(paths(list, create, get, update, add_contact, change_contact, explain))]
pub(crate) struct ClientsApi;
