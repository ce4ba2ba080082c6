//! What every API handler uses: the bearer-token person ([`ApiUser`]), JSON bodies with clear
//! errors ([`ApiJson`]), the problem-details error ([`Problem`]) and the person as the API
//! shows them. A leaf module: features import it; `api` assembles the document from them.

use crate::AppState;
use crate::error::AppError;
use axum::Json;
use axum::extract::{FromRequest, FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use domain::Error;
use domain::users::{Role, User};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// The person behind the bearer token (set by [`require_token`]).
#[derive(Clone, Debug)]
pub struct ApiUser(pub User);

impl FromRequestParts<AppState> for ApiUser {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, _state: &AppState) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<ApiUser>()
            .cloned()
            .ok_or(AppError(Error::Unauthenticated("an API token is required")))
    }
}

/// Authenticates `Authorization: Bearer pt_…`; with `Some(role)`, also requires that role.
pub async fn require_token(State((state, role)): State<(AppState, Option<Role>)>, mut request: Request, next: Next) -> Response {
    let token = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
        .map(str::trim)
        .map(str::to_owned);
    let user = match token {
        Some(token) => state.app.api_token_user(&token).await,
        None => Ok(None),
    };
    match user {
        Ok(Some(user)) if role.is_none_or(|r| r == user.role) => {
            request.extensions_mut().insert(ApiUser(user));
            next.run(request).await
        }
        Ok(Some(_)) => AppError(Error::Forbidden).into_response(),
        Ok(None) => {
            let mut response =
                AppError(Error::Unauthenticated("a valid API token is required: Authorization: Bearer pt_…")).into_response();
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer realm=\"portico\""));
            response
        }
        Err(e) => AppError(e).into_response(),
    }
}

/// A JSON body whose errors say what is wrong (an unknown field, a wrong type, the wrong
/// content type) as a problem body, instead of a bare status.
pub struct ApiJson<T>(pub T);

impl<T: serde::de::DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = Response;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        match Json::<T>::from_request(request, state).await {
            Ok(Json(value)) => Ok(ApiJson(value)),
            Err(rejection) => {
                let status = rejection.status();
                let mut response = AppError(Error::invalid("body", rejection.body_text())).into_response();
                *response.status_mut() = status;
                Err(response)
            }
        }
    }
}

/// A query string whose errors say what is wrong (`page=abc`, an unknown value's type) as a
/// problem body with status 400, instead of axum's plain-text answer.
pub struct ApiQuery<T>(pub T);

impl<T: serde::de::DeserializeOwned, S: Send + Sync> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match axum::extract::Query::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Query(value)) => Ok(ApiQuery(value)),
            Err(rejection) => {
                let mut response = AppError(Error::invalid("query", rejection.body_text())).into_response();
                *response.status_mut() = rejection.status();
                Err(response)
            }
        }
    }
}

/// A person as the API shows them.
#[derive(Serialize, ToSchema)]
pub struct UserView {
    pub id: uuid::Uuid,
    pub email: String,
    pub name: String,
    /// `admin`, `staff` or `client`.
    pub role: String,
    pub client_org_id: Option<uuid::Uuid>,
    pub client_org_name: Option<String>,
    pub active: bool,
    /// Whether they have chosen a password (false while an invitation is open).
    pub has_password: bool,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub last_login_at: Option<chrono::DateTime<chrono::Utc>>,
    pub deactivated_at: Option<chrono::DateTime<chrono::Utc>>,
    /// Staff who see invoices, payments and the financial reports (admins always do).
    pub finance: bool,
    /// Their own date format (`d mmm yyyy`, `mmm d, yyyy`, `yyyy-mm-dd`, `dd.mm.yyyy`,
    /// `dd/mm/yyyy`); absent follows their browser's language, then the workspace.
    pub date_format: Option<String>,
    /// Their own time zone (IANA: `Europe/Berlin`); absent follows the workspace.
    pub time_zone: Option<String>,
}

impl From<User> for UserView {
    fn from(user: User) -> Self {
        UserView {
            id: user.id.0,
            active: user.is_active(),
            email: user.email,
            name: user.name,
            role: user.role.as_str().to_owned(),
            client_org_id: user.client_org_id.map(|o| o.0),
            client_org_name: user.client_org_name,
            has_password: user.has_password,
            created_at: user.created_at,
            last_login_at: user.last_login_at,
            deactivated_at: user.deactivated_at,
            finance: user.finance,
            date_format: user.date_format.map(|f| f.as_str().to_owned()),
            time_zone: user.time_zone.map(|z| z.name().to_owned()),
        }
    }
}

/// An error (RFC 9457 problem details).
#[derive(Serialize, ToSchema)]
pub struct Problem {
    pub title: String,
    pub status: u16,
    /// A stable code: `invalid_input`, `not_found`, `forbidden`, `unauthenticated`, `conflict`, `rate_limited`, `unavailable`, `internal`.
    pub code: String,
    pub detail: String,
    /// The offending field, for `invalid_input` and `conflict`.
    pub field: Option<String>,
    pub request_id: String,
}

/// Something named, by id: a project's staff, its client organisations.
#[derive(Serialize, ToSchema)]
pub struct NamedRef {
    pub id: uuid::Uuid,
    pub name: String,
}

/// `?page=&per_page=` of a paged list; out of range is refused (`PageRequest::strict`).
#[derive(Deserialize, IntoParams, Default)]
#[into_params(parameter_in = Query)]
#[serde(default)]
pub struct PageParams {
    #[param(minimum = 1)]
    pub page: Option<u32>,
    #[param(minimum = 1, maximum = 100)]
    pub per_page: Option<u32>,
}

/// An amount as the API writes it: a decimal string in the currency's units (`"1344.00"`),
/// never a float.
pub fn amount(currency: domain::money::Currency, minor: i64) -> String {
    currency.units_of(minor).to_string()
}
