//! Small pieces every page of projects and tasks shows the same way: dates, priorities, due
//! states, progress and activity lines. Templates get ready-made strings, so each rule of
//! presentation lives here once.

pub mod files;
pub mod forms;
pub mod invoices;
pub mod portal;
pub mod projects;
pub mod reviews;

use crate::error::AppError;
use chrono::NaiveDate;
use domain::Error;
use domain::activity::{ActivityKind, BurstKey, bursts};
use domain::dates::DateStyle;
use domain::projects::ProjectStatus;
use domain::tasks::{DueState, Priority, due_state};
use std::str::FromStr;

/// Text for a URL's query or path segment.
pub fn url_encode(text: &str) -> String {
    percent_encoding::utf8_percent_encode(text, percent_encoding::NON_ALPHANUMERIC).to_string()
}

/// `key=value&…` of the filters that are set (empty values are left out), encoded.
pub fn query_string(filters: &[(&str, &str)]) -> String {
    filters
        .iter()
        .filter(|(_, value)| !value.is_empty())
        .map(|(key, value)| format!("{key}={}", url_encode(value)))
        .collect::<Vec<_>>()
        .join("&")
}

/// A list's address for another page, keeping its filters.
pub fn page_link(base: &str, filters: &[(&str, &str)], page: u32) -> String {
    match query_string(filters) {
        query if query.is_empty() => format!("{base}?page={page}"),
        query => format!("{base}?{query}&page={page}"),
    }
}

/// `?page=N` of a paginated list (pages count from 1).
#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub struct PageQuery {
    pub page: Option<u32>,
}

/// An id from the URL; a malformed one is simply not found.
pub fn parse_id<T: FromStr>(raw: &str) -> Result<T, AppError> {
    raw.parse().map_err(|_| AppError(Error::NotFound))
}

/// The ids of a task's address (`…/{project}/tasks/{task}`), parsed; a malformed one is
/// simply not found (an extractor).
pub struct TaskPath(pub domain::ids::ProjectId, pub domain::ids::TaskId);

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for TaskPath {
    type Rejection = axum::response::Response;

    async fn from_request_parts(parts: &mut axum::http::request::Parts, state: &S) -> Result<Self, Self::Rejection> {
        use axum::response::IntoResponse;
        let axum::extract::Path((project, task)) = axum::extract::Path::<(String, String)>::from_request_parts(parts, state)
            .await
            .map_err(IntoResponse::into_response)?;
        match (parse_id(&project), parse_id(&task)) {
            (Ok(project), Ok(task)) => Ok(TaskPath(project, task)),
            _ => Err(AppError(Error::NotFound).into_response()),
        }
    }
}

/// An optional id from a form field: empty is none, anything malformed is refused.
pub fn optional_id<T: FromStr>(field: &'static str, raw: &str) -> Result<Option<T>, Error> {
    match raw.trim() {
        "" => Ok(None),
        value => value
            .parse()
            .map(Some)
            .map_err(|_| Error::invalid(field, "choose an entry from the list")),
    }
}

/// An optional calendar day as the viewer reads it; none is empty.
pub fn date(dates: &DateStyle, value: Option<NaiveDate>) -> String {
    value.map(|d| dates.day(d)).unwrap_or_default()
}

pub fn iso_date(value: Option<NaiveDate>) -> String {
    value.map(|d| d.format("%Y-%m-%d").to_string()).unwrap_or_default()
}

pub fn markdown(source: &str) -> String {
    app::markdown::to_html(source)
}

pub fn priority_class(priority: Priority) -> &'static str {
    match priority {
        Priority::Urgent => "badge-danger",
        Priority::High => "badge-warn",
        Priority::Medium => "badge-info",
        Priority::Low => "badge-muted",
    }
}

/// A due date with how it stands: ("Overdue", "due-overdue") and the like.
pub struct Due {
    pub text: String,
    pub class: &'static str,
}

pub fn due(dates: &DateStyle, due_date: Option<NaiveDate>, completed: bool, today: NaiveDate) -> Due {
    match due_state(due_date, completed, today) {
        DueState::NoDueDate => Due {
            text: String::new(),
            class: "",
        },
        DueState::Overdue => Due {
            text: format!("{} · overdue", date(dates, due_date)),
            class: "due-overdue",
        },
        DueState::DueSoon => Due {
            text: date(dates, due_date),
            class: "due-soon",
        },
        DueState::Done | DueState::Later => Due {
            text: date(dates, due_date),
            class: "",
        },
    }
}

/// One line of an activity feed, with a link where the viewer can follow it.
pub struct ActivityLine {
    pub who: String,
    /// "commented on", or several joined in order: "uploaded and shared the file".
    pub verb: String,
    /// The item's name: the only words of the line that link.
    pub what: String,
    pub href: Option<String>,
    /// Words after the item, outside its link: "to In Progress".
    pub after: String,
    /// How many events the line stands for, when more than one of the same kind.
    pub times: usize,
    pub project: String,
    /// When the newest of them happened.
    pub at: chrono::DateTime<chrono::Utc>,
}

/// The feed's lines: one per burst of one person's events on one item (a file uploaded then
/// shared, a card moved three times), so the feed says what happened rather than each click.
/// `base` is where project pages live for this viewer: `/projects`, `/portal/projects` or the
/// preview's path.
pub fn activity_lines(entries: &[store::activity::Entry], base: &str) -> Vec<ActivityLine> {
    let keys: Vec<BurstKey> = entries
        .iter()
        .map(|e| BurstKey {
            actor: e.actor_id.map(|id| id.0),
            item: e
                .file_id
                .map(|id| id.0)
                .or(e.task_id.map(|id| id.0))
                .or(e.milestone_id.map(|id| id.0)),
            at: e.created_at,
        })
        .collect();
    bursts(&keys)
        .into_iter()
        .map(|run| ActivityLine::new(&entries[run], base))
        .collect()
}

impl ActivityLine {
    /// One line for a burst of events, newest first.
    fn new(burst: &[store::activity::Entry], base: &str) -> Self {
        let newest = &burst[0];
        let project_href = format!("{base}/{}", newest.project_id);
        let (what, href) = match (&newest.task_id, &newest.task_name, &newest.milestone_name) {
            // A file event names the file (as it was called then); the link opens the files.
            _ if newest.file_id.is_some() => (newest.detail.clone(), Some(format!("{project_href}/files"))),
            (Some(task), Some(name), _) => (name.clone(), Some(format!("{project_href}/tasks/{task}"))),
            (_, _, Some(milestone)) => (milestone.clone(), Some(project_href.clone())),
            _ => (newest.project_name.clone(), Some(project_href.clone())),
        };
        // The kinds in the order they happened, each once.
        let mut kinds: Vec<Option<ActivityKind>> = Vec::new();
        for entry in burst.iter().rev() {
            let kind = entry.kind.parse::<ActivityKind>().ok();
            if !kinds.contains(&kind) {
                kinds.push(kind);
            }
        }
        let verbs: Vec<&str> = kinds.iter().map(|k| k.map_or("updated", ActivityKind::verb)).collect();
        let verb = match verbs.split_last() {
            Some((last, [])) => (*last).to_owned(),
            Some((last, rest)) => format!("{} and {last}", rest.join(", ")),
            None => String::new(),
        };
        // Where a card ended up, from the latest move of the burst.
        let after = burst
            .iter()
            .find(|e| e.kind == ActivityKind::TaskMoved.as_str() && !e.detail.is_empty())
            .map(|e| format!("to {}", e.detail))
            .unwrap_or_default();
        ActivityLine {
            who: newest.actor_name.clone().unwrap_or_else(|| "Someone".into()),
            verb,
            what,
            href,
            after,
            times: if kinds.len() == 1 { burst.len() } else { 1 },
            project: newest.project_name.clone(),
            at: newest.created_at,
        }
    }
}

/// The badge class of an invoice's status.
pub fn invoice_status_class(status: &domain::invoices::InvoiceStatus) -> &'static str {
    use domain::invoices::InvoiceStatus;
    match status {
        InvoiceStatus::Draft | InvoiceStatus::Void => "badge-muted",
        InvoiceStatus::Sent | InvoiceStatus::Viewed => "badge-info",
        InvoiceStatus::PartiallyPaid => "badge-warn",
        InvoiceStatus::Paid => "badge-ok",
        InvoiceStatus::Overdue => "badge-danger",
    }
}

pub fn status_class(status: ProjectStatus) -> &'static str {
    match status {
        ProjectStatus::Active => "badge-ok",
        ProjectStatus::OnHold => "badge-warn",
        ProjectStatus::Completed => "badge-muted",
    }
}

/// Comments shown per page of a task.
pub const COMMENTS_PER_PAGE: i64 = 100;

/// Where a page of comments is: "page 2 of 3" and its neighbours.
pub struct CommentPager {
    pub page: u32,
    pub pages: u32,
    pub total: i64,
}

impl CommentPager {
    pub fn new(page: u32, total: i64) -> Self {
        CommentPager {
            page,
            pages: (total.max(1) as u64).div_ceil(COMMENTS_PER_PAGE as u64) as u32,
            total,
        }
    }

    pub fn offset(page: u32) -> i64 {
        i64::from(page.max(1) - 1) * COMMENTS_PER_PAGE
    }
}
