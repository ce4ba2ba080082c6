//! Tasks: the cards of a project's Kanban board.

use crate::text::{multi_line, optional_date, required_line};
use crate::{Error, Result};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use std::str::FromStr;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Priority {
    Low,
    Medium,
    High,
    Urgent,
}

impl Priority {
    pub const ALL: [Priority; 4] = [Priority::Low, Priority::Medium, Priority::High, Priority::Urgent];

    pub fn as_str(self) -> &'static str {
        match self {
            Priority::Low => "low",
            Priority::Medium => "medium",
            Priority::High => "high",
            Priority::Urgent => "urgent",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Priority::Low => "Low",
            Priority::Medium => "Medium",
            Priority::High => "High",
            Priority::Urgent => "Urgent",
        }
    }
}

impl FromStr for Priority {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        Priority::ALL
            .into_iter()
            .find(|p| p.as_str() == s)
            .ok_or_else(|| Error::invalid("priority", "priority must be low, medium, high or urgent"))
    }
}

/// The editable fields of a task, validated.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TaskDetails {
    pub name: String,
    /// Markdown source.
    pub description: String,
    pub priority: Priority,
    pub start_date: Option<NaiveDate>,
    pub due_date: Option<NaiveDate>,
}

#[derive(Clone, Debug, Default)]
pub struct TaskInput<'a> {
    pub name: &'a str,
    pub description: &'a str,
    pub priority: &'a str,
    pub start_date: &'a str,
    pub due_date: &'a str,
}

impl TaskDetails {
    pub fn parse(input: &TaskInput) -> Result<Self> {
        let start_date = optional_date("start_date", input.start_date)?;
        let due_date = optional_date("due_date", input.due_date)?;
        if let (Some(start), Some(due)) = (start_date, due_date)
            && due < start
        {
            return Err(Error::invalid("due_date", "the due date cannot be before the start date"));
        }
        Ok(Self {
            name: required_line("name", input.name, 300)?,
            description: multi_line("description", input.description, 20_000)?,
            priority: if input.priority.is_empty() {
                Priority::Medium
            } else {
                input.priority.parse()?
            },
            start_date,
            due_date,
        })
    }
}

/// How a task stands against its due date.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DueState {
    NoDueDate,
    Done,
    Overdue,
    /// Due within [`DUE_SOON_DAYS`] days (today included).
    DueSoon,
    Later,
}

pub const DUE_SOON_DAYS: i64 = 3;

pub fn due_state(due: Option<NaiveDate>, completed: bool, today: NaiveDate) -> DueState {
    match due {
        _ if completed => DueState::Done,
        None => DueState::NoDueDate,
        Some(due) if due < today => DueState::Overdue,
        Some(due) if (due - today).num_days() < DUE_SOON_DAYS => DueState::DueSoon,
        Some(_) => DueState::Later,
    }
}

/// The distance between neighbouring cards after a column is renumbered: room for many
/// insertions between two cards before the next renumbering.
pub const POSITION_GAP: i64 = 1 << 16;

/// The position for a card dropped between `before` (the card above, if any) and `after`
/// (the card below, if any). `None` when there is no room left: renumber the column first.
pub fn position_between(before: Option<i64>, after: Option<i64>) -> Option<i64> {
    match (before, after) {
        (None, None) => Some(POSITION_GAP),
        (Some(above), None) => above.checked_add(POSITION_GAP),
        (None, Some(below)) => Some(below / 2).filter(|p| *p > 0 && *p < below),
        (Some(above), Some(below)) => {
            let middle = above + (below - above) / 2;
            (middle > above && middle < below).then_some(middle)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, d).unwrap()
    }

    #[test]
    fn due_states_follow_the_calendar() {
        let today = day(10);
        assert_eq!(due_state(None, false, today), DueState::NoDueDate);
        assert_eq!(due_state(Some(day(9)), false, today), DueState::Overdue);
        assert_eq!(due_state(Some(day(9)), true, today), DueState::Done);
        assert_eq!(due_state(Some(day(10)), false, today), DueState::DueSoon);
        assert_eq!(due_state(Some(day(12)), false, today), DueState::DueSoon);
        assert_eq!(due_state(Some(day(13)), false, today), DueState::Later);
    }

    #[test]
    fn positions_fall_between_neighbours_until_there_is_no_room() {
        assert_eq!(position_between(None, None), Some(POSITION_GAP));
        assert_eq!(position_between(Some(10), None), Some(10 + POSITION_GAP));
        assert_eq!(position_between(None, Some(10)), Some(5));
        assert_eq!(position_between(None, Some(1)), None);
        assert_eq!(position_between(Some(10), Some(20)), Some(15));
        assert_eq!(position_between(Some(10), Some(11)), None);
        let mut below = POSITION_GAP;
        let mut inserted = 0;
        while let Some(p) = position_between(Some(0), Some(below)) {
            below = p;
            inserted += 1;
        }
        assert_eq!(inserted, 16, "a fresh gap takes 16 insertions at the same spot");
    }

    #[test]
    fn task_input_is_checked() {
        let bad_priority = TaskInput {
            name: "T",
            priority: "asap",
            ..Default::default()
        };
        assert_eq!(TaskDetails::parse(&bad_priority).unwrap_err().field(), Some("priority"));
        let backwards = TaskInput {
            name: "T",
            start_date: "2026-11-10",
            due_date: "2026-11-09",
            ..Default::default()
        };
        assert_eq!(TaskDetails::parse(&backwards).unwrap_err().field(), Some("due_date"));
        assert_eq!(
            TaskDetails::parse(&TaskInput {
                name: "T",
                ..Default::default()
            })
            .unwrap()
            .priority,
            Priority::Medium
        );
    }
}
