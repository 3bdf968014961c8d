//! Configuration of a new filesystem.

use std::sync::Arc;
use std::time::Duration;

use arc_swap::ArcSwap;
use dmemfs_core_tree::Tree;
use dmemfs_quota::{NodeCounter, QuotaLedger};
use dmemfs_storage_backends::{StorageConfig, StorageKind};

use crate::{Concurrency, FsCore, MemoryFileSystem, Result};

/// Default byte quota: 256 MiB.
pub const DEFAULT_MAX_QUOTA: u64 = 256 * 1024 * 1024;
/// Default size above which an `Auto` file is not promoted: 512 MiB.
pub const DEFAULT_PROMOTION_HARD_LIMIT: u64 = 512 * 1024 * 1024;
/// Default quota charge per stored chunk.
pub const DEFAULT_CHUNK_OVERHEAD: u64 = 128;
/// Default time an open waits for a file's lock.
pub const DEFAULT_LOCK_TIMEOUT: Duration = Duration::from_secs(30);

/// Builds a [`MemoryFileSystem`]; from [`MemoryFileSystem::builder`].
#[derive(Debug, Clone)]
pub struct FsBuilder {
    max_quota: u64,
    max_nodes: Option<u64>,
    storage: StorageConfig,
    default_lock_timeout: Option<Duration>,
    concurrency: Concurrency,
}

impl Default for FsBuilder {
    fn default() -> Self {
        FsBuilder {
            max_quota: DEFAULT_MAX_QUOTA,
            max_nodes: None,
            storage: StorageConfig {
                kind: StorageKind::Auto,
                chunk_overhead: DEFAULT_CHUNK_OVERHEAD,
                promotion_hard_limit: DEFAULT_PROMOTION_HARD_LIMIT,
            },
            default_lock_timeout: Some(DEFAULT_LOCK_TIMEOUT),
            concurrency: Concurrency::Actor,
        }
    }
}

impl FsBuilder {
    /// The byte quota (default 256 MiB).
    pub fn max_quota(mut self, bytes: u64) -> Self {
        self.max_quota = bytes;
        self
    }

    /// The most files and directories there may be, the root not counted
    /// (default unlimited).
    pub fn max_nodes(mut self, nodes: u64) -> Self {
        self.max_nodes = Some(nodes);
        self
    }

    /// The storage new files start with (default [`StorageKind::Auto`]).
    pub fn default_storage(mut self, kind: StorageKind) -> Self {
        self.storage.kind = kind;
        self
    }

    /// Size above which an `Auto` file is not promoted to random access
    /// (default 512 MiB); a random write to such a file is `Unsupported`.
    pub fn promotion_hard_limit(mut self, bytes: u64) -> Self {
        self.storage.promotion_hard_limit = bytes;
        self
    }

    /// Quota charge per stored chunk of sequential storage (default 128).
    pub fn chunk_overhead(mut self, bytes: u64) -> Self {
        self.storage.chunk_overhead = bytes;
        self
    }

    /// How long opens wait for a file's lock by default (default 30 s);
    /// `None` waits forever.
    pub fn default_lock_timeout(mut self, t: Option<Duration>) -> Self {
        self.default_lock_timeout = t;
        self
    }

    /// How structural mutations are applied (default [`Concurrency::Actor`]).
    pub fn concurrency(mut self, c: Concurrency) -> Self {
        self.concurrency = c;
        self
    }

    /// Builds the filesystem; with [`Concurrency::Actor`] this starts its
    /// writer thread.
    pub fn build(self) -> Result<MemoryFileSystem> {
        let core = Arc::new(FsCore {
            ledger: QuotaLedger::new(self.max_quota),
            nodes: NodeCounter::new(self.max_nodes),
            published: ArcSwap::from_pointee(Tree::new()),
            storage: self.storage,
            default_lock_timeout: self.default_lock_timeout,
            #[cfg(feature = "fault-injection")]
            faults: crate::fault::Faults::default(),
        });
        MemoryFileSystem::start(core, self.concurrency)
    }
}
