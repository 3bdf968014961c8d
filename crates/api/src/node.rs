//! A file as the tree holds it: its lock, its data and its metadata.
//!
//! The node is shared (`Arc`) between the published tree snapshots and the
//! handles that have it open. Its data and metadata change in place, under
//! the file's write lock, without going through the tree writer; its place in
//! the tree changes only through the tree writer.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use dmemfs_storage_backends::FileStorage;

use crate::file_lock::FileLock;
use crate::sync::{Arc, AtomicBool, AtomicU64, Ordering};

/// What the tree stores for a file.
pub(crate) type FileRef = Arc<FileNode>;

/// One file.
#[derive(Debug)]
pub(crate) struct FileNode {
    pub(crate) lock: FileLock,
    pub(crate) storage: FileStorage,
    created_at: SystemTime,
    /// Nanoseconds since the Unix epoch, so it can move without a lock.
    modified_at: AtomicU64,
    generation: AtomicU64,
    /// Written since it was made (what `only_dirty` exports select).
    dirty: AtomicBool,
    /// Removed from the tree (or replaced): lazy exporters skip it.
    unlinked: AtomicBool,
}

/// How a new node starts.
pub(crate) struct NewFile {
    pub(crate) storage: FileStorage,
    pub(crate) write_locked: bool,
    pub(crate) generation: u64,
    pub(crate) dirty: bool,
}

impl NewFile {
    /// A clean, unlocked file holding `storage` (imports and tree copies).
    pub(crate) fn with_storage(storage: FileStorage) -> Self {
        NewFile {
            storage,
            write_locked: false,
            generation: 0,
            dirty: false,
        }
    }
}

impl FileNode {
    pub(crate) fn new(spec: NewFile) -> FileRef {
        let now = SystemTime::now();
        Arc::new(FileNode {
            lock: if spec.write_locked {
                FileLock::new_write_locked()
            } else {
                FileLock::default()
            },
            storage: spec.storage,
            created_at: now,
            modified_at: AtomicU64::new(nanos_since_epoch(now)),
            generation: AtomicU64::new(spec.generation),
            dirty: AtomicBool::new(spec.dirty),
            unlinked: AtomicBool::new(false),
        })
    }

    pub(crate) fn created_at(&self) -> SystemTime {
        self.created_at
    }

    pub(crate) fn modified_at(&self) -> SystemTime {
        UNIX_EPOCH + Duration::from_nanos(self.modified_at.load(Ordering::Relaxed))
    }

    pub(crate) fn generation(&self) -> u64 {
        self.generation.load(Ordering::Relaxed)
    }

    pub(crate) fn is_dirty(&self) -> bool {
        self.dirty.load(Ordering::Relaxed)
    }

    /// Records a write or truncation: a new generation, a new `modified_at`,
    /// and the file is dirty. The caller holds the write lock.
    pub(crate) fn record_write(&self) {
        self.generation.fetch_add(1, Ordering::Relaxed);
        self.modified_at
            .store(nanos_since_epoch(SystemTime::now()), Ordering::Relaxed);
        self.dirty.store(true, Ordering::Relaxed);
    }

    pub(crate) fn mark_unlinked(&self) {
        self.unlinked.store(true, Ordering::Release);
    }

    pub(crate) fn is_unlinked(&self) -> bool {
        self.unlinked.load(Ordering::Acquire)
    }

    /// The whole content, zero-copy when it is stored in one piece;
    /// `OutOfMemory` (naming `path`) if a needed copy cannot be allocated.
    /// The caller holds a read (or the write) lock.
    pub(crate) fn content(&self, path: &str) -> crate::Result<Bytes> {
        self.storage
            .try_to_bytes()
            .map_err(|e| crate::Error::from_storage(path, e))
    }
}

fn nanos_since_epoch(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX))
        .unwrap_or(0)
}
