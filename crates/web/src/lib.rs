//! The web face of Portico: server-rendered HTML for the admin panel, the staff panel and
//! the client portal, and the JSON API under `/api/v1`. Every route is declared once in
//! [`routes::route_table`] together with who may call it; the guard for that access is
//! attached there, so no handler can forget it.

mod account;
pub mod api;
mod api_core;
mod assets;
mod audit;
mod auth;
mod clients;
mod context;
mod dashboards;
mod emails;
mod error;
mod files;
mod forms;
mod health;
mod invoices;
mod middleware;
mod portal;
mod projects;
mod reports;
mod request;
mod reviews;
pub mod routes;
mod routing;
mod server;
mod tasks;
mod users;
mod views;

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
    pub pdf: PdfRenderer,
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

pub use invoices::PdfRenderer;
pub use server::{BodyRate, ServeOptions, Stopped, serve};
