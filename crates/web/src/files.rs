//! Files: the staff's project files (folders, upload, share, delete), the portal's list of
//! what is shared with the contact (and their own uploads), and downloads that pass the policy
//! on every request.

use crate::AppState;
use crate::context::{Ctx, PageContext, Person, render};
use crate::error::{AppError, WebResult};
use crate::forms::{Flash, redirect_with_flash, safe_next};
use crate::request::MAX_FILES_PER_UPLOAD;
use crate::routing::{Route, route, upload_route};
use crate::views::files::{FileRow, kind_label};
use crate::views::portal::{PortalView, preview_of};
use crate::views::{PageQuery, TaskPath, optional_id, parse_id};
use app::files::{Destination, FileChange, FileDetails, MediaTask};
use askama::Template;
use axum::Form;
use axum::body::Body;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::Method;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use domain::Error;
use domain::access::{Permission, Viewer};
use domain::files::{Disposition, content_disposition, format_size};
use domain::ids::{FileId, FolderId, ProjectId};
use domain::users::PageRequest;
use futures_util::TryStreamExt;
use serde::Deserialize;

/// Files and folders: the staff file browser, the portal's files, task attachments, storage administration and the files API.
pub(crate) fn routes() -> Vec<Route> {
    use crate::routing::Access::*;
    use domain::access::Area::{Admin, Portal, Workspace};
    vec![
        route(Method::GET, "/portal/files", Area(Portal), portal_all_files_page),
        route(Method::GET, "/projects/{id}/files", Area(Workspace), files_page),
        upload_route("/projects/{id}/files", Area(Workspace), upload),
        route(Method::POST, "/projects/{id}/folders", Area(Workspace), create_folder),
        route(Method::GET, "/projects/{id}/files/{file}/download", Area(Workspace), download),
        route(
            Method::POST,
            "/projects/{id}/files/{file}/visibility",
            Area(Workspace),
            set_visibility,
        ),
        route(Method::POST, "/projects/{id}/files/{file}/delete", Area(Workspace), delete),
        route(Method::GET, "/projects/{id}/files/trash", Area(Workspace), trash_page),
        route(Method::POST, "/projects/{id}/files/quota", Area(Workspace), set_quota),
        route(Method::GET, "/projects/{id}/files/{file}/thumbnail", Area(Workspace), thumbnail),
        route(Method::GET, "/portal/projects/{id}/files/{file}/thumbnail", Area(Portal), thumbnail),
        route(Method::GET, "/projects/{id}/files/{file}", Area(Workspace), detail_page),
        route(Method::POST, "/projects/{id}/files/{file}", Area(Workspace), update),
        route(Method::POST, "/projects/{id}/folders/{folder}", Area(Workspace), update_folder),
        route(Method::POST, "/projects/{id}/files/{file}/restore", Area(Workspace), restore),
        route(Method::GET, "/admin/media", Area(Admin), media),
        route(Method::POST, "/admin/media/orphans", Area(Admin), check_orphans),
        route(Method::POST, "/admin/media/cleanup", Area(Admin), clean_orphans),
        upload_route("/projects/{id}/tasks/{task}/attachments", Area(Workspace), attach),
        upload_route("/portal/projects/{id}/tasks/{task}/attachments", Area(Portal), attach),
        route(Method::GET, "/portal/projects/{id}/files", Area(Portal), portal_files_page),
        upload_route("/portal/projects/{id}/files", Area(Portal), portal_upload),
        route(Method::GET, "/portal/projects/{id}/files/{file}", Area(Portal), portal_file_page),
        route(Method::GET, "/portal/projects/{id}/files/{file}/download", Area(Portal), download),
        route(Method::POST, "/portal/projects/{id}/files/{file}/delete", Area(Portal), delete),
        route(
            Method::GET,
            "/admin/preview/{contact}/projects/{id}/files",
            Area(Admin),
            preview_files,
        ),
        route(Method::GET, "/api/v1/projects/{id}/files", ApiUser, api::list),
        upload_route("/api/v1/projects/{id}/files", ApiUser, api::upload),
        route(Method::GET, "/api/v1/projects/{id}/files/{file}", ApiUser, api::get),
        route(Method::POST, "/api/v1/projects/{id}/files/{file}/restore", ApiUser, api::restore),
        route(Method::GET, "/api/v1/projects/{id}/trash", ApiUser, api::trash),
        route(Method::GET, "/api/v1/projects/{id}/folders", ApiUser, api::folders),
        route(Method::POST, "/api/v1/projects/{id}/folders", ApiUser, api::create_folder),
        route(Method::PATCH, "/api/v1/projects/{id}/folders/{folder}", ApiUser, api::update_folder),
        route(
            Method::DELETE,
            "/api/v1/projects/{id}/folders/{folder}",
            ApiUser,
            api::delete_folder,
        ),
        route(
            Method::GET,
            "/api/v1/projects/{id}/tasks/{task}/attachments",
            ApiUser,
            api::attachments,
        ),
        upload_route("/api/v1/projects/{id}/tasks/{task}/attachments", ApiUser, api::attach),
        route(Method::GET, "/api/v1/projects/{id}/storage", ApiAdmin, api::storage),
        route(Method::PUT, "/api/v1/projects/{id}/storage", ApiAdmin, api::set_storage),
        route(Method::GET, "/api/v1/media", ApiAdmin, api::media),
        route(Method::POST, "/api/v1/media/orphans", ApiAdmin, api::check_orphans),
        route(Method::POST, "/api/v1/media/cleanup", ApiAdmin, api::clean_orphans),
        route(Method::PATCH, "/api/v1/projects/{id}/files/{file}", ApiUser, api::update),
        route(Method::DELETE, "/api/v1/projects/{id}/files/{file}", ApiUser, api::delete),
        route(Method::GET, "/api/v1/projects/{id}/files/{file}/content", ApiUser, api::content),
    ]
}

/// Files listed per page.
const PAGE_SIZE: i64 = 50;

#[derive(Deserialize, Default)]
pub struct ListQuery {
    #[serde(default)]
    folder: String,
    /// Keyset of the next page: the last file's name key and id.
    #[serde(default)]
    after: String,
    #[serde(default)]
    after_id: String,
}

pub struct FolderLink {
    pub name: String,
    pub href: String,
}

#[derive(Template)]
#[template(path = "files.html")]
struct FilesPage {
    ctx: PageContext,
    project_id: String,
    project_name: String,
    folder: String,
    path: Vec<FolderLink>,
    folders: Vec<FolderLink>,
    files: Vec<FileRow>,
    next: Option<String>,
    max_upload: String,
    /// Inside a folder: its name, parent and the folders it may move under.
    current: Option<(String, String)>,
    /// Admins: the project's quota (MiB, empty for none) and what its files take.
    quota: Option<(String, String)>,
    move_targets: Vec<(String, String)>,
}

fn folder_href(project: ProjectId, folder: Option<uuid::Uuid>) -> String {
    folder_href_in(&format!("/projects/{project}/files"), folder)
}

/// A folder's address under a files page (`base`), or the page itself for the top.
fn folder_href_in(base: &str, folder: Option<uuid::Uuid>) -> String {
    match folder {
        Some(f) => format!("{base}?folder={f}"),
        None => base.to_owned(),
    }
}

/// The "Next page" address of a listing read with one file more than a page (`here`: the
/// listing's address, its `?folder=` included): the keyset of the page's last file.
fn next_page_href(here: &str, files: &[store::files::File]) -> Option<String> {
    (files.len() as i64 > PAGE_SIZE).then(|| {
        let last = &files[PAGE_SIZE as usize - 1];
        let separator = if here.contains('?') { '&' } else { '?' };
        format!(
            "{here}{separator}after={}&after_id={}",
            percent_encoding::utf8_percent_encode(&domain::files::name_key(&last.name), percent_encoding::NON_ALPHANUMERIC),
            last.id
        )
    })
}

pub async fn files_page(
    State(state): State<AppState>,
    Ctx(ctx): Ctx,
    Person(viewer): Person,
    Path(id): Path<String>,
    Query(query): Query<ListQuery>,
) -> WebResult {
    let project: ProjectId = parse_id(&id)?;
    let folder: Option<FolderId> = optional_id("folder", &query.folder).map_err(|_| AppError(Error::NotFound))?;
    let after_id: Option<FileId> = optional_id("after_id", &query.after_id).map_err(|_| AppError(Error::NotFound))?;
    let after = after_id.map(|id| (query.after.as_str(), id));
    let listing = state.app.folder_listing(&viewer, project, folder, after, PAGE_SIZE + 1).await?;
    let next = next_page_href(&folder_href(project, folder.map(|f| f.0)), &listing.files);
    let base = format!("/projects/{project}/files");
    let current = listing
        .path
        .last()
        .map(|f| (f.name.clone(), f.parent_id.map(|p| p.to_string()).unwrap_or_default()));
    let quota = listing.storage.map(|(used, quota)| {
        (
            quota.map(|q| (q / (1024 * 1024)).to_string()).unwrap_or_default(),
            format_size(used),
        )
    });
    Ok(render(&FilesPage {
        quota,
        current,
        move_targets: listing.move_targets,
        project_id: project.to_string(),
        project_name: listing.project.name,
        folder: folder.map(|f| f.to_string()).unwrap_or_default(),
        path: listing
            .path
            .iter()
            .map(|f| FolderLink {
                name: f.name.clone(),
                href: folder_href(project, Some(f.id.0)),
            })
            .collect(),
        folders: listing
            .folders
            .iter()
            .map(|f| FolderLink {
                name: f.name.clone(),
                href: folder_href(project, Some(f.id.0)),
            })
            .collect(),
        files: listing
            .files
            .iter()
            .take(PAGE_SIZE as usize)
            .map(|f| FileRow::new(f, &base))
            .collect(),
        next,
        max_upload: format_size(state.app.config.files.max_upload_bytes),
        ctx,
    }))
}

#[derive(Deserialize, Default)]
pub struct UploadQuery {
    #[serde(default)]
    folder: String,
}

/// What one upload request did, file by file.
#[derive(serde::Serialize, Default, utoipa::ToSchema)]
pub struct UploadReport {
    pub(crate) uploaded: Vec<UploadedFile>,
    /// Why a file was not saved, one sentence each.
    pub(crate) errors: Vec<String>,
}

#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct UploadedFile {
    #[schema(value_type = uuid::Uuid)]
    id: FileId,
    name: String,
    version: i64,
}

impl UploadReport {
    /// What the uploader is told: a success when every file arrived, an error when none did,
    /// a warning when some were refused.
    fn summary(&self) -> Flash {
        let mut parts = Vec::new();
        match self.uploaded.as_slice() {
            [] => {}
            [one] if one.version > 1 => parts.push(format!("Uploaded version {} of {}.", one.version, one.name)),
            [one] => parts.push(format!("Uploaded {}.", one.name)),
            many => parts.push(format!("Uploaded {} files.", many.len())),
        }
        parts.extend(self.errors.iter().cloned());
        let text = if parts.is_empty() {
            "Choose at least one file to upload.".to_owned()
        } else {
            parts.join(" ")
        };
        match (self.uploaded.is_empty(), self.errors.is_empty()) {
            (false, true) => Flash::success(text),
            (false, false) => Flash::warning(text),
            (true, _) => Flash::error(text),
        }
    }
}

/// Streams every file of a multipart upload to storage, one after the other; a file that is
/// refused (too large, empty, a bad name) does not stop the others.
async fn receive(
    state: &AppState,
    viewer: &Viewer,
    project: ProjectId,
    destination: Destination,
    mut multipart: Multipart,
) -> Result<UploadReport, AppError> {
    let mut permit = state.app.permit_upload(viewer, project, destination).await?;
    let mut report = UploadReport::default();
    let mut count = 0;
    loop {
        let field = match multipart.next_field().await {
            Ok(Some(field)) => field,
            Ok(None) => break,
            Err(e) => {
                report.errors.push(format!(
                    "The upload was interrupted ({}); files not listed as uploaded were not saved.",
                    CauseChain(Box::new(e))
                ));
                break;
            }
        };
        let name = match part_file_name(&field) {
            Ok(Some(name)) if !name.is_empty() => name,
            // "Keep internal" (before the files in the form): the attachments stay staff's.
            Ok(None) if field.name() == Some("internal") => {
                if field.text().await.is_ok_and(|value| value == "on") {
                    permit.keep_internal();
                }
                continue;
            }
            // Another form field, or a file input left empty (`filename=""`).
            Ok(_) => continue,
            Err(refused) => {
                report.errors.push(refused);
                continue;
            }
        };
        count += 1;
        if count > MAX_FILES_PER_UPLOAD {
            report.errors.push(format!(
                "At most {MAX_FILES_PER_UPLOAD} files go in one upload; {name} and those after it were not saved."
            ));
            break;
        }
        let body = field.map_err(|e| CauseChain(Box::new(e)));
        match state.app.upload(viewer, &permit, &name, body).await {
            Ok(done) => report.uploaded.push(UploadedFile {
                id: done.file,
                name: done.name,
                version: done.version,
            }),
            // The request broke off: nothing more can be read from it.
            Err(Error::Invalid { field: "body", message }) => {
                report
                    .errors
                    .push(format!("{message} Files not listed as uploaded were not saved."));
                break;
            }
            Err(Error::Invalid { message, .. }) | Err(Error::Conflict { message, .. }) => report.errors.push(message),
            // Said in the upload's answer, beside what did arrive; the rest would fail too.
            Err(Error::StorageFull(detail)) => {
                tracing::error!(%detail, "an upload was refused: the file storage is full");
                report.errors.push(format!(
                    "{name} was not saved: the server's disk is full. Tell your administrator; files not listed as uploaded were not saved."
                ));
                break;
            }
            Err(e) => return Err(AppError(e)),
        }
    }
    Ok(report)
}

/// An error shown with its causes: a multipart error alone says only "Error parsing
/// `multipart/form-data` request", where its cause says the client stalled or the server is
/// shutting down.
struct CauseChain(Box<dyn std::error::Error + Send + Sync>);

impl std::fmt::Display for CauseChain {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut shown: Vec<String> = Vec::new();
        let mut next: Option<&(dyn std::error::Error + 'static)> = Some(self.0.as_ref());
        while let Some(error) = next {
            let text = error.to_string();
            if !shown.iter().any(|earlier| earlier.contains(&text)) {
                shown.push(text);
            }
            next = error.source();
        }
        f.write_str(&shown.join(": "))
    }
}

/// The name of the file in a multipart part: `filename=`, or else RFC 6266's `filename*=`
/// (`UTF-8''r%C3%A9sum%C3%A9.pdf`, which some clients send alone). `Ok(None)` for a part that
/// is not a file; `Err` says why a file part was refused, so that nothing is dropped silently.
fn part_file_name(field: &axum::extract::multipart::Field<'_>) -> Result<Option<String>, String> {
    if let Some(name) = field.file_name() {
        return Ok(Some(name.to_owned()));
    }
    let disposition = field
        .headers()
        .get(header::CONTENT_DISPOSITION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let extended = disposition
        .split(';')
        .filter_map(|param| param.trim().split_once('='))
        .find(|(key, _)| key.trim().eq_ignore_ascii_case("filename*"))
        .map(|(_, value)| value.trim().trim_matches('"'));
    match extended {
        Some(value) => decode_extended_file_name(value).map(Some),
        // Browsers give only file parts a Content-Type; our forms' file input is `files`.
        None if field.content_type().is_some() || field.name() == Some("files") => {
            Err("A file was sent without a file name, so it was not saved.".into())
        }
        None => Ok(None),
    }
}

/// `charset'language'percent-encoded` (RFC 8187), in UTF-8 or ISO-8859-1.
fn decode_extended_file_name(value: &str) -> Result<String, String> {
    let mut parts = value.splitn(3, '\'');
    let (Some(charset), Some(_language), Some(encoded)) = (parts.next(), parts.next(), parts.next()) else {
        return Err("A file's name (filename*) is not in the form charset'language'name, so it was not saved.".into());
    };
    let bytes: Vec<u8> = percent_encoding::percent_decode_str(encoded).collect();
    if charset.eq_ignore_ascii_case("utf-8") {
        String::from_utf8(bytes).map_err(|_| "A file's name is not valid UTF-8, so it was not saved.".to_owned())
    } else if charset.eq_ignore_ascii_case("iso-8859-1") {
        Ok(bytes.into_iter().map(char::from).collect())
    } else {
        Err(format!(
            "A file's name is in the {charset} character set, which is not supported (send it in UTF-8), so it was not saved."
        ))
    }
}

/// Scripts ask for JSON (the drag-and-drop uploader); a plain form gets a redirect and a flash.
fn upload_response(state: &AppState, headers: &HeaderMap, report: UploadReport, back: &str) -> Response {
    let wants_json = headers.get("x-requested-with").is_some_and(|v| v == "fetch");
    if wants_json {
        let status = if report.uploaded.is_empty() && !report.errors.is_empty() {
            StatusCode::UNPROCESSABLE_ENTITY
        } else {
            StatusCode::OK
        };
        (status, axum::Json(report)).into_response()
    } else {
        redirect_with_flash(state, back, report.summary())
    }
}

pub async fn upload(
    State(state): State<AppState>,
    Person(viewer): Person,
    Path(id): Path<String>,
    Query(query): Query<UploadQuery>,
    headers: HeaderMap,
    multipart: Multipart,
) -> WebResult {
    let project: ProjectId = parse_id(&id)?;
    let folder: Option<FolderId> = optional_id("folder", &query.folder).map_err(|_| AppError(Error::NotFound))?;
    if viewer.is_client() {
        return Err(AppError(Error::Forbidden));
    }
    let report = receive(
        &state,
        &viewer,
        project,
        folder.map_or(Destination::Top, Destination::Folder),
        multipart,
    )
    .await?;
    let back = folder_href(project, folder.map(|f| f.0));
    Ok(upload_response(&state, &headers, report, &back))
}

/// Attaches files to a task: staff, or a contact who sees the task and may upload. Each
/// returns to the task page of their own area.
pub async fn attach(
    State(state): State<AppState>,
    Person(viewer): Person,
    TaskPath(project, task): TaskPath,
    headers: HeaderMap,
    multipart: Multipart,
) -> WebResult {
    let report = receive(&state, &viewer, project, Destination::Task(task), multipart).await?;
    let area = if viewer.is_client() { "/portal/projects" } else { "/projects" };
    Ok(upload_response(
        &state,
        &headers,
        report,
        &format!("{area}/{project}/tasks/{task}#attachments"),
    ))
}

#[derive(Deserialize)]
pub struct FolderForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    parent: String,
}

pub async fn create_folder(
    State(state): State<AppState>,
    Person(viewer): Person,
    Path(id): Path<String>,
    Form(form): Form<FolderForm>,
) -> WebResult {
    let project: ProjectId = parse_id(&id)?;
    state.app.check_manage(&viewer, project).await?;
    let parent: Option<FolderId> = optional_id("parent", &form.parent)?;
    let back = folder_href(project, parent.map(|f| f.0));
    match state.app.create_folder(&viewer, project, parent, &form.name).await {
        Ok(folder) => Ok(redirect_with_flash(
            &state,
            &folder_href(project, Some(folder.0)),
            Flash::success("Folder created."),
        )),
        Err(Error::Invalid { message, .. }) => Ok(redirect_with_flash(&state, &back, Flash::error(message))),
        Err(e) => Err(AppError(e)),
    }
}

#[derive(Deserialize)]
pub struct VisibilityForm {
    #[serde(default)]
    shared: String,
    /// Where to return (a page of the same project), such as the task the file is attached to.
    #[serde(default)]
    back: String,
}

pub async fn set_visibility(
    State(state): State<AppState>,
    Person(viewer): Person,
    Path((id, file)): Path<(String, String)>,
    Form(form): Form<VisibilityForm>,
) -> WebResult {
    let (project, file): (ProjectId, FileId) = (parse_id(&id)?, parse_id(&file)?);
    // Only back to a page of this project: never an address someone else chose, nor one that
    // cannot be a header. Decided before the change, so a bad `back` never follows a saved one.
    let within = format!("/projects/{project}/");
    let back = match safe_next(&form.back) {
        Some(back) if back.starts_with(&within) => back.to_owned(),
        _ => format!("/projects/{project}/files"),
    };
    let shared = form.shared == "on" || form.shared == "true";
    let change = FileChange {
        client_visible: Some(shared),
        ..Default::default()
    };
    state.app.change_file(&viewer, project, file, &change).await?;
    let message = if shared {
        "Shared with the project's clients."
    } else {
        "Now internal: only staff see it."
    };
    Ok(redirect_with_flash(&state, &back, Flash::success(message)))
}

pub async fn delete(State(state): State<AppState>, Person(viewer): Person, Path((id, file)): Path<(String, String)>) -> WebResult {
    let (project, file): (ProjectId, FileId) = (parse_id(&id)?, parse_id(&file)?);
    state.app.trash_file(&viewer, project, file).await?;
    let back = if viewer.is_client() {
        format!("/portal/projects/{project}/files")
    } else {
        format!("/projects/{project}/files")
    };
    Ok(redirect_with_flash(&state, &back, Flash::success("Moved to the trash.")))
}

#[derive(Deserialize, Default, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DownloadQuery {
    /// An older version (staff only); the current one by default.
    pub version: Option<i64>,
    /// Show in the browser rather than save (only types that are safe to show).
    #[serde(default)]
    pub inline: bool,
}

/// Serves a file after the policy: presigned S3 link or the bytes (with ranges) from local
/// storage; HTML, SVG and scripts only ever as `application/octet-stream` attachments, in a
/// sandbox.
pub async fn download(
    State(state): State<AppState>,
    Person(viewer): Person,
    Path((id, file)): Path<(String, String)>,
    Query(query): Query<DownloadQuery>,
    headers: HeaderMap,
) -> WebResult {
    let (project, file): (ProjectId, FileId) = (parse_id(&id)?, parse_id(&file)?);
    serve(&state, &viewer, project, file, &query, &headers).await
}

/// The response of a download, for the web and the API alike.
pub async fn serve(
    state: &AppState,
    viewer: &Viewer,
    project: ProjectId,
    file: FileId,
    query: &DownloadQuery,
    headers: &HeaderMap,
) -> WebResult {
    let found = state.app.download(viewer, project, file, query.version).await?;
    let disposition = if query.inline && found.kind.inline() {
        Disposition::Inline
    } else {
        Disposition::Attachment
    };
    let disposition = content_disposition(disposition, &found.file.name);
    let content_type = found.kind.served_type().to_owned();
    if let Some(link) = state.storage_link(&found.version.object_key, &content_type, &disposition).await? {
        return Ok(Redirect::to(link.as_str()).into_response());
    }
    let size = found.version.size_bytes.max(0) as u64;
    let range = match requested_range(headers, size) {
        Ok(range) => range,
        Err(()) => {
            let mut response = StatusCode::RANGE_NOT_SATISFIABLE.into_response();
            response.headers_mut().insert(
                header::CONTENT_RANGE,
                HeaderValue::from_str(&format!("bytes */{size}")).expect("ascii"),
            );
            return Ok(response);
        }
    };
    let stream = match state.app.storage.get(&found.version.object_key, range.clone()).await {
        Ok(stream) => stream,
        Err(Error::NotFound) => {
            tracing::warn!(file = %file, key = %found.version.object_key, "a file's object is missing from storage (an orphaned row)");
            return Err(AppError(Error::Conflict {
                field: "file",
                message: "This file's content is missing from storage; an administrator has been told.".into(),
            }));
        }
        Err(e) => return Err(AppError(e)),
    };
    let mut response = Response::new(Body::from_stream(stream));
    let out = response.headers_mut();
    let value = |s: &str| HeaderValue::from_str(s).unwrap_or_else(|_| HeaderValue::from_static("application/octet-stream"));
    out.insert(header::CONTENT_TYPE, value(&content_type));
    out.insert(header::CONTENT_DISPOSITION, value(&disposition));
    out.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    out.insert(header::CACHE_CONTROL, HeaderValue::from_static("private, no-store"));
    out.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("sandbox; default-src 'none'"),
    );
    match range {
        Some(range) => {
            *response.status_mut() = StatusCode::PARTIAL_CONTENT;
            let out = response.headers_mut();
            out.insert(header::CONTENT_LENGTH, HeaderValue::from(range.end - range.start));
            out.insert(
                header::CONTENT_RANGE,
                value(&format!("bytes {}-{}/{size}", range.start, range.end - 1)),
            );
        }
        None => {
            response.headers_mut().insert(header::CONTENT_LENGTH, HeaderValue::from(size));
        }
    }
    Ok(response)
}

/// The one byte range asked for (`bytes=a-b`, `bytes=a-`, `bytes=-n`), as a half-open range.
/// Several ranges, or a header that does not parse, get the whole file (RFC 9110 allows
/// ignoring Range); a range outside the file is an error (416).
fn requested_range(headers: &HeaderMap, size: u64) -> Result<Option<std::ops::Range<u64>>, ()> {
    let Some(spec) = headers.get(header::RANGE).and_then(|v| v.to_str().ok()) else {
        return Ok(None);
    };
    let Some(spec) = spec.trim().strip_prefix("bytes=") else {
        return Ok(None);
    };
    if spec.contains(',') {
        return Ok(None);
    }
    let Some((start, end)) = spec.split_once('-') else {
        return Ok(None);
    };
    let (start, end) = (start.trim(), end.trim());
    let range = match (start.parse::<u64>(), end.parse::<u64>()) {
        (Ok(start), Ok(end)) if start <= end => start..(end + 1).min(size),
        (Ok(start), Err(_)) if end.is_empty() => start..size,
        (Err(_), Ok(suffix)) if start.is_empty() && suffix > 0 => size.saturating_sub(suffix)..size,
        _ => return Ok(None),
    };
    if range.start >= size || range.is_empty() {
        return Err(());
    }
    Ok(Some(range))
}

// One file (staff): its versions, rename and move, share, delete.

pub struct VersionRow {
    pub number: i64,
    pub href: String,
    pub size: String,
    pub kind: String,
    pub by: String,
    pub at: chrono::DateTime<chrono::Utc>,
    pub sha256: String,
}

#[derive(Template)]
#[template(path = "file_detail.html")]
struct FilePage {
    ctx: PageContext,
    project_id: String,
    project_name: String,
    file: FileRow,
    folder: String,
    attachment: bool,
    folders: Vec<(String, String)>,
    versions: Vec<VersionRow>,
    /// Admins only: the "why can't my client see this?" tool for this file.
    why_href: Option<String>,
    error: Option<String>,
}

async fn file_page(
    state: &AppState,
    ctx: PageContext,
    viewer: &Viewer,
    project: ProjectId,
    id: FileId,
    error: Option<String>,
) -> WebResult {
    let FileDetails {
        project: found,
        file,
        versions,
        folder_choices,
    } = state.app.file_details(viewer, project, id).await?;
    let base = format!("/projects/{project}/files");
    Ok(render(&FilePage {
        project_id: project.to_string(),
        project_name: found.name,
        folder: file.folder_id.map(|f| f.to_string()).unwrap_or_default(),
        attachment: file.task_id.is_some(),
        folders: folder_choices,
        versions: versions
            .iter()
            .map(|v| VersionRow {
                number: v.number,
                href: format!("{base}/{id}/download?version={}", v.number),
                size: format_size(v.size_bytes.max(0) as u64),
                kind: kind_label(&v.content_type),
                by: v.uploaded_by_name.clone().unwrap_or_default(),
                at: v.created_at,
                sha256: v.sha256.chars().take(12).collect(),
            })
            .collect(),
        why_href: matches!(viewer, Viewer::Admin(_)).then(|| format!("/admin/projects/{project}/visibility?file={id}")),
        file: FileRow::new(&file, &base),
        error,
        ctx,
    }))
}

pub async fn detail_page(
    State(state): State<AppState>,
    Ctx(ctx): Ctx,
    Person(viewer): Person,
    Path((id, file)): Path<(String, String)>,
) -> WebResult {
    let (project, file): (ProjectId, FileId) = (parse_id(&id)?, parse_id(&file)?);
    file_page(&state, ctx, &viewer, project, file, None).await
}

#[derive(Deserialize)]
pub struct FileForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    folder: String,
}

/// Renames a file and moves it to another folder.
pub async fn update(
    State(state): State<AppState>,
    Ctx(ctx): Ctx,
    Person(viewer): Person,
    Path((id, file)): Path<(String, String)>,
    Form(form): Form<FileForm>,
) -> WebResult {
    let (project, file): (ProjectId, FileId) = (parse_id(&id)?, parse_id(&file)?);
    state.app.check_manage(&viewer, project).await?;
    let folder: Option<FolderId> = optional_id("folder", &form.folder)?;
    let change = FileChange {
        name: Some(form.name),
        folder: Some(folder),
        client_visible: None,
    };
    match state.app.change_file(&viewer, project, file, &change).await {
        Ok(_) => Ok(redirect_with_flash(
            &state,
            &format!("/projects/{project}/files/{file}"),
            Flash::success("Saved."),
        )),
        Err(Error::Invalid { message, .. }) => file_page(&state, ctx, &viewer, project, file, Some(message))
            .await
            .map(|page| (StatusCode::UNPROCESSABLE_ENTITY, page).into_response()),
        Err(e) => Err(AppError(e)),
    }
}

#[derive(Deserialize)]
pub struct QuotaForm {
    /// Megabytes (MiB); empty for no cap.
    #[serde(default)]
    quota_mb: String,
}

/// Sets or lifts a project's storage quota (admins).
pub async fn set_quota(
    State(state): State<AppState>,
    Person(viewer): Person,
    Path(id): Path<String>,
    Form(form): Form<QuotaForm>,
) -> WebResult {
    let project: ProjectId = parse_id(&id)?;
    let back = format!("/projects/{project}/files");
    let quota = match form.quota_mb.trim() {
        "" => None,
        raw => match raw.parse::<u64>() {
            Ok(mb) if mb <= 100_000_000 => Some(mb * 1024 * 1024),
            _ => {
                return Ok(redirect_with_flash(
                    &state,
                    &back,
                    Flash::error("The quota is a whole number of megabytes, or empty for none."),
                ));
            }
        },
    };
    state.app.set_storage_quota(&viewer, project, quota).await?;
    let message = match quota {
        Some(bytes) => format!("This project's files may now take up to {}.", format_size(bytes)),
        None => "This project's files have no quota now.".to_owned(),
    };
    Ok(redirect_with_flash(&state, &back, Flash::success(message)))
}

/// Renames a folder, moves it under another, or deletes it when empty.
pub async fn update_folder(
    State(state): State<AppState>,
    Person(viewer): Person,
    Path((id, folder)): Path<(String, String)>,
    Form(form): Form<FolderChange>,
) -> WebResult {
    let (project, folder): (ProjectId, FolderId) = (parse_id(&id)?, parse_id(&folder)?);
    state.app.check_manage(&viewer, project).await?;
    let parent: Option<FolderId> = optional_id("parent", &form.parent)?;
    let here = folder_href(project, Some(folder.0));
    let result = if form.delete {
        state
            .app
            .delete_folder(&viewer, project, folder)
            .await
            .map(|()| (folder_href(project, parent.map(|p| p.0)), "Folder deleted."))
    } else {
        state
            .app
            .update_folder(&viewer, project, folder, parent, &form.name)
            .await
            .map(|()| (here.clone(), "Folder saved."))
    };
    match result {
        Ok((to, message)) => Ok(redirect_with_flash(&state, &to, Flash::success(message))),
        Err(Error::Invalid { message, .. }) => Ok(redirect_with_flash(&state, &here, Flash::error(message))),
        Err(e) => Err(AppError(e)),
    }
}

#[derive(Deserialize)]
pub struct FolderChange {
    #[serde(default)]
    name: String,
    #[serde(default)]
    parent: String,
    #[serde(default)]
    delete: bool,
}

// The trash (staff) and media management (admins).

#[derive(Template)]
#[template(path = "files_trash.html")]
struct TrashPage {
    ctx: PageContext,
    project_id: String,
    project_name: String,
    files: Vec<(FileRow, chrono::DateTime<chrono::Utc>)>,
    trash_days: u32,
    page: i64,
    more: bool,
}

pub async fn trash_page(
    State(state): State<AppState>,
    Ctx(ctx): Ctx,
    Person(viewer): Person,
    Path(id): Path<String>,
    Query(query): Query<PageQuery>,
) -> WebResult {
    let project: ProjectId = parse_id(&id)?;
    let page = i64::from(query.page.unwrap_or(1).max(1));
    let files = state
        .app
        .trashed_files(&viewer, project, PAGE_SIZE + 1, (page - 1) * PAGE_SIZE)
        .await?;
    let overview = state.app.project_columns(&viewer, project).await?;
    let base = format!("/projects/{project}/files");
    Ok(render(&TrashPage {
        project_id: project.to_string(),
        project_name: overview.project.name.clone(),
        more: files.len() as i64 > PAGE_SIZE,
        files: files
            .iter()
            .take(PAGE_SIZE as usize)
            .map(|f| (FileRow::new(f, &base), f.deleted_at.unwrap_or(f.updated_at)))
            .collect(),
        trash_days: state.app.config.files.trash_days,
        page,
        ctx,
    }))
}

pub async fn restore(State(state): State<AppState>, Person(viewer): Person, Path((id, file)): Path<(String, String)>) -> WebResult {
    let (project, file): (ProjectId, FileId) = (parse_id(&id)?, parse_id(&file)?);
    let back = format!("/projects/{project}/files/trash");
    match state.app.restore_file(&viewer, project, file).await {
        Ok(()) => Ok(redirect_with_flash(
            &state,
            &format!("/projects/{project}/files"),
            Flash::success("Restored."),
        )),
        Err(Error::Invalid { message, .. }) => Ok(redirect_with_flash(&state, &back, Flash::error(message))),
        Err(e) => Err(AppError(e)),
    }
}

pub struct UsageRow {
    pub project: String,
    pub href: String,
    pub files: i64,
    pub size: String,
}

#[derive(Template)]
#[template(path = "admin_media.html")]
struct MediaPage {
    ctx: PageContext,
    versions: i64,
    total: String,
    usage: Vec<UsageRow>,
    largest: Vec<FileRow>,
    page: i64,
    more: bool,
    task: TaskView,
}

pub struct OrphanView {
    pub objects: Vec<(String, String)>,
    pub rows: Vec<String>,
    /// Unfinished uploads: key, size, and when it was last written.
    pub unfinished: Vec<(String, String)>,
    pub checked_objects: usize,
    pub checked_rows: usize,
}

/// What the media page says about the background orphan check.
pub enum TaskView {
    Idle,
    Running { cleaning: bool, objects: usize, rows: usize },
    Checked(OrphanView),
    Cleaned(String),
    Failed(String),
}

/// Orphans shown at most, each way (the cleanup takes them all).
const ORPHANS_SHOWN: usize = 200;

/// Objects younger than this are never cleaned up: they may be uploads still being recorded.
pub fn orphan_grace() -> chrono::Duration {
    chrono::Duration::minutes(60)
}

pub async fn media(State(state): State<AppState>, Ctx(ctx): Ctx, Person(viewer): Person, Query(query): Query<PageQuery>) -> WebResult {
    let page = i64::from(query.page.unwrap_or(1).max(1));
    let report = state.app.media_report(&viewer, PAGE_SIZE + 1, (page - 1) * PAGE_SIZE).await?;
    let task = match state.app.media_task(&viewer)? {
        MediaTask::Idle => TaskView::Idle,
        MediaTask::Running {
            cleaning,
            checked_objects,
            checked_rows,
        } => TaskView::Running {
            cleaning,
            objects: checked_objects,
            rows: checked_rows,
        },
        MediaTask::Checked(found) => TaskView::Checked(OrphanView {
            objects: found
                .objects
                .iter()
                .take(ORPHANS_SHOWN)
                .map(|o| (o.key.clone(), format_size(o.size)))
                .collect(),
            rows: found.rows.iter().take(ORPHANS_SHOWN).cloned().collect(),
            unfinished: found
                .unfinished
                .iter()
                .take(ORPHANS_SHOWN)
                .map(|o| (o.key.clone(), format_size(o.size)))
                .collect(),
            checked_objects: found.checked_objects,
            checked_rows: found.checked_rows,
        }),
        MediaTask::Cleaned { objects, rows } => TaskView::Cleaned(format!(
            "Removed {objects} stored objects without a file and {rows} file versions without stored content."
        )),
        MediaTask::Failed(error) => TaskView::Failed(error),
    };
    Ok(render(&MediaPage {
        versions: report.versions,
        total: format_size(report.bytes.max(0) as u64),
        more: report.by_project.len() as i64 > PAGE_SIZE,
        usage: report
            .by_project
            .iter()
            .take(PAGE_SIZE as usize)
            .map(|u| UsageRow {
                project: u.project_name.clone(),
                href: format!("/projects/{}/files", u.project_id),
                files: u.files,
                size: format_size(u.bytes.max(0) as u64),
            })
            .collect(),
        largest: report
            .largest
            .iter()
            .map(|f| FileRow::new(f, &format!("/projects/{}/files", f.project_id)))
            .collect(),
        page,
        task,
        ctx,
    }))
}

/// Starts the orphan check in the background; the media page shows its progress.
pub async fn check_orphans(State(state): State<AppState>, Person(viewer): Person) -> WebResult {
    state.app.start_media_task(&viewer, None)?;
    Ok(redirect_with_flash(
        &state,
        "/admin/media",
        Flash::info("Checking storage for orphans…"),
    ))
}

/// Starts the check and the cleanup in the background.
pub async fn clean_orphans(State(state): State<AppState>, Person(viewer): Person) -> WebResult {
    state.app.start_media_task(&viewer, Some(orphan_grace()))?;
    Ok(redirect_with_flash(&state, "/admin/media", Flash::info("Cleaning up orphans…")))
}

/// A thumbnail of an image file, after the same policy as its download.
pub async fn thumbnail(State(state): State<AppState>, Person(viewer): Person, Path((id, file)): Path<(String, String)>) -> WebResult {
    let (project, file): (ProjectId, FileId) = (parse_id(&id)?, parse_id(&file)?);
    let png = state.app.thumbnail(&viewer, project, file).await?;
    let mut response = Response::new(Body::from(png));
    let out = response.headers_mut();
    out.insert(header::CONTENT_TYPE, HeaderValue::from_static("image/png"));
    out.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    out.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("sandbox; default-src 'none'"),
    );
    Ok(response)
}

// The portal.

#[derive(Template)]
#[template(path = "portal_files.html")]
struct PortalFilesPage {
    ctx: PageContext,
    portal: PortalView,
    project_id: String,
    project_name: String,
    /// The files page's address (the folders and pages hang off it).
    here: String,
    path: Vec<FolderLink>,
    folders: Vec<FolderLink>,
    files: Vec<FileRow>,
    next: Option<String>,
    may_upload: bool,
    max_upload: String,
}

pub async fn portal_files_page(
    State(state): State<AppState>,
    Ctx(ctx): Ctx,
    Person(viewer): Person,
    Path(id): Path<String>,
    Query(query): Query<ListQuery>,
) -> WebResult {
    let portal = PortalView::own(viewer, &ctx);
    portal_files(&state, ctx, portal, &id, &query).await
}

/// The files page exactly as a contact sees it, read-only (admins).
pub async fn preview_files(
    State(state): State<AppState>,
    Ctx(ctx): Ctx,
    Person(admin): Person,
    Path((contact, id)): Path<(String, String)>,
    Query(query): Query<ListQuery>,
) -> WebResult {
    let portal = preview_of(&state, &admin, &contact).await?;
    portal_files(&state, ctx, portal, &id, &query).await
}

/// A client's files: the folders that hold something shared with them, then the files of the
/// folder (or the top) by name, a page at a time.
async fn portal_files(state: &AppState, ctx: PageContext, portal: PortalView, id: &str, query: &ListQuery) -> WebResult {
    let project: ProjectId = parse_id(id)?;
    let viewer = portal.viewer;
    let folder: Option<FolderId> = optional_id("folder", &query.folder).map_err(|_| AppError(Error::NotFound))?;
    let after_id: Option<FileId> = optional_id("after_id", &query.after_id).map_err(|_| AppError(Error::NotFound))?;
    let after = after_id.map(|id| (query.after.as_str(), id));
    let listing = state.app.portal_folder(&viewer, project, folder, after, PAGE_SIZE + 1).await?;
    let base = format!("{}/{project}/files", portal.projects_base());
    let here = folder_href_in(&base, folder.map(|f| f.0));
    let link = |f: &store::files::Folder| FolderLink {
        name: f.name.clone(),
        href: folder_href_in(&base, Some(f.id.0)),
    };
    let own_org = viewer.client_org();
    Ok(render(&PortalFilesPage {
        project_id: project.to_string(),
        project_name: listing.project.name.clone(),
        next: next_page_href(&here, &listing.files),
        path: listing.path.iter().map(link).collect(),
        folders: listing.folders.iter().map(link).collect(),
        files: listing
            .files
            .iter()
            .take(PAGE_SIZE as usize)
            .map(|f| {
                let mut row = FileRow::new(f, &base);
                row.client_upload = f.uploader_org_id.is_some() && f.uploader_org_id == own_org;
                // A preview lists names only: downloads and file pages are the contact's own.
                if portal.preview.is_some() {
                    row.href.clear();
                    row.page.clear();
                }
                row
            })
            .collect(),
        here: base,
        may_upload: portal.may(Permission::UploadFiles),
        max_upload: format_size(state.app.config.files.max_upload_bytes),
        portal,
        ctx,
    }))
}

#[derive(Template)]
#[template(path = "portal_all_files.html")]
struct PortalAllFilesPage {
    ctx: PageContext,
    portal: PortalView,
    page: domain::users::Page<store::projects::ProjectListItem>,
    projects: Vec<ProjectFiles>,
}

impl PortalAllFilesPage {
    /// Another page of the same list (the pager).
    fn page_link(&self, page: u32) -> String {
        format!("?page={page}")
    }
}

/// A project's newest files on the portal's files page.
struct ProjectFiles {
    name: String,
    files_href: String,
    files: Vec<FileRow>,
    total: i64,
}

/// How many of each project's newest files the portal's files page shows.
const NEWEST_PER_PROJECT: i64 = 5;

/// The files shared with a contact, project by project: each project's newest, and a link to
/// all of them (its folders and pages).
pub async fn portal_all_files_page(
    State(state): State<AppState>,
    Ctx(ctx): Ctx,
    Person(viewer): Person,
    Query(query): Query<PageQuery>,
) -> WebResult {
    if !viewer.allows(Permission::ViewFiles) {
        return Err(AppError(Error::NotFound));
    }
    let portal = PortalView::own(viewer, &ctx);
    let page = state
        .app
        .projects(&portal.viewer, &Default::default(), PageRequest::new(query.page, Some(10)))
        .await?;
    let mut projects = Vec::with_capacity(page.items.len());
    for project in &page.items {
        let id = project.id;
        let (files, total) = state.app.project_files(&portal.viewer, id, NEWEST_PER_PROJECT, 0).await?;
        let base = format!("{}/{id}/files", portal.projects_base());
        projects.push(ProjectFiles {
            name: project.name.clone(),
            files: files.iter().map(|f| FileRow::new(f, &base)).collect(),
            files_href: base,
            total,
        });
    }
    Ok(render(&PortalAllFilesPage {
        page,
        projects,
        portal,
        ctx,
    }))
}

#[derive(Template)]
#[template(path = "portal_file.html")]
struct PortalFilePage {
    ctx: PageContext,
    portal: PortalView,
    project_id: String,
    project_name: String,
    files_href: String,
    /// The folders down to the file's, outermost first.
    path: Vec<FolderLink>,
    file: FileRow,
    /// Shown in place: an image's own bytes, inline.
    image: Option<String>,
    version: i64,
    uploaded_by: String,
}

/// One file as a client sees it: what it is, who uploaded it and when, a preview of an image,
/// and its download. Attachments are found through their task, not here.
pub async fn portal_file_page(
    State(state): State<AppState>,
    Ctx(ctx): Ctx,
    Person(viewer): Person,
    Path((id, file)): Path<(String, String)>,
) -> WebResult {
    let (project, file): (ProjectId, FileId) = (parse_id(&id)?, parse_id(&file)?);
    let portal = PortalView::own(viewer, &ctx);
    let (found, versions) = state.app.file(&viewer, project, file).await?;
    if found.task_id.is_some() {
        return Err(AppError(Error::NotFound));
    }
    let folder = found.folder_id;
    let listing = state.app.portal_folder(&viewer, project, folder, None, 1).await?;
    let base = format!("{}/{project}/files", portal.projects_base());
    let row = FileRow::new(&found, &base);
    let image = domain::files::stored_kind(&found.content_type, &found.name)
        .is_image()
        .then(|| format!("{base}/{file}/download?inline=true"));
    Ok(render(&PortalFilePage {
        project_id: project.to_string(),
        project_name: listing.project.name.clone(),
        path: listing
            .path
            .iter()
            .map(|f| FolderLink {
                name: f.name.clone(),
                href: folder_href_in(&base, Some(f.id.0)),
            })
            .collect(),
        files_href: base,
        image,
        version: versions.first().map_or(found.version_count, |v| v.number),
        uploaded_by: versions
            .first()
            .and_then(|v| v.uploaded_by_name.clone())
            .unwrap_or_else(|| row.uploader.clone()),
        file: row,
        portal,
        ctx,
    }))
}

pub async fn portal_upload(
    State(state): State<AppState>,
    Person(viewer): Person,
    Path(id): Path<String>,
    headers: HeaderMap,
    multipart: Multipart,
) -> WebResult {
    let project: ProjectId = parse_id(&id)?;
    let report = receive(&state, &viewer, project, Destination::Top, multipart).await?;
    Ok(upload_response(
        &state,
        &headers,
        report,
        &format!("/portal/projects/{project}/files"),
    ))
}

impl AppState {
    /// A presigned link when files are on S3 (`None` for local storage).
    async fn storage_link(&self, key: &str, content_type: &str, disposition: &str) -> Result<Option<url::Url>, AppError> {
        Ok(self.app.storage.link(key, content_type, disposition).await?)
    }
}

pub mod api;
