//! Where file bytes live: a directory under the data directory, or any S3-compatible store,
//! both through `object_store`. Uploads stream through in parts (never a whole file in
//! memory); an upload that does not finish is aborted, which removes its parts.

use bytes::Bytes;
use domain::{Error, Result};
use futures::stream::BoxStream;
use futures::{StreamExt, TryStreamExt};
use object_store::aws::{AmazonS3, AmazonS3Builder};
use object_store::local::LocalFileSystem;
use object_store::path::Path as ObjectPath;
use object_store::signer::{SignedUrlOptions, Signer};
use object_store::{GetOptions, GetRange, GetResultPayload, ObjectStore, ObjectStoreExt, WriteMultipart};
use sha2::{Digest, Sha256};
use std::ops::Range;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncSeekExt};
use tokio_util::io::ReaderStream;

/// Parts in flight while uploading to S3 (each up to [`PART_BYTES`]): bounds memory per upload.
const PARTS_IN_FLIGHT: usize = 2;
const PART_BYTES: usize = 8 * 1024 * 1024;
/// Bytes read from a local file at a time when serving it.
const READ_CHUNK: usize = 256 * 1024;
/// How long a presigned download link works.
pub const LINK_LIFETIME: Duration = Duration::from_secs(300);

#[derive(Clone, Debug)]
pub enum StorageConfig {
    Local {
        root: PathBuf,
    },
    S3 {
        bucket: String,
        /// Empty for AWS itself; `http://127.0.0.1:9000` for a self-hosted store.
        endpoint: String,
        region: String,
        access_key: String,
        secret_key: String,
        /// Bucket in the path (`endpoint/bucket/key`) rather than the host name.
        path_style: bool,
    },
}

#[derive(Clone, Debug)]
pub struct Storage {
    store: Arc<dyn ObjectStore>,
    /// Set for S3: downloads are handed out as short-lived presigned links.
    s3: Option<Arc<AmazonS3>>,
    /// Set for local storage: where unfinished uploads are looked for.
    local_root: Option<PathBuf>,
    /// Where the bytes are, for messages: "the directory …" or "the S3 bucket …".
    location: String,
}

impl Storage {
    pub fn open(config: &StorageConfig) -> Result<Self> {
        match config {
            StorageConfig::Local { root } => {
                std::fs::create_dir_all(root)
                    .map_err(|e| Error::internal(format!("cannot create the files directory {}: {e}", root.display())))?;
                move_doubled_files_dir(root).map_err(|e| {
                    Error::internal(format!(
                        "cannot move the stored files from {0}/files/files to {0}/files: {e}",
                        root.display()
                    ))
                })?;
                let local = LocalFileSystem::new_with_prefix(root).map_err(storage_error)?;
                Ok(Storage {
                    store: Arc::new(local),
                    s3: None,
                    local_root: Some(root.clone()),
                    location: format!("the directory {}", root.display()),
                })
            }
            StorageConfig::S3 {
                bucket,
                endpoint,
                region,
                access_key,
                secret_key,
                path_style,
            } => {
                let mut builder = AmazonS3Builder::new()
                    .with_bucket_name(bucket)
                    .with_region(region)
                    .with_access_key_id(access_key)
                    .with_secret_access_key(secret_key)
                    .with_virtual_hosted_style_request(!path_style);
                if !endpoint.is_empty() {
                    builder = builder.with_endpoint(endpoint).with_allow_http(endpoint.starts_with("http://"));
                }
                let s3 = Arc::new(builder.build().map_err(storage_error)?);
                Ok(Storage {
                    store: s3.clone(),
                    s3: Some(s3),
                    local_root: None,
                    location: match endpoint.as_str() {
                        "" => format!("the S3 bucket {bucket}"),
                        endpoint => format!("the S3 bucket {bucket} at {endpoint}"),
                    },
                })
            }
        }
    }

    /// Starts writing a new object.
    pub async fn begin(&self, key: &str) -> Result<Upload> {
        let upload = self.store.put_multipart(&ObjectPath::from(key)).await.map_err(storage_error)?;
        Ok(Upload {
            writer: Some(WriteMultipart::new_with_chunk_size(upload, PART_BYTES)),
            size: 0,
            hasher: Sha256::new(),
            head: Vec::new(),
        })
    }

    /// An object's bytes, whole or a range of them. `NotFound` when the object is gone.
    pub async fn get(&self, key: &str, range: Option<Range<u64>>) -> Result<BoxStream<'static, Result<Bytes>>> {
        let options = GetOptions {
            range: range.map(GetRange::Bounded),
            ..Default::default()
        };
        let result = self.store.get_opts(&ObjectPath::from(key), options).await.map_err(storage_error)?;
        let range = result.range.clone();
        match result.payload {
            // A local file is read in large chunks: object_store's own stream reads 8 KiB at a
            // time, which held downloads to under 200 MB/s on loopback.
            GetResultPayload::File(file, _) => {
                let mut file = tokio::fs::File::from_std(file);
                file.seek(std::io::SeekFrom::Start(range.start))
                    .await
                    .map_err(|e| Error::Unavailable(format!("file storage: {e}")))?;
                let reader = file.take(range.end - range.start);
                Ok(ReaderStream::with_capacity(reader, READ_CHUNK)
                    .map_err(|e| Error::Unavailable(format!("file storage: {e}")))
                    .boxed())
            }
            GetResultPayload::Stream(stream) => Ok(stream.map_err(storage_error).boxed()),
        }
    }

    /// A presigned link to an object for S3 (`None` for local storage, which Portico serves
    /// itself). The link makes the store answer with this Content-Type and Content-Disposition.
    pub async fn link(&self, key: &str, content_type: &str, disposition: &str) -> Result<Option<url::Url>> {
        let Some(s3) = &self.s3 else { return Ok(None) };
        let options = SignedUrlOptions::new().with_query([
            ("response-content-type", content_type),
            ("response-content-disposition", disposition),
        ]);
        let url = s3
            .signed_url_opts(http::Method::GET, &ObjectPath::from(key), LINK_LIFETIME, &options)
            .await
            .map_err(storage_error)?;
        Ok(Some(url))
    }

    /// Where the bytes are, for messages ("the directory …", "the S3 bucket …").
    pub fn location(&self) -> &str {
        &self.location
    }

    /// Writes a small object whole.
    pub async fn put_small(&self, key: &str, bytes: Vec<u8>) -> Result<()> {
        self.store
            .put(&ObjectPath::from(key), bytes.into())
            .await
            .map(drop)
            .map_err(storage_error)
    }

    /// Reads a small object whole; `None` when there is none.
    pub async fn read_small(&self, key: &str) -> Result<Option<Bytes>> {
        match self.store.get(&ObjectPath::from(key)).await {
            Ok(found) => found.bytes().await.map(Some).map_err(storage_error),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(storage_error(e)),
        }
    }

    /// Whether an object exists.
    pub async fn exists(&self, key: &str) -> Result<bool> {
        match self.store.head(&ObjectPath::from(key)).await {
            Ok(_) => Ok(true),
            Err(object_store::Error::NotFound { .. }) => Ok(false),
            Err(e) => Err(storage_error(e)),
        }
    }

    /// Deletes an object; one already gone is not an error.
    pub async fn delete(&self, key: &str) -> Result<()> {
        match self.store.delete(&ObjectPath::from(key)).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(storage_error(e)),
        }
    }

    /// Every object under a prefix.
    pub fn list(&self, prefix: &str) -> BoxStream<'static, Result<StoredObject>> {
        self.store
            .list(Some(&ObjectPath::from(prefix)))
            .map(|item| {
                item.map(|meta| StoredObject {
                    key: meta.location.to_string(),
                    size: meta.size,
                    modified: meta.last_modified,
                })
                .map_err(storage_error)
            })
            .boxed()
    }

    /// Unfinished uploads under a prefix: local storage writes an object to `key#N` and
    /// renames it when complete, so a process killed mid-upload leaves that file, which the
    /// store's listing does not show. (An S3 store drops unfinished multipart uploads by its
    /// own lifecycle rule; none are listed here.)
    pub async fn partial_uploads(&self, prefix: &str) -> Result<Vec<StoredObject>> {
        let Some(root) = self.local_root.clone() else {
            return Ok(Vec::new());
        };
        let prefix = prefix.to_owned();
        tokio::task::spawn_blocking(move || {
            let mut found = Vec::new();
            collect_partial_uploads(&root, &root.join(&prefix), &mut found)
                .map_err(|e| Error::Unavailable(format!("file storage: cannot list {}: {e}", root.join(&prefix).display())))?;
            Ok(found)
        })
        .await
        .map_err(|e| Error::internal(format!("listing unfinished uploads: {e}")))?
    }

    /// Removes an unfinished upload found by [`Storage::partial_uploads`].
    pub async fn remove_partial_upload(&self, key: &str) -> Result<()> {
        let Some(root) = &self.local_root else { return Ok(()) };
        if !is_partial_upload_name(key) || key.split('/').any(|part| part == ".." || part.is_empty()) {
            return Err(Error::internal(format!("not an unfinished upload: {key}")));
        }
        match tokio::fs::remove_file(root.join(key)).await {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(Error::Unavailable(format!("file storage: cannot remove {key}: {e}"))),
        }
    }
}

/// Up to 0.1, local storage was rooted at `<data>/files` with keys that start with `files/`,
/// so files sat under `<data>/files/files/…`. The root is now the data directory; this moves
/// an old layout's files up one level, in steps that a crash can resume: `files` becomes
/// `files.moving`, its `files` becomes `files`, and the empty `files.moving` goes.
fn move_doubled_files_dir(root: &std::path::Path) -> std::io::Result<()> {
    let current = root.join("files");
    let moving = root.join("files.moving");
    if current.join("files").is_dir() && !moving.exists() {
        std::fs::rename(&current, &moving)?;
    }
    if moving.exists() {
        if !current.exists() {
            std::fs::rename(moving.join("files"), &current)?;
        }
        std::fs::remove_dir(&moving)?;
        tracing::info!(root = %root.display(), "stored files moved from files/files to files");
    }
    Ok(())
}

/// `name#N`: object_store's name for a local object still being written.
fn is_partial_upload_name(path: &str) -> bool {
    path.rsplit_once('#')
        .is_some_and(|(_, n)| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
}

fn collect_partial_uploads(root: &std::path::Path, dir: &std::path::Path, found: &mut Vec<StoredObject>) -> std::io::Result<()> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(e),
    };
    for entry in entries {
        let entry = entry?;
        let kind = entry.file_type()?;
        if kind.is_dir() {
            collect_partial_uploads(root, &entry.path(), found)?;
        } else if kind.is_file() && is_partial_upload_name(&entry.file_name().to_string_lossy()) {
            let meta = entry.metadata()?;
            let path = entry.path();
            let key = path.strip_prefix(root).unwrap_or(&path).to_string_lossy().replace('\\', "/");
            found.push(StoredObject {
                key,
                size: meta.len(),
                modified: meta.modified().map(chrono::DateTime::from).unwrap_or_default(),
            });
        }
    }
    Ok(())
}

/// An object in storage.
#[derive(Clone, Debug)]
pub struct StoredObject {
    pub key: String,
    pub size: u64,
    pub modified: chrono::DateTime<chrono::Utc>,
}

/// An object being written. Dropped without [`Upload::finish`], its parts are left for the
/// store to expire; call [`Upload::abort`] to remove them at once.
pub struct Upload {
    writer: Option<WriteMultipart>,
    size: u64,
    hasher: Sha256,
    head: Vec<u8>,
}

/// What was written.
pub struct Written {
    pub size: u64,
    pub sha256: String,
    /// The first bytes, to decide the type by.
    pub head: Vec<u8>,
}

impl Upload {
    pub fn size(&self) -> u64 {
        self.size
    }

    /// Appends bytes, waiting while earlier parts are still being sent.
    pub async fn write(&mut self, bytes: Bytes) -> Result<()> {
        let writer = self.writer.as_mut().ok_or_else(|| Error::internal("upload already ended"))?;
        writer.wait_for_capacity(PARTS_IN_FLIGHT).await.map_err(storage_error)?;
        self.size += bytes.len() as u64;
        self.hasher.update(&bytes);
        if self.head.len() < domain::files::SNIFF_BYTES {
            let take = (domain::files::SNIFF_BYTES - self.head.len()).min(bytes.len());
            self.head.extend_from_slice(&bytes[..take]);
        }
        writer.put(bytes);
        Ok(())
    }

    pub async fn finish(mut self) -> Result<Written> {
        let writer = self.writer.take().ok_or_else(|| Error::internal("upload already ended"))?;
        writer.finish().await.map_err(storage_error)?;
        Ok(Written {
            size: self.size,
            sha256: hex::encode(self.hasher.clone().finalize()),
            head: std::mem::take(&mut self.head),
        })
    }

    /// Gives up: the parts written so far are removed.
    pub async fn abort(mut self) {
        if let Some(writer) = self.writer.take()
            && let Err(e) = writer.abort().await
        {
            tracing::warn!(error = %e, "could not abort an interrupted upload; the media check will find its parts");
        }
    }
}

fn storage_error(e: object_store::Error) -> Error {
    match e {
        object_store::Error::NotFound { .. } => Error::NotFound,
        e if is_disk_full(&e) => Error::StorageFull(format!("file storage: {e}")),
        e => Error::Unavailable(format!("file storage: {e}")),
    }
}

/// Whether an I/O error somewhere in the chain is "no space left on device" (or a quota), so
/// the person is told the disk is full rather than to try again.
fn is_disk_full(error: &(dyn std::error::Error + 'static)) -> bool {
    let mut next = Some(error);
    while let Some(e) = next {
        if let Some(io) = e.downcast_ref::<std::io::Error>()
            && matches!(io.kind(), std::io::ErrorKind::StorageFull | std::io::ErrorKind::QuotaExceeded)
        {
            return true;
        }
        next = e.source();
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch() -> PathBuf {
        let dir = std::env::temp_dir().join(format!("portico-storage-{}", uuid::Uuid::now_v7()));
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn the_doubled_files_directory_moves_up_and_a_crash_half_way_resumes() {
        let root = scratch();
        std::fs::create_dir_all(root.join("files/files/p1")).unwrap();
        std::fs::write(root.join("files/files/p1/v1"), b"bytes").unwrap();
        move_doubled_files_dir(&root).unwrap();
        assert_eq!(std::fs::read(root.join("files/p1/v1")).unwrap(), b"bytes");
        assert!(!root.join("files/files").exists() && !root.join("files.moving").exists());
        move_doubled_files_dir(&root).unwrap();
        assert_eq!(std::fs::read(root.join("files/p1/v1")).unwrap(), b"bytes", "twice changes nothing");

        // Stopped after the first rename: the next start finishes the move.
        let root = scratch();
        std::fs::create_dir_all(root.join("files.moving/files/p2")).unwrap();
        std::fs::write(root.join("files.moving/files/p2/v2"), b"more").unwrap();
        move_doubled_files_dir(&root).unwrap();
        assert_eq!(std::fs::read(root.join("files/p2/v2")).unwrap(), b"more");
        assert!(!root.join("files.moving").exists());
    }

    #[test]
    fn only_object_store_staging_names_are_unfinished_uploads() {
        assert!(is_partial_upload_name("files/p/v#1"));
        assert!(is_partial_upload_name("files/p/v#12"));
        assert!(!is_partial_upload_name("files/p/v"));
        assert!(!is_partial_upload_name("files/p/v#"));
        assert!(!is_partial_upload_name("files/p/v#x1"));
    }
}
