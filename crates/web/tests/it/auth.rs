//! Logging in and out, sessions, password resets and lockouts.

use crate::support::*;
use reqwest::StatusCode;
use std::time::Duration;
use store::on_both_databases;

on_both_databases!(
    each_role_lands_in_its_own_area_and_cannot_reach_the_others,
    wrong_password_and_unknown_email_get_the_same_answer,
    login_rotates_the_session_and_logout_ends_it,
    password_reset_by_email_works_once,
    reset_answer_is_the_same_for_unknown_accounts_and_is_throttled,
    repeated_failures_lock_the_account,
    a_lock_earned_from_one_address_does_not_lock_the_owner_out_elsewhere,
    failures_from_one_address_slow_it_down_but_never_refuse_a_correct_password,
    changing_the_password_ends_other_sessions,
    idle_sessions_expire,
    absolute_expiry_ends_active_sessions,
    login_follows_next_only_within_the_role_area,
);

async fn each_role_lands_in_its_own_area_and_cannot_reach_the_others(backend: Backend) {
    let t = TestApp::spawn(backend).await;
    for (email, home) in [(ADMIN, "/admin"), (STAFF, "/staff"), (CLIENT, "/portal"), (OTHER_CLIENT, "/portal")] {
        let client = t.client();
        let response = client.login(email, DEMO_PASSWORD).await;
        assert_eq!(response.status, StatusCode::SEE_OTHER, "{email}");
        assert_eq!(response.location(), home, "{email} lands in {home}");
        let page = client.get(home).await;
        assert_eq!(page.status, StatusCode::OK, "{email} on {home}");
        for other in ["/admin", "/staff", "/portal"].into_iter().filter(|o| *o != home) {
            let page = client.get(other).await;
            assert_eq!(page.status, StatusCode::FORBIDDEN, "{email} on {other}");
            assert!(
                page.body.contains("You do not have access to this page"),
                "a 403 page for {email} on {other}"
            );
            assert!(page.body.contains("Request id"), "the 403 page shows a request id");
        }
        assert_eq!(client.get("/account").await.status, StatusCode::OK);
    }
}

async fn wrong_password_and_unknown_email_get_the_same_answer(backend: Backend) {
    let t = TestApp::spawn(backend).await;
    let client = t.client();
    let wrong = client.login(ADMIN, "not the password").await;
    let unknown = client.login("nobody@example.com", "not the password").await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert_eq!(unknown.status, StatusCode::UNAUTHORIZED);
    assert!(wrong.body.contains("The email or password is not correct."));
    assert!(unknown.body.contains("The email or password is not correct."));
    assert!(wrong.body.contains("value=\"admin@example.com\""), "the email stays in the form");
    assert_eq!(client.get("/admin").await.status, StatusCode::SEE_OTHER, "no session was opened");
}

async fn login_rotates_the_session_and_logout_ends_it(backend: Backend) {
    let t = TestApp::spawn(backend).await;
    let client = t.client();
    let first = client.login(ADMIN, DEMO_PASSWORD).await;
    let first_cookie = session_cookie(&first).expect("a session cookie");
    assert!(first.headers.get_all("set-cookie").iter().any(|c| {
        let c = c.to_str().unwrap();
        c.starts_with("portico_session=") && c.contains("HttpOnly") && c.contains("SameSite=Lax")
    }));
    let second = client.login(ADMIN, DEMO_PASSWORD).await;
    let second_cookie = session_cookie(&second).expect("a new session cookie");
    assert_ne!(first_cookie, second_cookie, "the session token changes at login");

    // The replaced session is gone: a client holding the old cookie is logged out.
    let stale = t.client();
    let page = read_with_cookie(&stale, "/admin", &first_cookie).await;
    assert_eq!(page.0, StatusCode::SEE_OTHER);

    let out = client.post_form("/logout", &[]).await;
    assert_eq!(out.status, StatusCode::SEE_OTHER);
    assert_eq!(out.location(), "/login");
    assert_eq!(client.get("/admin").await.status, StatusCode::SEE_OTHER);
    let page = read_with_cookie(&stale, "/admin", &second_cookie).await;
    assert_eq!(page.0, StatusCode::SEE_OTHER, "the logged-out token no longer works");
}

pub fn session_cookie(page: &Page) -> Option<String> {
    page.headers
        .get_all("set-cookie")
        .iter()
        .filter_map(|c| c.to_str().ok())
        .find(|c| c.starts_with("portico_session=") && !c.starts_with("portico_session=;"))
        .map(|c| c.split(';').next().unwrap().trim_start_matches("portico_session=").to_owned())
}

async fn read_with_cookie(client: &Client, path: &str, session: &str) -> (StatusCode, String) {
    let response = client
        .http
        .get(client.url(path))
        .header("cookie", format!("portico_session={session}"))
        .send()
        .await
        .unwrap();
    (response.status(), response.text().await.unwrap())
}

async fn password_reset_by_email_works_once(backend: Backend) {
    let t = TestApp::spawn(backend).await;
    let client = t.client();
    let page = client.post_form("/forgot-password", &[("email", "Staff@Example.com ")]).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("If an account exists"));
    let mail = t.smtp.wait_for(STAFF, 1).await;
    assert!(mail[0].subject().contains("Reset your Portico password"));
    assert!(mail[0].html().contains("Choose a new password"), "an HTML part");
    let link = mail[0].link();
    let path = link.strip_prefix(&client.base).expect("the link points at this server");
    assert!(path.starts_with("/password/"));

    let form = client.get(path).await;
    assert_eq!(form.status, StatusCode::OK);
    assert!(form.body.contains("staff@example.com"));
    assert_eq!(form.headers.get("referrer-policy").unwrap(), "no-referrer");

    let mismatch = client
        .post_form(path, &[("password", "a brand new secret"), ("confirm", "something else entirely")])
        .await;
    assert_eq!(mismatch.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(mismatch.body.contains("do not match"));

    let done = client
        .post_form(path, &[("password", "a brand new secret"), ("confirm", "a brand new secret")])
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER);
    assert_eq!(done.location(), "/staff");
    assert_eq!(
        client.get("/staff").await.status,
        StatusCode::OK,
        "logged in after choosing the password"
    );

    let again = t
        .client()
        .post_form(path, &[("password", "another new secret"), ("confirm", "another new secret")])
        .await;
    assert_eq!(again.status, StatusCode::UNPROCESSABLE_ENTITY, "the link works once");
    assert!(again.body.contains("no longer works"));
    assert_eq!(
        t.client().login(STAFF, DEMO_PASSWORD).await.status,
        StatusCode::UNAUTHORIZED,
        "the old password is gone"
    );
    assert_eq!(t.client().login(STAFF, "a brand new secret").await.status, StatusCode::SEE_OTHER);
}

async fn reset_answer_is_the_same_for_unknown_accounts_and_is_throttled(backend: Backend) {
    let t = TestApp::spawn(backend).await;
    let client = t.client();
    let known = client.post_form("/forgot-password", &[("email", CLIENT)]).await;
    let unknown = client.post_form("/forgot-password", &[("email", "ghost@example.com")]).await;
    assert_eq!(known.status, unknown.status);
    let strip = |body: &str, email: &str| body.replace(email, "EMAIL").replace(&csrf_of(body).unwrap_or_default(), "");
    assert_eq!(
        strip(&known.body, CLIENT),
        strip(&unknown.body, "ghost@example.com"),
        "the same page either way"
    );
    t.smtp.wait_for(CLIENT, 1).await;
    t.outbox_drained().await;
    assert!(
        t.smtp.messages_to("ghost@example.com").is_empty(),
        "an unknown address gets nothing"
    );

    for _ in 0..2 {
        assert_eq!(
            client.post_form("/forgot-password", &[("email", CLIENT)]).await.status,
            StatusCode::OK
        );
    }
    let throttled = client.post_form("/forgot-password", &[("email", CLIENT)]).await;
    assert_eq!(throttled.status, StatusCode::TOO_MANY_REQUESTS, "three per address per hour");
    assert!(throttled.headers.contains_key("retry-after"));
    t.smtp.wait_for(CLIENT, 3).await;
    t.outbox_drained().await;
    assert_eq!(t.smtp.messages_to(CLIENT).len(), 3, "no fourth email");
}

async fn repeated_failures_lock_the_account(backend: Backend) {
    let t = TestApp::spawn(backend).await;
    let client = t.client();
    for _ in 0..5 {
        assert_eq!(client.login(STAFF, "wrong password").await.status, StatusCode::UNAUTHORIZED);
    }
    assert_eq!(
        client.login(STAFF, "wrong password").await.status,
        StatusCode::UNAUTHORIZED,
        "the sixth failure starts the lock"
    );
    let locked = client.login(STAFF, DEMO_PASSWORD).await;
    assert_eq!(locked.status, StatusCode::TOO_MANY_REQUESTS, "even the right password waits");
    assert!(locked.body.contains("Too many attempts"));
    assert_eq!(
        t.client().login(ADMIN, DEMO_PASSWORD).await.status,
        StatusCode::SEE_OTHER,
        "other accounts are unaffected"
    );
}

fn from(address: &str) -> app::auth::ClientInfo {
    app::auth::ClientInfo {
        ip: Some(address.into()),
        user_agent: None,
    }
}

async fn a_lock_earned_from_one_address_does_not_lock_the_owner_out_elsewhere(backend: Backend) {
    let t = TestApp::spawn(backend).await;
    let guesser = from("203.0.113.5");
    for _ in 0..6 {
        let refused = t.app.login(STAFF, "wrong password", &guesser, None).await.err().expect("refused");
        assert!(matches!(refused, domain::Error::Unauthenticated(_)), "{refused:?}");
    }
    let locked = t.app.login(STAFF, DEMO_PASSWORD, &guesser, None).await.err().expect("refused");
    assert!(
        matches!(locked, domain::Error::RateLimited { .. }),
        "the guesser's address waits: {locked:?}"
    );
    let owner = t.app.login(STAFF, DEMO_PASSWORD, &from("198.51.100.7"), None).await;
    assert!(owner.is_ok(), "the owner logs in from their own address: {:?}", owner.err());

    // Guesses spread over many addresses lock the account itself, past 20.
    for i in 0..21 {
        let _ = t.app.login(ADMIN, "wrong password", &from(&format!("192.0.2.{i}")), None).await;
    }
    let spread = t
        .app
        .login(ADMIN, DEMO_PASSWORD, &from("198.51.100.7"), None)
        .await
        .err()
        .expect("refused");
    assert!(matches!(spread, domain::Error::RateLimited { .. }), "{spread:?}");
}

async fn failures_from_one_address_slow_it_down_but_never_refuse_a_correct_password(backend: Backend) {
    let t = TestApp::spawn(backend).await;
    // Behind a proxy without trust_proxy every user shares one address, the proxy's.
    let sprayer = t.client();
    for i in 0..30 {
        let response = sprayer.login(&format!("nobody{i}@example.com"), "wrong password").await;
        assert_eq!(response.status, StatusCode::UNAUTHORIZED, "attempt {i}");
    }
    let started = std::time::Instant::now();
    let colleague = t.client().login(STAFF, DEMO_PASSWORD).await;
    assert_eq!(
        colleague.status,
        StatusCode::SEE_OTHER,
        "a colleague behind the same address logs in"
    );
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "past 30 failures an attempt from the address waits first ({:?})",
        started.elapsed()
    );
    let guess = sprayer.login("nobody-else@example.com", "wrong password").await;
    assert_eq!(guess.status, StatusCode::UNAUTHORIZED, "a guess is slowed, answered the same way");
}

async fn changing_the_password_ends_other_sessions(backend: Backend) {
    let t = TestApp::spawn(backend).await;
    let laptop = t.login(CLIENT, DEMO_PASSWORD).await;
    let phone = t.login(CLIENT, DEMO_PASSWORD).await;
    let wrong = laptop
        .post_form(
            "/account/password",
            &[
                ("current_password", "nope nope nope"),
                ("password", "correct horse battery"),
                ("confirm", "correct horse battery"),
            ],
        )
        .await;
    assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(wrong.body.contains("current password is not correct"));
    let changed = laptop
        .post_form(
            "/account/password",
            &[
                ("current_password", DEMO_PASSWORD),
                ("password", "correct horse battery"),
                ("confirm", "correct horse battery"),
            ],
        )
        .await;
    assert_eq!(changed.status, StatusCode::SEE_OTHER);
    assert!(session_cookie(&changed).is_some(), "a fresh session for this browser");
    assert_eq!(laptop.get("/portal").await.status, StatusCode::OK);
    assert_eq!(phone.get("/portal").await.status, StatusCode::SEE_OTHER, "the other session ended");
}

async fn idle_sessions_expire(backend: Backend) {
    let options = Options {
        session_idle: chrono::Duration::minutes(30),
        ..Options::default()
    };
    let t = TestApp::spawn_with(backend, options).await;
    let client = t.login(ADMIN, DEMO_PASSWORD).await;
    // Used every 25 minutes, the session lives on past its first half hour.
    for _ in 0..3 {
        t.app.clock.advance(chrono::Duration::minutes(25));
        assert_eq!(client.get("/admin").await.status, StatusCode::OK);
    }
    t.app.clock.advance(chrono::Duration::minutes(31));
    let page = client.get("/admin").await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    assert_eq!(page.location(), "/login?next=%2Fadmin");
}

async fn absolute_expiry_ends_active_sessions(backend: Backend) {
    let options = Options {
        session_absolute: chrono::Duration::hours(2),
        ..Options::default()
    };
    let t = TestApp::spawn_with(backend, options).await;
    let client = t.login(ADMIN, DEMO_PASSWORD).await;
    // In use every 20 minutes up to a minute before the limit: alive.
    for _ in 0..5 {
        t.app.clock.advance(chrono::Duration::minutes(20));
        assert_eq!(client.get("/admin").await.status, StatusCode::OK);
    }
    t.app.clock.advance(chrono::Duration::minutes(19));
    assert_eq!(client.get("/admin").await.status, StatusCode::OK, "a minute before the limit");
    t.app.clock.advance(chrono::Duration::minutes(2));
    assert_eq!(
        client.get("/admin").await.status,
        StatusCode::SEE_OTHER,
        "used or not, the session ends"
    );
}

async fn login_follows_next_only_within_the_role_area(backend: Backend) {
    let t = TestApp::spawn(backend).await;
    let client = t.client();
    let page = client.get("/admin/users?page=2").await;
    assert_eq!(page.location(), "/login?next=%2Fadmin%2Fusers%3Fpage%3D2");
    let login = client
        .post_form(
            "/login",
            &[("email", ADMIN), ("password", DEMO_PASSWORD), ("next", "/admin/users?page=2")],
        )
        .await;
    assert_eq!(login.location(), "/admin/users?page=2");
    for next in ["https://evil.example/", "//evil.example/", "/portal"] {
        let login = t
            .client()
            .post_form("/login", &[("email", ADMIN), ("password", DEMO_PASSWORD), ("next", next)])
            .await;
        assert_eq!(login.location(), "/admin", "next={next}");
    }
}
