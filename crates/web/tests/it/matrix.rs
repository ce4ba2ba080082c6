//! The authorization matrix: every route × every kind of actor → the expected status.
//! The table below is written by hand, independently of the router; a route the router has
//! and this table lacks (or the reverse) fails the test.

use crate::support::*;
use reqwest::Method;
use std::collections::BTreeSet;
use store::on_both_databases;

on_both_databases!(every_route_answers_every_actor_as_expected);

/// Columns: anonymous, admin, staff assigned to every demo project, staff assigned to none,
/// client A (Acme), client B (Globex, which shares one project with Acme), an Acme contact
/// without the comment and review permissions, an invoices-only Acme contact, a deactivated
/// person.
type Expected = [u16; 9];
const ACTORS: [&str; 9] = [
    "anonymous",
    "admin",
    "assigned staff",
    "unassigned staff",
    "client A",
    "client B",
    "client without permission",
    "finance-only client",
    "deactivated",
];

/// A route (as the router declares it), the concrete path to call (for the API, optionally
/// followed by a space and the JSON body; `{}` otherwise), and the statuses.
type Row = (&'static str, &'static str, &'static str, Expected);

/// `{id}` under `/admin/users` is a throwaway staff member; `{token}` a password-link token
/// that does not exist; the other placeholders are demo items (see `ids`).
const MATRIX: &[Row] = &[
    ("GET", "/healthz", "/healthz", [200, 200, 200, 200, 200, 200, 200, 200, 200]),
    ("GET", "/readyz", "/readyz", [200, 200, 200, 200, 200, 200, 200, 200, 200]),
    (
        "GET",
        "/static/{file}",
        "/static/{file}",
        [200, 200, 200, 200, 200, 200, 200, 200, 200],
    ),
    ("GET", "/brand.css", "/brand.css", [200, 200, 200, 200, 200, 200, 200, 200, 200]),
    ("GET", "/brand/logo", "/brand/logo", [404, 404, 404, 404, 404, 404, 404, 404, 404]),
    ("GET", "/", "/", [303, 303, 303, 303, 303, 303, 303, 303, 303]),
    ("GET", "/login", "/login", [200, 303, 303, 303, 303, 303, 303, 303, 200]),
    ("POST", "/login", "/login", [422, 422, 422, 422, 422, 422, 422, 422, 422]),
    (
        "GET",
        "/forgot-password",
        "/forgot-password",
        [200, 200, 200, 200, 200, 200, 200, 200, 200],
    ),
    (
        "POST",
        "/forgot-password",
        "/forgot-password",
        [422, 422, 422, 422, 422, 422, 422, 422, 422],
    ),
    (
        "GET",
        "/password/{token}",
        "/password/{token}",
        [404, 404, 404, 404, 404, 404, 404, 404, 404],
    ),
    (
        "POST",
        "/password/{token}",
        "/password/{token}",
        [422, 422, 422, 422, 422, 422, 422, 422, 422],
    ),
    ("GET", "/account", "/account", [303, 200, 200, 200, 200, 200, 200, 200, 303]),
    (
        "POST",
        "/account/password",
        "/account/password",
        [303, 422, 422, 422, 422, 422, 422, 422, 303],
    ),
    ("GET", "/admin", "/admin", [303, 200, 403, 403, 403, 403, 403, 403, 303]),
    ("GET", "/staff", "/staff", [303, 403, 200, 200, 403, 403, 403, 403, 303]),
    ("GET", "/portal", "/portal", [303, 403, 403, 403, 200, 200, 200, 200, 303]),
    ("GET", "/admin/users", "/admin/users", [303, 200, 403, 403, 403, 403, 403, 403, 303]),
    (
        "POST",
        "/admin/users",
        "/admin/users",
        [303, 422, 403, 403, 403, 403, 403, 403, 303],
    ),
    (
        "GET",
        "/admin/users/new",
        "/admin/users/new",
        [303, 200, 403, 403, 403, 403, 403, 403, 303],
    ),
    (
        "GET",
        "/admin/users/{id}",
        "/admin/users/{id}",
        [303, 200, 403, 403, 403, 403, 403, 403, 303],
    ),
    (
        "POST",
        "/admin/users/{id}",
        "/admin/users/{id}",
        [303, 422, 403, 403, 403, 403, 403, 403, 303],
    ),
    (
        "POST",
        "/admin/users/{id}/deactivate",
        "/admin/users/{id}/deactivate",
        [303, 303, 403, 403, 403, 403, 403, 403, 303],
    ),
    (
        "POST",
        "/admin/users/{id}/reactivate",
        "/admin/users/{id}/reactivate",
        [303, 303, 403, 403, 403, 403, 403, 403, 303],
    ),
    (
        "POST",
        "/admin/users/{id}/invite",
        "/admin/users/{id}/invite",
        [303, 303, 403, 403, 403, 403, 403, 403, 303],
    ),
    (
        "GET",
        "/api/v1/openapi.json",
        "/api/v1/openapi.json",
        [200, 200, 200, 200, 200, 200, 200, 200, 200],
    ),
    ("GET", "/api/v1/me", "/api/v1/me", [401, 200, 200, 200, 200, 200, 200, 200, 401]),
    (
        "GET",
        "/api/v1/users",
        "/api/v1/users",
        [401, 200, 403, 403, 403, 403, 403, 403, 401],
    ),
    (
        "POST",
        "/api/v1/users",
        "/api/v1/users",
        [401, 422, 403, 403, 403, 403, 403, 403, 401],
    ),
    (
        "GET",
        "/api/v1/users/{id}",
        "/api/v1/users/{id}",
        [401, 200, 403, 403, 403, 403, 403, 403, 401],
    ),
    (
        "PATCH",
        "/api/v1/users/{id}",
        "/api/v1/users/{id}",
        [401, 200, 403, 403, 403, 403, 403, 403, 401],
    ),
    (
        "POST",
        "/api/v1/users/{id}/deactivate",
        "/api/v1/users/{id}/deactivate",
        [401, 200, 403, 403, 403, 403, 403, 403, 401],
    ),
    (
        "POST",
        "/api/v1/users/{id}/reactivate",
        "/api/v1/users/{id}/reactivate",
        [401, 200, 403, 403, 403, 403, 403, 403, 401],
    ),
    // The portal. Acme (client A) has its own project and shares one with Globex (client B);
    // Nora is an Acme contact who may only view tasks; Fiona an invoices-only Acme contact.
    (
        "GET",
        "/portal/projects/{id}",
        "/portal/projects/{acme}",
        [303, 403, 403, 403, 200, 404, 200, 404, 303],
    ),
    (
        "GET",
        "/portal/projects/{id}",
        "/portal/projects/{shared}",
        [303, 403, 403, 403, 200, 200, 200, 404, 303],
    ),
    (
        "GET",
        "/portal/projects/{id}",
        "/portal/projects/{globex}",
        [303, 403, 403, 403, 404, 200, 404, 404, 303],
    ),
    (
        "GET",
        "/portal/projects/{id}",
        "/portal/projects/{unknown}",
        [303, 403, 403, 403, 404, 404, 404, 404, 303],
    ),
    (
        "GET",
        "/portal/projects/{id}/tasks/{task}",
        "/portal/projects/{acme}/tasks/{acme_task}",
        [303, 403, 403, 403, 200, 404, 200, 404, 303],
    ),
    (
        "GET",
        "/portal/projects/{id}/tasks/{task}",
        "/portal/projects/{shared}/tasks/{shared_task}",
        [303, 403, 403, 403, 200, 200, 200, 404, 303],
    ),
    (
        "GET",
        "/portal/projects/{id}/tasks/{task}",
        "/portal/projects/{shared}/tasks/{internal_task}",
        [303, 403, 403, 403, 404, 404, 404, 404, 303],
    ),
    (
        "GET",
        "/portal/projects/{id}/tasks/{task}",
        "/portal/projects/{shared}/tasks/{acme_task}",
        [303, 403, 403, 403, 404, 404, 404, 404, 303],
    ),
    (
        "POST",
        "/portal/projects/{id}/tasks/{task}/comments",
        "/portal/projects/{shared}/tasks/{shared_task}/comments",
        [303, 403, 403, 403, 422, 422, 403, 404, 303],
    ),
    (
        "POST",
        "/portal/projects/{id}/tasks/{task}/comments",
        "/portal/projects/{acme}/tasks/{acme_task}/comments",
        [303, 403, 403, 403, 422, 404, 403, 404, 303],
    ),
    (
        "POST",
        "/portal/projects/{id}/tasks/{task}/comments",
        "/portal/projects/{shared}/tasks/{internal_task}/comments",
        [303, 403, 403, 403, 404, 404, 404, 404, 303],
    ),
    (
        "POST",
        "/portal/projects/{id}/tasks/{task}/review",
        "/portal/projects/{shared}/tasks/{shared_task}/review",
        // The palette's review is addressed to Acme: for Globex there is no review to decide.
        [303, 403, 403, 403, 422, 404, 403, 404, 303],
    ),
    (
        "POST",
        "/portal/projects/{id}/tasks/{task}/review",
        "/portal/projects/{acme}/tasks/{acme_task}/review",
        [303, 403, 403, 403, 422, 404, 403, 404, 303],
    ),
    (
        "POST",
        "/portal/projects/{id}/requests",
        "/portal/projects/{shared}/requests",
        [303, 403, 403, 403, 403, 403, 403, 404, 303],
    ),
    (
        "POST",
        "/portal/projects/{id}/requests",
        "/portal/projects/{globex}/requests",
        [303, 403, 403, 403, 404, 403, 404, 404, 303],
    ),
    (
        "GET",
        "/portal/projects/{id}/reviews.csv",
        "/portal/projects/{shared}/reviews.csv",
        [303, 403, 403, 403, 200, 200, 200, 404, 303],
    ),
    (
        "GET",
        "/portal/projects/{id}/reviews.csv",
        "/portal/projects/{acme}/reviews.csv",
        [303, 403, 403, 403, 200, 404, 200, 404, 303],
    ),
    (
        "GET",
        "/portal/projects/{id}/reviews.json",
        "/portal/projects/{shared}/reviews.json",
        [303, 403, 403, 403, 200, 200, 200, 404, 303],
    ),
    // The workspace: admins and staff; staff only on their projects (Uma is on none).
    ("GET", "/projects", "/projects", [303, 200, 200, 200, 403, 403, 403, 403, 303]),
    ("POST", "/projects", "/projects", [303, 422, 422, 422, 403, 403, 403, 403, 303]),
    (
        "GET",
        "/projects/new",
        "/projects/new",
        [303, 200, 200, 200, 403, 403, 403, 403, 303],
    ),
    (
        "GET",
        "/projects/{id}",
        "/projects/{acme}",
        [303, 200, 200, 404, 403, 403, 403, 403, 303],
    ),
    (
        "GET",
        "/projects/{id}",
        "/projects/{unknown}",
        [303, 404, 404, 404, 403, 403, 403, 403, 303],
    ),
    (
        "POST",
        "/projects/{id}",
        "/projects/{acme}",
        [303, 422, 422, 404, 403, 403, 403, 403, 303],
    ),
    (
        "GET",
        "/projects/{id}/edit",
        "/projects/{acme}/edit",
        [303, 200, 200, 404, 403, 403, 403, 403, 303],
    ),
    (
        "POST",
        "/projects/{id}/archive",
        "/projects/{acme}/archive",
        [303, 422, 422, 404, 403, 403, 403, 403, 303],
    ),
    (
        "POST",
        "/projects/{id}/milestones",
        "/projects/{acme}/milestones",
        [303, 422, 422, 404, 403, 403, 403, 403, 303],
    ),
    (
        "POST",
        "/projects/{id}/milestones/{milestone}",
        "/projects/{acme}/milestones/{acme_milestone}",
        [303, 422, 422, 404, 403, 403, 403, 403, 303],
    ),
    (
        "POST",
        "/projects/{id}/milestones/{milestone}",
        "/projects/{shared}/milestones/{acme_milestone}",
        [303, 404, 404, 404, 403, 403, 403, 403, 303],
    ),
    (
        "POST",
        "/projects/{id}/columns",
        "/projects/{acme}/columns",
        [303, 422, 422, 404, 403, 403, 403, 403, 303],
    ),
    (
        "POST",
        "/projects/{id}/columns/{column}",
        "/projects/{acme}/columns/{acme_column}",
        [303, 422, 422, 404, 403, 403, 403, 403, 303],
    ),
    (
        "POST",
        "/projects/{id}/columns/{column}",
        "/projects/{shared}/columns/{acme_column}",
        [303, 404, 404, 404, 403, 403, 403, 403, 303],
    ),
    (
        "GET",
        "/projects/{id}/reviews.csv",
        "/projects/{acme}/reviews.csv",
        [303, 200, 200, 404, 403, 403, 403, 403, 303],
    ),
    (
        "GET",
        "/projects/{id}/reviews.json",
        "/projects/{acme}/reviews.json",
        [303, 200, 200, 404, 403, 403, 403, 403, 303],
    ),
    (
        "GET",
        "/projects/{id}/board",
        "/projects/{acme}/board",
        [303, 200, 200, 404, 403, 403, 403, 403, 303],
    ),
    (
        "GET",
        "/projects/{id}/tasks",
        "/projects/{acme}/tasks",
        [303, 200, 200, 404, 403, 403, 403, 403, 303],
    ),
    (
        "POST",
        "/projects/{id}/tasks",
        "/projects/{acme}/tasks",
        [303, 422, 422, 404, 403, 403, 403, 403, 303],
    ),
    (
        "GET",
        "/projects/{id}/tasks/new",
        "/projects/{acme}/tasks/new",
        [303, 200, 200, 404, 403, 403, 403, 403, 303],
    ),
    (
        "GET",
        "/projects/{id}/tasks/{task}",
        "/projects/{acme}/tasks/{acme_task}",
        [303, 200, 200, 404, 403, 403, 403, 403, 303],
    ),
    (
        "GET",
        "/projects/{id}/tasks/{task}",
        "/projects/{shared}/tasks/{acme_task}",
        [303, 404, 404, 404, 403, 403, 403, 403, 303],
    ),
    (
        "GET",
        "/projects/{id}/tasks/{task}",
        "/projects/{shared}/tasks/{internal_task}",
        [303, 200, 200, 404, 403, 403, 403, 403, 303],
    ),
    (
        "POST",
        "/projects/{id}/tasks/{task}",
        "/projects/{acme}/tasks/{acme_task}",
        [303, 422, 422, 404, 403, 403, 403, 403, 303],
    ),
    (
        "POST",
        "/projects/{id}/tasks/{task}/move",
        "/projects/{acme}/tasks/{acme_task}/move",
        [303, 422, 422, 404, 403, 403, 403, 403, 303],
    ),
    (
        "POST",
        "/projects/{id}/tasks/{task}/visibility",
        "/projects/{acme}/tasks/{acme_task}/visibility",
        [303, 422, 422, 404, 403, 403, 403, 403, 303],
    ),
    (
        "POST",
        "/projects/{id}/tasks/{task}/submit-review",
        "/projects/{acme}/tasks/{acme_task}/submit-review",
        [303, 409, 409, 404, 403, 403, 403, 403, 303],
    ),
    (
        "POST",
        "/projects/{id}/tasks/{task}/archive",
        "/projects/{acme}/tasks/{acme_task}/archive",
        [303, 422, 422, 404, 403, 403, 403, 403, 303],
    ),
    (
        "POST",
        "/projects/{id}/tasks/{task}/comments",
        "/projects/{acme}/tasks/{acme_task}/comments",
        [303, 422, 422, 404, 403, 403, 403, 403, 303],
    ),
    (
        "POST",
        "/projects/{id}/tasks/{task}/comments/{comment}",
        "/projects/{acme}/tasks/{acme_task}/comments/{acme_comment}",
        [303, 403, 422, 404, 403, 403, 403, 403, 303],
    ),
    (
        "POST",
        "/projects/{id}/tasks/{task}/comments/{comment}",
        "/projects/{acme}/tasks/{shared_task}/comments/{acme_comment}",
        [303, 404, 404, 404, 403, 403, 403, 403, 303],
    ),
    // Client organisations and the visibility tool: admins only.
    (
        "GET",
        "/admin/clients",
        "/admin/clients",
        [303, 200, 403, 403, 403, 403, 403, 403, 303],
    ),
    (
        "POST",
        "/admin/clients",
        "/admin/clients",
        [303, 422, 403, 403, 403, 403, 403, 403, 303],
    ),
    (
        "GET",
        "/admin/clients/new",
        "/admin/clients/new",
        [303, 200, 403, 403, 403, 403, 403, 403, 303],
    ),
    (
        "GET",
        "/admin/clients/{id}",
        "/admin/clients/{acme_org}",
        [303, 200, 403, 403, 403, 403, 403, 403, 303],
    ),
    (
        "GET",
        "/admin/clients/{id}",
        "/admin/clients/{unknown}",
        [303, 404, 403, 403, 403, 403, 403, 403, 303],
    ),
    (
        "POST",
        "/admin/clients/{id}",
        "/admin/clients/{acme_org}",
        [303, 422, 403, 403, 403, 403, 403, 403, 303],
    ),
    (
        "POST",
        "/admin/clients/{id}/archive",
        "/admin/clients/{acme_org}/archive",
        [303, 422, 403, 403, 403, 403, 403, 403, 303],
    ),
    (
        "POST",
        "/admin/clients/{id}/contacts",
        "/admin/clients/{acme_org}/contacts",
        [303, 422, 403, 403, 403, 403, 403, 403, 303],
    ),
    (
        "POST",
        "/admin/clients/{id}/contacts/{contact}",
        "/admin/clients/{acme_org}/contacts/{carla}",
        [303, 422, 403, 403, 403, 403, 403, 403, 303],
    ),
    (
        "POST",
        "/admin/clients/{id}/contacts/{contact}",
        "/admin/clients/{globex_org}/contacts/{carla}",
        [303, 404, 403, 403, 403, 403, 403, 403, 303],
    ),
    (
        "GET",
        "/admin/projects/{id}/visibility",
        "/admin/projects/{acme}/visibility",
        [303, 200, 403, 403, 403, 403, 403, 403, 303],
    ),
    // Preview as client: admins only, and it shows exactly what the previewed contact sees.
    (
        "GET",
        "/admin/preview/{contact}",
        "/admin/preview/{carla}",
        [303, 200, 403, 403, 403, 403, 403, 403, 303],
    ),
    (
        "GET",
        "/admin/preview/{contact}",
        "/admin/preview/{sam}",
        [303, 404, 403, 403, 403, 403, 403, 403, 303],
    ),
    (
        "GET",
        "/admin/preview/{contact}/projects/{id}",
        "/admin/preview/{carla}/projects/{acme}",
        [303, 200, 403, 403, 403, 403, 403, 403, 303],
    ),
    (
        "GET",
        "/admin/preview/{contact}/projects/{id}",
        "/admin/preview/{oscar}/projects/{acme}",
        [303, 404, 403, 403, 403, 403, 403, 403, 303],
    ),
    (
        "GET",
        "/admin/preview/{contact}/projects/{id}/tasks/{task}",
        "/admin/preview/{carla}/projects/{shared}/tasks/{shared_task}",
        [303, 200, 403, 403, 403, 403, 403, 403, 303],
    ),
    (
        "GET",
        "/admin/preview/{contact}/projects/{id}/tasks/{task}",
        "/admin/preview/{carla}/projects/{shared}/tasks/{internal_task}",
        [303, 404, 403, 403, 403, 403, 403, 403, 303],
    ),
    // The API: the same policy; columns past anonymous: admin, Sam, Uma, Acme, Globex, Nora, Fiona.
    (
        "GET",
        "/api/v1/dashboard",
        "/api/v1/dashboard",
        [401, 200, 200, 200, 200, 200, 200, 200, 401],
    ),
    (
        "GET",
        "/api/v1/activity",
        "/api/v1/activity",
        [401, 200, 200, 200, 200, 200, 200, 200, 401],
    ),
    (
        "GET",
        "/api/v1/projects",
        "/api/v1/projects",
        [401, 200, 200, 200, 200, 200, 200, 200, 401],
    ),
    (
        "POST",
        "/api/v1/projects",
        "/api/v1/projects",
        [401, 422, 422, 422, 403, 403, 403, 403, 401],
    ),
    (
        "GET",
        "/api/v1/projects/{id}",
        "/api/v1/projects/{acme}",
        [401, 200, 200, 404, 200, 404, 200, 404, 401],
    ),
    (
        "GET",
        "/api/v1/projects/{id}",
        "/api/v1/projects/{shared}",
        [401, 200, 200, 404, 200, 200, 200, 404, 401],
    ),
    (
        "PATCH",
        "/api/v1/projects/{id}",
        "/api/v1/projects/{acme}",
        [401, 200, 200, 404, 403, 404, 403, 404, 401],
    ),
    (
        "GET",
        "/api/v1/projects/{id}/milestones",
        "/api/v1/projects/{acme}/milestones",
        [401, 200, 200, 404, 200, 404, 200, 404, 401],
    ),
    (
        "POST",
        "/api/v1/projects/{id}/milestones",
        r#"/api/v1/projects/{acme}/milestones {"name":"From the API"}"#,
        [401, 201, 201, 404, 403, 404, 403, 404, 401],
    ),
    (
        "POST",
        "/api/v1/projects/{id}/requests",
        r#"/api/v1/projects/{shared}/requests {"name":"Please"}"#,
        [401, 403, 403, 403, 403, 403, 403, 404, 401],
    ),
    (
        "GET",
        "/api/v1/projects/{id}/visibility",
        "/api/v1/projects/{acme}/visibility",
        [401, 422, 403, 403, 403, 403, 403, 403, 401],
    ),
    (
        "GET",
        "/api/v1/projects/{id}/tasks",
        "/api/v1/projects/{acme}/tasks",
        [401, 200, 200, 404, 200, 404, 200, 404, 401],
    ),
    (
        "POST",
        "/api/v1/projects/{id}/tasks",
        r#"/api/v1/projects/{acme}/tasks {"name":"From the API"}"#,
        [401, 201, 201, 404, 403, 404, 403, 404, 401],
    ),
    (
        "GET",
        "/api/v1/projects/{id}/tasks/{task}",
        "/api/v1/projects/{acme}/tasks/{acme_task}",
        [401, 200, 200, 404, 200, 404, 200, 404, 401],
    ),
    (
        "GET",
        "/api/v1/projects/{id}/tasks/{task}",
        "/api/v1/projects/{shared}/tasks/{internal_task}",
        [401, 200, 200, 404, 404, 404, 404, 404, 401],
    ),
    (
        "GET",
        "/api/v1/projects/{id}/tasks/{task}",
        "/api/v1/projects/{acme}/tasks/{shared_task}",
        [401, 404, 404, 404, 404, 404, 404, 404, 401],
    ),
    (
        "PATCH",
        "/api/v1/projects/{id}/tasks/{task}",
        "/api/v1/projects/{acme}/tasks/{acme_task}",
        [401, 200, 200, 404, 403, 404, 403, 404, 401],
    ),
    (
        "POST",
        "/api/v1/projects/{id}/tasks/{task}/move",
        r#"/api/v1/projects/{acme}/tasks/{acme_task}/move {"column_id":"{acme_column}"}"#,
        [401, 200, 200, 404, 403, 404, 403, 404, 401],
    ),
    (
        "GET",
        "/api/v1/projects/{id}/tasks/{task}/comments",
        "/api/v1/projects/{acme}/tasks/{acme_task}/comments",
        [401, 200, 200, 404, 200, 404, 200, 404, 401],
    ),
    (
        "POST",
        "/api/v1/projects/{id}/tasks/{task}/comments",
        r#"/api/v1/projects/{acme}/tasks/{acme_task}/comments {"body":"From the API"}"#,
        [401, 201, 201, 404, 201, 404, 403, 404, 401],
    ),
    (
        "GET",
        "/api/v1/projects/{id}/tasks/{task}/reviews",
        "/api/v1/projects/{acme}/tasks/{acme_task}/reviews",
        [401, 200, 200, 404, 200, 404, 200, 404, 401],
    ),
    (
        "POST",
        "/api/v1/projects/{id}/tasks/{task}/reviews",
        "/api/v1/projects/{acme}/tasks/{acme_task}/reviews",
        [401, 409, 409, 404, 422, 404, 403, 404, 401],
    ),
    (
        "GET",
        "/api/v1/projects/{id}/tasks/{task}/reviews",
        "/api/v1/projects/{shared}/tasks/{shared_task}/reviews",
        [401, 200, 200, 404, 200, 200, 200, 404, 401],
    ),
    (
        "POST",
        "/api/v1/projects/{id}/tasks/{task}/reviews",
        r#"/api/v1/projects/{shared}/tasks/{shared_task}/reviews {"decision":"approve"}"#,
        // Addressed to Acme: Globex cannot decide it (it does not exist for them).
        [401, 409, 409, 404, 200, 404, 403, 404, 401],
    ),
    (
        "GET",
        "/api/v1/projects/{id}/files",
        "/api/v1/projects/{shared}/files",
        [401, 200, 200, 404, 200, 200, 404, 404, 401],
    ),
    (
        "POST",
        "/api/v1/projects/{id}/files",
        "/api/v1/projects/{shared}/files",
        [401, 201, 201, 404, 201, 201, 403, 404, 401],
    ),
    (
        "GET",
        "/api/v1/projects/{id}/files/{file}",
        "/api/v1/projects/{shared}/files/{shared_file}",
        [401, 200, 200, 404, 200, 200, 404, 404, 401],
    ),
    (
        "GET",
        "/api/v1/projects/{id}/files/{file}/content",
        "/api/v1/projects/{shared}/files/{internal_file}/content",
        [401, 200, 200, 404, 404, 404, 404, 404, 401],
    ),
    (
        "GET",
        "/api/v1/projects/{id}/files/{file}/content",
        "/api/v1/projects/{shared}/files/{acme_upload}/content",
        [401, 200, 200, 404, 200, 404, 404, 404, 401],
    ),
    (
        "PATCH",
        "/api/v1/projects/{id}/files/{file}",
        "/api/v1/projects/{shared}/files/{internal_file}",
        [401, 200, 200, 404, 403, 403, 403, 404, 401],
    ),
    (
        "DELETE",
        "/api/v1/projects/{id}/files/{file}",
        "/api/v1/projects/{shared}/files/{unknown}",
        [401, 404, 404, 404, 404, 404, 404, 404, 401],
    ),
    (
        "GET",
        "/api/v1/clients",
        "/api/v1/clients",
        [401, 200, 403, 403, 403, 403, 403, 403, 401],
    ),
    (
        "POST",
        "/api/v1/clients",
        "/api/v1/clients",
        [401, 422, 403, 403, 403, 403, 403, 403, 401],
    ),
    (
        "GET",
        "/api/v1/clients/{id}",
        "/api/v1/clients/{acme_org}",
        [401, 200, 403, 403, 403, 403, 403, 403, 401],
    ),
    (
        "PATCH",
        "/api/v1/clients/{id}",
        "/api/v1/clients/{acme_org}",
        [401, 200, 403, 403, 403, 403, 403, 403, 401],
    ),
    (
        "POST",
        "/api/v1/clients/{id}/contacts",
        "/api/v1/clients/{acme_org}/contacts",
        [401, 422, 403, 403, 403, 403, 403, 403, 401],
    ),
    // Files. Upload rows (POST …/files, …/attachments) are sent as multipart with one small file.
    (
        "GET",
        "/projects/{id}/files",
        "/projects/{acme}/files",
        [303, 200, 200, 404, 403, 403, 403, 403, 303],
    ),
    (
        "POST",
        "/projects/{id}/files",
        "/projects/{acme}/files",
        [303, 303, 303, 404, 403, 403, 403, 403, 303],
    ),
    (
        "POST",
        "/projects/{id}/folders",
        "/projects/{acme}/folders",
        [303, 303, 303, 404, 403, 403, 403, 403, 303],
    ),
    (
        "GET",
        "/projects/{id}/files/{file}/download",
        "/projects/{shared}/files/{internal_file}/download",
        [303, 200, 200, 404, 403, 403, 403, 403, 303],
    ),
    (
        "GET",
        "/projects/{id}/files/{file}/download",
        "/projects/{acme}/files/{internal_file}/download",
        [303, 404, 404, 404, 403, 403, 403, 403, 303],
    ),
    (
        "POST",
        "/projects/{id}/files/{file}/visibility",
        "/projects/{shared}/files/{internal_file}/visibility",
        [303, 303, 303, 404, 403, 403, 403, 403, 303],
    ),
    (
        "POST",
        "/projects/{id}/files/{file}/delete",
        "/projects/{shared}/files/{unknown}/delete",
        [303, 404, 404, 404, 403, 403, 403, 403, 303],
    ),
    (
        "POST",
        "/projects/{id}/tasks/{task}/attachments",
        "/projects/{acme}/tasks/{acme_task}/attachments",
        [303, 303, 303, 404, 403, 403, 403, 403, 303],
    ),
    (
        "POST",
        "/projects/{id}/tasks/{task}/attachments",
        "/projects/{shared}/tasks/{acme_task}/attachments",
        [303, 404, 404, 404, 403, 403, 403, 403, 303],
    ),
    (
        "POST",
        "/portal/projects/{id}/tasks/{task}/attachments",
        "/portal/projects/{shared}/tasks/{shared_task}/attachments",
        [303, 403, 403, 403, 303, 303, 403, 404, 303],
    ),
    (
        "POST",
        "/portal/projects/{id}/tasks/{task}/attachments",
        "/portal/projects/{shared}/tasks/{internal_task}/attachments",
        [303, 403, 403, 403, 404, 404, 404, 404, 303],
    ),
    (
        "GET",
        "/projects/{id}/files/{file}",
        "/projects/{shared}/files/{internal_file}",
        [303, 200, 200, 404, 403, 403, 403, 403, 303],
    ),
    (
        "POST",
        "/projects/{id}/files/{file}",
        "/projects/{shared}/files/{internal_file}",
        [303, 422, 422, 404, 403, 403, 403, 403, 303],
    ),
    (
        "POST",
        "/projects/{id}/folders/{folder}",
        "/projects/{acme}/folders/{unknown}",
        [303, 404, 404, 404, 403, 403, 403, 403, 303],
    ),
    (
        "GET",
        "/projects/{id}/files/{file}/thumbnail",
        "/projects/{globex}/files/{globex_image}/thumbnail",
        [303, 200, 200, 404, 403, 403, 403, 403, 303],
    ),
    (
        "GET",
        "/portal/projects/{id}/files/{file}/thumbnail",
        "/portal/projects/{globex}/files/{globex_image}/thumbnail",
        [303, 403, 403, 403, 404, 200, 404, 404, 303],
    ),
    (
        "POST",
        "/projects/{id}/files/quota",
        "/projects/{acme}/files/quota",
        [303, 303, 403, 403, 403, 403, 403, 403, 303],
    ),
    (
        "GET",
        "/projects/{id}/files/trash",
        "/projects/{acme}/files/trash",
        [303, 200, 200, 404, 403, 403, 403, 403, 303],
    ),
    (
        "POST",
        "/projects/{id}/files/{file}/restore",
        "/projects/{shared}/files/{internal_file}/restore",
        [303, 404, 404, 404, 403, 403, 403, 403, 303],
    ),
    (
        "GET",
        "/admin/preview/{contact}/projects/{id}/files",
        "/admin/preview/{carla}/projects/{shared}/files",
        [303, 200, 403, 403, 403, 403, 403, 403, 303],
    ),
    (
        "GET",
        "/admin/emails",
        "/admin/emails",
        [303, 200, 403, 403, 403, 403, 403, 403, 303],
    ),
    (
        "POST",
        "/admin/emails/retry",
        "/admin/emails/retry",
        [303, 303, 403, 403, 403, 403, 403, 403, 303],
    ),
    ("GET", "/admin/media", "/admin/media", [303, 200, 403, 403, 403, 403, 403, 403, 303]),
    (
        "POST",
        "/admin/media/orphans",
        "/admin/media/orphans",
        [303, 303, 403, 403, 403, 403, 403, 403, 303],
    ),
    (
        "POST",
        "/admin/media/cleanup",
        "/admin/media/cleanup",
        [303, 303, 403, 403, 403, 403, 403, 403, 303],
    ),
    (
        "GET",
        "/portal/projects/{id}/files",
        "/portal/projects/{shared}/files",
        [303, 403, 403, 403, 200, 200, 404, 404, 303],
    ),
    (
        "GET",
        "/portal/projects/{id}/files",
        "/portal/projects/{globex}/files",
        [303, 403, 403, 403, 404, 200, 404, 404, 303],
    ),
    (
        "POST",
        "/portal/projects/{id}/files",
        "/portal/projects/{shared}/files",
        [303, 403, 403, 403, 303, 303, 403, 404, 303],
    ),
    (
        "GET",
        "/portal/projects/{id}/files/{file}/download",
        "/portal/projects/{shared}/files/{shared_file}/download",
        [303, 403, 403, 403, 200, 200, 404, 404, 303],
    ),
    (
        "GET",
        "/portal/projects/{id}/files/{file}/download",
        "/portal/projects/{shared}/files/{internal_file}/download",
        [303, 403, 403, 403, 404, 404, 404, 404, 303],
    ),
    (
        "GET",
        "/portal/projects/{id}/files/{file}/download",
        "/portal/projects/{shared}/files/{acme_upload}/download",
        [303, 403, 403, 403, 200, 404, 404, 404, 303],
    ),
    (
        "GET",
        "/portal/projects/{id}/files/{file}/download",
        "/portal/projects/{acme}/files/{shared_file}/download",
        [303, 403, 403, 403, 404, 404, 404, 404, 303],
    ),
    // Acme may delete its own unshared upload (after which it is gone for the others too).
    (
        "POST",
        "/portal/projects/{id}/files/{file}/delete",
        "/portal/projects/{shared}/files/{acme_upload}/delete",
        [303, 403, 403, 403, 303, 404, 404, 404, 303],
    ),
    (
        "POST",
        "/portal/projects/{id}/files/{file}/delete",
        "/portal/projects/{shared}/files/{shared_file}/delete",
        [303, 403, 403, 403, 403, 403, 404, 404, 303],
    ),
    // Invoices: "assigned staff" has the finance permission (given below), "unassigned staff" not.
    ("GET", "/invoices", "/invoices", [303, 200, 200, 403, 403, 403, 403, 403, 303]),
    (
        "GET",
        "/invoices",
        "/invoices?status=paid",
        [303, 200, 200, 403, 403, 403, 403, 403, 303],
    ),
    (
        "GET",
        "/invoices",
        "/invoices?status=bogus",
        [303, 404, 404, 403, 403, 403, 403, 403, 303],
    ),
    ("POST", "/invoices", "/invoices", [303, 422, 422, 403, 403, 403, 403, 403, 303]),
    (
        "GET",
        "/invoices/new",
        "/invoices/new",
        [303, 200, 200, 403, 403, 403, 403, 403, 303],
    ),
    (
        "GET",
        "/invoices/{invoice}",
        "/invoices/{acme_invoice}",
        [303, 200, 200, 403, 403, 403, 403, 403, 303],
    ),
    (
        "GET",
        "/invoices/{invoice}",
        "/invoices/{globex_invoice}",
        [303, 200, 200, 403, 403, 403, 403, 403, 303],
    ),
    (
        "GET",
        "/invoices/{invoice}",
        "/invoices/{acme_draft}",
        [303, 200, 200, 403, 403, 403, 403, 403, 303],
    ),
    (
        "GET",
        "/invoices/{invoice}",
        "/invoices/{unknown}",
        [303, 404, 404, 403, 403, 403, 403, 403, 303],
    ),
    (
        "POST",
        "/invoices/{invoice}",
        "/invoices/{acme_invoice}",
        [303, 409, 409, 403, 403, 403, 403, 403, 303],
    ),
    (
        "POST",
        "/invoices/{invoice}",
        "/invoices/{unknown}",
        [303, 404, 404, 403, 403, 403, 403, 403, 303],
    ),
    (
        "GET",
        "/invoices/{invoice}/edit",
        "/invoices/{acme_draft}/edit",
        [303, 200, 200, 403, 403, 403, 403, 403, 303],
    ),
    (
        "GET",
        "/invoices/{invoice}/edit",
        "/invoices/{acme_invoice}/edit",
        [303, 409, 409, 403, 403, 403, 403, 403, 303],
    ),
    (
        "POST",
        "/invoices/{invoice}/send",
        "/invoices/{unknown}/send",
        [303, 404, 404, 403, 403, 403, 403, 403, 303],
    ),
    (
        "POST",
        "/invoices/{invoice}/send",
        "/invoices/{acme_invoice}/send",
        [303, 303, 303, 403, 403, 403, 403, 403, 303],
    ),
    (
        "POST",
        "/invoices/{invoice}/delete",
        "/invoices/{unknown}/delete",
        [303, 404, 404, 403, 403, 403, 403, 403, 303],
    ),
    (
        "POST",
        "/invoices/{invoice}/void",
        "/invoices/{acme_invoice}/void",
        [303, 303, 303, 403, 403, 403, 403, 403, 303],
    ),
    (
        "POST",
        "/invoices/{invoice}/credit",
        "/invoices/{acme_invoice}/credit",
        [303, 303, 303, 403, 403, 403, 403, 403, 303],
    ),
    (
        "POST",
        "/invoices/{invoice}/payments",
        "/invoices/{acme_invoice}/payments",
        [303, 303, 303, 403, 403, 403, 403, 403, 303],
    ),
    (
        "POST",
        "/invoices/{invoice}/payments",
        "/invoices/{unknown}/payments",
        [303, 404, 404, 403, 403, 403, 403, 403, 303],
    ),
    (
        "POST",
        "/invoices/{invoice}/refunds",
        "/invoices/{acme_invoice}/refunds",
        [303, 303, 303, 403, 403, 403, 403, 403, 303],
    ),
    (
        "GET",
        "/admin/invoicing",
        "/admin/invoicing",
        [303, 200, 403, 403, 403, 403, 403, 403, 303],
    ),
    (
        "POST",
        "/admin/invoicing",
        "/admin/invoicing",
        [303, 422, 403, 403, 403, 403, 403, 403, 303],
    ),
    (
        "POST",
        "/admin/tax-rates",
        "/admin/tax-rates",
        [303, 303, 403, 403, 403, 403, 403, 403, 303],
    ),
    (
        "POST",
        "/admin/tax-rates/{rate}/archive",
        "/admin/tax-rates/{unknown}/archive",
        [303, 404, 403, 403, 403, 403, 403, 403, 303],
    ),
    (
        "POST",
        "/admin/users/{id}/finance",
        "/admin/users/{id}/finance",
        [303, 303, 403, 403, 403, 403, 403, 403, 303],
    ),
    (
        "GET",
        "/portal/invoices",
        "/portal/invoices",
        [303, 403, 403, 403, 200, 200, 403, 200, 303],
    ),
    (
        "GET",
        "/portal/invoices/{invoice}",
        "/portal/invoices/{acme_invoice}",
        [303, 403, 403, 403, 200, 404, 404, 200, 303],
    ),
    (
        "GET",
        "/portal/invoices/{invoice}",
        "/portal/invoices/{acme_draft}",
        [303, 403, 403, 403, 404, 404, 404, 404, 303],
    ),
    (
        "GET",
        "/portal/invoices/{invoice}",
        "/portal/invoices/{globex_invoice}",
        [303, 403, 403, 403, 404, 200, 404, 404, 303],
    ),
    (
        "GET",
        "/admin/preview/{contact}/invoices",
        "/admin/preview/{carla}/invoices",
        [303, 200, 403, 403, 403, 403, 403, 403, 303],
    ),
    (
        "GET",
        "/admin/preview/{contact}/invoices/{invoice}",
        "/admin/preview/{carla}/invoices/{acme_invoice}",
        [303, 200, 403, 403, 403, 403, 403, 403, 303],
    ),
    (
        "GET",
        "/admin/preview/{contact}/invoices/{invoice}",
        "/admin/preview/{oscar}/invoices/{acme_invoice}",
        [303, 404, 403, 403, 403, 403, 403, 403, 303],
    ),
    ("GET", "/reports", "/reports", [303, 200, 200, 403, 403, 403, 403, 403, 303]),
    ("GET", "/reports", "/reports?page=2", [303, 200, 200, 403, 403, 403, 403, 403, 303]),
    (
        "GET",
        "/reports/payments",
        "/reports/payments",
        [303, 200, 200, 403, 403, 403, 403, 403, 303],
    ),
    (
        "GET",
        "/reports/csv/{report}",
        "/reports/csv/revenue",
        [303, 200, 200, 403, 403, 403, 403, 403, 303],
    ),
    (
        "GET",
        "/reports/csv/{report}",
        "/reports/csv/receivables",
        [303, 200, 200, 403, 403, 403, 403, 403, 303],
    ),
    (
        "GET",
        "/reports/csv/{report}",
        "/reports/csv/clients",
        [303, 200, 200, 403, 403, 403, 403, 403, 303],
    ),
    (
        "GET",
        "/reports/csv/{report}",
        "/reports/csv/payments",
        [303, 200, 200, 403, 403, 403, 403, 403, 303],
    ),
    (
        "GET",
        "/reports/csv/{report}",
        "/reports/csv/secrets",
        [303, 404, 404, 403, 403, 403, 403, 403, 303],
    ),
    (
        "GET",
        "/invoices/{invoice}/pdf",
        "/invoices/{acme_invoice}/pdf",
        [303, 200, 200, 403, 403, 403, 403, 403, 303],
    ),
    (
        "GET",
        "/invoices/{invoice}/pdf",
        "/invoices/{unknown}/pdf",
        [303, 404, 404, 403, 403, 403, 403, 403, 303],
    ),
    (
        "GET",
        "/portal/invoices/{invoice}/pdf",
        "/portal/invoices/{acme_invoice}/pdf",
        [303, 403, 403, 403, 200, 404, 404, 200, 303],
    ),
    (
        "GET",
        "/portal/invoices/{invoice}/pdf",
        "/portal/invoices/{acme_draft}/pdf",
        [303, 403, 403, 403, 404, 404, 404, 404, 303],
    ),
    (
        "GET",
        "/api/v1/invoices",
        "/api/v1/invoices",
        [401, 200, 200, 403, 200, 200, 403, 200, 401],
    ),
    (
        "GET",
        "/api/v1/invoices",
        "/api/v1/invoices?status=nonsense",
        [401, 422, 422, 422, 422, 422, 422, 422, 401],
    ),
    (
        "GET",
        "/api/v1/invoices/{invoice}",
        "/api/v1/invoices/{acme_invoice}",
        [401, 200, 200, 404, 200, 404, 404, 200, 401],
    ),
    (
        "GET",
        "/api/v1/invoices/{invoice}",
        "/api/v1/invoices/{acme_draft}",
        [401, 200, 200, 404, 404, 404, 404, 404, 401],
    ),
    (
        "POST",
        "/api/v1/invoices",
        r#"/api/v1/invoices {"client_org_id":"{acme_org}","lines":[]}"#,
        [401, 201, 201, 403, 403, 403, 403, 403, 401],
    ),
    (
        "PUT",
        "/api/v1/invoices/{invoice}",
        r#"/api/v1/invoices/{acme_invoice} {"client_org_id":"{acme_org}","lines":[]}"#,
        [401, 409, 409, 403, 403, 403, 403, 403, 401],
    ),
    (
        "DELETE",
        "/api/v1/invoices/{invoice}",
        "/api/v1/invoices/{unknown}",
        [401, 404, 404, 403, 403, 403, 403, 403, 401],
    ),
    (
        "POST",
        "/api/v1/invoices/{invoice}/send",
        "/api/v1/invoices/{unknown}/send",
        [401, 404, 404, 403, 403, 403, 403, 403, 401],
    ),
    (
        "POST",
        "/api/v1/invoices/{invoice}/void",
        r#"/api/v1/invoices/{acme_invoice}/void {"reason":""}"#,
        [401, 422, 422, 403, 403, 403, 403, 403, 401],
    ),
    (
        "POST",
        "/api/v1/invoices/{invoice}/payments",
        r#"/api/v1/invoices/{acme_invoice}/payments {"amount":"0","method":"cash"}"#,
        [401, 422, 422, 403, 403, 403, 403, 403, 401],
    ),
    (
        "POST",
        "/portal/invoices/{invoice}/pay",
        "/portal/invoices/{acme_invoice}/pay",
        [303, 403, 403, 403, 303, 404, 404, 303, 303],
    ),
    (
        "POST",
        "/portal/invoices/{invoice}/pay",
        "/portal/invoices/{acme_draft}/pay",
        [303, 403, 403, 403, 404, 404, 404, 404, 303],
    ),
    (
        "GET",
        "/portal/invoices/{invoice}/payments/{attempt}",
        "/portal/invoices/{acme_invoice}/payments/{unknown}",
        [303, 403, 403, 403, 404, 404, 404, 404, 303],
    ),
    (
        "GET",
        "/portal/invoices/{invoice}/payments/{attempt}",
        "/portal/invoices/{globex_invoice}/payments/{unknown}",
        [303, 403, 403, 403, 404, 404, 404, 404, 303],
    ),
    (
        "POST",
        "/webhooks/{gateway}",
        "/webhooks/stripe",
        [400, 400, 400, 400, 400, 400, 400, 400, 400],
    ),
    (
        "POST",
        "/webhooks/{gateway}",
        "/webhooks/nonsense",
        [404, 404, 404, 404, 404, 404, 404, 404, 404],
    ),
    (
        "POST",
        "/admin/invoicing/gateways/{gateway}",
        "/admin/invoicing/gateways/paypal",
        [303, 303, 403, 403, 403, 403, 403, 403, 303],
    ),
    (
        "POST",
        "/admin/invoicing/gateways/{gateway}",
        "/admin/invoicing/gateways/nonsense",
        [303, 404, 403, 403, 403, 403, 403, 403, 303],
    ),
    // Last: it ends the actor's session.
    ("POST", "/logout", "/logout", [303, 303, 303, 303, 303, 303, 303, 303, 303]),
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

async fn every_route_answers_every_actor_as_expected(backend: Backend) {
    let t = TestApp::spawn(backend).await;
    let target = t
        .app
        .create_user(
            &app::users::Actor::Operator,
            &app::users::NewUserInput {
                email: "target@example.com".into(),
                name: "Target Person".into(),
                role: "staff".into(),
                client_org_id: None,
            },
            app::users::FirstPassword::ReturnLink,
        )
        .await
        .unwrap()
        .user
        .id
        .to_string();
    t.app
        .create_user(
            &app::users::Actor::Operator,
            &app::users::NewUserInput {
                email: "gone@example.com".into(),
                name: "Gone Person".into(),
                role: "staff".into(),
                client_org_id: None,
            },
            app::users::FirstPassword::Set(DEMO_PASSWORD.into()),
        )
        .await
        .unwrap();

    t.app
        .create_user(
            &app::users::Actor::Operator,
            &app::users::NewUserInput {
                email: "uma@example.com".into(),
                name: "Uma Unassigned".into(),
                role: "staff".into(),
                client_org_id: None,
            },
            app::users::FirstPassword::Set(DEMO_PASSWORD.into()),
        )
        .await
        .unwrap();
    let acme = t.app.user(t.user_id(CLIENT).await).await.unwrap().client_org_id;
    let nora = t
        .app
        .create_user(
            &app::users::Actor::Operator,
            &app::users::NewUserInput {
                email: "nora@example.com".into(),
                name: "Nora Noperm".into(),
                role: "client".into(),
                client_org_id: acme,
            },
            app::users::FirstPassword::Set(DEMO_PASSWORD.into()),
        )
        .await
        .unwrap();
    let view_only = domain::access::PortalPermissions::from_permissions([domain::access::Permission::ViewTasks]);
    t.app
        .set_contact_permissions(&app::users::Actor::Operator, acme.unwrap(), nora.user.id, Some(view_only))
        .await
        .unwrap();
    t.app
        .set_finance(&app::users::Actor::Operator, t.user_id(STAFF).await, true)
        .await
        .unwrap();
    let ids = demo_ids(&t).await;

    let mut clients = vec![t.client()];
    let mut tokens = vec![String::new()];
    for email in [
        ADMIN,
        STAFF,
        "uma@example.com",
        CLIENT,
        OTHER_CLIENT,
        "nora@example.com",
        FINANCE,
        "gone@example.com",
    ] {
        clients.push(t.login(email, DEMO_PASSWORD).await);
        tokens.push(t.app.create_api_token(email, "matrix").await.unwrap());
    }
    t.app
        .deactivate_user(&app::users::Actor::Operator, t.user_id("gone@example.com").await)
        .await
        .unwrap();

    let mut failures = vec![];
    for (method, pattern, concrete, expected) in MATRIX {
        let mut path = concrete.replace("{token}", "no-such-token");
        if pattern.starts_with("/static/") {
            path = path.replace("{file}", "style.css");
        }
        for (name, id) in &ids {
            path = path.replace(&format!("{{{name}}}"), id);
        }
        let path = path.replace("{id}", &target);
        // An API row may carry its JSON body after the path: `/api/v1/… {"name":"M"}`.
        let (path, body) = match path.split_once(' ') {
            Some((path, body)) => (path.to_owned(), serde_json::from_str(body).unwrap()),
            None => (path, serde_json::json!({})),
        };
        for (actor, client) in clients.iter().enumerate() {
            let method = Method::from_bytes(method.as_bytes()).unwrap();
            let mut request = client.http.request(method.clone(), client.url(&path));
            if path.starts_with("/api/") {
                if !tokens[actor].is_empty() {
                    request = request.bearer_auth(&tokens[actor]);
                }
                if method == Method::POST && pattern.ends_with("/files") {
                    let part = reqwest::multipart::Part::bytes(b"matrix".to_vec()).file_name("matrix.txt");
                    request = request.multipart(reqwest::multipart::Form::new().part("files", part));
                } else if method != Method::GET {
                    request = request.json(&body);
                }
            } else if method == Method::POST && (pattern.ends_with("/files") || pattern.ends_with("/attachments")) {
                let token = client.csrf().await;
                let part = reqwest::multipart::Part::bytes(b"matrix".to_vec()).file_name("matrix.txt");
                request = client
                    .http
                    .post(client.url(&format!("{path}?_csrf={token}")))
                    .multipart(reqwest::multipart::Form::new().part("files", part));
            } else if method != Method::GET {
                request = request.form(&[("_csrf", client.csrf().await)]);
            }
            let status = request.send().await.unwrap().status().as_u16();
            if status != expected[actor] {
                failures.push(format!(
                    "{method} {concrete} ({pattern}) as {}: expected {}, got {status}",
                    ACTORS[actor], expected[actor]
                ));
            }
        }
    }
    assert!(failures.is_empty(), "authorization matrix mismatches:\n{}", failures.join("\n"));
}

/// The demo items the matrix calls routes with, by placeholder name.
async fn demo_ids(t: &TestApp) -> Vec<(&'static str, String)> {
    let demo = t.demo().await;
    let (acme, admin) = (demo.acme, demo.admin);
    let logo = demo.task(acme, "Logo refresh").await;
    let (comments, _) = t.app.comments(&admin, acme, logo, 50, 0).await.unwrap();
    let by_sam = comments.iter().find(|c| c.author_name == "Sam Staff" && !c.internal).unwrap().id;
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
            };
            let page = domain::users::PageRequest::new(Some(1), Some(1));
            app.invoices(&admin, &filter, page).await.unwrap().items[0].id.to_string()
        }
    };
    use domain::invoices::InvoiceStatus;
    vec![
        ("acme_invoice", invoice(CLIENT, InvoiceStatus::Sent).await),
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
