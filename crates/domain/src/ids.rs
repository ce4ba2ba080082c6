//! Typed identifiers. Every id is a UUID v7 (time-ordered, so indexes stay compact), wrapped
//! in its own type so that a user id can never be passed where an organisation id belongs.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;
use uuid::Uuid;

macro_rules! id_type {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub Uuid);

        impl $name {
            /// A fresh, time-ordered id.
            pub fn new() -> Self {
                Self(Uuid::now_v7())
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        impl FromStr for $name {
            type Err = uuid::Error;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Uuid::parse_str(s).map(Self)
            }
        }

        impl From<Uuid> for $name {
            fn from(id: Uuid) -> Self {
                Self(id)
            }
        }

        #[cfg(feature = "sqlx")]
        crate::stored::stored_as_uuid!($name);
    };
}

id_type!(
    /// A person who can log in: admin, staff member or client contact.
    UserId
);
id_type!(
    /// A client organisation (a CRM record whose contacts use the portal).
    ClientOrgId
);
id_type!(
    /// A project, run by staff and shared with one or more client organisations.
    ProjectId
);
id_type!(
    /// A column of a project's Kanban board; a task's status is the column it is in.
    ColumnId
);
id_type!(
    /// A task of a project.
    TaskId
);
id_type!(
    /// A comment on a task.
    CommentId
);
id_type!(
    /// A milestone of a project.
    MilestoneId
);
id_type!(
    /// One round of client review on a task: a submission and, later, its decision.
    ReviewRoundId
);
id_type!(
    /// An entry of a project's activity feed.
    ActivityId
);
id_type!(
    /// A folder of project files.
    FolderId
);
id_type!(
    /// A project file or task attachment (all its versions).
    FileId
);
id_type!(
    /// One uploaded version of a file.
    FileVersionId
);
id_type!(
    /// A personal access token for the API.
    ApiTokenId
);
id_type!(
    /// A queued side effect in the outbox.
    JobId
);
id_type!(
    /// An invoice or a credit note.
    InvoiceId
);
id_type!(
    /// A payment or a refund recorded against an invoice.
    PaymentId
);
id_type!(
    /// A named tax rate offered when writing invoices.
    TaxRateId
);
id_type!(
    /// A Pay Now started at a payment gateway.
    PaymentAttemptId
);
id_type!(
    /// A conversation: a project discussion, a direct message thread or a group chat.
    ConversationId
);
id_type!(
    /// A message in a conversation.
    MessageId
);
