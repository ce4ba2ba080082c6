//! People who log in, and the values that describe them. Constructors validate: a value of
//! these types is always well-formed, so nothing downstream checks again.

use crate::access::Area;
use crate::error::{Error, Result};
use crate::text::has_disallowed_characters;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Admin,
    Staff,
    /// A contact of a client organisation.
    Client,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Staff => "staff",
            Role::Client => "client",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Role::Admin => "Admin",
            Role::Staff => "Staff",
            Role::Client => "Client contact",
        }
    }

    /// The area this role lands in after login.
    pub fn home_area(self) -> Area {
        match self {
            Role::Admin => Area::Admin,
            Role::Staff => Area::Staff,
            Role::Client => Area::Portal,
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Role {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "admin" => Ok(Role::Admin),
            "staff" => Ok(Role::Staff),
            "client" => Ok(Role::Client),
            _ => Err(Error::invalid("role", "role must be admin, staff or client")),
        }
    }
}

/// An email address, trimmed and lower-cased so that it identifies one account.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct Email(String);

impl Email {
    pub const MAX_LEN: usize = 254;

    pub fn parse(raw: &str) -> Result<Self> {
        let email = raw.trim().to_lowercase();
        let invalid = || Error::invalid("email", "enter a valid email address, like name@example.com");
        if email.is_empty() {
            return Err(Error::invalid("email", "email is required"));
        }
        if email.chars().count() > Self::MAX_LEN {
            return Err(Error::invalid(
                "email",
                format!("email must be at most {} characters", Self::MAX_LEN),
            ));
        }
        let (local, domain) = email.rsplit_once('@').ok_or_else(invalid)?;
        let domain_ok = !domain.is_empty()
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !domain.contains("..")
            && domain.chars().all(|c| c.is_alphanumeric() || c == '-' || c == '.');
        let local_ok = !local.is_empty()
            && local.len() <= 64
            && !local.contains('@')
            && !local
                .chars()
                .any(|c| c.is_whitespace() || matches!(c, '<' | '>' | '"' | '(' | ')' | ',' | ';' | ':' | '\\' | '[' | ']'));
        if !domain_ok || !local_ok || has_disallowed_characters(&email) {
            return Err(invalid());
        }
        Ok(Self(email))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A person's display name.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct PersonName(String);

impl PersonName {
    pub const MAX_LEN: usize = 200;

    pub fn parse(raw: &str) -> Result<Self> {
        let name = raw.trim();
        if name.is_empty() {
            return Err(Error::invalid("name", "name is required"));
        }
        if name.chars().count() > Self::MAX_LEN {
            return Err(Error::invalid("name", format!("name must be at most {} characters", Self::MAX_LEN)));
        }
        if has_disallowed_characters(name) {
            return Err(Error::invalid("name", "name contains characters that cannot be displayed"));
        }
        Ok(Self(name.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A new password, checked against the policy (NIST SP 800-63B: length, not composition).
pub struct NewPassword(String);

impl NewPassword {
    pub const MIN_LEN: usize = 10;
    pub const MAX_LEN: usize = 256;

    pub fn parse(raw: &str) -> Result<Self> {
        let len = raw.chars().count();
        if len < Self::MIN_LEN {
            return Err(Error::invalid(
                "password",
                format!("password must be at least {} characters", Self::MIN_LEN),
            ));
        }
        if len > Self::MAX_LEN {
            return Err(Error::invalid(
                "password",
                format!("password must be at most {} characters", Self::MAX_LEN),
            ));
        }
        if raw.chars().all(|c| c == raw.chars().next().unwrap_or_default()) || COMMON_PASSWORDS.contains(&raw.to_lowercase().as_str()) {
            return Err(Error::invalid("password", "this password is too easy to guess; choose another"));
        }
        Ok(Self(raw.to_owned()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for NewPassword {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("NewPassword(***)")
    }
}

/// Passwords of ten characters or more that top every breach list.
const COMMON_PASSWORDS: &[&str] = &[
    "1234567890",
    "0123456789",
    "12345678910",
    "qwertyuiop",
    "password123",
    "password12",
    "passw0rd123",
    "iloveyou123",
    "1q2w3e4r5t",
    "qwerty1234",
    "qwerty12345",
    "1qaz2wsx3edc",
    "abcdefghij",
    "letmein123",
    "welcome123",
    "administrator",
    "changeme123",
    "portico-portico",
];

/// A page request for offset-paginated lists (admin tables with totals).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PageRequest {
    pub page: u32,
    pub per_page: u32,
}

impl PageRequest {
    pub const DEFAULT_PER_PAGE: u32 = 25;
    pub const MAX_PER_PAGE: u32 = 100;

    /// Pages count from 1; out-of-range sizes are clamped rather than refused.
    pub fn new(page: Option<u32>, per_page: Option<u32>) -> Self {
        Self {
            page: page.unwrap_or(1).max(1),
            per_page: per_page.unwrap_or(Self::DEFAULT_PER_PAGE).clamp(1, Self::MAX_PER_PAGE),
        }
    }

    /// The API's paging: the same defaults, but a page of 0 or a size outside 1..=100 is
    /// refused by name rather than quietly changed (a client that asked for 500 learns it).
    pub fn strict(page: Option<u32>, per_page: Option<u32>) -> crate::Result<Self> {
        Ok(Self {
            page: within("page", page.unwrap_or(1).into(), 1, i64::from(u32::MAX))? as u32,
            per_page: within(
                "per_page",
                per_page.unwrap_or(Self::DEFAULT_PER_PAGE).into(),
                1,
                Self::MAX_PER_PAGE.into(),
            )? as u32,
        })
    }

    pub fn offset(&self) -> i64 {
        i64::from(self.page - 1) * i64::from(self.per_page)
    }

    pub fn limit(&self) -> i64 {
        i64::from(self.per_page)
    }
}

/// A number a request gave, refused by name when outside `min..=max` (the API refuses rather
/// than clamps: what was asked for and what is answered must not differ silently).
pub fn within(field: &'static str, value: i64, min: i64, max: i64) -> crate::Result<i64> {
    if (min..=max).contains(&value) {
        Ok(value)
    } else {
        Err(crate::Error::invalid(field, format!("{field} must be from {min} to {max}")))
    }
}

/// One page of a list, with the total for "page 2 of 7".
#[derive(Clone, Debug, Serialize)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub total: u64,
    pub page: u32,
    pub per_page: u32,
}

impl<T> Page<T> {
    pub fn page_count(&self) -> u32 {
        (self.total.div_ceil(u64::from(self.per_page.max(1)))).max(1) as u32
    }

    pub fn has_previous(&self) -> bool {
        self.page > 1
    }

    pub fn has_next(&self) -> bool {
        self.page < self.page_count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_normalised() {
        assert_eq!(Email::parse("  Alice@Example.COM ").unwrap().as_str(), "alice@example.com");
    }

    #[test]
    fn malformed_emails_are_refused_with_the_field_named() {
        for bad in [
            "",
            "alice",
            "@example.com",
            "alice@",
            "a b@example.com",
            "alice@exa mple.com",
            "alice@.com",
            "alice@example..com",
            "<script>@x.com",
            "a@b@c.com",
            "al\u{202E}ice@example.com",
        ] {
            let err = Email::parse(bad).unwrap_err();
            assert_eq!(err.field(), Some("email"), "{bad:?}");
        }
        assert!(Email::parse(&format!("{}@example.com", "a".repeat(300))).is_err());
    }

    #[test]
    fn names_are_trimmed_and_bounded() {
        assert_eq!(PersonName::parse("  Ada Lovelace ").unwrap().as_str(), "Ada Lovelace");
        assert!(PersonName::parse("   ").is_err());
        assert!(PersonName::parse(&"x".repeat(201)).is_err());
        assert!(PersonName::parse("bad\u{0}name").is_err());
        assert_eq!(PersonName::parse("O'Brien <b>&amp;</b>").unwrap().as_str(), "O'Brien <b>&amp;</b>");
    }

    #[test]
    fn passwords_follow_the_length_policy() {
        assert!(NewPassword::parse("short").is_err());
        assert!(NewPassword::parse("aaaaaaaaaaaa").is_err());
        assert!(NewPassword::parse("Password123").is_err());
        assert!(NewPassword::parse(&"ab".repeat(200)).is_err());
        assert!(NewPassword::parse("correct horse battery").is_ok());
        assert_eq!(
            format!("{:?}", NewPassword::parse("correct horse battery").unwrap()),
            "NewPassword(***)"
        );
    }

    #[test]
    fn pages_clamp_and_count() {
        let request = PageRequest::new(Some(0), Some(10_000));
        assert_eq!((request.page, request.per_page), (1, PageRequest::MAX_PER_PAGE));
        assert_eq!(PageRequest::new(Some(3), Some(10)).offset(), 20);
        let page = Page::<()> {
            items: vec![],
            total: 51,
            page: 2,
            per_page: 25,
        };
        assert_eq!(page.page_count(), 3);
        assert!(page.has_previous() && page.has_next());
        let empty = Page::<()> {
            items: vec![],
            total: 0,
            page: 1,
            per_page: 25,
        };
        assert_eq!(empty.page_count(), 1);
        assert!(!empty.has_next());
    }

    #[test]
    fn roles_round_trip() {
        for role in [Role::Admin, Role::Staff, Role::Client] {
            assert_eq!(role.as_str().parse::<Role>().unwrap(), role);
        }
        assert!("root".parse::<Role>().is_err());
    }
}

/// A person as stored. The password hash never leaves the store except to be verified.
#[derive(Clone, Debug, Serialize)]
pub struct User {
    pub id: crate::ids::UserId,
    pub email: String,
    pub name: String,
    pub role: Role,
    pub client_org_id: Option<crate::ids::ClientOrgId>,
    pub client_org_name: Option<String>,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub last_login_at: Option<chrono::DateTime<chrono::Utc>>,
    pub deactivated_at: Option<chrono::DateTime<chrono::Utc>>,
    /// Whether a password has been set (an invited person has none until they follow the link).
    pub has_password: bool,
    /// Staff with this see invoices, payments and the financial reports (admins always do).
    pub finance: bool,
    /// A client contact's effective portal permissions (the organisation's, narrowed by the
    /// contact's own); none for staff and admins, who are not limited by them.
    pub portal_permissions: crate::access::PortalPermissions,
    /// The person's own date format and time zone; none follows the browser or the workspace.
    pub date_format: Option<crate::dates::DateFormat>,
    pub time_zone: Option<crate::dates::Tz>,
}

impl User {
    pub fn is_active(&self) -> bool {
        self.deactivated_at.is_none()
    }

    /// The person as the visibility policy sees them.
    pub fn viewer(&self) -> crate::access::Viewer {
        use crate::access::Viewer;
        match (self.role, self.client_org_id) {
            (Role::Admin, _) => Viewer::Admin(self.id),
            (Role::Staff, _) => Viewer::Staff {
                id: self.id,
                finance: self.finance,
            },
            (Role::Client, Some(org)) => Viewer::Client {
                contact: self.id,
                org,
                permissions: self.portal_permissions,
            },
            // The schema forbids a client without an organisation; see nothing if it happens.
            (Role::Client, None) => Viewer::Client {
                contact: self.id,
                org: crate::ids::ClientOrgId(uuid::Uuid::nil()),
                permissions: crate::access::PortalPermissions::NONE,
            },
        }
    }
}
