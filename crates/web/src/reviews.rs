//! The review trail of a project as files: CSV for spreadsheets, JSON for machines. Both
//! list only the rounds of tasks the viewer sees, with names they may see.

use crate::AppState;
use crate::context::Person;
use crate::error::WebResult;
use crate::routing::{Route, route};
use crate::views::parse_id;
use axum::extract::{Path, State};
use axum::http::Method;
use axum::http::header;
use axum::response::IntoResponse;
use domain::ids::ProjectId;

/// A project's review trail, exported.
pub(crate) fn routes() -> Vec<Route> {
    use crate::routing::Access::*;
    use domain::access::Area::{Portal, Workspace};
    vec![
        route(Method::GET, "/portal/projects/{id}/reviews.csv", Area(Portal), export_csv),
        route(Method::GET, "/portal/projects/{id}/reviews.json", Area(Portal), export_json),
        route(Method::GET, "/projects/{id}/reviews.csv", Area(Workspace), export_csv),
        route(Method::GET, "/projects/{id}/reviews.json", Area(Workspace), export_json),
    ]
}

fn attachment(name: &str) -> String {
    format!("attachment; filename=\"{name}\"")
}

pub async fn export_csv(State(state): State<AppState>, Person(viewer): Person, Path(id): Path<String>) -> WebResult {
    let id: ProjectId = parse_id(&id)?;
    let rounds = state.app.review_trail(&viewer, id).await?;
    let headers = [
        (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
        (header::CONTENT_DISPOSITION, attachment("review-history.csv")),
    ];
    Ok((headers, app::reviews::trail_csv(&rounds)).into_response())
}

pub async fn export_json(State(state): State<AppState>, Person(viewer): Person, Path(id): Path<String>) -> WebResult {
    let id: ProjectId = parse_id(&id)?;
    let rounds = state.app.review_trail(&viewer, id).await?;
    let body = serde_json::to_string_pretty(&rounds).map_err(domain::Error::internal)?;
    let headers = [
        (header::CONTENT_TYPE, "application/json".to_owned()),
        (header::CONTENT_DISPOSITION, attachment("review-history.json")),
    ];
    Ok((headers, body).into_response())
}
