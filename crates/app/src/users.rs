//! Managing people: admins add staff and client contacts (who get an invitation email),
//! edit them, deactivate and reactivate them. Every change is in the audit trail.

use crate::jobs::Job;
use crate::{App, mail};
use domain::dates::{DateFormat, DateStyle};
use domain::ids::{ClientOrgId, UserId};
use domain::users::{Email, NewPassword, Page, PageRequest, PersonName, Role, User};
use domain::{Error, Result};
use store::tokens::PasswordPurpose;
use store::users::UserFilter;

/// Who is acting: a logged-in person, or the operator at the command line.
#[derive(Clone, Debug)]
pub enum Actor {
    Operator,
    User(User),
}

impl Actor {
    /// Only admins (and the operator) manage people. Returns the id for the audit trail.
    pub(crate) fn require_admin(&self) -> Result<Option<UserId>> {
        match self {
            Actor::Operator => Ok(None),
            Actor::User(user) if user.role == Role::Admin && user.is_active() => Ok(Some(user.id)),
            Actor::User(_) => Err(Error::Forbidden),
        }
    }
}

/// What an admin fills in to add a person.
#[derive(Clone, Debug, Default)]
pub struct NewUserInput {
    pub email: String,
    pub name: String,
    pub role: String,
    /// Required for client contacts.
    pub client_org_id: Option<ClientOrgId>,
}

/// How the new person gets their first password.
pub enum FirstPassword {
    /// Email an invitation link (the normal way).
    EmailInvitation,
    /// Return a one-time link to hand over by other means (the CLI).
    ReturnLink,
    /// Set it now (the CLI with `--password-stdin`, the demo).
    Set(String),
}

pub struct CreatedUser {
    pub user: User,
    /// The set-password link, when asked for with [`FirstPassword::ReturnLink`].
    pub link: Option<String>,
}

impl App {
    pub async fn user(&self, id: UserId) -> Result<User> {
        let mut handle = self.db.read().await?;
        store::users::get(&mut handle.conn(), id).await
    }

    pub async fn list_users(&self, actor: &Actor, filter: &UserFilter, page: PageRequest) -> Result<Page<User>> {
        actor.require_admin()?;
        let mut handle = self.db.read().await?;
        store::users::list(&mut handle.conn(), filter, page).await
    }

    pub async fn user_for_admin(&self, actor: &Actor, id: UserId) -> Result<User> {
        actor.require_admin()?;
        self.user(id).await
    }

    pub async fn user_history(&self, actor: &Actor, id: UserId) -> Result<Vec<store::audit::AuditEntry>> {
        actor.require_admin()?;
        let mut handle = self.db.read().await?;
        store::audit::for_subject(&mut handle.conn(), id.0, 50).await
    }

    /// A page of the whole audit trail, newest first, and whether more follows (admins).
    pub async fn audit_trail(
        &self,
        actor: &Actor,
        filter: &store::audit::AuditFilter,
        page: PageRequest,
    ) -> Result<(Vec<store::audit::AuditRow>, bool)> {
        actor.require_admin()?;
        let mut handle = self.db.read().await?;
        let mut rows = store::audit::list(&mut handle.conn(), filter, page.limit() + 1, page.offset()).await?;
        let more = rows.len() as i64 > page.limit();
        rows.truncate(page.limit() as usize);
        Ok((rows, more))
    }

    /// Adds a person. The row, the invitation token and the invitation email are written in
    /// one transaction: either all of it happens or none.
    pub async fn create_user(&self, actor: &Actor, input: &NewUserInput, first_password: FirstPassword) -> Result<CreatedUser> {
        let actor_id = actor.require_admin()?;
        let email = Email::parse(&input.email)?;
        let name = PersonName::parse(&input.name)?;
        let role: Role = input.role.parse()?;
        let client_org_id = match role {
            Role::Client => Some(
                input
                    .client_org_id
                    .ok_or_else(|| Error::invalid("client_org", "choose the client organisation of this contact"))?,
            ),
            Role::Admin | Role::Staff => None,
        };
        let password_hash = match &first_password {
            FirstPassword::Set(password) => Some(self.passwords.hash(&NewPassword::parse(password)?).await?),
            FirstPassword::EmailInvitation | FirstPassword::ReturnLink => None,
        };
        let now = self.now();
        let mut tx = self.db.begin().await?;
        let mut conn = tx.conn();
        if let Some(org) = client_org_id
            && !store::clients::exists(&mut conn, org).await?
        {
            return Err(Error::invalid("client_org", "this client organisation does not exist"));
        }
        let new = store::users::NewUser {
            email: &email,
            name: &name,
            role,
            client_org_id,
            password_hash: password_hash.as_deref(),
        };
        let id = store::users::insert(&mut conn, &new, now).await?;
        // However a contact is added (the client page, the people page, the CLI), the first
        // one of an organisation is its primary contact.
        if let Some(org) = client_org_id {
            store::clients::set_primary_contact_if_none(&mut conn, org, id).await?;
        }
        store::audit::record(
            &mut conn,
            actor_id,
            "user.created",
            Some(id.0),
            &format!("added as {}", role.label()),
            now,
        )
        .await?;
        let link = match first_password {
            FirstPassword::Set(_) => None,
            FirstPassword::ReturnLink => Some(self.issue_password_link(&mut conn, id, PasswordPurpose::Invite, now).await?),
            FirstPassword::EmailInvitation => {
                let link = self.issue_password_link(&mut conn, id, PasswordPurpose::Invite, now).await?;
                self.enqueue(&mut conn, &Job::SendEmail(self.invitation_email(&email, &name, role, &link)))
                    .await?;
                None
            }
        };
        let user = store::users::get(&mut conn, id).await?;
        tx.commit().await?;
        self.outbox.wake();
        Ok(CreatedUser { user, link })
    }

    fn invitation_email(&self, email: &Email, name: &PersonName, role: Role, link: &str) -> mail::Email {
        let product = &self.config.product_name;
        let what = match role {
            Role::Client => format!(
                "You have been invited to the {product} client portal, where you can follow your projects, review deliverables and see your invoices."
            ),
            Role::Admin | Role::Staff => format!("You have been added to {product}, where your team runs its projects."),
        };
        let subject = format!("You are invited to {product}");
        let footer = format!("Your login is {email}. If you did not expect this invitation, ignore this email.");
        let message = mail::ActionEmail {
            to: email.as_str(),
            to_name: name.as_str(),
            subject: &subject,
            paragraphs: &[
                &what,
                "Choose your password with the link below to log in. The link works once and expires in seven days.",
            ],
            action_label: "Choose your password",
            action_url: link,
            footer: &footer,
        };
        mail::action_email(&self.branding(), &message)
    }

    /// Sends a fresh invitation link to a person who has not set a password yet.
    pub async fn resend_invitation(&self, actor: &Actor, id: UserId) -> Result<()> {
        let actor_id = actor.require_admin()?;
        let now = self.now();
        let mut tx = self.db.begin().await?;
        let mut conn = tx.conn();
        let user = store::users::get(&mut conn, id).await?;
        if user.has_password || !user.is_active() {
            return Err(Error::invalid(
                "user",
                "only an active person who has not chosen a password yet can be invited again",
            ));
        }
        let link = self.issue_password_link(&mut conn, id, PasswordPurpose::Invite, now).await?;
        let email = Email::parse(&user.email)?;
        let name = PersonName::parse(&user.name)?;
        self.enqueue(&mut conn, &Job::SendEmail(self.invitation_email(&email, &name, user.role, &link)))
            .await?;
        store::audit::record(&mut conn, actor_id, "user.invited", Some(id.0), "invitation sent again", now).await?;
        tx.commit().await?;
        self.outbox.wake();
        Ok(())
    }

    pub async fn update_user(&self, actor: &Actor, id: UserId, email: &str, name: &str) -> Result<User> {
        let actor_id = actor.require_admin()?;
        let email = Email::parse(email)?;
        let name = PersonName::parse(name)?;
        let now = self.now();
        let mut tx = self.db.begin().await?;
        let mut conn = tx.conn();
        let before = store::users::get(&mut conn, id).await?;
        store::users::update(
            &mut conn,
            id,
            &store::users::UserUpdate {
                email: &email,
                name: &name,
            },
            now,
        )
        .await?;
        let mut changes = vec![];
        if before.email != email.as_str() {
            changes.push(format!("email {} → {}", before.email, email));
        }
        if before.name != name.as_str() {
            changes.push(format!("name {} → {}", before.name, name.as_str()));
        }
        if !changes.is_empty() {
            store::audit::record(&mut conn, actor_id, "user.updated", Some(id.0), &changes.join("; "), now).await?;
        }
        let user = store::users::get(&mut conn, id).await?;
        tx.commit().await?;
        Ok(user)
    }

    /// How dates read for a person: their own format and zone, else (on a page) the format of
    /// their browser's language, else the workspace's. Emails and PDFs pass no browser.
    pub fn date_style(&self, person: Option<&User>, browser_language: Option<&str>) -> DateStyle {
        let format = person
            .and_then(|p| p.date_format)
            .or_else(|| browser_language.map(DateFormat::for_language))
            .unwrap_or(self.config.date_format);
        let zone = person.and_then(|p| p.time_zone).unwrap_or(self.config.time_zone);
        DateStyle::new(format, zone)
    }

    /// A person sets how they read dates; empty values go back to the defaults.
    pub async fn set_date_preferences(&self, person: &User, format: &str, zone: &str) -> Result<User> {
        let format = match format.trim() {
            "" => None,
            chosen => Some(chosen.parse::<DateFormat>()?),
        };
        let zone = match zone.trim() {
            "" => None,
            chosen => Some(domain::dates::parse_zone(chosen)?),
        };
        let now = self.now();
        let mut tx = self.db.begin().await?;
        let mut conn = tx.conn();
        store::users::set_date_preferences(&mut conn, person.id, format, zone, now).await?;
        let user = store::users::get(&mut conn, person.id).await?;
        tx.commit().await?;
        Ok(user)
    }

    /// Gives or takes a staff member's finance permission (invoices, payments, reports).
    pub async fn set_finance(&self, actor: &Actor, id: UserId, finance: bool) -> Result<User> {
        let actor_id = actor.require_admin()?;
        let now = self.now();
        let mut tx = self.db.begin().await?;
        let mut conn = tx.conn();
        let user = store::users::get(&mut conn, id).await?;
        if user.role != Role::Staff {
            return Err(Error::invalid(
                "finance",
                "The finance permission is for staff; admins always have it.",
            ));
        }
        if store::users::set_finance(&mut conn, id, finance, now).await? {
            let detail = if finance {
                "finance permission given"
            } else {
                "finance permission taken away"
            };
            store::audit::record(&mut conn, actor_id, "user.finance", Some(id.0), detail, now).await?;
        }
        let user = store::users::get(&mut conn, id).await?;
        tx.commit().await?;
        Ok(user)
    }

    /// Deactivates a person: they cannot log in, every session and API token stops working at
    /// once, and their history stays. The last active admin cannot be deactivated.
    pub async fn deactivate_user(&self, actor: &Actor, id: UserId) -> Result<User> {
        self.set_user_active(actor, id, false).await
    }

    pub async fn reactivate_user(&self, actor: &Actor, id: UserId) -> Result<User> {
        self.set_user_active(actor, id, true).await
    }

    async fn set_user_active(&self, actor: &Actor, id: UserId, active: bool) -> Result<User> {
        let actor_id = actor.require_admin()?;
        if !active && actor_id == Some(id) {
            return Err(Error::invalid("user", "you cannot deactivate your own account"));
        }
        let now = self.now();
        let mut tx = self.db.begin().await?;
        let mut conn = tx.conn();
        let user = store::users::get(&mut conn, id).await?;
        if !active && user.role == Role::Admin && user.is_active() && store::users::count_active_admins(&mut conn).await? <= 1 {
            return Err(Error::invalid("user", "the last active admin cannot be deactivated"));
        }
        let at = (!active).then_some(now);
        if store::users::set_deactivated(&mut conn, id, at, now).await? {
            if !active {
                store::sessions::delete_for_user(&mut conn, id, None).await?;
            }
            let action = if active { "user.reactivated" } else { "user.deactivated" };
            let detail = if active { "reactivated" } else { "deactivated; sessions ended" };
            store::audit::record(&mut conn, actor_id, action, Some(id.0), detail, now).await?;
        }
        let user = store::users::get(&mut conn, id).await?;
        tx.commit().await?;
        Ok(user)
    }
}

impl App {
    /// People and email delivery at a glance, for the admin dashboard.
    pub async fn admin_overview(&self) -> Result<(store::users::UserCounts, store::jobs::JobCounts)> {
        let mut handle = self.db.read().await?;
        let mut conn = handle.conn();
        Ok((store::users::counts(&mut conn).await?, store::jobs::counts(&mut conn).await?))
    }

    /// The client organisations, for the contact picker.
    pub async fn client_orgs(&self) -> Result<Vec<store::clients::ClientOrg>> {
        let mut handle = self.db.read().await?;
        store::clients::list(&mut handle.conn(), 500).await
    }
}

impl App {
    /// The organisation with this name, created if missing (the CLI's `--organisation`).
    pub async fn find_or_create_client_org(&self, name: &str) -> Result<ClientOrgId> {
        let details = domain::clients::ClientDetails::parse(&domain::clients::ClientInput {
            name,
            permissions: domain::access::PortalPermissions::organisation_default(),
            ..Default::default()
        })
        .map_err(|e| Error::invalid("organisation", e.to_string()))?;
        let now = self.now();
        let mut tx = self.db.begin().await?;
        let mut conn = tx.conn();
        let id = match store::clients::find_by_name(&mut conn, &details.name).await? {
            Some(org) => org.id,
            None => store::clients::insert(&mut conn, &details, now).await?,
        };
        tx.commit().await?;
        Ok(id)
    }
}

impl App {
    /// The active team, for choosing project members and assignees (not for clients).
    pub async fn team(&self, viewer: &domain::access::Viewer) -> Result<Vec<store::users::TeamMember>> {
        if viewer.is_client() {
            return Err(Error::Forbidden);
        }
        let mut handle = self.db.read().await?;
        store::users::team(&mut handle.conn(), 500).await
    }
}
