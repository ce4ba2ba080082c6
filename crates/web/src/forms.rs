//! Helpers for form handlers: the client's details, redirects with a flash message, and the
//! session cookie.

use crate::AppState;
use crate::request::{ClientAddr, SetCookies, cookie, cookie_names};
use app::auth::ClientInfo;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};

/// A one-time message from the previous request (after a redirect), read by the middleware.
#[derive(Clone, Debug)]
pub struct FlashMessage(pub Option<Flash>);

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

/// What a one-time message tells: how it is coloured and marked, and whether a screen reader
/// announces it at once (an error is an alert; the others are a status).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FlashKind {
    Success,
    Info,
    Warning,
    Error,
}

impl FlashKind {
    const ALL: [FlashKind; 4] = [FlashKind::Success, FlashKind::Info, FlashKind::Warning, FlashKind::Error];

    fn key(self) -> &'static str {
        match self {
            FlashKind::Success => "success",
            FlashKind::Info => "info",
            FlashKind::Warning => "warning",
            FlashKind::Error => "error",
        }
    }
}

/// A one-time message for the next page (it travels in a cookie across the redirect).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Flash {
    pub kind: FlashKind,
    pub text: String,
}

impl Flash {
    fn new(kind: FlashKind, text: String) -> Flash {
        Flash { kind, text }
    }

    /// A refusal from the domain ("the client approved this task; …"), worded as a message on
    /// its own: capitalised, like the error pages.
    pub fn refusal(error: &domain::Error) -> Flash {
        Flash::error(crate::error::public_message(error))
    }

    pub fn success(text: impl Into<String>) -> Flash {
        Flash::new(FlashKind::Success, text.into())
    }

    pub fn info(text: impl Into<String>) -> Flash {
        Flash::new(FlashKind::Info, text.into())
    }

    pub fn warning(text: impl Into<String>) -> Flash {
        Flash::new(FlashKind::Warning, text.into())
    }

    pub fn error(text: impl Into<String>) -> Flash {
        Flash::new(FlashKind::Error, text.into())
    }

    /// `kind:text`, as the cookie carries it.
    fn encode(&self) -> String {
        format!("{}:{}", self.kind.key(), self.text)
    }

    /// A cookie's message; one without a known kind (set by an older version) is information.
    pub fn decode(value: &str) -> Flash {
        let known = value.split_once(':').and_then(|(key, text)| {
            let kind = FlashKind::ALL.into_iter().find(|k| k.key() == key)?;
            Some(Flash {
                kind,
                text: text.to_owned(),
            })
        });
        known.unwrap_or_else(|| Flash::info(value))
    }

    /// The message's box: the layout's styles for each kind.
    pub fn class(&self) -> &'static str {
        match self.kind {
            FlashKind::Success => "flash",
            FlashKind::Info => "notice",
            FlashKind::Warning => "warning",
            FlashKind::Error => "alert",
        }
    }

    /// An error interrupts a screen reader (`alert`); the rest wait their turn (`status`).
    pub fn role(&self) -> &'static str {
        match self.kind {
            FlashKind::Error => "alert",
            _ => "status",
        }
    }
}

/// A 303 to `to`, showing `flash` once on the next page. An address that cannot be a header
/// (a CR or LF that slipped through) goes to the home page instead of panicking.
pub fn redirect_with_flash(state: &AppState, to: &str, flash: Flash) -> Response {
    let to = match HeaderValue::from_str(to) {
        Ok(_) => to,
        Err(_) => {
            tracing::warn!(target = %to.escape_debug(), "refused a redirect that is not a valid header");
            "/"
        }
    };
    with_cookies(Redirect::to(to).into_response(), vec![flash_cookie(state, &flash)])
}

/// The cookie that carries a one-time message to the next page.
pub fn flash_cookie(state: &AppState, flash: &Flash) -> String {
    let secure = state.web.secure_cookies;
    let value = percent_encoding::utf8_percent_encode(&flash.encode(), percent_encoding::NON_ALPHANUMERIC).to_string();
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

/// The fields of a submitted form, in order, repeated keys kept (checkbox groups such as
/// `staff=…&staff=…`, which a struct cannot hold).
pub struct Fields(pub Vec<(String, String)>);

impl Fields {
    /// The first value of a field, or empty.
    pub fn get(&self, key: &str) -> &str {
        self.0.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str()).unwrap_or_default()
    }

    /// A field's value if the form has it at all (an empty value included), `None` if not.
    pub fn optional(&self, key: &str) -> Option<&str> {
        self.0.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
    }

    /// Every value of a repeated field.
    pub fn all(&self, key: &str) -> Vec<&str> {
        self.0.iter().filter(|(k, _)| k == key).map(|(_, v)| v.as_str()).collect()
    }

    /// Whether a checkbox was ticked.
    pub fn checked(&self, key: &str) -> bool {
        matches!(self.get(key), "on" | "true" | "1" | "yes")
    }

    /// Every value of a repeated field parsed as an id; a malformed one is refused.
    pub fn ids<T: std::str::FromStr>(&self, key: &'static str) -> Result<Vec<T>, domain::Error> {
        self.all(key)
            .into_iter()
            .filter(|v| !v.is_empty())
            .map(|v| v.parse().map_err(|_| domain::Error::invalid(key, "choose entries from the list")))
            .collect()
    }
}

impl<S: Send + Sync> axum::extract::FromRequest<S> for Fields {
    type Rejection = Response;

    async fn from_request(request: axum::extract::Request, state: &S) -> Result<Self, Self::Rejection> {
        axum::Form::<Vec<(String, String)>>::from_request(request, state)
            .await
            .map(|axum::Form(pairs)| Fields(pairs))
            .map_err(IntoResponse::into_response)
    }
}

/// A yes/no switch of a form (`1` or `0`); anything else is refused rather than guessed.
pub fn switch(fields: &Fields, key: &'static str) -> Result<bool, domain::Error> {
    match fields.get(key) {
        "1" => Ok(true),
        "0" => Ok(false),
        _ => Err(domain::Error::invalid(key, "choose yes or no")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_local_paths_are_followed_after_login() {
        assert_eq!(safe_next("/admin/users?page=2"), Some("/admin/users?page=2"));
        for bad in ["https://evil.test/", "//evil.test", "/\\evil.test", "", "admin", "/x\ny"] {
            assert_eq!(safe_next(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn a_message_keeps_its_kind_across_the_redirect() {
        for flash in [
            Flash::success("Saved: 1 file."),
            Flash::info("Checking…"),
            Flash::warning("Sent; not emailed to Ivy."),
            Flash::error("A folder named a:b is already there."),
        ] {
            assert_eq!(Flash::decode(&flash.encode()), flash);
        }
        // A message without a kind (from before kinds) is information, whole.
        assert_eq!(Flash::decode("Saved: 1 file."), Flash::info("Saved: 1 file."));
        assert_eq!((Flash::error("x").class(), Flash::error("x").role()), ("alert", "alert"));
        assert_eq!((Flash::success("x").class(), Flash::success("x").role()), ("flash", "status"));
    }
}
