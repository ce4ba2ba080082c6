//! Use cases: everything Portico does, without HTTP. Services own their transactions; side
//! effects go through the outbox ([`jobs`]) in the same transaction as the change.

pub mod auth;
pub mod clients;
pub mod comments;
pub mod conversations;
pub mod csv;
pub mod demo;
pub mod files;
pub mod health;
pub mod invoices;
pub mod jobs;
pub mod mail;
pub mod markdown;
pub mod milestones;
pub mod nodes;
pub mod payments;
pub mod projects;
pub mod rate_limit;
pub mod reports;
pub mod reviews;
pub mod secrets;
pub mod storage;
pub mod tasks;
pub mod tokens;
pub mod users;
pub mod vault;

use chrono::{DateTime, Utc};
use std::sync::Arc;
use store::Db;

/// What the use cases need to know about the installation.
#[derive(Clone, Debug)]
pub struct AppConfig {
    /// The public address, for links in emails (`https://projects.example.com`).
    pub base_url: String,
    /// The product name shown everywhere (white-labelling).
    pub product_name: String,
    /// The brand colour (`#rrggbb`), for emails and the stylesheet.
    pub brand_color: String,
    /// The columns of a new project's board; the last counts as completed.
    pub board_columns: Vec<String>,
    /// The installation's calendar: the day invoices are issued, fall due and go overdue.
    pub time_zone: chrono_tz::Tz,
    /// How dates read where the reader chose no format and no browser says (emails, PDFs).
    pub date_format: domain::dates::DateFormat,
    pub session_idle_timeout: chrono::Duration,
    pub session_absolute_timeout: chrono::Duration,
    pub mail: mail::MailConfig,
    pub jobs: jobs::JobsConfig,
    pub files: files::FilesConfig,
    pub payments: payments::PaymentsConfig,
    /// Seals the secrets kept in the settings table.
    pub vault: vault::Vault,
}

/// The application: the database plus the services around it. Cheap to clone.
#[derive(Clone)]
pub struct App {
    pub db: Db,
    pub config: Arc<AppConfig>,
    pub outbox: jobs::Outbox,
    pub passwords: auth::PasswordHasher,
    pub storage: storage::Storage,
    /// The admins' background orphan check (see [`files::MediaTask`]).
    pub media_task: Arc<std::sync::Mutex<files::MediaTask>>,
    /// Calls to the payment gateways.
    pub http: reqwest::Client,
    /// PayPal's OAuth token, reused until it expires.
    pub(crate) paypal_token: Arc<std::sync::Mutex<Option<payments::paypal::AccessToken>>>,
    /// Notifications per sender address (see [`payments::WEBHOOK_BURST`]).
    pub(crate) webhook_limit: Arc<rate_limit::RateLimiter>,
    /// Typesets invoice PDFs for email attachments; set by the web layer, which owns the
    /// invoice's printed form.
    pub invoice_pdf: Arc<std::sync::OnceLock<Arc<dyn invoices::InvoicePdf>>>,
    /// Where [`App::now`] comes from.
    pub clock: Clock,
}

/// The system's time, moved forward by hand where a test needs an expiry without waiting for
/// it (`advance`). Shared by every clone of the app, so the server and the test see the same
/// time.
#[derive(Clone, Debug, Default)]
pub struct Clock {
    ahead_ms: Arc<std::sync::atomic::AtomicI64>,
}

impl Clock {
    pub fn now(&self) -> DateTime<Utc> {
        store::now() + chrono::Duration::milliseconds(self.ahead_ms.load(std::sync::atomic::Ordering::Relaxed))
    }

    pub fn advance(&self, by: chrono::Duration) {
        self.ahead_ms.fetch_add(by.num_milliseconds(), std::sync::atomic::Ordering::Relaxed);
    }

    /// Sets the clock to a moment (the demo writes its history in the past); returns what to
    /// pass to [`Clock::restore`] afterwards.
    pub(crate) fn travel_to(&self, at: DateTime<Utc>) -> i64 {
        let ahead = (at - store::now()).num_milliseconds();
        self.ahead_ms.swap(ahead, std::sync::atomic::Ordering::Relaxed)
    }

    pub(crate) fn restore(&self, ahead_ms: i64) {
        self.ahead_ms.store(ahead_ms, std::sync::atomic::Ordering::Relaxed);
    }
}

impl App {
    /// Fails when the file storage cannot be opened (a directory that cannot be created, an
    /// S3 configuration without a bucket).
    pub fn new(db: Db, config: AppConfig) -> domain::Result<Self> {
        let storage = storage::Storage::open(&config.files.storage)?;
        Ok(App {
            db,
            config: Arc::new(config),
            outbox: jobs::Outbox::default(),
            passwords: auth::PasswordHasher::new(),
            storage,
            media_task: Arc::default(),
            http: reqwest::Client::builder()
                .connect_timeout(std::time::Duration::from_secs(10))
                .timeout(std::time::Duration::from_secs(30))
                .user_agent(concat!("Portico/", env!("CARGO_PKG_VERSION")))
                .build()
                .map_err(|e| domain::Error::internal(format!("cannot build the HTTP client: {e}")))?,
            invoice_pdf: Arc::default(),
            paypal_token: Arc::default(),
            webhook_limit: Arc::new(rate_limit::RateLimiter::new(payments::WEBHOOK_BURST, payments::WEBHOOK_PER_SECOND)),
            clock: Clock::default(),
        })
    }

    /// The current time. One place, so that every timestamp comes from Rust and never from
    /// the database's clock.
    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    /// A warning for the log when emails cannot leave this server.
    pub fn mail_warning(&self) -> Option<String> {
        self.config
            .mail
            .host
            .is_empty()
            .then(|| "smtp.host is not set: emails (invitations, password resets) are written to the log, not sent".to_owned())
    }

    /// A link into Portico for emails and the CLI.
    pub fn link(&self, path: &str) -> String {
        format!("{}{}", self.config.base_url.trim_end_matches('/'), path)
    }
}
