//! The single writer of the tree.
//!
//! Invariants it keeps:
//! - Each mutation is all or nothing. It is first *planned*: applied to a
//!   clone of the working tree (O(1), the tree is persistent), with every
//!   check made, the file locks it needs taken and its quota and node counts
//!   reserved by guards that give them back when dropped. Only then is it
//!   *committed*: the side effects on shared state (counters, ledger, unlinked
//!   files) are made by straight-line code that cannot fail, and the clone
//!   replaces the working tree. So a mutation that fails — or panics — while
//!   being planned changes neither the tree, the ledger, the node count nor
//!   any lock.
//! - A file is unlinked, moved or replaced only while the writer holds its
//!   write lock, taken with `try_write` (so the writer never waits on a file,
//!   and a caller holding a file lock can safely wait for the writer). The
//!   locks are released only after the change is published: an opener that
//!   gets the lock afterwards and re-checks the snapshot sees the change.
//! - The ledger always equals what linked files are charged, plus live
//!   reservations.
//!
//! Who calls: the actor thread, or a caller holding the global lock, both
//! through [`TreeWriter::apply_caught`], which turns a panic into
//! [`Error::Internal`].

use std::fmt;
use std::panic::{catch_unwind, AssertUnwindSafe};

use dmemfs_core_tree::{NodeRef, NormPath, Tree, TreeError};
use dmemfs_quota::QuotaReservation;

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
    /// Emptied buffers of earlier mutations, reused so that a mutation
    /// allocates none for its bookkeeping.
    spare: SpareBuffers,
}

#[derive(Default)]
struct SpareBuffers {
    locks: Vec<FileRef>,
    charges: Vec<QuotaReservation>,
    unlink: Vec<(FileRef, bool)>,
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
            spare: SpareBuffers::default(),
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

    /// [`TreeWriter::apply`], with a panic caught and reported as
    /// [`Error::Internal`]. A panic can only happen while the mutation is
    /// planned, and unwinding drops the plan's guards, so the writer, the
    /// tree, the ledger, the node count and every lock stay as they were and
    /// the writer goes on serving.
    pub(crate) fn apply_caught(&mut self, mutation: Mutation) -> Result<Outcome> {
        let operation = mutation.name();
        catch_unwind(AssertUnwindSafe(|| self.apply(mutation))).unwrap_or_else(|_| {
            Err(Error::Internal {
                operation: operation.to_owned(),
            })
        })
    }

    /// Test hook: panics, outside any `catch_unwind`, if a test asked the
    /// writer to die on its next mutation.
    pub(crate) fn before_mutation(&self) {
        #[cfg(feature = "fault-injection")]
        crate::fault::before_mutation(&self.core);
    }

    fn apply(&mut self, mutation: Mutation) -> Result<Outcome> {
        let mut next = self.tree.clone();
        let mut locks = HeldLocks {
            files: std::mem::take(&mut self.spare.locks),
        };
        let mut effects = Effects::new(
            &self.core,
            std::mem::take(&mut self.spare.charges),
            std::mem::take(&mut self.spare.unlink),
        );
        let (outcome, changed) = self.plan(mutation, &mut next, &mut locks, &mut effects)?;
        // Everything that can fail or panic has run by here.
        #[cfg(feature = "fault-injection")]
        crate::fault::mutation_planned(&self.core);
        (self.spare.charges, self.spare.unlink) = effects.commit();
        if changed {
            self.tree = next;
            self.changed = true;
        }
        self.held.append(&mut locks.files);
        self.spare.locks = std::mem::take(&mut locks.files);
        Ok(outcome)
    }

    /// Applies `mutation` to `next`, taking the locks it needs into `locks`
    /// and recording its side effects in `effects`, without touching any
    /// state outside them. Returns the outcome and whether the tree changed.
    fn plan(
        &self,
        mutation: Mutation,
        next: &mut Tree<FileRef>,
        locks: &mut HeldLocks,
        effects: &mut Effects,
    ) -> Result<(Outcome, bool)> {
        match mutation {
            Mutation::CreateFile {
                path,
                file,
                charge,
                on_exists,
            } => {
                if let Err(e) = next.insert_file(&path, Arc::clone(&file)) {
                    return self.existing_or(e, &path, on_exists).map(|o| (o, false));
                }
                self.settle_nodes(next, effects)?;
                effects.charges.push(charge);
                effects.chunks_added += file.storage.chunk_count();
            }
            Mutation::Mkdir { path, exist_ok } => {
                match next.lookup(&path) {
                    Ok(NodeRef::Dir { .. }) if exist_ok => return Ok((Outcome::Done, false)),
                    Ok(_) => {
                        return Err(Error::AlreadyExists {
                            path: path.to_string(),
                        })
                    }
                    Err(TreeError::NotFound { .. }) => {}
                    Err(e) => return Err(e.into()),
                }
                next.create_dir_all(&path)?;
                self.settle_nodes(next, effects)?;
            }
            Mutation::Remove { path } => {
                let file = next.remove_file(&path)?;
                locks.take(&file, &path)?;
                self.settle_nodes(next, effects)?;
                effects.unlink.push((file, true));
            }
            Mutation::RemoveTree { path } => {
                let removed = next.remove_dir_all(&path)?;
                for file in &removed.files {
                    locks.take(file, &path)?;
                }
                self.settle_nodes(next, effects)?;
                effects
                    .unlink
                    .extend(removed.files.into_iter().map(|f| (f, true)));
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
                self.settle_nodes(next, effects)?;
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
                self.settle_nodes(next, effects)?;
                effects.charges.push(charge);
                effects.chunks_added += chunks;
            }
            Mutation::Import {
                files,
                dirs,
                on_file,
            } => {
                let linked = self.import(next, locks, effects, files, &dirs, on_file)?;
                return Ok((Outcome::Imported(linked), true));
            }
        }
        Ok((Outcome::Done, true))
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
    /// `next`, reserving the net quota change. Returns how many files it
    /// linked (`OnFileExists::Keep` leaves existing ones out).
    #[allow(clippy::too_many_arguments)]
    fn import(
        &self,
        next: &mut Tree<FileRef>,
        locks: &mut HeldLocks,
        effects: &mut Effects,
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
        self.settle_nodes(next, effects)?;
        if new_charge > old_charge {
            let reservation = self.core.ledger.reserve(new_charge - old_charge)?;
            effects.charges.push(reservation);
        } else {
            effects.release += old_charge - new_charge;
        }
        effects.chunks_added += linked.iter().map(|f| f.storage.chunk_count()).sum::<u64>();
        for old in replaced {
            effects.chunks_removed += old.storage.chunk_count();
            effects.unlink.push((old, false));
        }
        Ok(linked.len() as u64)
    }

    /// Moves the node counter from the working tree's count to `next`'s:
    /// an increase is counted now (failing with `NodeLimitExceeded` if it
    /// would pass `max_nodes`, and given back if the plan is dropped), a
    /// decrease when the plan commits.
    fn settle_nodes(&self, next: &Tree<FileRef>, effects: &mut Effects) -> Result<()> {
        let before = self.tree.file_count() + self.tree.dir_count();
        let after = next.file_count() + next.dir_count();
        if after > before {
            self.core.nodes.add(after - before)?;
            effects.nodes_added = after - before;
        } else {
            effects.nodes_removed = before - after;
        }
        Ok(())
    }
}

/// The side effects of a planned mutation on state outside the tree. Until
/// [`Effects::commit`], dropping it undoes what the plan reserved: the
/// reservations give their bytes back and added nodes are uncounted.
struct Effects {
    core: Arc<FsCore>,
    /// Counted by the plan; uncounted on drop unless committed.
    nodes_added: u64,
    nodes_removed: u64,
    /// Reserved by the caller or the plan; committed with the plan.
    charges: Vec<QuotaReservation>,
    release: u64,
    chunks_added: u64,
    chunks_removed: u64,
    /// Files leaving the tree; `true` gives their charge back (imports
    /// settle replaced files through their net charge instead).
    unlink: Vec<(FileRef, bool)>,
}

impl Effects {
    /// Empty effects recorded into the given (empty) buffers.
    fn new(
        core: &Arc<FsCore>,
        charges: Vec<QuotaReservation>,
        unlink: Vec<(FileRef, bool)>,
    ) -> Self {
        debug_assert!(charges.is_empty() && unlink.is_empty());
        Effects {
            core: Arc::clone(core),
            nodes_added: 0,
            nodes_removed: 0,
            charges,
            release: 0,
            chunks_added: 0,
            chunks_removed: 0,
            unlink,
        }
    }

    /// Makes the side effects; straight-line code that cannot fail. Hands
    /// the emptied buffers back for reuse.
    #[allow(clippy::type_complexity)]
    fn commit(mut self) -> (Vec<QuotaReservation>, Vec<(FileRef, bool)>) {
        let core = Arc::clone(&self.core);
        self.nodes_added = 0;
        core.nodes.remove(self.nodes_removed);
        for charge in self.charges.drain(..) {
            charge.commit();
        }
        let ledger = &core.ledger;
        ledger.release(self.release);
        ledger.add_chunks(self.chunks_added);
        ledger.remove_chunks(self.chunks_removed);
        for (file, discharge) in self.unlink.drain(..) {
            file.mark_unlinked();
            if discharge {
                file.storage.discharge_from(ledger);
            }
        }
        (
            std::mem::take(&mut self.charges),
            std::mem::take(&mut self.unlink),
        )
    }
}

impl Drop for Effects {
    fn drop(&mut self) {
        self.core.nodes.remove(self.nodes_added);
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
