//! What a request carries once the middleware has read it (its id, the client's address, the
//! person, the CSRF token, the cookies to set), and the cookie and header rules handlers share.
//! A leaf module: handlers import it, never the middleware that fills it.

use app::auth::SessionUser;
use axum::http::{HeaderMap, HeaderValue, header};
use std::sync::Arc;

/// The id that error pages show and log lines carry.
#[derive(Clone, Debug)]
pub struct RequestId(pub String);

/// The client's IP address.
#[derive(Clone, Debug)]
pub struct ClientAddr(pub Option<String>);

/// The logged-in person, if any (HTML routes only; the API uses bearer tokens).
#[derive(Clone, Debug)]
pub struct Viewer(pub Option<Arc<SessionUser>>);

impl Viewer {
    /// The logged-in person as the actor of a use case that takes one (people, clients).
    pub fn actor(&self) -> Result<app::users::Actor, crate::error::AppError> {
        self.0
            .as_ref()
            .map(|s| app::users::Actor::User(s.user.clone()))
            .ok_or(crate::error::AppError(domain::Error::Unauthenticated("log in first")))
    }
}

/// The raw session token from the cookie, for logout and rotation.
#[derive(Clone, Debug)]
pub struct SessionToken(pub Option<String>);

/// The CSRF token every form of this page must carry.
#[derive(Clone, Debug)]
pub struct CsrfToken(pub String);

/// Cookies this response sets, collected by handlers and written by the middleware.
#[derive(Clone, Debug, Default)]
pub struct SetCookies(pub Vec<String>);

pub const CSRF_FIELD: &str = "_csrf";
pub const CSRF_HEADER: &str = "x-csrf-token";
/// Request bodies larger than this are refused with 413 before a handler reads them.
pub const BODY_LIMIT: usize = 1024 * 1024;

/// Cookie names, with the `__Host-` prefix when cookies are Secure: it pins them to this
/// host and path `/`, so a sibling subdomain cannot plant them.
pub struct CookieNames {
    pub session: &'static str,
    pub csrf: &'static str,
    pub flash: &'static str,
}

pub fn cookie_names(secure: bool) -> CookieNames {
    if secure {
        CookieNames {
            session: "__Host-portico_session",
            csrf: "__Host-portico_csrf",
            flash: "__Host-portico_flash",
        }
    } else {
        CookieNames {
            session: "portico_session",
            csrf: "portico_csrf",
            flash: "portico_flash",
        }
    }
}

/// A `Set-Cookie` value. `max_age` of zero deletes the cookie.
pub fn cookie(secure: bool, name: &str, value: &str, max_age: Option<i64>, same_site: &str) -> String {
    let mut cookie = format!("{name}={value}; Path=/; HttpOnly; SameSite={same_site}");
    if let Some(age) = max_age {
        cookie.push_str(&format!("; Max-Age={age}"));
    }
    if secure {
        cookie.push_str("; Secure");
    }
    cookie
}

pub fn read_cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value)
}

/// Files sent in one upload request at most.
pub const MAX_FILES_PER_UPLOAD: u64 = 20;

/// The security policy of every page; `form_actions` are origins its forms may also lead to.
pub fn page_policy(form_actions: &[String]) -> HeaderValue {
    let mut actions = "'self'".to_owned();
    for origin in form_actions {
        actions.push(' ');
        actions.push_str(origin);
    }
    let policy = format!(
        "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action {actions}; frame-ancestors 'none'"
    );
    HeaderValue::from_str(&policy).unwrap_or_else(|_| HeaderValue::from_static("default-src 'self'; form-action 'self'"))
}
