//! Client organisations for admins: the list, the record with its portal permissions, the
//! contacts (invited by email, one primary, each optionally narrowed), archive; and the
//! "why can't my client see this?" tool built on the same policy.

use crate::AppState;
use crate::context::{Ctx, PageContext, Person, render};
use crate::error::{AppError, WebResult, public_message};
use crate::forms::switch;
use crate::forms::{Fields, Flash, invalid_form, redirect_with_flash};
use crate::routing::{Route, route};
use crate::views::forms::SelectOption;
use crate::views::{optional_id, parse_id};
use app::clients::Item;
use app::users::Actor;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::Method;
use domain::Error;
use domain::access::{Permission, PortalPermissions};
use domain::clients::{ClientDetails, ClientInput};
use domain::ids::{ClientOrgId, FileId, MilestoneId, ProjectId, TaskId, UserId};
use domain::users::{Page, PageRequest};
use serde::Deserialize;
use store::clients::{ClientFilter, ClientListItem};

/// Client organisations and their contacts, the "why can this client see it" page, and the clients API.
pub(crate) fn routes() -> Vec<Route> {
    use crate::routing::Access::*;
    use domain::access::Area::Admin;
    vec![
        route(Method::GET, "/admin/clients", Area(Admin), list_page),
        route(Method::POST, "/admin/clients", Area(Admin), create),
        route(Method::GET, "/admin/clients/new", Area(Admin), new_page),
        route(Method::GET, "/admin/clients/{id}", Area(Admin), detail_page),
        route(Method::POST, "/admin/clients/{id}", Area(Admin), update),
        route(Method::POST, "/admin/clients/{id}/archive", Area(Admin), archive),
        route(Method::POST, "/admin/clients/{id}/contacts", Area(Admin), add_contact),
        route(Method::POST, "/admin/clients/{id}/contacts/{contact}", Area(Admin), change_contact),
        route(Method::GET, "/admin/projects/{id}/visibility", Area(Admin), why_page),
        route(Method::GET, "/api/v1/projects/{id}/visibility", ApiAdmin, api::explain),
        route(Method::GET, "/api/v1/clients", ApiAdmin, api::list),
        route(Method::POST, "/api/v1/clients", ApiAdmin, api::create),
        route(Method::GET, "/api/v1/clients/{id}", ApiAdmin, api::get),
        route(Method::PATCH, "/api/v1/clients/{id}", ApiAdmin, api::update),
        route(Method::POST, "/api/v1/clients/{id}/contacts", ApiAdmin, api::add_contact),
        route(
            Method::PATCH,
            "/api/v1/clients/{id}/contacts/{contact}",
            ApiAdmin,
            api::change_contact,
        ),
    ]
}

/// The session's person as the acting admin.
type Session = axum::Extension<crate::request::Viewer>;

fn actor(session: &Session) -> Result<Actor, AppError> {
    session.0.actor()
}

#[derive(Deserialize, Default, Clone)]
#[serde(default)]
pub struct ListQuery {
    pub q: String,
    pub archived: String,
    pub page: Option<u32>,
}

impl ListQuery {
    pub fn link(&self, page: u32) -> String {
        crate::views::page_link("/admin/clients", &[("q", &self.q), ("archived", &self.archived)], page)
    }
}

#[derive(Template)]
#[template(path = "clients_list.html")]
struct ListPage {
    ctx: PageContext,
    query: ListQuery,
    page: Page<ClientListItem>,
}

impl ListPage {
    /// Another page of the same list (the pager).
    fn page_link(&self, page: u32) -> String {
        self.query.link(page)
    }
}

pub async fn list_page(State(state): State<AppState>, Ctx(ctx): Ctx, session: Session, Query(query): Query<ListQuery>) -> WebResult {
    let filter = ClientFilter {
        search: Some(query.q.clone()).filter(|q| !q.trim().is_empty()),
        archived: Some(query.archived == "1"),
    };
    let page = state
        .app
        .clients(&actor(&session)?, &filter, PageRequest::new(query.page, None))
        .await?;
    Ok(render(&ListPage { ctx, query, page }))
}

/// A permission checkbox.
pub struct PermissionChoice {
    pub key: &'static str,
    pub label: &'static str,
    pub checked: bool,
}

fn permission_choices(set: PortalPermissions) -> Vec<PermissionChoice> {
    Permission::ALL
        .into_iter()
        .map(|p| PermissionChoice {
            key: p.key(),
            label: p.label(),
            checked: set.has(p),
        })
        .collect()
}

fn permissions_from(fields: &Fields) -> Result<PortalPermissions, Error> {
    let mut set = PortalPermissions::NONE;
    for key in fields.all("permissions") {
        let permission = Permission::from_key(key).ok_or_else(|| Error::invalid("permissions", "unknown permission"))?;
        set = set.with(permission, true);
    }
    Ok(set)
}

fn details_from(fields: &Fields) -> Result<ClientDetails, Error> {
    ClientDetails::parse(&ClientInput {
        name: fields.get("name"),
        address: fields.get("address"),
        billing_address: fields.get("billing_address"),
        phone: fields.get("phone"),
        website: fields.get("website"),
        tax_id: fields.get("tax_id"),
        currency: fields.get("currency"),
        notes: fields.get("notes"),
        permissions: permissions_from(fields)?,
    })
}

/// The record's fields as a form shows them.
pub struct RecordForm {
    pub name: String,
    pub address: String,
    pub billing_address: String,
    pub phone: String,
    pub website: String,
    pub tax_id: String,
    pub currency: String,
    pub notes: String,
    pub permissions: Vec<PermissionChoice>,
}

impl RecordForm {
    fn from_fields(fields: &Fields) -> Self {
        RecordForm {
            name: fields.get("name").to_owned(),
            address: fields.get("address").to_owned(),
            billing_address: fields.get("billing_address").to_owned(),
            phone: fields.get("phone").to_owned(),
            website: fields.get("website").to_owned(),
            tax_id: fields.get("tax_id").to_owned(),
            currency: fields.get("currency").to_owned(),
            notes: fields.get("notes").to_owned(),
            permissions: permission_choices(permissions_from(fields).unwrap_or_default()),
        }
    }

    fn from_record(record: &store::clients::ClientRecord) -> Self {
        RecordForm {
            name: record.name.clone(),
            address: record.address.clone(),
            billing_address: record.billing_address.clone(),
            phone: record.phone.clone(),
            website: record.website.clone(),
            tax_id: record.tax_id.clone(),
            currency: record.currency.clone(),
            notes: record.notes.clone(),
            permissions: permission_choices(record.permissions()),
        }
    }
}

#[derive(Template)]
#[template(path = "client_new.html")]
struct NewPage {
    ctx: PageContext,
    form: RecordForm,
    error: Option<String>,
    error_field: &'static str,
}

pub async fn new_page(Ctx(ctx): Ctx) -> WebResult {
    let mut form = RecordForm::from_fields(&Fields(vec![("currency".into(), "USD".into())]));
    form.permissions = permission_choices(PortalPermissions::organisation_default());
    Ok(render(&NewPage {
        ctx,
        form,
        error: None,
        error_field: "",
    }))
}

pub async fn create(State(state): State<AppState>, Ctx(ctx): Ctx, session: Session, fields: Fields) -> WebResult {
    let created = match details_from(&fields) {
        Ok(details) => state.app.create_client(&actor(&session)?, &details).await,
        Err(e) => Err(e),
    };
    match created {
        Ok(id) => Ok(redirect_with_flash(
            &state,
            &format!("/admin/clients/{id}"),
            Flash::success("The client was added. Add their first contact below."),
        )),
        Err(error @ (Error::Invalid { .. } | Error::Conflict { .. })) => Ok(invalid_form(render(&NewPage {
            ctx,
            form: RecordForm::from_fields(&fields),
            error_field: error.field().unwrap_or_default(),
            error: Some(public_message(&error)),
        }))),
        Err(error) => Err(error.into()),
    }
}

pub struct ContactRow {
    pub id: String,
    pub name: String,
    pub email: String,
    pub primary: bool,
    pub invited: bool,
    pub deactivated: bool,
    pub narrowed: bool,
    pub permissions: Vec<PermissionChoice>,
}

#[derive(Template)]
#[template(path = "client_detail.html")]
struct DetailPage {
    ctx: PageContext,
    id: ClientOrgId,
    archived: bool,
    form: RecordForm,
    contacts: Vec<ContactRow>,
    /// The organisation's newest projects and invoices, and how many there are.
    projects: Vec<ClientProjectRow>,
    projects_total: u64,
    /// None for an admin without the finance view (never: admins see invoices).
    invoices: Option<(Vec<crate::views::invoices::InvoiceRow>, u64)>,
    error: Option<String>,
    error_field: &'static str,
}

struct ClientProjectRow {
    href: String,
    name: String,
    status: &'static str,
    status_class: &'static str,
}

/// How many of a client's projects and invoices its page shows (the lists link to the rest).
const CLIENT_PAGE_ITEMS: u32 = 5;

async fn detail(state: &AppState, ctx: PageContext, session: &Session, id: ClientOrgId, submitted: Option<(&Fields, Error)>) -> WebResult {
    let actor = actor(session)?;
    let client = state.app.client(&actor, id).await?;
    let org = client.client.permissions();
    let Actor::User(admin) = &actor else {
        return Err(Error::Forbidden.into());
    };
    let viewer = admin.viewer();
    let newest = PageRequest::new(Some(1), Some(CLIENT_PAGE_ITEMS));
    let projects = state
        .app
        .projects(
            &viewer,
            &store::projects::ProjectFilter {
                client_org: Some(id),
                ..Default::default()
            },
            newest,
        )
        .await?;
    let invoices = match viewer.allows(Permission::ViewInvoices) {
        true => {
            let filter = store::invoices::InvoiceFilter {
                client_org: Some(id),
                ..Default::default()
            };
            let page = state.app.invoices(&viewer, &filter, newest).await?;
            let rows = page
                .items
                .iter()
                .map(|i| crate::views::invoices::InvoiceRow::new(i, "/invoices"))
                .collect::<Vec<_>>();
            Some((rows, page.total))
        }
        false => None,
    };
    let projects_total = projects.total;
    let projects = projects
        .items
        .iter()
        .map(|p| ClientProjectRow {
            href: format!("/projects/{}", p.id),
            name: p.name.clone(),
            status: p.status.label(),
            status_class: crate::views::status_class(p.status),
        })
        .collect();
    let contacts = client
        .contacts
        .iter()
        .map(|c| ContactRow {
            id: c.id.to_string(),
            name: c.name.clone(),
            email: c.email.clone(),
            primary: client.client.primary_contact_id == Some(c.id),
            invited: !c.has_password,
            deactivated: c.deactivated_at.is_some(),
            narrowed: c.portal_permissions.is_some(),
            permissions: permission_choices(c.portal_permissions.map(PortalPermissions::from_bits).unwrap_or(org)),
        })
        .collect();
    let (form, error, error_field) = match submitted {
        Some((fields, error)) => (
            RecordForm::from_fields(fields),
            Some(public_message(&error)),
            error.field().unwrap_or_default(),
        ),
        None => (RecordForm::from_record(&client.client), None, ""),
    };
    let page = render(&DetailPage {
        ctx,
        id,
        archived: client.client.archived_at.is_some(),
        form,
        contacts,
        projects,
        projects_total,
        invoices,
        error,
        error_field,
    });
    Ok(if error_field.is_empty() { page } else { invalid_form(page) })
}

pub async fn detail_page(State(state): State<AppState>, Ctx(ctx): Ctx, session: Session, Path(id): Path<String>) -> WebResult {
    detail(&state, ctx, &session, parse_id(&id)?, None).await
}

pub async fn update(State(state): State<AppState>, Ctx(ctx): Ctx, session: Session, Path(id): Path<String>, fields: Fields) -> WebResult {
    let id: ClientOrgId = parse_id(&id)?;
    state.app.client(&actor(&session)?, id).await?;
    let saved = match details_from(&fields) {
        Ok(details) => state.app.update_client(&actor(&session)?, id, &details).await,
        Err(e) => Err(e),
    };
    match saved {
        Ok(()) => Ok(redirect_with_flash(
            &state,
            &format!("/admin/clients/{id}"),
            Flash::success("The client was saved."),
        )),
        Err(error @ (Error::Invalid { .. } | Error::Conflict { .. })) => detail(&state, ctx, &session, id, Some((&fields, error))).await,
        Err(error) => Err(error.into()),
    }
}

pub async fn archive(State(state): State<AppState>, session: Session, Path(id): Path<String>, fields: Fields) -> WebResult {
    let id: ClientOrgId = parse_id(&id)?;
    state.app.client(&actor(&session)?, id).await?;
    let archived = switch(&fields, "archived")?;
    state.app.archive_client(&actor(&session)?, id, archived).await?;
    let message = if archived {
        "The client was archived."
    } else {
        "The client was restored."
    };
    Ok(redirect_with_flash(
        &state,
        &format!("/admin/clients/{id}"),
        Flash::success(message),
    ))
}

pub async fn add_contact(State(state): State<AppState>, session: Session, Path(id): Path<String>, fields: Fields) -> WebResult {
    let id: ClientOrgId = parse_id(&id)?;
    state.app.client(&actor(&session)?, id).await?;
    state
        .app
        .add_contact(&actor(&session)?, id, fields.get("name"), fields.get("email"))
        .await?;
    Ok(redirect_with_flash(
        &state,
        &format!("/admin/clients/{id}#contacts"),
        Flash::success("The contact was added and invited by email."),
    ))
}

/// Makes a contact the primary one, or sets their permissions (`mode`: `organisation` or
/// `custom`).
pub async fn change_contact(
    State(state): State<AppState>,
    session: Session,
    Path((id, contact)): Path<(String, String)>,
    fields: Fields,
) -> WebResult {
    let (id, contact): (ClientOrgId, UserId) = (parse_id(&id)?, parse_id(&contact)?);
    let client = state.app.client(&actor(&session)?, id).await?;
    if !client.contacts.iter().any(|c| c.id == contact) {
        return Err(Error::NotFound.into());
    }
    match fields.get("action") {
        "primary" => state.app.set_primary_contact(&actor(&session)?, id, contact).await?,
        "permissions" => {
            let narrowed = match fields.get("mode") {
                "organisation" => None,
                "custom" => Some(permissions_from(&fields)?),
                _ => return Err(Error::invalid("mode", "choose the organisation's permissions or the contact's own").into()),
            };
            state.app.set_contact_permissions(&actor(&session)?, id, contact, narrowed).await?;
        }
        _ => return Err(Error::invalid("action", "unknown action").into()),
    }
    Ok(redirect_with_flash(
        &state,
        &format!("/admin/clients/{id}#contacts"),
        Flash::success("The contact was updated."),
    ))
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct WhyQuery {
    pub task: String,
    /// A task whose current review to explain.
    pub review: String,
    pub milestone: String,
    pub file: String,
    pub contact: String,
}

#[derive(Template)]
#[template(path = "visibility.html")]
struct WhyPage {
    ctx: PageContext,
    project_id: ProjectId,
    project_name: String,
    tasks: Vec<SelectOption>,
    milestones: Vec<SelectOption>,
    files: Vec<SelectOption>,
    contacts: Vec<SelectOption>,
    query: WhyQuery,
    /// The answer: (visible, sentence).
    answer: Option<(bool, String)>,
    preview_href: Option<String>,
}

pub async fn why_page(
    State(state): State<AppState>,
    Ctx(ctx): Ctx,
    Person(viewer): Person,
    Path(id): Path<String>,
    Query(query): Query<WhyQuery>,
) -> WebResult {
    let id: ProjectId = parse_id(&id)?;
    let overview = state.app.project_columns(&viewer, id).await?;
    let (cards, _) = state.app.tasks(&viewer, id, &Default::default(), 200, 0).await?;
    let milestones = state.app.milestones(&viewer, id).await?;
    let contacts = state.app.all_contacts(&viewer).await?;
    let (files, _) = state.app.project_files(&viewer, id, 200, 0).await?;
    let item = match (
        optional_id::<TaskId>("task", &query.task)?,
        optional_id::<TaskId>("review", &query.review)?,
        optional_id::<MilestoneId>("milestone", &query.milestone)?,
        optional_id::<FileId>("file", &query.file)?,
    ) {
        (Some(task), _, _, _) => Some(Item::Task(task)),
        (None, Some(task), _, _) => Some(Item::Review(task)),
        (None, None, Some(milestone), _) => Some(Item::Milestone(milestone)),
        (None, None, None, Some(file)) => Some(Item::File(file)),
        _ => None,
    };
    let contact = optional_id::<UserId>("contact", &query.contact)?;
    let answer = match (item, contact) {
        (Some(item), Some(contact)) => Some(match state.app.explain_visibility(&viewer, id, item, contact).await? {
            Ok(()) => (true, "Visible: this contact sees it in the portal.".to_owned()),
            Err(hidden) => (false, hidden.explanation()),
        }),
        _ => None,
    };
    let preview_href = contact.map(|c| format!("/admin/preview/{c}/projects/{id}"));
    Ok(render(&WhyPage {
        ctx,
        project_id: id,
        project_name: overview.project.name,
        tasks: cards
            .iter()
            .map(|c| SelectOption {
                value: c.task.id.to_string(),
                label: c.task.name.clone(),
            })
            .collect(),
        milestones: milestones
            .iter()
            .map(|m| SelectOption {
                value: m.id.to_string(),
                label: m.name.clone(),
            })
            .collect(),
        files: files
            .iter()
            .map(|f| SelectOption {
                value: f.id.to_string(),
                label: f.name.clone(),
            })
            .collect(),
        contacts: contacts
            .iter()
            .map(|c| SelectOption {
                value: c.id.to_string(),
                label: format!("{} · {}", c.name, c.organisation),
            })
            .collect(),
        query,
        answer,
        preview_href,
    }))
}

pub mod api;
