//! Pure types and rules of Portico: ids, roles, validated values, the access policy and the
//! one error type. No IO, no async, no database: everything here is testable in isolation.

pub mod access;
pub mod activity;
pub mod auth;
pub mod clients;
pub mod comments;
pub mod conversations;
pub mod dates;
pub mod error;
pub mod files;
pub mod ids;
pub mod invoices;
pub mod milestones;
pub mod money;
pub mod payments;
pub mod projects;
pub mod reviews;
#[cfg(feature = "sqlx")]
mod stored;
pub mod tasks;
pub mod text;
pub mod users;

pub use error::{Error, Result};
