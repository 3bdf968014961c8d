//! Configuration of a new filesystem.

use std::time::Duration;

use dmemfs_core_tree::Tree;
use dmemfs_quota::memory_guard::check_init;
use dmemfs_quota::{
    GrowthGuard, GuardAction, MemoryGuard, MemorySource, NodeCounter, QuotaLedger, SystemMemory,
};
use dmemfs_storage_backends::{StorageConfig, StorageKind};

use crate::sync::{Arc, Published};
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
    memory_guard: MemoryGuard,
    memory_guard_action: GuardAction,
    memory_source: Option<Arc<dyn MemorySource>>,
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
            memory_guard: MemoryGuard::None,
            memory_guard_action: GuardAction::Warn,
            memory_source: None,
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

    /// When the memory available to the process is checked (default
    /// [`MemoryGuard::None`]): [`MemoryGuard::Init`] checks at
    /// [`FsBuilder::build`] that the quota fits in it;
    /// [`MemoryGuard::PerWrite`] does that and checks every growth of the
    /// stored data against a figure refreshed at most once per interval.
    ///
    /// ```
    /// use std::sync::atomic::{AtomicU64, Ordering};
    /// use std::sync::Arc;
    /// use std::time::Duration;
    /// use dmemfs::{Error, GuardAction, MemoryFileSystem, MemoryGuard, MemorySource};
    ///
    /// /// A fixed figure instead of the system's.
    /// #[derive(Debug)]
    /// struct Fixed(u64);
    /// impl MemorySource for Fixed {
    ///     fn available_bytes(&self) -> Option<u64> {
    ///         Some(self.0)
    ///     }
    /// }
    ///
    /// // A 1 MiB quota does not fit in 64 KiB of memory.
    /// let err = MemoryFileSystem::builder()
    ///     .max_quota(1 << 20)
    ///     .memory_guard(MemoryGuard::Init)
    ///     .memory_guard_action(GuardAction::Raise)
    ///     .memory_source(Arc::new(Fixed(64 << 10)))
    ///     .build()
    ///     .unwrap_err();
    /// assert_eq!(err, Error::MemoryGuard { requested: 1 << 20, available: 64 << 10 });
    ///
    /// // Per write, against a figure that changes.
    /// #[derive(Debug)]
    /// struct Settable(AtomicU64);
    /// impl MemorySource for Settable {
    ///     fn available_bytes(&self) -> Option<u64> {
    ///         Some(self.0.load(Ordering::Relaxed))
    ///     }
    /// }
    /// let memory = Arc::new(Settable(AtomicU64::new(1 << 20)));
    /// let fs = MemoryFileSystem::builder()
    ///     .max_quota(1 << 20)
    ///     .memory_guard(MemoryGuard::PerWrite { interval: Duration::ZERO })
    ///     .memory_guard_action(GuardAction::Raise)
    ///     .memory_source(memory.clone())
    ///     .build()?;
    /// fs.write("/a", vec![0u8; 1024])?;
    /// memory.0.store(512, Ordering::Relaxed); // the machine runs short
    /// assert!(matches!(
    ///     fs.write("/b", vec![0u8; 1024]),
    ///     Err(Error::MemoryGuard { available: 512, .. })
    /// ));
    /// # Ok::<(), Error>(())
    /// ```
    pub fn memory_guard(mut self, guard: MemoryGuard) -> Self {
        self.memory_guard = guard;
        self
    }

    /// What the memory guard does when memory is short (default
    /// [`GuardAction::Warn`]: a `log` warning, the operation goes on;
    /// [`GuardAction::Raise`]: [`Error::MemoryGuard`](crate::Error::MemoryGuard)).
    pub fn memory_guard_action(mut self, action: GuardAction) -> Self {
        self.memory_guard_action = action;
        self
    }

    /// Where the memory guard reads the available memory (default
    /// [`SystemMemory`]: the container's cgroup headroom or the host's
    /// `MemAvailable`, the smaller). Tests inject a fixed or scripted figure
    /// here; the source is not consulted unless a guard is set.
    pub fn memory_source(mut self, source: Arc<dyn MemorySource>) -> Self {
        self.memory_source = Some(source);
        self
    }

    /// Builds the filesystem; with [`Concurrency::Actor`] this starts its
    /// writer thread.
    ///
    /// With a memory guard, a quota larger than the available memory is
    /// logged ([`GuardAction::Warn`]) or fails the build with
    /// [`Error::MemoryGuard`](crate::Error::MemoryGuard) ([`GuardAction::Raise`]).
    pub fn build(self) -> Result<MemoryFileSystem> {
        let guard = match self.memory_guard {
            MemoryGuard::None => None,
            mode => {
                let source = self
                    .memory_source
                    .unwrap_or_else(|| Arc::new(SystemMemory::new()));
                check_init(mode, self.memory_guard_action, &*source, self.max_quota)?;
                match mode {
                    MemoryGuard::PerWrite { interval } => {
                        Some(GrowthGuard::new(source, self.memory_guard_action, interval))
                    }
                    _ => None,
                }
            }
        };
        let core = Arc::new(FsCore {
            ledger: QuotaLedger::with_guard(self.max_quota, guard),
            nodes: NodeCounter::new(self.max_nodes),
            published: Published::from_pointee(Tree::new()),
            storage: self.storage,
            default_lock_timeout: self.default_lock_timeout,
            #[cfg(feature = "fault-injection")]
            faults: crate::fault::Faults::default(),
        });
        MemoryFileSystem::start(core, self.concurrency)
    }
}
