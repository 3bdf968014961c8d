//! A file as the tree holds it: its lock, its data and its metadata.
//!
//! The node is shared (`Arc`) between the published tree snapshots and the
//! handles that have it open. Its data and metadata change in place, under
//! the file's write lock, without going through the tree writer; its place in
//! the tree changes only through the tree writer.
//!
//! When the writer unlinks a file (removal, or replacement by an import) it
//! drops the file's data as soon as it publishes the change, although old
//! snapshots (a `walk`, an export iterator, a reader between two loads) may
//! still name the node: those need its name and metadata, not its content.
//! Readers that take the file's lock check [`FileNode::is_unlinked`] under
//! it and never read an unlinked file's (empty) storage; lock-free readers
//! of its length use [`FileNode::len`], which keeps the length it had when
//! unlinked.

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
    /// Nanoseconds since the Unix epoch, like `modified_at`: half the size
    /// of a `SystemTime`, which keeps a node with its reference counts at
    /// 120 bytes on 64-bit Linux, within what glibc's allocator recycles
    /// through its fast bins (see the test below). Every create and remove
    /// makes or frees one.
    created_at: u64,
    /// Nanoseconds since the Unix epoch, so it can move without a lock.
    modified_at: AtomicU64,
    generation: AtomicU64,
    /// Written since it was made (what `only_dirty` exports select).
    dirty: AtomicBool,
    /// Removed from the tree (or replaced): its data is gone, and lazy
    /// exporters skip it.
    unlinked: AtomicBool,
    /// The length the file had when it was unlinked; stored before
    /// `unlinked` is set.
    unlinked_len: AtomicU64,
    /// The tree writer holds the write lock for the batch it is applying:
    /// from the mutation that took it until the batch is published. Only the
    /// writer reads or writes it, one thread at a time (the actor thread, or
    /// the caller holding the global lock, whose mutex orders them), so
    /// relaxed ordering is enough.
    held_by_batch: AtomicBool,
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
        let now = nanos_since_epoch(SystemTime::now());
        Arc::new(FileNode {
            lock: if spec.write_locked {
                FileLock::new_write_locked()
            } else {
                FileLock::default()
            },
            storage: spec.storage,
            created_at: now,
            modified_at: AtomicU64::new(now),
            generation: AtomicU64::new(spec.generation),
            dirty: AtomicBool::new(spec.dirty),
            unlinked: AtomicBool::new(false),
            unlinked_len: AtomicU64::new(0),
            held_by_batch: AtomicBool::new(false),
        })
    }

    pub(crate) fn created_at(&self) -> SystemTime {
        UNIX_EPOCH + Duration::from_nanos(self.created_at)
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

    /// Marks the file unlinked and drops its data. Only the tree writer
    /// calls this, once it has published the file's removal or replacement
    /// and settled its charge in the ledger, still holding its write lock
    /// with no handle open (so nothing reads or changes the data meanwhile,
    /// and a reader that takes the lock afterwards sees the mark).
    pub(crate) fn unlink(&self) {
        self.unlinked_len
            .store(self.storage.len(), Ordering::Relaxed);
        // Released before the data is dropped: a reader that sees the
        // emptied storage sees the flag and the length too.
        self.unlinked.store(true, Ordering::Release);
        self.storage.drop_content();
    }

    pub(crate) fn is_unlinked(&self) -> bool {
        self.unlinked.load(Ordering::Acquire)
    }

    /// The file's length, for readers that hold no lock on it and may have
    /// found it in an old snapshot: once the file is unlinked (its data
    /// dropped), the length it had then.
    pub(crate) fn len(&self) -> u64 {
        // Read before the flag: if this saw the dropped data, the flag is
        // seen set (see `unlink`).
        let len = self.storage.len();
        if self.is_unlinked() {
            self.unlinked_len.load(Ordering::Relaxed)
        } else {
            len
        }
    }

    /// Whether the tree writer holds this file's write lock for its batch.
    /// The writer alone calls this.
    pub(crate) fn is_held_by_batch(&self) -> bool {
        self.held_by_batch.load(Ordering::Relaxed)
    }

    /// Records that the tree writer took (`true`) or is giving back
    /// (`false`) this file's write lock for its batch. The writer alone
    /// calls this, right after `try_write` and right before `unlock_write`.
    pub(crate) fn set_held_by_batch(&self, held: bool) {
        self.held_by_batch.store(held, Ordering::Relaxed);
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

#[cfg(all(test, not(loom), target_os = "linux", target_pointer_width = "64"))]
mod tests {
    use super::*;

    /// An `Arc<FileNode>` allocation of 120 bytes fits glibc's fast bins
    /// (chunks of up to 128 bytes); 8 bytes more made the actor's
    /// create-read-remove profile (`examples/mutation_profile.rs`) run
    /// about 1% more instructions, all of them in `malloc` and `free`.
    #[test]
    fn a_node_fits_the_allocators_fast_bins() {
        assert!(
            std::mem::size_of::<FileNode>() <= 104,
            "FileNode grew to {} bytes",
            std::mem::size_of::<FileNode>()
        );
    }
}
