//! [`File`]: one file as the dmemfs crates share it: its data, its lock,
//! its metadata and whether it is still linked into a tree.
//!
//! A file knows no path and no filesystem: the tree above maps paths to
//! `Arc<File>`s, shared between its published snapshots and the holds on the
//! file. Its data and metadata change in place, only through a
//! [`FileWriteHold`] (which proves that nobody else reads or writes the
//! content meanwhile); its place in a tree changes only through the tree
//! writer, which holds the file's lock as the relinker while it does.
//!
//! When the tree writer unlinks a file (a removal, or a replacement by an
//! import) it drops the file's data once the change is published
//! ([`FileWriteHold::unlink`]), although old snapshots (a walk, an export
//! iterator, a reader between two loads) may still name the file: those need
//! its name and metadata, not its content. Readers that take the file's lock
//! check [`File::is_unlinked`] under it (as [`File::read_linked`] does) and
//! never read an unlinked file's (empty) storage; lock-free readers of its
//! length use [`File::len`], which keeps the length it had when unlinked.

mod hold;
pub(crate) mod lock;

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

pub use hold::{BorrowedReadHold, FileHold, FileReadHold, FileWriteHold};
pub use lock::{Busy, Holder, Holds, LockTimedOut};

use crate::sync::{AtomicBool, AtomicU64, Ordering};
use crate::FileStorage;
use lock::FileLock;

/// One file.
#[derive(Debug)]
pub struct File {
    lock: FileLock,
    storage: FileStorage,
    /// Nanoseconds since the Unix epoch, like `modified_at`: half the size
    /// of a `SystemTime`, which keeps a file with its reference counts at
    /// 120 bytes on 64-bit Linux, within what glibc's allocator recycles
    /// through its fast bins (see the test below). Every create and remove
    /// makes or frees one.
    created_at: u64,
    /// Nanoseconds since the Unix epoch, so it can move without a lock.
    modified_at: AtomicU64,
    generation: AtomicU64,
    /// Written since it was made (what `only_dirty` exports select).
    dirty: AtomicBool,
    /// Removed from its tree (or replaced): its data is gone, and lazy
    /// exporters skip it.
    unlinked: AtomicBool,
    /// The length the file had when it was unlinked; stored before
    /// `unlinked` is set.
    unlinked_len: AtomicU64,
}

impl File {
    /// A file holding `storage`, unlocked. `written` says it was written
    /// (not imported or copied from a tree): it is dirty, and at generation 1
    /// if it has content; otherwise it is clean at generation 0.
    pub fn new(storage: FileStorage, written: bool) -> Arc<File> {
        Arc::new(Self::with(FileLock::default(), storage, written))
    }

    /// Like [`File::new`], but created write-held by a handle: a file made
    /// for a write handle is published locked, so no reader sees it before
    /// its creator writes.
    pub fn new_for_handle(storage: FileStorage, written: bool) -> FileWriteHold {
        let file = Arc::new(Self::with(
            FileLock::new_handle_write_locked(),
            storage,
            written,
        ));
        FileWriteHold::adopt(file, Holder::Handle)
    }

    fn with(lock: FileLock, storage: FileStorage, written: bool) -> File {
        let now = nanos_since_epoch(SystemTime::now());
        File {
            lock,
            created_at: now,
            modified_at: AtomicU64::new(now),
            generation: AtomicU64::new(u64::from(written && !storage.is_empty())),
            dirty: AtomicBool::new(written),
            unlinked: AtomicBool::new(false),
            unlinked_len: AtomicU64::new(0),
            storage,
        }
    }

    /// A shared hold for `holder`, waiting up to `timeout`.
    pub fn read(
        self: &Arc<Self>,
        holder: Holder,
        timeout: Option<Duration>,
    ) -> Result<FileReadHold, LockTimedOut> {
        self.lock.read(holder, timeout)?;
        Ok(FileReadHold::adopt(Arc::clone(self), holder))
    }

    /// A shared hold for `holder`, waiting up to `timeout`, borrowed from the
    /// caller's reference to the file: no reference count is taken (see
    /// [`BorrowedReadHold`]).
    pub fn read_borrowed(
        &self,
        holder: Holder,
        timeout: Option<Duration>,
    ) -> Result<BorrowedReadHold<'_>, LockTimedOut> {
        self.lock.read(holder, timeout)?;
        Ok(BorrowedReadHold::adopt(self, holder))
    }

    /// [`File::read_borrowed`] if the file is still linked once it is held
    /// (`None`, with the hold given back, if it was unlinked: its data is
    /// gone); see [`File::read_linked`].
    pub fn read_borrowed_linked(
        &self,
        holder: Holder,
        timeout: Option<Duration>,
    ) -> Result<Option<BorrowedReadHold<'_>>, LockTimedOut> {
        let hold = self.read_borrowed(holder, timeout)?;
        Ok((!hold.is_unlinked()).then_some(hold))
    }

    /// A shared hold for `holder` if the file is still linked once it is
    /// held (`None`, with the hold given back, if it was unlinked: its data
    /// is gone). The tree writer unlinks a file only while holding its lock,
    /// so the answer stays true while the hold is kept.
    pub fn read_linked(
        self: &Arc<Self>,
        holder: Holder,
        timeout: Option<Duration>,
    ) -> Result<Option<FileReadHold>, LockTimedOut> {
        let hold = self.read(holder, timeout)?;
        Ok((!hold.is_unlinked()).then_some(hold))
    }

    /// The exclusive hold for `holder`, waiting up to `timeout`.
    pub fn write(
        self: &Arc<Self>,
        holder: Holder,
        timeout: Option<Duration>,
    ) -> Result<FileWriteHold, LockTimedOut> {
        self.lock.write(holder, timeout)?;
        Ok(FileWriteHold::adopt(Arc::clone(self), holder))
    }

    /// The tree writer's hold, taken before it moves or unlinks the file
    /// and kept until that change is published: nested in its own hold if it
    /// holds the file already; [`Busy`] at once if a handle holds the file;
    /// else taken once any transient holders have let go (see
    /// `lock`'s documentation for why that wait is safe). Only the tree writer calls this.
    pub fn relink(self: &Arc<Self>) -> Result<FileWriteHold, Busy> {
        self.lock.relink()?;
        Ok(FileWriteHold::adopt_relink(Arc::clone(self)))
    }

    /// Who holds the file's lock now (a snapshot, for diagnostics and tests).
    pub fn holds(&self) -> Holds {
        self.lock.holds()
    }

    /// The file's data, for lock-free reads (length, charge, chunk count)
    /// and, under a hold, its content.
    pub fn storage(&self) -> &FileStorage {
        &self.storage
    }

    /// When the file was made.
    pub fn created_at(&self) -> SystemTime {
        UNIX_EPOCH + Duration::from_nanos(self.created_at)
    }

    /// When the file was last written.
    pub fn modified_at(&self) -> SystemTime {
        UNIX_EPOCH + Duration::from_nanos(self.modified_at.load(Ordering::Relaxed))
    }

    /// How many writes and truncations the file has seen.
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::Relaxed)
    }

    /// Whether the file was written since it was made.
    pub fn is_dirty(&self) -> bool {
        self.dirty.load(Ordering::Relaxed)
    }

    /// Whether the tree writer unlinked the file (its data is gone).
    pub fn is_unlinked(&self) -> bool {
        self.unlinked.load(Ordering::Acquire)
    }

    /// The file's length, for readers that hold no lock on it and may have
    /// found it in an old snapshot: once the file is unlinked (its data
    /// dropped), the length it had then.
    pub fn len(&self) -> u64 {
        // Read before the flag: if this saw the dropped data, the flag is
        // seen set (see `unlink`).
        let len = self.storage.len();
        if self.is_unlinked() {
            self.unlinked_len.load(Ordering::Relaxed)
        } else {
            len
        }
    }

    /// Whether [`File::len`] is zero.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// A new generation, a new `modified_at`, and the file is dirty. The
    /// caller holds the write hold.
    fn record_write(&self) {
        self.generation.fetch_add(1, Ordering::Relaxed);
        self.modified_at
            .store(nanos_since_epoch(SystemTime::now()), Ordering::Relaxed);
        self.dirty.store(true, Ordering::Relaxed);
    }

    /// Marks the file unlinked and drops its data. The caller holds the
    /// write hold as the relinker, with the removal published.
    fn unlink(&self) {
        self.unlinked_len
            .store(self.storage.len(), Ordering::Relaxed);
        // Released before the data is dropped: a reader that sees the
        // emptied storage sees the flag and the length too.
        self.unlinked.store(true, Ordering::Release);
        self.storage.drop_content();
    }
}

fn nanos_since_epoch(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX))
        .unwrap_or(0)
}

#[cfg(all(test, not(loom)))]
mod tests;
