//! Emails go through the outbox: nothing is lost while the SMTP server is down, and each
//! message is delivered once when it comes back.

use crate::support::*;
use reqwest::StatusCode;
use std::time::Duration;
use store::on_both_databases;

on_both_databases!(emails_survive_an_smtp_outage_and_arrive_once, invitations_carry_a_working_link);

async fn emails_survive_an_smtp_outage_and_arrive_once(backend: Backend) {
    let t = TestApp::spawn(backend).await;
    t.smtp.stop();
    let admin = t.login(ADMIN, DEMO_PASSWORD).await;
    let people = ["ann@example.com", "ben@example.com", "cat@example.com"];
    for email in people {
        let created = admin
            .post_form("/admin/users", &[("name", "Someone New"), ("email", email), ("role", "staff")])
            .await;
        assert_eq!(created.status, StatusCode::SEE_OTHER, "{}", created.body);
    }
    // Workers try, fail against the closed port, and retry with backoff.
    tokio::time::sleep(Duration::from_millis(1200)).await;
    assert!(t.smtp.messages().is_empty());
    let counts = t.job_counts().await;
    assert_eq!(counts.pending, 3, "all three emails wait in the outbox: {counts:?}");

    t.smtp.restart().await;
    for email in people {
        t.smtp.wait_for(email, 1).await;
    }
    tokio::time::sleep(Duration::from_millis(1000)).await;
    for email in people {
        assert_eq!(t.smtp.messages_to(email).len(), 1, "{email} gets exactly one invitation");
    }
    let counts = t.job_counts().await;
    assert_eq!((counts.pending, counts.done, counts.failed), (0, 3, 0));
}

async fn invitations_carry_a_working_link(backend: Backend) {
    let t = TestApp::spawn(backend).await;
    let admin = t.login(ADMIN, DEMO_PASSWORD).await;
    let form = admin.get("/admin/users/new").await;
    let acme = form
        .body
        .split("<option value=\"")
        .find(|o| o.contains(">Acme<"))
        .and_then(|o| o.split('"').next())
        .expect("Acme in the picker")
        .to_owned();
    let created = admin
        .post_form(
            "/admin/users",
            &[
                ("name", "Fiona Finance"),
                ("email", "fiona@acme.example"),
                ("role", "client"),
                ("client_org", &acme),
            ],
        )
        .await;
    assert_eq!(created.status, StatusCode::SEE_OTHER, "{}", created.body);
    let mail = t.smtp.wait_for("fiona@acme.example", 1).await;
    let message = &mail[0];
    assert!(message.subject().contains("invited"));
    let text = message.text();
    assert!(text.contains("Hello Fiona Finance"));
    assert!(text.contains("client portal"));
    assert!(
        !text.lines().any(|l| l.trim_start().to_lowercase().starts_with("password")),
        "no password in the email, only the link"
    );
    assert!(message.html().contains("<a href=\"http://"), "an HTML part with the link");

    let invitee = t.client();
    let path = message.link().strip_prefix(&invitee.base).unwrap().to_owned();
    let done = invitee
        .post_form(&path, &[("password", "fiona's long secret"), ("confirm", "fiona's long secret")])
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER);
    assert_eq!(done.location(), "/portal");
    let portal = invitee.get("/portal").await;
    assert!(portal.body.contains("Welcome, Fiona"));
    assert!(portal.body.contains("Acme"));
    assert!(portal.body.contains("Your password is set"), "a flash message after the redirect");
}
