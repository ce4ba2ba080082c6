//! Files: uploads streamed to storage, downloads after the policy, versions, folders and the
//! trash. Every read goes through the scoped store queries; every write through
//! `domain::access::may_upload` or the project's management check.

use crate::App;
use crate::projects::managed;
use crate::storage::StorageConfig;
use bytes::Bytes;
use domain::access::{Hidden, Viewer, may_upload};
use domain::activity::ActivityKind;
use domain::files::{ContentKind, parse_file_name, parse_folder_name, sniff, stored_kind};
use domain::ids::{FileId, FileVersionId, FolderId, ProjectId, TaskId};
use domain::{Error, Result};
use futures::{Stream, StreamExt};
use store::files::{File, Folder, NewFile, NewVersion, Place, Version};
use store::scope::Scope;
use store::{Conn, is_unique_violation};

#[derive(Clone, Debug)]
pub struct FilesConfig {
    pub storage: StorageConfig,
    /// Largest upload accepted, in bytes (`files.max_upload_mb`).
    pub max_upload_bytes: u64,
    /// Days a deleted file waits in the trash before it is purged (`files.trash_days`).
    pub trash_days: u32,
}

/// Where an upload goes, as asked for; checked against the project before any byte is read.
#[derive(Clone, Copy, Debug)]
pub enum Destination {
    Top,
    Folder(FolderId),
    Task(TaskId),
}

/// A finished upload.
#[derive(Clone, Debug)]
pub struct Uploaded {
    pub file: FileId,
    pub name: String,
    pub version: i64,
}

/// An upload the policy allowed, ready to receive bytes.
pub struct UploadPermit {
    place: Place,
    /// What the project's quota leaves, counted down as the request's files are saved.
    remaining_quota: Option<std::sync::atomic::AtomicU64>,
    /// Whether new files are shared with the project's clients: staff's attachments to a
    /// shared task are (the client reviews what is attached), unless kept internal.
    shared: bool,
}

impl UploadPermit {
    /// New files stay internal, whatever the default (the uploader's explicit choice).
    pub fn keep_internal(&mut self) {
        self.shared = false;
    }

    /// Whether new files will be shared with the project's clients.
    pub fn shares(&self) -> bool {
        self.shared
    }
}

/// The staff's view of one folder of a project's files.
pub struct FolderListing {
    pub project: store::projects::Project,
    /// From the top down to the folder itself; empty at the top.
    pub path: Vec<Folder>,
    pub folders: Vec<Folder>,
    pub files: Vec<File>,
    /// Where the folder may move to, as (id, "Parent / Child"); empty at the top.
    pub move_targets: Vec<(String, String)>,
    /// Bytes used and the quota, for admins.
    pub storage: Option<(u64, Option<u64>)>,
}

/// A folder of a project's files as a client browses it.
pub struct PortalFolder {
    pub project: store::projects::Project,
    /// Outermost first; empty at the top.
    pub path: Vec<store::files::Folder>,
    pub folders: Vec<store::files::Folder>,
    pub files: Vec<File>,
}

/// The staff's view of one file.
pub struct FileDetails {
    pub project: store::projects::Project,
    pub file: File,
    /// Newest first.
    pub versions: Vec<Version>,
    /// Every folder as (id, "Parent / Child"), for the move picker.
    pub folder_choices: Vec<(String, String)>,
}

/// A change to a file; what is `None` stays as it is.
#[derive(Clone, Debug, Default)]
pub struct FileChange {
    pub name: Option<String>,
    /// `Some(None)` moves the file to the top of the project's files.
    pub folder: Option<Option<FolderId>>,
    pub client_visible: Option<bool>,
}

/// Storage use, for the admins' media page.
pub struct MediaReport {
    pub versions: i64,
    pub bytes: i64,
    pub by_project: Vec<store::files::ProjectUsage>,
    pub largest: Vec<File>,
}

/// What the orphan check found: objects no version row points to, and version rows whose
/// object is gone.
#[derive(Clone, Debug, Default)]
pub struct Orphans {
    pub objects: Vec<crate::storage::StoredObject>,
    pub rows: Vec<String>,
    /// Uploads that never finished (a process killed mid-upload): bytes no file owns.
    pub unfinished: Vec<crate::storage::StoredObject>,
    /// Objects and rows looked at.
    pub checked_objects: usize,
    pub checked_rows: usize,
}

/// The admins' orphan check, run in the background so that a large store does not hold a
/// request open; the page shows its progress. Kept per node, in memory.
#[derive(Clone, Debug, Default)]
pub enum MediaTask {
    #[default]
    Idle,
    Running {
        cleaning: bool,
        checked_objects: usize,
        checked_rows: usize,
    },
    Checked(Orphans),
    Cleaned {
        objects: usize,
        rows: usize,
    },
    Failed(String),
}

/// The longest side of a thumbnail, in pixels.
pub const THUMBNAIL_SIZE: u32 = 320;
/// Images larger than this (bytes) get no thumbnail: decoding them would cost too much.
const THUMBNAIL_SOURCE_LIMIT: i64 = 25 * 1024 * 1024;
/// Pixel bounds on a decoded image (a small file can declare a huge canvas).
const THUMBNAIL_MAX_PIXELS_SIDE: u32 = 12_000;
/// The memory one decode may take: a 249 KB PNG can declare 8000 × 8000 RGBA, 256 MB
/// decoded. An image whose pixels need more (24 megapixels of RGB fit) gets no thumbnail and
/// shows its type's icon. With one decode at a time, thumbnails cost at most this plus the
/// source file ([`THUMBNAIL_SOURCE_LIMIT`]), whatever is uploaded and however many ask.
pub const THUMBNAIL_DECODE_BUDGET: u64 = 80 * 1024 * 1024;

/// Where a version's thumbnail is kept: beside nothing users can list, named after the
/// version's object so that purging a version can remove it too.
pub fn thumbnail_key(object_key: &str) -> String {
    format!("thumbs/{object_key}.png")
}

/// What a download serves.
pub struct Download {
    pub file: File,
    pub version: Version,
    pub kind: ContentKind,
}

impl App {
    /// Checks that the viewer may upload to this place, before any byte of the body is read:
    /// someone without access learns nothing from the upload's validation.
    pub async fn permit_upload(&self, viewer: &Viewer, project: ProjectId, destination: Destination) -> Result<UploadPermit> {
        let mut handle = self.db.read().await?;
        let mut conn = handle.conn();
        let found = store::projects::with_members(&mut conn, project).await?;
        let facts = found.facts();
        let place = match destination {
            Destination::Top => Place::Top(project),
            Destination::Folder(folder) => {
                if viewer.is_client() {
                    return Err(Error::NotFound);
                }
                store::files::folder(&mut conn, project, folder).await?;
                Place::Folder(project, folder)
            }
            Destination::Task(task) => Place::Task(project, task),
        };
        let task_facts = match destination {
            // The viewer's own scope: a task they cannot see is not found.
            Destination::Task(task) => Some(store::tasks::get(&mut conn, &Scope::new(viewer), project, task).await?.facts()),
            _ => None,
        };
        let shared = !viewer.is_client() && task_facts.is_some_and(|task| task.client_visible);
        may_upload(viewer, &facts, task_facts.as_ref()).map_err(|hidden| match hidden {
            Hidden::PermissionOff { .. } => Error::Forbidden,
            _ => Error::NotFound,
        })?;
        let remaining_quota = match store::files::quota(&mut conn, project).await? {
            Some(quota) => Some(std::sync::atomic::AtomicU64::new(
                (quota - store::files::project_usage(&mut conn, project).await?).max(0) as u64,
            )),
            None => None,
        };
        Ok(UploadPermit {
            place,
            remaining_quota,
            shared,
        })
    }

    /// Streams one file to storage and records it: a new file, or a new version of the file
    /// of the same name in the same place. Nothing is recorded unless every byte arrived; an
    /// upload that fails half-way is aborted in storage.
    pub async fn upload<S, E>(&self, viewer: &Viewer, permit: &UploadPermit, raw_name: &str, body: S) -> Result<Uploaded>
    where
        S: Stream<Item = std::result::Result<Bytes, E>> + Unpin,
        E: std::fmt::Display,
    {
        let name = parse_file_name(raw_name)?;
        let limit = self.config.files.max_upload_bytes;
        let version_id = FileVersionId::new();
        let key = format!("files/{}/{version_id}", permit.place.project());
        let mut upload = self.storage.begin(&key).await?;
        let mut body = body;
        while let Some(chunk) = body.next().await {
            let refused = match chunk {
                // Field `body`: the request itself broke, so the caller reads no further.
                Err(e) => Some(Error::invalid(
                    "body",
                    format!("The upload of {name} was interrupted ({e}); nothing was saved."),
                )),
                Ok(bytes) if upload.size() + bytes.len() as u64 > limit => Some(Error::invalid(
                    "file",
                    format!("{name} is larger than the limit of {}.", domain::files::format_size(limit)),
                )),
                Ok(bytes)
                    if permit
                        .remaining_quota
                        .as_ref()
                        .is_some_and(|left| upload.size() + bytes.len() as u64 > left.load(std::sync::atomic::Ordering::Relaxed)) =>
                {
                    Some(Error::invalid(
                        "file",
                        format!("{name} does not fit in the project's storage quota."),
                    ))
                }
                Ok(bytes) => {
                    if let Err(e) = upload.write(bytes).await {
                        upload.abort().await;
                        return Err(e);
                    }
                    None
                }
            };
            if let Some(error) = refused {
                upload.abort().await;
                return Err(error);
            }
        }
        if upload.size() == 0 {
            upload.abort().await;
            return Err(Error::invalid("file", format!("{name} is empty.")));
        }
        let written = upload.finish().await?;
        let kind = sniff(&written.head, &name);
        match self.record_upload(viewer, permit, &name, &key, version_id, &written, &kind).await {
            Ok(uploaded) => {
                if let Some(left) = &permit.remaining_quota {
                    left.fetch_sub(
                        written.size.min(left.load(std::sync::atomic::Ordering::Relaxed)),
                        std::sync::atomic::Ordering::Relaxed,
                    );
                }
                Ok(uploaded)
            }
            Err(e) => {
                // The rows were not written: the object must not linger.
                if let Err(cleanup) = self.storage.delete(&key).await {
                    tracing::warn!(%key, error = %cleanup, "could not delete the object of a failed upload");
                }
                Err(e)
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    async fn record_upload(
        &self,
        viewer: &Viewer,
        permit: &UploadPermit,
        name: &str,
        key: &str,
        version_id: FileVersionId,
        written: &crate::storage::Written,
        kind: &ContentKind,
    ) -> Result<Uploaded> {
        let now = self.now();
        let uploader_org = viewer.client_org();
        let owner = uploader_org.map_or(permit.place.project().0, |org| org.0);
        // Two uploads of one name at one moment: the second insert meets the unique index, and
        // the retry finds the first one's file and adds a version to it.
        for _attempt in 0..3 {
            let mut tx = self.db.begin().await?;
            let mut conn = tx.conn();
            let existing = store::files::find_by_name(&mut conn, permit.place, owner, &domain::files::name_key(name)).await?;
            let (file, kind_of_event) = match existing {
                // A client's new version of a file staff have shared would reach every
                // organisation on the project unreviewed.
                Some(file)
                    if uploader_org.is_some() && store::files::get_any(&mut conn, permit.place.project(), file).await?.client_visible =>
                {
                    return Err(Error::invalid(
                        "file",
                        format!("{name} has been shared by the team; upload yours under another name."),
                    ));
                }
                Some(file) => (file, ActivityKind::FileVersionAdded),
                None => {
                    let file = FileId::new();
                    let new = NewFile {
                        id: file,
                        place: permit.place,
                        owner,
                        name,
                        client_visible: permit.shared,
                        uploader_org,
                        created_by: viewer.user_id(),
                    };
                    match store::files::insert(&mut conn, &new, now).await {
                        Ok(()) => (file, ActivityKind::FileUploaded),
                        Err(e) if is_unique_violation(&e) => continue,
                        Err(e) => return Err(store::db_error(e)),
                    }
                }
            };
            let version = NewVersion {
                id: version_id,
                file,
                object_key: key,
                size_bytes: written.size as i64,
                content_type: &kind.mime,
                sha256: &written.sha256,
                uploaded_by: viewer.user_id(),
            };
            let number = store::files::add_version(&mut conn, &version, now).await?;
            let event = store::activity::NewEvent {
                project: permit.place.project(),
                actor: Some(viewer.user_id()),
                file: Some(file),
                task: match permit.place {
                    Place::Task(_, task) => Some(task),
                    _ => None,
                },
                detail: name.to_owned(),
                ..Default::default()
            };
            store::activity::record(&mut conn, kind_of_event, &event, now).await?;
            tx.commit().await?;
            return Ok(Uploaded {
                file,
                name: name.to_owned(),
                version: number,
            });
        }
        Err(Error::Conflict {
            field: "file",
            message: "The same name was uploaded several times at once; try again.".into(),
        })
    }

    /// A file the viewer may open, and the version asked for (the current one by default;
    /// older versions only for staff).
    pub async fn download(&self, viewer: &Viewer, project: ProjectId, id: FileId, version: Option<i64>) -> Result<Download> {
        if version.is_some() && viewer.is_client() {
            return Err(Error::NotFound);
        }
        let mut handle = self.db.read().await?;
        let mut conn = handle.conn();
        let file = store::files::get(&mut conn, &Scope::new(viewer), project, id).await?;
        let version = store::files::version(&mut conn, id, version).await?;
        let kind = stored_kind(&version.content_type, &file.name);
        Ok(Download { file, version, kind })
    }

    /// A PNG thumbnail of an image the viewer may open (made on first request, then kept in
    /// storage). `NotFound` for files that are not images Portico can read.
    pub async fn thumbnail(&self, viewer: &Viewer, project: ProjectId, id: FileId) -> Result<Bytes> {
        let found = self.download(viewer, project, id, None).await?;
        if !found.kind.is_image() || found.version.size_bytes > THUMBNAIL_SOURCE_LIMIT {
            return Err(Error::NotFound);
        }
        let key = thumbnail_key(&found.version.object_key);
        if let Ok(stream) = self.storage.get(&key, None).await
            && let Ok(png) = collect(stream).await
        {
            return Ok(png);
        }
        // One image is decoded at a time, so thumbnails stay within one decode budget however
        // many are asked for at once.
        static DECODING: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(1);
        let _turn = DECODING.acquire().await.map_err(|e| Error::internal(e.to_string()))?;
        let source = collect(self.storage.get(&found.version.object_key, None).await?).await?;
        let png = tokio::task::spawn_blocking(move || make_thumbnail(&source))
            .await
            .map_err(|e| Error::internal(format!("thumbnail task: {e}")))?
            .ok_or(Error::NotFound)?;
        let mut upload = self.storage.begin(&key).await?;
        upload.write(png.clone()).await?;
        upload.finish().await?;
        Ok(png)
    }

    /// A page of the files in one place, in name order (keyset: pass the last name and id).
    pub async fn files_in(
        &self,
        viewer: &Viewer,
        project: ProjectId,
        place: Destination,
        after: Option<(&str, FileId)>,
        limit: i64,
    ) -> Result<Vec<File>> {
        let mut handle = self.db.read().await?;
        let mut conn = handle.conn();
        let place = visible_place(&mut conn, viewer, project, place).await?;
        store::files::list(&mut conn, &Scope::new(viewer), place, after, limit.clamp(1, 200)).await
    }

    /// Every folder of a project the viewer may browse, by name: all of them for staff on the
    /// project and admins; for a client, those that hold something they see (the others do not
    /// exist for them).
    pub async fn folders(&self, viewer: &Viewer, project: ProjectId) -> Result<Vec<store::files::Folder>> {
        let mut handle = self.db.read().await?;
        let mut conn = handle.conn();
        if viewer.is_client() {
            if !viewer.allows(domain::access::Permission::ViewFiles) {
                return Err(Error::NotFound);
            }
            let scope = Scope::new(viewer);
            store::projects::get(&mut conn, &scope, project).await?;
            return store::files::visible_folders(&mut conn, &scope, project).await;
        }
        managed(&mut conn, viewer, project).await?;
        store::files::all_folders(&mut conn, project).await
    }

    /// A folder of a project's files as a client browses it (`None`: the top): its path, the
    /// folders inside it that hold something they see, and a page of its files by name. A
    /// folder with nothing visible inside does not exist for them.
    pub async fn portal_folder(
        &self,
        viewer: &Viewer,
        project: ProjectId,
        folder: Option<FolderId>,
        after: Option<(&str, FileId)>,
        limit: i64,
    ) -> Result<PortalFolder> {
        if !viewer.allows(domain::access::Permission::ViewFiles) {
            return Err(Error::NotFound);
        }
        let mut handle = self.db.read().await?;
        let mut conn = handle.conn();
        let scope = Scope::new(viewer);
        let found = store::projects::get(&mut conn, &scope, project).await?;
        let visible = store::files::visible_folders(&mut conn, &scope, project).await?;
        // The path, outermost first: every ancestor of a visible folder is visible too.
        let mut path = Vec::new();
        let mut next = folder;
        while let Some(id) = next {
            let step = visible.iter().find(|f| f.id == id).ok_or(Error::NotFound)?;
            path.insert(0, step.clone());
            next = step.parent_id;
        }
        let place = match folder {
            Some(folder) => Place::Folder(project, folder),
            None => Place::Top(project),
        };
        Ok(PortalFolder {
            project: found,
            folders: visible.iter().filter(|f| f.parent_id == folder).cloned().collect(),
            files: store::files::list(&mut conn, &scope, place, after, limit.clamp(1, 200)).await?,
            path,
        })
    }

    /// Every file of the project the viewer sees, newest first: the portal's list.
    pub async fn project_files(&self, viewer: &Viewer, project: ProjectId, limit: i64, offset: i64) -> Result<(Vec<File>, i64)> {
        if !viewer.allows(domain::access::Permission::ViewFiles) {
            return Err(Error::NotFound);
        }
        let mut handle = self.db.read().await?;
        let mut conn = handle.conn();
        let scope = Scope::new(viewer);
        store::projects::get(&mut conn, &scope, project).await?;
        store::files::list_project(&mut conn, &scope, project, limit.clamp(1, 200), offset.max(0)).await
    }

    /// One file with its versions (staff see every version; clients only the current one).
    pub async fn file(&self, viewer: &Viewer, project: ProjectId, id: FileId) -> Result<(File, Vec<Version>)> {
        let mut handle = self.db.read().await?;
        let mut conn = handle.conn();
        let file = store::files::get(&mut conn, &Scope::new(viewer), project, id).await?;
        let mut versions = store::files::versions(&mut conn, &Scope::new(viewer), id).await?;
        if viewer.is_client() {
            versions.truncate(1);
        }
        Ok((file, versions))
    }

    /// What the staff's page of one file shows, read after one management check.
    pub async fn file_details(&self, viewer: &Viewer, project: ProjectId, id: FileId) -> Result<FileDetails> {
        let mut handle = self.db.read().await?;
        let mut conn = handle.conn();
        let found = managed(&mut conn, viewer, project).await?.project;
        let scope = Scope::new(viewer);
        let file = store::files::get(&mut conn, &scope, project, id).await?;
        let versions = store::files::versions(&mut conn, &scope, id).await?;
        let folder_choices = folder_paths(&store::files::all_folders(&mut conn, project).await?, None);
        Ok(FileDetails {
            project: found,
            file,
            versions,
            folder_choices,
        })
    }

    /// Renames, moves, shares or unshares a file in one transaction (staff); what the change
    /// leaves out stays as it is. Returns the file as it is now.
    pub async fn change_file(&self, viewer: &Viewer, project: ProjectId, id: FileId, change: &FileChange) -> Result<File> {
        let now = self.now();
        let mut tx = self.db.begin().await?;
        let mut conn = tx.conn();
        managed(&mut conn, viewer, project).await?;
        let file = store::files::get(&mut conn, &Scope::new(viewer), project, id).await?;
        if change.name.is_some() || change.folder.is_some() {
            if file.task_id.is_some() {
                return Err(Error::invalid(
                    "name",
                    "An attachment belongs to its task: it keeps its name and cannot move.",
                ));
            }
            let name = parse_file_name(change.name.as_deref().unwrap_or(&file.name))?;
            let place = match change.folder.unwrap_or(file.folder_id) {
                Some(folder) => {
                    store::files::folder(&mut conn, project, folder).await?;
                    Place::Folder(project, folder)
                }
                None => Place::Top(project),
            };
            match store::files::update_file(&mut conn, project, id, place, &name, now).await {
                Ok(0) => return Err(Error::NotFound),
                Ok(_) => {}
                Err(e) if is_unique_violation(&e) => return Err(Error::invalid("name", format!("{name} already exists there."))),
                Err(e) => return Err(store::db_error(e)),
            }
        }
        if let Some(shared) = change.client_visible
            && shared != file.client_visible
        {
            store::files::set_visibility(&mut conn, project, id, shared, now).await?;
            if shared {
                let event = store::activity::NewEvent {
                    project,
                    actor: Some(viewer.user_id()),
                    file: Some(id),
                    task: file.task_id,
                    detail: file.name.clone(),
                    ..Default::default()
                };
                store::activity::record(&mut conn, ActivityKind::FileShared, &event, now).await?;
            }
        }
        let file = store::files::get(&mut conn, &Scope::new(viewer), project, id).await?;
        tx.commit().await?;
        Ok(file)
    }

    /// Moves a file to the trash (staff; clients may delete their own organisation's uploads
    /// while they are not shared).
    pub async fn trash_file(&self, viewer: &Viewer, project: ProjectId, id: FileId) -> Result<()> {
        let now = self.now();
        let mut tx = self.db.begin().await?;
        let mut conn = tx.conn();
        let file = store::files::get(&mut conn, &Scope::new(viewer), project, id).await?;
        if viewer.is_client() {
            let own = file.uploader_org_id.is_some() && file.uploader_org_id == viewer.client_org();
            if !own || file.client_visible {
                return Err(Error::Forbidden);
            }
        } else {
            managed(&mut conn, viewer, project).await?;
        }
        store::files::trash(&mut conn, project, id, viewer.user_id(), now).await?;
        tx.commit().await
    }

    /// Takes a file out of the trash.
    pub async fn restore_file(&self, viewer: &Viewer, project: ProjectId, id: FileId) -> Result<()> {
        let mut tx = self.db.begin().await?;
        let mut conn = tx.conn();
        managed(&mut conn, viewer, project).await?;
        match store::files::restore(&mut conn, project, id).await {
            Ok(0) => return Err(Error::NotFound),
            Ok(_) => {}
            Err(e) if is_unique_violation(&e) => {
                return Err(Error::invalid(
                    "name",
                    "A file of the same name is in that place now; rename it first.",
                ));
            }
            Err(e) => return Err(store::db_error(e)),
        }
        tx.commit().await
    }

    /// A project's trash (staff).
    pub async fn trashed_files(&self, viewer: &Viewer, project: ProjectId, limit: i64, offset: i64) -> Result<Vec<File>> {
        let mut handle = self.db.read().await?;
        let mut conn = handle.conn();
        managed(&mut conn, viewer, project).await?;
        store::files::trashed(&mut conn, project, limit.clamp(1, 200), offset.max(0)).await
    }

    /// What the staff's files page shows of one folder (or the top): its path, subfolders, a
    /// page of its files (keyset: the last name and id), where it may move to, and for admins
    /// the project's storage use. Read after one management check.
    pub async fn folder_listing(
        &self,
        viewer: &Viewer,
        project: ProjectId,
        folder: Option<FolderId>,
        after: Option<(&str, FileId)>,
        limit: i64,
    ) -> Result<FolderListing> {
        let mut handle = self.db.read().await?;
        let mut conn = handle.conn();
        let found = managed(&mut conn, viewer, project).await?.project;
        let (path, place, move_targets) = match folder {
            Some(folder) => (
                store::files::folder_path(&mut conn, project, folder).await?,
                Place::Folder(project, folder),
                folder_paths(&store::files::all_folders(&mut conn, project).await?, Some(folder)),
            ),
            None => (Vec::new(), Place::Top(project), Vec::new()),
        };
        let storage = match viewer {
            Viewer::Admin(_) => Some(project_storage(&mut conn, project).await?),
            _ => None,
        };
        Ok(FolderListing {
            project: found,
            folders: store::files::folders_in(&mut conn, project, folder).await?,
            files: store::files::list(&mut conn, &Scope::new(viewer), place, after, limit.clamp(1, 200)).await?,
            path,
            move_targets,
            storage,
        })
    }

    pub async fn create_folder(&self, viewer: &Viewer, project: ProjectId, parent: Option<FolderId>, name: &str) -> Result<FolderId> {
        let now = self.now();
        let mut tx = self.db.begin().await?;
        let mut conn = tx.conn();
        managed(&mut conn, viewer, project).await?;
        let name = parse_folder_name(name)?;
        if let Some(parent) = parent {
            store::files::folder(&mut conn, project, parent).await?;
        }
        let id = FolderId::new();
        match store::files::insert_folder(&mut conn, id, project, parent, &name, viewer.user_id(), now).await {
            Ok(()) => {}
            Err(e) if is_unique_violation(&e) => return Err(Error::invalid("name", format!("A folder named {name} is already there."))),
            Err(e) => return Err(store::db_error(e)),
        }
        tx.commit().await?;
        Ok(id)
    }

    /// Renames a folder and moves it under another (never under itself or its own subfolders).
    pub async fn update_folder(
        &self,
        viewer: &Viewer,
        project: ProjectId,
        id: FolderId,
        parent: Option<FolderId>,
        name: &str,
    ) -> Result<()> {
        let mut tx = self.db.begin().await?;
        let mut conn = tx.conn();
        managed(&mut conn, viewer, project).await?;
        store::files::folder(&mut conn, project, id).await?;
        let name = parse_folder_name(name)?;
        if let Some(parent) = parent {
            let path = store::files::folder_path(&mut conn, project, parent).await?;
            if path.iter().any(|f| f.id == id) {
                return Err(Error::invalid(
                    "parent",
                    "A folder cannot move into itself or one of its subfolders.",
                ));
            }
        }
        match store::files::update_folder(&mut conn, project, id, parent, &name).await {
            Ok(0) => return Err(Error::NotFound),
            Ok(_) => {}
            Err(e) if is_unique_violation(&e) => return Err(Error::invalid("name", format!("A folder named {name} is already there."))),
            Err(e) => return Err(store::db_error(e)),
        }
        tx.commit().await
    }

    /// Deletes an empty folder.
    pub async fn delete_folder(&self, viewer: &Viewer, project: ProjectId, id: FolderId) -> Result<()> {
        let mut tx = self.db.begin().await?;
        let mut conn = tx.conn();
        managed(&mut conn, viewer, project).await?;
        store::files::folder(&mut conn, project, id).await?;
        if !store::files::folder_is_empty(&mut conn, id).await? {
            return Err(Error::invalid(
                "folder",
                "Only an empty folder can be deleted; move or delete what is in it first.",
            ));
        }
        store::files::delete_folder(&mut conn, project, id).await?;
        tx.commit().await
    }

    /// What a project's files take (every version, the trash included) and its quota (admins).
    pub async fn storage_use(&self, viewer: &Viewer, project: ProjectId) -> Result<(u64, Option<u64>)> {
        viewer.require_admin()?;
        let mut handle = self.db.read().await?;
        project_storage(&mut handle.conn(), project).await
    }

    /// Caps the bytes a project's files may take (every version, the trash included); `None`
    /// lifts the cap. Admins only.
    pub async fn set_storage_quota(&self, viewer: &Viewer, project: ProjectId, quota_bytes: Option<u64>) -> Result<()> {
        viewer.require_admin()?;
        let mut tx = self.db.begin().await?;
        store::files::set_quota(&mut tx.conn(), project, quota_bytes.map(|q| q.min(i64::MAX as u64) as i64)).await?;
        tx.commit().await
    }

    /// Storage per project and in total, and the largest files (admins).
    pub async fn media_report(&self, viewer: &Viewer, limit: i64, offset: i64) -> Result<MediaReport> {
        viewer.require_admin()?;
        let mut handle = self.db.read().await?;
        let mut conn = handle.conn();
        let (versions, bytes) = store::files::total_usage(&mut conn).await?;
        Ok(MediaReport {
            versions,
            bytes,
            by_project: store::files::usage_by_project(&mut conn, limit.clamp(1, 200), offset.max(0)).await?,
            largest: store::files::largest(&mut conn, 20).await?,
        })
    }

    /// Compares storage with the version rows, both ways. Objects are read from storage's
    /// listing and looked up in batches; rows are read in key order and looked up in the
    /// listing, so memory holds the key set once.
    pub async fn find_orphans(&self, viewer: &Viewer) -> Result<Orphans> {
        self.find_orphans_reporting(viewer, &|_: &Orphans| {}).await
    }

    /// [`App::find_orphans`], telling `progress` the counts after every batch.
    async fn find_orphans_reporting(&self, viewer: &Viewer, progress: &(dyn Fn(&Orphans) + Sync)) -> Result<Orphans> {
        viewer.require_admin()?;
        let mut orphans = Orphans::default();
        // Versions recorded after the listing began may have objects the listing missed.
        let listing_began = self.now();
        let mut stored = std::collections::HashSet::new();
        let mut listing = self.storage.list("files");
        let mut batch = Vec::new();
        loop {
            let next = listing.next().await.transpose()?;
            if let Some(object) = next.clone() {
                stored.insert(object.key.clone());
                batch.push(object);
                orphans.checked_objects += 1;
            }
            if batch.len() >= 500 || (next.is_none() && !batch.is_empty()) {
                let keys: Vec<String> = batch.iter().map(|o| o.key.clone()).collect();
                let mut handle = self.db.read().await?;
                let known: std::collections::HashSet<String> =
                    store::files::known_keys(&mut handle.conn(), &keys).await?.into_iter().collect();
                orphans.objects.extend(batch.drain(..).filter(|o| !known.contains(&o.key)));
                progress(&orphans);
            }
            if next.is_none() {
                break;
            }
        }
        orphans.unfinished = self.storage.partial_uploads("files").await?;
        let mut after = String::new();
        loop {
            let mut handle = self.db.read().await?;
            let keys = store::files::object_keys(&mut handle.conn(), &after, listing_began, 1000).await?;
            drop(handle);
            let Some(last) = keys.last().cloned() else { break };
            orphans.checked_rows += keys.len();
            orphans.rows.extend(keys.into_iter().filter(|k| !stored.contains(k)));
            after = last;
            progress(&orphans);
        }
        Ok(orphans)
    }

    /// Removes orphans: objects without a row (older than `grace`, so that an upload still
    /// being recorded is not mistaken for one), and rows without an object. Returns how many
    /// of each went.
    pub async fn clean_orphans(&self, viewer: &Viewer, grace: chrono::Duration) -> Result<(usize, usize)> {
        self.clean_orphans_reporting(viewer, grace, &|_: &Orphans| {}).await
    }

    async fn clean_orphans_reporting(
        &self,
        viewer: &Viewer,
        grace: chrono::Duration,
        progress: &(dyn Fn(&Orphans) + Sync),
    ) -> Result<(usize, usize)> {
        let orphans = self.find_orphans_reporting(viewer, progress).await?;
        let cutoff = self.now() - grace;
        let mut objects = 0;
        for object in orphans.objects.iter().filter(|o| o.modified <= cutoff) {
            self.storage.delete(&object.key).await?;
            objects += 1;
        }
        for partial in orphans.unfinished.iter().filter(|o| o.modified <= cutoff) {
            self.storage.remove_partial_upload(&partial.key).await?;
            objects += 1;
        }
        for key in &orphans.rows {
            let mut tx = self.db.begin().await?;
            store::files::forget_version(&mut tx.conn(), key).await?;
            tx.commit().await?;
        }
        tracing::info!(objects, rows = orphans.rows.len(), "orphans cleaned up");
        Ok((objects, orphans.rows.len()))
    }

    /// Removes unfinished uploads left by a process that was killed mid-upload, at start-up.
    /// Only those untouched for `idle` (an upload in progress on another node sharing the
    /// directory keeps writing, and uploads that stall are cut well before). Returns how many.
    pub async fn remove_abandoned_uploads(&self, idle: chrono::Duration) -> Result<usize> {
        let cutoff = self.now() - idle;
        let mut removed = 0;
        for partial in self.storage.partial_uploads("files").await? {
            if partial.modified <= cutoff {
                self.storage.remove_partial_upload(&partial.key).await?;
                removed += 1;
            }
        }
        if removed > 0 {
            tracing::info!(removed, "removed unfinished uploads left by an earlier run");
        }
        Ok(removed)
    }

    /// Starts the orphan check (or, with `clean`, the check and the cleanup) in the background,
    /// unless one is running; its progress and result are in [`App::media_task`].
    pub fn start_media_task(&self, viewer: &Viewer, clean: Option<chrono::Duration>) -> Result<()> {
        viewer.require_admin()?;
        {
            let mut state = self.media_task.lock().expect("media task state");
            if matches!(*state, MediaTask::Running { .. }) {
                return Ok(());
            }
            *state = MediaTask::Running {
                cleaning: clean.is_some(),
                checked_objects: 0,
                checked_rows: 0,
            };
        }
        let (app, viewer) = (self.clone(), *viewer);
        tokio::spawn(async move {
            let progress = |o: &Orphans| {
                if let MediaTask::Running {
                    checked_objects,
                    checked_rows,
                    ..
                } = &mut *app.media_task.lock().expect("media task state")
                {
                    (*checked_objects, *checked_rows) = (o.checked_objects, o.checked_rows);
                }
            };
            let outcome = match clean {
                Some(grace) => app
                    .clean_orphans_reporting(&viewer, grace, &progress)
                    .await
                    .map(|(objects, rows)| MediaTask::Cleaned { objects, rows }),
                None => app.find_orphans_reporting(&viewer, &progress).await.map(MediaTask::Checked),
            };
            *app.media_task.lock().expect("media task state") = outcome.unwrap_or_else(|e| {
                tracing::warn!(error = %e, "the media task failed");
                MediaTask::Failed(e.to_string())
            });
        });
        Ok(())
    }

    /// The orphan check's state on this node.
    pub fn media_task(&self, viewer: &Viewer) -> Result<MediaTask> {
        viewer.require_admin()?;
        Ok(self.media_task.lock().expect("media task state").clone())
    }

    /// Deletes for good the files that have been in the trash longer than `files.trash_days`:
    /// their objects first, then their rows. Returns how many files went.
    pub async fn purge_trash(&self) -> Result<usize> {
        let cutoff = self.now() - chrono::Duration::days(self.config.files.trash_days.into());
        let mut purged = 0;
        loop {
            let batch = {
                let mut handle = self.db.read().await?;
                store::files::purgeable(&mut handle.conn(), cutoff, 100).await?
            };
            if batch.is_empty() {
                break;
            }
            for (file, keys) in batch {
                // The row goes first, and only if the file is still in the trash: a restore
                // that came in between keeps the file and its objects.
                let mut tx = self.db.begin().await?;
                let deleted = store::files::delete_trashed(&mut tx.conn(), file, cutoff).await?;
                tx.commit().await?;
                if !deleted {
                    continue;
                }
                for key in keys {
                    self.storage.delete(&key).await?;
                    self.storage.delete(&thumbnail_key(&key)).await?;
                }
                purged += 1;
            }
        }
        if purged > 0 {
            tracing::info!(purged, "purged files from the trash");
        }
        Ok(purged)
    }
}

async fn collect(mut stream: futures::stream::BoxStream<'static, Result<Bytes>>) -> Result<Bytes> {
    let mut all = Vec::new();
    while let Some(chunk) = stream.next().await {
        all.extend_from_slice(&chunk?);
    }
    Ok(Bytes::from(all))
}

/// Decodes an image within bounds and scales it to fit [`THUMBNAIL_SIZE`]; `None` when it
/// cannot be read (corrupt, too large, an unsupported variant).
fn make_thumbnail(bytes: &[u8]) -> Option<Bytes> {
    let mut reader = image::ImageReader::new(std::io::Cursor::new(bytes)).with_guessed_format().ok()?;
    let mut limits = image::Limits::default();
    limits.max_image_width = Some(THUMBNAIL_MAX_PIXELS_SIDE);
    limits.max_image_height = Some(THUMBNAIL_MAX_PIXELS_SIDE);
    limits.max_alloc = Some(THUMBNAIL_DECODE_BUDGET);
    reader.limits(limits);
    let thumbnail = reader.decode().ok()?.thumbnail(THUMBNAIL_SIZE, THUMBNAIL_SIZE);
    let mut png = Vec::new();
    thumbnail
        .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
        .ok()?;
    Some(Bytes::from(png))
}

/// Bytes a project's files take (every version, the trash included) and its quota.
async fn project_storage(conn: &mut Conn<'_>, project: ProjectId) -> Result<(u64, Option<u64>)> {
    let used = store::files::project_usage(conn, project).await?;
    let quota = store::files::quota(conn, project).await?;
    Ok((used.max(0) as u64, quota.map(|q| q.max(0) as u64)))
}

/// Every folder as (id, "Parent / Child"), sorted by that path, for pickers. With `moving`, the
/// folders that one may move into: neither itself nor any folder inside it.
fn folder_paths(folders: &[Folder], moving: Option<FolderId>) -> Vec<(String, String)> {
    let by_id: std::collections::HashMap<FolderId, &Folder> = folders.iter().map(|f| (f.id, f)).collect();
    let mut paths: Vec<(String, String)> = folders
        .iter()
        .filter_map(|folder| {
            let mut names = vec![folder.name.as_str()];
            let mut lineage = vec![folder.id];
            let mut parent = folder.parent_id;
            // Bounded: a folder cannot be moved under itself, but stay safe.
            while let Some(up) = parent.and_then(|p| by_id.get(&p)).filter(|_| names.len() < 64) {
                names.push(&up.name);
                lineage.push(up.id);
                parent = up.parent_id;
            }
            if moving.is_some_and(|m| lineage.contains(&m)) {
                return None;
            }
            names.reverse();
            Some((folder.id.to_string(), names.join(" / ")))
        })
        .collect();
    paths.sort_by_key(|(_, path)| path.to_lowercase());
    paths
}

async fn visible_place(conn: &mut Conn<'_>, viewer: &Viewer, project: ProjectId, destination: Destination) -> Result<Place> {
    let scope = Scope::new(viewer);
    store::projects::get(conn, &scope, project).await?;
    Ok(match destination {
        Destination::Top => Place::Top(project),
        Destination::Folder(folder) => {
            if viewer.is_client() {
                return Err(Error::NotFound);
            }
            store::files::folder(conn, project, folder).await?;
            Place::Folder(project, folder)
        }
        Destination::Task(task) => {
            store::tasks::get(conn, &scope, project, task).await?;
            Place::Task(project, task)
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn png(width: u32, height: u32) -> Vec<u8> {
        let image = image::RgbaImage::from_pixel(width, height, image::Rgba([20, 120, 200, 255]));
        let mut bytes = Vec::new();
        image
            .write_to(&mut std::io::Cursor::new(&mut bytes), image::ImageFormat::Png)
            .unwrap();
        bytes
    }

    #[test]
    fn an_image_whose_pixels_exceed_the_decode_budget_gets_no_thumbnail() {
        // 5000 × 5000 RGBA is 100 MB decoded from a file of a few hundred KB.
        let huge = png(5000, 5000);
        assert!((huge.len() as u64) < THUMBNAIL_DECODE_BUDGET / 100, "small on disk");
        assert!(make_thumbnail(&huge).is_none(), "refused before its pixels are allocated");
        // 4000 × 4000 RGBA (64 MB) is within the budget.
        let large = make_thumbnail(&png(4000, 4000)).expect("a thumbnail within the budget");
        let thumbnail = image::load_from_memory(&large).unwrap();
        assert_eq!((thumbnail.width(), thumbnail.height()), (THUMBNAIL_SIZE, THUMBNAIL_SIZE));
    }
}
