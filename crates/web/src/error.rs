//! The one error type's web face. A handler returns `Err(AppError)`; the response carries the
//! error as an extension, and [`crate::middleware::request_context`] renders it with the
//! request's context: an HTML page in the viewer's layout with the request id, or a JSON
//! problem body (RFC 9457) with a stable code under `/api`.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use domain::Error;
use std::sync::Arc;

/// When a client should try again after a 503: long enough for a database restart.
const UNAVAILABLE_RETRY_AFTER_SECONDS: u64 = 5;

/// A handler's failure.
#[derive(Debug)]
pub struct AppError(pub Error);

impl From<Error> for AppError {
    fn from(e: Error) -> Self {
        AppError(e)
    }
}

/// The error a response stands for, for the renderer.
#[derive(Clone, Debug)]
pub struct Failure(pub Arc<Error>);

pub fn status_of(error: &Error) -> StatusCode {
    match error {
        Error::Invalid { .. } => StatusCode::UNPROCESSABLE_ENTITY,
        Error::NotFound => StatusCode::NOT_FOUND,
        Error::Forbidden => StatusCode::FORBIDDEN,
        Error::Unauthenticated(_) => StatusCode::UNAUTHORIZED,
        Error::Conflict { .. } => StatusCode::CONFLICT,
        Error::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
        Error::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
        Error::StorageFull(_) => StatusCode::INSUFFICIENT_STORAGE,
        Error::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let mut response = status_of(&self.0).into_response();
        if let Some(seconds) = retry_after(&self.0) {
            response.headers_mut().insert(header::RETRY_AFTER, seconds);
        }
        response.extensions_mut().insert(Failure(Arc::new(self.0)));
        response
    }
}

/// When to try again, for the `Retry-After` header: after a rate limit's lock, or shortly
/// after an outage.
pub fn retry_after(error: &Error) -> Option<HeaderValue> {
    match error {
        Error::RateLimited { retry_after } => Some(HeaderValue::from(retry_after.as_secs().max(1))),
        Error::Unavailable(_) => Some(HeaderValue::from(UNAVAILABLE_RETRY_AFTER_SECONDS)),
        _ => None,
    }
}

/// A plain status (404 of an unknown route, 413 of a body limit) turned into a failure.
pub fn failure_for_status(status: StatusCode) -> Option<Error> {
    match status {
        StatusCode::NOT_FOUND => Some(Error::NotFound),
        StatusCode::METHOD_NOT_ALLOWED => Some(Error::invalid("method", "this address does not accept this kind of request")),
        StatusCode::PAYLOAD_TOO_LARGE => Some(Error::invalid("body", "the request is too large")),
        StatusCode::UNSUPPORTED_MEDIA_TYPE => Some(Error::invalid("content_type", "this content type is not accepted here")),
        StatusCode::BAD_REQUEST => Some(Error::invalid("body", "the request could not be read")),
        StatusCode::UNPROCESSABLE_ENTITY => Some(Error::invalid("body", "the request has missing or invalid fields")),
        s if s.is_server_error() => Some(Error::internal(format!("status {s}"))),
        _ => None,
    }
}

/// What a person is told: the message of an expected error, a generic line for the rest.
pub fn public_message(error: &Error) -> String {
    match error {
        Error::NotFound => "The page you asked for does not exist, or you do not have access to it.".into(),
        Error::Forbidden => "You do not have access to this page.".into(),
        Error::Unavailable(_) => "The service is temporarily unavailable. Please try again in a moment.".into(),
        Error::StorageFull(_) => {
            "The server's disk is full, so nothing was saved. Please tell your administrator; try again once space is freed.".into()
        }
        Error::Internal(_) => "Something went wrong on our side. It has been logged; please try again.".into(),
        other => capitalise(&other.to_string()),
    }
}

fn capitalise(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

pub type WebResult<T = Response> = Result<T, AppError>;
