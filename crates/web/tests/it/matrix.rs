//! The authorization matrix: every route × every kind of actor → the expected status.
//! The table below is written by hand, independently of the router; a route the router has
//! and this table lacks (or the reverse) fails the test.

use crate::support::*;
use reqwest::Method;
use std::collections::BTreeSet;
use store::on_both_databases;

on_both_databases!(every_route_answers_every_actor_as_expected);

/// Columns: anonymous, admin, staff assigned to every demo project (with the finance
/// permission), staff assigned to none (without it), staff assigned to none with the finance
/// permission (so assignment and finance are told apart), client A (Acme), client B (Globex, which shares one project with Acme), an Acme contact
/// without the comment and review permissions, an invoices-only Acme contact, a deactivated
/// person.
type Expected = [u16; 10];
const ACTORS: [&str; 10] = [
    "anonymous",
    "admin",
    "assigned staff",
    "unassigned staff",
    "unassigned finance staff",
    "client A",
    "client B",
    "client without permission",
    "finance-only client",
    "deactivated",
];

/// A route (as the router declares it), the concrete path to call, optionally followed by a
/// space and the body (JSON for the API, `a=1&b=2` for a form; `{}` or an empty form
/// otherwise), and the statuses.
type Row = (&'static str, &'static str, &'static str, Expected);

/// `{id}` under `/admin/users` is a throwaway staff member; `{target_token}` its password
/// link's token and `{no_such_token}` one that does not exist; `{fresh_…}` an item made anew
/// for each request (see `Fixtures::fresh`); `{unique}` a number new to each request; the
/// other placeholders are demo items (see `demo_ids`).
const MATRIX: &[Row] = &[
    ("GET", "/healthz", "/healthz", [200, 200, 200, 200, 200, 200, 200, 200, 200, 200]),
    ("GET", "/readyz", "/readyz", [200, 200, 200, 200, 200, 200, 200, 200, 200, 200]),
    (
        "GET",
        "/static/{file}",
        "/static/{file}",
        [200, 200, 200, 200, 200, 200, 200, 200, 200, 200],
    ),
    (
        "GET",
        "/brand.css",
        "/brand.css",
        [200, 200, 200, 200, 200, 200, 200, 200, 200, 200],
    ),
    (
        "GET",
        "/brand/logo",
        "/brand/logo",
        [404, 404, 404, 404, 404, 404, 404, 404, 404, 404],
    ),
    (
        "GET",
        "/favicon.ico",
        "/favicon.ico",
        [200, 200, 200, 200, 200, 200, 200, 200, 200, 200],
    ),
    ("GET", "/", "/", [303, 303, 303, 303, 303, 303, 303, 303, 303, 303]),
    ("GET", "/login", "/login", [200, 303, 303, 303, 303, 303, 303, 303, 303, 200]),
    ("POST", "/login", "/login", [422, 422, 422, 422, 422, 422, 422, 422, 422, 422]),
    (
        "GET",
        "/forgot-password",
        "/forgot-password",
        [200, 200, 200, 200, 200, 200, 200, 200, 200, 200],
    ),
    (
        "POST",
        "/forgot-password",
        "/forgot-password",
        [422, 422, 422, 422, 422, 422, 422, 422, 422, 422],
    ),
    (
        "GET",
        "/password/{token}",
        "/password/{no_such_token}",
        [404, 404, 404, 404, 404, 404, 404, 404, 404, 404],
    ),
    (
        "GET",
        "/password/{token}",
        "/password/{target_token}",
        [200, 200, 200, 200, 200, 200, 200, 200, 200, 200],
    ),
    (
        "POST",
        "/password/{token}",
        "/password/{no_such_token}",
        [422, 422, 422, 422, 422, 422, 422, 422, 422, 422],
    ),
    (
        "POST",
        "/password/{token}",
        "/password/{target_token}",
        [422, 422, 422, 422, 422, 422, 422, 422, 422, 422],
    ),
    ("GET", "/account", "/account", [303, 200, 200, 200, 200, 200, 200, 200, 200, 303]),
    (
        "POST",
        "/account/password",
        "/account/password",
        [303, 422, 422, 422, 422, 422, 422, 422, 422, 303],
    ),
    (
        "POST",
        "/account/dates",
        "/account/dates",
        [303, 303, 303, 303, 303, 303, 303, 303, 303, 303],
    ),
    ("GET", "/admin", "/admin", [303, 200, 403, 403, 403, 403, 403, 403, 403, 303]),
    ("GET", "/staff", "/staff", [303, 403, 200, 200, 200, 403, 403, 403, 403, 303]),
    ("GET", "/portal", "/portal", [303, 403, 403, 403, 403, 200, 200, 200, 200, 303]),
    (
        "GET",
        "/portal/projects",
        "/portal/projects",
        [303, 403, 403, 403, 403, 200, 200, 200, 200, 303],
    ),
    (
        "GET",
        "/portal/files",
        "/portal/files",
        [303, 403, 403, 403, 403, 200, 200, 404, 404, 303],
    ),
    (
        "GET",
        "/admin/users",
        "/admin/users",
        [303, 200, 403, 403, 403, 403, 403, 403, 403, 303],
    ),
    (
        "POST",
        "/admin/users",
        "/admin/users",
        [303, 422, 403, 403, 403, 403, 403, 403, 403, 303],
    ),
    (
        "GET",
        "/admin/users/new",
        "/admin/users/new",
        [303, 200, 403, 403, 403, 403, 403, 403, 403, 303],
    ),
    (
        "GET",
        "/admin/users/{id}",
        "/admin/users/{id}",
        [303, 200, 403, 403, 403, 403, 403, 403, 403, 303],
    ),
    (
        "POST",
        "/admin/users/{id}",
        "/admin/users/{id}",
        [303, 422, 403, 403, 403, 403, 403, 403, 403, 303],
    ),
    (
        "POST",
        "/admin/users/{id}/deactivate",
        "/admin/users/{id}/deactivate",
        [303, 303, 403, 403, 403, 403, 403, 403, 403, 303],
    ),
    (
        "POST",
        "/admin/users/{id}/reactivate",
        "/admin/users/{id}/reactivate",
        [303, 303, 403, 403, 403, 403, 403, 403, 403, 303],
    ),
    (
        "POST",
        "/admin/users/{id}/invite",
        "/admin/users/{id}/invite",
        [303, 303, 403, 403, 403, 403, 403, 403, 403, 303],
    ),
    (
        "GET",
        "/api/v1/openapi.json",
        "/api/v1/openapi.json",
        [200, 200, 200, 200, 200, 200, 200, 200, 200, 200],
    ),
    (
        "GET",
        "/api/v1/me",
        "/api/v1/me",
        [401, 200, 200, 200, 200, 200, 200, 200, 200, 401],
    ),
    (
        "GET",
        "/api/v1/users",
        "/api/v1/users",
        [401, 200, 403, 403, 403, 403, 403, 403, 403, 401],
    ),
    (
        "POST",
        "/api/v1/users",
        "/api/v1/users",
        [401, 422, 403, 403, 403, 403, 403, 403, 403, 401],
    ),
    (
        "GET",
        "/api/v1/users/{id}",
        "/api/v1/users/{id}",
        [401, 200, 403, 403, 403, 403, 403, 403, 403, 401],
    ),
    (
        "PATCH",
        "/api/v1/users/{id}",
        "/api/v1/users/{id}",
        [401, 200, 403, 403, 403, 403, 403, 403, 403, 401],
    ),
    (
        "POST",
        "/api/v1/users/{id}/deactivate",
        "/api/v1/users/{id}/deactivate",
        [401, 200, 403, 403, 403, 403, 403, 403, 403, 401],
    ),
    (
        "POST",
        "/api/v1/users/{id}/reactivate",
        "/api/v1/users/{id}/reactivate",
        [401, 200, 403, 403, 403, 403, 403, 403, 403, 401],
    ),
    // The portal. Acme (client A) has its own project and shares one with Globex (client B);
    // Nora is an Acme contact who may only view tasks; Fiona an invoices-only Acme contact.
    (
        "GET",
        "/portal/projects/{id}",
        "/portal/projects/{acme}",
        [303, 403, 403, 403, 403, 200, 404, 200, 404, 303],
    ),
    (
        "GET",
        "/portal/projects/{id}",
        "/portal/projects/{shared}",
        [303, 403, 403, 403, 403, 200, 200, 200, 404, 303],
    ),
    (
        "GET",
        "/portal/projects/{id}",
        "/portal/projects/{globex}",
        [303, 403, 403, 403, 403, 404, 200, 404, 404, 303],
    ),
    (
        "GET",
        "/portal/projects/{id}",
        "/portal/projects/{unknown}",
        [303, 403, 403, 403, 403, 404, 404, 404, 404, 303],
    ),
    (
        "GET",
        "/portal/projects/{id}/tasks/{task}",
        "/portal/projects/{acme}/tasks/{acme_task}",
        [303, 403, 403, 403, 403, 200, 404, 200, 404, 303],
    ),
    (
        "GET",
        "/portal/projects/{id}/tasks/{task}",
        "/portal/projects/{shared}/tasks/{shared_task}",
        [303, 403, 403, 403, 403, 200, 200, 200, 404, 303],
    ),
    (
        "GET",
        "/portal/projects/{id}/tasks/{task}",
        "/portal/projects/{shared}/tasks/{internal_task}",
        [303, 403, 403, 403, 403, 404, 404, 404, 404, 303],
    ),
    (
        "GET",
        "/portal/projects/{id}/tasks/{task}",
        "/portal/projects/{shared}/tasks/{acme_task}",
        [303, 403, 403, 403, 403, 404, 404, 404, 404, 303],
    ),
    (
        "POST",
        "/portal/projects/{id}/tasks/{task}/comments",
        "/portal/projects/{shared}/tasks/{shared_task}/comments",
        [303, 403, 403, 403, 403, 422, 422, 403, 404, 303],
    ),
    (
        "POST",
        "/portal/projects/{id}/tasks/{task}/comments",
        "/portal/projects/{acme}/tasks/{acme_task}/comments",
        [303, 403, 403, 403, 403, 422, 404, 403, 404, 303],
    ),
    (
        "POST",
        "/portal/projects/{id}/tasks/{task}/comments",
        "/portal/projects/{shared}/tasks/{internal_task}/comments",
        [303, 403, 403, 403, 403, 404, 404, 404, 404, 303],
    ),
    (
        "POST",
        "/portal/projects/{id}/tasks/{task}/review",
        "/portal/projects/{shared}/tasks/{shared_task}/review",
        // The palette's review is addressed to Acme: for Globex there is no review to decide.
        [303, 403, 403, 403, 403, 422, 404, 403, 404, 303],
    ),
    (
        "POST",
        "/portal/projects/{id}/tasks/{task}/review",
        "/portal/projects/{acme}/tasks/{acme_task}/review",
        [303, 403, 403, 403, 403, 422, 404, 403, 404, 303],
    ),
    (
        "POST",
        "/portal/projects/{id}/requests",
        "/portal/projects/{shared}/requests",
        [303, 403, 403, 403, 403, 422, 403, 403, 404, 303],
    ),
    (
        "POST",
        "/portal/projects/{id}/requests",
        "/portal/projects/{globex}/requests",
        [303, 403, 403, 403, 403, 404, 403, 404, 404, 303],
    ),
    (
        "POST",
        "/portal/projects/{id}/requests",
        "/portal/projects/{acme}/requests name=A+logo+for+the+van&description=Please",
        [303, 403, 403, 403, 403, 303, 404, 403, 404, 303],
    ),
    (
        "GET",
        "/portal/projects/{id}/reviews.csv",
        "/portal/projects/{shared}/reviews.csv",
        [303, 403, 403, 403, 403, 200, 200, 200, 404, 303],
    ),
    (
        "GET",
        "/portal/projects/{id}/reviews.csv",
        "/portal/projects/{acme}/reviews.csv",
        [303, 403, 403, 403, 403, 200, 404, 200, 404, 303],
    ),
    (
        "GET",
        "/portal/projects/{id}/reviews.json",
        "/portal/projects/{shared}/reviews.json",
        [303, 403, 403, 403, 403, 200, 200, 200, 404, 303],
    ),
    // The workspace: admins and staff; staff only on their projects (Uma is on none).
    ("GET", "/projects", "/projects", [303, 200, 200, 200, 200, 403, 403, 403, 403, 303]),
    ("POST", "/projects", "/projects", [303, 422, 422, 422, 422, 403, 403, 403, 403, 303]),
    (
        "GET",
        "/projects/new",
        "/projects/new",
        [303, 200, 200, 200, 200, 403, 403, 403, 403, 303],
    ),
    (
        "GET",
        "/projects/{id}",
        "/projects/{acme}",
        [303, 200, 200, 404, 404, 403, 403, 403, 403, 303],
    ),
    (
        "GET",
        "/projects/{id}",
        "/projects/{unknown}",
        [303, 404, 404, 404, 404, 403, 403, 403, 403, 303],
    ),
    (
        "POST",
        "/projects/{id}",
        "/projects/{acme}",
        [303, 422, 422, 404, 404, 403, 403, 403, 403, 303],
    ),
    (
        "GET",
        "/projects/{id}/edit",
        "/projects/{acme}/edit",
        [303, 200, 200, 404, 404, 403, 403, 403, 403, 303],
    ),
    (
        "POST",
        "/projects/{id}/archive",
        "/projects/{acme}/archive",
        [303, 422, 422, 404, 404, 403, 403, 403, 403, 303],
    ),
    (
        "POST",
        "/projects/{id}/milestones",
        "/projects/{acme}/milestones",
        [303, 422, 422, 404, 404, 403, 403, 403, 403, 303],
    ),
    (
        "POST",
        "/projects/{id}/milestones/{milestone}",
        "/projects/{acme}/milestones/{acme_milestone}",
        [303, 422, 422, 404, 404, 403, 403, 403, 403, 303],
    ),
    (
        "POST",
        "/projects/{id}/milestones/{milestone}",
        "/projects/{shared}/milestones/{acme_milestone}",
        [303, 404, 404, 404, 404, 403, 403, 403, 403, 303],
    ),
    (
        "POST",
        "/projects/{id}/columns",
        "/projects/{acme}/columns",
        [303, 422, 422, 404, 404, 403, 403, 403, 403, 303],
    ),
    (
        "POST",
        "/projects/{id}/columns/{column}",
        "/projects/{acme}/columns/{acme_column}",
        [303, 422, 422, 404, 404, 403, 403, 403, 403, 303],
    ),
    (
        "POST",
        "/projects/{id}/columns/{column}",
        "/projects/{shared}/columns/{acme_column}",
        [303, 404, 404, 404, 404, 403, 403, 403, 403, 303],
    ),
    (
        "GET",
        "/projects/{id}/reviews.csv",
        "/projects/{acme}/reviews.csv",
        [303, 200, 200, 404, 404, 403, 403, 403, 403, 303],
    ),
    (
        "GET",
        "/projects/{id}/reviews.json",
        "/projects/{acme}/reviews.json",
        [303, 200, 200, 404, 404, 403, 403, 403, 403, 303],
    ),
    (
        "GET",
        "/projects/{id}/board",
        "/projects/{acme}/board",
        [303, 200, 200, 404, 404, 403, 403, 403, 403, 303],
    ),
    (
        "GET",
        "/projects/{id}/tasks",
        "/projects/{acme}/tasks",
        [303, 200, 200, 404, 404, 403, 403, 403, 403, 303],
    ),
    (
        "POST",
        "/projects/{id}/tasks",
        "/projects/{acme}/tasks",
        [303, 422, 422, 404, 404, 403, 403, 403, 403, 303],
    ),
    (
        "GET",
        "/projects/{id}/tasks/new",
        "/projects/{acme}/tasks/new",
        [303, 200, 200, 404, 404, 403, 403, 403, 403, 303],
    ),
    (
        "GET",
        "/projects/{id}/tasks/{task}",
        "/projects/{acme}/tasks/{acme_task}",
        [303, 200, 200, 404, 404, 403, 403, 403, 403, 303],
    ),
    (
        "GET",
        "/projects/{id}/tasks/{task}",
        "/projects/{shared}/tasks/{acme_task}",
        [303, 404, 404, 404, 404, 403, 403, 403, 403, 303],
    ),
    (
        "GET",
        "/projects/{id}/tasks/{task}",
        "/projects/{shared}/tasks/{internal_task}",
        [303, 200, 200, 404, 404, 403, 403, 403, 403, 303],
    ),
    (
        "POST",
        "/projects/{id}/tasks/{task}",
        "/projects/{acme}/tasks/{acme_task}",
        [303, 422, 422, 404, 404, 403, 403, 403, 403, 303],
    ),
    (
        "POST",
        "/projects/{id}/tasks/{task}/move",
        "/projects/{acme}/tasks/{acme_task}/move",
        [303, 422, 422, 404, 404, 403, 403, 403, 403, 303],
    ),
    (
        "POST",
        "/projects/{id}/tasks/{task}/visibility",
        "/projects/{acme}/tasks/{acme_task}/visibility",
        [303, 422, 422, 404, 404, 403, 403, 403, 403, 303],
    ),
    (
        "POST",
        "/projects/{id}/tasks/{task}/submit-review",
        "/projects/{acme}/tasks/{acme_task}/submit-review",
        [303, 303, 303, 404, 404, 403, 403, 403, 403, 303],
    ),
    (
        "POST",
        "/projects/{id}/tasks/{task}/archive",
        "/projects/{acme}/tasks/{acme_task}/archive",
        [303, 422, 422, 404, 404, 403, 403, 403, 403, 303],
    ),
    (
        "POST",
        "/projects/{id}/tasks/{task}/comments",
        "/projects/{acme}/tasks/{acme_task}/comments",
        [303, 422, 422, 404, 404, 403, 403, 403, 403, 303],
    ),
    (
        "POST",
        "/projects/{id}/tasks/{task}/comments/{comment}",
        "/projects/{acme}/tasks/{acme_task}/comments/{acme_comment}",
        [303, 403, 422, 404, 404, 403, 403, 403, 403, 303],
    ),
    (
        "POST",
        "/projects/{id}/tasks/{task}/comments/{comment}",
        "/projects/{acme}/tasks/{shared_task}/comments/{acme_comment}",
        [303, 404, 404, 404, 404, 403, 403, 403, 403, 303],
    ),
    // Client organisations and the visibility tool: admins only.
    (
        "GET",
        "/admin/clients",
        "/admin/clients",
        [303, 200, 403, 403, 403, 403, 403, 403, 403, 303],
    ),
    (
        "POST",
        "/admin/clients",
        "/admin/clients",
        [303, 422, 403, 403, 403, 403, 403, 403, 403, 303],
    ),
    (
        "GET",
        "/admin/clients/new",
        "/admin/clients/new",
        [303, 200, 403, 403, 403, 403, 403, 403, 403, 303],
    ),
    (
        "GET",
        "/admin/clients/{id}",
        "/admin/clients/{acme_org}",
        [303, 200, 403, 403, 403, 403, 403, 403, 403, 303],
    ),
    (
        "GET",
        "/admin/clients/{id}",
        "/admin/clients/{unknown}",
        [303, 404, 403, 403, 403, 403, 403, 403, 403, 303],
    ),
    (
        "POST",
        "/admin/clients/{id}",
        "/admin/clients/{acme_org}",
        [303, 422, 403, 403, 403, 403, 403, 403, 403, 303],
    ),
    (
        "POST",
        "/admin/clients/{id}/archive",
        "/admin/clients/{acme_org}/archive",
        [303, 422, 403, 403, 403, 403, 403, 403, 403, 303],
    ),
    (
        "POST",
        "/admin/clients/{id}/contacts",
        "/admin/clients/{acme_org}/contacts",
        [303, 422, 403, 403, 403, 403, 403, 403, 403, 303],
    ),
    (
        "POST",
        "/admin/clients/{id}/contacts/{contact}",
        "/admin/clients/{acme_org}/contacts/{carla}",
        [303, 422, 403, 403, 403, 403, 403, 403, 403, 303],
    ),
    (
        "POST",
        "/admin/clients/{id}/contacts/{contact}",
        "/admin/clients/{globex_org}/contacts/{carla}",
        [303, 404, 403, 403, 403, 403, 403, 403, 403, 303],
    ),
    (
        "GET",
        "/admin/projects/{id}/visibility",
        "/admin/projects/{acme}/visibility",
        [303, 200, 403, 403, 403, 403, 403, 403, 403, 303],
    ),
    // Preview as client: admins only, and it shows exactly what the previewed contact sees.
    (
        "GET",
        "/admin/preview/{contact}",
        "/admin/preview/{carla}",
        [303, 200, 403, 403, 403, 403, 403, 403, 403, 303],
    ),
    (
        "GET",
        "/admin/preview/{contact}",
        "/admin/preview/{sam}",
        [303, 404, 403, 403, 403, 403, 403, 403, 403, 303],
    ),
    (
        "GET",
        "/admin/preview/{contact}/projects/{id}",
        "/admin/preview/{carla}/projects/{acme}",
        [303, 200, 403, 403, 403, 403, 403, 403, 403, 303],
    ),
    (
        "GET",
        "/admin/preview/{contact}/projects/{id}",
        "/admin/preview/{oscar}/projects/{acme}",
        [303, 404, 403, 403, 403, 403, 403, 403, 403, 303],
    ),
    (
        "GET",
        "/admin/preview/{contact}/projects/{id}/tasks/{task}",
        "/admin/preview/{carla}/projects/{shared}/tasks/{shared_task}",
        [303, 200, 403, 403, 403, 403, 403, 403, 403, 303],
    ),
    (
        "GET",
        "/admin/preview/{contact}/projects/{id}/tasks/{task}",
        "/admin/preview/{carla}/projects/{shared}/tasks/{internal_task}",
        [303, 404, 403, 403, 403, 403, 403, 403, 403, 303],
    ),
    // The API: the same policy; columns past anonymous: admin, Sam, Uma, Acme, Globex, Nora, Fiona.
    (
        "GET",
        "/api/v1/dashboard",
        "/api/v1/dashboard",
        [401, 200, 200, 200, 200, 200, 200, 200, 200, 401],
    ),
    (
        "GET",
        "/api/v1/activity",
        "/api/v1/activity",
        [401, 200, 200, 200, 200, 200, 200, 200, 200, 401],
    ),
    (
        "GET",
        "/api/v1/projects",
        "/api/v1/projects",
        [401, 200, 200, 200, 200, 200, 200, 200, 200, 401],
    ),
    (
        "POST",
        "/api/v1/projects",
        "/api/v1/projects",
        [401, 422, 422, 422, 422, 403, 403, 403, 403, 401],
    ),
    (
        "GET",
        "/api/v1/projects/{id}",
        "/api/v1/projects/{acme}",
        [401, 200, 200, 404, 404, 200, 404, 200, 404, 401],
    ),
    (
        "GET",
        "/api/v1/projects/{id}",
        "/api/v1/projects/{shared}",
        [401, 200, 200, 404, 404, 200, 200, 200, 404, 401],
    ),
    (
        "PATCH",
        "/api/v1/projects/{id}",
        "/api/v1/projects/{acme}",
        [401, 200, 200, 404, 404, 403, 404, 403, 404, 401],
    ),
    (
        "GET",
        "/api/v1/projects/{id}/milestones",
        "/api/v1/projects/{acme}/milestones",
        [401, 200, 200, 404, 404, 200, 404, 200, 404, 401],
    ),
    (
        "POST",
        "/api/v1/projects/{id}/milestones",
        r#"/api/v1/projects/{acme}/milestones {"name":"From the API"}"#,
        [401, 201, 201, 404, 404, 403, 404, 403, 404, 401],
    ),
    (
        "POST",
        "/api/v1/projects/{id}/requests",
        r#"/api/v1/projects/{shared}/requests {"name":"Please"}"#,
        [401, 403, 403, 403, 403, 201, 403, 403, 404, 401],
    ),
    (
        "GET",
        "/api/v1/projects/{id}/visibility",
        "/api/v1/projects/{acme}/visibility",
        [401, 422, 403, 403, 403, 403, 403, 403, 403, 401],
    ),
    (
        "GET",
        "/api/v1/projects/{id}/tasks",
        "/api/v1/projects/{acme}/tasks",
        [401, 200, 200, 404, 404, 200, 404, 200, 404, 401],
    ),
    (
        "POST",
        "/api/v1/projects/{id}/tasks",
        r#"/api/v1/projects/{acme}/tasks {"name":"From the API"}"#,
        [401, 201, 201, 404, 404, 403, 404, 403, 404, 401],
    ),
    (
        "GET",
        "/api/v1/projects/{id}/tasks/{task}",
        "/api/v1/projects/{acme}/tasks/{acme_task}",
        [401, 200, 200, 404, 404, 200, 404, 200, 404, 401],
    ),
    (
        "GET",
        "/api/v1/projects/{id}/tasks/{task}",
        "/api/v1/projects/{shared}/tasks/{internal_task}",
        [401, 200, 200, 404, 404, 404, 404, 404, 404, 401],
    ),
    (
        "GET",
        "/api/v1/projects/{id}/tasks/{task}",
        "/api/v1/projects/{acme}/tasks/{shared_task}",
        [401, 404, 404, 404, 404, 404, 404, 404, 404, 401],
    ),
    (
        "PATCH",
        "/api/v1/projects/{id}/tasks/{task}",
        "/api/v1/projects/{acme}/tasks/{acme_task}",
        [401, 200, 200, 404, 404, 403, 404, 403, 404, 401],
    ),
    (
        "POST",
        "/api/v1/projects/{id}/tasks/{task}/move",
        r#"/api/v1/projects/{acme}/tasks/{acme_task}/move {"column_id":"{acme_column}"}"#,
        [401, 200, 200, 404, 404, 403, 404, 403, 404, 401],
    ),
    (
        "GET",
        "/api/v1/projects/{id}/tasks/{task}/comments",
        "/api/v1/projects/{acme}/tasks/{acme_task}/comments",
        [401, 200, 200, 404, 404, 200, 404, 200, 404, 401],
    ),
    (
        "POST",
        "/api/v1/projects/{id}/tasks/{task}/comments",
        r#"/api/v1/projects/{acme}/tasks/{acme_task}/comments {"body":"From the API"}"#,
        [401, 201, 201, 404, 404, 201, 404, 403, 404, 401],
    ),
    (
        "GET",
        "/api/v1/projects/{id}/tasks/{task}/reviews",
        "/api/v1/projects/{acme}/tasks/{acme_task}/reviews",
        [401, 200, 200, 404, 404, 200, 404, 200, 404, 401],
    ),
    (
        "POST",
        "/api/v1/projects/{id}/tasks/{task}/reviews",
        "/api/v1/projects/{acme}/tasks/{acme_task}/reviews",
        [401, 409, 409, 404, 404, 422, 404, 403, 404, 401],
    ),
    (
        "GET",
        "/api/v1/projects/{id}/tasks/{task}/reviews",
        "/api/v1/projects/{shared}/tasks/{shared_task}/reviews",
        [401, 200, 200, 404, 404, 200, 200, 200, 404, 401],
    ),
    (
        "POST",
        "/api/v1/projects/{id}/tasks/{task}/reviews",
        r#"/api/v1/projects/{shared}/tasks/{shared_task}/reviews {"decision":"approve"}"#,
        // Addressed to Acme: Globex cannot decide it (it does not exist for them).
        [401, 409, 409, 404, 404, 200, 404, 403, 404, 401],
    ),
    (
        "GET",
        "/api/v1/projects/{id}/files",
        "/api/v1/projects/{shared}/files",
        [401, 200, 200, 404, 404, 200, 200, 404, 404, 401],
    ),
    (
        "POST",
        "/api/v1/projects/{id}/files",
        "/api/v1/projects/{shared}/files",
        [401, 201, 201, 404, 404, 201, 201, 403, 404, 401],
    ),
    (
        "GET",
        "/api/v1/projects/{id}/files/{file}",
        "/api/v1/projects/{shared}/files/{shared_file}",
        [401, 200, 200, 404, 404, 200, 200, 404, 404, 401],
    ),
    (
        "GET",
        "/api/v1/projects/{id}/files/{file}/content",
        "/api/v1/projects/{shared}/files/{internal_file}/content",
        [401, 200, 200, 404, 404, 404, 404, 404, 404, 401],
    ),
    (
        "GET",
        "/api/v1/projects/{id}/files/{file}/content",
        "/api/v1/projects/{shared}/files/{acme_upload}/content",
        [401, 200, 200, 404, 404, 200, 404, 404, 404, 401],
    ),
    (
        "PATCH",
        "/api/v1/projects/{id}/files/{file}",
        r#"/api/v1/projects/{shared}/files/{fresh_file} {"client_visible":true}"#,
        [401, 200, 200, 404, 404, 403, 403, 403, 404, 401],
    ),
    (
        "DELETE",
        "/api/v1/projects/{id}/files/{file}",
        "/api/v1/projects/{shared}/files/{unknown}",
        [401, 404, 404, 404, 404, 404, 404, 404, 404, 401],
    ),
    (
        "DELETE",
        "/api/v1/projects/{id}/files/{file}",
        "/api/v1/projects/{shared}/files/{fresh_file}",
        [401, 204, 204, 404, 404, 404, 404, 404, 404, 401],
    ),
    (
        "GET",
        "/api/v1/clients",
        "/api/v1/clients",
        [401, 200, 403, 403, 403, 403, 403, 403, 403, 401],
    ),
    (
        "POST",
        "/api/v1/clients",
        "/api/v1/clients",
        [401, 422, 403, 403, 403, 403, 403, 403, 403, 401],
    ),
    (
        "GET",
        "/api/v1/clients/{id}",
        "/api/v1/clients/{acme_org}",
        [401, 200, 403, 403, 403, 403, 403, 403, 403, 401],
    ),
    (
        "PATCH",
        "/api/v1/clients/{id}",
        "/api/v1/clients/{acme_org}",
        [401, 200, 403, 403, 403, 403, 403, 403, 403, 401],
    ),
    (
        "POST",
        "/api/v1/clients/{id}/contacts",
        "/api/v1/clients/{acme_org}/contacts",
        [401, 422, 403, 403, 403, 403, 403, 403, 403, 401],
    ),
    // Files. Upload rows (POST …/files, …/attachments) are sent as multipart with one small file.
    (
        "GET",
        "/projects/{id}/files",
        "/projects/{acme}/files",
        [303, 200, 200, 404, 404, 403, 403, 403, 403, 303],
    ),
    (
        "POST",
        "/projects/{id}/files",
        "/projects/{acme}/files",
        [303, 303, 303, 404, 404, 403, 403, 403, 403, 303],
    ),
    (
        "POST",
        "/projects/{id}/folders",
        "/projects/{acme}/folders name=Folder+{unique}",
        [303, 303, 303, 404, 404, 403, 403, 403, 403, 303],
    ),
    (
        "GET",
        "/projects/{id}/files/{file}/download",
        "/projects/{shared}/files/{internal_file}/download",
        [303, 200, 200, 404, 404, 403, 403, 403, 403, 303],
    ),
    (
        "GET",
        "/projects/{id}/files/{file}/download",
        "/projects/{acme}/files/{internal_file}/download",
        [303, 404, 404, 404, 404, 403, 403, 403, 403, 303],
    ),
    (
        "POST",
        "/projects/{id}/files/{file}/visibility",
        "/projects/{shared}/files/{fresh_file}/visibility shared=on",
        [303, 303, 303, 404, 404, 403, 403, 403, 403, 303],
    ),
    (
        "POST",
        "/projects/{id}/files/{file}/delete",
        "/projects/{shared}/files/{unknown}/delete",
        [303, 404, 404, 404, 404, 403, 403, 403, 403, 303],
    ),
    (
        "POST",
        "/projects/{id}/files/{file}/delete",
        "/projects/{shared}/files/{fresh_file}/delete",
        [303, 303, 303, 404, 404, 403, 403, 403, 403, 303],
    ),
    (
        "POST",
        "/projects/{id}/tasks/{task}/attachments",
        "/projects/{acme}/tasks/{acme_task}/attachments",
        [303, 303, 303, 404, 404, 403, 403, 403, 403, 303],
    ),
    (
        "POST",
        "/projects/{id}/tasks/{task}/attachments",
        "/projects/{shared}/tasks/{acme_task}/attachments",
        [303, 404, 404, 404, 404, 403, 403, 403, 403, 303],
    ),
    (
        "POST",
        "/portal/projects/{id}/tasks/{task}/attachments",
        "/portal/projects/{shared}/tasks/{shared_task}/attachments",
        [303, 403, 403, 403, 403, 303, 303, 403, 404, 303],
    ),
    (
        "POST",
        "/portal/projects/{id}/tasks/{task}/attachments",
        "/portal/projects/{shared}/tasks/{internal_task}/attachments",
        [303, 403, 403, 403, 403, 404, 404, 404, 404, 303],
    ),
    (
        "GET",
        "/projects/{id}/files/{file}",
        "/projects/{shared}/files/{internal_file}",
        [303, 200, 200, 404, 404, 403, 403, 403, 403, 303],
    ),
    (
        "POST",
        "/projects/{id}/files/{file}",
        "/projects/{shared}/files/{internal_file}",
        [303, 422, 422, 404, 404, 403, 403, 403, 403, 303],
    ),
    (
        "POST",
        "/projects/{id}/folders/{folder}",
        "/projects/{acme}/folders/{unknown}",
        [303, 404, 404, 404, 404, 403, 403, 403, 403, 303],
    ),
    (
        "POST",
        "/projects/{id}/folders/{folder}",
        "/projects/{acme}/folders/{acme_folder} name=Renamed+{unique}",
        [303, 303, 303, 404, 404, 403, 403, 403, 403, 303],
    ),
    (
        "POST",
        "/projects/{id}/folders/{folder}",
        "/projects/{shared}/folders/{acme_folder} name=Renamed+elsewhere",
        [303, 404, 404, 404, 404, 403, 403, 403, 403, 303],
    ),
    (
        "GET",
        "/projects/{id}/files/{file}/thumbnail",
        "/projects/{globex}/files/{globex_image}/thumbnail",
        [303, 200, 200, 404, 404, 403, 403, 403, 403, 303],
    ),
    (
        "GET",
        "/portal/projects/{id}/files/{file}/thumbnail",
        "/portal/projects/{globex}/files/{globex_image}/thumbnail",
        [303, 403, 403, 403, 403, 404, 200, 404, 404, 303],
    ),
    (
        "POST",
        "/projects/{id}/files/quota",
        "/projects/{acme}/files/quota quota_mb=500",
        [303, 303, 403, 403, 403, 403, 403, 403, 403, 303],
    ),
    (
        "GET",
        "/projects/{id}/files/trash",
        "/projects/{acme}/files/trash",
        [303, 200, 200, 404, 404, 403, 403, 403, 403, 303],
    ),
    (
        "POST",
        "/projects/{id}/files/{file}/restore",
        "/projects/{shared}/files/{internal_file}/restore",
        [303, 404, 404, 404, 404, 403, 403, 403, 403, 303],
    ),
    (
        "POST",
        "/projects/{id}/files/{file}/restore",
        "/projects/{shared}/files/{fresh_trashed_file}/restore",
        [303, 303, 303, 404, 404, 403, 403, 403, 403, 303],
    ),
    (
        "GET",
        "/admin/preview/{contact}/projects/{id}/files",
        "/admin/preview/{carla}/projects/{shared}/files",
        [303, 200, 403, 403, 403, 403, 403, 403, 403, 303],
    ),
    (
        "GET",
        "/admin/emails",
        "/admin/emails",
        [303, 200, 403, 403, 403, 403, 403, 403, 403, 303],
    ),
    (
        "POST",
        "/admin/emails/retry",
        "/admin/emails/retry",
        [303, 303, 403, 403, 403, 403, 403, 403, 403, 303],
    ),
    (
        "GET",
        "/admin/media",
        "/admin/media",
        [303, 200, 403, 403, 403, 403, 403, 403, 403, 303],
    ),
    (
        "POST",
        "/admin/media/orphans",
        "/admin/media/orphans",
        [303, 303, 403, 403, 403, 403, 403, 403, 403, 303],
    ),
    (
        "POST",
        "/admin/media/cleanup",
        "/admin/media/cleanup",
        [303, 303, 403, 403, 403, 403, 403, 403, 403, 303],
    ),
    (
        "GET",
        "/portal/projects/{id}/files",
        "/portal/projects/{shared}/files",
        [303, 403, 403, 403, 403, 200, 200, 404, 404, 303],
    ),
    (
        "GET",
        "/portal/projects/{id}/files",
        "/portal/projects/{globex}/files",
        [303, 403, 403, 403, 403, 404, 200, 404, 404, 303],
    ),
    (
        "POST",
        "/portal/projects/{id}/files",
        "/portal/projects/{shared}/files",
        [303, 403, 403, 403, 403, 303, 303, 403, 404, 303],
    ),
    (
        "GET",
        "/portal/projects/{id}/files/{file}",
        "/portal/projects/{shared}/files/{shared_file}",
        [303, 403, 403, 403, 403, 200, 200, 404, 404, 303],
    ),
    (
        "GET",
        "/portal/projects/{id}/files/{file}",
        "/portal/projects/{shared}/files/{internal_file}",
        [303, 403, 403, 403, 403, 404, 404, 404, 404, 303],
    ),
    (
        "GET",
        "/portal/projects/{id}/files/{file}",
        "/portal/projects/{shared}/files/{acme_upload}",
        [303, 403, 403, 403, 403, 200, 404, 404, 404, 303],
    ),
    (
        "GET",
        "/portal/projects/{id}/files/{file}",
        "/portal/projects/{acme}/files/{shared_file}",
        [303, 403, 403, 403, 403, 404, 404, 404, 404, 303],
    ),
    (
        "GET",
        "/portal/projects/{id}/files/{file}/download",
        "/portal/projects/{shared}/files/{shared_file}/download",
        [303, 403, 403, 403, 403, 200, 200, 404, 404, 303],
    ),
    (
        "GET",
        "/portal/projects/{id}/files/{file}/download",
        "/portal/projects/{shared}/files/{internal_file}/download",
        [303, 403, 403, 403, 403, 404, 404, 404, 404, 303],
    ),
    (
        "GET",
        "/portal/projects/{id}/files/{file}/download",
        "/portal/projects/{shared}/files/{acme_upload}/download",
        [303, 403, 403, 403, 403, 200, 404, 404, 404, 303],
    ),
    (
        "GET",
        "/portal/projects/{id}/files/{file}/download",
        "/portal/projects/{acme}/files/{shared_file}/download",
        [303, 403, 403, 403, 403, 404, 404, 404, 404, 303],
    ),
    // Acme may delete its own unshared upload (after which it is gone for the others too).
    (
        "POST",
        "/portal/projects/{id}/files/{file}/delete",
        "/portal/projects/{shared}/files/{acme_upload}/delete",
        [303, 403, 403, 403, 403, 303, 404, 404, 404, 303],
    ),
    (
        "POST",
        "/portal/projects/{id}/files/{file}/delete",
        "/portal/projects/{shared}/files/{shared_file}/delete",
        [303, 403, 403, 403, 403, 403, 403, 404, 404, 303],
    ),
    // Invoices: "assigned staff" has the finance permission (given below), "unassigned staff" not.
    ("GET", "/invoices", "/invoices", [303, 200, 200, 403, 200, 403, 403, 403, 403, 303]),
    (
        "GET",
        "/invoices",
        "/invoices?status=paid",
        [303, 200, 200, 403, 200, 403, 403, 403, 403, 303],
    ),
    (
        "GET",
        "/invoices",
        "/invoices?status=bogus",
        [303, 404, 404, 403, 404, 403, 403, 403, 403, 303],
    ),
    ("POST", "/invoices", "/invoices", [303, 422, 422, 403, 422, 403, 403, 403, 403, 303]),
    (
        "POST",
        "/invoices/totals",
        "/invoices/totals",
        [303, 422, 422, 403, 422, 403, 403, 403, 403, 303],
    ),
    (
        "GET",
        "/invoices/new",
        "/invoices/new",
        [303, 200, 200, 403, 200, 403, 403, 403, 403, 303],
    ),
    (
        "GET",
        "/invoices/{invoice}",
        "/invoices/{acme_invoice}",
        [303, 200, 200, 403, 200, 403, 403, 403, 403, 303],
    ),
    (
        "GET",
        "/invoices/{invoice}",
        "/invoices/{globex_invoice}",
        [303, 200, 200, 403, 200, 403, 403, 403, 403, 303],
    ),
    (
        "GET",
        "/invoices/{invoice}",
        "/invoices/{acme_draft}",
        [303, 200, 200, 403, 200, 403, 403, 403, 403, 303],
    ),
    (
        "GET",
        "/invoices/{invoice}",
        "/invoices/{unknown}",
        [303, 404, 404, 403, 404, 403, 403, 403, 403, 303],
    ),
    (
        "POST",
        "/invoices/{invoice}",
        "/invoices/{acme_invoice}",
        [303, 409, 409, 403, 409, 403, 403, 403, 403, 303],
    ),
    (
        "POST",
        "/invoices/{invoice}",
        "/invoices/{unknown}",
        [303, 404, 404, 403, 404, 403, 403, 403, 403, 303],
    ),
    (
        "GET",
        "/invoices/{invoice}/edit",
        "/invoices/{acme_draft}/edit",
        [303, 200, 200, 403, 200, 403, 403, 403, 403, 303],
    ),
    (
        "GET",
        "/invoices/{invoice}/edit",
        "/invoices/{acme_invoice}/edit",
        [303, 409, 409, 403, 409, 403, 403, 403, 403, 303],
    ),
    (
        "POST",
        "/invoices/{invoice}/send",
        "/invoices/{unknown}/send",
        [303, 404, 404, 403, 404, 403, 403, 403, 403, 303],
    ),
    (
        "POST",
        "/invoices/{invoice}/send",
        "/invoices/{fresh_draft}/send",
        [303, 303, 303, 403, 303, 403, 403, 403, 403, 303],
    ),
    (
        "POST",
        "/invoices/{invoice}/delete",
        "/invoices/{unknown}/delete",
        [303, 404, 404, 403, 404, 403, 403, 403, 403, 303],
    ),
    (
        "POST",
        "/invoices/{invoice}/delete",
        "/invoices/{fresh_draft}/delete",
        [303, 303, 303, 403, 303, 403, 403, 403, 403, 303],
    ),
    (
        "POST",
        "/invoices/{invoice}/void",
        "/invoices/{fresh_sent_invoice}/void reason=Sent+by+mistake",
        [303, 303, 303, 403, 303, 403, 403, 403, 403, 303],
    ),
    (
        "POST",
        "/invoices/{invoice}/credit",
        "/invoices/{fresh_sent_invoice}/credit reason=Goodwill&line_description=Goodwill&line_quantity=1&line_unit_price=2",
        [303, 303, 303, 403, 303, 403, 403, 403, 403, 303],
    ),
    (
        "POST",
        "/invoices/{invoice}/payments",
        "/invoices/{fresh_sent_invoice}/payments amount=3&method=bank_transfer",
        [303, 303, 303, 403, 303, 403, 403, 403, 403, 303],
    ),
    (
        "POST",
        "/invoices/{invoice}/payments",
        "/invoices/{unknown}/payments",
        [303, 404, 404, 403, 404, 403, 403, 403, 403, 303],
    ),
    (
        "POST",
        "/invoices/{invoice}/refunds",
        "/invoices/{fresh_paid_invoice}/refunds amount=1&method=bank_transfer",
        [303, 303, 303, 403, 303, 403, 403, 403, 403, 303],
    ),
    (
        "GET",
        "/admin/invoicing",
        "/admin/invoicing",
        [303, 200, 403, 403, 403, 403, 403, 403, 403, 303],
    ),
    (
        "POST",
        "/admin/invoicing",
        "/admin/invoicing",
        [303, 422, 403, 403, 403, 403, 403, 403, 403, 303],
    ),
    (
        "POST",
        "/admin/tax-rates",
        "/admin/tax-rates name=Matrix+tax+{unique}&percent=5",
        [303, 303, 403, 403, 403, 403, 403, 403, 403, 303],
    ),
    (
        "POST",
        "/admin/tax-rates/{rate}/archive",
        "/admin/tax-rates/{unknown}/archive",
        [303, 404, 403, 403, 403, 403, 403, 403, 403, 303],
    ),
    (
        "POST",
        "/admin/tax-rates/{rate}/archive",
        "/admin/tax-rates/{fresh_tax_rate}/archive",
        [303, 303, 403, 403, 403, 403, 403, 403, 403, 303],
    ),
    (
        "POST",
        "/admin/users/{id}/finance",
        "/admin/users/{id}/finance finance=on",
        [303, 303, 403, 403, 403, 403, 403, 403, 403, 303],
    ),
    (
        "GET",
        "/portal/invoices",
        "/portal/invoices",
        [303, 403, 403, 403, 403, 200, 200, 403, 200, 303],
    ),
    (
        "GET",
        "/portal/invoices/{invoice}",
        "/portal/invoices/{acme_invoice}",
        [303, 403, 403, 403, 403, 200, 404, 404, 200, 303],
    ),
    (
        "GET",
        "/portal/invoices/{invoice}",
        "/portal/invoices/{acme_draft}",
        [303, 403, 403, 403, 403, 404, 404, 404, 404, 303],
    ),
    (
        "GET",
        "/portal/invoices/{invoice}",
        "/portal/invoices/{globex_invoice}",
        [303, 403, 403, 403, 403, 404, 200, 404, 404, 303],
    ),
    (
        "GET",
        "/admin/preview/{contact}/invoices",
        "/admin/preview/{carla}/invoices",
        [303, 200, 403, 403, 403, 403, 403, 403, 403, 303],
    ),
    (
        "GET",
        "/admin/preview/{contact}/invoices/{invoice}",
        "/admin/preview/{carla}/invoices/{acme_invoice}",
        [303, 200, 403, 403, 403, 403, 403, 403, 403, 303],
    ),
    (
        "GET",
        "/admin/preview/{contact}/invoices/{invoice}",
        "/admin/preview/{oscar}/invoices/{acme_invoice}",
        [303, 404, 403, 403, 403, 403, 403, 403, 403, 303],
    ),
    ("GET", "/reports", "/reports", [303, 200, 200, 403, 200, 403, 403, 403, 403, 303]),
    (
        "GET",
        "/reports",
        "/reports?page=2",
        [303, 200, 200, 403, 200, 403, 403, 403, 403, 303],
    ),
    (
        "GET",
        "/reports/payments",
        "/reports/payments",
        [303, 200, 200, 403, 200, 403, 403, 403, 403, 303],
    ),
    (
        "GET",
        "/reports/csv/{report}",
        "/reports/csv/revenue",
        [303, 200, 200, 403, 200, 403, 403, 403, 403, 303],
    ),
    (
        "GET",
        "/reports/csv/{report}",
        "/reports/csv/receivables",
        [303, 200, 200, 403, 200, 403, 403, 403, 403, 303],
    ),
    (
        "GET",
        "/reports/csv/{report}",
        "/reports/csv/clients",
        [303, 200, 200, 403, 200, 403, 403, 403, 403, 303],
    ),
    (
        "GET",
        "/reports/csv/{report}",
        "/reports/csv/payments",
        [303, 200, 200, 403, 200, 403, 403, 403, 403, 303],
    ),
    (
        "GET",
        "/reports/csv/{report}",
        "/reports/csv/secrets",
        [303, 404, 404, 403, 404, 403, 403, 403, 403, 303],
    ),
    (
        "GET",
        "/invoices/{invoice}/pdf",
        "/invoices/{acme_invoice}/pdf",
        [303, 200, 200, 403, 200, 403, 403, 403, 403, 303],
    ),
    (
        "GET",
        "/invoices/{invoice}/pdf",
        "/invoices/{unknown}/pdf",
        [303, 404, 404, 403, 404, 403, 403, 403, 403, 303],
    ),
    (
        "GET",
        "/portal/invoices/{invoice}/pdf",
        "/portal/invoices/{acme_invoice}/pdf",
        [303, 403, 403, 403, 403, 200, 404, 404, 200, 303],
    ),
    (
        "GET",
        "/portal/invoices/{invoice}/pdf",
        "/portal/invoices/{acme_draft}/pdf",
        [303, 403, 403, 403, 403, 404, 404, 404, 404, 303],
    ),
    (
        "GET",
        "/api/v1/invoices",
        "/api/v1/invoices",
        [401, 200, 200, 403, 200, 200, 200, 403, 200, 401],
    ),
    (
        "GET",
        "/api/v1/invoices",
        "/api/v1/invoices?status=nonsense",
        [401, 422, 422, 422, 422, 422, 422, 422, 422, 401],
    ),
    (
        "GET",
        "/api/v1/invoices/{invoice}",
        "/api/v1/invoices/{acme_invoice}",
        [401, 200, 200, 404, 200, 200, 404, 404, 200, 401],
    ),
    (
        "GET",
        "/api/v1/invoices/{invoice}",
        "/api/v1/invoices/{acme_draft}",
        [401, 200, 200, 404, 200, 404, 404, 404, 404, 401],
    ),
    (
        "POST",
        "/api/v1/invoices",
        r#"/api/v1/invoices {"client_org_id":"{acme_org}","lines":[]}"#,
        [401, 201, 201, 403, 201, 403, 403, 403, 403, 401],
    ),
    (
        "PUT",
        "/api/v1/invoices/{invoice}",
        r#"/api/v1/invoices/{acme_invoice} {"client_org_id":"{acme_org}","lines":[]}"#,
        [401, 409, 409, 403, 409, 403, 403, 403, 403, 401],
    ),
    (
        "DELETE",
        "/api/v1/invoices/{invoice}",
        "/api/v1/invoices/{unknown}",
        [401, 404, 404, 403, 404, 403, 403, 403, 403, 401],
    ),
    (
        "DELETE",
        "/api/v1/invoices/{invoice}",
        "/api/v1/invoices/{fresh_draft}",
        [401, 204, 204, 403, 204, 403, 403, 403, 403, 401],
    ),
    (
        "POST",
        "/api/v1/invoices/{invoice}/send",
        "/api/v1/invoices/{unknown}/send",
        [401, 404, 404, 403, 404, 403, 403, 403, 403, 401],
    ),
    (
        "POST",
        "/api/v1/invoices/{invoice}/send",
        "/api/v1/invoices/{fresh_draft}/send",
        [401, 200, 200, 403, 200, 403, 403, 403, 403, 401],
    ),
    (
        "POST",
        "/api/v1/invoices/{invoice}/void",
        r#"/api/v1/invoices/{acme_invoice}/void {"reason":""}"#,
        [401, 422, 422, 403, 422, 403, 403, 403, 403, 401],
    ),
    (
        "POST",
        "/api/v1/invoices/{invoice}/payments",
        r#"/api/v1/invoices/{acme_invoice}/payments {"amount":"0","method":"cash"}"#,
        [401, 422, 422, 403, 422, 403, 403, 403, 403, 401],
    ),
    (
        "POST",
        "/portal/invoices/{invoice}/pay",
        "/portal/invoices/{acme_invoice}/pay",
        [303, 403, 403, 403, 403, 303, 404, 404, 303, 303],
    ),
    (
        "POST",
        "/portal/invoices/{invoice}/pay",
        "/portal/invoices/{acme_draft}/pay",
        [303, 403, 403, 403, 403, 404, 404, 404, 404, 303],
    ),
    (
        "GET",
        "/portal/invoices/{invoice}/payments/{attempt}",
        "/portal/invoices/{acme_invoice}/payments/{unknown}",
        [303, 403, 403, 403, 403, 404, 404, 404, 404, 303],
    ),
    (
        "GET",
        "/portal/invoices/{invoice}/payments/{attempt}",
        "/portal/invoices/{globex_invoice}/payments/{unknown}",
        [303, 403, 403, 403, 403, 404, 404, 404, 404, 303],
    ),
    // Carla's attempt: the finance-only contact of the same organisation sees the invoice, but
    // an attempt is its creator's.
    (
        "GET",
        "/portal/invoices/{invoice}/payments/{attempt}",
        "/portal/invoices/{acme_invoice}/payments/{acme_attempt}",
        [303, 403, 403, 403, 403, 200, 404, 404, 404, 303],
    ),
    (
        "POST",
        "/webhooks/{gateway}",
        "/webhooks/stripe",
        [400, 400, 400, 400, 400, 400, 400, 400, 400, 400],
    ),
    (
        "POST",
        "/webhooks/{gateway}",
        "/webhooks/nonsense",
        [404, 404, 404, 404, 404, 404, 404, 404, 404, 404],
    ),
    (
        "POST",
        "/admin/invoicing/gateways/{gateway}",
        "/admin/invoicing/gateways/paypal",
        [303, 303, 403, 403, 403, 403, 403, 403, 403, 303],
    ),
    (
        "POST",
        "/admin/invoicing/gateways/{gateway}",
        "/admin/invoicing/gateways/nonsense",
        [303, 404, 403, 403, 403, 403, 403, 403, 403, 303],
    ),
    // The API's counterparts of the pages (issue 13): milestones, columns, comments, the
    // review trail, attachments, folders, the trash, storage, media, emails, invoices' PDFs,
    // credit notes, refunds and Pay Now, invoicing settings, tax rates, gateways, reports,
    // contacts, invitations, the audit trail and the token's own dates.
    (
        "POST",
        "/projects/{id}/milestones/{milestone}/delete",
        "/projects/{acme}/milestones/{fresh_milestone}/delete",
        [303, 303, 303, 404, 404, 403, 403, 403, 403, 303],
    ),
    (
        "PATCH",
        "/api/v1/projects/{id}/milestones/{milestone}",
        r#"/api/v1/projects/{acme}/milestones/{acme_milestone} {"name":"Renamed {unique}"}"#,
        [401, 200, 200, 404, 404, 403, 404, 403, 404, 401],
    ),
    (
        "PATCH",
        "/api/v1/projects/{id}/milestones/{milestone}",
        r#"/api/v1/projects/{shared}/milestones/{acme_milestone} {"name":"Elsewhere"}"#,
        [401, 404, 404, 404, 404, 403, 403, 403, 404, 401],
    ),
    (
        "DELETE",
        "/api/v1/projects/{id}/milestones/{milestone}",
        "/api/v1/projects/{acme}/milestones/{fresh_milestone}",
        [401, 204, 204, 404, 404, 403, 404, 403, 404, 401],
    ),
    (
        "GET",
        "/api/v1/projects/{id}/columns",
        "/api/v1/projects/{acme}/columns",
        [401, 200, 200, 404, 404, 200, 404, 200, 404, 401],
    ),
    (
        "POST",
        "/api/v1/projects/{id}/columns",
        r#"/api/v1/projects/{acme}/columns {"name":"Column {unique}"}"#,
        [401, 201, 201, 404, 404, 403, 404, 403, 404, 401],
    ),
    (
        "PATCH",
        "/api/v1/projects/{id}/columns/{column}",
        r#"/api/v1/projects/{acme}/columns/{acme_column} {"name":"Backlog {unique}"}"#,
        [401, 200, 200, 404, 404, 403, 404, 403, 404, 401],
    ),
    (
        "DELETE",
        "/api/v1/projects/{id}/columns/{column}",
        "/api/v1/projects/{globex}/columns/{fresh_column}",
        [401, 204, 204, 404, 404, 404, 403, 404, 404, 401],
    ),
    (
        "PATCH",
        "/api/v1/projects/{id}/tasks/{task}/comments/{comment}",
        r#"/api/v1/projects/{acme}/tasks/{acme_task}/comments/{acme_comment} {"body":"Edited {unique}"}"#,
        [401, 403, 204, 404, 404, 403, 404, 403, 404, 401],
    ),
    (
        "DELETE",
        "/api/v1/projects/{id}/tasks/{task}/comments/{comment}",
        "/api/v1/projects/{acme}/tasks/{acme_task}/comments/{fresh_comment}",
        [401, 204, 204, 404, 404, 403, 404, 403, 404, 401],
    ),
    (
        "GET",
        "/api/v1/projects/{id}/reviews",
        "/api/v1/projects/{acme}/reviews",
        [401, 200, 200, 404, 404, 200, 404, 200, 404, 401],
    ),
    (
        "GET",
        "/api/v1/projects/{id}/tasks/{task}/attachments",
        "/api/v1/projects/{acme}/tasks/{acme_task}/attachments",
        [401, 200, 200, 404, 404, 200, 404, 200, 404, 401],
    ),
    (
        "POST",
        "/api/v1/projects/{id}/tasks/{task}/attachments",
        "/api/v1/projects/{acme}/tasks/{acme_task}/attachments",
        [401, 201, 201, 404, 404, 201, 404, 403, 404, 401],
    ),
    (
        "POST",
        "/api/v1/projects/{id}/files/{file}/restore",
        "/api/v1/projects/{shared}/files/{fresh_trashed_file}/restore",
        [401, 200, 200, 404, 404, 403, 403, 403, 404, 401],
    ),
    (
        "GET",
        "/api/v1/projects/{id}/trash",
        "/api/v1/projects/{shared}/trash",
        [401, 200, 200, 404, 404, 403, 403, 403, 404, 401],
    ),
    (
        "GET",
        "/api/v1/projects/{id}/folders",
        "/api/v1/projects/{acme}/folders",
        [401, 200, 200, 404, 404, 200, 404, 404, 404, 401],
    ),
    (
        "POST",
        "/api/v1/projects/{id}/folders",
        r#"/api/v1/projects/{acme}/folders {"name":"Folder {unique}"}"#,
        [401, 201, 201, 404, 404, 403, 404, 403, 404, 401],
    ),
    (
        "PATCH",
        "/api/v1/projects/{id}/folders/{folder}",
        r#"/api/v1/projects/{acme}/folders/{acme_folder} {"name":"Matrix folder {unique}"}"#,
        [401, 200, 200, 404, 404, 404, 404, 404, 404, 401],
    ),
    (
        "DELETE",
        "/api/v1/projects/{id}/folders/{folder}",
        "/api/v1/projects/{acme}/folders/{fresh_folder}",
        [401, 204, 204, 404, 404, 403, 404, 403, 404, 401],
    ),
    (
        "GET",
        "/api/v1/projects/{id}/storage",
        "/api/v1/projects/{acme}/storage",
        [401, 200, 403, 403, 403, 403, 403, 403, 403, 401],
    ),
    (
        "PUT",
        "/api/v1/projects/{id}/storage",
        r#"/api/v1/projects/{acme}/storage {"quota_bytes":50000000}"#,
        [401, 200, 403, 403, 403, 403, 403, 403, 403, 401],
    ),
    (
        "GET",
        "/api/v1/media",
        "/api/v1/media",
        [401, 200, 403, 403, 403, 403, 403, 403, 403, 401],
    ),
    (
        "POST",
        "/api/v1/media/orphans",
        "/api/v1/media/orphans",
        [401, 202, 403, 403, 403, 403, 403, 403, 403, 401],
    ),
    (
        "POST",
        "/api/v1/media/cleanup",
        "/api/v1/media/cleanup",
        [401, 202, 403, 403, 403, 403, 403, 403, 403, 401],
    ),
    (
        "GET",
        "/api/v1/emails/undelivered",
        "/api/v1/emails/undelivered",
        [401, 200, 403, 403, 403, 403, 403, 403, 403, 401],
    ),
    (
        "POST",
        "/api/v1/emails/retry",
        "/api/v1/emails/retry",
        [401, 200, 403, 403, 403, 403, 403, 403, 403, 401],
    ),
    (
        "GET",
        "/api/v1/invoices/{invoice}/pdf",
        "/api/v1/invoices/{acme_invoice}/pdf",
        [401, 200, 200, 404, 200, 200, 404, 404, 200, 401],
    ),
    (
        "POST",
        "/api/v1/invoices/{invoice}/credit",
        r#"/api/v1/invoices/{fresh_sent_invoice}/credit {"lines":[{"description":"Goodwill","quantity":"1","unit_price":"2"}],"reason":"Goodwill"}"#,
        [401, 201, 201, 403, 201, 403, 403, 403, 403, 401],
    ),
    (
        "POST",
        "/api/v1/invoices/{invoice}/refunds",
        r#"/api/v1/invoices/{fresh_paid_invoice}/refunds {"amount":"1","method":"bank_transfer"}"#,
        [401, 200, 200, 403, 200, 403, 403, 403, 403, 401],
    ),
    (
        "POST",
        "/api/v1/invoices/{invoice}/pay",
        r#"/api/v1/invoices/{acme_invoice}/pay {"gateway":"stripe"}"#,
        [401, 403, 403, 403, 403, 422, 404, 404, 422, 401],
    ),
    (
        "GET",
        "/api/v1/settings/invoicing",
        "/api/v1/settings/invoicing",
        [401, 200, 403, 403, 403, 403, 403, 403, 403, 401],
    ),
    (
        "PUT",
        "/api/v1/settings/invoicing",
        r#"/api/v1/settings/invoicing {"business_name":"Matrix Studio {unique}","business_address":"1 Main Street","tax_id":"","payment_terms":"","footer":"","number_pattern":"INV-{YYYY}-{SEQ:4}","credit_note_pattern":"CN-{YYYY}-{SEQ:4}","default_terms_days":30,"reminder_days":"","attach_pdf":true}"#,
        [401, 200, 403, 403, 403, 403, 403, 403, 403, 401],
    ),
    (
        "GET",
        "/api/v1/tax-rates",
        "/api/v1/tax-rates",
        [401, 200, 200, 403, 200, 403, 403, 403, 403, 401],
    ),
    (
        "POST",
        "/api/v1/tax-rates",
        r#"/api/v1/tax-rates {"name":"Matrix tax {unique}","percent":"5"}"#,
        [401, 201, 403, 403, 403, 403, 403, 403, 403, 401],
    ),
    (
        "POST",
        "/api/v1/tax-rates/{rate}/archive",
        "/api/v1/tax-rates/{fresh_tax_rate}/archive",
        [401, 204, 403, 403, 403, 403, 403, 403, 403, 401],
    ),
    (
        "GET",
        "/api/v1/settings/gateways",
        "/api/v1/settings/gateways",
        [401, 200, 403, 403, 403, 403, 403, 403, 403, 401],
    ),
    (
        "PUT",
        "/api/v1/settings/gateways/{gateway}",
        r#"/api/v1/settings/gateways/paypal {"values":{"client_id":"matrix-{unique}"}}"#,
        [401, 200, 403, 403, 403, 403, 403, 403, 403, 401],
    ),
    (
        "PUT",
        "/api/v1/settings/gateways/{gateway}",
        "/api/v1/settings/gateways/nonsense",
        [401, 404, 403, 403, 403, 403, 403, 403, 403, 401],
    ),
    (
        "GET",
        "/api/v1/reports/financial",
        "/api/v1/reports/financial",
        [401, 200, 200, 403, 200, 403, 403, 403, 403, 401],
    ),
    (
        "GET",
        "/api/v1/reports/payments",
        "/api/v1/reports/payments",
        [401, 200, 200, 403, 200, 403, 403, 403, 403, 401],
    ),
    (
        "PATCH",
        "/api/v1/clients/{id}/contacts/{contact}",
        r#"/api/v1/clients/{acme_org}/contacts/{fresh_contact} {"permissions":["view_tasks"]}"#,
        [401, 200, 403, 403, 403, 403, 403, 403, 403, 401],
    ),
    (
        "PATCH",
        "/api/v1/clients/{id}/contacts/{contact}",
        r#"/api/v1/clients/{globex_org}/contacts/{carla} {"primary":true}"#,
        [401, 404, 403, 403, 403, 403, 403, 403, 403, 401],
    ),
    (
        "POST",
        "/api/v1/users/{id}/invite",
        "/api/v1/users/{id}/invite",
        [401, 200, 403, 403, 403, 403, 403, 403, 403, 401],
    ),
    (
        "GET",
        "/api/v1/audit",
        "/api/v1/audit",
        [401, 200, 403, 403, 403, 403, 403, 403, 403, 401],
    ),
    (
        "PATCH",
        "/api/v1/me",
        r#"/api/v1/me {"date_format":"yyyy-mm-dd"}"#,
        [401, 200, 200, 200, 200, 200, 200, 200, 200, 401],
    ),
    // Last: it ends the actor's session.
    ("POST", "/logout", "/logout", [303, 303, 303, 303, 303, 303, 303, 303, 303, 303]),
];

#[test]
fn the_matrix_covers_exactly_the_routes_of_the_router() {
    let routes: BTreeSet<(String, String)> = web::routes::route_table()
        .iter()
        .map(|r| (r.method.to_string(), r.path.to_owned()))
        .collect();
    let matrix: BTreeSet<(String, String)> = MATRIX.iter().map(|(m, p, _, _)| (m.to_string(), p.to_string())).collect();
    let missing: Vec<_> = routes.difference(&matrix).collect();
    let extra: Vec<_> = matrix.difference(&routes).collect();
    assert!(
        missing.is_empty(),
        "routes without an entry in the authorization matrix: {missing:?}"
    );
    assert!(extra.is_empty(), "matrix entries for routes that do not exist: {extra:?}");
}

/// Routes whose every row uses an item that does not exist would test only the 404 every
/// admitted actor gets, never whether one person may act on another's item: each route with
/// a placeholder must have a row whose items all exist. (Rows with `{unknown}` or an unknown
/// token are kept beside those, for the "no such item" answer.)
#[test]
fn every_route_with_an_id_is_called_with_an_item_that_exists() {
    let mut real = BTreeSet::new();
    let mut with_ids = BTreeSet::new();
    for (method, pattern, concrete, _) in MATRIX {
        if pattern.contains('{') {
            with_ids.insert((*method, *pattern));
            if !concrete.contains("{unknown}") && !concrete.contains("{no_such_token}") {
                real.insert((*method, *pattern));
            }
        }
    }
    let only_unknown: Vec<_> = with_ids.difference(&real).collect();
    assert!(
        only_unknown.is_empty(),
        "routes called only with ids that do not exist: {only_unknown:?}"
    );
}

/// Rows that answer success without changing anything, and why. Any other success of a
/// state-changing request must change the database, and every refusal must leave it as it
/// was (checked around each request).
const SUCCESS_WITHOUT_CHANGE: &[(&str, &str)] = &[
    ("/logout", "it ends the session, and sessions are left out of the comparison"),
    ("/admin/emails/retry", "no email of the demo waits for a retry"),
    ("/admin/media/orphans", "the scan only reports"),
    ("/admin/media/cleanup", "the demo's storage has no orphaned object to remove"),
    ("/api/v1/media/orphans", "the scan only reports"),
    ("/api/v1/media/cleanup", "the demo's storage has no orphaned object to remove"),
    ("/api/v1/emails/retry", "no email of the demo waits for a retry"),
];

async fn every_route_answers_every_actor_as_expected(backend: Backend) {
    let t = TestApp::spawn(backend).await;
    let operator = app::users::Actor::Operator;
    let new_user = |email: &str, name: &str, role: &str, org| app::users::NewUserInput {
        email: email.into(),
        name: name.into(),
        role: role.into(),
        client_org_id: org,
    };
    let set = || app::users::FirstPassword::Set(DEMO_PASSWORD.into());
    let target = t
        .app
        .create_user(
            &operator,
            &new_user("target@example.com", "Target Person", "staff", None),
            app::users::FirstPassword::ReturnLink,
        )
        .await
        .unwrap();
    let target_token = target.link.unwrap().rsplit('/').next().unwrap().to_owned();
    let target = target.user.id.to_string();
    t.app
        .create_user(&operator, &new_user("gone@example.com", "Gone Person", "staff", None), set())
        .await
        .unwrap();
    t.app
        .create_user(&operator, &new_user("uma@example.com", "Uma Unassigned", "staff", None), set())
        .await
        .unwrap();
    let fay = t
        .app
        .create_user(&operator, &new_user("fay@example.com", "Fay Finance", "staff", None), set())
        .await
        .unwrap();
    t.app.set_finance(&operator, fay.user.id, true).await.unwrap();
    let acme = t.app.user(t.user_id(CLIENT).await).await.unwrap().client_org_id;
    let nora = t
        .app
        .create_user(&operator, &new_user("nora@example.com", "Nora Noperm", "client", acme), set())
        .await
        .unwrap();
    let view_only = domain::access::PortalPermissions::from_permissions([domain::access::Permission::ViewTasks]);
    t.app
        .set_contact_permissions(&operator, acme.unwrap(), nora.user.id, Some(view_only))
        .await
        .unwrap();
    t.app.set_finance(&operator, t.user_id(STAFF).await, true).await.unwrap();
    let admin_token = t.app.create_api_token(ADMIN, "matrix fixtures").await.unwrap();
    let fixtures = Fixtures {
        t: &t,
        admin_token: admin_token.clone(),
        ids: [demo_ids(&t).await, vec![("target_token", target_token)]].concat(),
        made: Default::default(),
    };
    fixtures.let_acme_request_tasks().await;

    let mut clients = vec![t.client()];
    let mut tokens = vec![String::new()];
    for email in [
        ADMIN,
        STAFF,
        "uma@example.com",
        "fay@example.com",
        CLIENT,
        OTHER_CLIENT,
        "nora@example.com",
        FINANCE,
        "gone@example.com",
    ] {
        clients.push(t.login(email, DEMO_PASSWORD).await);
        tokens.push(t.app.create_api_token(email, "matrix").await.unwrap());
    }
    t.app.deactivate_user(&operator, t.user_id("gone@example.com").await).await.unwrap();

    let mut failures = vec![];
    let mut effects_checked = 0;
    for (method, pattern, concrete, expected) in MATRIX {
        let method = Method::from_bytes(method.as_bytes()).unwrap();
        for (actor, client) in clients.iter().enumerate() {
            let path = fixtures.path(pattern, concrete, &target).await;
            // A row may carry its body after the path: JSON for the API, a form otherwise.
            let (path, body) = match path.split_once(' ') {
                Some((path, body)) => (path.to_owned(), body.to_owned()),
                None => (path, String::new()),
            };
            let mut request = client.http.request(method.clone(), client.url(&path));
            if path.starts_with("/api/") {
                if !tokens[actor].is_empty() {
                    request = request.bearer_auth(&tokens[actor]);
                }
                if method == Method::POST && (pattern.ends_with("/files") || pattern.ends_with("/attachments")) {
                    let part = reqwest::multipart::Part::bytes(b"matrix".to_vec()).file_name("matrix.txt");
                    request = request.multipart(reqwest::multipart::Form::new().part("files", part));
                } else if method != Method::GET {
                    let json: serde_json::Value = if body.is_empty() {
                        serde_json::json!({})
                    } else {
                        serde_json::from_str(&body).unwrap()
                    };
                    request = request.json(&json);
                }
            } else if method == Method::POST && (pattern.ends_with("/files") || pattern.ends_with("/attachments")) {
                let token = client.csrf().await;
                let part = reqwest::multipart::Part::bytes(b"matrix".to_vec()).file_name("matrix.txt");
                request = client
                    .http
                    .post(client.url(&format!("{path}?_csrf={token}")))
                    .multipart(reqwest::multipart::Form::new().part("files", part));
            } else if method != Method::GET {
                let mut fields: Vec<(String, String)> = url_pairs(&body);
                fields.push(("_csrf".into(), client.csrf().await));
                request = request.form(&fields);
            }
            let changes_state = method != Method::GET;
            let before = if changes_state { Some(fingerprint(&t).await) } else { None };
            let response = request.send().await.unwrap();
            let status = response.status().as_u16();
            let location = response
                .headers()
                .get("location")
                .and_then(|l| l.to_str().ok())
                .unwrap_or_default()
                .to_owned();
            let error_flash = response
                .headers()
                .get_all("set-cookie")
                .iter()
                .any(|c| c.to_str().is_ok_and(|c| c.contains("portico_flash=error%3A")));
            let who = format!("{method} {concrete} ({pattern}) as {}", ACTORS[actor]);
            if status != expected[actor] {
                failures.push(format!("{who}: expected {}, got {status}", expected[actor]));
            }
            if let Some(before) = before {
                let changed = changed_tables(&before, &fingerprint(&t).await);
                // A refusal: an error status, the login page, or a redirect back with an error
                // message (such as Pay Now with no gateway set up).
                let refused = status >= 400 || location.starts_with("/login") || error_flash;
                let quiet = SUCCESS_WITHOUT_CHANGE.iter().any(|(p, _)| p == pattern);
                if refused && !changed.is_empty() {
                    failures.push(format!("{who}: refused with {status}, yet changed {changed:?}"));
                } else if !refused && !quiet && changed.is_empty() {
                    failures.push(format!("{who}: answered {status} {location} but changed nothing"));
                }
                effects_checked += 1;
            }
        }
    }
    assert!(failures.is_empty(), "authorization matrix mismatches:\n{}", failures.join("\n"));
    assert!(
        effects_checked > 900,
        "the effects of {effects_checked} state-changing requests were checked"
    );
}

/// `a=1&b=two` as pairs (the rows' form bodies are written unencoded, without `&` or `=` in
/// values).
fn url_pairs(body: &str) -> Vec<(String, String)> {
    body.split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            (key.to_owned(), value.replace('+', " "))
        })
        .collect()
}

/// Every table's rows, hashed: what a request changed. Left out: what every request touches
/// (sessions, the sign-in throttle, a token's last use), and the migrations.
async fn fingerprint(t: &TestApp) -> std::collections::BTreeMap<String, u64> {
    use std::hash::{Hash, Hasher};
    // Background jobs (emails) change their rows after the request that queued them.
    t.outbox_drained().await;
    let mut handle = t.app.db.read().await.unwrap();
    let mut conn = handle.conn();
    let sqlite = matches!(conn, store::Conn::Sqlite(_));
    let tables_sql = if sqlite {
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
    } else {
        "SELECT tablename::text FROM pg_tables WHERE schemaname = current_schema()"
    };
    let tables: Vec<String> = store::on_conn!(&mut conn, c => sqlx::query_scalar(tables_sql).fetch_all(c).await).unwrap();
    let volatile = ["last_used_at", "last_seen_at"];
    let mut prints = std::collections::BTreeMap::new();
    for table in tables {
        if ["sessions", "auth_throttle", "_sqlx_migrations"].contains(&table.as_str()) {
            continue;
        }
        let sql = if sqlite {
            let columns: Vec<String> = store::on_conn!(&mut conn, c => sqlx::query_scalar("SELECT name FROM pragma_table_info($1)").bind(&table).fetch_all(c).await)
                .unwrap();
            let row: Vec<String> = columns
                .iter()
                .filter(|c| !volatile.contains(&c.as_str()))
                .map(|c| format!("quote(\"{c}\")"))
                .collect();
            format!(
                "SELECT COALESCE(group_concat(r, '|'), '') FROM (SELECT {} AS r FROM \"{table}\" ORDER BY r)",
                row.join(" || ',' || ")
            )
        } else {
            let without = volatile.iter().map(|c| format!(" - '{c}'")).collect::<String>();
            format!(
                "SELECT COALESCE(string_agg(r, '|' ORDER BY r), '') FROM (SELECT (to_jsonb(t){without})::text AS r FROM \"{table}\" t) x"
            )
        };
        let rows: String = store::on_conn!(&mut conn, c => sqlx::query_scalar(&sql).fetch_one(c).await).unwrap();
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        rows.hash(&mut hasher);
        prints.insert(table, hasher.finish());
    }
    prints
}

fn changed_tables(before: &std::collections::BTreeMap<String, u64>, after: &std::collections::BTreeMap<String, u64>) -> Vec<String> {
    after
        .iter()
        .filter(|(table, print)| before.get(*table) != Some(print))
        .map(|(table, _)| table.clone())
        .collect()
}

/// The items rows name: demo items by placeholder, and `fresh_…` items made anew for each
/// request (a row that deletes or sends one would otherwise consume it for the next actor).
struct Fixtures<'a> {
    t: &'a TestApp,
    admin_token: String,
    ids: Vec<(&'static str, String)>,
    /// For `{unique}`: names that differ from request to request.
    made: std::cell::Cell<u32>,
}

impl Fixtures<'_> {
    fn id(&self, name: &str) -> &str {
        &self
            .ids
            .iter()
            .find(|(n, _)| *n == name)
            .unwrap_or_else(|| panic!("no fixture {name}"))
            .1
    }

    /// The row's concrete path with every placeholder filled in.
    async fn path(&self, pattern: &str, concrete: &str, target: &str) -> String {
        let mut path = concrete.replace("{no_such_token}", "no-such-token");
        if pattern.starts_with("/static/") {
            path = path.replace("{file}", "style.css");
        }
        self.made.set(self.made.get() + 1);
        path = path.replace("{unique}", &self.made.get().to_string());
        for fresh in [
            "fresh_file",
            "fresh_trashed_file",
            "fresh_draft",
            "fresh_sent_invoice",
            "fresh_paid_invoice",
            "fresh_tax_rate",
            "fresh_milestone",
            "fresh_column",
            "fresh_folder",
            "fresh_comment",
            "fresh_contact",
        ] {
            let placeholder = format!("{{{fresh}}}");
            if path.contains(&placeholder) {
                path = path.replace(&placeholder, &self.fresh(fresh).await);
            }
        }
        for (name, id) in &self.ids {
            path = path.replace(&format!("{{{name}}}"), id);
        }
        path.replace("{id}", target)
    }

    async fn api(&self, method: Method, path: &str, body: Option<serde_json::Value>) -> serde_json::Value {
        let page = self.t.client().api(method, path, &self.admin_token, body).await;
        assert!(page.status.is_success(), "fixture {path}: {} {}", page.status, page.body);
        if page.body.is_empty() {
            serde_json::Value::Null
        } else {
            page.json()
        }
    }

    async fn fresh(&self, kind: &str) -> String {
        match kind {
            "fresh_file" | "fresh_trashed_file" => {
                let files = format!("/api/v1/projects/{}/files", self.id("shared"));
                let part = reqwest::multipart::Part::bytes(b"fixture".to_vec()).file_name(format!("fixture-{}.txt", uuid::Uuid::now_v7()));
                let response = self
                    .t
                    .client()
                    .http
                    .post(self.t.url(&files))
                    .bearer_auth(&self.admin_token)
                    .multipart(reqwest::multipart::Form::new().part("files", part))
                    .send()
                    .await
                    .unwrap();
                let report: serde_json::Value = response.json().await.unwrap();
                let id = report["uploaded"][0]["id"]
                    .as_str()
                    .unwrap_or_else(|| panic!("fixture upload: {report}"))
                    .to_owned();
                if kind == "fresh_trashed_file" {
                    self.api(Method::DELETE, &format!("{files}/{id}"), None).await;
                }
                id
            }
            "fresh_draft" | "fresh_sent_invoice" | "fresh_paid_invoice" => {
                let draft = serde_json::json!({
                    "client_org_id": self.id("acme_org"),
                    "lines": [{"description": "Fixture", "quantity": "1", "unit_price": "10"}],
                });
                let created = self.api(Method::POST, "/api/v1/invoices", Some(draft)).await;
                let id = created["id"].as_str().unwrap().to_owned();
                if kind != "fresh_draft" {
                    self.api(Method::POST, &format!("/api/v1/invoices/{id}/send"), Some(serde_json::json!({})))
                        .await;
                }
                if kind == "fresh_paid_invoice" {
                    let payment = serde_json::json!({"amount": "5", "method": "bank_transfer"});
                    self.api(Method::POST, &format!("/api/v1/invoices/{id}/payments"), Some(payment))
                        .await;
                }
                id
            }
            "fresh_tax_rate" => {
                let rate = domain::invoices::TaxRate::parse("Fixture tax", "5", false, false).unwrap();
                let admin = self.t.demo().await.admin;
                self.t.app.add_tax_rate(&admin, &rate).await.unwrap().to_string()
            }
            "fresh_milestone" => {
                let milestones = format!("/api/v1/projects/{}/milestones", self.id("acme"));
                let made = self
                    .api(Method::POST, &milestones, Some(serde_json::json!({"name": "Fixture"})))
                    .await;
                made["id"].as_str().unwrap().to_owned()
            }
            "fresh_column" => {
                let columns = format!("/api/v1/projects/{}/columns", self.id("globex"));
                let made = self.api(Method::POST, &columns, Some(serde_json::json!({"name": "Fixture"}))).await;
                made["id"].as_str().unwrap().to_owned()
            }
            "fresh_folder" => {
                let folders = format!("/api/v1/projects/{}/folders", self.id("acme"));
                let name = format!("Fixture {}", uuid::Uuid::now_v7());
                let made = self.api(Method::POST, &folders, Some(serde_json::json!({ "name": name }))).await;
                made["id"].as_str().unwrap().to_owned()
            }
            "fresh_comment" => {
                let comments = format!("/api/v1/projects/{}/tasks/{}/comments", self.id("acme"), self.id("acme_task"));
                let body = serde_json::json!({"body": "Fixture", "internal": false});
                let made = self.api(Method::POST, &comments, Some(body)).await;
                made["id"].as_str().unwrap().to_owned()
            }
            "fresh_contact" => {
                let org = domain::ids::ClientOrgId(self.id("acme_org").parse().unwrap());
                let email = format!("fixture-{}@example.com", uuid::Uuid::now_v7());
                let contact = self
                    .t
                    .app
                    .add_contact(&app::users::Actor::Operator, org, "Fixture Contact", &email)
                    .await
                    .unwrap();
                contact.to_string()
            }
            other => unreachable!("no fresh fixture {other}"),
        }
    }

    /// Acme may ask for tasks, so the request routes answer a contact yes as well as no.
    async fn let_acme_request_tasks(&self) {
        let client = format!("/api/v1/clients/{}", self.id("acme_org"));
        let found = self.api(Method::GET, &client, None).await;
        let mut permissions: Vec<serde_json::Value> = found["permissions"].as_array().unwrap().clone();
        permissions.push("request_tasks".into());
        self.api(Method::PATCH, &client, Some(serde_json::json!({ "permissions": permissions })))
            .await;
    }
}

/// The demo items the matrix calls routes with, by placeholder name.
async fn demo_ids(t: &TestApp) -> Vec<(&'static str, String)> {
    let demo = t.demo().await;
    let (acme, admin) = (demo.acme, demo.admin);
    let logo = demo.task(acme, "Logo refresh").await;
    let (comments, _) = t.app.comments(&admin, acme, logo, 50, 0).await.unwrap();
    let by_sam = comments.iter().find(|c| c.author_name == "Sam Okafor" && !c.internal).unwrap().id;
    let file = |project, name: &'static str| {
        let app = t.app.clone();
        async move {
            let files = app
                .files_in(&admin, project, app::files::Destination::Top, None, 200)
                .await
                .unwrap();
            files
                .iter()
                .find(|f| f.name == name)
                .unwrap_or_else(|| panic!("no demo file {name}"))
                .id
                .to_string()
        }
    };
    let org_of = |email: &'static str| async move { t.org_of(email).await.to_string() };
    let invoice = |email: &'static str, status: domain::invoices::InvoiceStatus| {
        let app = t.app.clone();
        async move {
            let filter = store::invoices::InvoiceFilter {
                client_org: Some(app.user(t.user_id(email).await).await.unwrap().client_org_id.unwrap()),
                project: None,
                status: Some(status),
                ..Default::default()
            };
            let page = domain::users::PageRequest::new(Some(1), Some(1));
            app.invoices(&admin, &filter, page).await.unwrap().items[0].id.to_string()
        }
    };
    use domain::invoices::InvoiceStatus;
    let acme_invoice = invoice(CLIENT, InvoiceStatus::Sent).await;
    let acme_folder = t.app.create_folder(&admin, acme, None, "Matrix folder").await.unwrap();
    // A payment attempt of Carla's (as Pay Now starts one; no gateway runs here).
    let acme_attempt = domain::ids::PaymentAttemptId::new();
    let attempt = store::payments::NewAttempt {
        id: acme_attempt,
        invoice: domain::ids::InvoiceId(acme_invoice.parse().unwrap()),
        gateway: domain::payments::Gateway::Stripe,
        amount: 100,
        currency: domain::money::Currency::parse("EUR").unwrap(),
        created_by: t.user_id(CLIENT).await,
    };
    let mut tx = t.app.db.begin().await.unwrap();
    store::payments::insert_attempt(&mut tx.conn(), &attempt, chrono::Utc::now())
        .await
        .unwrap();
    tx.commit().await.unwrap();
    vec![
        ("acme_folder", acme_folder.to_string()),
        ("acme_attempt", acme_attempt.to_string()),
        ("acme_invoice", acme_invoice),
        ("acme_draft", invoice(CLIENT, InvoiceStatus::Draft).await),
        ("globex_invoice", invoice(OTHER_CLIENT, InvoiceStatus::Sent).await),
        ("acme_milestone", t.app.milestones(&admin, acme).await.unwrap()[0].id.to_string()),
        (
            "acme_column",
            t.app.project_columns(&admin, acme).await.unwrap().columns[0].id.to_string(),
        ),
        ("acme_comment", by_sam.to_string()),
        ("acme_task", logo.to_string()),
        ("shared_task", demo.task(demo.shared, "Colour palette").await.to_string()),
        ("internal_task", demo.task(demo.shared, "Budget check").await.to_string()),
        ("acme", acme.to_string()),
        ("shared", demo.shared.to_string()),
        ("globex", demo.globex.to_string()),
        ("unknown", uuid::Uuid::now_v7().to_string()),
        ("carla", t.user_id(CLIENT).await.to_string()),
        ("acme_org", org_of(CLIENT).await),
        ("globex_org", org_of(OTHER_CLIENT).await),
        ("oscar", t.user_id(OTHER_CLIENT).await.to_string()),
        ("sam", t.user_id(STAFF).await.to_string()),
        ("shared_file", file(demo.shared, "Brand guidelines draft.pdf").await),
        ("internal_file", file(demo.shared, "Licence costs.txt").await),
        ("acme_upload", file(demo.shared, "Acme logo files.txt").await),
        ("globex_image", file(demo.globex, "App store screenshots.png").await),
    ]
}
