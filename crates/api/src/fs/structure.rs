//! Structural operations: directories, removal, renames and copies. The
//! tree writer applies each; copies read their sources first, each under a
//! transient read hold that is given back before the writer is called.

use dmemfs_core_tree::{NormPath, Subtree};
use dmemfs_storage_backends::{File, FileStorage, Holder};

use super::{parse, would_block, MemoryFileSystem};
use crate::engine::{OnExists, Request};
use crate::fs_core::FileRef;
use crate::{Error, Result};

impl MemoryFileSystem {
    /// Creates the directory `path` and any missing parents. An existing
    /// directory is `AlreadyExists` unless `exist_ok`; an existing file always is.
    pub fn mkdir(&self, path: &str, exist_ok: bool) -> Result<()> {
        let path = parse(path)?;
        if exist_ok && self.is_dir_at(&path) {
            return Ok(());
        }
        self.run(Request::mkdir(path, exist_ok))
    }

    /// Removes a file. `ResourceBusy` if it is open.
    pub fn remove(&self, path: &str) -> Result<()> {
        let path = parse(path)?;
        self.run(Request::remove(path))
    }

    /// Removes a directory and everything below it. `ResourceBusy` (and
    /// nothing removed) if any file below is open.
    pub fn rmtree(&self, path: &str) -> Result<()> {
        let path = parse(path)?;
        self.run(Request::remove_tree(path))
    }

    /// Renames a file or directory; `dst`'s parent must exist and `dst` must not.
    pub fn rename(&self, src: &str, dst: &str) -> Result<()> {
        self.relink(src, dst, false)
    }

    /// Like [`MemoryFileSystem::rename`], creating `dst`'s missing parents.
    pub fn move_path(&self, src: &str, dst: &str) -> Result<()> {
        self.relink(src, dst, true)
    }

    fn relink(&self, src: &str, dst: &str, create_parents: bool) -> Result<()> {
        let src = parse(src)?;
        let dst = parse(dst)?;
        self.run(Request::rename(src, dst, create_parents))
    }

    /// Copies a file; the copy is charged as a file written in one piece.
    pub fn copy(&self, src: &str, dst: &str) -> Result<()> {
        let src = parse(src)?;
        let dst = parse(dst)?;
        // Read under a transient hold, given back before the writer is called.
        let (charge, content) = self.with_read_hold(src.as_str(), |source| {
            if self.snapshot().get(&dst).is_some() {
                return Err(Error::AlreadyExists {
                    path: dst.to_string(),
                });
            }
            let charge = self.reserve_for(source.storage().len())?;
            let content = source
                .storage()
                .try_to_bytes()
                .map_err(|e| Error::from_storage(dst.as_str(), e))?;
            Ok((charge, content))
        })?;
        let storage = self.new_storage(&dst, |config| FileStorage::from_bytes(config, content))?;
        let file = File::new(storage, true);
        self.run(Request::create_file(dst, file, charge, OnExists::Fail))
            .map(drop)
    }

    /// Copies a directory tree, all or nothing.
    pub fn copy_tree(&self, src: &str, dst: &str) -> Result<()> {
        let src = parse(src)?;
        let dst = parse(dst)?;
        loop {
            let plan = {
                let snapshot = self.snapshot();
                let plan = snapshot.subtree(&src)?;
                if snapshot.get(&dst).is_some() {
                    return Err(Error::AlreadyExists {
                        path: dst.to_string(),
                    });
                }
                plan
            };
            let core = self.core();
            let config = core.storage;
            // Reserved before anything is read or allocated; settled to the
            // exact figure once the copies are made.
            let estimate: u64 = plan
                .files
                .iter()
                .map(|f| FileStorage::charge_for(config, f.file.len()))
                .sum();
            let mut charge = core.ledger.reserve(estimate)?;
            core.nodes.check(plan.node_count())?;
            let Some(copies) = self.copy_files(&src, &dst, plan)? else {
                // A source was removed or replaced after the snapshot was
                // taken, and its data is gone: start over from a newer one.
                continue;
            };
            let total: u64 = copies.files.iter().map(|f| f.file.storage().charge()).sum();
            if total > charge.bytes() {
                charge.grow(total - charge.bytes())?;
            } else {
                charge.release_part(charge.bytes() - total);
            }
            return self.run(Request::graft(dst, copies, charge));
        }
    }

    /// New, unlinked and uncharged files holding copies of the files of
    /// `plan` (found below `src`; the copies go to `dst`), each source read
    /// under a transient read hold given back before the next is taken.
    /// `None` if a source was unlinked since the snapshot `plan` came from:
    /// its data is gone.
    pub(super) fn copy_files(
        &self,
        src: &NormPath,
        dst: &NormPath,
        plan: Subtree<FileRef>,
    ) -> Result<Option<Subtree<FileRef>>> {
        /// Why copying stopped.
        enum Stop {
            Unlinked,
            Failed(Error),
        }
        let config = self.core().storage;
        let timeout = self.core().default_lock_timeout;
        let copied = plan.try_map_files(|source| {
            let content = match source.read_borrowed_linked(Holder::Transient, timeout) {
                Err(_) => return Err(Stop::Failed(would_block(src.as_str(), timeout))),
                Ok(None) => return Err(Stop::Unlinked),
                Ok(Some(hold)) => hold.storage().try_to_bytes(),
            };
            let storage = content
                .and_then(|content| FileStorage::from_bytes(config, content))
                .map_err(|e| Stop::Failed(Error::from_storage(dst.as_str(), e)))?;
            Ok(File::new(storage, false))
        });
        match copied {
            Ok(copies) => Ok(Some(copies)),
            Err(Stop::Unlinked) => Ok(None),
            Err(Stop::Failed(e)) => Err(e),
        }
    }
}
