//! The web crate's integration tests: the real application over HTTP, on SQLite and
//! PostgreSQL, with a real SMTP server (and Chromium for the browser suite).

mod api;
mod api_counterparts;
mod api_coverage;
mod architecture;
mod auth;
mod bad_input;
mod browser;
mod conversations;
mod dates;
mod demo;
mod faults;
mod files;
mod invoices;
mod matrix;
mod nodes;
mod outbox;
mod pay_now;
mod peers;
mod projects;
mod security;
mod smtp;
mod support;
mod users;
