//! Emails go through the outbox: nothing is lost while the SMTP server is down, and each
//! message is delivered once when it comes back.

use crate::support::*;
use reqwest::StatusCode;
use std::time::Duration;
use store::on_both_databases;

on_both_databases!(
    emails_survive_an_smtp_outage_and_arrive_once,
    invitations_carry_a_working_link,
    a_permanent_refusal_is_not_retried_and_an_admin_sends_it_again,
    a_deferral_is_retried_until_the_horizon_then_listed,
    retries_waiting_after_an_outage_go_out_at_start_up,
    invoice_emails_skip_contacts_who_have_not_accepted_their_invitation,
    mail_goes_out_over_starttls_with_the_servers_credentials,
    a_refused_login_to_the_smtp_server_is_listed_with_its_answer,
);

/// Production settings: STARTTLS required, the relay's private CA trusted (`smtp.ca_file`),
/// AUTH with the account; the message arrives encrypted, from that account, and the server
/// refused nothing on the way (the order of commands is its to check).
async fn mail_goes_out_over_starttls_with_the_servers_credentials(backend: Backend) {
    let options = Options {
        smtp_login: Some(SMTP_PASSWORD),
        ..Options::default()
    };
    let t = TestApp::spawn_with(backend, options).await;
    reset_email_to(&t, CLIENT).await;
    let mail = t.smtp.wait_for_subject(CLIENT, "Reset your").await;
    assert!(mail[0].over_tls, "sent inside TLS");
    assert_eq!(mail[0].authenticated_as.as_deref(), Some(SMTP_USER));
    assert_eq!(t.smtp.errors(), Vec::<String>::new());
}

/// A wrong SMTP password is the server's 535: not retried, listed for admins with the
/// server's words, and nothing is sent in the clear.
async fn a_refused_login_to_the_smtp_server_is_listed_with_its_answer(backend: Backend) {
    let options = Options {
        smtp_login: Some("an old password"),
        ..Options::default()
    };
    let t = TestApp::spawn_with(backend, options).await;
    reset_email_to(&t, CLIENT).await;
    wait_for_failed(&t, 1).await;
    assert!(t.smtp.messages().is_empty());
    assert!(t.smtp.errors().iter().any(|e| e.starts_with("535 ")), "{:?}", t.smtp.errors());
    let list = t.login(ADMIN, DEMO_PASSWORD).await.get("/admin/emails").await;
    assert!(
        list.body.contains("Authentication credentials invalid") && list.body.contains("(1 attempt)"),
        "{}",
        list.body
    );
}

/// The test SMTP server refuses what a real one refuses, so the tests above prove something:
/// commands out of order, a message over its size, mail before STARTTLS or AUTH.
#[tokio::test]
async fn the_test_smtp_server_refuses_what_a_real_one_refuses() {
    use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
    async fn say(server: &crate::smtp::SmtpServer, script: &[&str]) -> Vec<String> {
        let stream = tokio::net::TcpStream::connect(server.addr).await.unwrap();
        let mut stream = BufReader::new(stream);
        let mut replies = Vec::new();
        let mut line = String::new();
        stream.read_line(&mut line).await.unwrap();
        for command in script {
            stream.get_mut().write_all(format!("{command}\r\n").as_bytes()).await.unwrap();
            // A multi-line reply ends with the line whose code is followed by a space.
            loop {
                line.clear();
                stream.read_line(&mut line).await.unwrap();
                if line.as_bytes().get(3) != Some(&b'-') {
                    break;
                }
            }
            replies.push(line[..3].to_owned());
        }
        replies
    }
    let plain = crate::smtp::SmtpServer::start().await;
    assert_eq!(say(&plain, &["MAIL FROM:<a@example.com>"]).await, ["503"], "EHLO first");
    assert_eq!(
        say(&plain, &["EHLO t", "RCPT TO:<b@example.com>"]).await,
        ["250", "503"],
        "MAIL first"
    );
    assert_eq!(
        say(&plain, &["EHLO t", "MAIL FROM:<a@example.com>", "DATA"]).await,
        ["250", "250", "503"],
        "RCPT first"
    );
    let too_big = format!("MAIL FROM:<a@example.com> SIZE={}", crate::smtp::MAX_MESSAGE_BYTES + 1);
    assert_eq!(say(&plain, &["EHLO t", &too_big]).await, ["250", "552"], "over the size");
    assert_eq!(say(&plain, &["EHLO t", "VRFY b"]).await, ["250", "500"], "unknown command");
    let secure = crate::smtp::SmtpServer::start_secure(SMTP_USER, SMTP_PASSWORD).await;
    assert_eq!(
        say(&secure, &["EHLO t", "MAIL FROM:<a@example.com>"]).await,
        ["250", "530"],
        "STARTTLS first"
    );
    assert_eq!(
        say(&secure, &["EHLO t", "AUTH PLAIN AHVAcA=="]).await,
        ["250", "538"],
        "no password in the clear"
    );
    assert!(plain.messages().is_empty() && secure.messages().is_empty());
}

/// Asks for a password reset for `email` (one email to it, if it is an account).
async fn reset_email_to(t: &TestApp, email: &str) {
    let page = t.client().post_form("/forgot-password", &[("email", email)]).await;
    assert!(page.status.is_redirection() || page.status.is_success(), "{}", page.status);
}

async fn wait_for_failed(t: &TestApp, failed: i64) {
    t.wait_until("an undelivered email", || async { t.job_counts().await.failed >= failed })
        .await;
}

/// A 5xx refusal was retried like an outage for 18 hours. Now it fails at once, is listed
/// for admins with the server's answer, and goes out when an admin sends it again.
async fn a_permanent_refusal_is_not_retried_and_an_admin_sends_it_again(backend: Backend) {
    let t = TestApp::spawn(backend).await;
    t.smtp.refuse(CLIENT, "550 5.1.1 No such user here");
    reset_email_to(&t, CLIENT).await;
    wait_for_failed(&t, 1).await;

    let admin = t.login(ADMIN, DEMO_PASSWORD).await;
    let dashboard = admin.get("/admin").await;
    assert!(dashboard.body.contains("1 email could not be delivered"), "{}", dashboard.body);
    let list = admin.get("/admin/emails").await;
    assert_eq!(list.status, StatusCode::OK);
    assert!(list.body.contains(CLIENT) && list.body.contains("Reset your"), "{}", list.body);
    assert!(
        list.body.contains("No such user here") && list.body.contains("(1 attempt)"),
        "not retried: {}",
        list.body
    );

    t.smtp.accept(CLIENT);
    let job = list
        .body
        .split("name=\"email\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("a send-again button")
        .to_owned();
    let again = admin.post_form("/admin/emails/retry", &[("email", &job)]).await;
    assert_eq!(again.location(), "/admin/emails");
    assert!(again.flash().contains("queued again"), "{}", again.flash());
    t.smtp.wait_for_subject(CLIENT, "Reset your").await;
    assert!(admin.get("/admin/emails").await.body.contains("Every email was delivered"));
    assert_eq!(t.job_counts().await.failed, 0);
}

/// A 4xx is retried; past the retry horizon (a setting; one second here) the email counts
/// as undelivered, with the last answer.
async fn a_deferral_is_retried_until_the_horizon_then_listed(backend: Backend) {
    let options = Options {
        mail_retry_horizon: Duration::from_secs(1),
        ..Default::default()
    };
    let t = TestApp::spawn_with(backend, options).await;
    t.smtp.refuse(CLIENT, "451 4.3.0 Mailbox busy, try later");
    reset_email_to(&t, CLIENT).await;
    wait_for_failed(&t, 1).await;
    let admin = t.login(ADMIN, DEMO_PASSWORD).await;
    let list = admin.get("/admin/emails").await.body;
    assert!(list.contains("Mailbox busy"), "{list}");
    assert!(!list.contains("(1 attempt)"), "a deferral is retried: {list}");
    assert!(t.smtp.messages_to(CLIENT).is_empty());
}

/// Emails waiting for their next try went out only at that time, also after a restart.
/// Now the workers bring them forward when they start.
async fn retries_waiting_after_an_outage_go_out_at_start_up(backend: Backend) {
    let t = TestApp::spawn(backend).await;
    // The workers are running (their start-up step is behind them) once an email arrives.
    reset_email_to(&t, STAFF).await;
    t.smtp.wait_for(STAFF, 1).await;
    {
        let mut tx = t.app.db.begin().await.unwrap();
        let mut conn = tx.conn();
        let job = app::jobs::Job::SendEmail(app::mail::Email {
            to: CLIENT.into(),
            to_name: "Carla".into(),
            subject: "Held back by an outage".into(),
            text: "text".into(),
            html: "<p>html</p>".into(),
        });
        let now = store::now();
        let payload = serde_json::to_string(&job).unwrap();
        let id = store::jobs::enqueue(&mut conn, "send_email", &payload, 1000, now, now)
            .await
            .unwrap();
        store::jobs::fail(
            &mut conn,
            id,
            "SMTP: connection refused",
            Some(now + chrono::Duration::hours(1)),
            now,
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();
    }
    // Another email queued after it goes out: the workers have looked at the queue since.
    reset_email_to(&t, STAFF).await;
    t.smtp.wait_for(STAFF, 2).await;
    assert!(
        !t.smtp.messages_to(CLIENT).iter().any(|m| m.subject().contains("Held back")),
        "not due for an hour"
    );
    assert_eq!(t.app.retry_waiting_jobs_now().await.unwrap(), 1);
    t.smtp.wait_for_subject(CLIENT, "Held back by an outage").await;
}

/// Invoice emails went to contacts who had not accepted their invitation, who could not open
/// the invoice. Now they are left out, and the one who sends is told who.
async fn invoice_emails_skip_contacts_who_have_not_accepted_their_invitation(backend: Backend) {
    let t = TestApp::spawn(backend).await;
    let admin = t.login(ADMIN, DEMO_PASSWORD).await;
    let acme = t.org_of(CLIENT).await.to_string();
    let invited = admin
        .post_form(
            "/admin/users",
            &[
                ("name", "Ivy Invited"),
                ("email", "ivy@acme.example"),
                ("role", "client"),
                ("client_org", &acme),
            ],
        )
        .await;
    assert_eq!(invited.status, StatusCode::SEE_OTHER, "{}", invited.body);
    t.smtp.wait_for("ivy@acme.example", 1).await;

    let admin_viewer = t.demo().await.admin;
    let id = t
        .app
        .create_invoice(&admin_viewer, &crate::invoices::acme_draft(&t).await)
        .await
        .unwrap();
    let sent = admin.post_form(&format!("/invoices/{id}/send"), &[]).await;
    let flash = sent.flash();
    assert!(
        flash.contains("Not emailed, because they have not accepted their invitation yet: Ivy Invited"),
        "{flash}"
    );
    assert!(flash.contains("emailed to"), "{flash}");
    t.smtp.wait_for_subject(CLIENT, "Invoice").await;
    t.outbox_drained().await;
    assert_eq!(t.smtp.messages_to("ivy@acme.example").len(), 1, "only the invitation");
}

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
    // Workers try, fail against the closed port, and retry with backoff: wait until each of
    // the three has failed once, then nothing has arrived.
    t.wait_until("the workers to try the three emails", || async {
        t.jobs_tried_and_waiting().await >= 3
    })
    .await;
    assert!(t.smtp.messages().is_empty());
    let counts = t.job_counts().await;
    assert_eq!(counts.pending, 3, "all three emails wait in the outbox: {counts:?}");

    t.smtp.restart().await;
    for email in people {
        t.smtp.wait_for(email, 1).await;
    }
    t.outbox_drained().await;
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
                ("name", "Fiona Walsh"),
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
    assert!(text.contains("Hello Fiona Walsh"));
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
