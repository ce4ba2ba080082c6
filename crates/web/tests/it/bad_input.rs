//! Bad input gets a clear 4xx with a message, never a 500, and nothing is half-stored.

use crate::support::*;
use reqwest::StatusCode;
use store::on_both_databases;

on_both_databases!(
    malformed_and_oversized_requests_are_refused_cleanly,
    metacharacters_are_stored_literally_and_shown_escaped,
    a_failed_change_stores_nothing
);

async fn malformed_and_oversized_requests_are_refused_cleanly(backend: Backend) {
    let t = TestApp::spawn(backend).await;
    let admin = t.login(ADMIN, DEMO_PASSWORD).await;
    let token = admin.csrf().await;
    let post = |path: &str, content_type: &str, body: String| {
        admin
            .http
            .post(admin.url(path))
            .header("content-type", content_type.to_owned())
            .header("x-csrf-token", token.clone())
            .body(body)
            .send()
    };

    let garbage = post("/admin/users", "application/x-www-form-urlencoded", "%%%&&&==&name".into())
        .await
        .unwrap();
    assert!(garbage.status().is_client_error(), "{}", garbage.status());
    let json = post("/admin/users", "application/json", "{\"name\":\"x\"}".into()).await.unwrap();
    assert_eq!(json.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert!(json.text().await.unwrap().contains("content type is not accepted"));
    let huge = post(
        "/admin/users",
        "application/x-www-form-urlencoded",
        format!("name={}", "a".repeat(2 * 1024 * 1024)),
    )
    .await
    .unwrap();
    // The whole body is read before the answer, so the client sees the page, not a reset.
    assert_eq!(huge.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert!(huge.text().await.unwrap().contains("The request is too large"));

    for (field, value) in [
        ("name", "n".repeat(10_000)),
        ("email", format!("{}@example.com", "e".repeat(10_000))),
        ("name", "null\u{0}byte".to_owned()),
        ("name", "   ".to_owned()),
    ] {
        let mut fields = vec![
            ("name", "Valid Name".to_owned()),
            ("email", "valid@example.com".to_owned()),
            ("role", "staff".to_owned()),
        ];
        fields.retain(|(k, _)| *k != field);
        fields.push((field, value));
        let borrowed: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let page = admin.post_form("/admin/users", &borrowed).await;
        assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY, "{field}");
        assert!(page.body.contains("class=\"alert\""), "a message for {field}");
    }
    let unknown_role = admin
        .post_form("/admin/users", &[("name", "R"), ("email", "r@example.com"), ("role", "superuser")])
        .await;
    assert_eq!(unknown_role.status, StatusCode::UNPROCESSABLE_ENTITY);
    let bad_org = admin
        .post_form(
            "/admin/users",
            &[
                ("name", "R"),
                ("email", "r@example.com"),
                ("role", "client"),
                ("client_org", "'; DROP TABLE users; --"),
            ],
        )
        .await;
    assert_eq!(bad_org.status, StatusCode::UNPROCESSABLE_ENTITY);
    let missing_org = admin
        .post_form(
            "/admin/users",
            &[
                ("name", "R"),
                ("email", "r@example.com"),
                ("role", "client"),
                ("client_org", &uuid::Uuid::now_v7().to_string()),
            ],
        )
        .await;
    assert_eq!(missing_org.status, StatusCode::UNPROCESSABLE_ENTITY);

    let wrong_method = admin
        .http
        .delete(admin.url("/admin/users"))
        .header("x-csrf-token", token.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(wrong_method.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert!(wrong_method.text().await.unwrap().contains("Request id"));
    assert_eq!(admin.get("/admin/users?page=-1").await.status, StatusCode::BAD_REQUEST);
    let past_the_end = admin.get("/admin/users?page=99999").await;
    assert_eq!(past_the_end.status, StatusCode::OK, "a page past the end is empty, not an error");
    assert!(
        past_the_end.body.contains("No one matches") && !past_the_end.body.contains("Carla Romero"),
        "and it lists no one: {}",
        past_the_end.body
    );
    assert!(
        admin.get("/admin/users?page=1").await.body.contains("Carla Romero"),
        "where page 1 does"
    );
    assert_eq!(admin.get("/password/..%2F..%2Fetc%2Fpasswd").await.status, StatusCode::NOT_FOUND);
    assert_eq!(
        admin.get(&format!("/password/{}", "x".repeat(5000))).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        t.client()
            .post_form("/login", &[("email", &"a".repeat(100_000)), ("password", "x")])
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        t.client().post_form("/forgot-password", &[("email", "<script>")]).await.status,
        StatusCode::UNPROCESSABLE_ENTITY
    );
}

async fn metacharacters_are_stored_literally_and_shown_escaped(backend: Backend) {
    let t = TestApp::spawn(backend).await;
    let admin = t.login(ADMIN, DEMO_PASSWORD).await;
    let name = "Robert'); DROP TABLE users;-- <script>alert(1)</script> \"q\" & 100%_";
    let created = admin
        .post_form(
            "/admin/users",
            &[("name", name), ("email", "bobby.tables+x@example.com"), ("role", "staff")],
        )
        .await;
    assert_eq!(created.status, StatusCode::SEE_OTHER, "{}", created.body);
    let detail = admin.get(created.location()).await;
    assert!(!detail.body.contains("<script>alert(1)</script>"), "never rendered as markup");
    assert!(detail.body.contains("&#60;script&#62;alert(1)&#60;/script&#62;"));
    let found = admin.get("/admin/users?q=%27%29%3B+DROP").await;
    assert!(found.body.contains("1 person"), "found by its literal text");
    let injection = admin.get("/admin/users?q=%27+OR+1%3D1+--").await;
    assert!(injection.body.contains("No one matches"));
    let user = t.app.user(t.user_id("bobby.tables+x@example.com").await).await.unwrap();
    assert_eq!(user.name, name, "stored exactly as typed");
}

async fn a_failed_change_stores_nothing(backend: Backend) {
    let t = TestApp::spawn(backend).await;
    let admin = t.login(ADMIN, DEMO_PASSWORD).await;
    let before = t.job_counts().await;
    let id = t.user_id(CLIENT).await;
    let page = admin
        .post_form(&format!("/admin/users/{id}"), &[("name", "New Name"), ("email", "broken")])
        .await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    let user = t.app.user(id).await.unwrap();
    assert_eq!(
        (user.name.as_str(), user.email.as_str()),
        ("Carla Romero", CLIENT),
        "neither field changed"
    );
    let conflict = admin
        .post_form("/admin/users", &[("name", "Twin"), ("email", STAFF), ("role", "staff")])
        .await;
    assert_eq!(conflict.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(t.job_counts().await, before, "no invitation queued for a person who was not added");
}
