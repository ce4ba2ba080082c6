//! A file as lists show it: the staff file browser, the portal's folders and a task's
//! attachments (staff and portal).

use crate::AppState;
use crate::error::AppError;
use app::files::Destination;
use domain::access::Viewer;
use domain::files::format_size;
use domain::ids::{ProjectId, TaskId};

/// A file as a row of a list.
pub struct FileRow {
    pub name: String,
    /// The download.
    pub href: String,
    /// The file's own page (staff).
    pub page: String,
    /// A thumbnail's address, for images.
    pub thumbnail: Option<String>,
    /// Where the browser shows it in place (images, PDF, plain text).
    pub view: Option<String>,
    pub kind: String,
    pub size: String,
    pub uploaded: chrono::DateTime<chrono::Utc>,
    pub uploader: String,
    pub versions: i64,
    pub shared: bool,
    pub client_upload: bool,
    pub id: String,
}

impl FileRow {
    pub fn new(file: &store::files::File, base: &str) -> Self {
        let kind = domain::files::stored_kind(&file.content_type, &file.name);
        FileRow {
            name: file.name.clone(),
            href: format!("{base}/{}/download", file.id),
            page: format!("{base}/{}", file.id),
            thumbnail: kind.is_image().then(|| format!("{base}/{}/thumbnail", file.id)),
            view: kind.inline().then(|| format!("{base}/{}/download?inline=true", file.id)),
            kind: kind_label(&file.content_type),
            size: format_size(file.size_bytes.max(0) as u64),
            uploaded: file.updated_at,
            uploader: file.uploader_name.clone().unwrap_or_else(|| "The team".into()),
            versions: file.version_count,
            shared: file.client_visible,
            client_upload: file.uploader_org_id.is_some(),
            id: file.id.to_string(),
        }
    }
}

/// A short name for a type: "PDF", "PNG image", "Text".
pub fn kind_label(mime: &str) -> String {
    match mime {
        "application/pdf" => "PDF".into(),
        m if m.starts_with("image/") => format!("{} image", m.trim_start_matches("image/").to_uppercase()),
        m if m.starts_with("text/plain") => "Text".into(),
        "application/zip" => "ZIP archive".into(),
        "application/octet-stream" | "" => "File".into(),
        m => m.rsplit('/').next().unwrap_or(m).trim_start_matches("vnd.").to_owned(),
    }
}

/// A task's attachments the viewer sees, as rows linking to downloads under `files_base`.
pub async fn attachments(
    state: &AppState,
    viewer: &Viewer,
    project: ProjectId,
    task: TaskId,
    files_base: &str,
) -> Result<Vec<FileRow>, AppError> {
    let files = state.app.files_in(viewer, project, Destination::Task(task), None, 200).await?;
    Ok(files.iter().map(|f| FileRow::new(f, files_base)).collect())
}
