//! Faults are normal: a full disk, a database that goes away and comes back. Each gets a
//! clear answer (the right status, a message that names the cause), loses nothing
//! acknowledged, and recovers without a restart.

use crate::support::*;
use reqwest::StatusCode;
use std::time::{Duration, Instant};
use store::on_both_databases;
use tokio_util::sync::CancellationToken;

on_both_databases!(
    a_full_disk_is_named_and_writes_work_again_once_there_is_room,
    a_database_outage_answers_503_at_once_and_recovers_without_a_restart
);

async fn a_full_disk_is_named_and_writes_work_again_once_there_is_room(backend: Backend) {
    let t = TestApp::spawn(backend).await;
    let demo = t.demo().await;
    let sam = t.login(STAFF, DEMO_PASSWORD).await;
    let path = format!("/projects/{}/tasks", demo.acme);
    let description = "A long brief. ".repeat(1400);
    let tasks_before = task_count(&t).await;
    // PostgreSQL's disk cannot be filled from here (its disk_full code is mapped in store's
    // unit tests); on it, this checks the part both share: writes and readiness afterwards.
    if backend == Backend::Sqlite {
        // The one write connection may not grow the file: the next large write fails with
        // SQLITE_FULL exactly as on a full disk.
        let mut tx = t.app.db.begin().await.unwrap();
        store::on_conn!(&mut tx.conn(), c => {
            let pages: i64 = sqlx::query_scalar("PRAGMA page_count").fetch_one(&mut *c).await.unwrap();
            sqlx::query(&format!("PRAGMA max_page_count = {pages}")).execute(&mut *c).await.unwrap();
        });
        tx.commit().await.unwrap();

        let refused = sam
            .post_form(
                &path,
                &[("name", "Write the brief"), ("priority", "high"), ("description", &description)],
            )
            .await;
        assert_eq!(refused.status, StatusCode::INSUFFICIENT_STORAGE, "{}", refused.body);
        assert!(refused.body.contains("disk is full"), "the page names the cause");
        assert!(refused.body.contains("nothing was saved"), "and says nothing was saved");
        assert_eq!(task_count(&t).await, tasks_before, "nothing half-stored");
    }
    // Room again (the failed connection, with its limit, was replaced): the same form works,
    // and so does every other write, without a restart.
    let saved = sam
        .post_form(
            &path,
            &[("name", "Write the brief"), ("priority", "high"), ("description", &description)],
        )
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    assert_eq!(task_count(&t).await, tasks_before + 1);
    let login = t.client().login(CLIENT, DEMO_PASSWORD).await;
    assert_eq!(login.status, StatusCode::SEE_OTHER, "a login writes a session");
    let ready = t.client().get("/readyz").await;
    assert_eq!(ready.status, StatusCode::OK, "{}", ready.body);
}

async fn task_count(t: &TestApp) -> i64 {
    let mut read = t.app.db.read().await.unwrap();
    store::on_conn!(&mut read.conn(), c => sqlx::query_scalar("SELECT COUNT(*) FROM tasks").fetch_one(&mut *c).await.unwrap())
}

async fn a_database_outage_answers_503_at_once_and_recovers_without_a_restart(backend: Backend) {
    let t = TestApp::spawn_with(
        backend,
        Options {
            database_proxy: true,
            ..Options::default()
        },
    )
    .await;
    let demo = t.demo().await;
    let sam = t.login(STAFF, DEMO_PASSWORD).await;
    let board = format!("/projects/{}/board", demo.acme);
    assert_eq!(sam.get(&board).await.status, StatusCode::OK);
    let open_form = sam.csrf().await;

    // The outage: PostgreSQL shuts down; on SQLite another process holds the write lock past
    // the busy timeout.
    let held_lock = match &t.database_proxy {
        Some(proxy) => {
            proxy.stop().await;
            None
        }
        None => Some(hold_sqlite_write_lock(&t).await),
    };

    if backend == Backend::Postgres {
        let started = Instant::now();
        let ready = t.client().get("/readyz").await;
        assert_eq!(ready.status, StatusCode::SERVICE_UNAVAILABLE, "{}", ready.body);
        assert!(ready.body.contains("database_read"), "the failed check is named: {}", ready.body);
        assert!(
            started.elapsed() < Duration::from_secs(2),
            "readyz answers within a second or so: {:?}",
            started.elapsed()
        );

        let started = Instant::now();
        let page = sam.get(&board).await;
        assert_eq!(
            page.status,
            StatusCode::SERVICE_UNAVAILABLE,
            "a logged-in person is not sent to the login page"
        );
        assert_eq!(page.headers.get("retry-after").map(|v| v.to_str().unwrap()), Some("5"));
        assert!(page.body.contains("temporarily unavailable"), "{}", page.body);
        assert!(started.elapsed() < Duration::from_secs(5), "fails fast: {:?}", started.elapsed());
    }
    let write = sam
        .post_form_with_token(
            &open_form,
            &format!("/projects/{}/tasks", demo.acme),
            &[("name", "During the outage")],
        )
        .await;
    assert_eq!(write.status, StatusCode::SERVICE_UNAVAILABLE, "never a 500: {}", write.body);
    assert!(write.headers.contains_key("retry-after"));

    // The database comes back: the same node serves again, without a restart.
    match (&t.database_proxy, held_lock) {
        (Some(proxy), _) => proxy.start_again().await,
        (None, Some(release)) => release.cancel(),
        (None, None) => unreachable!(),
    }
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let ready = t.client().get("/readyz").await;
        if ready.status == StatusCode::OK {
            break;
        }
        assert!(Instant::now() < deadline, "ready again after the outage: {}", ready.body);
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(sam.get(&board).await.status, StatusCode::OK, "the session survived the outage");
    let write = sam
        .post_form(&format!("/projects/{}/tasks", demo.acme), &[("name", "After the outage")])
        .await;
    assert_eq!(write.status, StatusCode::SEE_OTHER, "{}", write.body);
}

/// A second connection (another process, as far as SQLite knows) takes the write lock and
/// keeps it until the returned token is cancelled.
async fn hold_sqlite_write_lock(t: &TestApp) -> CancellationToken {
    use sqlx::{Connection, Executor};
    let Some(file) = t.app.db.local_file() else {
        unreachable!("SQLite")
    };
    let mut conn = sqlx::SqliteConnection::connect(&format!("sqlite://{}", file.display()))
        .await
        .unwrap();
    conn.execute("BEGIN IMMEDIATE").await.unwrap();
    let release = CancellationToken::new();
    let held = release.clone();
    tokio::spawn(async move {
        held.cancelled().await;
        conn.execute("ROLLBACK").await.unwrap();
    });
    release
}
