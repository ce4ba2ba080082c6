//! The test harness: the real application on port 0 with a fresh database (SQLite file or a
//! PostgreSQL database copied from a migrated template), a real SMTP server, and an HTTP
//! client with a cookie jar that fills in CSRF tokens like a browser's forms do.

use crate::smtp::SmtpServer;
use app::{App, AppConfig};
use reqwest::StatusCode;
use reqwest::header::HeaderMap;
use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

pub use store::testing::{Backend, tempdir};

pub const DEMO_PASSWORD: &str = app::demo::DEMO_PASSWORD;
pub const ADMIN: &str = "admin@example.com";
pub const STAFF: &str = "staff@example.com";
pub const CLIENT: &str = "client@example.com";
pub const OTHER_CLIENT: &str = "other@example.net";
/// Acme's invoices-only contact.
pub const FINANCE: &str = "finance@example.com";

/// Knobs a test may turn before the app starts.
#[derive(Clone)]
pub struct Options {
    pub session_idle: chrono::Duration,
    pub session_absolute: chrono::Duration,
    pub seed_demo: bool,
    pub storage: FileStorage,
    pub max_upload_bytes: u64,
    pub trash_days: u32,
    /// Where the payment gateways are (loopback peers; nothing listens by default).
    pub payments: app::payments::PaymentsConfig,
    /// PostgreSQL is reached through a [`TcpProxy`] the test can stop and start, as if the
    /// database server restarted.
    pub database_proxy: bool,
    /// The server's limits (request body rate, shutdown deadline).
    pub serve: web::ServeOptions,
    /// Another node's database (its URL), instead of a fresh one.
    pub database_url: Option<String>,
    /// The secrets key, instead of a random one (another node's, to share it).
    pub vault: Option<app::vault::Vault>,
    /// How long an email is retried (see `JobsConfig::retry_horizon`).
    pub mail_retry_horizon: Duration,
    /// Where local storage keeps file bytes, instead of a fresh temporary directory (a small
    /// file system, to fill).
    pub files_root: Option<std::path::PathBuf>,
    /// Mail goes as in production: STARTTLS required (the SMTP server's own CA trusted with
    /// `ca_pem`), then AUTH as [`SMTP_USER`] with the password given here.
    pub smtp_login: Option<&'static str>,
}

/// The user and password the secure test SMTP server takes (see [`Options::smtp_login`]).
pub const SMTP_USER: &str = "portico-mailer";
pub const SMTP_PASSWORD: &str = "correct horse mail staple";

/// Where a test app keeps file bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileStorage {
    Local,
    /// s3s-fs on loopback, a bucket per app (see [`s3_server`]).
    S3,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            session_idle: chrono::Duration::hours(24),
            session_absolute: chrono::Duration::days(14),
            seed_demo: true,
            storage: FileStorage::Local,
            max_upload_bytes: domain::files::DEFAULT_MAX_UPLOAD_BYTES,
            trash_days: 30,
            payments: app::payments::PaymentsConfig {
                stripe_api: "http://127.0.0.1:9".into(),
                paypal_api: "http://127.0.0.1:9".into(),
                twocheckout_checkout: "http://127.0.0.1:9/checkout/buy".into(),
            },
            database_proxy: false,
            serve: web::ServeOptions::default(),
            files_root: None,
            mail_retry_horizon: Duration::from_secs(3600),
            database_url: None,
            vault: None,
            smtp_login: None,
        }
    }
}

pub struct TestApp {
    pub addr: SocketAddr,
    pub app: App,
    /// Where its database is, for a second node to share.
    pub database_url: String,
    pub smtp: SmtpServer,
    /// Set with [`Options::database_proxy`] on PostgreSQL.
    pub database_proxy: Option<TcpProxy>,
    shutdown: CancellationToken,
    server: Option<tokio::task::JoinHandle<std::io::Result<web::Stopped>>>,
    /// The app's files as this machine's disk holds them.
    pub files_on_disk: StorageOnDisk,
    _dir: Option<tempdir::TempDir>,
    _files_dir: tempdir::TempDir,
}

impl TestApp {
    pub async fn spawn(backend: Backend) -> TestApp {
        Self::spawn_with(backend, Options::default()).await
    }

    pub async fn spawn_with(backend: Backend, options: Options) -> TestApp {
        Self::try_spawn_with(backend, options).await.expect("the node's checks pass")
    }

    /// Starts a node as `portico serve` does, or says why it would refuse to start.
    pub async fn try_spawn_with(backend: Backend, options: Options) -> domain::Result<TestApp> {
        let (mut url, dir) = match &options.database_url {
            Some(url) => (url.clone(), None),
            None => store::testing::fresh_database(backend).await,
        };
        let database_url = url.clone();
        let database_proxy = match backend {
            Backend::Postgres if options.database_proxy => {
                let proxy = TcpProxy::start(&url).await;
                url = proxy.rewrite(&url);
                Some(proxy)
            }
            _ => None,
        };
        let db = store::Db::connect(&store::DbOptions { url, max_connections: 8 })
            .await
            .expect("open the test database");
        db.migrate().await.expect("migrate the test database");
        let files_dir = tempdir::TempDir::new();
        let smtp = match options.smtp_login {
            Some(_) => SmtpServer::start_secure(SMTP_USER, SMTP_PASSWORD).await,
            None => SmtpServer::start().await,
        };
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let storage = match options.storage {
            FileStorage::Local => app::storage::StorageConfig::Local {
                root: options.files_root.clone().unwrap_or_else(|| files_dir.path().to_path_buf()),
            },
            FileStorage::S3 => s3_server().await.new_bucket(),
        };
        let files_on_disk = match &storage {
            app::storage::StorageConfig::Local { root } => StorageOnDisk::Local(root.clone()),
            app::storage::StorageConfig::S3 { bucket, .. } => StorageOnDisk::S3 {
                root: s3_server().await.root,
                bucket: bucket.clone(),
            },
        };
        let config = AppConfig {
            base_url: format!("http://{addr}"),
            product_name: "Portico".into(),
            brand_color: "#2f5bea".into(),
            board_columns: domain::projects::parse_default_columns("To Do, In Progress, Under Review, Completed").unwrap(),
            time_zone: chrono_tz::UTC,
            date_format: domain::dates::DateFormat::DayMonthYear,
            session_idle_timeout: options.session_idle,
            session_absolute_timeout: options.session_absolute,
            mail: app::mail::MailConfig {
                host: "127.0.0.1".into(),
                port: smtp.addr.port(),
                tls: match options.smtp_login {
                    Some(_) => app::mail::SmtpTls::Starttls,
                    None => app::mail::SmtpTls::None,
                },
                username: options.smtp_login.map(|_| SMTP_USER.to_owned()),
                password: options.smtp_login.map(str::to_owned),
                from: "Portico <portico@example.com>".into(),
                timeout: Duration::from_secs(5),
                ca_pem: smtp.ca_pem.clone(),
            },
            jobs: app::jobs::JobsConfig {
                workers: 2,
                base_backoff: Duration::from_millis(100),
                max_backoff: Duration::from_millis(500),
                retry_horizon: options.mail_retry_horizon,
                lease: Duration::from_secs(30),
                poll_interval: Duration::from_millis(200),
            },
            files: app::files::FilesConfig {
                storage,
                max_upload_bytes: options.max_upload_bytes,
                trash_days: options.trash_days,
            },
            payments: options.payments.clone(),
            vault: options.vault.clone().unwrap_or_else(app::vault::Vault::random),
        };
        let app = App::new(db, config).expect("open the file storage");
        app.check_shared_with_other_nodes().await?;
        if options.seed_demo {
            app.seed_demo().await.expect("seed the demo workspace");
        }
        let shutdown = CancellationToken::new();
        tokio::spawn(app::jobs::run_workers(app.clone(), shutdown.clone()));
        let state = web::AppState {
            app: app.clone(),
            web: Arc::new(web::WebConfig {
                secure_cookies: false,
                trust_proxy: false,
                logo: None,
                pdf: Default::default(),
            }),
        };
        let server = tokio::spawn(web::serve(listener, state, shutdown.clone(), options.serve));
        Ok(TestApp {
            addr,
            app,
            database_url,
            smtp,
            database_proxy,
            shutdown,
            server: Some(server),
            files_on_disk,
            _dir: dir,
            _files_dir: files_dir,
        })
    }

    /// Stops the server as SIGTERM does, and says how it stopped.
    pub async fn stop(&mut self) -> web::Stopped {
        self.shutdown.cancel();
        let server = self.server.take().expect("the server runs until stopped");
        server
            .await
            .expect("the server task")
            .expect("the server stops without an I/O error")
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    /// A browser-like client: its own cookie jar, redirects not followed (tests look at them).
    pub fn client(&self) -> Client {
        self.client_with(reqwest::header::HeaderMap::new())
    }

    /// A browser-like client whose browser is set to `languages` (an `Accept-Language` value).
    pub fn client_speaking(&self, languages: &str) -> Client {
        let mut headers = reqwest::header::HeaderMap::new();
        headers.insert(reqwest::header::ACCEPT_LANGUAGE, languages.parse().unwrap());
        self.client_with(headers)
    }

    fn client_with(&self, headers: reqwest::header::HeaderMap) -> Client {
        let cookies = Arc::new(reqwest::cookie::Jar::default());
        let http = reqwest::Client::builder()
            .default_headers(headers)
            .cookie_provider(cookies.clone())
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        Client {
            http,
            base: format!("http://{}", self.addr),
            cookies,
        }
    }

    /// The ids of the demo workspace's projects and tasks, looked up by name.
    pub async fn demo(&self) -> Demo {
        let admin = domain::access::Viewer::Admin(self.user_id(ADMIN).await);
        let page = domain::users::PageRequest::new(Some(1), Some(100));
        let projects = self.app.projects(&admin, &Default::default(), page).await.unwrap().items;
        let project = |name: &str| projects.iter().find(|p| p.name == name).unwrap().id;
        Demo {
            app: self.app.clone(),
            admin,
            acme: project("Acme website redesign"),
            shared: project("Brand guidelines"),
            globex: project("Globex mobile app"),
        }
    }

    /// A client already logged in.
    pub async fn login(&self, email: &str, password: &str) -> Client {
        self.log_in(self.client(), email, password).await
    }

    /// A client logged in from a browser set to `languages`.
    pub async fn login_speaking(&self, email: &str, password: &str, languages: &str) -> Client {
        self.log_in(self.client_speaking(languages), email, password).await
    }

    async fn log_in(&self, client: Client, email: &str, password: &str) -> Client {
        let response = client.login(email, password).await;
        assert_eq!(response.status, StatusCode::SEE_OTHER, "login of {email} failed: {}", response.body);
        client
    }

    /// The client organisation of a contact.
    pub async fn org_of(&self, email: &str) -> domain::ids::ClientOrgId {
        self.app
            .user(self.user_id(email).await)
            .await
            .unwrap()
            .client_org_id
            .expect("a client contact")
    }

    /// Waits (up to 10 s) until `condition` holds, failing with `what` otherwise: a positive
    /// event to wait for before a check that something did not happen.
    pub async fn wait_until<F, Fut>(&self, what: &str, condition: F)
    where
        F: Fn() -> Fut,
        Fut: std::future::Future<Output = bool>,
    {
        for _ in 0..200 {
            if condition().await {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("waited 10 s for {what}");
    }

    pub async fn user_id(&self, email: &str) -> domain::ids::UserId {
        let mut handle = self.app.db.read().await.unwrap();
        store::users::find_by_email(&mut handle.conn(), &domain::users::Email::parse(email).unwrap())
            .await
            .unwrap()
            .expect("user exists")
            .id
    }

    /// Waits until the outbox has nothing pending: every email queued so far has been
    /// delivered (or failed), so a mailbox check after it is final.
    pub async fn outbox_drained(&self) {
        self.wait_until("the outbox to drain", || async { self.job_counts().await.pending == 0 })
            .await;
    }

    /// Pending jobs that have been tried at least once (and wait for their next try).
    pub async fn jobs_tried_and_waiting(&self) -> i64 {
        let mut handle = self.app.db.read().await.unwrap();
        let mut conn = handle.conn();
        store::on_conn!(&mut conn, c => sqlx::query_scalar("SELECT COUNT(*) FROM jobs WHERE status = 'pending' AND attempts > 0 AND last_error IS NOT NULL").fetch_one(c).await)
            .unwrap()
    }

    pub async fn job_counts(&self) -> store::jobs::JobCounts {
        let mut handle = self.app.db.read().await.unwrap();
        store::jobs::counts(&mut handle.conn()).await.unwrap()
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
    /// The one-time message set for the next page (the flash cookie), decoded.
    pub fn flash(&self) -> String {
        let cookies = self
            .headers
            .get_all("set-cookie")
            .iter()
            .map(|c| c.to_str().unwrap())
            .collect::<Vec<_>>()
            .join(";");
        percent_encoding::percent_decode_str(&cookies).decode_utf8_lossy().into_owned()
    }

    /// The kind of the one-time message the redirect carries: `success`, `info`, `warning` or
    /// `error`.
    pub fn flash_kind(&self) -> String {
        let flash = self.flash();
        let value = flash.split("portico_flash=").nth(1).unwrap_or_default();
        value.split(':').next().unwrap_or_default().to_owned()
    }

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
    /// The cookie jar, for tests that write a request by hand.
    pub cookies: Arc<reqwest::cookie::Jar>,
}

/// The CSRF token in a page's forms.
pub fn csrf_of(html: &str) -> Option<String> {
    let marker = "name=\"_csrf\" value=\"";
    let start = html.find(marker)? + marker.len();
    Some(html[start..].split('"').next()?.to_owned())
}

/// A response read whole (also for requests a test makes to a peer or a webhook).
pub async fn read(response: reqwest::Response) -> Page {
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

    /// Where a redirect leads, as the browser shows it next (its one-time message included).
    pub async fn follow(&self, redirect: &Page) -> Page {
        assert_eq!(redirect.status, StatusCode::SEE_OTHER, "a redirect: {}", redirect.body);
        self.get(redirect.location()).await
    }

    /// The session cookie, for a request written by hand.
    pub fn cookie_header(&self) -> String {
        let url = reqwest::Url::parse(&self.base).unwrap();
        let jar = reqwest::cookie::CookieStore::cookies(self.cookies.as_ref(), &url).expect("logged in");
        jar.to_str().unwrap().to_owned()
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
        self.post_form_with_token(&token, path, fields).await
    }

    /// Submits a form with a token read earlier (a form left open while the server is down).
    pub async fn post_form_with_token(&self, token: &str, path: &str, fields: &[(&str, &str)]) -> Page {
        let mut form: Vec<(&str, &str)> = vec![("_csrf", token)];
        form.extend_from_slice(fields);
        read(self.http.post(self.url(path)).form(&form).send().await.unwrap()).await
    }

    /// Uploads files as the upload form does: multipart, with the token in the action URL.
    pub async fn upload(&self, path: &str, files: &[(&str, &[u8], &str)]) -> Page {
        let token = self.csrf().await;
        let mut form = reqwest::multipart::Form::new();
        for (name, bytes, content_type) in files {
            let part = reqwest::multipart::Part::bytes(bytes.to_vec())
                .file_name(name.to_string())
                .mime_str(content_type)
                .unwrap();
            form = form.part("files", part);
        }
        let separator = if path.contains('?') { '&' } else { '?' };
        let url = self.url(&format!("{path}{separator}_csrf={token}"));
        read(self.http.post(url).multipart(form).send().await.unwrap()).await
    }

    /// A response's bytes, with its status and headers (downloads).
    pub async fn get_bytes(&self, path: &str, headers: &[(&str, &str)]) -> (StatusCode, HeaderMap, Vec<u8>) {
        let mut request = self.http.get(self.url(path));
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let response = request.send().await.unwrap();
        let (status, headers) = (response.status(), response.headers().clone());
        (status, headers, response.bytes().await.unwrap().to_vec())
    }

    pub async fn login(&self, email: &str, password: &str) -> Page {
        self.post_form("/login", &[("email", email), ("password", password)]).await
    }

    /// Uploads files through the API: multipart, one part per file.
    pub async fn api_upload(&self, path: &str, token: &str, files: &[(&str, &[u8])]) -> Page {
        let mut form = reqwest::multipart::Form::new();
        for (name, bytes) in files {
            form = form.part("files", reqwest::multipart::Part::bytes(bytes.to_vec()).file_name(name.to_string()));
        }
        read(
            self.http
                .post(self.url(path))
                .bearer_auth(token)
                .multipart(form)
                .send()
                .await
                .unwrap(),
        )
        .await
    }

    pub async fn api(&self, method: reqwest::Method, path: &str, token: &str, body: Option<serde_json::Value>) -> Page {
        let mut request = self.http.request(method, self.url(path)).bearer_auth(token);
        if let Some(body) = body {
            request = request.json(&body);
        }
        read(request.send().await.unwrap()).await
    }
}

/// The demo workspace's projects, and its tasks by name.
pub struct Demo {
    pub app: App,
    pub admin: domain::access::Viewer,
    /// Acme only.
    pub acme: domain::ids::ProjectId,
    /// Shared by Acme and Globex.
    pub shared: domain::ids::ProjectId,
    /// Globex only.
    pub globex: domain::ids::ProjectId,
}

impl Demo {
    pub async fn task(&self, project: domain::ids::ProjectId, name: &str) -> domain::ids::TaskId {
        let filter = store::tasks::TaskFilter::default();
        let (cards, _) = self.app.tasks(&self.admin, project, &filter, 500, 0).await.unwrap();
        cards
            .into_iter()
            .find(|c| c.task.name == name)
            .unwrap_or_else(|| panic!("no task {name}"))
            .task
            .id
    }

    /// The name of the column a task is in.
    pub async fn column_of(&self, project: domain::ids::ProjectId, task: domain::ids::TaskId) -> String {
        let card = self.app.task(&self.admin, project, task).await.unwrap();
        let overview = self.app.project_overview(&self.admin, project).await.unwrap();
        overview.columns.iter().find(|c| c.id == card.task.column_id).unwrap().name.clone()
    }
}

/// The S3 suite's server: an s3s-fs process on loopback that `.ci/run` (or the developer)
/// starts, named by `PORTICO_TEST_S3_URL` (its endpoint) and `PORTICO_TEST_S3_ROOT` (its data
/// directory, where each test app gets a bucket). With the variables unset, S3 cases are off;
/// set, a server that does not answer fails the tests.
pub struct S3Server {
    endpoint: String,
    root: std::path::PathBuf,
}

pub const S3_ACCESS_KEY: &str = "portico-test";
pub const S3_SECRET_KEY: &str = "portico-test-secret";

pub async fn s3_server() -> S3Server {
    let endpoint = std::env::var("PORTICO_TEST_S3_URL").expect("PORTICO_TEST_S3_URL names the s3s-fs endpoint");
    let root = std::env::var("PORTICO_TEST_S3_ROOT").expect("PORTICO_TEST_S3_ROOT names the s3s-fs data directory");
    let address = endpoint.trim_start_matches("http://").to_owned();
    tokio::net::TcpStream::connect(&address)
        .await
        .unwrap_or_else(|e| panic!("PORTICO_TEST_S3_URL is set but {endpoint} does not answer: {e}"));
    S3Server {
        endpoint,
        root: root.into(),
    }
}

/// Where a test app's files are on this machine's disk, read directly rather than through the
/// app's storage layer (whose listing hides unfinished uploads).
pub enum StorageOnDisk {
    Local(std::path::PathBuf),
    /// s3s-fs keeps a bucket as a directory of its root, and each multipart upload open on it
    /// as `.bucket-<bucket>.object-<key>.upload-<id>.metadata.json` in the root (names in
    /// URL-safe base64), beside its parts `.upload_id-<id>.part-<n>`.
    S3 {
        root: std::path::PathBuf,
        bucket: String,
    },
}

impl StorageOnDisk {
    /// Every file: for local storage everything under its root, staging files (`name#N`)
    /// included; for S3 the bucket's objects, its open multipart uploads and their parts.
    pub fn contents(&self) -> BTreeSet<String> {
        match self {
            StorageOnDisk::Local(root) => files_under(root),
            StorageOnDisk::S3 { root, bucket } => {
                let mut found = files_under(&root.join(bucket));
                for upload in self.open_uploads() {
                    found.extend(self.parts_of(&upload));
                    found.insert(format!("open upload {upload}"));
                }
                found
            }
        }
    }

    /// The ids of the multipart uploads open on the bucket (S3; none for local storage).
    pub fn open_uploads(&self) -> Vec<String> {
        use base64::Engine;
        let StorageOnDisk::S3 { root, bucket } = self else {
            return Vec::new();
        };
        let tag = format!(
            ".bucket-{}.object-",
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bucket)
        );
        std::fs::read_dir(root)
            .unwrap()
            .filter_map(|entry| entry.unwrap().file_name().into_string().ok())
            .filter(|name| name.starts_with(&tag))
            .filter_map(|name| Some(name.split_once(".upload-")?.1.strip_suffix(".metadata.json")?.to_owned()))
            .collect()
    }

    /// The parts an S3 multipart upload has stored so far.
    pub fn parts_of(&self, upload: &str) -> Vec<String> {
        let StorageOnDisk::S3 { root, .. } = self else {
            return Vec::new();
        };
        let prefix = format!(".upload_id-{upload}.part-");
        std::fs::read_dir(root)
            .unwrap()
            .filter_map(|entry| entry.unwrap().file_name().into_string().ok())
            .filter(|name| name.starts_with(&prefix))
            .collect()
    }
}

/// The paths of every file under a directory, relative to it.
fn files_under(root: &std::path::Path) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    let mut dirs = vec![root.to_path_buf()];
    while let Some(dir) = dirs.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else { continue };
        for entry in entries {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
            } else {
                found.insert(path.strip_prefix(root).unwrap().display().to_string());
            }
        }
    }
    found
}

impl S3Server {
    /// A fresh, empty bucket (s3s-fs keeps a bucket as a directory of its root).
    pub fn new_bucket(&self) -> app::storage::StorageConfig {
        let bucket = format!("t{}", uuid::Uuid::now_v7().simple());
        std::fs::create_dir(self.root.join(&bucket)).unwrap();
        app::storage::StorageConfig::S3 {
            bucket,
            endpoint: self.endpoint.clone(),
            region: "us-east-1".into(),
            access_key: S3_ACCESS_KEY.into(),
            secret_key: S3_SECRET_KEY.into(),
            path_style: true,
        }
    }
}

/// A TCP proxy in front of PostgreSQL that a test stops (every connection cut, new ones
/// refused, like a server that shut down) and starts again on the same port.
pub struct TcpProxy {
    addr: SocketAddr,
    target: SocketAddr,
    running: std::sync::Mutex<Option<CancellationToken>>,
}

impl TcpProxy {
    /// Proxies to the host and port of a `postgres://` URL.
    pub async fn start(url: &str) -> TcpProxy {
        let parsed = url::Url::parse(url).unwrap();
        let target: SocketAddr = format!("{}:{}", parsed.host_str().unwrap(), parsed.port().unwrap_or(5432))
            .parse()
            .unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let proxy = TcpProxy {
            addr: listener.local_addr().unwrap(),
            target,
            running: std::sync::Mutex::new(None),
        };
        proxy.serve(listener);
        proxy
    }

    /// The same URL through the proxy.
    pub fn rewrite(&self, url: &str) -> String {
        let mut parsed = url::Url::parse(url).unwrap();
        parsed.set_port(Some(self.addr.port())).unwrap();
        parsed.to_string()
    }

    fn serve(&self, listener: tokio::net::TcpListener) {
        let stop = CancellationToken::new();
        *self.running.lock().unwrap() = Some(stop.clone());
        let target = self.target;
        tokio::spawn(async move {
            loop {
                let accepted = tokio::select! {
                    _ = stop.cancelled() => return,
                    accepted = listener.accept() => accepted,
                };
                let Ok((mut inbound, _)) = accepted else { continue };
                let stop = stop.clone();
                tokio::spawn(async move {
                    let Ok(mut outbound) = tokio::net::TcpStream::connect(target).await else {
                        return;
                    };
                    tokio::select! {
                        _ = stop.cancelled() => {}
                        _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound) => {}
                    }
                });
            }
        });
    }

    /// The database "goes down": open connections are cut and the port refuses new ones.
    pub async fn stop(&self) {
        if let Some(stop) = self.running.lock().unwrap().take() {
            stop.cancel();
        }
        // Let the accept loop drop its listener.
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    /// The database is back on the same port.
    pub async fn start_again(&self) {
        let listener = tokio::net::TcpListener::bind(self.addr)
            .await
            .expect("the proxy's port is free again");
        self.serve(listener);
    }
}

/// A small tmpfs mounted for a test (a disk to fill), unmounted when dropped. Mounting needs
/// root or CAP_SYS_ADMIN, so the suite is on only with `PORTICO_TEST_TMPFS=1`.
pub struct SmallDisk {
    pub path: std::path::PathBuf,
    _dir: tempdir::TempDir,
}

impl SmallDisk {
    /// Only tests of the small-disk suite mount one (`PORTICO_TEST_TMPFS=1`): a mount that
    /// fails there fails the test.
    pub fn mount(size: &str) -> SmallDisk {
        let dir = tempdir::TempDir::new();
        let path = dir.path().join("disk");
        std::fs::create_dir_all(&path).unwrap();
        let output = std::process::Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(&path)
            .output()
            .expect("run mount");
        assert!(
            output.status.success(),
            "the small-disk suite needs a tmpfs, which cannot be mounted here: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        SmallDisk { path, _dir: dir }
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount").arg("-l").arg(&self.path).status();
    }
}
