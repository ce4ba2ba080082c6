//! Everything the web interface does, the API does too: each page route is listed with the API
//! operation that offers the same capability, or as a deliberate exception with its reason.
//! A new page route without an entry fails the test, as does an entry naming an API operation
//! the router or the OpenAPI document does not have.

use std::collections::BTreeSet;
use web::routes::{Access, route_table};

enum Counterpart {
    /// The API operation (method, path) that does what the page route does.
    Api(&'static str, &'static str),
    /// No API operation, and why.
    Exception(&'static str),
}
use Counterpart::{Api, Exception};

const FORM: &str = "a page holding an empty form; the API takes the body directly";

const COUNTERPARTS: &[(&str, &str, Counterpart)] = &[
    ("GET", "/account", Api("GET", "/api/v1/me")),
    (
        "POST",
        "/account/password",
        Exception("a password protects the session; a token must not change the secret that guards sign-in (issue 16 adds second factors)"),
    ),
    ("POST", "/account/dates", Api("PATCH", "/api/v1/me")),
    ("GET", "/admin", Api("GET", "/api/v1/dashboard")),
    ("GET", "/staff", Api("GET", "/api/v1/dashboard")),
    ("GET", "/portal", Api("GET", "/api/v1/dashboard")),
    ("GET", "/portal/projects", Api("GET", "/api/v1/projects")),
    (
        "GET",
        "/portal/files",
        Exception("joins each project's newest files for browsing; the API lists them per project (GET /api/v1/projects/{id}/files)"),
    ),
    ("GET", "/portal/projects/{id}", Api("GET", "/api/v1/projects/{id}")),
    (
        "POST",
        "/portal/projects/{id}/requests",
        Api("POST", "/api/v1/projects/{id}/requests"),
    ),
    (
        "GET",
        "/portal/projects/{id}/reviews.csv",
        Api("GET", "/api/v1/projects/{id}/reviews"),
    ),
    (
        "GET",
        "/portal/projects/{id}/reviews.json",
        Api("GET", "/api/v1/projects/{id}/reviews"),
    ),
    (
        "GET",
        "/portal/projects/{id}/tasks/{task}",
        Api("GET", "/api/v1/projects/{id}/tasks/{task}"),
    ),
    (
        "POST",
        "/portal/projects/{id}/tasks/{task}/comments",
        Api("POST", "/api/v1/projects/{id}/tasks/{task}/comments"),
    ),
    (
        "POST",
        "/portal/projects/{id}/tasks/{task}/review",
        Api("POST", "/api/v1/projects/{id}/tasks/{task}/reviews"),
    ),
    ("GET", "/invoices", Api("GET", "/api/v1/invoices")),
    ("POST", "/invoices", Api("POST", "/api/v1/invoices")),
    ("GET", "/invoices/new", Exception(FORM)),
    (
        "POST",
        "/invoices/totals",
        Exception("the editor's running total while typing; creating or updating a draft answers its totals"),
    ),
    ("GET", "/invoices/{invoice}", Api("GET", "/api/v1/invoices/{invoice}")),
    ("POST", "/invoices/{invoice}", Api("PUT", "/api/v1/invoices/{invoice}")),
    ("GET", "/invoices/{invoice}/edit", Exception(FORM)),
    ("POST", "/invoices/{invoice}/send", Api("POST", "/api/v1/invoices/{invoice}/send")),
    ("GET", "/invoices/{invoice}/pdf", Api("GET", "/api/v1/invoices/{invoice}/pdf")),
    (
        "GET",
        "/portal/invoices/{invoice}/pdf",
        Api("GET", "/api/v1/invoices/{invoice}/pdf"),
    ),
    ("POST", "/invoices/{invoice}/delete", Api("DELETE", "/api/v1/invoices/{invoice}")),
    ("POST", "/invoices/{invoice}/void", Api("POST", "/api/v1/invoices/{invoice}/void")),
    (
        "POST",
        "/invoices/{invoice}/credit",
        Api("POST", "/api/v1/invoices/{invoice}/credit"),
    ),
    (
        "POST",
        "/invoices/{invoice}/payments",
        Api("POST", "/api/v1/invoices/{invoice}/payments"),
    ),
    (
        "POST",
        "/invoices/{invoice}/refunds",
        Api("POST", "/api/v1/invoices/{invoice}/refunds"),
    ),
    ("GET", "/reports", Api("GET", "/api/v1/reports/financial")),
    ("GET", "/reports/payments", Api("GET", "/api/v1/reports/payments")),
    ("GET", "/reports/csv/{report}", Api("GET", "/api/v1/reports/financial")),
    ("GET", "/admin/invoicing", Api("GET", "/api/v1/settings/invoicing")),
    ("POST", "/admin/invoicing", Api("PUT", "/api/v1/settings/invoicing")),
    ("POST", "/admin/tax-rates", Api("POST", "/api/v1/tax-rates")),
    (
        "POST",
        "/admin/tax-rates/{rate}/archive",
        Api("POST", "/api/v1/tax-rates/{rate}/archive"),
    ),
    ("POST", "/admin/users/{id}/finance", Api("PATCH", "/api/v1/users/{id}")),
    ("GET", "/portal/invoices", Api("GET", "/api/v1/invoices")),
    (
        "POST",
        "/portal/invoices/{invoice}/pay",
        Api("POST", "/api/v1/invoices/{invoice}/pay"),
    ),
    (
        "GET",
        "/portal/invoices/{invoice}/payments/{attempt}",
        Exception("where the payment gateway sends the browser back; the API reads the outcome in the invoice's payments"),
    ),
    (
        "POST",
        "/admin/invoicing/gateways/{gateway}",
        Api("PUT", "/api/v1/settings/gateways/{gateway}"),
    ),
    ("GET", "/portal/invoices/{invoice}", Api("GET", "/api/v1/invoices/{invoice}")),
    ("GET", "/projects", Api("GET", "/api/v1/projects")),
    ("POST", "/projects", Api("POST", "/api/v1/projects")),
    ("GET", "/projects/new", Exception(FORM)),
    ("GET", "/projects/{id}", Api("GET", "/api/v1/projects/{id}")),
    ("POST", "/projects/{id}", Api("PATCH", "/api/v1/projects/{id}")),
    ("GET", "/projects/{id}/edit", Exception(FORM)),
    ("POST", "/projects/{id}/archive", Api("PATCH", "/api/v1/projects/{id}")),
    ("POST", "/projects/{id}/milestones", Api("POST", "/api/v1/projects/{id}/milestones")),
    (
        "POST",
        "/projects/{id}/milestones/{milestone}",
        Api("PATCH", "/api/v1/projects/{id}/milestones/{milestone}"),
    ),
    (
        "POST",
        "/projects/{id}/milestones/{milestone}/delete",
        Api("DELETE", "/api/v1/projects/{id}/milestones/{milestone}"),
    ),
    ("POST", "/projects/{id}/columns", Api("POST", "/api/v1/projects/{id}/columns")),
    (
        "POST",
        "/projects/{id}/columns/{column}",
        Api("PATCH", "/api/v1/projects/{id}/columns/{column}"),
    ),
    ("GET", "/projects/{id}/reviews.csv", Api("GET", "/api/v1/projects/{id}/reviews")),
    ("GET", "/projects/{id}/reviews.json", Api("GET", "/api/v1/projects/{id}/reviews")),
    ("GET", "/projects/{id}/files", Api("GET", "/api/v1/projects/{id}/files")),
    ("POST", "/projects/{id}/files", Api("POST", "/api/v1/projects/{id}/files")),
    ("POST", "/projects/{id}/folders", Api("POST", "/api/v1/projects/{id}/folders")),
    (
        "GET",
        "/projects/{id}/files/{file}/download",
        Api("GET", "/api/v1/projects/{id}/files/{file}/content"),
    ),
    (
        "POST",
        "/projects/{id}/files/{file}/visibility",
        Api("PATCH", "/api/v1/projects/{id}/files/{file}"),
    ),
    (
        "POST",
        "/projects/{id}/files/{file}/delete",
        Api("DELETE", "/api/v1/projects/{id}/files/{file}"),
    ),
    ("GET", "/projects/{id}/files/trash", Api("GET", "/api/v1/projects/{id}/trash")),
    ("POST", "/projects/{id}/files/quota", Api("PUT", "/api/v1/projects/{id}/storage")),
    (
        "GET",
        "/projects/{id}/files/{file}/thumbnail",
        Exception("a small picture for the page; the API serves the file itself (…/content)"),
    ),
    (
        "GET",
        "/portal/projects/{id}/files/{file}/thumbnail",
        Exception("a small picture for the page; the API serves the file itself (…/content)"),
    ),
    (
        "GET",
        "/projects/{id}/files/{file}",
        Api("GET", "/api/v1/projects/{id}/files/{file}"),
    ),
    (
        "POST",
        "/projects/{id}/files/{file}",
        Api("PATCH", "/api/v1/projects/{id}/files/{file}"),
    ),
    (
        "POST",
        "/projects/{id}/folders/{folder}",
        Api("PATCH", "/api/v1/projects/{id}/folders/{folder}"),
    ),
    (
        "POST",
        "/projects/{id}/files/{file}/restore",
        Api("POST", "/api/v1/projects/{id}/files/{file}/restore"),
    ),
    ("GET", "/admin/emails", Api("GET", "/api/v1/emails/undelivered")),
    ("POST", "/admin/emails/retry", Api("POST", "/api/v1/emails/retry")),
    ("GET", "/admin/media", Api("GET", "/api/v1/media")),
    ("POST", "/admin/media/orphans", Api("POST", "/api/v1/media/orphans")),
    ("POST", "/admin/media/cleanup", Api("POST", "/api/v1/media/cleanup")),
    (
        "POST",
        "/projects/{id}/tasks/{task}/attachments",
        Api("POST", "/api/v1/projects/{id}/tasks/{task}/attachments"),
    ),
    (
        "POST",
        "/portal/projects/{id}/tasks/{task}/attachments",
        Api("POST", "/api/v1/projects/{id}/tasks/{task}/attachments"),
    ),
    ("GET", "/portal/projects/{id}/files", Api("GET", "/api/v1/projects/{id}/files")),
    ("POST", "/portal/projects/{id}/files", Api("POST", "/api/v1/projects/{id}/files")),
    (
        "GET",
        "/portal/projects/{id}/files/{file}",
        Api("GET", "/api/v1/projects/{id}/files/{file}"),
    ),
    (
        "GET",
        "/portal/projects/{id}/files/{file}/download",
        Api("GET", "/api/v1/projects/{id}/files/{file}/content"),
    ),
    (
        "POST",
        "/portal/projects/{id}/files/{file}/delete",
        Api("DELETE", "/api/v1/projects/{id}/files/{file}"),
    ),
    ("GET", "/projects/{id}/board", Api("GET", "/api/v1/projects/{id}/columns")),
    ("GET", "/projects/{id}/tasks", Api("GET", "/api/v1/projects/{id}/tasks")),
    ("POST", "/projects/{id}/tasks", Api("POST", "/api/v1/projects/{id}/tasks")),
    ("GET", "/projects/{id}/tasks/new", Exception(FORM)),
    (
        "GET",
        "/projects/{id}/tasks/{task}",
        Api("GET", "/api/v1/projects/{id}/tasks/{task}"),
    ),
    (
        "POST",
        "/projects/{id}/tasks/{task}",
        Api("PATCH", "/api/v1/projects/{id}/tasks/{task}"),
    ),
    (
        "POST",
        "/projects/{id}/tasks/{task}/move",
        Api("POST", "/api/v1/projects/{id}/tasks/{task}/move"),
    ),
    (
        "POST",
        "/projects/{id}/tasks/{task}/visibility",
        Api("PATCH", "/api/v1/projects/{id}/tasks/{task}"),
    ),
    (
        "POST",
        "/projects/{id}/tasks/{task}/submit-review",
        Api("POST", "/api/v1/projects/{id}/tasks/{task}/reviews"),
    ),
    (
        "POST",
        "/projects/{id}/tasks/{task}/archive",
        Api("PATCH", "/api/v1/projects/{id}/tasks/{task}"),
    ),
    (
        "POST",
        "/projects/{id}/tasks/{task}/comments",
        Api("POST", "/api/v1/projects/{id}/tasks/{task}/comments"),
    ),
    (
        "POST",
        "/projects/{id}/tasks/{task}/comments/{comment}",
        Api("PATCH", "/api/v1/projects/{id}/tasks/{task}/comments/{comment}"),
    ),
    ("GET", "/admin/clients", Api("GET", "/api/v1/clients")),
    ("POST", "/admin/clients", Api("POST", "/api/v1/clients")),
    ("GET", "/admin/clients/new", Exception(FORM)),
    ("GET", "/admin/clients/{id}", Api("GET", "/api/v1/clients/{id}")),
    ("POST", "/admin/clients/{id}", Api("PATCH", "/api/v1/clients/{id}")),
    ("POST", "/admin/clients/{id}/archive", Api("PATCH", "/api/v1/clients/{id}")),
    ("POST", "/admin/clients/{id}/contacts", Api("POST", "/api/v1/clients/{id}/contacts")),
    (
        "POST",
        "/admin/clients/{id}/contacts/{contact}",
        Api("PATCH", "/api/v1/clients/{id}/contacts/{contact}"),
    ),
    (
        "GET",
        "/admin/projects/{id}/visibility",
        Api("GET", "/api/v1/projects/{id}/visibility"),
    ),
    ("GET", "/admin/users", Api("GET", "/api/v1/users")),
    ("POST", "/admin/users", Api("POST", "/api/v1/users")),
    ("GET", "/admin/users/new", Exception(FORM)),
    ("GET", "/admin/users/{id}", Api("GET", "/api/v1/users/{id}")),
    ("POST", "/admin/users/{id}", Api("PATCH", "/api/v1/users/{id}")),
    ("POST", "/admin/users/{id}/deactivate", Api("POST", "/api/v1/users/{id}/deactivate")),
    ("POST", "/admin/users/{id}/reactivate", Api("POST", "/api/v1/users/{id}/reactivate")),
    ("POST", "/admin/users/{id}/invite", Api("POST", "/api/v1/users/{id}/invite")),
];

/// An admin's preview shows the portal through a contact's eyes, read-only: over the API the
/// contact's own token sees exactly that, and `GET /api/v1/projects/{id}/visibility` explains
/// it. Every preview route is this exception.
const PREVIEW: &str = "/admin/preview/";

#[test]
fn every_page_route_has_an_api_counterpart_or_a_reason() {
    let routes = route_table();
    let api: BTreeSet<(String, &str)> = routes
        .iter()
        .filter(|r| matches!(r.access, Access::ApiUser | Access::ApiAdmin))
        .map(|r| (r.method.to_string(), r.path))
        .collect();
    let document: serde_json::Value = serde_json::from_str(&web::api::document().to_json().unwrap()).unwrap();
    let mut problems = vec![];
    let mut pages = BTreeSet::new();
    for route in routes.iter().filter(|r| matches!(r.access, Access::Area(_))) {
        pages.insert((route.method.to_string(), route.path));
        if route.path.starts_with(PREVIEW) {
            continue;
        }
        match COUNTERPARTS
            .iter()
            .find(|(m, p, _)| *m == route.method.as_str() && *p == route.path)
        {
            None => problems.push(format!("{} {} has no API counterpart and no reason", route.method, route.path)),
            Some((_, _, Exception(reason))) => assert!(!reason.is_empty()),
            Some((_, _, Api(method, path))) => {
                if !api.contains(&(method.to_string(), *path)) {
                    problems.push(format!(
                        "{} {}: its counterpart {method} {path} is not an API route",
                        route.method, route.path
                    ));
                }
                if document["paths"][path][method.to_lowercase()].is_null() {
                    problems.push(format!(
                        "{} {}: its counterpart {method} {path} is not in the OpenAPI document",
                        route.method, route.path
                    ));
                }
            }
        }
    }
    for (method, path, _) in COUNTERPARTS {
        if !pages.contains(&(method.to_string(), *path)) {
            problems.push(format!("{method} {path} is listed but is not a page route"));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    // The check sees the routes: the previews are among them, and most pages have an operation.
    assert!(pages.iter().any(|(_, p)| p.starts_with(PREVIEW)));
    let with_api = COUNTERPARTS.iter().filter(|(_, _, c)| matches!(c, Api(..))).count();
    assert!(with_api > 90, "{with_api}");
}
