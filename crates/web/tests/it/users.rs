//! People management by admins.

use crate::support::*;
use reqwest::StatusCode;
use store::on_both_databases;

on_both_databases!(
    the_list_searches_filters_and_pages,
    adding_a_person_keeps_the_input_on_errors,
    deactivation_ends_sessions_and_keeps_history,
    the_last_admin_cannot_be_deactivated,
    editing_changes_name_and_email,
);

async fn the_list_searches_filters_and_pages(backend: Backend) {
    let t = TestApp::spawn(backend).await;
    let admin = t.login(ADMIN, DEMO_PASSWORD).await;
    for i in 0..30 {
        let email = format!("person{i:02}@staff.example");
        let created = admin
            .post_form(
                "/admin/users",
                &[("name", &format!("Zed Person {i:02}")), ("email", &email), ("role", "staff")],
            )
            .await;
        assert_eq!(created.status, StatusCode::SEE_OTHER);
    }
    let first = admin.get("/admin/users?q=zed+person").await;
    assert!(first.body.contains("30 people · page 1 of 2"), "{}", first.body);
    assert!(first.body.contains("Zed Person 00") && !first.body.contains("Zed Person 25"));
    let second = admin.get("/admin/users?q=zed+person&page=2").await;
    assert!(second.body.contains("Zed Person 25") && second.body.contains("Zed Person 29"));
    assert!(
        second.body.contains("rel=\"prev\" href=\"/admin/users?q=zed%20person&#38;page=1\""),
        "the pager keeps the filter"
    );
    let acme = admin.get("/admin/users?q=ACME").await;
    assert!(
        acme.body.contains("Carla Romero") && !acme.body.contains("Oscar Bennett"),
        "search matches the organisation"
    );
    let clients = admin.get("/admin/users?role=client").await;
    assert!(clients.body.contains("3 people"), "the demo has three client contacts");
    let literal = admin.get("/admin/users?q=%25").await;
    assert!(literal.body.contains("No one matches"), "% is matched literally");
    let bad = admin.get("/admin/users?role=root").await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
}

async fn adding_a_person_keeps_the_input_on_errors(backend: Backend) {
    let t = TestApp::spawn(backend).await;
    let admin = t.login(ADMIN, DEMO_PASSWORD).await;
    let invalid = admin
        .post_form(
            "/admin/users",
            &[("name", "Nina <b>New</b>"), ("email", "not-an-email"), ("role", "staff")],
        )
        .await;
    assert_eq!(invalid.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(invalid.body.contains("Enter a valid email address"));
    assert!(
        invalid.body.contains("value=\"Nina &#60;b&#62;New&#60;/b&#62;\""),
        "the name is kept, escaped"
    );
    assert!(invalid.body.contains("aria-invalid=\"true\""));
    let duplicate = admin
        .post_form(
            "/admin/users",
            &[("name", "Another Admin"), ("email", "ADMIN@example.com"), ("role", "admin")],
        )
        .await;
    assert_eq!(duplicate.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(duplicate.body.contains("already exists"));
    let no_org = admin
        .post_form(
            "/admin/users",
            &[("name", "Cliff Client"), ("email", "cliff@example.com"), ("role", "client")],
        )
        .await;
    assert_eq!(no_org.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(no_org.body.contains("Choose the client organisation"));
    // Once everything queued has gone out, none of it went to the people not added.
    t.outbox_drained().await;
    for refused in ["cliff@example.com", ADMIN] {
        assert!(
            t.smtp.messages_to(refused).is_empty(),
            "no invitation for {refused}, who was not added"
        );
    }
}

async fn deactivation_ends_sessions_and_keeps_history(backend: Backend) {
    let t = TestApp::spawn(backend).await;
    let admin = t.login(ADMIN, DEMO_PASSWORD).await;
    let staff = t.login(STAFF, DEMO_PASSWORD).await;
    let id = t.user_id(STAFF).await;
    let done = admin.post_form(&format!("/admin/users/{id}/deactivate"), &[]).await;
    assert_eq!(done.status, StatusCode::SEE_OTHER);
    assert_eq!(staff.get("/staff").await.status, StatusCode::SEE_OTHER, "logged out at once");
    let login = t.client().login(STAFF, DEMO_PASSWORD).await;
    assert_eq!(login.status, StatusCode::UNAUTHORIZED);
    assert!(login.body.contains("deactivated"));
    let page = admin.get(&format!("/admin/users/{id}")).await;
    assert!(page.body.contains("has been deactivated"), "flash");
    assert!(page.body.contains("deactivated; sessions ended"), "history");
    admin.post_form(&format!("/admin/users/{id}/reactivate"), &[]).await;
    assert_eq!(t.client().login(STAFF, DEMO_PASSWORD).await.status, StatusCode::SEE_OTHER);
    let page = admin.get(&format!("/admin/users/{id}")).await;
    assert!(
        page.body.contains("reactivated") && page.body.contains("deactivated; sessions ended"),
        "both events kept"
    );
    let mine = admin
        .post_form(&format!("/admin/users/{}/deactivate", t.user_id(ADMIN).await), &[])
        .await;
    assert_eq!(mine.status, StatusCode::SEE_OTHER);
    assert_eq!(
        admin.get("/admin").await.status,
        StatusCode::OK,
        "an admin cannot lock themselves out"
    );
}

async fn the_last_admin_cannot_be_deactivated(backend: Backend) {
    let t = TestApp::spawn(backend).await;
    let actor = app::users::Actor::Operator;
    let id = t.user_id(ADMIN).await;
    let err = t.app.deactivate_user(&actor, id).await.unwrap_err();
    assert!(err.to_string().contains("last active admin"), "{err}");
}

async fn editing_changes_name_and_email(backend: Backend) {
    let t = TestApp::spawn(backend).await;
    let admin = t.login(ADMIN, DEMO_PASSWORD).await;
    let id = t.user_id(CLIENT).await;
    let conflict = admin
        .post_form(&format!("/admin/users/{id}"), &[("name", "Carla C."), ("email", OTHER_CLIENT)])
        .await;
    assert_eq!(conflict.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(conflict.body.contains("value=\"Carla C.\""), "input kept");
    let saved = admin
        .post_form(
            &format!("/admin/users/{id}"),
            &[("name", "Carla Customer"), ("email", "carla@acme.example")],
        )
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER);
    let page = admin.get(&format!("/admin/users/{id}")).await;
    assert!(page.body.contains("Carla Customer") && page.body.contains("email client@example.com → carla@acme.example"));
    assert_eq!(
        t.client().login("carla@acme.example", DEMO_PASSWORD).await.status,
        StatusCode::SEE_OTHER
    );
    assert_eq!(admin.get("/admin/users/not-a-uuid").await.status, StatusCode::NOT_FOUND);
    assert_eq!(
        admin.get(&format!("/admin/users/{}", uuid::Uuid::now_v7())).await.status,
        StatusCode::NOT_FOUND
    );
}
