//! Helpers for form handlers: the client's details, redirects with a flash message, and the
//! session cookie.

use crate::AppState;
use crate::middleware::{ClientAddr, SetCookies, cookie, cookie_names};
use app::auth::ClientInfo;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};

/// Where a request comes from (an extractor).
pub struct Client(pub ClientInfo);

impl FromRequestParts<AppState> for Client {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &AppState) -> Result<Self, Self::Rejection> {
        let ip = parts.extensions.get::<ClientAddr>().and_then(|a| a.0.clone());
        let user_agent = parts
            .headers
            .get(header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        Ok(Client(ClientInfo { ip, user_agent }))
    }
}

/// A 303 to `to`, showing `message` once on the next page.
pub fn redirect_with_flash(state: &AppState, to: &str, message: &str) -> Response {
    with_cookies(Redirect::to(to).into_response(), vec![flash_cookie(state, message)])
}

/// The cookie that carries a one-time message to the next page.
pub fn flash_cookie(state: &AppState, message: &str) -> String {
    let secure = state.web.secure_cookies;
    let value = percent_encoding::utf8_percent_encode(message, percent_encoding::NON_ALPHANUMERIC).to_string();
    cookie(secure, cookie_names(secure).flash, &value, Some(60), "Lax")
}

pub fn with_cookies(mut response: Response, cookies: Vec<String>) -> Response {
    response.extensions_mut().insert(SetCookies(cookies));
    response
}

/// The cookie that carries a new session token.
pub fn session_cookie(state: &AppState, token: &str) -> String {
    let secure = state.web.secure_cookies;
    let max_age = state.app.config.session_absolute_timeout.num_seconds();
    cookie(secure, cookie_names(secure).session, token, Some(max_age), "Lax")
}

pub fn clear_session_cookie(state: &AppState) -> String {
    let secure = state.web.secure_cookies;
    cookie(secure, cookie_names(secure).session, "", Some(0), "Lax")
}

/// A re-rendered form that failed validation: 422, so clients and tests can tell, with the
/// page (and the person's input) intact.
pub fn invalid_form(page: Response) -> Response {
    (StatusCode::UNPROCESSABLE_ENTITY, page).into_response()
}

/// A same-site path to return to after login; anything else is ignored (no open redirect).
pub fn safe_next(next: &str) -> Option<&str> {
    let ok = next.starts_with('/') && !next.starts_with("//") && !next.starts_with("/\\") && !next.chars().any(|c| c.is_control());
    ok.then_some(next)
}

#[cfg(test)]
mod tests {
    #[test]
    fn only_local_paths_are_followed_after_login() {
        assert_eq!(super::safe_next("/admin/users?page=2"), Some("/admin/users?page=2"));
        for bad in ["https://evil.test/", "//evil.test", "/\\evil.test", "", "admin", "/x\ny"] {
            assert_eq!(super::safe_next(bad), None, "{bad:?}");
        }
    }
}
