//! The web face of Portico: server-rendered HTML for the admin panel, the staff panel and
//! the client portal, and the JSON API under `/api/v1`. Every route is declared once in
//! [`routes::route_table`] together with who may call it; the guard for that access is
//! attached there, so no handler can forget it.

pub mod account;
pub mod api;
pub mod api_core;
pub mod assets;
pub mod auth;
pub mod clients;
pub mod context;
pub mod dashboards;
pub mod emails;
pub mod error;
pub mod files;
pub mod forms;
pub mod health;
pub mod invoices;
pub mod middleware;
pub mod portal;
pub mod projects;
pub mod reports;
pub mod request;
pub mod reviews;
pub mod routes;
pub mod server;
pub mod tasks;
pub mod users;
pub mod views;

use app::App;
use axum::Router;
use std::sync::Arc;

/// How the web layer behaves, from configuration.
#[derive(Clone, Debug)]
pub struct WebConfig {
    /// Cookies get `Secure` and the `__Host-` prefix (set when the public URL is https).
    pub secure_cookies: bool,
    /// Take the client's address from `X-Forwarded-For` (only behind a trusted proxy).
    pub trust_proxy: bool,
    /// An image file for the logo, or none for the product name as a wordmark.
    pub logo: Option<Logo>,
    /// The invoice PDF typesetter, made on first use.
    pub pdf: invoices::PdfRenderer,
}

#[derive(Clone, Debug)]
pub struct Logo {
    pub bytes: Arc<Vec<u8>>,
    pub content_type: String,
}

/// Shared by every handler.
#[derive(Clone)]
pub struct AppState {
    pub app: App,
    pub web: Arc<WebConfig>,
}

/// The whole application as one router.
pub fn router(state: AppState) -> Router {
    routes::build(state)
}

pub use server::{BodyRate, ServeOptions, Stopped, serve};
