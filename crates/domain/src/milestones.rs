//! Milestones: dated goals of a project; the tasks linked to one drive its progress.

use crate::Result;
use crate::text::{multi_line, optional_date, required_line};
use chrono::NaiveDate;

/// The editable fields of a milestone, validated.
#[derive(Clone, Debug)]
pub struct MilestoneDetails {
    pub name: String,
    pub description: String,
    pub target_date: Option<NaiveDate>,
    pub client_visible: bool,
}

impl MilestoneDetails {
    pub fn parse(name: &str, description: &str, target_date: &str, client_visible: bool) -> Result<Self> {
        Ok(Self {
            name: required_line("name", name, 200)?,
            description: multi_line("description", description, 5_000)?,
            target_date: optional_date("target_date", target_date)?,
            client_visible,
        })
    }
}
