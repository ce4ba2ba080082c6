//! Client organisations for admins: the CRM record, its contacts (each invited by email),
//! the portal permissions of the organisation and of single contacts, archive.

use crate::App;
use crate::users::{Actor, FirstPassword, NewUserInput};
use domain::access::PortalPermissions;
use domain::clients::ClientDetails;
use domain::ids::{ClientOrgId, UserId};
use domain::users::{Page, PageRequest};
use domain::{Error, Result};
use store::clients::{ClientFilter, ClientListItem, ClientRecord, Contact};

/// An organisation with its contacts, for the admin's detail page.
#[derive(Clone, Debug, serde::Serialize)]
pub struct ClientWithContacts {
    pub client: ClientRecord,
    pub contacts: Vec<Contact>,
}

impl App {
    pub async fn clients(&self, actor: &Actor, filter: &ClientFilter, page: PageRequest) -> Result<Page<ClientListItem>> {
        actor.require_admin()?;
        let mut handle = self.db.read().await?;
        store::clients::search(&mut handle.conn(), filter, page).await
    }

    pub async fn client(&self, actor: &Actor, id: ClientOrgId) -> Result<ClientWithContacts> {
        actor.require_admin()?;
        let mut handle = self.db.read().await?;
        let mut conn = handle.conn();
        let client = store::clients::get(&mut conn, id).await?;
        let contacts = store::clients::contacts(&mut conn, id).await?;
        Ok(ClientWithContacts { client, contacts })
    }

    pub async fn create_client(&self, actor: &Actor, details: &ClientDetails) -> Result<ClientOrgId> {
        let by = actor.require_admin()?;
        let now = self.now();
        let mut tx = self.db.begin().await?;
        let mut conn = tx.conn();
        if store::clients::find_by_name(&mut conn, &details.name).await?.is_some() {
            return Err(Error::conflict("name", "a client organisation with this name exists"));
        }
        let id = store::clients::insert(&mut conn, details, now).await?;
        store::audit::record(&mut conn, by, "client.create", Some(id.0), &details.name, now).await?;
        tx.commit().await?;
        Ok(id)
    }

    pub async fn update_client(&self, actor: &Actor, id: ClientOrgId, details: &ClientDetails) -> Result<()> {
        let by = actor.require_admin()?;
        let now = self.now();
        let mut tx = self.db.begin().await?;
        let mut conn = tx.conn();
        if let Some(other) = store::clients::find_by_name(&mut conn, &details.name).await?
            && other.id != id
        {
            return Err(Error::conflict("name", "a client organisation with this name exists"));
        }
        store::clients::update(&mut conn, id, details).await?;
        store::audit::record(&mut conn, by, "client.update", Some(id.0), &details.name, now).await?;
        tx.commit().await
    }

    pub async fn archive_client(&self, actor: &Actor, id: ClientOrgId, archived: bool) -> Result<()> {
        let by = actor.require_admin()?;
        let now = self.now();
        let mut tx = self.db.begin().await?;
        let mut conn = tx.conn();
        store::clients::set_archived(&mut conn, id, archived.then_some(now)).await?;
        let action = if archived { "client.archive" } else { "client.unarchive" };
        store::audit::record(&mut conn, by, action, Some(id.0), "", now).await?;
        tx.commit().await
    }

    /// Adds a contact and emails the invitation (the first contact becomes the primary one).
    pub async fn add_contact(&self, actor: &Actor, org: ClientOrgId, name: &str, email: &str) -> Result<UserId> {
        let input = NewUserInput {
            email: email.to_owned(),
            name: name.to_owned(),
            role: "client".into(),
            client_org_id: Some(org),
        };
        let created = self.create_user(actor, &input, FirstPassword::EmailInvitation).await?;
        Ok(created.user.id)
    }

    pub async fn set_primary_contact(&self, actor: &Actor, org: ClientOrgId, contact: UserId) -> Result<()> {
        actor.require_admin()?;
        let mut tx = self.db.begin().await?;
        store::clients::set_primary_contact(&mut tx.conn(), org, contact).await?;
        tx.commit().await
    }

    /// Narrows one contact's permissions, or (`None`) lets the organisation's apply.
    pub async fn set_contact_permissions(
        &self,
        actor: &Actor,
        org: ClientOrgId,
        contact: UserId,
        permissions: Option<PortalPermissions>,
    ) -> Result<()> {
        let by = actor.require_admin()?;
        let now = self.now();
        let mut tx = self.db.begin().await?;
        let mut conn = tx.conn();
        store::clients::set_contact_permissions(&mut conn, org, contact, permissions).await?;
        let detail = match permissions {
            Some(p) => p.granted().map(|p| p.key()).collect::<Vec<_>>().join(","),
            None => "organisation's".into(),
        };
        store::audit::record(&mut conn, by, "contact.permissions", Some(contact.0), &detail, now).await?;
        tx.commit().await
    }
}

impl App {
    /// The contact an admin previews the portal as (an active or deactivated client contact).
    pub async fn preview_viewer(&self, viewer: &domain::access::Viewer, contact: UserId) -> Result<domain::users::User> {
        viewer.require_admin()?;
        let person = self.user(contact).await?;
        if person.role != domain::users::Role::Client {
            return Err(Error::NotFound);
        }
        Ok(person)
    }
}

/// An item of a project the admin asks about.
#[derive(Clone, Copy, Debug)]
pub enum Item {
    Task(domain::ids::TaskId),
    /// The current review of a task: who sees the prompt, the decision and its comment.
    Review(domain::ids::TaskId),
    Milestone(domain::ids::MilestoneId),
    File(domain::ids::FileId),
}

impl App {
    /// "Why can't my client see this?": the layer of the policy that hides the item from the
    /// contact, or `Ok` when they see it. Admins only.
    pub async fn explain_visibility(
        &self,
        viewer: &domain::access::Viewer,
        project: domain::ids::ProjectId,
        item: Item,
        contact: UserId,
    ) -> Result<domain::access::Visibility> {
        let person = self.preview_viewer(viewer, contact).await?;
        let contact = person.viewer();
        let mut handle = self.db.read().await?;
        let mut conn = handle.conn();
        let found = store::projects::with_members(&mut conn, project).await?;
        Ok(match item {
            Item::Task(id) => {
                let task = store::tasks::get_unscoped(&mut conn, project, id).await?;
                domain::access::task_visibility(&contact, &found.facts(), &task.facts())
            }
            Item::Review(id) => {
                let task = store::tasks::get_unscoped(&mut conn, project, id).await?;
                if task.review_state.is_none() {
                    return Err(Error::invalid("review", "this task has not been submitted for review"));
                }
                domain::access::review_visibility(&contact, &found.facts(), &task.facts(), &task.review_facts())
            }
            Item::Milestone(id) => {
                let everything = store::scope::Scope::new(viewer);
                let milestone = store::milestones::get(&mut conn, &everything, project, id).await?;
                domain::access::milestone_visibility(&contact, &found.facts(), &milestone.facts())
            }
            Item::File(id) => {
                let file = store::files::get_any(&mut conn, project, id).await?;
                let task = match file.task_id {
                    Some(task) => Some(store::tasks::get_unscoped(&mut conn, project, task).await?.facts()),
                    None => None,
                };
                domain::access::file_visibility(&contact, &found.facts(), task.as_ref(), &file.facts())
            }
        })
    }

    /// Every client contact (of any organisation), for the admin tools' pickers.
    pub async fn all_contacts(&self, viewer: &domain::access::Viewer) -> Result<Vec<store::clients::ContactOfOrg>> {
        viewer.require_admin()?;
        let mut handle = self.db.read().await?;
        store::clients::all_contacts(&mut handle.conn(), 1000).await
    }
}
