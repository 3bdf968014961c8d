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

use dmemfs_core_tree::{NodeRef, NormPath, Tree};
use dmemfs_quota::QuotaReservation;
use dmemfs_storage_backends::{FileHold, FileStorage, LockTimedOut, StorageConfig, StorageError};

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

/// What a hold taken by [`MemoryFileSystem::hold_at`] proves about the file
/// once its lock is held.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Recheck {
    /// The file is still linked: its content is the content found at the
    /// path when the call began, even if it was renamed meanwhile (reads).
    Linked,
    /// The file is still the one at the path: a handle, whose path must
    /// stay right, or a replacing write, which must change the file at the
    /// path.
    AtPath,
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
    /// `timeout`), looked up again if, by the time the hold was taken, the
    /// file had been removed or replaced (or, with [`Recheck::AtPath`],
    /// renamed). The one place a file is looked up, locked and re-checked:
    /// the tree writer moves or unlinks a file only while holding its lock,
    /// so what the re-check finds stays true while the hold is kept.
    fn hold_at<H: FileHold>(
        &self,
        path: &NormPath,
        timeout: Option<Duration>,
        recheck: Recheck,
        take: impl Fn(&FileRef) -> std::result::Result<H, LockTimedOut>,
    ) -> Result<H> {
        loop {
            let file = lookup_file(&self.snapshot(), path)?;
            let hold = take(&file).map_err(|LockTimedOut| would_block(path, timeout))?;
            let valid = match recheck {
                Recheck::Linked => !hold.is_unlinked(),
                Recheck::AtPath => self.still_linked(path, hold.file()),
            };
            if valid {
                return Ok(hold);
            }
        }
    }

    /// Whether `file` is still the file at `path` in the current snapshot.
    fn still_linked(&self, path: &NormPath, file: &FileRef) -> bool {
        matches!(self.snapshot().lookup(path), Ok(NodeRef::File(f)) if Arc::ptr_eq(f, file))
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
}

fn parse(path: &str) -> Result<NormPath> {
    Ok(NormPath::parse(path)?)
}

/// The file at `path` in `tree`: `IsADirectory` for a directory.
fn lookup_file(tree: &Tree<FileRef>, path: &NormPath) -> Result<FileRef> {
    match tree.lookup(path)? {
        NodeRef::File(f) => Ok(Arc::clone(f)),
        NodeRef::Dir { .. } => Err(Error::IsADirectory {
            path: path.to_string(),
        }),
    }
}

fn would_block(path: &NormPath, timeout: Option<Duration>) -> Error {
    Error::WouldBlock {
        path: path.to_string(),
        timeout: timeout.unwrap_or(Duration::MAX),
    }
}
