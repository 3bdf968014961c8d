//! [`MemoryFileSystem`]: the public facade.
//!
//! Readers (`exists`, `stat`, `listdir`, `walk`, `glob`, `get_size`, the
//! exports, opens for reading) load the published tree snapshot and never
//! message the writer. Structural changes go to the [`Engine`]. File data is
//! read and written in place under each file's lock.
//!
//! The facade is split by idea: construction and what every part shares
//! (here), opening handles (`open`), structural operations (`structure`),
//! imports (`import`), queries of the tree (`query`) and reading or
//! replacing content without a handle (`content`).

mod content;
mod import;
mod open;
mod query;
mod structure;

#[cfg(all(test, not(loom)))]
mod tests;

use std::time::Duration;

use dmemfs_core_tree::{NodeRef, NormPath, Tree, TreeError};
use dmemfs_quota::QuotaReservation;
use dmemfs_storage_backends::{
    File, FileHold, FileStorage, Holder, LockTimedOut, StorageConfig, StorageError,
};

use crate::engine::{Answer, Engine, Request};
use crate::fs_core::FileRef;
use crate::sync::{Arc, Guard};
use crate::{Concurrency, Error, FsBuilder, FsCore, Result};

/// An in-process filesystem with a hard byte quota.
///
/// Cheap to clone: clones share one filesystem. Dropping the last clone stops
/// its writer thread; open handles keep working on their files.
#[derive(Clone, Debug)]
pub struct MemoryFileSystem {
    inner: Arc<FsInner>,
}

#[derive(Debug)]
struct FsInner {
    core: Arc<FsCore>,
    engine: Engine,
    concurrency: Concurrency,
}

impl Default for MemoryFileSystem {
    fn default() -> Self {
        Self::new()
    }
}

impl MemoryFileSystem {
    /// A filesystem with every default (256 MiB quota, actor writer).
    ///
    /// # Panics
    /// If the writer thread cannot be started; use [`MemoryFileSystem::builder`]
    /// to get that as an error instead.
    pub fn new() -> Self {
        match Self::builder().build() {
            Ok(fs) => fs,
            Err(e) => panic!("cannot start a dmemfs filesystem: {e}"),
        }
    }

    /// A builder to configure a filesystem.
    pub fn builder() -> FsBuilder {
        FsBuilder::default()
    }

    pub(crate) fn start(core: Arc<FsCore>, concurrency: Concurrency) -> Result<Self> {
        let engine = Engine::start(Arc::clone(&core), concurrency)?;
        Ok(MemoryFileSystem {
            inner: Arc::new(FsInner {
                core,
                engine,
                concurrency,
            }),
        })
    }

    /// The strategy this filesystem applies structural mutations with.
    pub fn concurrency(&self) -> Concurrency {
        self.inner.concurrency
    }

    pub(crate) fn core(&self) -> &Arc<FsCore> {
        &self.inner.core
    }

    pub(crate) fn snapshot(&self) -> Guard<Tree<FileRef>> {
        self.inner.core.published.load()
    }

    /// Has the writer apply `request`, and returns its answer once the
    /// change is published.
    fn run<O: Answer>(&self, request: Request<O>) -> Result<O> {
        self.inner.engine.run(request)
    }

    /// The file at `path` with the hold `take` takes on it (waiting up to
    /// the timeout `take` is given), for a handle (whose path must stay
    /// right) or a replacing write (which must change the file at the
    /// path): looked up again if, by the time the hold was taken, the file
    /// had been removed, replaced or renamed. `None` when nothing is at
    /// `path` (or a parent is a file), without building an error: the
    /// callers that create the file then expect exactly that, and the others
    /// ask [`MemoryFileSystem::not_there`] for the error. The one place a
    /// file is looked up, locked and re-checked for a hold that outlives the
    /// lookup.
    ///
    /// Why the re-check is right: the tree writer moves or unlinks a file
    /// only while holding its lock, and gives the lock back only after
    /// publishing the change, each change as a new snapshot `Arc` (it never
    /// stores an old one again). Whatever the re-check finds stays true
    /// while the hold is kept, as the writer cannot take the lock meanwhile;
    /// the hold keeps the file's `Arc` alive, so no other file can have its
    /// address.
    ///
    /// Why it mostly costs no second lookup: the hold is first tried at
    /// once (timeout zero) while the snapshot the file was found in stays
    /// loaded. If the writer moved the file after the lookup, it published
    /// that before this call took the lock, so the load after taking it
    /// returns a newer snapshot; and the loaded snapshot keeps its address
    /// from being reused. Hence a current snapshot at the same address is
    /// the same snapshot, in which `path` names the file. If the lock is
    /// busy, the snapshot is let go before waiting (so a long wait keeps no
    /// replaced tree nodes allocated), and once the hold is taken the path
    /// is looked up again in the current snapshot.
    fn hold_at<H: FileHold>(
        &self,
        path: &NormPath,
        timeout: Option<Duration>,
        take: impl Fn(&FileRef, Option<Duration>) -> std::result::Result<H, LockTimedOut>,
    ) -> Result<Option<H>> {
        loop {
            let found_in = self.snapshot();
            let Some(file) = file_in(&found_in, path)? else {
                return Ok(None);
            };
            if let Ok(hold) = take(file, Some(Duration::ZERO)) {
                let now = self.snapshot();
                if std::ptr::eq::<Tree<FileRef>>(&**now, &**found_in)
                    || links(&now, path, hold.file())
                {
                    return Ok(Some(hold));
                }
                continue;
            }
            let file = Arc::clone(file);
            drop(found_in);
            let hold =
                take(&file, timeout).map_err(|LockTimedOut| would_block(path.as_str(), timeout))?;
            if links(&self.snapshot(), path, hold.file()) {
                return Ok(Some(hold));
            }
        }
    }

    /// The error for `path` found empty by [`MemoryFileSystem::hold_at`]
    /// (for a caller that does not create it): what a lookup says
    /// (`NotFound`, or `NotADirectory` naming the file the walk passed
    /// through). Something created there since was still absent when looked
    /// for, so that is `NotFound` too.
    #[cold]
    fn not_there(&self, path: &NormPath) -> Error {
        match self.snapshot().lookup(path) {
            Err(e) => e.into(),
            Ok(_) => Error::NotFound {
                path: path.to_string(),
            },
        }
    }

    /// Runs `read` on the file at the user's `path` under a transient shared
    /// hold, waiting up to the default timeout; for reading content without a
    /// handle. The path is resolved as given (no normalized copy is made
    /// unless an error must name it), and the hold is borrowed from the
    /// snapshot the file was found in, which stays loaded until `read`
    /// returns: no reference count of the file is written. A file renamed
    /// meanwhile is still the content found at `path` when the read began;
    /// one removed or replaced has lost its data, and is looked up again.
    fn with_read_hold<T>(&self, path: &str, read: impl FnOnce(&File) -> Result<T>) -> Result<T> {
        let timeout = self.core().default_lock_timeout;
        loop {
            let snapshot = self.snapshot();
            let file = match snapshot.lookup_str(path)? {
                NodeRef::File(f) => f,
                NodeRef::Dir { .. } => return Err(is_a_directory(path)),
            };
            let hold = file
                .read_borrowed_linked(Holder::Transient, timeout)
                .map_err(|LockTimedOut| would_block(path, timeout))?;
            if let Some(hold) = hold {
                return read(&hold);
            }
        }
    }

    /// Reserves what a new file of `len` bytes stored in one piece costs
    /// (what [`MemoryFileSystem::new_storage`] builds).
    fn reserve_for(&self, len: u64) -> Result<QuotaReservation> {
        let config = self.core().storage;
        Ok(self
            .core()
            .ledger
            .reserve(FileStorage::charge_for(config, len))?)
    }

    /// The storage of a new file at `path` made by `make` from the
    /// filesystem's storage settings; a refused allocation names `path`.
    fn new_storage(
        &self,
        path: &NormPath,
        make: impl FnOnce(StorageConfig) -> std::result::Result<FileStorage, StorageError>,
    ) -> Result<FileStorage> {
        make(self.core().storage).map_err(|e| Error::from_storage(path.as_str(), e))
    }

    /// The quota and storage of a file of `len` bytes to be created at
    /// `path`, which [`MemoryFileSystem::hold_at`] found empty; for the
    /// creating write and open. That lookup did not tell a missing path
    /// from one below a file, so when the quota or the allocation refuses,
    /// a parent that is a file is reported instead, as it was found before
    /// anything was reserved (otherwise the writer reports it).
    fn storage_for_new(
        &self,
        path: &NormPath,
        len: u64,
        make: impl FnOnce(StorageConfig) -> std::result::Result<FileStorage, StorageError>,
    ) -> Result<(QuotaReservation, FileStorage)> {
        let made = self
            .reserve_for(len)
            .and_then(|charge| Ok((charge, self.new_storage(path, make)?)));
        made.map_err(|refused| match self.snapshot().lookup(path) {
            Err(e @ TreeError::NotADirectory { .. }) => e.into(),
            _ => refused,
        })
    }
}

fn parse(path: &str) -> Result<NormPath> {
    Ok(NormPath::parse(path)?)
}

/// The file at `path` in `tree`, if any: `IsADirectory` for a directory.
/// Nothing there (or a parent that is a file) builds no error.
fn file_in<'t>(tree: &'t Tree<FileRef>, path: &NormPath) -> Result<Option<&'t FileRef>> {
    match tree.get(path) {
        Some(NodeRef::File(f)) => Ok(Some(f)),
        Some(NodeRef::Dir { .. }) => Err(is_a_directory(path.as_str())),
        None => Ok(None),
    }
}

/// Whether `tree` maps `path` to `file` itself.
fn links(tree: &Tree<FileRef>, path: &NormPath, file: &FileRef) -> bool {
    matches!(tree.get(path), Some(NodeRef::File(f)) if Arc::ptr_eq(f, file))
}

/// The user's `path` normalized, for an error that names it; a path that
/// does not parse stays as given (an error about it is already on its way).
fn normalized(path: &str) -> String {
    NormPath::parse(path).map_or_else(|_| path.to_owned(), NormPath::into_string)
}

fn is_a_directory(path: &str) -> Error {
    Error::IsADirectory {
        path: normalized(path),
    }
}

fn would_block(path: &str, timeout: Option<Duration>) -> Error {
    Error::WouldBlock {
        path: normalized(path),
        timeout: timeout.unwrap_or(Duration::MAX),
    }
}
