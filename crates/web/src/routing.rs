//! What a route is: a method, a path, who may call it and its handler. Each feature lists its
//! own routes with [`route`] and [`upload_route`]; `routes` gathers them into the router and
//! attaches each route's guard. A leaf module.

use crate::AppState;
use axum::handler::Handler;
use axum::http::Method;
use axum::routing::{MethodFilter, MethodRouter, on};
use domain::access::Area;

/// Who may call a route.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    /// Anyone, logged in or not.
    Public,
    /// A logged-in person whose role admits the area (a session cookie).
    Area(Area),
    /// Any active person with an API token.
    ApiUser,
    /// An admin with an API token.
    ApiAdmin,
}

pub struct Route {
    pub method: Method,
    /// In axum's `{param}` syntax.
    pub path: &'static str,
    pub access: Access,
    pub(crate) handler: MethodRouter<AppState>,
}

/// A route whose handler answers `method` on `path`.
pub fn route<H, T>(method: Method, path: &'static str, access: Access, handler: H) -> Route
where
    H: Handler<T, AppState>,
    T: 'static,
{
    let filter = MethodFilter::try_from(method.clone()).unwrap_or_else(|_| panic!("no method filter for {method}"));
    Route {
        method,
        path,
        access,
        handler: on(filter, handler),
    }
}

/// An upload's route (a POST): its body is streamed and limited by the request middleware
/// (per file by the app), so axum's own 2 MB default for extractors is off.
pub fn upload_route<H, T>(path: &'static str, access: Access, handler: H) -> Route
where
    H: Handler<T, AppState>,
    T: 'static,
{
    let mut upload = route(Method::POST, path, access, handler);
    upload.handler = upload.handler.layer(axum::extract::DefaultBodyLimit::disable());
    upload
}
