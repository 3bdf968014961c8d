//! The single writer of the tree.
//!
//! Invariants it keeps:
//! - Each mutation is all or nothing: it is applied to a clone of the working
//!   tree (O(1), the tree is persistent) and the clone replaces the working
//!   tree only when every check has passed, so a failed mutation changes
//!   neither the tree, the ledger, the node count nor any lock.
//! - A file is unlinked, moved or replaced only while the writer holds its
//!   write lock, taken with `try_write` (so the writer never waits on a file,
//!   and a caller holding a file lock can safely wait for the writer). The
//!   locks are released only after the change is published: an opener that
//!   gets the lock afterwards and re-checks the snapshot sees the change.
//! - The ledger always equals what linked files are charged, plus live
//!   reservations.
//!
//! Who calls: the actor thread, or a caller holding the global lock.

use std::fmt;

use dmemfs_core_tree::{NodeRef, NormPath, Tree, TreeError};

use super::{Mutation, OnExists, OnFileExists, Outcome};
use crate::node::FileRef;
use crate::sync::Arc;
use crate::{Error, FsCore, Result};

/// The working tree and the locks taken for the current batch.
pub(crate) struct TreeWriter {
    tree: Tree<FileRef>,
    core: Arc<FsCore>,
    /// Files write-locked by applied mutations, released after publishing.
    held: Vec<FileRef>,
    changed: bool,
}

impl fmt::Debug for TreeWriter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TreeWriter")
            .field("files", &self.tree.file_count())
            .field("dirs", &self.tree.dir_count())
            .field("held", &self.held.len())
            .finish()
    }
}

impl TreeWriter {
    pub(crate) fn new(core: Arc<FsCore>) -> Self {
        let tree = Tree::clone(&core.published.load());
        TreeWriter {
            tree,
            core,
            held: Vec::new(),
            changed: false,
        }
    }

    /// Publishes the working tree if a mutation changed it, then releases
    /// the file locks the batch took.
    pub(crate) fn publish(&mut self) {
        if self.changed {
            self.core.published.store(Arc::new(self.tree.clone()));
            self.changed = false;
        }
        for file in self.held.drain(..) {
            file.lock.unlock_write();
        }
    }

    pub(crate) fn apply(&mut self, mutation: Mutation) -> Result<Outcome> {
        let mut next = self.tree.clone();
        let mut locks = HeldLocks::default();
        let outcome = match mutation {
            Mutation::CreateFile {
                path,
                file,
                charge,
                on_exists,
            } => {
                if let Err(e) = next.insert_file(&path, Arc::clone(&file)) {
                    return self.existing_or(e, &path, on_exists);
                }
                self.settle_nodes(&next)?;
                charge.commit();
                self.core.ledger.add_chunks(file.storage.chunk_count());
                Outcome::Done
            }
            Mutation::Mkdir { path, exist_ok } => {
                match next.lookup(&path) {
                    Ok(NodeRef::Dir { .. }) if exist_ok => return Ok(Outcome::Done),
                    Ok(_) => {
                        return Err(Error::AlreadyExists {
                            path: path.to_string(),
                        })
                    }
                    Err(TreeError::NotFound { .. }) => {}
                    Err(e) => return Err(e.into()),
                }
                next.create_dir_all(&path)?;
                self.settle_nodes(&next)?;
                Outcome::Done
            }
            Mutation::Remove { path } => {
                let file = next.remove_file(&path)?;
                locks.take(&file, &path)?;
                self.settle_nodes(&next)?;
                self.unlink(&file, true);
                Outcome::Done
            }
            Mutation::RemoveTree { path } => {
                let removed = next.remove_dir_all(&path)?;
                for file in &removed.files {
                    locks.take(file, &path)?;
                }
                self.settle_nodes(&next)?;
                for file in &removed.files {
                    self.unlink(file, true);
                }
                Outcome::Done
            }
            Mutation::Rename {
                src,
                dst,
                create_parents,
            } => {
                next.rename(&src, &dst, create_parents)?;
                for file in files_at(&self.tree, &src)? {
                    locks.take(&file, &src)?;
                }
                self.settle_nodes(&next)?;
                Outcome::Done
            }
            Mutation::Graft {
                dst,
                subtree,
                charge,
            } => {
                let chunks: u64 = subtree
                    .files
                    .iter()
                    .map(|f| f.file.storage.chunk_count())
                    .sum();
                next.graft(&dst, subtree)?;
                self.settle_nodes(&next)?;
                charge.commit();
                self.core.ledger.add_chunks(chunks);
                Outcome::Done
            }
            Mutation::Import {
                files,
                dirs,
                on_file,
            } => Outcome::Imported(self.import(&mut next, &mut locks, files, &dirs, on_file)?),
        };
        self.tree = next;
        self.changed = true;
        self.held.append(&mut locks.files);
        Ok(outcome)
    }

    fn existing_or(&self, err: TreeError, path: &NormPath, on_exists: OnExists) -> Result<Outcome> {
        if let (TreeError::AlreadyExists { .. }, OnExists::Report) = (&err, on_exists) {
            if let Ok(NodeRef::File(_)) = self.tree.lookup(path) {
                return Ok(Outcome::Exists);
            }
            return Err(Error::IsADirectory {
                path: path.to_string(),
            });
        }
        Err(err.into())
    }

    /// Creates the imported directories and links every imported file into
    /// `next`, charging the net quota change. Returns how many files it
    /// linked.
    fn import(
        &mut self,
        next: &mut Tree<FileRef>,
        locks: &mut HeldLocks,
        files: Vec<(NormPath, FileRef)>,
        dirs: &[NormPath],
        on_file: OnFileExists,
    ) -> Result<u64> {
        for dir in dirs {
            next.create_dir_all(dir)?;
        }
        let mut replaced: Vec<FileRef> = Vec::new();
        let mut linked: Vec<&FileRef> = Vec::with_capacity(files.len());
        for (path, file) in &files {
            if path.is_root() {
                return Err(Error::invalid(
                    path.as_str(),
                    "import_tree cannot replace the root",
                ));
            }
            match next.lookup(path) {
                Ok(NodeRef::Dir { .. }) => {
                    return Err(Error::IsADirectory {
                        path: path.to_string(),
                    })
                }
                Ok(NodeRef::File(_)) if on_file == OnFileExists::Keep => continue,
                Ok(NodeRef::File(_)) if on_file == OnFileExists::Fail => {
                    return Err(Error::AlreadyExists {
                        path: path.to_string(),
                    })
                }
                Ok(NodeRef::File(old)) => {
                    let old = Arc::clone(old);
                    locks.take(&old, path)?;
                    next.replace_file(path, Arc::clone(file))?;
                    replaced.push(old);
                }
                Err(TreeError::NotFound { .. }) => {
                    if let Some(parent) = path.parent() {
                        next.create_dir_all(&parent)?;
                    }
                    next.insert_file(path, Arc::clone(file))?;
                }
                Err(e) => return Err(e.into()),
            }
            linked.push(file);
        }
        let new_charge: u64 = linked.iter().map(|f| f.storage.charge()).sum();
        let old_charge: u64 = replaced.iter().map(|f| f.storage.charge()).sum();
        let added_nodes = self.settle_nodes(next)?;
        if new_charge > old_charge {
            if let Err(e) = self.core.ledger.charge(new_charge - old_charge) {
                self.core.nodes.remove(added_nodes);
                return Err(e.into());
            }
        } else {
            self.core.ledger.release(old_charge - new_charge);
        }
        let ledger = &self.core.ledger;
        ledger.add_chunks(linked.iter().map(|f| f.storage.chunk_count()).sum());
        for old in &replaced {
            ledger.remove_chunks(old.storage.chunk_count());
            self.unlink(old, false);
        }
        Ok(linked.len() as u64)
    }

    /// Moves the node counter from the working tree's count to `next`'s,
    /// failing with `NodeLimitExceeded` (and changing nothing) if it would
    /// pass `max_nodes`. Returns how many nodes were added.
    fn settle_nodes(&self, next: &Tree<FileRef>) -> Result<u64> {
        let before = self.tree.file_count() + self.tree.dir_count();
        let after = next.file_count() + next.dir_count();
        if after > before {
            self.core.nodes.add(after - before)?;
            Ok(after - before)
        } else {
            self.core.nodes.remove(before - after);
            Ok(0)
        }
    }

    /// Marks a file gone; `discharge` gives its quota back (imports settle
    /// the quota of replaced files as part of their net charge).
    fn unlink(&self, file: &FileRef, discharge: bool) {
        file.mark_unlinked();
        if discharge {
            file.storage.discharge_from(&self.core.ledger);
        }
    }
}

/// Every file at or below `path` in `tree` (just the file if it is one).
fn files_at(tree: &Tree<FileRef>, path: &NormPath) -> Result<Vec<FileRef>> {
    match tree.lookup(path)? {
        NodeRef::File(f) => Ok(vec![Arc::clone(f)]),
        NodeRef::Dir { .. } => Ok(tree
            .subtree(path)?
            .files
            .into_iter()
            .map(|f| f.file)
            .collect()),
    }
}

/// File write locks taken by the mutation being applied. Dropped on
/// failure, it gives them all back; on success the writer keeps them until
/// it has published.
#[derive(Default)]
struct HeldLocks {
    files: Vec<FileRef>,
}

impl HeldLocks {
    /// Takes `file`'s write lock without waiting, or fails with
    /// `ResourceBusy` naming `path` because a handle has the file open.
    fn take(&mut self, file: &FileRef, path: &NormPath) -> Result<()> {
        if file.lock.try_write() {
            self.files.push(Arc::clone(file));
            Ok(())
        } else {
            Err(Error::ResourceBusy {
                path: path.to_string(),
            })
        }
    }
}

impl Drop for HeldLocks {
    fn drop(&mut self) {
        for file in self.files.drain(..) {
            file.lock.unlock_write();
        }
    }
}
