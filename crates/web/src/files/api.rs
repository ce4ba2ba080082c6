//! The files API: a project's files, folders and trash, a task's attachments, uploads
//! (multipart), downloads, staff changes, and for admins the storage quota and media
//! management, under the caller's scope: a client's token sees and does what the portal lets
//! that contact see and do.

use crate::AppState;
use crate::api_core::{ApiJson, ApiQuery, ApiUser, Problem};
use crate::error::WebResult;
use crate::files::{DownloadQuery, receive, serve};
use crate::views::{TaskPath, parse_id};
use app::files::Destination;
use axum::Json;
use axum::extract::{Multipart, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use domain::ids::{FileId, FolderId, ProjectId};
use domain::users::within;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

#[derive(Serialize, ToSchema)]
pub struct FileView {
    pub id: Uuid,
    pub project_id: Uuid,
    pub folder_id: Option<Uuid>,
    /// Set for a task's attachment.
    pub task_id: Option<Uuid>,
    pub name: String,
    /// Determined from the content, not from the uploader's claim.
    pub content_type: String,
    pub size_bytes: i64,
    pub versions: i64,
    /// Shared with every client organisation on the project.
    pub client_visible: bool,
    /// Uploaded by a client contact (seen by staff and that organisation until shared).
    pub client_upload: bool,
    pub uploaded_by: Option<String>,
    pub updated_at: chrono::DateTime<chrono::Utc>,
}

fn file_view(f: &store::files::File) -> FileView {
    FileView {
        id: f.id.0,
        project_id: f.project_id.0,
        folder_id: f.folder_id.map(|id| id.0),
        task_id: f.task_id.map(|id| id.0),
        name: f.name.clone(),
        content_type: f.content_type.clone(),
        size_bytes: f.size_bytes,
        versions: f.version_count,
        client_visible: f.client_visible,
        client_upload: f.uploader_org_id.is_some(),
        uploaded_by: f.uploader_name.clone(),
        updated_at: f.updated_at,
    }
}

#[derive(Serialize, ToSchema)]
pub struct FilePage {
    pub items: Vec<FileView>,
    pub total: i64,
    pub page: u32,
    pub per_page: u32,
}

#[derive(Deserialize, IntoParams, Default)]
#[into_params(parameter_in = Query)]
#[serde(default)]
pub struct ListQuery {
    #[param(minimum = 1)]
    pub page: Option<u32>,
    /// Up to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub per_page: Option<u32>,
}

impl ListQuery {
    /// The page, its size and the offset, refused when out of range.
    fn paging(&self) -> Result<(u32, u32, i64), domain::Error> {
        let page = within("page", self.page.unwrap_or(1).into(), 1, i64::from(u32::MAX))? as u32;
        let per_page = within("per_page", self.per_page.unwrap_or(50).into(), 1, 200)? as u32;
        Ok((page, per_page, i64::from(page - 1) * i64::from(per_page)))
    }
}

/// The project's files the caller sees, in every folder, newest first.
#[utoipa::path(get, path = "/api/v1/projects/{id}/files", tag = "files", params(("id" = Uuid, Path), ListQuery), responses(
    (status = 200, body = FilePage), (status = 401, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)
), security(("token" = [])))]
pub async fn list(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path(id): Path<String>,
    ApiQuery(query): ApiQuery<ListQuery>,
) -> WebResult<Json<FilePage>> {
    let project: ProjectId = parse_id(&id)?;
    let (page, per_page, offset) = query.paging()?;
    let (files, total) = state
        .app
        .project_files(&user.viewer(), project, i64::from(per_page), offset)
        .await?;
    Ok(Json(FilePage {
        items: files.iter().map(file_view).collect(),
        total,
        page,
        per_page,
    }))
}

/// The files of an upload: one part per file, any field name.
#[derive(ToSchema)]
#[allow(dead_code)] // describes the multipart body for the OpenAPI document
pub struct UploadForm {
    #[schema(value_type = Vec<String>, format = Binary)]
    files: Vec<Vec<u8>>,
    /// `on` before the files keeps staff's attachments to a shared task internal.
    internal: Option<String>,
}

#[derive(Deserialize, IntoParams, Default)]
#[into_params(parameter_in = Query)]
#[serde(default)]
pub struct UploadQuery {
    /// A folder of the project (staff).
    pub folder: Option<Uuid>,
}

/// 201 when at least one file was saved, else 422; the report says what happened to each.
fn upload_answer(report: crate::files::UploadReport) -> Response {
    let status = if report.uploaded.is_empty() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::CREATED
    };
    (status, Json(report)).into_response()
}

/// Uploads files (`multipart/form-data`, any field name, up to 20 files): each becomes a new
/// file or a new version of the file of the same name. The answer lists what was saved and
/// why anything was not.
#[utoipa::path(post, path = "/api/v1/projects/{id}/files", tag = "files", params(("id" = Uuid, Path), UploadQuery),
    request_body(content = UploadForm, content_type = "multipart/form-data"),
    responses(
        (status = 201, body = crate::files::UploadReport, description = "At least one file was saved"), (status = 401, body = Problem),
        (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 413, body = Problem, description = "Larger than the upload limit"),
        (status = 422, body = crate::files::UploadReport, description = "No file was saved, and why")
    ), security(("token" = [])))]
pub async fn upload(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path(id): Path<String>,
    ApiQuery(query): ApiQuery<UploadQuery>,
    multipart: Multipart,
) -> WebResult {
    let project: ProjectId = parse_id(&id)?;
    let destination = query.folder.map_or(Destination::Top, |f| Destination::Folder(FolderId(f)));
    Ok(upload_answer(
        receive(&state, &user.viewer(), project, destination, multipart).await?,
    ))
}

/// A task's attachments the caller sees, by name.
#[utoipa::path(get, path = "/api/v1/projects/{id}/tasks/{task}/attachments", tag = "files", params(("id" = Uuid, Path), ("task" = Uuid, Path)), responses(
    (status = 200, body = Vec<FileView>), (status = 401, body = Problem), (status = 404, body = Problem)
), security(("token" = [])))]
pub async fn attachments(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    TaskPath(project, task): TaskPath,
) -> WebResult<Json<Vec<FileView>>> {
    let files = state
        .app
        .files_in(&user.viewer(), project, Destination::Task(task), None, 200)
        .await?;
    Ok(Json(files.iter().map(file_view).collect()))
}

/// Attaches files to a task (`multipart/form-data`, as uploads). Staff's attachments to a
/// shared task are shared with its clients unless a field `internal` = `on` comes before the
/// files; a client's need the upload permission.
#[utoipa::path(post, path = "/api/v1/projects/{id}/tasks/{task}/attachments", tag = "files", params(("id" = Uuid, Path), ("task" = Uuid, Path)),
    request_body(content = UploadForm, content_type = "multipart/form-data"),
    responses(
        (status = 201, body = crate::files::UploadReport, description = "At least one file was saved"), (status = 401, body = Problem),
        (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 413, body = Problem, description = "Larger than the upload limit"),
        (status = 422, body = crate::files::UploadReport, description = "No file was saved, and why")
    ), security(("token" = [])))]
pub async fn attach(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    TaskPath(project, task): TaskPath,
    multipart: Multipart,
) -> WebResult {
    Ok(upload_answer(
        receive(&state, &user.viewer(), project, Destination::Task(task), multipart).await?,
    ))
}

#[derive(Serialize, ToSchema)]
pub struct VersionView {
    pub number: i64,
    pub content_type: String,
    pub size_bytes: i64,
    pub sha256: String,
    pub uploaded_by: Option<String>,
    pub created_at: chrono::DateTime<chrono::Utc>,
}

#[derive(Serialize, ToSchema)]
pub struct FileDetail {
    #[serde(flatten)]
    pub file: FileView,
    /// Newest first; a client gets only the current one.
    pub history: Vec<VersionView>,
}

/// One file, with its versions.
#[utoipa::path(get, path = "/api/v1/projects/{id}/files/{file}", tag = "files", params(("id" = Uuid, Path), ("file" = Uuid, Path)), responses(
    (status = 200, body = FileDetail), (status = 401, body = Problem), (status = 404, body = Problem)
), security(("token" = [])))]
pub async fn get(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path((id, file)): Path<(String, String)>,
) -> WebResult<Json<FileDetail>> {
    let (project, file): (ProjectId, FileId) = (parse_id(&id)?, parse_id(&file)?);
    let (file, versions) = state.app.file(&user.viewer(), project, file).await?;
    Ok(Json(FileDetail {
        file: file_view(&file),
        history: versions
            .iter()
            .map(|v| VersionView {
                number: v.number,
                content_type: v.content_type.clone(),
                size_bytes: v.size_bytes,
                sha256: v.sha256.clone(),
                uploaded_by: v.uploaded_by_name.clone(),
                created_at: v.created_at,
            })
            .collect(),
    }))
}

/// The file's bytes (ranges honoured), or a redirect to a short-lived link when files are on
/// S3. HTML, SVG and scripts come only as `application/octet-stream`.
#[utoipa::path(get, path = "/api/v1/projects/{id}/files/{file}/content", tag = "files", params(("id" = Uuid, Path), ("file" = Uuid, Path), DownloadQuery), responses(
    (status = 200, description = "The bytes"), (status = 206, description = "A range of the bytes"), (status = 303, description = "A presigned link (S3)"),
    (status = 401, body = Problem), (status = 404, body = Problem)
), security(("token" = [])))]
pub async fn content(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path((id, file)): Path<(String, String)>,
    ApiQuery(query): ApiQuery<DownloadQuery>,
    headers: HeaderMap,
) -> WebResult {
    let (project, file): (ProjectId, FileId) = (parse_id(&id)?, parse_id(&file)?);
    serve(&state, &user.viewer(), project, file, &query, &headers).await
}

#[derive(Deserialize, ToSchema)]
pub struct FileChange {
    pub name: Option<String>,
    /// Moves the file; `null` with `move_to_top` moves it to the top level.
    pub folder_id: Option<Uuid>,
    #[serde(default)]
    pub move_to_top: bool,
    pub client_visible: Option<bool>,
}

/// Where a change moves a file or folder: into a folder, to the top level (`move_to_top`
/// wins), or nowhere (`None`: it stays).
fn move_target(folder: Option<Uuid>, move_to_top: bool) -> Option<Option<FolderId>> {
    match (folder, move_to_top) {
        (_, true) => Some(None),
        (Some(folder), false) => Some(Some(FolderId(folder))),
        (None, false) => None,
    }
}

/// Renames, moves, shares or unshares a file (staff).
#[utoipa::path(patch, path = "/api/v1/projects/{id}/files/{file}", tag = "files", params(("id" = Uuid, Path), ("file" = Uuid, Path)), request_body = FileChange, responses(
    (status = 200, body = FileView), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)
), security(("token" = [])))]
pub async fn update(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path((id, file)): Path<(String, String)>,
    ApiJson(change): ApiJson<FileChange>,
) -> WebResult<Json<FileView>> {
    let viewer = user.viewer();
    let (project, id): (ProjectId, FileId) = (parse_id(&id)?, parse_id(&file)?);
    let folder = move_target(change.folder_id, change.move_to_top);
    let change = app::files::FileChange {
        name: change.name,
        folder,
        client_visible: change.client_visible,
    };
    Ok(Json(file_view(&state.app.change_file(&viewer, project, id, &change).await?)))
}

/// Moves a file to the trash (staff; a client only their organisation's unshared upload).
#[utoipa::path(delete, path = "/api/v1/projects/{id}/files/{file}", tag = "files", params(("id" = Uuid, Path), ("file" = Uuid, Path)), responses(
    (status = 204, description = "In the trash"), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)
), security(("token" = [])))]
pub async fn delete(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path((id, file)): Path<(String, String)>,
) -> WebResult<Response> {
    let (project, file): (ProjectId, FileId) = (parse_id(&id)?, parse_id(&file)?);
    state.app.trash_file(&user.viewer(), project, file).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// Restores a file from the trash (staff).
#[utoipa::path(post, path = "/api/v1/projects/{id}/files/{file}/restore", tag = "files", params(("id" = Uuid, Path), ("file" = Uuid, Path)), responses(
    (status = 200, body = FileDetail), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem),
    (status = 422, body = Problem, description = "A file of that name is there now")
), security(("token" = [])))]
pub async fn restore(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path((id, file)): Path<(String, String)>,
) -> WebResult<Json<FileDetail>> {
    let (project, file_id): (ProjectId, FileId) = (parse_id(&id)?, parse_id(&file)?);
    state.app.restore_file(&user.viewer(), project, file_id).await?;
    get(State(state), ApiUser(user), Path((id, file))).await
}

/// The project's trash, most recently deleted first (staff). Files stay there for the
/// configured number of days, then go for good.
#[utoipa::path(get, path = "/api/v1/projects/{id}/trash", tag = "files", params(("id" = Uuid, Path), ListQuery), responses(
    (status = 200, body = Vec<FileView>), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem),
    (status = 422, body = Problem)
), security(("token" = [])))]
pub async fn trash(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path(id): Path<String>,
    ApiQuery(query): ApiQuery<ListQuery>,
) -> WebResult<Json<Vec<FileView>>> {
    let (_, per_page, offset) = query.paging()?;
    let files = state
        .app
        .trashed_files(&user.viewer(), parse_id(&id)?, i64::from(per_page), offset)
        .await?;
    Ok(Json(files.iter().map(file_view).collect()))
}

#[derive(Serialize, ToSchema)]
pub struct FolderView {
    pub id: Uuid,
    /// Absent at the top level.
    pub parent_id: Option<Uuid>,
    pub name: String,
    pub created_at: chrono::DateTime<chrono::Utc>,
}

fn folder_view(f: store::files::Folder) -> FolderView {
    FolderView {
        id: f.id.0,
        parent_id: f.parent_id.map(|id| id.0),
        name: f.name,
        created_at: f.created_at,
    }
}

/// The project's folders, by name: every one for staff; for a client, those that hold
/// something they see.
#[utoipa::path(get, path = "/api/v1/projects/{id}/folders", tag = "files", params(("id" = Uuid, Path)), responses(
    (status = 200, body = Vec<FolderView>), (status = 401, body = Problem), (status = 404, body = Problem)
), security(("token" = [])))]
pub async fn folders(State(state): State<AppState>, ApiUser(user): ApiUser, Path(id): Path<String>) -> WebResult<Json<Vec<FolderView>>> {
    let folders = state.app.folders(&user.viewer(), parse_id(&id)?).await?;
    Ok(Json(folders.into_iter().map(folder_view).collect()))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FolderRequest {
    #[schema(min_length = 1, max_length = 255)]
    pub name: String,
    /// The folder to create it in; absent for the top level.
    pub parent_id: Option<Uuid>,
}

/// Creates a folder (staff).
#[utoipa::path(post, path = "/api/v1/projects/{id}/folders", tag = "files", params(("id" = Uuid, Path)), request_body = FolderRequest, responses(
    (status = 201, body = FolderView), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem),
    (status = 422, body = Problem)
), security(("token" = [])))]
pub async fn create_folder(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path(id): Path<String>,
    ApiJson(request): ApiJson<FolderRequest>,
) -> WebResult {
    let viewer = user.viewer();
    let project: ProjectId = parse_id(&id)?;
    let folder = state
        .app
        .create_folder(&viewer, project, request.parent_id.map(FolderId), &request.name)
        .await?;
    let created = find_folder(&state, &viewer, project, folder).await?;
    Ok((StatusCode::CREATED, Json(created)).into_response())
}

async fn find_folder(
    state: &AppState,
    viewer: &domain::access::Viewer,
    project: ProjectId,
    id: FolderId,
) -> Result<FolderView, domain::Error> {
    let folders = state.app.folders(viewer, project).await?;
    folders
        .into_iter()
        .find(|f| f.id == id)
        .map(folder_view)
        .ok_or(domain::Error::NotFound)
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FolderChange {
    #[schema(min_length = 1, max_length = 255)]
    pub name: Option<String>,
    /// Moves the folder into another (never into itself or its subfolders).
    pub parent_id: Option<Uuid>,
    /// Moves the folder to the top level.
    #[serde(default)]
    pub move_to_top: bool,
}

/// Renames a folder or moves it (staff).
#[utoipa::path(patch, path = "/api/v1/projects/{id}/folders/{folder}", tag = "files", params(("id" = Uuid, Path), ("folder" = Uuid, Path)),
    request_body = FolderChange, responses(
    (status = 200, body = FolderView), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem),
    (status = 422, body = Problem)
), security(("token" = [])))]
pub async fn update_folder(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path((id, folder)): Path<(String, String)>,
    ApiJson(change): ApiJson<FolderChange>,
) -> WebResult<Json<FolderView>> {
    let viewer = user.viewer();
    let (project, folder): (ProjectId, FolderId) = (parse_id(&id)?, parse_id(&folder)?);
    let current = find_folder(&state, &viewer, project, folder).await?;
    let parent = move_target(change.parent_id, change.move_to_top).unwrap_or(current.parent_id.map(FolderId));
    let name = change.name.as_deref().unwrap_or(&current.name);
    state.app.update_folder(&viewer, project, folder, parent, name).await?;
    Ok(Json(find_folder(&state, &viewer, project, folder).await?))
}

/// Deletes an empty folder (staff).
#[utoipa::path(delete, path = "/api/v1/projects/{id}/folders/{folder}", tag = "files", params(("id" = Uuid, Path), ("folder" = Uuid, Path)), responses(
    (status = 204, description = "Deleted"), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem),
    (status = 422, body = Problem, description = "The folder is not empty")
), security(("token" = [])))]
pub async fn delete_folder(State(state): State<AppState>, ApiUser(user): ApiUser, Path((id, folder)): Path<(String, String)>) -> WebResult {
    let (project, folder): (ProjectId, FolderId) = (parse_id(&id)?, parse_id(&folder)?);
    state.app.delete_folder(&user.viewer(), project, folder).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

#[derive(Serialize, ToSchema)]
pub struct Storage {
    /// What the project's files take: every version, the trash included.
    pub used_bytes: u64,
    /// The cap; null for none.
    pub quota_bytes: Option<u64>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StorageQuota {
    /// The cap in bytes; null lifts it.
    pub quota_bytes: Option<u64>,
}

/// What the project's files take and their cap (admins).
#[utoipa::path(get, path = "/api/v1/projects/{id}/storage", tag = "files", params(("id" = Uuid, Path)), responses(
    (status = 200, body = Storage), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)
), security(("token" = [])))]
pub async fn storage(State(state): State<AppState>, ApiUser(user): ApiUser, Path(id): Path<String>) -> WebResult<Json<Storage>> {
    let viewer = user.viewer();
    let project: ProjectId = parse_id(&id)?;
    state.app.check_manage(&viewer, project).await?;
    let (used_bytes, quota_bytes) = state.app.storage_use(&viewer, project).await?;
    Ok(Json(Storage { used_bytes, quota_bytes }))
}

/// Caps what the project's files may take; `null` lifts the cap (admins).
#[utoipa::path(put, path = "/api/v1/projects/{id}/storage", tag = "files", params(("id" = Uuid, Path)), request_body = StorageQuota, responses(
    (status = 200, body = Storage), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)
), security(("token" = [])))]
pub async fn set_storage(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path(id): Path<String>,
    ApiJson(request): ApiJson<StorageQuota>,
) -> WebResult<Json<Storage>> {
    let viewer = user.viewer();
    let project: ProjectId = parse_id(&id)?;
    state.app.check_manage(&viewer, project).await?;
    state.app.set_storage_quota(&viewer, project, request.quota_bytes).await?;
    storage(State(state), ApiUser(user), Path(id)).await
}

#[derive(Serialize, ToSchema)]
pub struct ProjectUsageView {
    pub project_id: Uuid,
    pub project_name: String,
    pub files: i64,
    pub bytes: i64,
}

/// The background check or cleanup of stored objects, as far as it has come.
#[derive(Serialize, ToSchema)]
pub struct MediaTaskView {
    /// `idle`, `running`, `checked`, `cleaned` or `failed`.
    pub state: String,
    /// While running: whether it cleans up, not only checks.
    pub cleaning: bool,
    pub checked_objects: usize,
    pub checked_rows: usize,
    /// Found by a check (`checked`) or removed by a cleanup (`cleaned`).
    pub orphaned_objects: usize,
    pub orphaned_rows: usize,
    pub unfinished_uploads: usize,
    pub error: Option<String>,
}

impl From<app::files::MediaTask> for MediaTaskView {
    fn from(task: app::files::MediaTask) -> Self {
        use app::files::MediaTask;
        let mut view = MediaTaskView {
            state: String::new(),
            cleaning: false,
            checked_objects: 0,
            checked_rows: 0,
            orphaned_objects: 0,
            orphaned_rows: 0,
            unfinished_uploads: 0,
            error: None,
        };
        match task {
            MediaTask::Idle => view.state = "idle".into(),
            MediaTask::Running {
                cleaning,
                checked_objects,
                checked_rows,
            } => {
                view.state = "running".into();
                (view.cleaning, view.checked_objects, view.checked_rows) = (cleaning, checked_objects, checked_rows);
            }
            MediaTask::Checked(found) => {
                view.state = "checked".into();
                (view.checked_objects, view.checked_rows) = (found.checked_objects, found.checked_rows);
                (view.orphaned_objects, view.orphaned_rows, view.unfinished_uploads) =
                    (found.objects.len(), found.rows.len(), found.unfinished.len());
            }
            MediaTask::Cleaned { objects, rows } => {
                view.state = "cleaned".into();
                (view.orphaned_objects, view.orphaned_rows) = (objects, rows);
            }
            MediaTask::Failed(error) => {
                view.state = "failed".into();
                view.error = Some(error);
            }
        }
        view
    }
}

#[derive(Serialize, ToSchema)]
pub struct MediaView {
    pub versions: i64,
    pub bytes: i64,
    /// Storage per project, largest first (paged by `page` and `per_page`).
    pub by_project: Vec<ProjectUsageView>,
    /// The largest files.
    pub largest: Vec<FileView>,
    pub task: MediaTaskView,
}

/// Storage in total and per project, the largest files, and the orphan check's progress (admins).
#[utoipa::path(get, path = "/api/v1/media", tag = "files", params(ListQuery), responses(
    (status = 200, body = MediaView), (status = 401, body = Problem), (status = 403, body = Problem), (status = 422, body = Problem)
), security(("token" = [])))]
pub async fn media(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiQuery(query): ApiQuery<ListQuery>,
) -> WebResult<Json<MediaView>> {
    let viewer = user.viewer();
    let (_, per_page, offset) = query.paging()?;
    let report = state.app.media_report(&viewer, i64::from(per_page), offset).await?;
    Ok(Json(MediaView {
        versions: report.versions,
        bytes: report.bytes,
        by_project: report
            .by_project
            .into_iter()
            .map(|u| ProjectUsageView {
                project_id: u.project_id.0,
                project_name: u.project_name,
                files: u.files,
                bytes: u.bytes,
            })
            .collect(),
        largest: report.largest.iter().map(file_view).collect(),
        task: state.app.media_task(&viewer)?.into(),
    }))
}

/// Starts checking storage for orphans in the background (admins); `GET /api/v1/media` shows
/// its progress and what it found.
#[utoipa::path(post, path = "/api/v1/media/orphans", tag = "files", responses(
    (status = 202, body = MediaTaskView), (status = 401, body = Problem), (status = 403, body = Problem)
), security(("token" = [])))]
pub async fn check_orphans(State(state): State<AppState>, ApiUser(user): ApiUser) -> WebResult {
    let viewer = user.viewer();
    state.app.start_media_task(&viewer, None)?;
    Ok((StatusCode::ACCEPTED, Json(MediaTaskView::from(state.app.media_task(&viewer)?))).into_response())
}

/// Starts the check and removes what it finds (objects older than an hour) in the background
/// (admins).
#[utoipa::path(post, path = "/api/v1/media/cleanup", tag = "files", responses(
    (status = 202, body = MediaTaskView), (status = 401, body = Problem), (status = 403, body = Problem)
), security(("token" = [])))]
pub async fn clean_orphans(State(state): State<AppState>, ApiUser(user): ApiUser) -> WebResult {
    let viewer = user.viewer();
    state.app.start_media_task(&viewer, Some(crate::files::orphan_grace()))?;
    Ok((StatusCode::ACCEPTED, Json(MediaTaskView::from(state.app.media_task(&viewer)?))).into_response())
}

/// This feature's part of the OpenAPI document.
#[derive(utoipa::OpenApi)]
#[openapi(paths(
    list,
    upload,
    get,
    content,
    update,
    delete,
    restore,
    trash,
    attachments,
    attach,
    folders,
    create_folder,
    update_folder,
    delete_folder,
    storage,
    set_storage,
    media,
    check_orphans,
    clean_orphans
))]
pub(crate) struct FilesApi;
