//! Test support shared by every crate's integration tests (not behind a feature, so every crate's tests reach it with plain `cargo test`): a fresh
//! database per test, on SQLite (a file in a temporary directory) or PostgreSQL (a copy of a
//! template database migrated once per run, on the server named by
//! `PORTICO_TEST_POSTGRES_URL`).

use crate::{Db, DbOptions};
use sqlx::Connection;
use std::sync::atomic::{AtomicU32, Ordering};
use tokio::sync::OnceCell;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// The PostgreSQL server for this run, if the suite is switched on.
pub fn postgres_url() -> Option<String> {
    std::env::var("PORTICO_TEST_POSTGRES_URL").ok().filter(|v| !v.is_empty())
}

static TEMPLATE: OnceCell<String> = OnceCell::const_new();
static DATABASE_COUNTER: AtomicU32 = AtomicU32::new(0);

/// The same server URL with another database name.
fn with_database(url: &str, database: &str) -> String {
    let (base, query) = url
        .split_once('?')
        .map(|(b, q)| (b, format!("?{q}")))
        .unwrap_or((url, String::new()));
    let host_start = base.find("://").map(|i| i + 3).unwrap_or(0);
    let host_end = base[host_start..].find('/').map(|i| host_start + i).unwrap_or(base.len());
    format!("{}/{database}{query}", &base[..host_end])
}

/// Creates (once per run) a migrated template database, then a fresh copy for one test.
async fn fresh_postgres_database(url: &str) -> String {
    let run = std::process::id();
    let template = TEMPLATE
        .get_or_init(|| async {
            let name = format!("portico_tpl_{run}");
            let mut admin = sqlx::PgConnection::connect(&with_database(url, "postgres"))
                .await
                .expect("PORTICO_TEST_POSTGRES_URL is set but PostgreSQL does not answer");
            // Databases of earlier runs; one still in use by a concurrent run refuses to drop.
            let stale: Vec<String> = sqlx::query_scalar("SELECT datname FROM pg_database WHERE datname LIKE 'portico\\_t%'")
                .fetch_all(&mut admin)
                .await
                .unwrap();
            for database in stale.into_iter().filter(|d| !d.contains(&format!("_{run}"))) {
                let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS \"{database}\""))
                    .execute(&mut admin)
                    .await;
            }
            sqlx::query(&format!("DROP DATABASE IF EXISTS {name}"))
                .execute(&mut admin)
                .await
                .unwrap();
            sqlx::query(&format!("CREATE DATABASE {name}")).execute(&mut admin).await.unwrap();
            let db = Db::connect(&DbOptions {
                url: with_database(url, &name),
                max_connections: 2,
            })
            .await
            .unwrap();
            db.migrate().await.unwrap();
            db.close().await;
            name
        })
        .await;
    let name = format!("portico_t_{run}_{}", DATABASE_COUNTER.fetch_add(1, Ordering::SeqCst));
    let mut admin = sqlx::PgConnection::connect(&with_database(url, "postgres")).await.unwrap();
    sqlx::query(&format!("CREATE DATABASE {name} TEMPLATE {template}"))
        .execute(&mut admin)
        .await
        .unwrap();
    with_database(url, &name)
}

/// A database URL for one test on the given backend.
pub async fn fresh_database(backend: Backend) -> (String, Option<tempdir::TempDir>) {
    match backend {
        Backend::Sqlite => {
            let dir = tempdir::TempDir::new();
            let url = format!("sqlite://{}", dir.path().join("portico.db").display());
            (url, Some(dir))
        }
        Backend::Postgres => {
            let url = postgres_url().expect("the PostgreSQL suite needs PORTICO_TEST_POSTGRES_URL");
            (fresh_postgres_database(&url).await, None)
        }
    }
}

/// A temporary directory removed when dropped (no extra dependency for one type).
pub mod tempdir {
    use std::path::{Path, PathBuf};
    use std::sync::atomic::{AtomicU32, Ordering};

    static COUNTER: AtomicU32 = AtomicU32::new(0);

    pub struct TempDir(PathBuf);

    impl TempDir {
        pub fn new() -> TempDir {
            let path = std::env::temp_dir().join(format!(
                "portico-test-{}-{}",
                std::process::id(),
                COUNTER.fetch_add(1, Ordering::SeqCst)
            ));
            std::fs::create_dir_all(&path).unwrap();
            TempDir(path)
        }

        pub fn path(&self) -> &Path {
            &self.0
        }
    }

    impl Default for TempDir {
        fn default() -> Self {
            Self::new()
        }
    }

    impl Drop for TempDir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}

/// A fresh, migrated database for one test, and the directory to keep alive while it is used.
pub async fn fresh_db(backend: Backend) -> (Db, Option<tempdir::TempDir>) {
    let (url, dir) = fresh_database(backend).await;
    let db = Db::connect(&DbOptions { url, max_connections: 8 })
        .await
        .expect("open the test database");
    db.migrate().await.expect("migrate the test database");
    (db, dir)
}

/// Runs a test body on SQLite and on PostgreSQL. The PostgreSQL half is reported as ignored
/// (with the variable that turns it on) unless `PORTICO_TEST_POSTGRES_URL` was set when the
/// tests were built; see `build-support/test_switches.rs`.
///
/// `on_both_databases!(only_with(cfg, "off", "off or no PostgreSQL"): a, b)` runs tests that
/// need a further suite (the browser, Stripe, a tmpfs…): both halves are ignored, with the
/// reason given, unless that suite's cfg is set too.
#[macro_export]
macro_rules! on_both_databases {
    ($($name:ident),* $(,)?) => {
        $crate::on_both_databases!(
            only_with(all(), "", "PostgreSQL suite off: set PORTICO_TEST_POSTGRES_URL to run it"):
            $($name),*
        );
    };
    (only_with($suite:meta, $off:literal, $off_or_no_postgres:literal): $($name:ident),* $(,)?) => {
        $(
            mod $name {
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                #[cfg_attr(not($suite), ignore = $off)]
                async fn sqlite() {
                    super::$name($crate::testing::Backend::Sqlite).await;
                }

                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                #[cfg_attr(not(all($suite, portico_postgres_suite)), ignore = $off_or_no_postgres)]
                async fn postgres() {
                    super::$name($crate::testing::Backend::Postgres).await;
                }
            }
        )*
    };
}
