//! The test harness: the real application on port 0 with a fresh database (SQLite file or a
//! PostgreSQL database copied from a migrated template), a real SMTP server, and an HTTP
//! client with a cookie jar that fills in CSRF tokens like a browser's forms do.

use crate::smtp::SmtpServer;
use app::{App, AppConfig};
use reqwest::StatusCode;
use reqwest::header::HeaderMap;
use sqlx::Connection;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;
use store::{Db, DbOptions};
use tokio::sync::OnceCell;
use tokio_util::sync::CancellationToken;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

pub const DEMO_PASSWORD: &str = app::demo::DEMO_PASSWORD;
pub const ADMIN: &str = "admin@example.com";
pub const STAFF: &str = "staff@example.com";
pub const CLIENT: &str = "client@example.com";
pub const OTHER_CLIENT: &str = "other@example.net";

/// The PostgreSQL server for this run, if the suite is switched on.
pub fn postgres_url() -> Option<String> {
    std::env::var("PORTICO_TEST_POSTGRES_URL").ok().filter(|v| !v.is_empty())
}

static TEMPLATE: OnceCell<String> = OnceCell::const_new();
static DATABASE_COUNTER: AtomicU32 = AtomicU32::new(0);

/// The same server URL with another database name.
fn with_database(url: &str, database: &str) -> String {
    let (base, query) = url.split_once('?').map(|(b, q)| (b, format!("?{q}"))).unwrap_or((url, String::new()));
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
            let mut admin = sqlx::PgConnection::connect(&with_database(url, "postgres")).await.expect("PORTICO_TEST_POSTGRES_URL is set but PostgreSQL does not answer");
            // Databases of earlier runs; one still in use by a concurrent run refuses to drop.
            let stale: Vec<String> = sqlx::query_scalar("SELECT datname FROM pg_database WHERE datname LIKE 'portico\\_t%'").fetch_all(&mut admin).await.unwrap();
            for database in stale.into_iter().filter(|d| !d.contains(&format!("_{run}"))) {
                let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS \"{database}\"")).execute(&mut admin).await;
            }
            sqlx::query(&format!("DROP DATABASE IF EXISTS {name}")).execute(&mut admin).await.unwrap();
            sqlx::query(&format!("CREATE DATABASE {name}")).execute(&mut admin).await.unwrap();
            let db = Db::connect(&DbOptions { url: with_database(url, &name), max_connections: 2 }).await.unwrap();
            db.migrate().await.unwrap();
            db.close().await;
            name
        })
        .await;
    let name = format!("portico_t_{run}_{}", DATABASE_COUNTER.fetch_add(1, Ordering::SeqCst));
    let mut admin = sqlx::PgConnection::connect(&with_database(url, "postgres")).await.unwrap();
    sqlx::query(&format!("CREATE DATABASE {name} TEMPLATE {template}")).execute(&mut admin).await.unwrap();
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
            let path = std::env::temp_dir().join(format!("portico-test-{}-{}", std::process::id(), COUNTER.fetch_add(1, Ordering::SeqCst)));
            std::fs::create_dir_all(&path).unwrap();
            TempDir(path)
        }

        pub fn path(&self) -> &Path {
            &self.0
        }
    }

    impl Drop for TempDir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}

/// Knobs a test may turn before the app starts.
#[derive(Clone)]
pub struct Options {
    pub session_idle: chrono::Duration,
    pub session_absolute: chrono::Duration,
    pub seed_demo: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options { session_idle: chrono::Duration::hours(24), session_absolute: chrono::Duration::days(14), seed_demo: true }
    }
}

pub struct TestApp {
    pub addr: SocketAddr,
    pub app: App,
    pub smtp: SmtpServer,
    pub backend: Backend,
    shutdown: CancellationToken,
    server: Option<tokio::task::JoinHandle<()>>,
    _dir: Option<tempdir::TempDir>,
}

impl TestApp {
    pub async fn spawn(backend: Backend) -> TestApp {
        Self::spawn_with(backend, Options::default()).await
    }

    pub async fn spawn_with(backend: Backend, options: Options) -> TestApp {
        let (url, dir) = fresh_database(backend).await;
        let db = Db::connect(&DbOptions { url, max_connections: 8 }).await.expect("open the test database");
        db.migrate().await.expect("migrate");
        let smtp = SmtpServer::start().await;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let config = AppConfig {
            base_url: format!("http://{addr}"),
            product_name: "Portico".into(),
            brand_color: "#2f5bea".into(),
            session_idle_timeout: options.session_idle,
            session_absolute_timeout: options.session_absolute,
            mail: app::mail::MailConfig {
                host: "127.0.0.1".into(),
                port: smtp.addr.port(),
                tls: app::mail::SmtpTls::None,
                username: None,
                password: None,
                from: "Portico <portico@example.com>".into(),
                timeout: Duration::from_secs(5),
            },
            jobs: app::jobs::JobsConfig {
                workers: 2,
                base_backoff: Duration::from_millis(100),
                max_backoff: Duration::from_millis(500),
                max_attempts: 100,
                lease: Duration::from_secs(30),
                poll_interval: Duration::from_millis(200),
            },
        };
        let app = App::new(db, config);
        if options.seed_demo {
            app.seed_demo().await.expect("seed the demo workspace");
        }
        let shutdown = CancellationToken::new();
        tokio::spawn(app::jobs::run_workers(app.clone(), shutdown.clone()));
        let state = web::AppState { app: app.clone(), web: Arc::new(web::WebConfig { secure_cookies: false, trust_proxy: false, logo: None }) };
        let stop = shutdown.clone();
        let server = tokio::spawn(async move {
            web::serve(listener, state, stop.cancelled_owned()).await.unwrap();
        });
        TestApp { addr, app, smtp, backend, shutdown, server: Some(server), _dir: dir }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    /// A browser-like client: its own cookie jar, redirects not followed (tests look at them).
    pub fn client(&self) -> Client {
        let http = reqwest::Client::builder().cookie_store(true).redirect(reqwest::redirect::Policy::none()).build().unwrap();
        Client { http, base: format!("http://{}", self.addr) }
    }

    /// A client already logged in.
    pub async fn login(&self, email: &str, password: &str) -> Client {
        let client = self.client();
        let response = client.login(email, password).await;
        assert_eq!(response.status, StatusCode::SEE_OTHER, "login of {email} failed: {}", response.body);
        client
    }

    pub async fn user_id(&self, email: &str) -> domain::ids::UserId {
        let mut handle = self.app.db.read().await.unwrap();
        store::users::find_by_email(&mut handle.conn(), &domain::users::Email::parse(email).unwrap()).await.unwrap().expect("user exists").id
    }

    pub async fn job_counts(&self) -> store::jobs::JobCounts {
        let mut handle = self.app.db.read().await.unwrap();
        store::jobs::counts(&mut handle.conn()).await.unwrap()
    }

    pub async fn stop(mut self) {
        self.shutdown.cancel();
        if let Some(server) = self.server.take() {
            server.await.unwrap();
        }
        self.app.db.close().await;
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

/// A response, read whole.
pub struct Page {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: String,
}

impl Page {
    pub fn location(&self) -> &str {
        self.headers.get("location").and_then(|v| v.to_str().ok()).unwrap_or_default()
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }
}

#[derive(Clone)]
pub struct Client {
    pub http: reqwest::Client,
    pub base: String,
}

/// The CSRF token in a page's forms.
pub fn csrf_of(html: &str) -> Option<String> {
    let marker = "name=\"_csrf\" value=\"";
    let start = html.find(marker)? + marker.len();
    Some(html[start..].split('"').next()?.to_owned())
}

async fn read(response: reqwest::Response) -> Page {
    let status = response.status();
    let headers = response.headers().clone();
    let body = response.text().await.unwrap_or_default();
    Page { status, headers, body }
}

impl Client {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    pub async fn get(&self, path: &str) -> Page {
        read(self.http.get(self.url(path)).send().await.unwrap()).await
    }

    /// A token for forms, fetched the way a browser gets it: from a page.
    pub async fn csrf(&self) -> String {
        let page = self.get("/login").await;
        if let Some(token) = csrf_of(&page.body) {
            return token;
        }
        // Logged in: /login redirects; the account page has forms.
        csrf_of(&self.get("/account").await.body).expect("a page with a CSRF token")
    }

    /// Submits a form with the page's CSRF token, as a browser does.
    pub async fn post_form(&self, path: &str, fields: &[(&str, &str)]) -> Page {
        let token = self.csrf().await;
        let mut form: Vec<(&str, &str)> = vec![("_csrf", token.as_str())];
        form.extend_from_slice(fields);
        read(self.http.post(self.url(path)).form(&form).send().await.unwrap()).await
    }

    pub async fn login(&self, email: &str, password: &str) -> Page {
        self.post_form("/login", &[("email", email), ("password", password)]).await
    }

    pub async fn api(&self, method: reqwest::Method, path: &str, token: &str, body: Option<serde_json::Value>) -> Page {
        let mut request = self.http.request(method, self.url(path)).bearer_auth(token);
        if let Some(body) = body {
            request = request.json(&body);
        }
        read(request.send().await.unwrap()).await
    }
}

/// Runs a test body on SQLite and, when `PORTICO_TEST_POSTGRES_URL` is set, on PostgreSQL.
#[macro_export]
macro_rules! on_both_databases {
    ($($name:ident),* $(,)?) => {
        $(
            mod $name {
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn sqlite() {
                    super::$name($crate::support::Backend::Sqlite).await;
                }

                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn postgres() {
                    if $crate::support::postgres_url().is_none() {
                        eprintln!("PostgreSQL suite off: set PORTICO_TEST_POSTGRES_URL to run it");
                        return;
                    }
                    super::$name($crate::support::Backend::Postgres).await;
                }
            }
        )*
    };
}
