//! Readiness: whether this node can serve, for load balancers and monitoring. Each check has
//! a deadline, so `/readyz` answers within about a second even when the database hangs.

use crate::App;
use crate::storage::StorageConfig;
use std::path::Path;
use std::time::Duration;

/// How long one check may take before it counts as failed.
pub const CHECK_DEADLINE: Duration = Duration::from_millis(900);

/// Below this much free space, a disk counts as full: writes would start failing.
pub const MIN_FREE_BYTES: u64 = 16 * 1024 * 1024;

/// One check's outcome: `Ok` or what is wrong, in words an operator can act on.
#[derive(Debug)]
pub struct Check {
    pub name: &'static str,
    pub outcome: Result<(), String>,
}

impl App {
    /// Every readiness check, run at once; the node is ready when all pass.
    pub async fn readiness(&self) -> Vec<Check> {
        let (read, write) = tokio::join!(within_deadline(self.db.ping()), within_deadline(self.db.ping_write()),);
        let mut checks = vec![
            Check {
                name: "database_read",
                outcome: read,
            },
            Check {
                name: "database_write",
                outcome: write,
            },
        ];
        if let Some(directory) = self.db.local_file().and_then(Path::parent) {
            checks.push(Check {
                name: "database_disk",
                outcome: has_room(directory),
            });
        }
        if let StorageConfig::Local { root } = &self.config.files.storage {
            checks.push(Check {
                name: "files_disk",
                outcome: has_room(root),
            });
        }
        checks
    }
}

async fn within_deadline(check: impl Future<Output = domain::Result<()>>) -> Result<(), String> {
    match tokio::time::timeout(CHECK_DEADLINE, check).await {
        Ok(Ok(())) => Ok(()),
        Ok(Err(e)) => Err(e.detail().map_or_else(|| e.to_string(), str::to_owned)),
        Err(_) => Err(format!("no answer within {} ms", CHECK_DEADLINE.as_millis())),
    }
}

fn has_room(path: &Path) -> Result<(), String> {
    let stats = nix::sys::statvfs::statvfs(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let free = stats.blocks_available() as u64 * stats.fragment_size() as u64;
    if free < MIN_FREE_BYTES {
        return Err(format!(
            "the disk of {} is full ({} KiB free); free space or grow the disk",
            path.display(),
            free / 1024
        ));
    }
    Ok(())
}
