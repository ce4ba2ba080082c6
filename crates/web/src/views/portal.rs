//! Whose portal a page shows: the contact's own, or an admin's read-only preview of it. The
//! portal's pages, files and invoices all take it.

use crate::AppState;
use crate::context::PageContext;
use crate::error::AppError;
use crate::views::parse_id;
use domain::access::{Permission, Viewer};
use domain::ids::UserId;

/// Whose portal a page shows, and where its links point.
pub struct PortalView {
    pub viewer: Viewer,
    /// `/portal`, or `/admin/preview/{contact}` when an admin previews.
    pub base: String,
    /// The previewed contact's name: the page is read-only and says so.
    pub preview: Option<String>,
    /// Whose portal it is, for the greeting.
    pub person: String,
    pub organisation: String,
}

impl PortalView {
    pub fn own(viewer: Viewer, ctx: &PageContext) -> Self {
        let who = ctx.viewer.as_ref();
        PortalView {
            viewer,
            base: "/portal".into(),
            preview: None,
            person: who.map(|v| v.name.clone()).unwrap_or_default(),
            organisation: who.and_then(|v| v.organisation.clone()).unwrap_or_default(),
        }
    }

    pub fn projects_base(&self) -> String {
        format!("{}/projects", self.base)
    }

    pub fn may_view_files(&self) -> bool {
        self.viewer.allows(Permission::ViewFiles)
    }

    pub fn may(&self, permission: Permission) -> bool {
        self.preview.is_none() && self.viewer.allows(permission)
    }
}

/// An admin's view of the portal as one contact sees it.
pub async fn preview_of(state: &AppState, admin: &Viewer, contact: &str) -> Result<PortalView, AppError> {
    let contact: UserId = parse_id(contact)?;
    let person = state.app.preview_viewer(admin, contact).await?;
    Ok(PortalView {
        viewer: person.viewer(),
        base: format!("/admin/preview/{contact}"),
        preview: Some(person.name.clone()),
        person: person.name,
        organisation: person.client_org_name.unwrap_or_default(),
    })
}
