//! The files API: a project's files and a task's attachments, uploads (multipart), downloads,
//! and staff changes, under the caller's scope: a client's token sees and does what the
//! portal lets that contact see and do.

use crate::AppState;
use crate::api_core::{ApiJson, ApiUser, Problem};
use crate::error::WebResult;
use crate::files::{DownloadQuery, receive, serve};
use crate::views::parse_id;
use app::files::Destination;
use axum::Json;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use domain::ids::{FileId, FolderId, ProjectId, TaskId};
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
        id: f.id,
        project_id: f.project_id,
        folder_id: f.folder_id,
        task_id: f.task_id,
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
    /// A task's attachments instead of the project's files.
    pub task: Option<Uuid>,
    #[param(minimum = 1)]
    pub page: Option<u32>,
    /// Up to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub per_page: Option<u32>,
}

/// The project's files the caller sees (every folder, newest first), or a task's attachments.
#[utoipa::path(get, path = "/api/v1/projects/{id}/files", tag = "files", params(("id" = Uuid, Path), ListQuery), responses(
    (status = 200, body = FilePage), (status = 401, body = Problem), (status = 404, body = Problem)
), security(("token" = [])))]
pub async fn list(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path(id): Path<String>,
    Query(query): Query<ListQuery>,
) -> WebResult<Json<FilePage>> {
    let viewer = user.viewer();
    let project: ProjectId = parse_id(&id)?;
    let page = within("page", query.page.unwrap_or(1).into(), 1, i64::from(u32::MAX))? as u32;
    let per_page = within("per_page", query.per_page.unwrap_or(50).into(), 1, 200)? as u32;
    let offset = i64::from(page - 1) * i64::from(per_page);
    let (files, total) = match query.task {
        Some(task) => {
            let files = state
                .app
                .files_in(&viewer, project, Destination::Task(TaskId(task)), None, 200)
                .await?;
            let total = files.len() as i64;
            (files.into_iter().skip(offset as usize).take(per_page as usize).collect(), total)
        }
        None => state.app.project_files(&viewer, project, i64::from(per_page), offset).await?,
    };
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
    /// A task to attach the files to.
    pub task: Option<Uuid>,
}

/// Uploads files (`multipart/form-data`, any field name, up to 20 files): each becomes a new
/// file or a new version of the file of the same name. Staff's attachments to a shared task are
/// shared with its clients unless a field `internal` = `on` comes before the files. The
/// answer lists what was saved and why anything was not.
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
    Query(query): Query<UploadQuery>,
    multipart: Multipart,
) -> WebResult {
    let viewer = user.viewer();
    let project: ProjectId = parse_id(&id)?;
    let destination = match (query.folder, query.task) {
        (_, Some(task)) => Destination::Task(TaskId(task)),
        (Some(folder), None) => Destination::Folder(FolderId(folder)),
        (None, None) => Destination::Top,
    };
    let report = receive(&state, &viewer, project, destination, multipart).await?;
    let status = if report.uploaded.is_empty() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::CREATED
    };
    Ok((status, Json(report)).into_response())
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
    Query(query): Query<DownloadQuery>,
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
    let folder = match (change.folder_id, change.move_to_top) {
        (_, true) => Some(None),
        (Some(folder), false) => Some(Some(FolderId(folder))),
        (None, false) => None,
    };
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

/// This feature's part of the OpenAPI document.
#[derive(utoipa::OpenApi)]
#[openapi(paths(list, upload, get, content, update, delete))]
pub(crate) struct FilesApi;
