//! Client organisations: the CRM records whose contacts use the portal.

use crate::{Conn, db_error, execute, like_pattern, on_conn};
use chrono::{DateTime, Utc};
use domain::access::PortalPermissions;
use domain::clients::ClientDetails;
use domain::ids::{ClientOrgId, UserId};
use domain::users::{Page, PageRequest};
use domain::{Error, Result};
use serde::Serialize;

/// A name and id, for pickers and labels.
#[derive(Clone, Debug, Serialize, sqlx::FromRow)]
pub struct ClientOrg {
    pub id: ClientOrgId,
    pub name: String,
}

/// The whole record.
#[derive(Clone, Debug, Serialize, sqlx::FromRow)]
pub struct ClientRecord {
    pub id: ClientOrgId,
    pub name: String,
    pub address: String,
    pub billing_address: String,
    pub phone: String,
    pub website: String,
    pub tax_id: String,
    pub currency: String,
    pub notes: String,
    pub portal_permissions: i64,
    pub primary_contact_id: Option<UserId>,
    pub archived_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

impl ClientRecord {
    pub fn permissions(&self) -> PortalPermissions {
        PortalPermissions::from_bits(self.portal_permissions)
    }
}

/// A row of the admin list.
#[derive(Clone, Debug, Serialize, sqlx::FromRow)]
pub struct ClientListItem {
    pub id: ClientOrgId,
    pub name: String,
    pub currency: String,
    pub archived_at: Option<DateTime<Utc>>,
    pub contacts: i64,
    pub projects: i64,
    pub primary_contact_name: Option<String>,
    pub primary_contact_email: Option<String>,
}

/// A contact of an organisation, with their own narrowing of its permissions.
#[derive(Clone, Debug, Serialize, sqlx::FromRow)]
pub struct Contact {
    pub id: UserId,
    pub name: String,
    pub email: String,
    pub portal_permissions: Option<i64>,
    pub deactivated_at: Option<DateTime<Utc>>,
    pub has_password: bool,
    pub last_login_at: Option<DateTime<Utc>>,
}

const RECORD_COLUMNS: &str = "id, name, address, billing_address, phone, website, tax_id, currency, notes, \
     portal_permissions, primary_contact_id, archived_at, created_at";

pub async fn insert(conn: &mut Conn<'_>, details: &ClientDetails, now: DateTime<Utc>) -> Result<ClientOrgId> {
    let id = ClientOrgId::new();
    let sql = "INSERT INTO client_orgs (id, name, address, billing_address, phone, website, tax_id, currency, notes, \
               portal_permissions, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)";
    execute!(
        conn,
        sqlx::query(sql)
            .bind(id.0)
            .bind(&details.name)
            .bind(&details.address)
            .bind(&details.billing_address)
            .bind(&details.phone)
            .bind(&details.website)
            .bind(&details.tax_id)
            .bind(&details.currency)
            .bind(&details.notes)
            .bind(details.permissions.bits())
            .bind(now)
    )
    .map_err(db_error)?;
    Ok(id)
}

pub async fn update(conn: &mut Conn<'_>, id: ClientOrgId, details: &ClientDetails) -> Result<()> {
    let sql = "UPDATE client_orgs SET name = $2, address = $3, billing_address = $4, phone = $5, website = $6, tax_id = $7, \
               currency = $8, notes = $9, portal_permissions = $10 WHERE id = $1";
    let changed = execute!(
        conn,
        sqlx::query(sql)
            .bind(id.0)
            .bind(&details.name)
            .bind(&details.address)
            .bind(&details.billing_address)
            .bind(&details.phone)
            .bind(&details.website)
            .bind(&details.tax_id)
            .bind(&details.currency)
            .bind(&details.notes)
            .bind(details.permissions.bits())
    )
    .map_err(db_error)?;
    if changed == 0 { Err(Error::NotFound) } else { Ok(()) }
}

pub async fn set_archived(conn: &mut Conn<'_>, id: ClientOrgId, archived_at: Option<DateTime<Utc>>) -> Result<()> {
    let sql = "UPDATE client_orgs SET archived_at = $2 WHERE id = $1";
    let changed = execute!(conn, sqlx::query(sql).bind(id.0).bind(archived_at)).map_err(db_error)?;
    if changed == 0 { Err(Error::NotFound) } else { Ok(()) }
}

pub async fn set_primary_contact(conn: &mut Conn<'_>, id: ClientOrgId, contact: UserId) -> Result<()> {
    let sql = "UPDATE client_orgs SET primary_contact_id = $2 WHERE id = $1 \
               AND EXISTS (SELECT 1 FROM users u WHERE u.id = $2 AND u.client_org_id = $1)";
    let changed = execute!(conn, sqlx::query(sql).bind(id.0).bind(contact.0)).map_err(db_error)?;
    if changed == 0 { Err(Error::NotFound) } else { Ok(()) }
}

/// Makes the contact primary unless the organisation has one already (one statement, so two
/// first contacts added at once cannot both become primary).
pub async fn set_primary_contact_if_none(conn: &mut Conn<'_>, id: ClientOrgId, contact: UserId) -> Result<()> {
    let sql = "UPDATE client_orgs SET primary_contact_id = $2 WHERE id = $1 AND primary_contact_id IS NULL";
    execute!(conn, sqlx::query(sql).bind(id.0).bind(contact.0)).map_err(db_error)?;
    Ok(())
}

/// Narrows one contact's permissions (`None`: the organisation's apply).
pub async fn set_contact_permissions(
    conn: &mut Conn<'_>,
    org: ClientOrgId,
    contact: UserId,
    permissions: Option<PortalPermissions>,
) -> Result<()> {
    let sql = "UPDATE users SET portal_permissions = $3 WHERE id = $2 AND client_org_id = $1";
    let bits = permissions.map(PortalPermissions::bits);
    let changed = execute!(conn, sqlx::query(sql).bind(org.0).bind(contact.0).bind(bits)).map_err(db_error)?;
    if changed == 0 { Err(Error::NotFound) } else { Ok(()) }
}

pub async fn get(conn: &mut Conn<'_>, id: ClientOrgId) -> Result<ClientRecord> {
    let sql = format!("SELECT {RECORD_COLUMNS} FROM client_orgs WHERE id = $1");
    let row: Option<ClientRecord> = on_conn!(conn, c => sqlx::query_as(&sql).bind(id.0).fetch_optional(c).await).map_err(db_error)?;
    row.ok_or(Error::NotFound)
}

pub async fn find_by_name(conn: &mut Conn<'_>, name: &str) -> Result<Option<ClientOrg>> {
    let sql = "SELECT id, name FROM client_orgs WHERE name = $1";
    on_conn!(conn, c => sqlx::query_as(sql).bind(name).fetch_optional(c).await).map_err(db_error)
}

/// Active organisations by name, for pickers. Bounded: the picker asks for a prefix beyond this.
pub async fn list(conn: &mut Conn<'_>, limit: i64) -> Result<Vec<ClientOrg>> {
    let sql = "SELECT id, name FROM client_orgs WHERE archived_at IS NULL ORDER BY name, id LIMIT $1";
    on_conn!(conn, c => sqlx::query_as(sql).bind(limit).fetch_all(c).await).map_err(db_error)
}

#[derive(Clone, Debug, Default)]
pub struct ClientFilter {
    pub search: Option<String>,
    /// `Some(true)`: archived only; `Some(false)`: active only; `None`: both.
    pub archived: Option<bool>,
}

/// The admin list: search by name, contact name or email; paginated.
pub async fn search(conn: &mut Conn<'_>, filter: &ClientFilter, page: PageRequest) -> Result<Page<ClientListItem>> {
    let pattern = filter.search.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(like_pattern);
    let predicate = "($1 IS NULL OR lower(o.name) LIKE $1 ESCAPE '\\' \
           OR EXISTS (SELECT 1 FROM users cu WHERE cu.client_org_id = o.id AND (lower(cu.name) LIKE $1 ESCAPE '\\' OR cu.email LIKE $1 ESCAPE '\\'))) \
         AND ($2 IS NULL OR ($2 = (o.archived_at IS NOT NULL)))";
    let count_sql = format!("SELECT COUNT(*) FROM client_orgs o WHERE {predicate}");
    let list_sql = format!(
        "SELECT o.id, o.name, o.currency, o.archived_at, \
           (SELECT COUNT(*) FROM users cu WHERE cu.client_org_id = o.id) AS contacts, \
           (SELECT COUNT(*) FROM project_clients pc WHERE pc.client_org_id = o.id) AS projects, \
           pu.name AS primary_contact_name, pu.email AS primary_contact_email \
         FROM client_orgs o LEFT JOIN users pu ON pu.id = o.primary_contact_id \
         WHERE {predicate} ORDER BY lower(o.name), o.id LIMIT $3 OFFSET $4"
    );
    let (total, items): (i64, Vec<ClientListItem>) = on_conn!(conn, c => {
        let total = sqlx::query_scalar(&count_sql).bind(&pattern).bind(filter.archived).fetch_one(&mut *c).await;
        match total {
            Ok(total) => sqlx::query_as(&list_sql)
                .bind(&pattern)
                .bind(filter.archived)
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
        items,
        total: total.max(0) as u64,
        page: page.page,
        per_page: page.per_page,
    })
}

pub async fn contacts(conn: &mut Conn<'_>, org: ClientOrgId) -> Result<Vec<Contact>> {
    let sql = "SELECT id, name, email, portal_permissions, deactivated_at, (password_hash IS NOT NULL) AS has_password, last_login_at \
               FROM users WHERE client_org_id = $1 ORDER BY lower(name), id LIMIT 500";
    on_conn!(conn, c => sqlx::query_as(sql).bind(org.0).fetch_all(c).await).map_err(db_error)
}

pub async fn exists(conn: &mut Conn<'_>, id: ClientOrgId) -> Result<bool> {
    let sql = "SELECT COUNT(*) FROM client_orgs WHERE id = $1";
    let count: i64 = on_conn!(conn, c => sqlx::query_scalar(sql).bind(id.0).fetch_one(c).await).map_err(db_error)?;
    Ok(count > 0)
}

/// A contact with the name of their organisation, for pickers.
#[derive(Clone, Debug, Serialize, sqlx::FromRow)]
pub struct ContactOfOrg {
    pub id: UserId,
    pub name: String,
    pub email: String,
    pub organisation: String,
}

pub async fn all_contacts(conn: &mut Conn<'_>, limit: i64) -> Result<Vec<ContactOfOrg>> {
    let sql = "SELECT u.id, u.name, u.email, o.name AS organisation FROM users u JOIN client_orgs o ON o.id = u.client_org_id \
               ORDER BY lower(o.name), lower(u.name), u.id LIMIT $1";
    on_conn!(conn, c => sqlx::query_as(sql).bind(limit).fetch_all(c).await).map_err(db_error)
}
