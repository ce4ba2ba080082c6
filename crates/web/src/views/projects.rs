//! A project as a card: the staff project list and the portal's dashboard and Projects page.

use domain::dates::DateStyle;

pub struct ProjectCard {
    pub name: String,
    pub href: String,
    pub status: &'static str,
    pub status_class: &'static str,
    pub deadline: String,
    pub percent: i64,
    pub done: i64,
    pub total: i64,
}

impl ProjectCard {
    pub fn new(item: &store::projects::ProjectListItem, base: &str, dates: &DateStyle) -> Self {
        ProjectCard {
            name: item.name.clone(),
            href: format!("{base}/{}", item.id),
            status: item.status.label(),
            status_class: super::status_class(item.status),
            deadline: super::date(dates, item.deadline),
            percent: item.progress.percent(),
            done: item.progress.done,
            total: item.progress.total,
        }
    }
}
