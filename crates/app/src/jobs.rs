//! The outbox and its workers. A job is written in the transaction of the change that causes
//! it; workers claim due jobs with a lease, run them, and retry failures with exponential
//! backoff. An SMTP outage or a crash loses nothing: the job stays in the table until done.

use crate::App;
use crate::mail::{Email, Mailer, SendFailure};
use chrono::{DateTime, Utc};
use domain::access::Viewer;
use domain::users::PageRequest;
use domain::{Error, Result};
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use std::time::Duration;
use store::Conn;
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

/// Every kind of side effect, with what it needs to run on its own.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Job {
    SendEmail(Email),
    /// An invoice email with the invoice's PDF attached, rendered when it is sent (not in
    /// the transaction that queued it) as the contact sees the invoice.
    SendInvoiceEmail {
        email: Email,
        invoice: domain::ids::InvoiceId,
        contact: domain::ids::UserId,
    },
}

impl Job {
    fn kind(&self) -> &'static str {
        match self {
            Job::SendEmail(_) => "send_email",
            Job::SendInvoiceEmail { .. } => "send_invoice_email",
        }
    }
}

#[derive(Clone, Debug)]
pub struct JobsConfig {
    /// Concurrent workers in this process.
    pub workers: usize,
    /// The first retry waits this long; each further one twice as long, up to `max_backoff`.
    pub base_backoff: Duration,
    pub max_backoff: Duration,
    /// How long after it was queued a job is still retried (the `mail.retry_days` setting):
    /// an SMTP outage shorter than this delays mail, it does not lose it.
    pub retry_horizon: Duration,
    /// How long a claimed job is reserved for its worker.
    pub lease: Duration,
    /// How often idle workers look for jobs written by other processes.
    pub poll_interval: Duration,
}

impl Default for JobsConfig {
    fn default() -> Self {
        JobsConfig {
            workers: 2,
            base_backoff: Duration::from_secs(30),
            max_backoff: Duration::from_secs(3600),
            retry_horizon: Duration::from_secs(4 * 24 * 3600),
            lease: Duration::from_secs(300),
            poll_interval: Duration::from_secs(5),
        }
    }
}

/// Wakes this process's workers when a job is written, so delivery does not wait for a poll.
#[derive(Clone, Default)]
pub struct Outbox {
    wake: Arc<Notify>,
}

impl Outbox {
    /// Writes the job in the caller's transaction. Call [`Outbox::wake`] after commit.
    pub async fn enqueue(&self, conn: &mut Conn<'_>, job: &Job, now: DateTime<Utc>) -> Result<()> {
        let payload = serde_json::to_string(job).map_err(Error::internal)?;
        store::jobs::enqueue(conn, job.kind(), &payload, MAX_ATTEMPTS, now, now).await?;
        Ok(())
    }

    pub fn wake(&self) {
        self.wake.notify_waiters();
    }
}

impl App {
    /// Writes a job in the caller's transaction (see [`Outbox::enqueue`]).
    pub async fn enqueue(&self, conn: &mut Conn<'_>, job: &Job) -> Result<()> {
        self.outbox.enqueue(conn, job, self.now()).await
    }
}

/// A guard against a job retried without end; the limit that matters is the retry horizon
/// (at the hour-long backoff cap, four days are about a hundred attempts).
const MAX_ATTEMPTS: i64 = 1_000;

/// The delay before attempt `attempts + 1`: base · 2^(attempts−1), capped.
pub fn backoff(config: &JobsConfig, attempts: i64) -> Duration {
    let exponent = (attempts.max(1) - 1).min(30) as u32;
    config
        .base_backoff
        .saturating_mul(2u32.saturating_pow(exponent))
        .min(config.max_backoff)
}

/// How often the scheduled housekeeping runs (the trash purge, overdue invoices, reminders).
const HOUSEKEEPING_EVERY: Duration = Duration::from_secs(3600);

/// Runs the workers until `shutdown` is cancelled; a job in progress is finished first.
/// Alongside them, the housekeeping loop runs at start and then hourly.
pub async fn run_workers(app: App, shutdown: CancellationToken) {
    let mailer = Arc::new(Mailer::new(&app.config.mail));
    let mut workers: Vec<_> = (0..app.config.jobs.workers.max(1))
        .map(|_| tokio::spawn(worker_loop(app.clone(), mailer.clone(), shutdown.clone())))
        .collect();
    workers.push(tokio::spawn(housekeeping_loop(app.clone(), shutdown.clone())));
    // Mail held back by an outage goes out now that the server is (back) up, not at its
    // next scheduled try.
    workers.push(tokio::spawn(async move {
        match app.retry_waiting_jobs_now().await {
            Ok(0) => {}
            Ok(n) => tracing::info!(jobs = n, "jobs waiting for a retry are tried again now"),
            Err(e) => tracing::warn!(error = %e, "could not bring waiting retries forward"),
        }
    }));
    for worker in workers {
        if let Err(e) = worker.await {
            tracing::error!(error = %e, "job worker panicked");
        }
    }
}

/// Scheduled work that is safe to run on every node at once, and hourly rather than daily
/// so that "today" in the installation's time zone is never missed: the purge only deletes
/// what is due; an invoice is marked overdue once; a reminder is claimed before it is sent.
async fn housekeeping_loop(app: App, shutdown: CancellationToken) {
    while !shutdown.is_cancelled() {
        if let Err(e) = app.purge_trash().await {
            tracing::warn!(error = %e, "purging the trash failed; will retry");
        }
        if let Err(e) = app.mark_overdue_invoices().await {
            tracing::warn!(error = %e, "marking overdue invoices failed; will retry");
        }
        if let Err(e) = app.send_invoice_reminders().await {
            tracing::warn!(error = %e, "sending invoice reminders failed; will retry");
        }
        tokio::select! {
            _ = shutdown.cancelled() => break,
            _ = tokio::time::sleep(HOUSEKEEPING_EVERY) => {}
        }
    }
}

async fn worker_loop(app: App, mailer: Arc<Mailer>, shutdown: CancellationToken) {
    while !shutdown.is_cancelled() {
        // Register for wake-ups before looking, so a job written in between is not missed.
        let woken = app.outbox.wake.notified();
        let ran = match run_one(&app, &mailer).await {
            Ok(ran) => ran,
            Err(e) => {
                tracing::warn!(error = %e, "job queue unavailable");
                false
            }
        };
        if ran {
            continue;
        }
        let sleep = idle_sleep(&app).await;
        tokio::select! {
            _ = shutdown.cancelled() => break,
            _ = woken => {}
            _ = tokio::time::sleep(sleep) => {}
        }
    }
}

/// How long an idle worker waits: until the next job is due, at most one poll interval.
async fn idle_sleep(app: &App) -> Duration {
    let poll = app.config.jobs.poll_interval;
    let next_due = async {
        let mut handle = app.db.read().await?;
        store::jobs::next_due(&mut handle.conn()).await
    };
    match next_due.await {
        Ok(Some(due)) => (due - app.now())
            .to_std()
            .unwrap_or(Duration::from_millis(10))
            .clamp(Duration::from_millis(10), poll),
        _ => poll,
    }
}

/// Claims and runs one due job. Returns whether there was one.
pub async fn run_one(app: &App, mailer: &Mailer) -> Result<bool> {
    let now = app.now();
    let lease_until = now + app.config.jobs.lease;
    let claimed = {
        let mut tx = app.db.begin().await?;
        let claimed = store::jobs::claim(&mut tx.conn(), now, lease_until).await?;
        tx.commit().await?;
        claimed
    };
    let Some(job) = claimed else { return Ok(false) };
    let outcome = match serde_json::from_str::<Job>(&job.payload) {
        Ok(Job::SendEmail(email)) => mailer.send(&email).await,
        Ok(Job::SendInvoiceEmail { email, invoice, contact }) => match app.invoice_pdf_for(contact, invoice).await {
            Ok(Some((name, pdf))) => mailer.send_with(&email, Some((&name, "application/pdf", pdf))).await,
            Ok(None) => {
                tracing::warn!(%invoice, "no PDF renderer in this build: the invoice email goes without its PDF");
                mailer.send(&email).await
            }
            Err(e) => Err(SendFailure::temporary(format!("the invoice PDF could not be rendered: {e}"))),
        },
        Err(e) => Err(SendFailure::permanent(format!("unreadable job payload: {e}"))),
    };
    let finished = app.now();
    let mut tx = app.db.begin().await?;
    match outcome {
        Ok(()) => {
            tracing::info!(job = %job.id, kind = %job.kind, attempts = job.attempts, "job done");
            store::jobs::complete(&mut tx.conn(), job.id, finished).await?;
        }
        Err(failure) => {
            let retry_at = retry_at(&app.config.jobs, &job, &failure, finished);
            let error = &failure.message;
            if retry_at.is_some() {
                tracing::warn!(job = %job.id, kind = %job.kind, attempts = job.attempts, %error, "job failed; will retry");
            } else {
                tracing::error!(job = %job.id, kind = %job.kind, attempts = job.attempts, permanent = failure.permanent, %error, "job failed for good");
            }
            store::jobs::fail(&mut tx.conn(), job.id, error, retry_at, finished).await?;
        }
    }
    tx.commit().await?;
    Ok(true)
}

/// When a failed job is tried again: never after a permanent failure, nor past the retry
/// horizon (counted from when it was queued) or the attempt guard.
fn retry_at(config: &JobsConfig, job: &store::jobs::ClaimedJob, failure: &SendFailure, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    if failure.permanent || job.attempts >= job.max_attempts {
        return None;
    }
    let next = now + backoff(config, job.attempts);
    let horizon = job.created_at + config.retry_horizon;
    (next <= horizon).then_some(next)
}

/// An email that could not be delivered, for the admins' list.
#[derive(Clone, Debug)]
pub struct UndeliveredEmail {
    pub id: domain::ids::JobId,
    pub to: String,
    pub subject: String,
    pub error: String,
    pub attempts: i64,
    pub failed_at: Option<DateTime<Utc>>,
}

impl App {
    /// See [`store::jobs::retry_waiting_now`].
    pub async fn retry_waiting_jobs_now(&self) -> Result<u64> {
        let mut tx = self.db.begin().await?;
        let moved = store::jobs::retry_waiting_now(&mut tx.conn(), self.now()).await?;
        tx.commit().await?;
        self.outbox.wake();
        Ok(moved)
    }

    /// Emails that failed for good, the latest first (admins only), and whether more follow.
    pub async fn undelivered_emails(&self, viewer: &Viewer, page: PageRequest) -> Result<(Vec<UndeliveredEmail>, bool)> {
        viewer.require_admin()?;
        let mut handle = self.db.read().await?;
        let mut failed = store::jobs::failed(&mut handle.conn(), page.limit() + 1, page.offset()).await?;
        let more = failed.len() as i64 > page.limit();
        failed.truncate(page.limit() as usize);
        let emails = failed
            .into_iter()
            .map(|job| {
                let (to, subject) = match serde_json::from_str::<Job>(&job.payload) {
                    Ok(Job::SendEmail(email) | Job::SendInvoiceEmail { email, .. }) => (email.to, email.subject),
                    Err(_) => (String::new(), format!("({} job)", job.kind)),
                };
                UndeliveredEmail {
                    id: job.id,
                    to,
                    subject,
                    error: job.last_error.unwrap_or_default(),
                    attempts: job.attempts,
                    failed_at: job.finished_at,
                }
            })
            .collect();
        Ok((emails, more))
    }

    /// Queues undelivered emails again (one, or all with `None`), with a fresh retry
    /// horizon; admins only, audited. Returns how many.
    pub async fn retry_undelivered(&self, viewer: &Viewer, id: Option<domain::ids::JobId>) -> Result<u64> {
        viewer.require_admin()?;
        let admin = viewer.user_id();
        let now = self.now();
        let mut tx = self.db.begin().await?;
        let mut conn = tx.conn();
        let queued = store::jobs::retry_failed(&mut conn, id, now).await?;
        let detail = format!("{queued} undelivered email(s) queued again");
        store::audit::record(&mut conn, Some(admin), "email.retry", id.map(|id| id.0), &detail, now).await?;
        tx.commit().await?;
        self.outbox.wake();
        Ok(queued)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_the_cap() {
        let config = JobsConfig {
            base_backoff: Duration::from_secs(30),
            max_backoff: Duration::from_secs(3600),
            ..JobsConfig::default()
        };
        let delays: Vec<u64> = (1..=9).map(|n| backoff(&config, n).as_secs()).collect();
        assert_eq!(delays, vec![30, 60, 120, 240, 480, 960, 1920, 3600, 3600]);
        assert_eq!(backoff(&config, 1_000).as_secs(), 3600);
    }
}
