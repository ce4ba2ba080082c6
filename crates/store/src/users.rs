//! People who log in.

use crate::{Conn, db_error, execute, is_unique_violation, like_pattern, on_conn};
use chrono::{DateTime, Utc};
use domain::access::PortalPermissions;
use domain::dates::DateFormat;
use domain::ids::{ClientOrgId, UserId};
use domain::users::{Email, Page, PageRequest, PersonName, Role, User};
use domain::{Error, Result};
use serde::Serialize;
use uuid::Uuid;

#[derive(sqlx::FromRow)]
struct UserRow {
    id: Uuid,
    email: String,
    name: String,
    role: Role,
    client_org_id: Option<Uuid>,
    client_org_name: Option<String>,
    created_at: DateTime<Utc>,
    last_login_at: Option<DateTime<Utc>>,
    deactivated_at: Option<DateTime<Utc>>,
    has_password: bool,
    finance: bool,
    org_permissions: Option<i64>,
    contact_permissions: Option<i64>,
    date_format: Option<String>,
    time_zone: Option<String>,
}

impl TryFrom<UserRow> for User {
    type Error = Error;
    fn try_from(row: UserRow) -> Result<User> {
        Ok(User {
            id: UserId(row.id),
            email: row.email,
            name: row.name,
            role: row.role,
            client_org_id: row.client_org_id.map(ClientOrgId),
            client_org_name: row.client_org_name,
            created_at: row.created_at,
            last_login_at: row.last_login_at,
            deactivated_at: row.deactivated_at,
            has_password: row.has_password,
            finance: row.finance,
            portal_permissions: match row.org_permissions {
                Some(org) => PortalPermissions::for_contact(
                    PortalPermissions::from_bits(org),
                    row.contact_permissions.map(PortalPermissions::from_bits),
                ),
                None => PortalPermissions::NONE,
            },
            date_format: row
                .date_format
                .map(|f| {
                    f.parse()
                        .map_err(|_| Error::internal(format!("unknown date format {f:?} in users")))
                })
                .transpose()?,
            time_zone: row
                .time_zone
                .map(|z| z.parse().map_err(|_| Error::internal(format!("unknown time zone {z:?} in users"))))
                .transpose()?,
        })
    }
}

const SELECT_USER: &str = "SELECT u.id, u.email, u.name, u.role, u.client_org_id, o.name AS client_org_name, \
     u.created_at, u.last_login_at, u.deactivated_at, (u.password_hash IS NOT NULL) AS has_password, u.finance, \
     o.portal_permissions AS org_permissions, u.portal_permissions AS contact_permissions, \
     u.date_format, u.time_zone \
     FROM users u LEFT JOIN client_orgs o ON o.id = u.client_org_id";

pub struct NewUser<'a> {
    pub email: &'a Email,
    pub name: &'a PersonName,
    pub role: Role,
    pub client_org_id: Option<ClientOrgId>,
    pub password_hash: Option<&'a str>,
}

pub async fn insert(conn: &mut Conn<'_>, user: &NewUser<'_>, now: DateTime<Utc>) -> Result<UserId> {
    if (user.role == Role::Client) != user.client_org_id.is_some() {
        return Err(Error::invalid(
            "client_org",
            "a client contact belongs to exactly one client organisation; staff and admins to none",
        ));
    }
    let id = UserId::new();
    let sql = "INSERT INTO users (id, email, name, role, client_org_id, password_hash, created_at, updated_at) \
               VALUES ($1, $2, $3, $4, $5, $6, $7, $7)";
    execute!(
        conn,
        sqlx::query(sql)
            .bind(id.0)
            .bind(user.email.as_str())
            .bind(user.name.as_str())
            .bind(user.role.as_str())
            .bind(user.client_org_id.map(|o| o.0))
            .bind(user.password_hash)
            .bind(now)
    )
    .map_err(email_conflict)?;
    Ok(id)
}

/// A duplicate email is the person's mistake, not the database's.
fn email_conflict(e: sqlx::Error) -> Error {
    if is_unique_violation(&e) {
        Error::conflict("email", "a person with this email already exists")
    } else {
        db_error(e)
    }
}

pub async fn get(conn: &mut Conn<'_>, id: UserId) -> Result<User> {
    let sql = format!("{SELECT_USER} WHERE u.id = $1");
    let row: Option<UserRow> = on_conn!(conn, c => sqlx::query_as(&sql).bind(id.0).fetch_optional(c).await).map_err(db_error)?;
    row.ok_or(Error::NotFound)?.try_into()
}

#[derive(sqlx::FromRow)]
struct SessionUserRow {
    #[sqlx(flatten)]
    user: UserRow,
    last_seen_at: DateTime<Utc>,
}

/// The owner of an unexpired session and when the session was last used, in one query:
/// this runs on every page view.
pub async fn find_by_session(conn: &mut Conn<'_>, token_hash: &[u8], now: DateTime<Utc>) -> Result<Option<(User, DateTime<Utc>)>> {
    let columns = SELECT_USER.strip_prefix("SELECT ").expect("SELECT_USER starts with SELECT");
    let sql = format!("SELECT s.last_seen_at, {columns} JOIN sessions s ON s.user_id = u.id WHERE s.token_hash = $1 AND s.expires_at > $2");
    let row: Option<SessionUserRow> =
        on_conn!(conn, c => sqlx::query_as(&sql).bind(token_hash).bind(now).fetch_optional(c).await).map_err(db_error)?;
    row.map(|row| Ok((User::try_from(row.user)?, row.last_seen_at))).transpose()
}

pub async fn find_by_email(conn: &mut Conn<'_>, email: &Email) -> Result<Option<User>> {
    let sql = format!("{SELECT_USER} WHERE u.email = $1");
    let row: Option<UserRow> = on_conn!(conn, c => sqlx::query_as(&sql).bind(email.as_str()).fetch_optional(c).await).map_err(db_error)?;
    row.map(User::try_from).transpose()
}

/// The stored password hash of an active account with a password, for login.
pub async fn password_hash(conn: &mut Conn<'_>, id: UserId) -> Result<Option<String>> {
    let sql = "SELECT password_hash FROM users WHERE id = $1";
    let hash: Option<Option<String>> = on_conn!(conn, c => sqlx::query_scalar(sql).bind(id.0).fetch_optional(c).await).map_err(db_error)?;
    Ok(hash.flatten())
}

/// Filters for the admin's list of people.
#[derive(Clone, Debug, Default)]
pub struct UserFilter {
    /// Matches name, email or organisation name, case-insensitively.
    pub search: Option<String>,
    pub role: Option<Role>,
    /// `Some(true)`: only active; `Some(false)`: only deactivated.
    pub active: Option<bool>,
}

pub async fn list(conn: &mut Conn<'_>, filter: &UserFilter, page: PageRequest) -> Result<Page<User>> {
    let pattern = filter.search.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(like_pattern);
    let role = filter.role.map(Role::as_str);
    // Optional filters as `$n IS NULL OR …` keep one statement for every combination.
    let predicate = "($1 IS NULL OR lower(u.name) LIKE $1 ESCAPE '\\' OR u.email LIKE $1 ESCAPE '\\' OR lower(o.name) LIKE $1 ESCAPE '\\') \
         AND ($2 IS NULL OR u.role = $2) \
         AND ($3 IS NULL OR ($3 = (u.deactivated_at IS NULL)))";
    let count_sql = format!("SELECT COUNT(*) FROM users u LEFT JOIN client_orgs o ON o.id = u.client_org_id WHERE {predicate}");
    let list_sql = format!("{SELECT_USER} WHERE {predicate} ORDER BY lower(u.name), u.id LIMIT $4 OFFSET $5");
    let (total, rows): (i64, Vec<UserRow>) = on_conn!(conn, c => {
        let total = sqlx::query_scalar(&count_sql).bind(&pattern).bind(role).bind(filter.active).fetch_one(&mut *c).await;
        match total {
            Ok(total) => sqlx::query_as(&list_sql)
                .bind(&pattern)
                .bind(role)
                .bind(filter.active)
                .bind(page.limit())
                .bind(page.offset())
                .fetch_all(c)
                .await
                .map(|rows| (total, rows)),
            Err(e) => Err(e),
        }
    })
    .map_err(db_error)?;
    Ok(Page {
        items: rows.into_iter().map(User::try_from).collect::<Result<_>>()?,
        total: total.max(0) as u64,
        page: page.page,
        per_page: page.per_page,
    })
}

pub struct UserUpdate<'a> {
    pub email: &'a Email,
    pub name: &'a PersonName,
}

pub async fn update(conn: &mut Conn<'_>, id: UserId, update: &UserUpdate<'_>, now: DateTime<Utc>) -> Result<()> {
    let sql = "UPDATE users SET email = $2, name = $3, updated_at = $4 WHERE id = $1";
    let result = execute!(
        conn,
        sqlx::query(sql)
            .bind(id.0)
            .bind(update.email.as_str())
            .bind(update.name.as_str())
            .bind(now)
    )
    .map_err(email_conflict)?;
    if result == 0 { Err(Error::NotFound) } else { Ok(()) }
}

/// A person's own date format and time zone; none goes back to the browser's or the workspace's.
pub async fn set_date_preferences(
    conn: &mut Conn<'_>,
    id: UserId,
    format: Option<DateFormat>,
    zone: Option<domain::dates::Tz>,
    now: DateTime<Utc>,
) -> Result<()> {
    let sql = "UPDATE users SET date_format = $2, time_zone = $3, updated_at = $4 WHERE id = $1";
    let (format, zone) = (format.map(DateFormat::as_str), zone.map(|z| z.name()));
    let result = execute!(conn, sqlx::query(sql).bind(id.0).bind(format).bind(zone).bind(now)).map_err(db_error)?;
    if result == 0 { Err(Error::NotFound) } else { Ok(()) }
}

pub async fn set_password_hash(conn: &mut Conn<'_>, id: UserId, hash: &str, now: DateTime<Utc>) -> Result<()> {
    let sql = "UPDATE users SET password_hash = $2, updated_at = $3 WHERE id = $1";
    execute!(conn, sqlx::query(sql).bind(id.0).bind(hash).bind(now)).map_err(db_error)?;
    Ok(())
}

/// Sets or clears `deactivated_at`. Returns whether anything changed.
pub async fn set_deactivated(conn: &mut Conn<'_>, id: UserId, at: Option<DateTime<Utc>>, now: DateTime<Utc>) -> Result<bool> {
    let sql = "UPDATE users SET deactivated_at = $2, updated_at = $3 WHERE id = $1 AND (deactivated_at IS NULL) <> ($2 IS NULL)";
    let changed = execute!(conn, sqlx::query(sql).bind(id.0).bind(at).bind(now)).map_err(db_error)?;
    Ok(changed > 0)
}

/// Gives or takes a staff member's finance permission; false when nothing changed.
pub async fn set_finance(conn: &mut Conn<'_>, id: UserId, finance: bool, now: DateTime<Utc>) -> Result<bool> {
    let sql = "UPDATE users SET finance = $2, updated_at = $3 WHERE id = $1 AND role = 'staff' AND finance <> $2";
    let changed = execute!(conn, sqlx::query(sql).bind(id.0).bind(finance).bind(now)).map_err(db_error)?;
    Ok(changed > 0)
}

pub async fn record_login(conn: &mut Conn<'_>, id: UserId, now: DateTime<Utc>) -> Result<()> {
    let sql = "UPDATE users SET last_login_at = $2 WHERE id = $1";
    execute!(conn, sqlx::query(sql).bind(id.0).bind(now)).map_err(db_error)?;
    Ok(())
}

/// Active admins, to refuse deactivating the last one.
pub async fn count_active_admins(conn: &mut Conn<'_>) -> Result<i64> {
    let sql = "SELECT COUNT(*) FROM users WHERE role = 'admin' AND deactivated_at IS NULL";
    on_conn!(conn, c => sqlx::query_scalar(sql).fetch_one(c).await).map_err(db_error)
}

/// People by role and state, for the admin dashboard.
#[derive(Clone, Debug, Default, Serialize)]
pub struct UserCounts {
    pub admins: i64,
    pub staff: i64,
    pub clients: i64,
    pub deactivated: i64,
}

pub async fn counts(conn: &mut Conn<'_>) -> Result<UserCounts> {
    let sql = "SELECT role, (deactivated_at IS NULL) AS active, COUNT(*) FROM users GROUP BY role, (deactivated_at IS NULL)";
    let rows: Vec<(String, bool, i64)> = on_conn!(conn, c => sqlx::query_as(sql).fetch_all(c).await).map_err(db_error)?;
    let mut counts = UserCounts::default();
    for (role, active, n) in rows {
        match (role.as_str(), active) {
            (_, false) => counts.deactivated += n,
            ("admin", true) => counts.admins += n,
            ("staff", true) => counts.staff += n,
            (_, true) => counts.clients += n,
        }
    }
    Ok(counts)
}

/// An active admin or staff member, for pickers of project members and assignees.
#[derive(Clone, Debug, serde::Serialize, sqlx::FromRow)]
pub struct TeamMember {
    pub id: UserId,
    pub name: String,
    pub email: String,
    pub role: Role,
}

/// The active team (admins and staff), by name. Bounded: a picker beyond this asks by search.
pub async fn team(conn: &mut Conn<'_>, limit: i64) -> Result<Vec<TeamMember>> {
    let sql = "SELECT id, name, email, role FROM users WHERE role IN ('admin', 'staff') AND deactivated_at IS NULL \
               ORDER BY lower(name), id LIMIT $1";
    on_conn!(conn, c => sqlx::query_as(sql).bind(limit).fetch_all(c).await).map_err(db_error)
}
