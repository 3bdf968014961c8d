//! State shared by a filesystem, its writer and its handles.

use std::fmt;
use std::time::Duration;

use dmemfs_core_tree::Tree;
use dmemfs_quota::{NodeCounter, QuotaLedger};
use dmemfs_storage_backends::{File, StorageConfig};

use crate::sync::{Arc, Published};

/// What the tree stores for a file: shared between the published snapshots
/// and the holds on the file.
pub(crate) type FileRef = Arc<File>;

/// What every part of one filesystem reads. Only the tree writer stores into
/// `published`; everyone else loads it, lock-free.
pub(crate) struct FsCore {
    pub(crate) ledger: Arc<QuotaLedger>,
    pub(crate) nodes: NodeCounter,
    pub(crate) published: Published<Tree<FileRef>>,
    pub(crate) storage: StorageConfig,
    pub(crate) default_lock_timeout: Option<Duration>,
    /// Failure injection points armed by tests.
    #[cfg(feature = "fault-injection")]
    pub(crate) faults: crate::fault::Faults,
}

impl fmt::Debug for FsCore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FsCore")
            .field("ledger", &self.ledger)
            .field("nodes", &self.nodes)
            .field("storage", &self.storage)
            .field("default_lock_timeout", &self.default_lock_timeout)
            .finish_non_exhaustive()
    }
}
