//! Every route of Portico, with who may call it. Each feature lists its own routes; the
//! router is built from their union and each entry's guard is attached here, so a handler
//! cannot be reached around its guard. The authorization-matrix test reads the same table
//! and fails for a route it does not know.

pub use crate::routing::{Access, Route};
use crate::{
    AppState, account, api, assets, audit, auth, clients, dashboards, emails, files, health, invoices, middleware, portal, projects,
    reports, reviews, tasks, users,
};
use axum::Router;
use axum::extract::{Request, State};
use axum::http::header;
use axum::middleware::{Next, from_fn_with_state};
use axum::response::{IntoResponse, Redirect, Response};
use domain::access::Area;
use domain::users::Role;
use tower_http::catch_panic::CatchPanicLayer;

/// The table: every feature's routes.
pub fn route_table() -> Vec<Route> {
    [
        health::routes(),
        assets::routes(),
        auth::routes(),
        account::routes(),
        dashboards::routes(),
        portal::routes(),
        files::routes(),
        reviews::routes(),
        invoices::routes(),
        reports::routes(),
        projects::routes(),
        tasks::routes(),
        clients::routes(),
        users::routes(),
        emails::routes(),
        audit::routes(),
        api::routes(),
    ]
    .into_iter()
    .flatten()
    .collect()
}

pub fn build(state: AppState) -> Router {
    invoices::register_emailed_pdfs(&state);
    let mut router = Router::new();
    for entry in route_table() {
        let guarded = match entry.access {
            Access::Public => entry.handler,
            Access::Area(area) => entry.handler.route_layer(from_fn_with_state(area, require_area)),
            Access::ApiUser => entry
                .handler
                .route_layer(from_fn_with_state((state.clone(), None), crate::api_core::require_token)),
            Access::ApiAdmin => entry.handler.route_layer(from_fn_with_state(
                (state.clone(), Some(Role::Admin)),
                crate::api_core::require_token,
            )),
        };
        router = router.route(entry.path, guarded);
    }
    router
        .fallback(|| async { axum::http::StatusCode::NOT_FOUND })
        .layer(from_fn_with_state(state.clone(), middleware::request_context))
        .layer(CatchPanicLayer::new())
        .with_state(state)
}

/// Lets in a logged-in person whose role admits the area. Anyone else is sent to log in
/// (with a way back), and a person of another role gets the 403 page.
async fn require_area(State(area): State<Area>, request: Request, next: Next) -> Response {
    let viewer = request.extensions().get::<crate::request::Viewer>().and_then(|v| v.0.clone());
    match viewer {
        None => {
            let target = request.uri().path_and_query().map(|p| p.as_str()).unwrap_or("/");
            let next_param: String = crate::views::url_encode(target);
            let mut response = Redirect::to(&format!("/login?next={next_param}")).into_response();
            response
                .headers_mut()
                .insert(header::CACHE_CONTROL, header::HeaderValue::from_static("no-store"));
            response
        }
        Some(viewer) if area.admits(viewer.user.role) => next.run(request).await,
        Some(_) => crate::error::AppError(domain::Error::Forbidden).into_response(),
    }
}
