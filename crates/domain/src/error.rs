//! The one error type of Portico. Every layer converts its failures into it; the web layer
//! gives it two faces: an HTML page (with a request id) and a JSON problem body with a stable
//! code. Internal details never reach a user: `Internal` carries them only for the log.

use std::time::Duration;

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[derive(Debug, PartialEq, thiserror::Error)]
pub enum Error {
    /// The input was refused; `field` names the offending form field or JSON property.
    #[error("{message}")]
    Invalid { field: &'static str, message: String },
    /// The thing does not exist, or the viewer may not know that it exists.
    #[error("not found")]
    NotFound,
    /// Logged in, but this is not for this role.
    #[error("you do not have access to this page")]
    Forbidden,
    /// Not logged in, or the credentials were wrong.
    #[error("{0}")]
    Unauthenticated(&'static str),
    /// The change conflicts with existing data (a duplicate email, say).
    #[error("{message}")]
    Conflict { field: &'static str, message: String },
    /// Too many attempts; try again after the given time.
    #[error("too many attempts; try again in {} seconds", retry_after.as_secs().max(1))]
    RateLimited { retry_after: Duration },
    /// A dependency (the database) is unavailable; the request may succeed later.
    #[error("the service is temporarily unavailable")]
    Unavailable(String),
    /// The server's disk (or the database's) is full: nothing was saved. The text names what
    /// was full, for the log; the person is told the disk is full and that nothing was saved.
    #[error("the server's disk is full")]
    StorageFull(String),
    /// A bug or an unexpected failure. The text is logged, never shown.
    #[error("internal error")]
    Internal(String),
}

impl Error {
    pub fn invalid(field: &'static str, message: impl Into<String>) -> Self {
        Self::Invalid {
            field,
            message: message.into(),
        }
    }

    pub fn conflict(field: &'static str, message: impl Into<String>) -> Self {
        Self::Conflict {
            field,
            message: message.into(),
        }
    }

    pub fn internal(detail: impl std::fmt::Display) -> Self {
        Self::Internal(detail.to_string())
    }

    /// A stable machine-readable code for API clients.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Invalid { .. } => "invalid_input",
            Self::NotFound => "not_found",
            Self::Forbidden => "forbidden",
            Self::Unauthenticated(_) => "unauthenticated",
            Self::Conflict { .. } => "conflict",
            Self::RateLimited { .. } => "rate_limited",
            Self::Unavailable(_) => "unavailable",
            Self::StorageFull(_) => "storage_full",
            Self::Internal(_) => "internal",
        }
    }

    /// What went wrong inside, for the log and for operators: the cause of an outage, a full
    /// disk or a bug. `None` for expected errors, whose message says it all.
    pub fn detail(&self) -> Option<&str> {
        match self {
            Self::Unavailable(detail) | Self::StorageFull(detail) | Self::Internal(detail) => Some(detail),
            _ => None,
        }
    }

    /// The field this error is about, for forms and problem bodies.
    pub fn field(&self) -> Option<&'static str> {
        match self {
            Self::Invalid { field, .. } | Self::Conflict { field, .. } => Some(field),
            _ => None,
        }
    }
}
