//! The authorization matrix: every route × every kind of actor → the expected status.
//! The table below is written by hand, independently of the router; a route the router has
//! and this table lacks (or the reverse) fails the test.

use crate::support::*;
use reqwest::Method;
use std::collections::BTreeSet;
use store::on_both_databases;

on_both_databases!(every_route_answers_every_actor_as_expected);

/// Columns: anonymous, admin, staff, client contact, deactivated person.
type Expected = [u16; 5];
const ACTORS: [&str; 5] = ["anonymous", "admin", "staff", "client", "deactivated"];

/// `{id}` is a throwaway staff member; `{token}` a password-link token that does not exist.
const MATRIX: &[(&str, &str, Expected)] = &[
    ("GET", "/healthz", [200, 200, 200, 200, 200]),
    ("GET", "/readyz", [200, 200, 200, 200, 200]),
    ("GET", "/static/{file}", [200, 200, 200, 200, 200]),
    ("GET", "/brand.css", [200, 200, 200, 200, 200]),
    ("GET", "/brand/logo", [404, 404, 404, 404, 404]),
    ("GET", "/", [303, 303, 303, 303, 303]),
    ("GET", "/login", [200, 303, 303, 303, 200]),
    ("POST", "/login", [401, 401, 401, 401, 401]),
    ("GET", "/forgot-password", [200, 200, 200, 200, 200]),
    ("POST", "/forgot-password", [422, 422, 422, 422, 422]),
    ("GET", "/password/{token}", [404, 404, 404, 404, 404]),
    ("POST", "/password/{token}", [422, 422, 422, 422, 422]),
    ("GET", "/account", [303, 200, 200, 200, 303]),
    ("POST", "/account/password", [303, 422, 422, 422, 303]),
    ("GET", "/admin", [303, 200, 403, 403, 303]),
    ("GET", "/staff", [303, 403, 200, 403, 303]),
    ("GET", "/portal", [303, 403, 403, 200, 303]),
    ("GET", "/admin/users", [303, 200, 403, 403, 303]),
    ("POST", "/admin/users", [303, 422, 403, 403, 303]),
    ("GET", "/admin/users/new", [303, 200, 403, 403, 303]),
    ("GET", "/admin/users/{id}", [303, 200, 403, 403, 303]),
    ("POST", "/admin/users/{id}", [303, 422, 403, 403, 303]),
    ("POST", "/admin/users/{id}/deactivate", [303, 303, 403, 403, 303]),
    ("POST", "/admin/users/{id}/reactivate", [303, 303, 403, 403, 303]),
    ("POST", "/admin/users/{id}/invite", [303, 303, 403, 403, 303]),
    ("GET", "/api/v1/openapi.json", [200, 200, 200, 200, 200]),
    ("GET", "/api/v1/me", [401, 200, 200, 200, 401]),
    ("GET", "/api/v1/users", [401, 200, 403, 403, 401]),
    ("POST", "/api/v1/users", [401, 422, 403, 403, 401]),
    ("GET", "/api/v1/users/{id}", [401, 200, 403, 403, 401]),
    ("PATCH", "/api/v1/users/{id}", [401, 200, 403, 403, 401]),
    ("POST", "/api/v1/users/{id}/deactivate", [401, 200, 403, 403, 401]),
    ("POST", "/api/v1/users/{id}/reactivate", [401, 200, 403, 403, 401]),
    // Last: it ends the actor's session.
    ("POST", "/logout", [303, 303, 303, 303, 303]),
];

#[test]
fn the_matrix_covers_exactly_the_routes_of_the_router() {
    let routes: BTreeSet<(String, String)> = web::routes::route_table()
        .iter()
        .map(|r| (r.method.to_string(), r.path.to_owned()))
        .collect();
    let matrix: BTreeSet<(String, String)> = MATRIX.iter().map(|(m, p, _)| (m.to_string(), p.to_string())).collect();
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

    let mut clients = vec![t.client()];
    let mut tokens = vec![String::new()];
    for email in [ADMIN, STAFF, CLIENT, "gone@example.com"] {
        clients.push(t.login(email, DEMO_PASSWORD).await);
        tokens.push(t.app.create_api_token(email, "matrix").await.unwrap());
    }
    t.app
        .deactivate_user(&app::users::Actor::Operator, t.user_id("gone@example.com").await)
        .await
        .unwrap();

    let mut failures = vec![];
    for (method, pattern, expected) in MATRIX {
        let path = pattern
            .replace("{id}", &target)
            .replace("{token}", "no-such-token")
            .replace("{file}", "style.css");
        for (actor, client) in clients.iter().enumerate() {
            let method = Method::from_bytes(method.as_bytes()).unwrap();
            let mut request = client.http.request(method.clone(), client.url(&path));
            if path.starts_with("/api/") {
                if !tokens[actor].is_empty() {
                    request = request.bearer_auth(&tokens[actor]);
                }
                if method != Method::GET {
                    request = request.json(&serde_json::json!({}));
                }
            } else if method != Method::GET {
                request = request.form(&[("_csrf", client.csrf().await)]);
            }
            let status = request.send().await.unwrap().status().as_u16();
            if status != expected[actor] {
                failures.push(format!(
                    "{method} {pattern} as {}: expected {}, got {status}",
                    ACTORS[actor], expected[actor]
                ));
            }
        }
    }
    assert!(failures.is_empty(), "authorization matrix mismatches:\n{}", failures.join("\n"));
}
