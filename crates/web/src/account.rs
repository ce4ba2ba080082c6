//! A person's own account: profile and password change (every role).

use crate::AppState;
use crate::context::{Ctx, PageContext, render};
use crate::error::WebResult;
use crate::forms::{Client, Flash, flash_cookie, invalid_form, session_cookie, with_cookies};
use crate::middleware::Viewer;
use askama::Template;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use axum::{Extension, Form};
use domain::Error;
use serde::Deserialize;

#[derive(Template)]
#[template(path = "account.html")]
struct AccountPage {
    ctx: PageContext,
    error: Option<String>,
}

pub async fn page(Ctx(ctx): Ctx) -> Response {
    render(&AccountPage { ctx, error: None })
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
    let session = viewer.0.ok_or(Error::Unauthenticated("log in first"))?;
    let failed = |ctx, message: String| invalid_form(render(&AccountPage { ctx, error: Some(message) }));
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
