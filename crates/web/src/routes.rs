//! Every route of Portico, with who may call it. The router is built from this table and
//! each entry's guard is attached here, so a handler cannot be reached around its guard;
//! the authorization-matrix test reads the same table and fails for a route it does not know.

use crate::{
    AppState, account, api, assets, auth, clients, dashboards, emails, files, health, invoices, middleware, portal, projects, reports,
    reviews, tasks, users,
};
use axum::Router;
use axum::extract::{Request, State};
use axum::http::{Method, header};
use axum::middleware::{Next, from_fn_with_state};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{MethodRouter, delete, get, patch, post, put};
use domain::access::Area;
use domain::users::Role;
use tower_http::catch_panic::CatchPanicLayer;

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
    pub path: &'static str,
    pub access: Access,
    handler: MethodRouter<AppState>,
}

fn route(method: Method, path: &'static str, access: Access, handler: MethodRouter<AppState>) -> Route {
    Route {
        method,
        path,
        access,
        handler,
    }
}

/// An upload's route: its body is streamed and limited by the request middleware (per file by
/// the app), so axum's own 2 MB default for extractors is off.
fn upload_route<H, T>(handler: H) -> MethodRouter<AppState>
where
    H: axum::handler::Handler<T, AppState>,
    T: 'static,
{
    post(handler).layer(axum::extract::DefaultBodyLimit::disable())
}

/// The table. Paths use axum's `{param}` syntax.
pub fn route_table() -> Vec<Route> {
    use Access::*;
    use domain::access::Area::{Account, Admin, Portal, Staff, Workspace};
    let (get_, post_) = (Method::GET, Method::POST);
    vec![
        route(get_.clone(), "/healthz", Public, get(health::healthz)),
        route(get_.clone(), "/readyz", Public, get(health::readyz)),
        route(get_.clone(), "/static/{file}", Public, get(assets::static_file)),
        route(get_.clone(), "/brand.css", Public, get(assets::brand_css)),
        route(get_.clone(), "/brand/logo", Public, get(assets::logo)),
        route(get_.clone(), "/favicon.ico", Public, get(assets::favicon)),
        route(get_.clone(), "/", Public, get(auth::root)),
        route(get_.clone(), "/login", Public, get(auth::login_page)),
        route(post_.clone(), "/login", Public, post(auth::login)),
        route(post_.clone(), "/logout", Public, post(auth::logout)),
        route(get_.clone(), "/forgot-password", Public, get(auth::forgot_page)),
        route(post_.clone(), "/forgot-password", Public, post(auth::forgot)),
        route(get_.clone(), "/password/{token}", Public, get(auth::password_page)),
        route(post_.clone(), "/password/{token}", Public, post(auth::set_password)),
        route(get_.clone(), "/account", Area(Account), get(account::page)),
        route(post_.clone(), "/account/password", Area(Account), post(account::change_password)),
        route(post_.clone(), "/account/dates", Area(Account), post(account::set_dates)),
        route(get_.clone(), "/admin", Area(Admin), get(dashboards::admin)),
        route(get_.clone(), "/staff", Area(Staff), get(dashboards::staff)),
        route(get_.clone(), "/portal", Area(Portal), get(portal::dashboard_page)),
        route(get_.clone(), "/portal/projects", Area(Portal), get(portal::projects_page)),
        route(get_.clone(), "/portal/files", Area(Portal), get(files::portal_all_files_page)),
        route(get_.clone(), "/portal/projects/{id}", Area(Portal), get(portal::project_page)),
        route(
            post_.clone(),
            "/portal/projects/{id}/requests",
            Area(Portal),
            post(portal::request_task),
        ),
        route(
            get_.clone(),
            "/portal/projects/{id}/reviews.csv",
            Area(Portal),
            get(reviews::export_csv),
        ),
        route(
            get_.clone(),
            "/portal/projects/{id}/reviews.json",
            Area(Portal),
            get(reviews::export_json),
        ),
        route(
            get_.clone(),
            "/portal/projects/{id}/tasks/{task}",
            Area(Portal),
            get(portal::task_page),
        ),
        route(
            post_.clone(),
            "/portal/projects/{id}/tasks/{task}/comments",
            Area(Portal),
            post(portal::add_comment),
        ),
        route(
            post_.clone(),
            "/portal/projects/{id}/tasks/{task}/review",
            Area(Portal),
            post(portal::decide_review),
        ),
        route(get_.clone(), "/invoices", Area(Workspace), get(invoices::list_page)),
        route(post_.clone(), "/invoices", Area(Workspace), post(invoices::create)),
        route(get_.clone(), "/invoices/new", Area(Workspace), get(invoices::new_page)),
        route(post_.clone(), "/invoices/totals", Area(Workspace), post(invoices::running_total)),
        route(get_.clone(), "/invoices/{invoice}", Area(Workspace), get(invoices::detail_page)),
        route(post_.clone(), "/invoices/{invoice}", Area(Workspace), post(invoices::update)),
        route(get_.clone(), "/invoices/{invoice}/edit", Area(Workspace), get(invoices::edit_page)),
        route(post_.clone(), "/invoices/{invoice}/send", Area(Workspace), post(invoices::send)),
        route(get_.clone(), "/invoices/{invoice}/pdf", Area(Workspace), get(invoices::pdf_page)),
        route(
            get_.clone(),
            "/portal/invoices/{invoice}/pdf",
            Area(Portal),
            get(invoices::portal_pdf),
        ),
        route(post_.clone(), "/invoices/{invoice}/delete", Area(Workspace), post(invoices::delete)),
        route(post_.clone(), "/invoices/{invoice}/void", Area(Workspace), post(invoices::void)),
        route(post_.clone(), "/invoices/{invoice}/credit", Area(Workspace), post(invoices::credit)),
        route(
            post_.clone(),
            "/invoices/{invoice}/payments",
            Area(Workspace),
            post(invoices::record_payment),
        ),
        route(
            post_.clone(),
            "/invoices/{invoice}/refunds",
            Area(Workspace),
            post(invoices::record_refund),
        ),
        route(get_.clone(), "/reports", Area(Workspace), get(reports::page)),
        route(get_.clone(), "/reports/payments", Area(Workspace), get(reports::payments_page)),
        route(get_.clone(), "/reports/csv/{report}", Area(Workspace), get(reports::csv)),
        route(get_.clone(), "/admin/invoicing", Area(Admin), get(invoices::admin_settings_page)),
        route(post_.clone(), "/admin/invoicing", Area(Admin), post(invoices::save_admin_settings)),
        route(post_.clone(), "/admin/tax-rates", Area(Admin), post(invoices::add_tax_rate)),
        route(
            post_.clone(),
            "/admin/tax-rates/{rate}/archive",
            Area(Admin),
            post(invoices::archive_tax_rate),
        ),
        route(post_.clone(), "/admin/users/{id}/finance", Area(Admin), post(users::set_finance)),
        route(get_.clone(), "/portal/invoices", Area(Portal), get(invoices::portal_list_page)),
        route(
            post_.clone(),
            "/portal/invoices/{invoice}/pay",
            Area(Portal),
            post(invoices::pay::pay),
        ),
        route(
            get_.clone(),
            "/portal/invoices/{invoice}/payments/{attempt}",
            Area(Portal),
            get(invoices::pay::return_page),
        ),
        route(post_.clone(), "/webhooks/{gateway}", Public, post(invoices::pay::webhook)),
        route(
            post_.clone(),
            "/admin/invoicing/gateways/{gateway}",
            Area(Admin),
            post(invoices::pay::save_gateway),
        ),
        route(
            get_.clone(),
            "/admin/preview/{contact}/invoices",
            Area(Admin),
            get(invoices::preview_list_page),
        ),
        route(
            get_.clone(),
            "/admin/preview/{contact}/invoices/{invoice}",
            Area(Admin),
            get(invoices::preview_detail_page),
        ),
        route(
            get_.clone(),
            "/portal/invoices/{invoice}",
            Area(Portal),
            get(invoices::portal_detail_page),
        ),
        route(get_.clone(), "/projects", Area(Workspace), get(projects::list_page)),
        route(post_.clone(), "/projects", Area(Workspace), post(projects::create)),
        route(get_.clone(), "/projects/new", Area(Workspace), get(projects::new_page)),
        route(get_.clone(), "/projects/{id}", Area(Workspace), get(projects::overview_page)),
        route(post_.clone(), "/projects/{id}", Area(Workspace), post(projects::update)),
        route(get_.clone(), "/projects/{id}/edit", Area(Workspace), get(projects::edit_page)),
        route(post_.clone(), "/projects/{id}/archive", Area(Workspace), post(projects::archive)),
        route(
            post_.clone(),
            "/projects/{id}/milestones",
            Area(Workspace),
            post(projects::create_milestone),
        ),
        route(
            post_.clone(),
            "/projects/{id}/milestones/{milestone}",
            Area(Workspace),
            post(projects::update_milestone),
        ),
        route(post_.clone(), "/projects/{id}/columns", Area(Workspace), post(projects::add_column)),
        route(
            post_.clone(),
            "/projects/{id}/columns/{column}",
            Area(Workspace),
            post(projects::change_column),
        ),
        route(
            get_.clone(),
            "/projects/{id}/reviews.csv",
            Area(Workspace),
            get(reviews::export_csv),
        ),
        route(
            get_.clone(),
            "/projects/{id}/reviews.json",
            Area(Workspace),
            get(reviews::export_json),
        ),
        route(get_.clone(), "/projects/{id}/files", Area(Workspace), get(files::files_page)),
        route(post_.clone(), "/projects/{id}/files", Area(Workspace), upload_route(files::upload)),
        route(post_.clone(), "/projects/{id}/folders", Area(Workspace), post(files::create_folder)),
        route(
            get_.clone(),
            "/projects/{id}/files/{file}/download",
            Area(Workspace),
            get(files::download),
        ),
        route(
            post_.clone(),
            "/projects/{id}/files/{file}/visibility",
            Area(Workspace),
            post(files::set_visibility),
        ),
        route(
            post_.clone(),
            "/projects/{id}/files/{file}/delete",
            Area(Workspace),
            post(files::delete),
        ),
        route(get_.clone(), "/projects/{id}/files/trash", Area(Workspace), get(files::trash_page)),
        route(post_.clone(), "/projects/{id}/files/quota", Area(Workspace), post(files::set_quota)),
        route(
            get_.clone(),
            "/projects/{id}/files/{file}/thumbnail",
            Area(Workspace),
            get(files::thumbnail),
        ),
        route(
            get_.clone(),
            "/portal/projects/{id}/files/{file}/thumbnail",
            Area(Portal),
            get(files::thumbnail),
        ),
        route(
            get_.clone(),
            "/projects/{id}/files/{file}",
            Area(Workspace),
            get(files::detail_page),
        ),
        route(post_.clone(), "/projects/{id}/files/{file}", Area(Workspace), post(files::update)),
        route(
            post_.clone(),
            "/projects/{id}/folders/{folder}",
            Area(Workspace),
            post(files::update_folder),
        ),
        route(
            post_.clone(),
            "/projects/{id}/files/{file}/restore",
            Area(Workspace),
            post(files::restore),
        ),
        route(get_.clone(), "/admin/emails", Area(Admin), get(emails::undelivered_page)),
        route(post_.clone(), "/admin/emails/retry", Area(Admin), post(emails::retry)),
        route(get_.clone(), "/admin/media", Area(Admin), get(files::media)),
        route(post_.clone(), "/admin/media/orphans", Area(Admin), post(files::check_orphans)),
        route(post_.clone(), "/admin/media/cleanup", Area(Admin), post(files::clean_orphans)),
        route(
            post_.clone(),
            "/projects/{id}/tasks/{task}/attachments",
            Area(Workspace),
            upload_route(files::attach),
        ),
        route(
            post_.clone(),
            "/portal/projects/{id}/tasks/{task}/attachments",
            Area(Portal),
            upload_route(files::attach),
        ),
        route(
            get_.clone(),
            "/portal/projects/{id}/files",
            Area(Portal),
            get(files::portal_files_page),
        ),
        route(
            post_.clone(),
            "/portal/projects/{id}/files",
            Area(Portal),
            upload_route(files::portal_upload),
        ),
        route(
            get_.clone(),
            "/portal/projects/{id}/files/{file}",
            Area(Portal),
            get(files::portal_file_page),
        ),
        route(
            get_.clone(),
            "/portal/projects/{id}/files/{file}/download",
            Area(Portal),
            get(files::download),
        ),
        route(
            post_.clone(),
            "/portal/projects/{id}/files/{file}/delete",
            Area(Portal),
            post(files::delete),
        ),
        route(get_.clone(), "/projects/{id}/board", Area(Workspace), get(tasks::board_page)),
        route(get_.clone(), "/projects/{id}/tasks", Area(Workspace), get(tasks::list_page)),
        route(post_.clone(), "/projects/{id}/tasks", Area(Workspace), post(tasks::create)),
        route(get_.clone(), "/projects/{id}/tasks/new", Area(Workspace), get(tasks::new_page)),
        route(
            get_.clone(),
            "/projects/{id}/tasks/{task}",
            Area(Workspace),
            get(tasks::detail_page),
        ),
        route(post_.clone(), "/projects/{id}/tasks/{task}", Area(Workspace), post(tasks::update)),
        route(
            post_.clone(),
            "/projects/{id}/tasks/{task}/move",
            Area(Workspace),
            post(tasks::move_task),
        ),
        route(
            post_.clone(),
            "/projects/{id}/tasks/{task}/visibility",
            Area(Workspace),
            post(tasks::set_visibility),
        ),
        route(
            post_.clone(),
            "/projects/{id}/tasks/{task}/submit-review",
            Area(Workspace),
            post(tasks::submit_review),
        ),
        route(
            post_.clone(),
            "/projects/{id}/tasks/{task}/archive",
            Area(Workspace),
            post(tasks::archive),
        ),
        route(
            post_.clone(),
            "/projects/{id}/tasks/{task}/comments",
            Area(Workspace),
            post(tasks::add_comment),
        ),
        route(
            post_.clone(),
            "/projects/{id}/tasks/{task}/comments/{comment}",
            Area(Workspace),
            post(tasks::change_comment),
        ),
        route(get_.clone(), "/admin/clients", Area(Admin), get(clients::list_page)),
        route(post_.clone(), "/admin/clients", Area(Admin), post(clients::create)),
        route(get_.clone(), "/admin/clients/new", Area(Admin), get(clients::new_page)),
        route(get_.clone(), "/admin/clients/{id}", Area(Admin), get(clients::detail_page)),
        route(post_.clone(), "/admin/clients/{id}", Area(Admin), post(clients::update)),
        route(post_.clone(), "/admin/clients/{id}/archive", Area(Admin), post(clients::archive)),
        route(
            post_.clone(),
            "/admin/clients/{id}/contacts",
            Area(Admin),
            post(clients::add_contact),
        ),
        route(
            post_.clone(),
            "/admin/clients/{id}/contacts/{contact}",
            Area(Admin),
            post(clients::change_contact),
        ),
        route(get_.clone(), "/admin/projects/{id}/visibility", Area(Admin), get(clients::why_page)),
        route(
            get_.clone(),
            "/admin/preview/{contact}",
            Area(Admin),
            get(portal::preview_dashboard),
        ),
        route(
            get_.clone(),
            "/admin/preview/{contact}/projects/{id}",
            Area(Admin),
            get(portal::preview_project),
        ),
        route(
            get_.clone(),
            "/admin/preview/{contact}/projects/{id}/files",
            Area(Admin),
            get(files::preview_files),
        ),
        route(
            get_.clone(),
            "/admin/preview/{contact}/projects/{id}/tasks/{task}",
            Area(Admin),
            get(portal::preview_task),
        ),
        route(get_.clone(), "/admin/users", Area(Admin), get(users::list_page)),
        route(post_.clone(), "/admin/users", Area(Admin), post(users::create)),
        route(get_.clone(), "/admin/users/new", Area(Admin), get(users::new_page)),
        route(get_.clone(), "/admin/users/{id}", Area(Admin), get(users::detail_page)),
        route(post_.clone(), "/admin/users/{id}", Area(Admin), post(users::update)),
        route(post_.clone(), "/admin/users/{id}/deactivate", Area(Admin), post(users::deactivate)),
        route(post_.clone(), "/admin/users/{id}/reactivate", Area(Admin), post(users::reactivate)),
        route(
            post_.clone(),
            "/admin/users/{id}/invite",
            Area(Admin),
            post(users::resend_invitation),
        ),
        route(get_.clone(), "/api/v1/openapi.json", Public, get(api::openapi_json)),
        route(get_.clone(), "/api/v1/me", ApiUser, get(api::me)),
        route(get_.clone(), "/api/v1/dashboard", ApiUser, get(projects::api::dashboard)),
        route(get_.clone(), "/api/v1/activity", ApiUser, get(projects::api::activity)),
        route(get_.clone(), "/api/v1/invoices", ApiUser, get(invoices::api::list)),
        route(post_.clone(), "/api/v1/invoices", ApiUser, post(invoices::api::create)),
        route(get_.clone(), "/api/v1/invoices/{invoice}", ApiUser, get(invoices::api::get)),
        route(Method::PUT, "/api/v1/invoices/{invoice}", ApiUser, put(invoices::api::update)),
        route(Method::DELETE, "/api/v1/invoices/{invoice}", ApiUser, delete(invoices::api::delete)),
        route(post_.clone(), "/api/v1/invoices/{invoice}/send", ApiUser, post(invoices::api::send)),
        route(post_.clone(), "/api/v1/invoices/{invoice}/void", ApiUser, post(invoices::api::void)),
        route(
            post_.clone(),
            "/api/v1/invoices/{invoice}/payments",
            ApiUser,
            post(invoices::api::record_payment),
        ),
        route(get_.clone(), "/api/v1/projects", ApiUser, get(projects::api::list)),
        route(post_.clone(), "/api/v1/projects", ApiUser, post(projects::api::create)),
        route(get_.clone(), "/api/v1/projects/{id}", ApiUser, get(projects::api::get)),
        route(Method::PATCH, "/api/v1/projects/{id}", ApiUser, patch(projects::api::update)),
        route(
            get_.clone(),
            "/api/v1/projects/{id}/milestones",
            ApiUser,
            get(projects::api::milestones),
        ),
        route(
            post_.clone(),
            "/api/v1/projects/{id}/milestones",
            ApiUser,
            post(projects::api::create_milestone),
        ),
        route(
            post_.clone(),
            "/api/v1/projects/{id}/requests",
            ApiUser,
            post(tasks::api::request_task),
        ),
        route(
            get_.clone(),
            "/api/v1/projects/{id}/visibility",
            ApiAdmin,
            get(clients::api::explain),
        ),
        route(get_.clone(), "/api/v1/projects/{id}/tasks", ApiUser, get(tasks::api::list)),
        route(post_.clone(), "/api/v1/projects/{id}/tasks", ApiUser, post(tasks::api::create)),
        route(get_.clone(), "/api/v1/projects/{id}/tasks/{task}", ApiUser, get(tasks::api::get)),
        route(
            Method::PATCH,
            "/api/v1/projects/{id}/tasks/{task}",
            ApiUser,
            patch(tasks::api::update),
        ),
        route(
            post_.clone(),
            "/api/v1/projects/{id}/tasks/{task}/move",
            ApiUser,
            post(tasks::api::move_task),
        ),
        route(
            get_.clone(),
            "/api/v1/projects/{id}/tasks/{task}/comments",
            ApiUser,
            get(tasks::api::comments),
        ),
        route(
            post_.clone(),
            "/api/v1/projects/{id}/tasks/{task}/comments",
            ApiUser,
            post(tasks::api::add_comment),
        ),
        route(
            get_.clone(),
            "/api/v1/projects/{id}/tasks/{task}/reviews",
            ApiUser,
            get(tasks::api::reviews),
        ),
        route(
            post_.clone(),
            "/api/v1/projects/{id}/tasks/{task}/reviews",
            ApiUser,
            post(tasks::api::review),
        ),
        route(get_.clone(), "/api/v1/projects/{id}/files", ApiUser, get(files::api::list)),
        route(
            post_.clone(),
            "/api/v1/projects/{id}/files",
            ApiUser,
            upload_route(files::api::upload),
        ),
        route(get_.clone(), "/api/v1/projects/{id}/files/{file}", ApiUser, get(files::api::get)),
        route(
            Method::PATCH,
            "/api/v1/projects/{id}/files/{file}",
            ApiUser,
            patch(files::api::update),
        ),
        route(
            Method::DELETE,
            "/api/v1/projects/{id}/files/{file}",
            ApiUser,
            delete(files::api::delete),
        ),
        route(
            get_.clone(),
            "/api/v1/projects/{id}/files/{file}/content",
            ApiUser,
            get(files::api::content),
        ),
        route(get_.clone(), "/api/v1/clients", ApiAdmin, get(clients::api::list)),
        route(post_.clone(), "/api/v1/clients", ApiAdmin, post(clients::api::create)),
        route(get_.clone(), "/api/v1/clients/{id}", ApiAdmin, get(clients::api::get)),
        route(Method::PATCH, "/api/v1/clients/{id}", ApiAdmin, patch(clients::api::update)),
        route(
            post_.clone(),
            "/api/v1/clients/{id}/contacts",
            ApiAdmin,
            post(clients::api::add_contact),
        ),
        route(get_.clone(), "/api/v1/users", ApiAdmin, get(users::api_list)),
        route(post_.clone(), "/api/v1/users", ApiAdmin, post(users::api_create)),
        route(get_.clone(), "/api/v1/users/{id}", ApiAdmin, get(users::api_get)),
        route(
            Method::PATCH,
            "/api/v1/users/{id}",
            ApiAdmin,
            axum::routing::patch(users::api_update),
        ),
        route(
            post_.clone(),
            "/api/v1/users/{id}/deactivate",
            ApiAdmin,
            post(users::api_deactivate),
        ),
        route(post_, "/api/v1/users/{id}/reactivate", ApiAdmin, post(users::api_reactivate)),
    ]
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
            let next_param: String = url_encode(target);
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

pub fn url_encode(text: &str) -> String {
    percent_encoding::utf8_percent_encode(text, percent_encoding::NON_ALPHANUMERIC).to_string()
}
