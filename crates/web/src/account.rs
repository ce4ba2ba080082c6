//! A person's own account: profile, how they read dates, and password change (every role).

use crate::AppState;
use crate::context::{Ctx, PageContext, render};
use crate::error::WebResult;
use crate::forms::{Client, Flash, flash_cookie, invalid_form, redirect_with_flash, session_cookie, with_cookies};
use crate::request::Viewer;
use crate::routing::{Route, route};
use askama::Template;
use axum::extract::State;
use axum::http::Method;
use axum::response::{IntoResponse, Redirect, Response};
use axum::{Extension, Form};
use domain::Error;
use domain::dates::{DateFormat, DateStyle};
use serde::Deserialize;

/// A person's own account page.
pub(crate) fn routes() -> Vec<Route> {
    use crate::routing::Access::*;
    use domain::access::Area::Account;
    vec![
        route(Method::GET, "/account", Area(Account), page),
        route(Method::POST, "/account/password", Area(Account), change_password),
        route(Method::POST, "/account/dates", Area(Account), set_dates),
    ]
}

#[derive(Template)]
#[template(path = "account.html")]
struct AccountPage {
    ctx: PageContext,
    error: Option<String>,
    dates: DatePreferences,
}

/// The choices of the "Dates and times" form, each format shown by an example.
struct DatePreferences {
    /// Value, example, chosen.
    formats: Vec<(&'static str, String, bool)>,
    zones: Vec<(&'static str, bool)>,
    /// The workspace's zone, which an empty choice follows.
    workspace_zone: &'static str,
    chose_zone: bool,
}

impl DatePreferences {
    fn new(state: &AppState, person: Option<&domain::users::User>) -> Self {
        let now = state.app.now();
        let zone = state.app.date_style(person, None).zone;
        let formats = DateFormat::ALL
            .into_iter()
            .map(|format| {
                let example = DateStyle::new(format, zone).moment(now);
                (format.as_str(), example, person.and_then(|p| p.date_format) == Some(format))
            })
            .collect();
        let chosen_zone = person.and_then(|p| p.time_zone);
        let zones = domain::dates::TZ_VARIANTS
            .iter()
            .map(|z| (z.name(), chosen_zone == Some(*z)))
            .collect();
        DatePreferences {
            formats,
            zones,
            workspace_zone: state.app.config.time_zone.name(),
            chose_zone: chosen_zone.is_some(),
        }
    }
}

fn account_page(state: &AppState, ctx: PageContext, viewer: &Viewer, error: Option<String>) -> Response {
    let dates = DatePreferences::new(state, viewer.0.as_deref().map(|s| &s.user));
    render(&AccountPage { ctx, error, dates })
}

pub async fn page(State(state): State<AppState>, Ctx(ctx): Ctx, Extension(viewer): Extension<Viewer>) -> Response {
    account_page(&state, ctx, &viewer, None)
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct DateChoice {
    date_format: String,
    time_zone: String,
}

/// A person chooses how they read dates; every page, email and PDF for them follows.
pub async fn set_dates(State(state): State<AppState>, Extension(viewer): Extension<Viewer>, Form(form): Form<DateChoice>) -> WebResult {
    let session = viewer.0.ok_or(Error::Unauthenticated("log in first"))?;
    let flash = match state
        .app
        .set_date_preferences(&session.user, &form.date_format, &form.time_zone)
        .await
    {
        Ok(_) => Flash::success("Dates and times now read as you chose."),
        Err(e @ Error::Invalid { .. }) => Flash::refusal(&e),
        Err(e) => return Err(e.into()),
    };
    Ok(redirect_with_flash(&state, "/account", flash))
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct PasswordChange {
    current_password: String,
    password: String,
    confirm: String,
}

pub async fn change_password(
    State(state): State<AppState>,
    Ctx(ctx): Ctx,
    Client(client): Client,
    Extension(viewer): Extension<Viewer>,
    Form(form): Form<PasswordChange>,
) -> WebResult {
    let session = viewer.0.clone().ok_or(Error::Unauthenticated("log in first"))?;
    let failed = |ctx, message: String| invalid_form(account_page(&state, ctx, &viewer, Some(message)));
    if form.password != form.confirm {
        return Ok(failed(ctx, "The two new passwords do not match.".into()));
    }
    match state
        .app
        .change_password(&session, &form.current_password, &form.password, &client)
        .await
    {
        Ok(token) => {
            let cookies = vec![
                flash_cookie(
                    &state,
                    &Flash::success("Your password has been changed. Other sessions have been logged out."),
                ),
                session_cookie(&state, &token),
            ];
            Ok(with_cookies(Redirect::to("/account").into_response(), cookies))
        }
        Err(e @ Error::Invalid { .. }) => Ok(failed(ctx, crate::error::public_message(&e))),
        Err(e) => Err(e.into()),
    }
}
