//! Folders, files and their versions. The bytes are in storage (the app's `storage`); these
//! rows say what exists, where, and who may see it.

use crate::scope::Scope;
use crate::{Conn, db_error, execute, on_conn};
use chrono::{DateTime, Utc};
use domain::access::FileFacts;
use domain::ids::{ClientOrgId, FileId, FileVersionId, FolderId, ProjectId, TaskId, UserId};
use domain::{Error, Result};
use serde::Serialize;
use uuid::Uuid;

/// Where a file lives: a project's top level, one of its folders, or a task (an attachment).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Place {
    Top(ProjectId),
    Folder(ProjectId, FolderId),
    Task(ProjectId, TaskId),
}

impl Place {
    pub fn project(self) -> ProjectId {
        match self {
            Place::Top(p) | Place::Folder(p, _) | Place::Task(p, _) => p,
        }
    }

    /// The id names are unique under.
    pub fn id(self) -> Uuid {
        match self {
            Place::Top(p) => p.0,
            Place::Folder(_, f) => f.0,
            Place::Task(_, t) => t.0,
        }
    }

    fn folder(self) -> Option<Uuid> {
        match self {
            Place::Folder(_, f) => Some(f.0),
            _ => None,
        }
    }

    fn task(self) -> Option<Uuid> {
        match self {
            Place::Task(_, t) => Some(t.0),
            _ => None,
        }
    }
}

#[derive(Clone, Debug, Serialize, sqlx::FromRow)]
pub struct Folder {
    pub id: FolderId,
    pub project_id: ProjectId,
    pub parent_id: Option<FolderId>,
    pub name: String,
    pub created_at: DateTime<Utc>,
}

#[derive(Clone, Debug, Serialize, sqlx::FromRow)]
pub struct File {
    pub id: FileId,
    pub project_id: ProjectId,
    pub folder_id: Option<FolderId>,
    pub task_id: Option<TaskId>,
    pub name: String,
    pub client_visible: bool,
    pub uploader_org_id: Option<ClientOrgId>,
    pub uploader_name: Option<String>,
    pub version_count: i64,
    pub size_bytes: i64,
    pub content_type: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub deleted_at: Option<DateTime<Utc>>,
}

impl File {
    pub fn facts(&self) -> FileFacts {
        FileFacts {
            client_visible: self.client_visible,
            uploader_org: self.uploader_org_id,
            in_trash: self.deleted_at.is_some(),
        }
    }
}

#[derive(Clone, Debug, Serialize, sqlx::FromRow)]
pub struct Version {
    pub id: FileVersionId,
    pub file_id: FileId,
    pub number: i64,
    #[serde(skip)]
    pub object_key: String,
    pub size_bytes: i64,
    pub content_type: String,
    pub sha256: String,
    pub uploaded_by_name: Option<String>,
    pub created_at: DateTime<Utc>,
}

const FILE_COLUMNS: &str = "f.id, f.project_id, f.folder_id, f.task_id, f.name, f.client_visible, f.uploader_org_id, \
     u.name AS uploader_name, f.version_count, f.size_bytes, f.content_type, f.created_at, f.updated_at, f.deleted_at";

/// A page of the files in one place the viewer sees, in name order. Keyset pagination: pass
/// the last file's name key and id for the next page, so page 200 of a folder of 10,000
/// costs what page 1 does.
pub async fn list(conn: &mut Conn<'_>, scope: &Scope, place: Place, after: Option<(&str, FileId)>, limit: i64) -> Result<Vec<File>> {
    // The keyset as a row value, so both databases seek the index on (place, name, id)
    // straight to the page instead of filtering every earlier name.
    let sql = format!(
        "SELECT {FILE_COLUMNS} FROM files f LEFT JOIN users u ON u.id = f.created_by AND {people} \
         WHERE f.place_id = $3 AND f.project_id = $4 AND {files} {keyset} \
         ORDER BY f.name_key, f.id LIMIT $5",
        people = scope.people("u"),
        files = scope.files(),
        keyset = if after.is_some() { "AND (f.name_key, f.id) > ($6, $7)" } else { "" },
    );
    on_conn!(conn, c => {
        let mut query = sqlx::query_as(&sql)
            .bind(scope.subject()).bind(scope.permissions()).bind(place.id()).bind(place.project().0).bind(limit);
        if let Some((key, id)) = after {
            query = query.bind(key).bind(id);
        }
        query.fetch_all(c).await
    })
    .map_err(db_error)
}

/// Every file of a project the viewer sees (not attachments), newest first: the portal's list.
pub async fn list_project(conn: &mut Conn<'_>, scope: &Scope, project: ProjectId, limit: i64, offset: i64) -> Result<(Vec<File>, i64)> {
    let condition = format!("f.project_id = $3 AND f.task_id IS NULL AND {}", scope.files());
    let count_sql = format!("SELECT COUNT(*) FROM files f WHERE {condition}");
    let total: i64 = on_conn!(conn, c => sqlx::query_scalar(&count_sql)
        .bind(scope.subject()).bind(scope.permissions()).bind(project.0)
        .fetch_one(c).await)
    .map_err(db_error)?;
    let sql = format!(
        "SELECT {FILE_COLUMNS} FROM files f LEFT JOIN users u ON u.id = f.created_by AND {people} \
         WHERE {condition} ORDER BY f.updated_at DESC, f.id DESC LIMIT $4 OFFSET $5",
        people = scope.people("u"),
    );
    let files = on_conn!(conn, c => sqlx::query_as(&sql)
        .bind(scope.subject()).bind(scope.permissions()).bind(project.0).bind(limit).bind(offset)
        .fetch_all(c).await)
    .map_err(db_error)?;
    Ok((files, total))
}

/// One file the viewer sees, outside the trash.
pub async fn get(conn: &mut Conn<'_>, scope: &Scope, project: ProjectId, id: FileId) -> Result<File> {
    let sql = format!(
        "SELECT {FILE_COLUMNS} FROM files f LEFT JOIN users u ON u.id = f.created_by AND {people} \
         WHERE f.id = $3 AND f.project_id = $4 AND {files}",
        people = scope.people("u"),
        files = scope.files(),
    );
    let row: Option<File> = on_conn!(conn, c => sqlx::query_as(&sql)
        .bind(scope.subject()).bind(scope.permissions()).bind(id.0).bind(project.0)
        .fetch_optional(c).await)
    .map_err(db_error)?;
    row.ok_or(Error::NotFound)
}

/// A file of the project whatever its state (the trash included), for staff actions that the
/// app has already checked.
pub async fn get_any(conn: &mut Conn<'_>, project: ProjectId, id: FileId) -> Result<File> {
    let sql = format!("SELECT {FILE_COLUMNS} FROM files f LEFT JOIN users u ON u.id = f.created_by WHERE f.id = $1 AND f.project_id = $2");
    let row: Option<File> =
        on_conn!(conn, c => sqlx::query_as(&sql).bind(id.0).bind(project.0).fetch_optional(c).await).map_err(db_error)?;
    row.ok_or(Error::NotFound)
}

/// The live file of this name in this place that uploads by `owner` add versions to.
pub async fn find_by_name(conn: &mut Conn<'_>, place: Place, owner: Uuid, name_key: &str) -> Result<Option<FileId>> {
    let sql = "SELECT id FROM files WHERE place_id = $1 AND owner_key = $2 AND name_key = $3 AND deleted_at IS NULL";
    let id: Option<Uuid> = on_conn!(conn, c => sqlx::query_scalar(sql).bind(place.id()).bind(owner).bind(name_key).fetch_optional(c).await)
        .map_err(db_error)?;
    Ok(id.map(FileId))
}

pub struct NewFile<'a> {
    pub id: FileId,
    pub place: Place,
    pub owner: Uuid,
    pub name: &'a str,
    pub client_visible: bool,
    pub uploader_org: Option<ClientOrgId>,
    pub created_by: UserId,
}

/// Creates a file without versions yet (`version_count` 0); [`add_version`] follows in the
/// same transaction. A concurrent upload of the same name fails here with a unique violation.
pub async fn insert(conn: &mut Conn<'_>, file: &NewFile<'_>, now: DateTime<Utc>) -> std::result::Result<(), sqlx::Error> {
    let sql = "INSERT INTO files (id, project_id, folder_id, task_id, place_id, owner_key, name, name_key, client_visible, \
                 uploader_org_id, version_count, size_bytes, content_type, created_by, created_at, updated_at) \
               VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 0, 0, '', $11, $12, $12)";
    execute!(
        conn,
        sqlx::query(sql)
            .bind(file.id.0)
            .bind(file.place.project().0)
            .bind(file.place.folder())
            .bind(file.place.task())
            .bind(file.place.id())
            .bind(file.owner)
            .bind(file.name)
            .bind(domain::files::name_key(file.name))
            .bind(file.client_visible)
            .bind(file.uploader_org.map(|o| o.0))
            .bind(file.created_by.0)
            .bind(now)
    )?;
    Ok(())
}

pub struct NewVersion<'a> {
    pub id: FileVersionId,
    pub file: FileId,
    pub object_key: &'a str,
    pub size_bytes: i64,
    pub content_type: &'a str,
    pub sha256: &'a str,
    pub uploaded_by: UserId,
}

/// Adds the next version to a file and makes it current; returns its number. The number comes
/// from the file's own counter, bumped in the same statement, so two racing uploads of the
/// same name get 2 and 3, never 2 twice.
pub async fn add_version(conn: &mut Conn<'_>, version: &NewVersion<'_>, now: DateTime<Utc>) -> Result<i64> {
    let bump = "UPDATE files SET version_count = version_count + 1, size_bytes = $2, content_type = $3, updated_at = $4 \
                WHERE id = $1 RETURNING version_count";
    let number: i64 = on_conn!(conn, c => sqlx::query_scalar(bump)
        .bind(version.file.0).bind(version.size_bytes).bind(version.content_type).bind(now)
        .fetch_one(c).await)
    .map_err(db_error)?;
    let sql = "INSERT INTO file_versions (id, file_id, number, object_key, size_bytes, content_type, sha256, uploaded_by, created_at) \
               VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)";
    execute!(
        conn,
        sqlx::query(sql)
            .bind(version.id.0)
            .bind(version.file.0)
            .bind(number)
            .bind(version.object_key)
            .bind(version.size_bytes)
            .bind(version.content_type)
            .bind(version.sha256)
            .bind(version.uploaded_by.0)
            .bind(now)
    )
    .map_err(db_error)?;
    Ok(number)
}

/// A file's versions, newest first. The uploader's name only where the viewer may see that
/// person (a client never learns another organisation's contacts).
pub async fn versions(conn: &mut Conn<'_>, scope: &Scope, file: FileId) -> Result<Vec<Version>> {
    let sql = format!(
        "SELECT v.id, v.file_id, v.number, v.object_key, v.size_bytes, v.content_type, v.sha256, u.name AS uploaded_by_name, v.created_at \
         FROM file_versions v LEFT JOIN users u ON u.id = v.uploaded_by AND {people} \
         WHERE v.file_id = $3 ORDER BY v.number DESC LIMIT 500",
        people = scope.people("u"),
    );
    on_conn!(conn, c => sqlx::query_as(&sql).bind(scope.subject()).bind(scope.permissions()).bind(file.0).fetch_all(c).await)
        .map_err(db_error)
}

/// One version by number, or the current one.
pub async fn version(conn: &mut Conn<'_>, file: FileId, number: Option<i64>) -> Result<Version> {
    let sql = "SELECT v.id, v.file_id, v.number, v.object_key, v.size_bytes, v.content_type, v.sha256, u.name AS uploaded_by_name, v.created_at \
               FROM file_versions v LEFT JOIN users u ON u.id = v.uploaded_by \
               WHERE v.file_id = $1 AND v.number = COALESCE($2, (SELECT version_count FROM files WHERE id = $1))";
    let row: Option<Version> =
        on_conn!(conn, c => sqlx::query_as(sql).bind(file.0).bind(number).fetch_optional(c).await).map_err(db_error)?;
    row.ok_or(Error::NotFound)
}

/// How many of a task's attachments an organisation's contacts see: shared ones and their own
/// organisation's uploads, outside the trash (what a review round addressed to it shows).
pub async fn attachments_seen_by(conn: &mut Conn<'_>, project: ProjectId, task: TaskId, org: ClientOrgId) -> Result<i64> {
    let sql = "SELECT COUNT(*) FROM files WHERE project_id = $1 AND task_id = $2 AND deleted_at IS NULL \
               AND (client_visible OR uploader_org_id = $3)";
    on_conn!(conn, c => sqlx::query_scalar(sql).bind(project.0).bind(task.0).bind(org.0).fetch_one(c).await).map_err(db_error)
}

/// Bytes a project's files take in storage: every version, the trash included. (SUM of a
/// BIGINT is NUMERIC on PostgreSQL, hence the casts.)
pub async fn project_usage(conn: &mut Conn<'_>, project: ProjectId) -> Result<i64> {
    let sql = "SELECT CAST(COALESCE(SUM(v.size_bytes), 0) AS BIGINT) FROM file_versions v JOIN files f ON f.id = v.file_id WHERE f.project_id = $1";
    on_conn!(conn, c => sqlx::query_scalar::<_, i64>(sql).bind(project.0).fetch_one(c).await).map_err(db_error)
}

pub async fn quota(conn: &mut Conn<'_>, project: ProjectId) -> Result<Option<i64>> {
    let sql = "SELECT storage_quota_bytes FROM projects WHERE id = $1";
    on_conn!(conn, c => sqlx::query_scalar(sql).bind(project.0).fetch_one(c).await).map_err(db_error)
}

pub async fn set_quota(conn: &mut Conn<'_>, project: ProjectId, quota: Option<i64>) -> Result<()> {
    let changed = execute!(
        conn,
        sqlx::query("UPDATE projects SET storage_quota_bytes = $2 WHERE id = $1")
            .bind(project.0)
            .bind(quota)
    )
    .map_err(db_error)?;
    if changed == 0 { Err(Error::NotFound) } else { Ok(()) }
}

pub async fn set_visibility(conn: &mut Conn<'_>, project: ProjectId, id: FileId, client_visible: bool, now: DateTime<Utc>) -> Result<()> {
    let sql = "UPDATE files SET client_visible = $3, updated_at = $4 WHERE project_id = $1 AND id = $2 AND deleted_at IS NULL";
    let changed = execute!(conn, sqlx::query(sql).bind(project.0).bind(id.0).bind(client_visible).bind(now)).map_err(db_error)?;
    if changed == 0 { Err(Error::NotFound) } else { Ok(()) }
}

/// Moves a file to the trash; its name is free again at once.
pub async fn trash(conn: &mut Conn<'_>, project: ProjectId, id: FileId, by: UserId, now: DateTime<Utc>) -> Result<()> {
    let sql = "UPDATE files SET deleted_at = $3, deleted_by = $4 WHERE project_id = $1 AND id = $2 AND deleted_at IS NULL";
    let changed = execute!(conn, sqlx::query(sql).bind(project.0).bind(id.0).bind(now).bind(by.0)).map_err(db_error)?;
    if changed == 0 { Err(Error::NotFound) } else { Ok(()) }
}

/// Takes a file out of the trash. Refused (a unique violation) when a live file has taken its
/// name meanwhile.
pub async fn restore(conn: &mut Conn<'_>, project: ProjectId, id: FileId) -> std::result::Result<u64, sqlx::Error> {
    let sql = "UPDATE files SET deleted_at = NULL, deleted_by = NULL WHERE project_id = $1 AND id = $2 AND deleted_at IS NOT NULL";
    execute!(conn, sqlx::query(sql).bind(project.0).bind(id.0))
}

/// A project's trash, most recently deleted first.
pub async fn trashed(conn: &mut Conn<'_>, project: ProjectId, limit: i64, offset: i64) -> Result<Vec<File>> {
    let sql = format!(
        "SELECT {FILE_COLUMNS} FROM files f LEFT JOIN users u ON u.id = f.created_by \
         WHERE f.project_id = $1 AND f.deleted_at IS NOT NULL ORDER BY f.deleted_at DESC, f.id LIMIT $2 OFFSET $3"
    );
    on_conn!(conn, c => sqlx::query_as(&sql).bind(project.0).bind(limit).bind(offset).fetch_all(c).await).map_err(db_error)
}

/// Files deleted before `cutoff`, with the objects of all their versions: the purge job's work.
pub async fn purgeable(conn: &mut Conn<'_>, cutoff: DateTime<Utc>, limit: i64) -> Result<Vec<(FileId, Vec<String>)>> {
    let sql = "SELECT f.id, v.object_key FROM files f JOIN file_versions v ON v.file_id = f.id \
               WHERE f.id IN (SELECT id FROM files WHERE deleted_at < $1 ORDER BY deleted_at LIMIT $2) ORDER BY f.id";
    let rows: Vec<(FileId, String)> =
        on_conn!(conn, c => sqlx::query_as(sql).bind(cutoff).bind(limit).fetch_all(c).await).map_err(db_error)?;
    let mut grouped: Vec<(FileId, Vec<String>)> = Vec::new();
    for (file, key) in rows {
        match grouped.last_mut() {
            Some((id, keys)) if *id == file => keys.push(key),
            _ => grouped.push((file, vec![key])),
        }
    }
    Ok(grouped)
}

/// Deletes for good a file that is still in the trash since before `cutoff` (its versions go
/// with it). False when it was restored meanwhile.
pub async fn delete_trashed(conn: &mut Conn<'_>, id: FileId, cutoff: DateTime<Utc>) -> Result<bool> {
    let sql = "DELETE FROM files WHERE id = $1 AND deleted_at IS NOT NULL AND deleted_at < $2";
    Ok(execute!(conn, sqlx::query(sql).bind(id).bind(cutoff)).map_err(db_error)? > 0)
}

/// Object keys of versions recorded before a moment, in key order, after `after`: for
/// comparing storage with the rows.
pub async fn object_keys(conn: &mut Conn<'_>, after: &str, recorded_before: DateTime<Utc>, limit: i64) -> Result<Vec<String>> {
    let sql = "SELECT object_key FROM file_versions WHERE object_key > $1 AND created_at < $2 ORDER BY object_key LIMIT $3";
    on_conn!(conn, c => sqlx::query_scalar(sql).bind(after).bind(recorded_before).bind(limit).fetch_all(c).await).map_err(db_error)
}

/// Which of these object keys have a version row.
pub async fn known_keys(conn: &mut Conn<'_>, keys: &[String]) -> Result<Vec<String>> {
    if keys.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "SELECT object_key FROM file_versions WHERE object_key IN ({})",
        crate::scope::placeholders(1, keys.len())
    );
    on_conn!(conn, c => {
        let mut query = sqlx::query_scalar(&sql);
        for key in keys {
            query = query.bind(key);
        }
        query.fetch_all(c).await
    })
    .map_err(db_error)
}

/// Deletes a version row whose object is gone (the orphan cleanup); a file left without
/// versions goes too.
pub async fn forget_version(conn: &mut Conn<'_>, object_key: &str) -> Result<()> {
    let file: Option<Uuid> = on_conn!(conn, c => sqlx::query_scalar("SELECT file_id FROM file_versions WHERE object_key = $1")
        .bind(object_key).fetch_optional(c).await)
    .map_err(db_error)?;
    let Some(file) = file else { return Ok(()) };
    execute!(
        conn,
        sqlx::query("DELETE FROM file_versions WHERE object_key = $1").bind(object_key)
    )
    .map_err(db_error)?;
    let sql = "DELETE FROM files WHERE id = $1 AND NOT EXISTS (SELECT 1 FROM file_versions WHERE file_id = $1)";
    execute!(conn, sqlx::query(sql).bind(file)).map_err(db_error)?;
    Ok(())
}

/// Storage per project, largest first.
#[derive(Clone, Debug, Serialize, sqlx::FromRow)]
pub struct ProjectUsage {
    pub project_id: ProjectId,
    pub project_name: String,
    pub files: i64,
    pub bytes: i64,
}

pub async fn usage_by_project(conn: &mut Conn<'_>, limit: i64, offset: i64) -> Result<Vec<ProjectUsage>> {
    let sql = "SELECT p.id AS project_id, p.name AS project_name, COUNT(DISTINCT f.id) AS files, CAST(COALESCE(SUM(v.size_bytes), 0) AS BIGINT) AS bytes \
               FROM files f JOIN projects p ON p.id = f.project_id JOIN file_versions v ON v.file_id = f.id \
               GROUP BY p.id, p.name ORDER BY bytes DESC, p.id LIMIT $1 OFFSET $2";
    on_conn!(conn, c => sqlx::query_as(sql).bind(limit).bind(offset).fetch_all(c).await).map_err(db_error)
}

/// Every version's bytes together.
pub async fn total_usage(conn: &mut Conn<'_>) -> Result<(i64, i64)> {
    let sql = "SELECT COUNT(*), CAST(COALESCE(SUM(size_bytes), 0) AS BIGINT) FROM file_versions";
    on_conn!(conn, c => sqlx::query_as(sql).fetch_one(c).await).map_err(db_error)
}

/// The largest files (current versions) of the installation.
pub async fn largest(conn: &mut Conn<'_>, limit: i64) -> Result<Vec<File>> {
    let sql =
        format!("SELECT {FILE_COLUMNS} FROM files f LEFT JOIN users u ON u.id = f.created_by ORDER BY f.size_bytes DESC, f.id LIMIT $1");
    on_conn!(conn, c => sqlx::query_as(&sql).bind(limit).fetch_all(c).await).map_err(db_error)
}

// Folders. Staff see them all; a client sees only those with a file visible to them inside,
// at any depth (`visible_folders`).

/// The folders of a project that hold, directly or in a subfolder at any depth, a file the
/// viewer sees: the folders a client may browse (empty and internal-only folders never show).
pub async fn visible_folders(conn: &mut Conn<'_>, scope: &Scope, project: ProjectId) -> Result<Vec<Folder>> {
    let sql = format!(
        "WITH RECURSIVE shown (id) AS ( \
           SELECT DISTINCT f.folder_id FROM files f \
           WHERE f.project_id = $3 AND f.folder_id IS NOT NULL AND f.task_id IS NULL AND {files} \
           UNION \
           SELECT fo.parent_id FROM file_folders fo JOIN shown ON fo.id = shown.id WHERE fo.parent_id IS NOT NULL) \
         SELECT fo.id, fo.project_id, fo.parent_id, fo.name, fo.created_at FROM file_folders fo \
         WHERE fo.project_id = $3 AND fo.id IN (SELECT id FROM shown) ORDER BY fo.name_key, fo.id LIMIT 2000",
        files = scope.files(),
    );
    on_conn!(conn, c => sqlx::query_as(&sql).bind(scope.subject()).bind(scope.permissions()).bind(project.0).fetch_all(c).await)
        .map_err(db_error)
}

pub async fn folder(conn: &mut Conn<'_>, project: ProjectId, id: FolderId) -> Result<Folder> {
    let sql = "SELECT id, project_id, parent_id, name, created_at FROM file_folders WHERE project_id = $1 AND id = $2";
    let row: Option<Folder> =
        on_conn!(conn, c => sqlx::query_as(sql).bind(project.0).bind(id.0).fetch_optional(c).await).map_err(db_error)?;
    row.ok_or(Error::NotFound)
}

/// The folders directly inside a folder (or at the top), by name.
pub async fn folders_in(conn: &mut Conn<'_>, project: ProjectId, parent: Option<FolderId>) -> Result<Vec<Folder>> {
    let sql = "SELECT id, project_id, parent_id, name, created_at FROM file_folders WHERE place_id = $1 AND project_id = $2 \
               ORDER BY name_key LIMIT 1000";
    let place = parent.map_or(project.0, |f| f.0);
    on_conn!(conn, c => sqlx::query_as(sql).bind(place).bind(project.0).fetch_all(c).await).map_err(db_error)
}

/// Every folder of a project (at most 2,000), for the move pickers.
pub async fn all_folders(conn: &mut Conn<'_>, project: ProjectId) -> Result<Vec<Folder>> {
    let sql = "SELECT id, project_id, parent_id, name, created_at FROM file_folders WHERE project_id = $1 ORDER BY name_key LIMIT 2000";
    on_conn!(conn, c => sqlx::query_as(sql).bind(project.0).fetch_all(c).await).map_err(db_error)
}

/// A folder and its ancestors, outermost first (breadcrumbs; also the cycle check of a move).
pub async fn folder_path(conn: &mut Conn<'_>, project: ProjectId, id: FolderId) -> Result<Vec<Folder>> {
    let sql = "WITH RECURSIVE path (id, project_id, parent_id, name, created_at, depth) AS ( \
                 SELECT id, project_id, parent_id, name, created_at, 0 FROM file_folders WHERE id = $1 AND project_id = $2 \
                 UNION ALL \
                 SELECT f.id, f.project_id, f.parent_id, f.name, f.created_at, path.depth + 1 \
                 FROM file_folders f JOIN path ON f.id = path.parent_id WHERE path.depth < 64) \
               SELECT id, project_id, parent_id, name, created_at FROM path ORDER BY depth DESC";
    let path: Vec<Folder> = on_conn!(conn, c => sqlx::query_as(sql).bind(id.0).bind(project.0).fetch_all(c).await).map_err(db_error)?;
    if path.is_empty() { Err(Error::NotFound) } else { Ok(path) }
}

pub async fn insert_folder(
    conn: &mut Conn<'_>,
    id: FolderId,
    project: ProjectId,
    parent: Option<FolderId>,
    name: &str,
    by: UserId,
    now: DateTime<Utc>,
) -> std::result::Result<(), sqlx::Error> {
    let sql = "INSERT INTO file_folders (id, project_id, parent_id, place_id, name, name_key, created_by, created_at) \
               VALUES ($1, $2, $3, $4, $5, $6, $7, $8)";
    execute!(
        conn,
        sqlx::query(sql)
            .bind(id.0)
            .bind(project.0)
            .bind(parent.map(|p| p.0))
            .bind(parent.map_or(project.0, |p| p.0))
            .bind(name)
            .bind(domain::files::name_key(name))
            .bind(by.0)
            .bind(now)
    )?;
    Ok(())
}

/// Renames and moves a folder in one statement (a unique violation when the name is taken).
pub async fn update_folder(
    conn: &mut Conn<'_>,
    project: ProjectId,
    id: FolderId,
    parent: Option<FolderId>,
    name: &str,
) -> std::result::Result<u64, sqlx::Error> {
    let sql = "UPDATE file_folders SET parent_id = $3, place_id = $4, name = $5, name_key = $6 WHERE project_id = $1 AND id = $2";
    execute!(
        conn,
        sqlx::query(sql)
            .bind(project.0)
            .bind(id.0)
            .bind(parent.map(|p| p.0))
            .bind(parent.map_or(project.0, |p| p.0))
            .bind(name)
            .bind(domain::files::name_key(name))
    )
}

/// Renames and moves a file (a unique violation when the name is taken in the new place).
pub async fn update_file(
    conn: &mut Conn<'_>,
    project: ProjectId,
    id: FileId,
    place: Place,
    name: &str,
    now: DateTime<Utc>,
) -> std::result::Result<u64, sqlx::Error> {
    let sql = "UPDATE files SET folder_id = $3, place_id = $4, name = $5, name_key = $6, updated_at = $7 \
               WHERE project_id = $1 AND id = $2 AND deleted_at IS NULL AND task_id IS NULL";
    execute!(
        conn,
        sqlx::query(sql)
            .bind(project.0)
            .bind(id.0)
            .bind(place.folder())
            .bind(place.id())
            .bind(name)
            .bind(domain::files::name_key(name))
            .bind(now)
    )
}

/// Whether a folder holds anything (files, the trash included, or folders).
pub async fn folder_is_empty(conn: &mut Conn<'_>, id: FolderId) -> Result<bool> {
    let sql = "SELECT (SELECT COUNT(*) FROM files WHERE folder_id = $1) + (SELECT COUNT(*) FROM file_folders WHERE parent_id = $1)";
    let count: i64 = on_conn!(conn, c => sqlx::query_scalar(sql).bind(id.0).fetch_one(c).await).map_err(db_error)?;
    Ok(count == 0)
}

pub async fn delete_folder(conn: &mut Conn<'_>, project: ProjectId, id: FolderId) -> Result<()> {
    execute!(
        conn,
        sqlx::query("DELETE FROM file_folders WHERE project_id = $1 AND id = $2")
            .bind(project.0)
            .bind(id.0)
    )
    .map_err(db_error)?;
    Ok(())
}
