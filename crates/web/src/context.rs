//! What every page knows: the brand, the viewer and their navigation, the CSRF token for its
//! forms, the flash message and the request id. Handlers take [`Ctx`] and pass it to their
//! template, whose layout renders it.

use crate::AppState;
use crate::forms::FlashMessage;
use crate::request::{CsrfToken, RequestId, Viewer};
use app::auth::SessionUser;
use askama::Template;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::response::{Html, IntoResponse, Response};
use domain::dates::DateStyle;
use domain::users::Role;

#[derive(Clone, Debug)]
pub struct NavItem {
    pub label: &'static str,
    pub href: &'static str,
}

#[derive(Clone, Debug)]
pub struct ViewerInfo {
    pub name: String,
    pub email: String,
    pub role: Role,
    pub organisation: Option<String>,
}

#[derive(Clone, Debug)]
pub struct PageContext {
    pub product_name: String,
    pub has_logo: bool,
    pub request_id: String,
    pub csrf: String,
    pub viewer: Option<ViewerInfo>,
    pub nav: Vec<NavItem>,
    pub flash: Option<crate::forms::Flash>,
    /// The current path, to mark the active navigation entry.
    pub path: String,
    /// How this viewer reads dates: every date on the page goes through it.
    pub dates: DateStyle,
}

fn nav_for(user: &domain::users::User) -> Vec<NavItem> {
    let item = |label, href| NavItem { label, href };
    let invoices = user.viewer().allows(domain::access::Permission::ViewInvoices);
    let mut nav = match user.role {
        Role::Admin => vec![
            item("Dashboard", "/admin"),
            item("Projects", "/projects"),
            item("Invoices", "/invoices"),
            item("Reports", "/reports"),
            item("Clients", "/admin/clients"),
            item("People", "/admin/users"),
            item("Media", "/admin/media"),
        ],
        Role::Staff => vec![item("Dashboard", "/staff"), item("Projects", "/projects")],
        Role::Client => {
            let viewer = user.viewer();
            let mut portal = vec![item("Dashboard", "/portal")];
            if domain::access::PROJECT_PERMISSIONS.iter().any(|p| viewer.allows(*p)) {
                portal.push(item("Projects", "/portal/projects"));
            }
            if viewer.allows(domain::access::Permission::ViewFiles) {
                portal.push(item("Files", "/portal/files"));
            }
            portal
        }
    };
    match user.role {
        Role::Staff if invoices => nav.extend([item("Invoices", "/invoices"), item("Reports", "/reports")]),
        Role::Client if invoices => nav.push(item("Invoices", "/portal/invoices")),
        _ => {}
    }
    nav
}

impl PageContext {
    pub fn new(state: &AppState, request_id: &str, csrf: &str, viewer: Option<&SessionUser>) -> Self {
        let viewer_user = viewer;
        let viewer = viewer.map(|s| ViewerInfo {
            name: s.user.name.clone(),
            email: s.user.email.clone(),
            role: s.user.role,
            organisation: s.user.client_org_name.clone(),
        });
        PageContext {
            product_name: state.app.config.product_name.clone(),
            has_logo: state.web.logo.is_some(),
            request_id: request_id.to_owned(),
            csrf: csrf.to_owned(),
            nav: viewer_user.map(|s| nav_for(&s.user)).unwrap_or_default(),
            viewer,
            flash: None,
            path: String::new(),
            dates: state.app.date_style(viewer_user.map(|s| &s.user), None),
        }
    }

    pub fn anonymous(state: &AppState, request_id: &str, csrf: &str) -> Self {
        Self::new(state, request_id, csrf, None)
    }

    /// The home of the viewer's role, or the login page.
    pub fn home(&self) -> &'static str {
        self.viewer.as_ref().map(|v| v.role.home_area().path()).unwrap_or("/login")
    }

    pub fn is_active(&self, href: &str) -> bool {
        if href.matches('/').count() == 1 {
            self.path == href
        } else {
            self.path.starts_with(href)
        }
    }

    pub fn is_admin(&self) -> bool {
        self.viewer.as_ref().is_some_and(|v| v.role == Role::Admin)
    }

    pub fn is_client(&self) -> bool {
        self.viewer.as_ref().is_some_and(|v| v.role == Role::Client)
    }

    pub fn initials(&self) -> String {
        let name = self.viewer.as_ref().map(|v| v.name.as_str()).unwrap_or_default();
        name.split_whitespace()
            .filter_map(|w| w.chars().next())
            .take(2)
            .flat_map(char::to_uppercase)
            .collect()
    }
}

/// The page context of this request (an extractor).
pub struct Ctx(pub PageContext);

impl FromRequestParts<AppState> for Ctx {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let request_id = parts.extensions.get::<RequestId>().map(|r| r.0.clone()).unwrap_or_default();
        let csrf = parts.extensions.get::<CsrfToken>().map(|c| c.0.clone()).unwrap_or_default();
        let viewer = parts.extensions.get::<Viewer>().and_then(|v| v.0.clone());
        let mut context = PageContext::new(state, &request_id, &csrf, viewer.as_deref());
        context.flash = parts.extensions.get::<FlashMessage>().and_then(|f| f.0.clone());
        context.path = parts.uri.path().to_owned();
        context.dates = state
            .app
            .date_style(viewer.as_deref().map(|s| &s.user), browser_language(parts).as_deref());
        Ok(Ctx(context))
    }
}

/// The language the browser prefers most (`Accept-Language`, by quality), if it names one.
pub fn browser_language(parts: &Parts) -> Option<String> {
    let header = parts.headers.get(axum::http::header::ACCEPT_LANGUAGE)?.to_str().ok()?;
    let mut best: Option<(f32, &str)> = None;
    for entry in header.split(',') {
        let mut pieces = entry.split(';');
        let tag = pieces.next().unwrap_or_default().trim();
        let quality = pieces
            .find_map(|p| p.trim().strip_prefix("q="))
            .map_or(Some(1.0), |q| q.trim().parse::<f32>().ok())
            .unwrap_or(0.0);
        let usable = !tag.is_empty() && tag != "*" && tag.len() <= 35 && quality > 0.0;
        if usable && best.is_none_or(|(q, _)| quality > q) {
            best = Some((quality, tag));
        }
    }
    best.map(|(_, tag)| tag.to_owned())
}

/// The person behind a page request as the visibility policy sees them (an extractor for
/// pages behind a login).
pub struct Person(pub domain::access::Viewer);

impl FromRequestParts<AppState> for Person {
    type Rejection = crate::error::AppError;

    async fn from_request_parts(parts: &mut Parts, _state: &AppState) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<Viewer>()
            .and_then(|v| v.0.as_ref())
            .map(|session| Person(session.user.viewer()))
            .ok_or(crate::error::AppError(domain::Error::Unauthenticated("log in first")))
    }
}

/// Renders a template as an HTML response.
pub fn render(template: &impl Template) -> Response {
    match template.render() {
        Ok(html) => Html(html).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "template failed to render");
            (axum::http::StatusCode::INTERNAL_SERVER_ERROR, "internal error").into_response()
        }
    }
}

#[derive(Template)]
#[template(path = "error.html")]
pub struct ErrorPage<'a> {
    pub ctx: &'a PageContext,
    pub status: u16,
    pub title: &'a str,
    pub message: &'a str,
}

#[cfg(test)]
mod tests {
    use super::browser_language;

    fn preferred(header: &str) -> Option<String> {
        let request = axum::http::Request::builder()
            .header(axum::http::header::ACCEPT_LANGUAGE, header)
            .body(())
            .unwrap();
        browser_language(&request.into_parts().0)
    }

    #[test]
    fn the_browsers_most_wanted_language_is_chosen() {
        assert_eq!(preferred("de-DE,de;q=0.9,en;q=0.5").as_deref(), Some("de-DE"));
        assert_eq!(preferred("fr;q=0.4, ja").as_deref(), Some("ja"));
        assert_eq!(preferred("*;q=1, en-GB;q=0.2").as_deref(), Some("en-GB"));
        assert_eq!(preferred("es;q=0, it;q=bad").as_deref(), None);
        assert_eq!(preferred("").as_deref(), None);
    }
}
