//! Client organisations: the CRM records whose contacts use the portal.

use crate::{Conn, db_error, execute, on_conn};
use chrono::{DateTime, Utc};
use domain::Result;
use domain::ids::ClientOrgId;
use serde::Serialize;
use uuid::Uuid;

#[derive(Clone, Debug, Serialize, sqlx::FromRow)]
pub struct ClientOrg {
    pub id: Uuid,
    pub name: String,
}

pub async fn insert(conn: &mut Conn<'_>, name: &str, now: DateTime<Utc>) -> Result<ClientOrgId> {
    let id = ClientOrgId::new();
    let sql = "INSERT INTO client_orgs (id, name, created_at) VALUES ($1, $2, $3)";
    execute!(conn, sqlx::query(sql).bind(id.0).bind(name).bind(now)).map_err(db_error)?;
    Ok(id)
}

pub async fn find_by_name(conn: &mut Conn<'_>, name: &str) -> Result<Option<ClientOrg>> {
    let sql = "SELECT id, name FROM client_orgs WHERE name = $1";
    on_conn!(conn, c => sqlx::query_as(sql).bind(name).fetch_optional(c).await).map_err(db_error)
}

/// All organisations by name, for pickers. Bounded: the picker asks for a prefix beyond this.
pub async fn list(conn: &mut Conn<'_>, limit: i64) -> Result<Vec<ClientOrg>> {
    let sql = "SELECT id, name FROM client_orgs ORDER BY name, id LIMIT $1";
    on_conn!(conn, c => sqlx::query_as(sql).bind(limit).fetch_all(c).await).map_err(db_error)
}

pub async fn exists(conn: &mut Conn<'_>, id: ClientOrgId) -> Result<bool> {
    let sql = "SELECT COUNT(*) FROM client_orgs WHERE id = $1";
    let count: i64 = on_conn!(conn, c => sqlx::query_scalar(sql).bind(id.0).fetch_one(c).await).map_err(db_error)?;
    Ok(count > 0)
}
