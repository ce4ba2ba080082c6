//! The visibility policy of `domain::access`, stated as SQL. A scoped query binds the viewer's
//! [`Scope::subject`] as `$1` and [`Scope::permissions`] as `$2`, and puts one of these
//! predicates in its `WHERE`: the database returns only what the viewer may see, so lists,
//! counts, feeds and exports are filtered by the same rule (a differential test checks these
//! predicates against the pure policy on random data).
//!
//! Table aliases are fixed by convention: `t` for tasks, `m` for milestones, `c` for comments,
//! `f` for files, `v` for conversations;
//! project predicates take the column that holds the project id.

use domain::access::{PROJECT_PERMISSIONS, Permission, Viewer};
use uuid::Uuid;

#[derive(Clone, Copy, Debug)]
pub struct Scope {
    viewer: Viewer,
}

impl Scope {
    pub fn new(viewer: &Viewer) -> Self {
        Self { viewer: *viewer }
    }

    pub fn viewer(&self) -> &Viewer {
        &self.viewer
    }

    /// `$1`: the staff member's id, the client's organisation id, or NULL for an admin.
    pub fn subject(&self) -> Option<Uuid> {
        match self.viewer {
            Viewer::Admin(_) => None,
            Viewer::Staff { id, .. } => Some(id.0),
            Viewer::Client { org, .. } => Some(org.0),
        }
    }

    /// The viewer's own id, for the predicates that need the person rather than their
    /// organisation (a conversation's participants); bound where the query says.
    pub fn person(&self) -> Uuid {
        self.viewer.user_id().0
    }

    /// `$2`: the effective permission bits: all of them for admins, all but the financial
    /// ones for staff without the finance permission.
    pub fn permissions(&self) -> i64 {
        match self.viewer {
            Viewer::Client { permissions, .. } => permissions.effective().bits(),
            _ => Permission::ALL.iter().filter(|p| self.viewer.allows(**p)).map(|p| p.bit()).sum(),
        }
    }

    /// Projects the viewer sees, as a condition on the column holding a project id.
    pub fn projects(&self, project_id: &str) -> String {
        let any_project_permission: i64 = PROJECT_PERMISSIONS.iter().map(|p| p.bit()).sum();
        let membership = match self.viewer {
            Viewer::Admin(_) => "$1 IS NULL".to_owned(),
            Viewer::Staff { .. } => format!("{project_id} IN (SELECT ps.project_id FROM project_staff ps WHERE ps.user_id = $1)"),
            Viewer::Client { .. } => format!(
                "{project_id} IN (SELECT pc.project_id FROM project_clients pc JOIN projects pa ON pa.id = pc.project_id \
                 WHERE pc.client_org_id = $1 AND pa.archived_at IS NULL)"
            ),
        };
        format!("{membership} AND ($2 & {any_project_permission}) <> 0")
    }

    /// Tasks (alias `t`) the viewer sees.
    pub fn tasks(&self) -> String {
        let mut sql = format!("{} AND {}", self.projects("t.project_id"), permission(Permission::ViewTasks));
        if self.viewer.is_client() {
            sql.push_str(" AND t.client_visible AND t.archived_at IS NULL");
        }
        sql
    }

    /// Review rounds (alias `r`, of a task joined as `t`) the viewer sees: for a client, those
    /// addressed to their organisation on a task they see.
    pub fn reviews(&self) -> String {
        let mut sql = self.tasks();
        if self.viewer.is_client() {
            sql.push_str(" AND r.client_org_id = $1");
        }
        sql
    }

    /// The review state of a task (alias `t`) as the viewer may see it: a client sees the
    /// state of a review addressed to their organisation, and no review otherwise.
    pub fn review_state(&self) -> &'static str {
        if self.viewer.is_client() {
            "CASE WHEN t.review_org_id = $1 THEN t.review_state END"
        } else {
            "t.review_state"
        }
    }

    /// Tasks (alias `t`) waiting for the viewer's side of a review: every pending review for
    /// staff, those addressed to their organisation for a client. Written on the column itself
    /// (not on [`Scope::review_state`]) so the partial index of pending reviews serves it.
    pub fn review_pending(&self) -> &'static str {
        if self.viewer.is_client() {
            "t.review_state = 'pending' AND t.review_org_id = $1"
        } else {
            "t.review_state = 'pending'"
        }
    }

    /// Milestones (alias `m`) the viewer sees.
    pub fn milestones(&self) -> String {
        let mut sql = format!("{} AND {}", self.projects("m.project_id"), permission(Permission::ViewMilestones));
        if self.viewer.is_client() {
            sql.push_str(" AND m.client_visible");
        }
        sql
    }

    /// Comments (alias `c`, on a task joined as `t`) the viewer sees: on a visible task, not
    /// internal, and not written by another client organisation.
    pub fn comments(&self) -> String {
        let mut sql = self.tasks();
        if self.viewer.is_client() {
            sql.push_str(" AND NOT c.internal AND (c.author_org_id IS NULL OR c.author_org_id = $1)");
        }
        sql
    }

    /// Files (alias `f`) the viewer sees, outside the trash: for a client, shared files and
    /// their own organisation's uploads, and attachments only of tasks they see.
    pub fn files(&self) -> String {
        let mut sql = format!("{} AND f.deleted_at IS NULL", self.projects("f.project_id"));
        if self.viewer.is_client() {
            sql.push_str(&format!(
                " AND {files} AND (f.client_visible OR f.uploader_org_id = $1) \
                 AND (f.task_id IS NULL OR EXISTS (SELECT 1 FROM tasks ft WHERE ft.id = f.task_id \
                      AND ft.client_visible AND ft.archived_at IS NULL AND {tasks}))",
                files = permission(Permission::ViewFiles),
                tasks = permission(Permission::ViewTasks),
            ));
        }
        sql
    }

    /// Conversations (alias `v`) the viewer sees, `person` naming the placeholder bound to
    /// [`Scope::person`]: admins every one; staff the discussions of their projects and the
    /// conversations they take part in; a contact, with "use messages", their organisation's
    /// conversations they take part in, and a discussion only while its project is visible.
    pub fn conversations(&self, person: &str) -> String {
        let participant = format!("v.id IN (SELECT cp.conversation_id FROM conversation_participants cp WHERE cp.user_id = {person})");
        match self.viewer {
            Viewer::Admin(_) => "$1 IS NULL".to_owned(),
            Viewer::Staff { .. } => format!("({participant} OR (v.kind = 'discussion' AND {}))", self.projects("v.project_id")),
            Viewer::Client { .. } => format!(
                "v.client_org_id = $1 AND {} AND {participant} AND (v.kind <> 'discussion' OR {})",
                permission(Permission::UseMessages),
                self.projects("v.project_id")
            ),
        }
    }

    /// Invoices and credit notes (alias `i`) the viewer sees: admins and finance staff all of
    /// them; a client with the invoice permission those addressed to their organisation,
    /// once sent.
    pub fn invoices(&self) -> String {
        let mut sql = permission(Permission::ViewInvoices);
        if self.viewer.is_client() {
            sql.push_str(" AND i.client_org_id = $1 AND i.status <> 'draft'");
        } else {
            // Every scoped query binds `$1`; PostgreSQL refuses a bound parameter left unused.
            sql.push_str(" AND ($1 IS NULL OR $1 IS NOT NULL)");
        }
        sql
    }
}

impl Scope {
    /// People (alias given) whose names and actions the viewer may see: a client never learns
    /// of another client organisation's contacts, even on a shared project.
    pub fn people(&self, user: &str) -> String {
        if self.viewer.is_client() {
            format!("({user}.client_org_id IS NULL OR {user}.client_org_id = $1)")
        } else {
            "TRUE".to_owned()
        }
    }
}

fn permission(permission: Permission) -> String {
    format!("($2 & {bit}) <> 0", bit = permission.bit())
}

/// `$first, $first+1, …` for an `IN (…)` list of `count` values.
pub fn placeholders(first: usize, count: usize) -> String {
    (first..first + count).map(|n| format!("${n}")).collect::<Vec<_>>().join(", ")
}
