//! Running several nodes on one database: each node must open the secrets the others sealed
//! and see the files the others stored. A node that does not refuses to start, saying what
//! to share, instead of failing payments and downloads one request at a time.

use crate::App;
use domain::{Error, Result};

/// A value sealed by the first node, which every node must be able to open.
const KEY_CHECK: &str = "nodes.key_check";
/// The id of the file storage the database's files live in, also written into the storage.
const STORAGE_ID: &str = "nodes.storage_id";
/// The object that holds the storage's id, outside the `files/` the orphan check reads.
const STORAGE_MARKER: &str = "portico-storage-id";
/// How long a node waits for the first node's marker, when both start at once.
const MARKER_WAIT: std::time::Duration = std::time::Duration::from_secs(2);

impl App {
    /// Checks that this node shares the secrets key and the file storage with the database
    /// (and so with every other node on it); the first node to start records both. Called
    /// by `portico serve` before it listens.
    pub async fn check_shared_with_other_nodes(&self) -> Result<()> {
        self.check_secrets_key().await?;
        self.check_file_storage().await
    }

    async fn check_secrets_key(&self) -> Result<()> {
        let vault = &self.config.vault;
        let mut tx = self.db.begin().await?;
        let mut conn = tx.conn();
        // An installation from before this check may hold sealed values already: they decide.
        let sealed = store::settings::with_prefix(&mut conn, "")
            .await?
            .into_iter()
            .find(|s| s.encrypted && s.key != KEY_CHECK);
        let opens = |name: &str, value: &str| vault.open(name, value).is_ok();
        if let Some(setting) = &sealed
            && !opens(&setting.key, &setting.value)
        {
            return Err(key_mismatch(vault.origin()));
        }
        let stored = store::settings::put_if_absent(&mut conn, KEY_CHECK, &vault.seal(KEY_CHECK, "portico"), true, self.now()).await?;
        tx.commit().await?;
        if opens(KEY_CHECK, &stored) {
            Ok(())
        } else {
            Err(key_mismatch(vault.origin()))
        }
    }

    async fn check_file_storage(&self) -> Result<()> {
        let candidate = uuid::Uuid::now_v7().to_string();
        let stored = {
            let mut tx = self.db.begin().await?;
            let stored = store::settings::put_if_absent(&mut tx.conn(), STORAGE_ID, &candidate, false, self.now()).await?;
            tx.commit().await?;
            stored
        };
        if stored == candidate {
            // The first node: its storage is the one. Should the marker not be written, the
            // record goes too, so that the next start tries again.
            if let Err(e) = self.storage.put_small(STORAGE_MARKER, candidate.into_bytes()).await {
                let mut tx = self.db.begin().await?;
                store::settings::delete(&mut tx.conn(), STORAGE_ID).await?;
                tx.commit().await?;
                return Err(e);
            }
            return Ok(());
        }
        let mut marker = self.storage.read_small(STORAGE_MARKER).await?;
        if marker.is_none() {
            // Another node may be writing it this moment.
            tokio::time::sleep(MARKER_WAIT).await;
            marker = self.storage.read_small(STORAGE_MARKER).await?;
        }
        match marker {
            Some(found) if found.as_ref() == stored.as_bytes() => Ok(()),
            found => Err(Error::invalid(
                "files.storage",
                format!(
                    "This node's file storage ({}) is not the one this database's files are in ({}). Every node must use the same \
                     storage: an S3 bucket (files.storage = \"s3\"), or one directory shared by all nodes. See docs/NODES.md.",
                    self.storage.location(),
                    if found.is_some() {
                        "it belongs to another installation"
                    } else {
                        "it has no Portico storage mark"
                    },
                ),
            )),
        }
    }
}

fn key_mismatch(key: &str) -> Error {
    Error::invalid(
        "secrets.key_file",
        format!(
            "The secrets key ({key}) cannot open the secrets stored in this database (payment gateway keys): it is not the \
             key the other nodes use. Every node must use the same key file: copy it from the first node, or point \
             secrets.key_file at one shared file. See docs/NODES.md."
        ),
    )
}
