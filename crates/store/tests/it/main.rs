//! The store's integration tests: both migration sets give the same schema, and the
//! repositories behave the same on SQLite and PostgreSQL.

mod faults;
mod jobs;
mod schema;
mod tokens;
mod visibility;
