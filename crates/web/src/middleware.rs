//! What happens around every request, in one place: a request id, the client's address,
//! the CSRF check on every state change, the session, flash messages, error pages, and the
//! security headers.

use crate::AppState;
use crate::context::PageContext;
use crate::error::{Failure, failure_for_status, public_message};
use crate::forms::FlashMessage;
use crate::request::{
    BODY_LIMIT, CSRF_FIELD, CSRF_HEADER, ClientAddr, CsrfToken, MAX_FILES_PER_UPLOAD, RequestId, SessionToken, SetCookies, Viewer, cookie,
    cookie_names, page_policy, read_cookie,
};
use axum::body::Body;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use domain::Error;
use std::net::SocketAddr;
use std::sync::Arc;

/// An announced body up to this size is read and discarded before the 413 goes out, so a
/// browser still sending its form gets the answer instead of a reset connection.
const DRAIN_LIMIT: u64 = 16 * 1024 * 1024;
const DRAIN_TIME: std::time::Duration = std::time::Duration::from_secs(10);

fn client_addr(state: &AppState, request: &Request) -> Option<String> {
    if state.web.trust_proxy
        && let Some(forwarded) = request.headers().get("x-forwarded-for").and_then(|v| v.to_str().ok())
        && let Some(address) = forwarded_client(forwarded)
    {
        return Some(address.to_owned());
    }
    request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|info| info.0.ip().to_string())
}

/// The address our proxy saw: the last in X-Forwarded-For. The entries before it came from
/// the client, who may write anything there (and would escape the login throttle by it).
fn forwarded_client(forwarded: &str) -> Option<&str> {
    forwarded.rsplit(',').next().map(str::trim).filter(|s| !s.is_empty())
}

fn is_token_shaped(value: &str) -> bool {
    value.len() == 43 && value.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// Paths called by programs (the API, the gateways' webhooks): no cookies, JSON errors.
fn is_machine(path: &str) -> bool {
    path.starts_with("/api/") || path.starts_with("/webhooks/")
}

/// Paths that need neither a session nor CSRF state.
fn is_stateless(path: &str) -> bool {
    is_machine(path)
        || path.starts_with("/static/")
        || path == "/healthz"
        || path == "/readyz"
        || path == "/brand.css"
        || path == "/brand/logo"
}

pub async fn request_context(State(state): State<AppState>, mut request: Request, next: Next) -> Response {
    let request_id = uuid::Uuid::now_v7().simple().to_string();
    let path = request.uri().path().to_owned();
    let method = request.method().clone();
    let is_api = is_machine(&path);
    let secure = state.web.secure_cookies;
    let names = cookie_names(secure);
    let addr = client_addr(&state, &request);
    let span = tracing::info_span!("request", id = %request_id, %method, %path);

    request.extensions_mut().insert(RequestId(request_id.clone()));
    request.extensions_mut().insert(ClientAddr(addr));
    let body_limit = body_limit(&state, &request);
    if announced_length(request.headers()).is_some_and(|length| length > body_limit) {
        let announced = announced_length(request.headers()).unwrap_or_default();
        if announced <= DRAIN_LIMIT {
            let _ = tokio::time::timeout(DRAIN_TIME, discard_body(request.into_body())).await;
        }
        let context = PageContext::anonymous(&state, &request_id, "");
        let error = failure_for_status(StatusCode::PAYLOAD_TOO_LARGE).expect("413 is a failure");
        let response = render_failure(&context, StatusCode::PAYLOAD_TOO_LARGE, &error, is_api);
        return finish(&state, response, SetCookies::default(), false);
    }
    let mut request = request.map(|body| Body::new(http_body_util::Limited::new(body, body_limit as usize)));

    let mut set_cookies = SetCookies::default();
    let mut viewer = None;
    let stateless = is_stateless(&path);
    let mut csrf = String::new();
    if !stateless {
        let existing = read_cookie(request.headers(), names.csrf)
            .filter(|v| is_token_shaped(v))
            .map(str::to_owned);
        csrf = match existing {
            Some(token) => token,
            None => {
                let token = app::secrets::random_token();
                set_cookies.0.push(cookie(secure, names.csrf, &token, None, "Strict"));
                token
            }
        };
        if is_state_changing(&method) {
            match check_csrf(&state, request, &csrf).await {
                Ok(checked) => request = checked,
                Err(message) => {
                    let context = PageContext::anonymous(&state, &request_id, &csrf);
                    let response = render_failure(&context, StatusCode::FORBIDDEN, &Error::invalid("csrf", message), false);
                    return finish(&state, response, set_cookies, false);
                }
            }
        }
        let session_token = read_cookie(request.headers(), names.session)
            .filter(|v| is_token_shaped(v))
            .map(str::to_owned);
        if let Some(token) = &session_token {
            match state.app.session_user(token).await {
                Ok(Some(user)) => viewer = Some(Arc::new(user)),
                Ok(None) => set_cookies.0.push(cookie(secure, names.session, "", Some(0), "Lax")),
                // The database is down or busy: say so (503 with Retry-After) rather than
                // treat a logged-in person as a visitor and send them to the login page.
                Err(e) => {
                    tracing::warn!(error = %e, "session lookup failed");
                    let context = PageContext::anonymous(&state, &request_id, &csrf);
                    let mut response = render_failure(&context, crate::error::status_of(&e), &e, is_api);
                    if let Some(seconds) = crate::error::retry_after(&e) {
                        response.headers_mut().insert(header::RETRY_AFTER, seconds);
                    }
                    return finish(&state, response, set_cookies, false);
                }
            }
        }
        let flash = read_cookie(request.headers(), names.flash)
            .and_then(|v| percent_encoding::percent_decode_str(v).decode_utf8().ok())
            .map(|v| crate::forms::Flash::decode(&v.chars().take(320).collect::<String>()));
        if flash.is_some() && method == Method::GET {
            set_cookies.0.push(cookie(secure, names.flash, "", Some(0), "Lax"));
        }
        request.extensions_mut().insert(SessionToken(session_token));
        request
            .extensions_mut()
            .insert(FlashMessage(flash.filter(|_| method == Method::GET)));
        request.extensions_mut().insert(CsrfToken(csrf.clone()));
    }
    request.extensions_mut().insert(Viewer(viewer.clone()));

    let mut response = tracing::Instrument::instrument(next.run(request), span.clone()).await;

    // Handlers ask for cookies through a response extension.
    if let Some(more) = response.extensions_mut().remove::<SetCookies>() {
        set_cookies.0.extend(more.0);
    }
    let status = response.status();
    let failure = response.extensions_mut().remove::<Failure>().map(|f| f.0);
    let plain_error = status.as_u16() >= 400 && !has_rendered_body(&response);
    if failure.is_some() || plain_error {
        let error = match failure {
            Some(error) => error,
            None => Arc::new(failure_for_status(status).unwrap_or_else(|| Error::internal(format!("status {status}")))),
        };
        if let Some(detail) = error.detail() {
            tracing::error!(parent: &span, request_id = %request_id, %detail, "request failed");
        }
        let context = PageContext::new(&state, &request_id, &csrf, viewer.as_deref());
        let mut rendered = render_failure(&context, status, &error, is_api);
        if let Some(retry) = response.headers().get(header::RETRY_AFTER) {
            rendered.headers_mut().insert(header::RETRY_AFTER, retry.clone());
        }
        if let Some(auth) = response.headers().get(header::WWW_AUTHENTICATE) {
            rendered.headers_mut().insert(header::WWW_AUTHENTICATE, auth.clone());
        }
        response = rendered;
    }
    finish(&state, response, set_cookies, path.starts_with("/static/"))
}

fn announced_length(headers: &HeaderMap) -> Option<u64> {
    headers.get(header::CONTENT_LENGTH)?.to_str().ok()?.parse().ok()
}

async fn discard_body(body: Body) {
    use http_body_util::BodyExt;
    let mut body = body;
    while let Some(Ok(_)) = body.frame().await {}
}

fn has_rendered_body(response: &Response) -> bool {
    response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.starts_with("text/html") || ct.starts_with("application/json") || ct.starts_with("application/problem+json"))
}

/// Whether the request is a multipart form (an upload).
fn is_multipart(headers: &axum::http::HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.starts_with("multipart/form-data"))
}

/// Uploads (multipart posts) may carry up to [`MAX_FILES_PER_UPLOAD`] files of the upload
/// limit each; the app checks every file against the limit as it streams. Every other body is
/// held to [`BODY_LIMIT`].
fn body_limit(state: &AppState, request: &Request) -> u64 {
    if request.method() == Method::POST && is_multipart(request.headers()) {
        state.app.config.files.max_upload_bytes * MAX_FILES_PER_UPLOAD + BODY_LIMIT as u64
    } else {
        BODY_LIMIT as u64
    }
}

fn is_state_changing(method: &Method) -> bool {
    !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS | Method::TRACE)
}

/// Refuses cross-site requests (by `Sec-Fetch-Site` and `Origin`) and requests without the
/// page's token (a form field or the `X-CSRF-Token` header).
async fn check_csrf(state: &AppState, request: Request, expected: &str) -> Result<Request, &'static str> {
    const EXPIRED: &str = "This form has expired or was sent from another site. Reload the page and try again.";
    let headers = request.headers();
    if headers.get("sec-fetch-site").and_then(|v| v.to_str().ok()) == Some("cross-site") {
        return Err(EXPIRED);
    }
    if let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok())
        && origin != "null"
    {
        let host = headers.get(header::HOST).and_then(|v| v.to_str().ok()).unwrap_or_default();
        let origin_host = origin.split_once("://").map(|(_, rest)| rest).unwrap_or(origin);
        let base_origin = state.app.config.base_url.trim_end_matches('/');
        if origin_host != host && origin != base_origin {
            return Err(EXPIRED);
        }
    }
    if read_cookie(headers, cookie_names(state.web.secure_cookies).csrf) != Some(expected) {
        return Err(EXPIRED);
    }
    if let Some(token) = headers.get(CSRF_HEADER).and_then(|v| v.to_str().ok()) {
        return if app::secrets::constant_time_eq(token.as_bytes(), expected.as_bytes()) {
            Ok(request)
        } else {
            Err(EXPIRED)
        };
    }
    // An upload form cannot put the token in a header without a script, and its body is
    // streamed to storage, not read here: the token rides in the form's action URL.
    if is_multipart(headers) {
        let query = request.uri().query().unwrap_or_default();
        return match form_urlencoded_field(query.as_bytes(), CSRF_FIELD) {
            Some(token) if app::secrets::constant_time_eq(token.as_bytes(), expected.as_bytes()) => Ok(request),
            _ => Err(EXPIRED),
        };
    }
    let is_form = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.starts_with("application/x-www-form-urlencoded"));
    if !is_form {
        return Err(EXPIRED);
    }
    let (parts, body) = request.into_parts();
    let bytes = axum::body::to_bytes(body, BODY_LIMIT).await.map_err(|_| "The form is too large.")?;
    let token = form_urlencoded_field(&bytes, CSRF_FIELD);
    match token {
        Some(token) if app::secrets::constant_time_eq(token.as_bytes(), expected.as_bytes()) => {
            Ok(Request::from_parts(parts, Body::from(bytes)))
        }
        _ => Err(EXPIRED),
    }
}

fn form_urlencoded_field(body: &[u8], name: &str) -> Option<String> {
    serde_urlencoded::from_bytes::<Vec<(String, String)>>(body)
        .ok()?
        .into_iter()
        .find(|(key, _)| key == name)
        .map(|(_, value)| value)
}

/// An error as an HTML page in the viewer's layout, or as a JSON problem body.
fn render_failure(context: &PageContext, status: StatusCode, error: &Error, as_json: bool) -> Response {
    let status = if status.as_u16() < 400 {
        crate::error::status_of(error)
    } else {
        status
    };
    let message = public_message(error);
    if as_json {
        let body = serde_json::json!({
            "type": "about:blank",
            "title": status.canonical_reason().unwrap_or("Error"),
            "status": status.as_u16(),
            "code": error.code(),
            "detail": message,
            "field": error.field(),
            "request_id": context.request_id,
        });
        let mut response = (status, body.to_string()).into_response();
        response
            .headers_mut()
            .insert(header::CONTENT_TYPE, HeaderValue::from_static("application/problem+json"));
        return response;
    }
    let page = crate::context::ErrorPage {
        ctx: context,
        status: status.as_u16(),
        title: status.canonical_reason().unwrap_or("Error"),
        message: &message,
    };
    (status, crate::context::render(&page)).into_response()
}

fn finish(state: &AppState, mut response: Response, cookies: SetCookies, is_asset: bool) -> Response {
    let headers = response.headers_mut();
    for cookie in cookies.0 {
        if let Ok(value) = HeaderValue::from_str(&cookie) {
            headers.append(header::SET_COOKIE, value);
        }
    }
    // A response may bring a policy of its own (a file download is sandboxed; a page with
    // Pay Now lets its forms lead to the gateways).
    headers.entry(header::CONTENT_SECURITY_POLICY).or_insert_with(|| page_policy(&[]));
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    // A page may ask for a stricter policy (a password link keeps its token out of Referer).
    headers
        .entry(header::REFERRER_POLICY)
        .or_insert(HeaderValue::from_static("same-origin"));
    headers.insert("cross-origin-opener-policy", HeaderValue::from_static("same-origin"));
    headers.insert(
        "permissions-policy",
        HeaderValue::from_static("camera=(), microphone=(), geolocation=(), payment=()"),
    );
    if state.web.secure_cookies {
        headers.insert(header::STRICT_TRANSPORT_SECURITY, HeaderValue::from_static("max-age=31536000"));
    }
    if !is_asset && !headers.contains_key(header::CACHE_CONTROL) {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    response
}

#[cfg(test)]
mod tests {
    use super::forwarded_client;

    #[test]
    fn the_client_address_is_the_one_the_proxy_appended() {
        assert_eq!(forwarded_client("203.0.113.9"), Some("203.0.113.9"));
        assert_eq!(
            forwarded_client("1.2.3.4, 203.0.113.9"),
            Some("203.0.113.9"),
            "the client wrote 1.2.3.4"
        );
        assert_eq!(forwarded_client("1.2.3.4, "), None);
    }
}
