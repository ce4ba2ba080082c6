//! Login, logout, forgotten passwords and password links (invitations and resets).

use crate::AppState;
use crate::context::{Ctx, PageContext, render};
use crate::error::WebResult;
use crate::forms::{Client, Flash, clear_session_cookie, flash_cookie, invalid_form, safe_next, session_cookie, with_cookies};
use crate::request::SessionToken;
use crate::routing::{Route, route};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::Method;
use axum::response::{IntoResponse, Redirect, Response};
use axum::{Extension, Form};
use domain::Error;
use serde::Deserialize;

/// Logging in and out, and setting a password from a link.
pub(crate) fn routes() -> Vec<Route> {
    use crate::routing::Access::*;
    vec![
        route(Method::GET, "/", Public, root),
        route(Method::GET, "/login", Public, login_page),
        route(Method::POST, "/login", Public, login),
        route(Method::POST, "/logout", Public, logout),
        route(Method::GET, "/forgot-password", Public, forgot_page),
        route(Method::POST, "/forgot-password", Public, forgot),
        route(Method::GET, "/password/{token}", Public, password_page),
        route(Method::POST, "/password/{token}", Public, set_password),
    ]
}

/// `/`: the viewer's home, or the login page.
pub async fn root(Ctx(ctx): Ctx) -> Redirect {
    Redirect::to(ctx.home())
}

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    ctx: PageContext,
    email: String,
    next: String,
    error: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct NextQuery {
    next: String,
}

pub async fn login_page(Ctx(ctx): Ctx, Query(query): Query<NextQuery>) -> Response {
    if ctx.viewer.is_some() {
        return Redirect::to(safe_next(&query.next).unwrap_or(ctx.home())).into_response();
    }
    render(&LoginPage {
        ctx,
        email: String::new(),
        next: query.next,
        error: None,
    })
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct LoginForm {
    email: String,
    password: String,
    next: String,
}

pub async fn login(
    State(state): State<AppState>,
    Ctx(ctx): Ctx,
    Client(client): Client,
    Extension(SessionToken(old)): Extension<SessionToken>,
    Form(form): Form<LoginForm>,
) -> WebResult {
    match state.app.login(&form.email, &form.password, &client, old.as_deref()).await {
        Ok(session) => {
            let home = session.user.role.home_area();
            // Only follow `next` into the area this role may enter.
            let workspace = domain::access::Area::Workspace;
            let target = safe_next(&form.next)
                .filter(|n| {
                    n.starts_with(home.path())
                        || n.starts_with("/account")
                        || (workspace.admits(session.user.role) && n.starts_with(workspace.path()))
                })
                .unwrap_or(home.path());
            Ok(with_cookies(
                Redirect::to(target).into_response(),
                vec![session_cookie(&state, &session.token)],
            ))
        }
        Err(Error::Unauthenticated(message)) => {
            let page = render(&LoginPage {
                ctx,
                email: form.email,
                next: form.next,
                error: Some(message.into()),
            });
            Ok((axum::http::StatusCode::UNAUTHORIZED, page).into_response())
        }
        Err(invalid @ Error::Invalid { .. }) => {
            let page = render(&LoginPage {
                ctx,
                email: form.email,
                next: form.next,
                error: Some(crate::error::public_message(&invalid)),
            });
            Ok(crate::forms::invalid_form(page))
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn logout(State(state): State<AppState>, Extension(SessionToken(token)): Extension<SessionToken>) -> WebResult {
    if let Some(token) = token {
        state.app.logout(&token).await?;
    }
    let cookies = vec![
        flash_cookie(&state, &Flash::info("You have logged out.")),
        clear_session_cookie(&state),
    ];
    Ok(with_cookies(Redirect::to("/login").into_response(), cookies))
}

#[derive(Template)]
#[template(path = "forgot.html")]
struct ForgotPage {
    ctx: PageContext,
    email: String,
    sent: bool,
    error: Option<String>,
}

pub async fn forgot_page(Ctx(ctx): Ctx) -> Response {
    render(&ForgotPage {
        ctx,
        email: String::new(),
        sent: false,
        error: None,
    })
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ForgotForm {
    email: String,
}

/// The same answer whether or not the account exists.
pub async fn forgot(State(state): State<AppState>, Ctx(ctx): Ctx, Client(client): Client, Form(form): Form<ForgotForm>) -> WebResult {
    match state.app.request_password_reset(&form.email, &client).await {
        Ok(()) => Ok(render(&ForgotPage {
            ctx,
            email: form.email.trim().to_owned(),
            sent: true,
            error: None,
        })),
        Err(e @ Error::Invalid { .. }) => Ok(invalid_form(render(&ForgotPage {
            ctx,
            email: form.email,
            sent: false,
            error: Some(crate::error::public_message(&e)),
        }))),
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "password.html")]
struct PasswordPage {
    ctx: PageContext,
    token: String,
    /// Whose password this sets; `None` when the link is no longer valid.
    person: Option<String>,
    error: Option<String>,
}

pub async fn password_page(State(state): State<AppState>, Ctx(ctx): Ctx, Path(token): Path<String>) -> WebResult {
    let person = state.app.password_link_user(&token).await?.map(|u| u.email);
    let status = if person.is_some() {
        axum::http::StatusCode::OK
    } else {
        axum::http::StatusCode::NOT_FOUND
    };
    let mut response = render(&PasswordPage {
        ctx,
        token,
        person,
        error: None,
    });
    *response.status_mut() = status;
    // The token is in the URL: keep it out of any Referer header.
    response.headers_mut().insert(
        axum::http::header::REFERRER_POLICY,
        axum::http::HeaderValue::from_static("no-referrer"),
    );
    Ok(response)
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct PasswordForm {
    password: String,
    confirm: String,
}

pub async fn set_password(
    State(state): State<AppState>,
    Ctx(ctx): Ctx,
    Client(client): Client,
    Path(token): Path<String>,
    Form(form): Form<PasswordForm>,
) -> WebResult {
    let person = state.app.password_link_user(&token).await?.map(|u| u.email);
    let Some(person) = person else {
        return Ok(invalid_form(render(&PasswordPage {
            ctx,
            token,
            person: None,
            error: None,
        })));
    };
    if form.password != form.confirm {
        let error = Some("The two passwords do not match.".to_owned());
        return Ok(invalid_form(render(&PasswordPage {
            ctx,
            token,
            person: Some(person),
            error,
        })));
    }
    match state.app.set_password_with_link(&token, &form.password, &client).await {
        Ok(session) => {
            let cookies = vec![
                flash_cookie(&state, &Flash::success("Your password is set. Welcome!")),
                session_cookie(&state, &session.token),
            ];
            Ok(with_cookies(
                Redirect::to(session.user.role.home_area().path()).into_response(),
                cookies,
            ))
        }
        Err(e @ Error::Invalid { .. }) => {
            let error = Some(crate::error::public_message(&e));
            Ok(invalid_form(render(&PasswordPage {
                ctx,
                token,
                person: Some(person),
                error,
            })))
        }
        Err(e) => Err(e.into()),
    }
}
