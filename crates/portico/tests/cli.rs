//! The binary as an operator uses it: configuration errors, `user create`, `token create`,
//! `config`, and `serve --demo` starting, answering and stopping cleanly on SIGTERM, on
//! SQLite and PostgreSQL.

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};
use store::on_both_databases;
use store::testing::{Backend, fresh_database, tempdir::TempDir};

fn portico(dir: &TempDir, database_url: &str) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_portico"));
    command
        .current_dir(dir.path())
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("DATABASE_URL", database_url)
        .env("PORTICO_LOG", "warn");
    command
}

fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// A start that cannot open its database says which file or server, why, and what to do
/// (it said "cannot open the database: internal error").
#[test]
fn start_up_errors_name_the_file_or_server_the_cause_and_what_to_do() {
    let dir = TempDir::new();
    let expect = |url: &str, wanted: &[&str]| {
        let output = portico(&dir, url).arg("migrate").output().unwrap();
        assert!(!output.status.success(), "{url}");
        let said = text(&output);
        for part in wanted {
            assert!(said.contains(part), "{url}: {part:?} not in {said}");
        }
    };
    let missing = dir.path().join("no/such/dir/portico.db");
    expect(
        &format!("sqlite://{}", missing.display()),
        &[&missing.display().to_string(), "does not exist", "What to do: the directory"],
    );

    let garbage = dir.path().join("garbage.db");
    std::fs::write(&garbage, vec![0x5a; 8192]).unwrap();
    expect(
        &format!("sqlite://{}", garbage.display()),
        &[&garbage.display().to_string(), "file is not a database", "restore it from a backup"],
    );

    let truncated = dir.path().join("truncated.db");
    let url = format!("sqlite://{}", truncated.display());
    assert!(portico(&dir, &url).arg("migrate").output().unwrap().status.success());
    let size = std::fs::metadata(&truncated).unwrap().len();
    std::fs::OpenOptions::new()
        .write(true)
        .open(&truncated)
        .unwrap()
        .set_len(size / 2)
        .unwrap();
    expect(&url, &[&truncated.display().to_string(), "malformed", "restore it from a backup"]);

    expect(
        "postgres://portico@127.0.0.1:9/portico",
        &[
            "PostgreSQL at 127.0.0.1:9",
            "Connection refused",
            "check that PostgreSQL is running",
        ],
    );
}

#[test]
fn configuration_mistakes_stop_the_start_and_name_the_key() {
    let dir = TempDir::new();
    let url = format!("sqlite://{}/p.db", dir.path().display());
    let typo = portico(&dir, &url)
        .env("PORTICO_LISTN", "127.0.0.1:1")
        .arg("config")
        .output()
        .unwrap();
    assert!(!typo.status.success());
    assert!(text(&typo).contains("PORTICO_LISTN"), "{}", text(&typo));
    let bad = portico(&dir, &url)
        .env("PORTICO_SMTP_TLS", "sometimes")
        .arg("config")
        .output()
        .unwrap();
    assert!(!bad.status.success());
    assert!(
        text(&bad).contains("smtp.tls") && text(&bad).contains("none, starttls, tls"),
        "{}",
        text(&bad)
    );
    std::fs::write(dir.path().join("portico.toml"), "[brand]\ncolour = \"#fff\"\n").unwrap();
    let file = portico(&dir, &url).arg("config").output().unwrap();
    assert!(text(&file).contains("brand.colour"), "{}", text(&file));
    std::fs::remove_file(dir.path().join("portico.toml")).unwrap();
    let scheme = portico(&dir, "mysql://localhost/x").arg("migrate").output().unwrap();
    assert!(!scheme.status.success());
    assert!(text(&scheme).contains("sqlite:// or postgres://"), "{}", text(&scheme));
    // A CA file for the SMTP server that is missing, or holds no certificate, stops the start.
    let missing = portico(&dir, &url)
        .env("PORTICO_SMTP_CA_FILE", dir.path().join("nowhere.pem"))
        .args(["serve", "--listen", "127.0.0.1:0"])
        .output()
        .unwrap();
    assert!(!missing.status.success());
    assert!(
        text(&missing).contains("smtp.ca_file") && text(&missing).contains("cannot read"),
        "{}",
        text(&missing)
    );
    std::fs::write(dir.path().join("ca.pem"), "not a certificate").unwrap();
    let garbage = portico(&dir, &url)
        .env("PORTICO_SMTP_CA_FILE", dir.path().join("ca.pem"))
        .args(["serve", "--listen", "127.0.0.1:0"])
        .output()
        .unwrap();
    assert!(!garbage.status.success());
    assert!(text(&garbage).contains("no PEM certificate"), "{}", text(&garbage));
}

#[test]
fn config_shows_the_effective_settings_with_secrets_redacted() {
    let dir = TempDir::new();
    let output = portico(&dir, "postgres://portico:hunter2@db.internal/portico")
        .env("PORTICO_SMTP_PASSWORD", "s3cret")
        .env("PORTICO_BRAND_NAME", "Acme Studio")
        .arg("config")
        .output()
        .unwrap();
    let shown = text(&output);
    assert!(output.status.success(), "{shown}");
    assert!(!shown.contains("hunter2") && !shown.contains("s3cret"), "{shown}");
    assert!(shown.contains("brand.name = \"Acme Studio\""), "{shown}");
    assert!(shown.contains("from the environment"));
}

on_both_databases!(
    users_and_tokens_are_created_from_the_command_line,
    serve_demo_starts_answers_and_stops_cleanly,
    the_benchmark_dataset_is_built_with_a_progress_bar
);

/// `portico demo --scale tiny` builds the benchmark dataset's shape in miniature: the counts
/// asked for, a 500-task board, 50 comments on each project's first task, a progress bar, and
/// a second run refused rather than doubled.
async fn the_benchmark_dataset_is_built_with_a_progress_bar(backend: Backend) {
    let dir = TempDir::new();
    let (url, _db_dir) = fresh_database(backend).await;
    let built = portico(&dir, &url).args(["demo", "--scale", "tiny"]).output().unwrap();
    assert!(built.status.success(), "{}", text(&built));
    let stderr = String::from_utf8_lossy(&built.stderr);
    assert!(
        stderr.contains("projects, tasks and comments") && stderr.contains("100%"),
        "a progress bar: {stderr}"
    );
    assert!(text(&built).contains("staff-000@example.com"));

    let db = store::Db::connect(&store::DbOptions {
        url: url.clone(),
        max_connections: 2,
    })
    .await
    .unwrap();
    let mut handle = db.read().await.unwrap();
    let mut conn = handle.conn();
    // The tiny scale: 4 staff, 6 organisations × 2 contacts, 12 projects, 1,100 tasks, 1,400
    // comments; plus the small demo workspace (3 projects, 12 tasks, 7 comments).
    assert_eq!(
        store::bulk::count(&mut conn, "SELECT COUNT(*) FROM users WHERE email LIKE 'staff-%'")
            .await
            .unwrap(),
        4
    );
    assert_eq!(
        store::bulk::count(&mut conn, "SELECT COUNT(*) FROM users WHERE email LIKE 'client-%'")
            .await
            .unwrap(),
        12
    );
    assert_eq!(
        store::bulk::count(&mut conn, "SELECT COUNT(*) FROM projects").await.unwrap(),
        12 + 3
    );
    assert_eq!(
        store::bulk::count(&mut conn, "SELECT COUNT(*) FROM tasks").await.unwrap(),
        1_100 + 12
    );
    assert_eq!(
        store::bulk::count(&mut conn, "SELECT COUNT(*) FROM comments").await.unwrap(),
        1_400 + 7
    );
    // Invoices: 3 per organisation, 1,000 for the benchmark client's; their figures add up.
    assert_eq!(
        store::bulk::count(&mut conn, "SELECT COUNT(*) FROM invoices WHERE number LIKE 'LRG-%'")
            .await
            .unwrap(),
        5 * 3 + 1_000
    );
    assert_eq!(
        store::bulk::count(
            &mut conn,
            "SELECT COUNT(*) FROM invoices i WHERE number LIKE 'LRG-%' AND total_minor <> \
             (SELECT SUM(net_minor) FROM invoice_lines l WHERE l.invoice_id = i.id) + tax_minor"
        )
        .await
        .unwrap(),
        0
    );
    assert_eq!(
        store::bulk::count(
            &mut conn,
            "SELECT MAX(n) FROM (SELECT COUNT(*) AS n FROM tasks GROUP BY project_id) t"
        )
        .await
        .unwrap(),
        500
    );
    assert_eq!(
        store::bulk::count(
            &mut conn,
            "SELECT COUNT(*) FROM (SELECT task_id FROM comments GROUP BY task_id HAVING COUNT(*) = 50) t"
        )
        .await
        .unwrap(),
        12
    );
    drop(handle);
    db.close().await;

    let again = portico(&dir, &url).args(["demo", "--scale", "tiny"]).output().unwrap();
    assert!(!again.status.success(), "a second build is refused");
    assert!(text(&again).contains("already in this database"), "{}", text(&again));
}

async fn users_and_tokens_are_created_from_the_command_line(backend: Backend) {
    let dir = TempDir::new();
    let (url, _db_dir) = fresh_database(backend).await;
    let with_link = portico(&dir, &url)
        .args([
            "user",
            "create",
            "--role",
            "admin",
            "--email",
            "Boss@Example.com",
            "--name",
            "The Boss",
        ])
        .output()
        .unwrap();
    assert!(with_link.status.success(), "{}", text(&with_link));
    assert!(text(&with_link).contains("/password/"), "a one-time link: {}", text(&with_link));

    let mut child = portico(&dir, &url)
        .args([
            "user",
            "create",
            "--role",
            "client",
            "--email",
            "c@acme.example",
            "--name",
            "Cee",
            "--organisation",
            "Acme",
            "--password-stdin",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(b"a long enough password\n").unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success(), "{}", text(&output));
    assert!(!text(&output).contains("/password/"));

    let weak = portico(&dir, &url)
        .args([
            "user",
            "create",
            "--role",
            "staff",
            "--email",
            "w@example.com",
            "--name",
            "W",
            "--password-stdin",
        ])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(!weak.status.success());
    assert!(text(&weak).contains("at least 10 characters"), "{}", text(&weak));
    let orphan = portico(&dir, &url)
        .args(["user", "create", "--role", "client", "--email", "o@example.com", "--name", "O"])
        .output()
        .unwrap();
    assert!(text(&orphan).contains("--organisation"), "{}", text(&orphan));

    let token = portico(&dir, &url)
        .args(["token", "create", "--email", "c@acme.example"])
        .output()
        .unwrap();
    assert!(token.status.success(), "{}", text(&token));
    let token = String::from_utf8(token.stdout).unwrap().trim().to_owned();
    assert!(token.starts_with("pt_") && token.len() > 40);
    let nobody = portico(&dir, &url)
        .args(["token", "create", "--email", "nobody@example.com"])
        .output()
        .unwrap();
    assert!(!nobody.status.success());
    assert!(text(&nobody).contains("no person with the email"));
}

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
    }
}

/// Starts `serve --demo` on a free port and returns the process and its printed lines up to
/// the "ready" line. The log goes to `serve.log` in `dir`.
fn start(dir: &TempDir, url: &str, port: u16) -> (Server, Vec<String>) {
    let log = std::fs::File::create(dir.path().join("serve.log")).unwrap();
    let mut child = portico(dir, url)
        .env("PORTICO_LOG", "info")
        .args(["serve", "--demo", "--listen", &format!("127.0.0.1:{port}")])
        .stdout(Stdio::piped())
        .stderr(log)
        .spawn()
        .unwrap();
    let mut lines = vec![];
    let mut reader = BufReader::new(child.stdout.take().unwrap());
    loop {
        let mut line = String::new();
        assert!(reader.read_line(&mut line).unwrap() > 0, "serve exited early: {lines:?}");
        let ready = line.contains(" is ready at ");
        lines.push(line);
        if ready {
            break;
        }
    }
    (Server(child), lines)
}

async fn serve_demo_starts_answers_and_stops_cleanly(backend: Backend) {
    let dir = TempDir::new();
    let (url, _db_dir) = fresh_database(backend).await;
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let (mut server, lines) = start(&dir, &url, port);
    let output = lines.concat();
    assert!(
        output.contains("Demo workspace created") && output.contains("other@example.net") && output.contains("portico-demo"),
        "{output}"
    );
    let ready = reqwest::get(format!("http://127.0.0.1:{port}/readyz")).await.unwrap();
    assert_eq!(ready.status(), 200);

    let started = Instant::now();
    Command::new("kill").args(["-TERM", &server.0.id().to_string()]).status().unwrap();
    let status = loop {
        if let Some(status) = server.0.try_wait().unwrap() {
            break status;
        }
        assert!(started.elapsed() < Duration::from_secs(20), "serve did not stop after SIGTERM");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(status.success(), "a clean exit: {status:?}");
    let log = std::fs::read_to_string(dir.path().join("serve.log")).unwrap();
    assert!(log.contains("stopped cleanly"), "{log}");
    assert!(!log.contains('\u{1b}'), "no colour codes in a log that is not a terminal: {log}");

    let (_again, lines) = start(&dir, &url, port);
    assert!(lines.concat().contains("Demo workspace already present"), "seeding is idempotent");
}
