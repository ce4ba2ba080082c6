//! Who may see and do what: the areas of the product, and the visibility policy of the client
//! portal (DESIGN §2), the heart of the product.
//!
//! Every route belongs to one area, checked before a handler runs. Inside the areas, every read
//! of anything a client might see is decided by the functions below. `store::scope` states the
//! same rules as SQL predicates, and a differential test holds the two together.

use crate::ids::{ClientOrgId, UserId};
use crate::users::Role;
use serde::{Deserialize, Serialize};

/// The three distinct areas of the product, plus what every logged-in person shares.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum Area {
    /// `/admin`: user management, settings, everything.
    Admin,
    /// `/staff`: the staff panel.
    Staff,
    /// `/portal`: the client portal.
    Portal,
    /// `/projects`: the workspace where admins and staff run projects.
    Workspace,
    /// Pages every logged-in person has, such as their own account.
    Account,
}

impl Area {
    /// Whether a person with `role` may enter this area. Each role has exactly one home
    /// area and cannot reach the others.
    pub fn admits(self, role: Role) -> bool {
        match self {
            Area::Account => true,
            Area::Workspace => matches!(role, Role::Admin | Role::Staff),
            area => area == role.home_area(),
        }
    }

    /// Where the area starts.
    pub fn path(self) -> &'static str {
        match self {
            Area::Admin => "/admin",
            Area::Staff => "/staff",
            Area::Portal => "/portal",
            Area::Workspace => "/projects",
            Area::Account => "/account",
        }
    }
}

/// One account-level permission of a client contact in the portal.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Permission {
    ViewTasks,
    CommentOnTasks,
    RequestTasks,
    Review,
    ViewMilestones,
    ViewFiles,
    UploadFiles,
    ViewInvoices,
    PayInvoices,
    UseMessages,
}

impl Permission {
    /// Invoices and payments: staff reach them only with the finance permission.
    pub fn is_financial(self) -> bool {
        matches!(self, Permission::ViewInvoices | Permission::PayInvoices)
    }

    pub const ALL: [Permission; 10] = [
        Permission::ViewTasks,
        Permission::CommentOnTasks,
        Permission::RequestTasks,
        Permission::Review,
        Permission::ViewMilestones,
        Permission::ViewFiles,
        Permission::UploadFiles,
        Permission::ViewInvoices,
        Permission::PayInvoices,
        Permission::UseMessages,
    ];

    /// The flag's bit in a stored permission set. Part of the schema: never renumber.
    pub const fn bit(self) -> i64 {
        1 << (self as u32)
    }

    /// The name in forms and in the API.
    pub fn key(self) -> &'static str {
        match self {
            Permission::ViewTasks => "view_tasks",
            Permission::CommentOnTasks => "comment_on_tasks",
            Permission::RequestTasks => "request_tasks",
            Permission::Review => "review",
            Permission::ViewMilestones => "view_milestones",
            Permission::ViewFiles => "view_files",
            Permission::UploadFiles => "upload_files",
            Permission::ViewInvoices => "view_invoices",
            Permission::PayInvoices => "pay_invoices",
            Permission::UseMessages => "use_messages",
        }
    }

    pub fn from_key(key: &str) -> Option<Permission> {
        Permission::ALL.into_iter().find(|p| p.key() == key)
    }

    pub fn label(self) -> &'static str {
        match self {
            Permission::ViewTasks => "View tasks",
            Permission::CommentOnTasks => "Comment on tasks",
            Permission::RequestTasks => "Request new tasks",
            Permission::Review => "Review and approve",
            Permission::ViewMilestones => "View milestones",
            Permission::ViewFiles => "View files",
            Permission::UploadFiles => "Upload files",
            Permission::ViewInvoices => "View invoices",
            Permission::PayInvoices => "Pay invoices",
            Permission::UseMessages => "Use messages",
        }
    }

    /// The permission this one needs as well: commenting on tasks one cannot see means nothing.
    pub fn requires(self) -> Option<Permission> {
        match self {
            Permission::CommentOnTasks | Permission::RequestTasks | Permission::Review => Some(Permission::ViewTasks),
            Permission::UploadFiles => Some(Permission::ViewFiles),
            Permission::PayInvoices => Some(Permission::ViewInvoices),
            _ => None,
        }
    }
}

/// A set of portal permissions, stored as bits.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct PortalPermissions(i64);

impl PortalPermissions {
    pub const NONE: PortalPermissions = PortalPermissions(0);

    pub fn all() -> Self {
        Self(Permission::ALL.iter().map(|p| p.bit()).sum())
    }

    /// What a new organisation gets: everything but task requests, which staff switch on.
    pub fn organisation_default() -> Self {
        Self::all().with(Permission::RequestTasks, false)
    }

    /// Reads stored bits; unknown bits are dropped.
    pub fn from_bits(bits: i64) -> Self {
        Self(bits & Self::all().0)
    }

    pub fn bits(self) -> i64 {
        self.0
    }

    pub fn from_permissions(permissions: impl IntoIterator<Item = Permission>) -> Self {
        permissions.into_iter().fold(Self::NONE, |set, p| set.with(p, true))
    }

    pub fn with(self, permission: Permission, on: bool) -> Self {
        if on {
            Self(self.0 | permission.bit())
        } else {
            Self(self.0 & !permission.bit())
        }
    }

    /// Whether the flag is set, whatever it depends on.
    pub fn has(self, permission: Permission) -> bool {
        self.0 & permission.bit() != 0
    }

    /// The flags that take effect: a flag whose prerequisite is off is off too.
    pub fn effective(self) -> Self {
        Permission::ALL.into_iter().fold(self, |set, p| match p.requires() {
            Some(needed) if !self.has(needed) => set.with(p, false),
            _ => set,
        })
    }

    pub fn allows(self, permission: Permission) -> bool {
        self.effective().has(permission)
    }

    /// A contact's permissions: the organisation's, narrowed by the contact's own set where
    /// one is given (a finance contact who sees only invoices). Never wider than the
    /// organisation's.
    pub fn for_contact(organisation: Self, contact: Option<Self>) -> Self {
        match contact {
            Some(narrowed) => Self(organisation.0 & narrowed.0).effective(),
            None => organisation.effective(),
        }
    }

    pub fn granted(self) -> impl Iterator<Item = Permission> {
        Permission::ALL.into_iter().filter(move |p| self.has(*p))
    }
}

/// Serialised as the list of granted permissions: `["view_tasks", "view_invoices"]`.
impl Serialize for PortalPermissions {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.granted())
    }
}

/// Who is looking. Built once per request from the session (or API token), with the client's
/// permissions already resolved.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Viewer {
    Admin(UserId),
    /// A team member; `finance` lets them see invoices, payments and the financial reports.
    Staff {
        id: UserId,
        finance: bool,
    },
    Client {
        contact: UserId,
        org: ClientOrgId,
        permissions: PortalPermissions,
    },
}

impl Viewer {
    pub fn user_id(&self) -> UserId {
        match *self {
            Viewer::Admin(id) | Viewer::Staff { id, .. } => id,
            Viewer::Client { contact, .. } => contact,
        }
    }

    /// `Forbidden` unless the viewer is an admin (the admin tools: media, quotas, preview).
    pub fn require_admin(&self) -> Result<(), crate::Error> {
        match self {
            Viewer::Admin(_) => Ok(()),
            _ => Err(crate::Error::Forbidden),
        }
    }

    /// `Forbidden` unless the viewer works with invoices, payments and the financial
    /// reports: admins, and staff with the finance permission (never a client).
    pub fn require_finance(&self) -> Result<UserId, crate::Error> {
        match self {
            Viewer::Client { .. } => Err(crate::Error::Forbidden),
            _ if self.allows(Permission::ViewInvoices) => Ok(self.user_id()),
            _ => Err(crate::Error::Forbidden),
        }
    }

    pub fn client_org(&self) -> Option<ClientOrgId> {
        match *self {
            Viewer::Client { org, .. } => Some(org),
            _ => None,
        }
    }

    pub fn is_client(&self) -> bool {
        matches!(self, Viewer::Client { .. })
    }

    /// A team member without the finance permission.
    pub fn staff(id: UserId) -> Viewer {
        Viewer::Staff { id, finance: false }
    }

    /// Admins are not limited by portal permissions; staff only in seeing invoices, which
    /// takes the finance permission.
    pub fn allows(&self, permission: Permission) -> bool {
        match self {
            Viewer::Client { permissions, .. } => permissions.allows(permission),
            Viewer::Staff { finance, .. } => *finance || !permission.is_financial(),
            Viewer::Admin(_) => true,
        }
    }

    fn require(&self, permission: Permission) -> Visibility {
        if self.allows(permission) {
            Ok(())
        } else {
            Err(Hidden::PermissionOff { permission })
        }
    }
}

/// What the policy needs to know about a project.
#[derive(Clone, Copy, Debug)]
pub struct ProjectFacts<'a> {
    pub archived: bool,
    pub staff: &'a [UserId],
    pub client_orgs: &'a [ClientOrgId],
    /// Whether clients see who is assigned to tasks (hidden by default).
    pub show_assignees: bool,
}

/// What the policy needs to know about a task.
#[derive(Clone, Copy, Debug)]
pub struct TaskFacts {
    pub client_visible: bool,
    pub archived: bool,
}

/// What the policy needs to know about a review round (or a task's current review): the client
/// organisation it is addressed to, `None` for a round addressed to no one (recorded before
/// reviews were addressed, on a project with several clients).
#[derive(Clone, Copy, Debug)]
pub struct ReviewFacts {
    pub addressed_to: Option<ClientOrgId>,
}

/// What the policy needs to know about a milestone.
#[derive(Clone, Copy, Debug)]
pub struct MilestoneFacts {
    pub client_visible: bool,
}

/// What the policy needs to know about a comment.
#[derive(Clone, Copy, Debug)]
pub struct CommentFacts {
    pub internal: bool,
    /// The client organisation of the author, when a client contact wrote it.
    pub author_org: Option<ClientOrgId>,
}

/// What the policy needs to know about a file.
#[derive(Clone, Copy, Debug)]
pub struct FileFacts {
    /// Shared with every client organisation on the project.
    pub client_visible: bool,
    /// The client organisation whose contact uploaded it: that organisation sees it before
    /// staff share it.
    pub uploader_org: Option<ClientOrgId>,
    pub in_trash: bool,
}

/// What the policy needs to know about an invoice or a credit note.
#[derive(Clone, Copy, Debug)]
pub struct InvoiceFacts {
    /// The client organisation it is addressed to.
    pub client_org: ClientOrgId,
    /// Drafts are seen by finance staff only.
    pub sent: bool,
}

/// What the policy needs to know about a conversation.
#[derive(Clone, Copy, Debug)]
pub struct ConversationFacts<'a> {
    pub kind: crate::conversations::ConversationKind,
    /// Its client organisation; `None` for an internal (staff-only) conversation.
    pub client_org: Option<ClientOrgId>,
    pub participants: &'a [UserId],
    /// The project of a discussion.
    pub project: Option<ProjectFacts<'a>>,
}

/// The layer that hides an item from a viewer: the answer of "why can't my client see this?".
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "layer", rename_all = "snake_case")]
pub enum Hidden {
    /// A staff member not assigned to the project.
    StaffNotAssigned,
    /// The contact's organisation is not assigned to the project.
    OrganisationNotAssigned,
    /// The contact has none of the permissions that show projects (tasks, milestones, files):
    /// an invoices-only contact.
    NoProjectPermissions,
    /// The project is archived; archived projects leave the portal.
    ProjectArchived,
    /// The contact's permissions do not include this kind of item.
    PermissionOff { permission: Permission },
    /// The item is internal (not shared with clients).
    ItemInternal,
    /// The item is archived.
    ItemArchived,
    /// The task the item belongs to is hidden from this viewer.
    ParentTaskHidden,
    /// Written by another client organisation on a shared project.
    OtherOrganisation,
    /// The file was deleted and waits in the trash.
    InTrash,
    /// A staff member without the finance permission (invoices, payments, reports).
    NoFinancePermission,
    /// An invoice not sent yet.
    Draft,
    /// An invoice addressed to another client organisation.
    OtherClient,
    /// A review addressed to another client organisation on a shared project: the contact
    /// sees the task's status, not the review.
    ReviewForAnotherOrganisation,
    /// A conversation with another client organisation.
    ConversationOfAnotherOrganisation,
    /// A conversation the person is not a participant of.
    NotParticipant,
}

impl Hidden {
    /// One sentence for the admin tool.
    pub fn explanation(&self) -> String {
        match self {
            Hidden::StaffNotAssigned => "This staff member is not assigned to the project.".into(),
            Hidden::OrganisationNotAssigned => "The contact's organisation is not assigned to the project.".into(),
            Hidden::NoProjectPermissions => {
                "The contact has none of the portal permissions that show projects (view tasks, milestones or files).".into()
            }
            Hidden::ProjectArchived => "The project is archived, and archived projects are not shown in the portal.".into(),
            Hidden::PermissionOff { permission } => {
                format!("The contact's portal permission \u{201c}{}\u{201d} is off.", permission.label())
            }
            Hidden::ItemInternal => "The item is internal: it has not been shared with clients.".into(),
            Hidden::ItemArchived => "The item is archived.".into(),
            Hidden::ParentTaskHidden => "The task it belongs to is hidden from this contact.".into(),
            Hidden::OtherOrganisation => "It was written by another client organisation on this shared project.".into(),
            Hidden::InTrash => "The file was deleted and is in the trash.".into(),
            Hidden::NoFinancePermission => "This staff member does not have the finance permission.".into(),
            Hidden::Draft => "The invoice is a draft: clients see it once it has been sent.".into(),
            Hidden::OtherClient => "The invoice is addressed to another client.".into(),
            Hidden::ReviewForAnotherOrganisation => "The review is addressed to another client organisation on this shared project: this contact sees the task's status, not the review, its decision or its comment.".into(),
            Hidden::ConversationOfAnotherOrganisation => "The conversation is with another client organisation.".into(),
            Hidden::NotParticipant => "This person is not a participant of the conversation.".into(),
        }
    }
}

/// `Ok` when the viewer sees the item, otherwise the first layer that hides it.
pub type Visibility = Result<(), Hidden>;

/// A client sees a project only with at least one of these: a contact who may see none of
/// its content (an invoices-only contact) does not see the project at all.
pub const PROJECT_PERMISSIONS: [Permission; 3] = [Permission::ViewTasks, Permission::ViewMilestones, Permission::ViewFiles];

pub fn project_visibility(viewer: &Viewer, project: &ProjectFacts) -> Visibility {
    match viewer {
        Viewer::Admin(_) => Ok(()),
        Viewer::Staff { id, .. } if project.staff.contains(id) => Ok(()),
        Viewer::Staff { .. } => Err(Hidden::StaffNotAssigned),
        Viewer::Client { org, .. } if !project.client_orgs.contains(org) => Err(Hidden::OrganisationNotAssigned),
        Viewer::Client { .. } if project.archived => Err(Hidden::ProjectArchived),
        Viewer::Client { permissions, .. } if !PROJECT_PERMISSIONS.iter().any(|p| permissions.allows(*p)) => {
            Err(Hidden::NoProjectPermissions)
        }
        Viewer::Client { .. } => Ok(()),
    }
}

pub fn task_visibility(viewer: &Viewer, project: &ProjectFacts, task: &TaskFacts) -> Visibility {
    project_visibility(viewer, project)?;
    if viewer.is_client() {
        viewer.require(Permission::ViewTasks)?;
        if !task.client_visible {
            return Err(Hidden::ItemInternal);
        }
        if task.archived {
            return Err(Hidden::ItemArchived);
        }
    }
    Ok(())
}

pub fn milestone_visibility(viewer: &Viewer, project: &ProjectFacts, milestone: &MilestoneFacts) -> Visibility {
    project_visibility(viewer, project)?;
    if viewer.is_client() {
        viewer.require(Permission::ViewMilestones)?;
        if !milestone.client_visible {
            return Err(Hidden::ItemInternal);
        }
    }
    Ok(())
}

pub fn comment_visibility(viewer: &Viewer, project: &ProjectFacts, task: &TaskFacts, comment: &CommentFacts) -> Visibility {
    task_visibility(viewer, project, task).map_err(|hidden| match hidden {
        Hidden::ItemInternal | Hidden::ItemArchived => Hidden::ParentTaskHidden,
        project_level => project_level,
    })?;
    if let Viewer::Client { org, .. } = viewer {
        if comment.internal {
            return Err(Hidden::ItemInternal);
        }
        if comment.author_org.is_some_and(|author| author != *org) {
            return Err(Hidden::OtherOrganisation);
        }
    }
    Ok(())
}

/// Whether the viewer may see a review round (the prompt to review, the decision, who decided,
/// when and the comment): staff on the project, and the contacts of the organisation it is
/// addressed to where they see the task. On a shared project the other organisations see the
/// task's status only, so no client learns how another decided.
pub fn review_visibility(viewer: &Viewer, project: &ProjectFacts, task: &TaskFacts, review: &ReviewFacts) -> Visibility {
    task_visibility(viewer, project, task).map_err(|hidden| match hidden {
        Hidden::ItemInternal | Hidden::ItemArchived => Hidden::ParentTaskHidden,
        project_level => project_level,
    })?;
    match viewer {
        Viewer::Client { org, .. } if review.addressed_to != Some(*org) => Err(Hidden::ReviewForAnotherOrganisation),
        _ => Ok(()),
    }
}

/// Whether the viewer may see a file: a project file, or an attachment of `task`. A client
/// sees shared files and their own organisation's uploads; an attachment only where its task
/// is visible to them.
pub fn file_visibility(viewer: &Viewer, project: &ProjectFacts, task: Option<&TaskFacts>, file: &FileFacts) -> Visibility {
    match task {
        Some(task) => task_visibility(viewer, project, task).map_err(|hidden| match hidden {
            Hidden::ItemInternal
            | Hidden::ItemArchived
            | Hidden::PermissionOff {
                permission: Permission::ViewTasks,
            } => Hidden::ParentTaskHidden,
            project_level => project_level,
        })?,
        None => project_visibility(viewer, project)?,
    }
    if file.in_trash {
        return Err(Hidden::InTrash);
    }
    if let Viewer::Client { org, .. } = viewer {
        viewer.require(Permission::ViewFiles)?;
        match file.uploader_org {
            Some(uploader) if uploader == *org => {}
            _ if file.client_visible => {}
            Some(_) => return Err(Hidden::OtherOrganisation),
            None => return Err(Hidden::ItemInternal),
        }
    }
    Ok(())
}

/// Whether the viewer may see an invoice or a credit note: admins and finance staff all of
/// them; a contact with the invoice permission those addressed to their organisation, once
/// sent. Projects play no part: an invoice belongs to its client.
pub fn invoice_visibility(viewer: &Viewer, invoice: &InvoiceFacts) -> Visibility {
    match viewer {
        Viewer::Admin(_) => Ok(()),
        Viewer::Staff { finance: true, .. } => Ok(()),
        Viewer::Staff { .. } => Err(Hidden::NoFinancePermission),
        Viewer::Client { org, .. } => {
            viewer.require(Permission::ViewInvoices)?;
            if invoice.client_org != *org {
                Err(Hidden::OtherClient)
            } else if !invoice.sent {
                Err(Hidden::Draft)
            } else {
                Ok(())
            }
        }
    }
}

/// Whether the viewer may see a conversation. Admins see every one (the agency oversees its
/// chats); staff see the discussions of their projects and the conversations they take part
/// in. A contact sees one only as a participant, with the "use messages" permission, when it
/// is their organisation's (never an internal one or another organisation's), and, for a
/// discussion, when its project is visible to them.
pub fn conversation_visibility(viewer: &Viewer, conversation: &ConversationFacts) -> Visibility {
    use crate::conversations::ConversationKind::Discussion;
    let participant = conversation.participants.contains(&viewer.user_id());
    match viewer {
        Viewer::Admin(_) => Ok(()),
        Viewer::Staff { .. } if participant => Ok(()),
        Viewer::Staff { .. } => match (conversation.kind, &conversation.project) {
            (Discussion, Some(project)) => project_visibility(viewer, project),
            _ => Err(Hidden::NotParticipant),
        },
        Viewer::Client { org, .. } => {
            if let (Discussion, Some(project)) = (conversation.kind, &conversation.project) {
                project_visibility(viewer, project)?;
            }
            viewer.require(Permission::UseMessages)?;
            match conversation.client_org {
                None => Err(Hidden::ItemInternal),
                Some(other) if other != *org => Err(Hidden::ConversationOfAnotherOrganisation),
                Some(_) if !participant => Err(Hidden::NotParticipant),
                Some(_) => Ok(()),
            }
        }
    }
}

/// What the policy needs to know about a person someone wants to write to: their client
/// organisation (none for staff and admins), and the projects they are on — a member of
/// staff's own, a contact's organisation's.
#[derive(Clone, Copy, Debug)]
pub struct AddresseeFacts<'a> {
    pub org: Option<ClientOrgId>,
    pub projects: &'a [ProjectFacts<'a>],
}

/// Whether the viewer may start a conversation with a person (a direct message, a group).
/// Admins write to anyone; staff to the team and the contacts of organisations on their
/// projects; a contact to their own organisation's contacts and to the staff they can see on
/// a project of theirs that shows who works on it ("clients see assignees"), so a client
/// never learns a name the policy hides, nor that another organisation exists.
pub fn may_address(viewer: &Viewer, person: &AddresseeFacts) -> bool {
    match (viewer, person.org) {
        (Viewer::Admin(_), _) => true,
        (Viewer::Staff { .. }, None) => true,
        (Viewer::Staff { id, .. }, Some(_)) => person.projects.iter().any(|p| p.staff.contains(id)),
        (Viewer::Client { org, .. }, Some(other)) => other == *org,
        (Viewer::Client { .. }, None) => person
            .projects
            .iter()
            .any(|p| p.show_assignees && project_visibility(viewer, p).is_ok()),
    }
}

/// Whether the viewer may upload files to the project (or attach them to `task`): staff on
/// the project, and contacts with the upload permission.
pub fn may_upload(viewer: &Viewer, project: &ProjectFacts, task: Option<&TaskFacts>) -> Visibility {
    match task {
        Some(task) => task_visibility(viewer, project, task)?,
        None => project_visibility(viewer, project)?,
    }
    viewer.require(Permission::UploadFiles)
}

/// Whether the viewer may see a person (their name, their actions): a client sees staff and
/// the contacts of their own organisation, never another organisation's.
pub fn person_visible(viewer: &Viewer, person_org: Option<ClientOrgId>) -> bool {
    match viewer.client_org() {
        Some(org) => person_org.is_none_or(|other| other == org),
        None => true,
    }
}

/// What the policy needs to know about an activity event: its kind's audience and the
/// current state of the items it is about.
#[derive(Clone, Copy, Debug)]
pub struct EventFacts {
    pub client_safe: bool,
    /// The actor's organisation (`Some(None)` for staff), `None` when no one acted.
    pub actor_org: Option<Option<ClientOrgId>>,
    pub task: Option<TaskFacts>,
    pub milestone: Option<MilestoneFacts>,
    pub comment: Option<CommentFacts>,
    /// A file and, for an attachment, its task.
    pub file: Option<(Option<TaskFacts>, FileFacts)>,
    /// The one client organisation an event is for (a review's), `None` for every viewer of
    /// the items.
    pub audience_org: Option<ClientOrgId>,
}

/// An event is shown when its project, its actor and every item it is about are visible.
pub fn event_visible(viewer: &Viewer, project: &ProjectFacts, event: &EventFacts) -> bool {
    project_visibility(viewer, project).is_ok()
        && (event.client_safe || !viewer.is_client())
        && event.actor_org.is_none_or(|org| person_visible(viewer, org))
        && event.audience_org.is_none_or(|org| viewer.client_org().is_none_or(|own| own == org))
        && event.task.is_none_or(|task| task_visibility(viewer, project, &task).is_ok())
        && event.milestone.is_none_or(|m| milestone_visibility(viewer, project, &m).is_ok())
        && match (event.task, event.comment) {
            (_, None) => true,
            (Some(task), Some(comment)) => comment_visibility(viewer, project, &task, &comment).is_ok(),
            (None, Some(_)) => false,
        }
        // Staff keep seeing what happened to files later deleted; clients see events only of
        // files they can open now.
        && event
            .file
            .is_none_or(|(task, file)| !viewer.is_client() || file_visibility(viewer, project, task.as_ref(), &file).is_ok())
}

/// Whether the viewer may comment on a task: clients need the task visible and the permission.
pub fn may_comment(viewer: &Viewer, project: &ProjectFacts, task: &TaskFacts) -> Visibility {
    task_visibility(viewer, project, task)?;
    viewer.require(Permission::CommentOnTasks)
}

/// Whether the viewer may decide a review round. Only client contacts decide, and only on a
/// review addressed to their organisation (another's is hidden: not found); staff submit.
pub fn may_decide_review(viewer: &Viewer, project: &ProjectFacts, task: &TaskFacts, review: &ReviewFacts) -> Result<(), crate::Error> {
    if !viewer.is_client() {
        return Err(crate::Error::Forbidden);
    }
    review_visibility(viewer, project, task, review).map_err(|_| crate::Error::NotFound)?;
    viewer.require(Permission::Review).map_err(|_| crate::Error::Forbidden)
}

/// Whether the viewer may ask for a new task in a project (clients need the permission).
pub fn may_request_task(viewer: &Viewer, project: &ProjectFacts) -> Visibility {
    project_visibility(viewer, project)?;
    viewer.require(Permission::RequestTasks)
}

/// Whether the viewer may change the project and everything in it: admins, and staff on it.
pub fn may_manage(viewer: &Viewer, project: &ProjectFacts) -> bool {
    !viewer.is_client() && project_visibility(viewer, project).is_ok()
}

/// Whether task assignees are shown to the viewer: always to staff, to clients where the
/// project's "clients see assignees" is on.
pub fn sees_assignees(viewer: &Viewer, project_shows_assignees: bool) -> bool {
    !viewer.is_client() || project_shows_assignees
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::ids::{ClientOrgId, UserId};

    struct World {
        staff: UserId,
        acme: ClientOrgId,
        globex: ClientOrgId,
    }

    fn world() -> World {
        World {
            staff: UserId::new(),
            acme: ClientOrgId::new(),
            globex: ClientOrgId::new(),
        }
    }

    fn client(org: ClientOrgId, permissions: PortalPermissions) -> Viewer {
        Viewer::Client {
            contact: UserId::new(),
            org,
            permissions: permissions.effective(),
        }
    }

    const SHARED: TaskFacts = TaskFacts {
        client_visible: true,
        archived: false,
    };

    #[test]
    fn who_may_write_to_whom() {
        let w = world();
        let (staff, orgs) = ([w.staff], [w.acme]);
        let shown = ProjectFacts {
            archived: false,
            staff: &staff,
            client_orgs: &orgs,
            show_assignees: true,
        };
        let unnamed = ProjectFacts {
            show_assignees: false,
            ..shown
        };
        let full = PortalPermissions::all();
        let acme = client(w.acme, full);
        fn team_member<'a>(projects: &'a [ProjectFacts<'a>]) -> AddresseeFacts<'a> {
            AddresseeFacts { org: None, projects }
        }
        fn contact_of<'a>(org: ClientOrgId, projects: &'a [ProjectFacts<'a>]) -> AddresseeFacts<'a> {
            AddresseeFacts { org: Some(org), projects }
        }

        // A contact: the staff they see on a project that names its team, their colleagues.
        assert!(may_address(&acme, &team_member(&[shown])));
        assert!(
            !may_address(&acme, &team_member(&[unnamed])),
            "a project that hides who works on it"
        );
        assert!(!may_address(&acme, &team_member(&[])), "staff on no project of theirs");
        let archived = ProjectFacts { archived: true, ..shown };
        assert!(!may_address(&acme, &team_member(&[archived])));
        assert!(!may_address(
            &client(w.acme, PortalPermissions::from_permissions([])),
            &team_member(&[shown])
        ));
        assert!(may_address(&acme, &contact_of(w.acme, &[])));
        assert!(
            !may_address(&acme, &contact_of(w.globex, &[shown])),
            "another organisation's contact"
        );

        // Staff: the team, and contacts of organisations on their projects; admins anyone.
        let (on_it, off_it) = (Viewer::staff(w.staff), Viewer::staff(UserId::new()));
        assert!(may_address(&off_it, &team_member(&[])));
        assert!(may_address(&on_it, &contact_of(w.acme, &[unnamed])));
        assert!(!may_address(&off_it, &contact_of(w.acme, &[unnamed])));
        assert!(may_address(&Viewer::Admin(UserId::new()), &contact_of(w.globex, &[])));
    }

    #[test]
    fn conversations_clients_see_their_own_as_participants_only() {
        use crate::conversations::ConversationKind::{Direct, Discussion, Group};
        let w = world();
        let (staff, orgs) = ([w.staff], [w.acme, w.globex]);
        let project = ProjectFacts {
            archived: false,
            staff: &staff,
            client_orgs: &orgs,
            show_assignees: false,
        };
        let full = PortalPermissions::all();
        let acme = client(w.acme, full);
        let (other_staff, admin) = (Viewer::staff(UserId::new()), Viewer::Admin(UserId::new()));
        let with_acme = [w.staff, acme.user_id()];
        let discussion = ConversationFacts {
            kind: Discussion,
            client_org: Some(w.acme),
            participants: &with_acme,
            project: Some(project),
        };
        assert_eq!(conversation_visibility(&acme, &discussion), Ok(()));
        assert_eq!(conversation_visibility(&admin, &discussion), Ok(()));
        assert_eq!(conversation_visibility(&Viewer::staff(w.staff), &discussion), Ok(()));
        assert_eq!(
            conversation_visibility(&other_staff, &discussion),
            Err(Hidden::StaffNotAssigned),
            "staff off the project see none of its discussions"
        );

        // Each layer that hides it from a contact, in the order "why" names them.
        let unassigned_orgs = [w.globex];
        let elsewhere = ProjectFacts {
            client_orgs: &unassigned_orgs,
            ..project
        };
        let archived = ProjectFacts { archived: true, ..project };
        let cases = [
            (
                ConversationFacts {
                    project: Some(elsewhere),
                    ..discussion
                },
                acme,
                Hidden::OrganisationNotAssigned,
            ),
            (
                ConversationFacts {
                    project: Some(archived),
                    ..discussion
                },
                acme,
                Hidden::ProjectArchived,
            ),
            (
                discussion,
                client(w.acme, full.with(Permission::UseMessages, false)),
                Hidden::PermissionOff {
                    permission: Permission::UseMessages,
                },
            ),
            (
                ConversationFacts {
                    client_org: None,
                    ..discussion
                },
                acme,
                Hidden::ItemInternal,
            ),
            (
                ConversationFacts {
                    client_org: Some(w.globex),
                    ..discussion
                },
                acme,
                Hidden::ConversationOfAnotherOrganisation,
            ),
            (discussion, client(w.acme, full), Hidden::NotParticipant),
        ];
        for (conversation, viewer, hidden) in cases {
            assert_eq!(conversation_visibility(&viewer, &conversation), Err(hidden));
            assert!(!hidden.explanation().is_empty());
        }

        // Direct messages and groups: their participants, and admins.
        for kind in [Direct, Group] {
            let chat = ConversationFacts {
                kind,
                project: None,
                ..discussion
            };
            assert_eq!(conversation_visibility(&acme, &chat), Ok(()));
            assert_eq!(conversation_visibility(&Viewer::staff(w.staff), &chat), Ok(()));
            assert_eq!(conversation_visibility(&admin, &chat), Ok(()));
            assert_eq!(conversation_visibility(&other_staff, &chat), Err(Hidden::NotParticipant));
            assert_eq!(conversation_visibility(&client(w.acme, full), &chat), Err(Hidden::NotParticipant));
            let team = ConversationFacts { client_org: None, ..chat };
            assert_eq!(
                conversation_visibility(&acme, &team),
                Err(Hidden::ItemInternal),
                "an internal chat, even if listed"
            );
        }
    }

    #[test]
    fn files_clients_see_shared_files_and_their_own_uploads() {
        let w = world();
        let staff = [w.staff];
        let orgs = [w.acme, w.globex];
        let project = ProjectFacts {
            archived: false,
            staff: &staff,
            client_orgs: &orgs,
            show_assignees: false,
        };
        let full = PortalPermissions::all();
        let (acme, globex) = (client(w.acme, full), client(w.globex, full));
        let internal = FileFacts {
            client_visible: false,
            uploader_org: None,
            in_trash: false,
        };
        let shared = FileFacts {
            client_visible: true,
            ..internal
        };
        let acme_upload = FileFacts {
            uploader_org: Some(w.acme),
            ..internal
        };
        let staff_viewer = Viewer::staff(w.staff);
        for file in [internal, shared, acme_upload] {
            assert_eq!(file_visibility(&staff_viewer, &project, None, &file), Ok(()));
        }
        assert_eq!(file_visibility(&acme, &project, None, &internal), Err(Hidden::ItemInternal));
        assert_eq!(file_visibility(&acme, &project, None, &shared), Ok(()));
        assert_eq!(file_visibility(&acme, &project, None, &acme_upload), Ok(()));
        // Another organisation on the shared project sees the upload only once staff share it.
        assert_eq!(
            file_visibility(&globex, &project, None, &acme_upload),
            Err(Hidden::OtherOrganisation)
        );
        let shared_upload = FileFacts {
            client_visible: true,
            ..acme_upload
        };
        assert_eq!(file_visibility(&globex, &project, None, &shared_upload), Ok(()));
        // The trash hides a file from everyone outside the trash view.
        let trashed = FileFacts { in_trash: true, ..shared };
        assert_eq!(file_visibility(&acme, &project, None, &trashed), Err(Hidden::InTrash));
        assert_eq!(file_visibility(&staff_viewer, &project, None, &trashed), Err(Hidden::InTrash));
        // Without the files permission, nothing; an invoices-only contact not even the project.
        let no_files = client(w.acme, PortalPermissions::from_permissions([Permission::ViewTasks]));
        assert_eq!(
            file_visibility(&no_files, &project, None, &shared),
            Err(Hidden::PermissionOff {
                permission: Permission::ViewFiles
            })
        );
        let finance = client(w.acme, PortalPermissions::from_permissions([Permission::ViewInvoices]));
        assert_eq!(
            file_visibility(&finance, &project, None, &shared),
            Err(Hidden::NoProjectPermissions)
        );
        assert_eq!(
            file_visibility(&Viewer::staff(UserId::new()), &project, None, &shared),
            Err(Hidden::StaffNotAssigned)
        );
    }

    #[test]
    fn attachments_follow_their_task() {
        let w = world();
        let staff = [w.staff];
        let orgs = [w.acme];
        let project = ProjectFacts {
            archived: false,
            staff: &staff,
            client_orgs: &orgs,
            show_assignees: false,
        };
        let acme = client(w.acme, PortalPermissions::all());
        let shared = FileFacts {
            client_visible: true,
            uploader_org: None,
            in_trash: false,
        };
        let internal_task = TaskFacts {
            client_visible: false,
            archived: false,
        };
        assert_eq!(file_visibility(&acme, &project, Some(&SHARED), &shared), Ok(()));
        assert_eq!(
            file_visibility(&acme, &project, Some(&internal_task), &shared),
            Err(Hidden::ParentTaskHidden)
        );
        let files_only = client(w.acme, PortalPermissions::from_permissions([Permission::ViewFiles]));
        assert_eq!(
            file_visibility(&files_only, &project, Some(&SHARED), &shared),
            Err(Hidden::ParentTaskHidden)
        );
        assert_eq!(file_visibility(&files_only, &project, None, &shared), Ok(()));
    }

    #[test]
    fn uploading_needs_the_upload_permission_and_a_visible_task() {
        let w = world();
        let staff = [w.staff];
        let orgs = [w.acme];
        let project = ProjectFacts {
            archived: false,
            staff: &staff,
            client_orgs: &orgs,
            show_assignees: false,
        };
        assert_eq!(may_upload(&Viewer::staff(w.staff), &project, None), Ok(()));
        assert_eq!(may_upload(&client(w.acme, PortalPermissions::all()), &project, None), Ok(()));
        let view_only = client(
            w.acme,
            PortalPermissions::from_permissions([Permission::ViewFiles, Permission::ViewTasks]),
        );
        assert_eq!(
            may_upload(&view_only, &project, None),
            Err(Hidden::PermissionOff {
                permission: Permission::UploadFiles
            })
        );
        let internal_task = TaskFacts {
            client_visible: false,
            archived: false,
        };
        assert_eq!(
            may_upload(&client(w.acme, PortalPermissions::all()), &project, Some(&internal_task)),
            Err(Hidden::ItemInternal)
        );
    }

    #[test]
    fn defaults_leave_task_requests_off_and_everything_else_on() {
        let defaults = PortalPermissions::organisation_default();
        for p in Permission::ALL {
            assert_eq!(defaults.allows(p), p != Permission::RequestTasks, "{p:?}");
        }
    }

    #[test]
    fn bits_are_distinct_and_keys_round_trip() {
        let mut seen = 0;
        for p in Permission::ALL {
            assert_eq!(seen & p.bit(), 0);
            seen |= p.bit();
            assert_eq!(Permission::from_key(p.key()), Some(p));
        }
        assert_eq!(PortalPermissions::from_bits(i64::MAX), PortalPermissions::all());
    }

    #[test]
    fn a_flag_without_its_prerequisite_has_no_effect() {
        let only_comment = PortalPermissions::from_permissions([Permission::CommentOnTasks, Permission::PayInvoices]);
        assert!(!only_comment.allows(Permission::CommentOnTasks));
        assert!(!only_comment.allows(Permission::PayInvoices));
        assert_eq!(only_comment.effective(), PortalPermissions::NONE);
    }

    #[test]
    fn a_contact_is_narrowed_never_widened() {
        let org = PortalPermissions::organisation_default();
        let finance = PortalPermissions::from_permissions([Permission::ViewInvoices, Permission::PayInvoices]);
        let narrowed = PortalPermissions::for_contact(org, Some(finance));
        assert_eq!(
            narrowed.granted().collect::<Vec<_>>(),
            vec![Permission::ViewInvoices, Permission::PayInvoices]
        );
        let wider = PortalPermissions::for_contact(org, Some(PortalPermissions::all()));
        assert!(!wider.allows(Permission::RequestTasks));
        assert_eq!(PortalPermissions::for_contact(org, None), org);
    }

    #[test]
    fn projects_admins_see_all_staff_their_own_clients_their_organisations() {
        let w = world();
        let staff = [w.staff];
        let orgs = [w.acme];
        let project = ProjectFacts {
            archived: false,
            staff: &staff,
            client_orgs: &orgs,
            show_assignees: false,
        };
        let full = PortalPermissions::all();
        assert_eq!(project_visibility(&Viewer::Admin(UserId::new()), &project), Ok(()));
        assert_eq!(project_visibility(&Viewer::staff(w.staff), &project), Ok(()));
        assert_eq!(
            project_visibility(&Viewer::staff(UserId::new()), &project),
            Err(Hidden::StaffNotAssigned)
        );
        assert_eq!(project_visibility(&client(w.acme, full), &project), Ok(()));
        assert_eq!(
            project_visibility(&client(w.globex, full), &project),
            Err(Hidden::OrganisationNotAssigned)
        );
        let archived = ProjectFacts { archived: true, ..project };
        assert_eq!(project_visibility(&client(w.acme, full), &archived), Err(Hidden::ProjectArchived));
        let invoices_only = PortalPermissions::from_permissions([Permission::ViewInvoices, Permission::PayInvoices]);
        assert_eq!(
            project_visibility(&client(w.acme, invoices_only), &project),
            Err(Hidden::NoProjectPermissions)
        );
        let files_only = PortalPermissions::from_permissions([Permission::ViewFiles]);
        assert_eq!(project_visibility(&client(w.acme, files_only), &project), Ok(()));
        assert_eq!(project_visibility(&Viewer::staff(w.staff), &archived), Ok(()));
    }

    #[test]
    fn every_combination_of_task_layers_reports_the_first_that_hides() {
        let w = world();
        let staff = [w.staff];
        for assigned in [false, true] {
            for archived_project in [false, true] {
                for view_tasks in [false, true] {
                    for client_visible in [false, true] {
                        for archived_task in [false, true] {
                            let orgs: Vec<ClientOrgId> = if assigned { vec![w.acme] } else { vec![w.globex] };
                            let project = ProjectFacts {
                                archived: archived_project,
                                staff: &staff,
                                client_orgs: &orgs,
                                show_assignees: false,
                            };
                            let permissions = PortalPermissions::all().with(Permission::ViewTasks, view_tasks);
                            let task = TaskFacts {
                                client_visible,
                                archived: archived_task,
                            };
                            let expected = if !assigned {
                                Err(Hidden::OrganisationNotAssigned)
                            } else if archived_project {
                                Err(Hidden::ProjectArchived)
                            } else if !view_tasks {
                                Err(Hidden::PermissionOff {
                                    permission: Permission::ViewTasks,
                                })
                            } else if !client_visible {
                                Err(Hidden::ItemInternal)
                            } else if archived_task {
                                Err(Hidden::ItemArchived)
                            } else {
                                Ok(())
                            };
                            assert_eq!(task_visibility(&client(w.acme, permissions), &project, &task), expected);
                            // Staff on the project see every task, whatever its toggles.
                            assert_eq!(task_visibility(&Viewer::staff(w.staff), &project, &task), Ok(()));
                            assert_eq!(task_visibility(&Viewer::Admin(UserId::new()), &project, &task), Ok(()));
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn milestones_need_their_own_permission_and_the_toggle() {
        let w = world();
        let orgs = [w.acme];
        let project = ProjectFacts {
            archived: false,
            staff: &[],
            client_orgs: &orgs,
            show_assignees: false,
        };
        let shared = MilestoneFacts { client_visible: true };
        let internal = MilestoneFacts { client_visible: false };
        let full = client(w.acme, PortalPermissions::all());
        let no_milestones = client(w.acme, PortalPermissions::all().with(Permission::ViewMilestones, false));
        assert_eq!(milestone_visibility(&full, &project, &shared), Ok(()));
        assert_eq!(milestone_visibility(&full, &project, &internal), Err(Hidden::ItemInternal));
        assert_eq!(
            milestone_visibility(&no_milestones, &project, &shared),
            Err(Hidden::PermissionOff {
                permission: Permission::ViewMilestones
            })
        );
        // Task permission does not govern milestones.
        let no_tasks = client(w.acme, PortalPermissions::all().with(Permission::ViewTasks, false));
        assert_eq!(milestone_visibility(&no_tasks, &project, &shared), Ok(()));
    }

    #[test]
    fn comments_hide_behind_their_task_their_flag_and_other_organisations() {
        let w = world();
        let orgs = [w.acme, w.globex];
        let project = ProjectFacts {
            archived: false,
            staff: &[],
            client_orgs: &orgs,
            show_assignees: false,
        };
        let acme = client(w.acme, PortalPermissions::all());
        let by_staff = CommentFacts {
            internal: false,
            author_org: None,
        };
        let by_acme = CommentFacts {
            internal: false,
            author_org: Some(w.acme),
        };
        let by_globex = CommentFacts {
            internal: false,
            author_org: Some(w.globex),
        };
        let internal = CommentFacts {
            internal: true,
            author_org: None,
        };
        let hidden_task = TaskFacts {
            client_visible: false,
            archived: false,
        };
        let archived_task = TaskFacts {
            client_visible: true,
            archived: true,
        };

        assert_eq!(comment_visibility(&acme, &project, &SHARED, &by_staff), Ok(()));
        assert_eq!(comment_visibility(&acme, &project, &SHARED, &by_acme), Ok(()));
        assert_eq!(
            comment_visibility(&acme, &project, &SHARED, &by_globex),
            Err(Hidden::OtherOrganisation)
        );
        assert_eq!(comment_visibility(&acme, &project, &SHARED, &internal), Err(Hidden::ItemInternal));
        assert_eq!(
            comment_visibility(&acme, &project, &hidden_task, &by_acme),
            Err(Hidden::ParentTaskHidden)
        );
        assert_eq!(
            comment_visibility(&acme, &project, &archived_task, &by_staff),
            Err(Hidden::ParentTaskHidden)
        );
        let no_tasks = client(w.acme, PortalPermissions::all().with(Permission::ViewTasks, false));
        assert_eq!(
            comment_visibility(&no_tasks, &project, &SHARED, &by_staff),
            Err(Hidden::PermissionOff {
                permission: Permission::ViewTasks
            })
        );
        // Staff keep seeing what clients wrote, even on a task switched to internal.
        let staff = Viewer::Admin(UserId::new());
        for comment in [by_staff, by_acme, by_globex, internal] {
            assert_eq!(comment_visibility(&staff, &project, &hidden_task, &comment), Ok(()));
        }
    }

    #[test]
    fn actions_need_visibility_and_their_permission() {
        let w = world();
        let staff = [w.staff];
        let orgs = [w.acme];
        let project = ProjectFacts {
            archived: false,
            staff: &staff,
            client_orgs: &orgs,
            show_assignees: false,
        };
        let full = client(w.acme, PortalPermissions::all());
        let read_only = client(w.acme, PortalPermissions::from_permissions([Permission::ViewTasks]));
        let internal_task = TaskFacts {
            client_visible: false,
            archived: false,
        };

        assert_eq!(may_comment(&full, &project, &SHARED), Ok(()));
        assert_eq!(may_comment(&full, &project, &internal_task), Err(Hidden::ItemInternal));
        assert_eq!(
            may_comment(&read_only, &project, &SHARED),
            Err(Hidden::PermissionOff {
                permission: Permission::CommentOnTasks
            })
        );
        let to_acme = ReviewFacts {
            addressed_to: Some(w.acme),
        };
        let to_globex = ReviewFacts {
            addressed_to: Some(w.globex),
        };
        assert_eq!(may_decide_review(&full, &project, &SHARED, &to_acme), Ok(()));
        assert_eq!(
            may_decide_review(&full, &project, &SHARED, &to_globex),
            Err(crate::Error::NotFound),
            "another organisation's review is not there for this contact"
        );
        assert_eq!(
            may_decide_review(&full, &project, &internal_task, &to_acme),
            Err(crate::Error::NotFound)
        );
        assert_eq!(
            may_decide_review(&read_only, &project, &SHARED, &to_acme),
            Err(crate::Error::Forbidden)
        );
        assert_eq!(
            may_decide_review(&Viewer::staff(w.staff), &project, &SHARED, &to_acme),
            Err(crate::Error::Forbidden)
        );
        let by_default = client(w.acme, PortalPermissions::organisation_default());
        assert_eq!(
            may_request_task(&by_default, &project),
            Err(Hidden::PermissionOff {
                permission: Permission::RequestTasks
            })
        );
        assert_eq!(may_request_task(&full, &project), Ok(()));
        assert!(may_manage(&Viewer::staff(w.staff), &project));
        assert!(!may_manage(&Viewer::staff(UserId::new()), &project));
        assert!(!may_manage(&full, &project));
        assert!(!sees_assignees(&full, false));
        assert!(sees_assignees(&full, true));
        assert!(sees_assignees(&Viewer::staff(w.staff), false));
    }

    #[test]
    fn clients_never_see_people_or_events_of_another_organisation() {
        let w = world();
        let orgs = [w.acme, w.globex];
        let project = ProjectFacts {
            archived: false,
            staff: &[],
            client_orgs: &orgs,
            show_assignees: false,
        };
        let acme = client(w.acme, PortalPermissions::all());
        assert!(person_visible(&acme, None));
        assert!(person_visible(&acme, Some(w.acme)));
        assert!(!person_visible(&acme, Some(w.globex)));
        assert!(person_visible(&Viewer::staff(w.staff), Some(w.globex)));

        let approval_by = |org| EventFacts {
            client_safe: true,
            actor_org: Some(org),
            task: Some(SHARED),
            milestone: None,
            comment: None,
            file: None,
            audience_org: None,
        };
        assert!(event_visible(&acme, &project, &approval_by(Some(w.acme))));
        assert!(!event_visible(&acme, &project, &approval_by(Some(w.globex))));
        let staff_only = EventFacts {
            client_safe: false,
            ..approval_by(None)
        };
        assert!(!event_visible(&acme, &project, &staff_only));
        assert!(event_visible(&Viewer::Admin(UserId::new()), &project, &staff_only));
        let on_internal_task = EventFacts {
            task: Some(TaskFacts {
                client_visible: false,
                archived: false,
            }),
            ..approval_by(None)
        };
        assert!(!event_visible(&acme, &project, &on_internal_task));
        let internal_file = FileFacts {
            client_visible: false,
            uploader_org: None,
            in_trash: true,
        };
        let file_event = EventFacts {
            task: None,
            file: Some((None, internal_file)),
            ..approval_by(None)
        };
        assert!(!event_visible(&acme, &project, &file_event));
        assert!(event_visible(&Viewer::Admin(UserId::new()), &project, &file_event));
        let submitted_to_globex = EventFacts {
            audience_org: Some(w.globex),
            ..approval_by(None)
        };
        assert!(!event_visible(&acme, &project, &submitted_to_globex), "a review for Globex");
        assert!(event_visible(
            &client(w.globex, PortalPermissions::all()),
            &project,
            &submitted_to_globex
        ));
        assert!(
            !event_visible(&Viewer::staff(w.staff), &project, &submitted_to_globex),
            "not on the project"
        );
        assert!(event_visible(&Viewer::Admin(UserId::new()), &project, &submitted_to_globex));
    }

    #[test]
    fn a_review_on_a_shared_project_is_seen_only_by_the_organisation_it_is_addressed_to() {
        let w = world();
        let orgs = [w.acme, w.globex];
        let staff = [w.staff];
        let project = ProjectFacts {
            archived: false,
            staff: &staff,
            client_orgs: &orgs,
            show_assignees: false,
        };
        let to_acme = ReviewFacts {
            addressed_to: Some(w.acme),
        };
        let acme = client(w.acme, PortalPermissions::all());
        let globex = client(w.globex, PortalPermissions::all());
        assert_eq!(review_visibility(&acme, &project, &SHARED, &to_acme), Ok(()));
        assert_eq!(
            review_visibility(&globex, &project, &SHARED, &to_acme),
            Err(Hidden::ReviewForAnotherOrganisation)
        );
        assert_eq!(
            review_visibility(&acme, &project, &SHARED, &ReviewFacts { addressed_to: None }),
            Err(Hidden::ReviewForAnotherOrganisation),
            "a round addressed to no one is shown to no client"
        );
        let internal = TaskFacts {
            client_visible: false,
            archived: false,
        };
        assert_eq!(
            review_visibility(&acme, &project, &internal, &to_acme),
            Err(Hidden::ParentTaskHidden)
        );
        assert_eq!(review_visibility(&Viewer::staff(w.staff), &project, &SHARED, &to_acme), Ok(()));
        assert_eq!(
            review_visibility(&Viewer::staff(UserId::new()), &project, &SHARED, &to_acme),
            Err(Hidden::StaffNotAssigned)
        );
    }

    #[test]
    fn each_role_enters_only_its_own_area() {
        for role in [Role::Admin, Role::Staff, Role::Client] {
            for area in [Area::Admin, Area::Staff, Area::Portal] {
                assert_eq!(area.admits(role), area == role.home_area(), "{role:?} in {area:?}");
            }
            assert!(Area::Account.admits(role));
            assert_eq!(Area::Workspace.admits(role), role != Role::Client, "{role:?} in the workspace");
        }
    }

    #[test]
    fn invoices_are_seen_by_finance_and_by_their_own_client_once_sent() {
        let w = world();
        let sent = InvoiceFacts {
            client_org: w.acme,
            sent: true,
        };
        let draft = InvoiceFacts {
            client_org: w.acme,
            sent: false,
        };
        assert_eq!(invoice_visibility(&Viewer::Admin(w.staff), &draft), Ok(()));
        assert_eq!(
            invoice_visibility(
                &Viewer::Staff {
                    id: w.staff,
                    finance: true
                },
                &draft
            ),
            Ok(())
        );
        assert_eq!(invoice_visibility(&Viewer::staff(w.staff), &sent), Err(Hidden::NoFinancePermission));
        let finance_only = PortalPermissions::from_permissions([Permission::ViewInvoices]);
        assert_eq!(invoice_visibility(&client(w.acme, finance_only), &sent), Ok(()));
        assert_eq!(invoice_visibility(&client(w.acme, finance_only), &draft), Err(Hidden::Draft));
        assert_eq!(invoice_visibility(&client(w.globex, finance_only), &sent), Err(Hidden::OtherClient));
        let no_invoices = PortalPermissions::from_permissions([Permission::ViewTasks]);
        assert_eq!(
            invoice_visibility(&client(w.acme, no_invoices), &sent),
            Err(Hidden::PermissionOff {
                permission: Permission::ViewInvoices
            })
        );
        assert!(!Viewer::staff(w.staff).allows(Permission::ViewInvoices));
        assert!(Viewer::staff(w.staff).allows(Permission::ViewFiles));
    }

    #[test]
    fn home_areas_are_distinct() {
        assert_eq!(Role::Admin.home_area(), Area::Admin);
        assert_eq!(Role::Staff.home_area(), Area::Staff);
        assert_eq!(Role::Client.home_area(), Area::Portal);
    }
}
