//! Projects: what staff run and clients follow.

use crate::text::{multi_line, optional_date, required_line};
use crate::{Error, Result};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use std::str::FromStr;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProjectStatus {
    Active,
    OnHold,
    Completed,
}

impl ProjectStatus {
    pub const ALL: [ProjectStatus; 3] = [ProjectStatus::Active, ProjectStatus::OnHold, ProjectStatus::Completed];

    pub fn as_str(self) -> &'static str {
        match self {
            ProjectStatus::Active => "active",
            ProjectStatus::OnHold => "on_hold",
            ProjectStatus::Completed => "completed",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            ProjectStatus::Active => "Active",
            ProjectStatus::OnHold => "On hold",
            ProjectStatus::Completed => "Completed",
        }
    }
}

impl FromStr for ProjectStatus {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        ProjectStatus::ALL
            .into_iter()
            .find(|status| status.as_str() == s)
            .ok_or_else(|| Error::invalid("status", "status must be active, on_hold or completed"))
    }
}

/// The editable fields of a project, validated.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProjectDetails {
    pub name: String,
    /// Markdown source; rendered with raw HTML escaped.
    pub description: String,
    pub status: ProjectStatus,
    pub start_date: Option<NaiveDate>,
    pub deadline: Option<NaiveDate>,
    pub show_assignees: bool,
}

#[derive(Clone, Debug, Default)]
pub struct ProjectInput<'a> {
    pub name: &'a str,
    pub description: &'a str,
    pub status: &'a str,
    pub start_date: &'a str,
    pub deadline: &'a str,
    pub show_assignees: bool,
}

impl ProjectDetails {
    pub fn parse(input: &ProjectInput) -> Result<Self> {
        let start_date = optional_date("start_date", input.start_date)?;
        let deadline = optional_date("deadline", input.deadline)?;
        if let (Some(start), Some(end)) = (start_date, deadline)
            && end < start
        {
            return Err(Error::invalid("deadline", "the deadline cannot be before the start date"));
        }
        Ok(Self {
            name: required_line("name", input.name, 200)?,
            description: multi_line("description", input.description, 20_000)?,
            status: if input.status.is_empty() {
                ProjectStatus::Active
            } else {
                input.status.parse()?
            },
            start_date,
            deadline,
            show_assignees: input.show_assignees,
        })
    }
}

/// The share of a project's (or milestone's) tasks that are completed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Progress {
    pub done: i64,
    pub total: i64,
}

impl Progress {
    /// Whole percent, rounded down so that 99.6 % never shows as done.
    pub fn percent(self) -> i64 {
        if self.total <= 0 {
            0
        } else {
            self.done.clamp(0, self.total) * 100 / self.total
        }
    }
}

/// Whether an unfinished project is past its deadline.
pub fn is_overdue(status: ProjectStatus, deadline: Option<NaiveDate>, today: NaiveDate) -> bool {
    status != ProjectStatus::Completed && deadline.is_some_and(|d| d < today)
}

/// The columns a new project's board starts with, from the `board.columns` setting: names
/// separated by commas; the last counts as completed.
pub fn parse_default_columns(raw: &str) -> Result<Vec<String>> {
    let names: Vec<String> = raw.split(',').map(str::trim).filter(|n| !n.is_empty()).map(str::to_owned).collect();
    if names.len() < 2 {
        return Err(Error::invalid("board.columns", "name at least two columns, separated by commas"));
    }
    for name in &names {
        parse_column_name(name).map_err(|e| Error::invalid("board.columns", e.to_string()))?;
    }
    Ok(names)
}

/// A board column's name.
pub fn parse_column_name(raw: &str) -> Result<String> {
    required_line("name", raw, 60)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_deadline_before_the_start_is_refused() {
        let input = ProjectInput {
            name: "Site",
            start_date: "2026-05-01",
            deadline: "2026-04-30",
            ..Default::default()
        };
        assert_eq!(ProjectDetails::parse(&input).unwrap_err().field(), Some("deadline"));
        let input = ProjectInput {
            name: "Site",
            status: "paused",
            ..Default::default()
        };
        assert_eq!(ProjectDetails::parse(&input).unwrap_err().field(), Some("status"));
        let input = ProjectInput {
            name: "Site",
            ..Default::default()
        };
        assert_eq!(ProjectDetails::parse(&input).unwrap().status, ProjectStatus::Active);
    }

    #[test]
    fn default_columns_need_two_names() {
        assert_eq!(parse_default_columns(" To Do, Done ,").unwrap(), vec!["To Do", "Done"]);
        assert!(parse_default_columns("Only").is_err());
    }

    #[test]
    fn progress_rounds_down_and_handles_empty_projects() {
        assert_eq!(Progress { done: 0, total: 0 }.percent(), 0);
        assert_eq!(Progress { done: 199, total: 200 }.percent(), 99);
        assert_eq!(Progress { done: 3, total: 3 }.percent(), 100);
    }

    #[test]
    fn only_unfinished_projects_are_overdue() {
        let today = NaiveDate::from_ymd_opt(2026, 11, 28).unwrap();
        let yesterday = today.pred_opt();
        assert!(is_overdue(ProjectStatus::Active, yesterday, today));
        assert!(is_overdue(ProjectStatus::OnHold, yesterday, today));
        assert!(!is_overdue(ProjectStatus::Completed, yesterday, today));
        assert!(!is_overdue(ProjectStatus::Active, Some(today), today));
        assert!(!is_overdue(ProjectStatus::Active, None, today));
    }
}
