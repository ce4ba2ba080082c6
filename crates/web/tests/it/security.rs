//! CSRF protection, security headers and error pages.

use crate::support::*;
use reqwest::StatusCode;
use store::on_both_databases;

on_both_databases!(
    the_browser_tab_shows_the_brand_mark,
    state_changes_need_the_csrf_token,
    cross_site_requests_are_refused,
    every_response_carries_the_security_headers,
    error_pages_show_a_request_id_and_no_internals
);

async fn state_changes_need_the_csrf_token(backend: Backend) {
    let t = TestApp::spawn(backend).await;
    let client = t.login(ADMIN, DEMO_PASSWORD).await;
    let without = client
        .http
        .post(client.url("/admin/users"))
        .form(&[("name", "Eve"), ("email", "eve@example.com"), ("role", "admin")])
        .send()
        .await
        .unwrap();
    assert_eq!(without.status(), StatusCode::FORBIDDEN);
    assert!(without.text().await.unwrap().contains("This form has expired"));
    let wrong = client
        .http
        .post(client.url("/admin/users"))
        .form(&[
            ("_csrf", "x".repeat(43).as_str()),
            ("name", "Eve"),
            ("email", "eve@example.com"),
            ("role", "admin"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), StatusCode::FORBIDDEN);
    let json = client
        .http
        .post(client.url("/logout"))
        .json(&serde_json::json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(json.status(), StatusCode::FORBIDDEN, "a non-form body needs the header");
    let header = client
        .http
        .post(client.url("/logout"))
        .header("x-csrf-token", client.csrf().await)
        .send()
        .await
        .unwrap();
    assert_eq!(header.status(), StatusCode::SEE_OTHER, "the header works for scripts");
    let mut handle = t.app.db.read().await.unwrap();
    let found = store::users::find_by_email(&mut handle.conn(), &domain::users::Email::parse("eve@example.com").unwrap())
        .await
        .unwrap();
    assert!(found.is_none(), "nothing was stored");
}

async fn cross_site_requests_are_refused(backend: Backend) {
    let t = TestApp::spawn(backend).await;
    let client = t.client();
    let token = client.csrf().await;
    let form = [("_csrf", token.as_str()), ("email", ADMIN), ("password", DEMO_PASSWORD)];
    let foreign = client
        .http
        .post(client.url("/login"))
        .header("origin", "https://evil.example")
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(foreign.status(), StatusCode::FORBIDDEN);
    let fetch = client
        .http
        .post(client.url("/login"))
        .header("sec-fetch-site", "cross-site")
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(fetch.status(), StatusCode::FORBIDDEN);
    let same = client
        .http
        .post(client.url("/login"))
        .header("origin", client.base.clone())
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(same.status(), StatusCode::SEE_OTHER);
}

async fn every_response_carries_the_security_headers(backend: Backend) {
    let t = TestApp::spawn(backend).await;
    let client = t.login(ADMIN, DEMO_PASSWORD).await;
    for path in ["/login", "/admin", "/no/such/page", "/healthz", "/static/style.css", "/api/v1/me"] {
        let page = client.get(path).await;
        let csp = page
            .headers
            .get("content-security-policy")
            .unwrap_or_else(|| panic!("CSP on {path}"))
            .to_str()
            .unwrap();
        assert!(
            csp.contains("default-src 'self'") && csp.contains("frame-ancestors 'none'"),
            "{path}: {csp}"
        );
        assert_eq!(page.headers.get("x-content-type-options").unwrap(), "nosniff", "{path}");
        assert_eq!(page.headers.get("referrer-policy").unwrap(), "same-origin", "{path}");
        assert_eq!(page.headers.get("x-frame-options").unwrap(), "DENY", "{path}");
    }
    assert_eq!(
        client.get("/admin").await.headers.get("cache-control").unwrap(),
        "no-store",
        "private pages are not cached"
    );
}

async fn error_pages_show_a_request_id_and_no_internals(backend: Backend) {
    let t = TestApp::spawn(backend).await;
    let anonymous = t.client().get("/no/such/page").await;
    assert_eq!(anonymous.status, StatusCode::NOT_FOUND);
    assert!(anonymous.body.contains("Request id: <code>"));
    assert!(anonymous.body.contains("Go to the login page"));
    let client = t.login(STAFF, DEMO_PASSWORD).await;
    let page = client.get("/nowhere").await;
    assert_eq!(page.status, StatusCode::NOT_FOUND);
    assert!(
        page.body.contains("Go to your dashboard"),
        "the error page keeps the viewer's layout"
    );
    let api = client.get("/api/v1/nothing-here").await;
    assert_eq!(api.status, StatusCode::NOT_FOUND);
    assert_eq!(api.headers.get("content-type").unwrap(), "application/problem+json");
    let problem = api.json();
    assert_eq!(problem["code"], "not_found");
    assert!(problem["request_id"].as_str().is_some_and(|id| id.len() == 32));
}

/// `/favicon.ico` was a 404 on every page. It is the brand mark in the brand colour (the
/// logo, where one is set), and every page links it.
async fn the_browser_tab_shows_the_brand_mark(backend: Backend) {
    let t = TestApp::spawn(backend).await;
    let client = t.client();
    let (status, headers, body) = client.get_bytes("/favicon.ico", &[]).await;
    assert_eq!(status, reqwest::StatusCode::OK);
    assert_eq!(headers["content-type"], "image/svg+xml");
    let svg = String::from_utf8(body).unwrap();
    assert!(svg.starts_with("<svg") && svg.contains(r##"fill="#2f5bea""##), "{svg}");
    assert!(client.get("/login").await.body.contains(r#"<link rel="icon" href="/favicon.ico">"#));
}
