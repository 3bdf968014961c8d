//! The single writer of the tree.
//!
//! Invariants it keeps:
//! - Each mutation is all or nothing. It is first *planned*: applied to the
//!   working tree in place, each step journaled (`super::working_tree`), with
//!   every check made, the file locks it needs taken and its quota and node
//!   counts reserved by guards that give them back when dropped. Only then is
//!   it *committed*: the side effects on shared state (counters, ledger,
//!   unlinked files) are made by straight-line code that cannot fail. A
//!   mutation that fails — or panics — while being planned is rolled back
//!   (the steps it made are undone), so it changes neither the tree, the
//!   ledger, the node count nor any lock. (A panic inside a step itself, in
//!   the middle of a tree's node edit, would be a broken invariant of the
//!   tree crate; no input reaches one.)
//! - A file is unlinked, moved or replaced only while the writer holds its
//!   lock as the relinker (`File::relink`): refused at once (`ResourceBusy`)
//!   if a handle has the file, so the writer never waits on a handle and a
//!   caller holding a handle can safely wait for the writer; waiting out a
//!   transient reader or writer, which never waits for anything while it
//!   holds the lock. The holds are given back only after the batch is
//!   published: an opener that gets the lock afterwards and re-checks the
//!   snapshot sees the change. Every mutation takes its own hold, nested in
//!   the batch's when an earlier mutation of the batch holds the file, so a
//!   failed mutation gives back only its own and `ResourceBusy` means a
//!   handle has the file, whatever the batching: both strategies give the
//!   same answer to the same history.
//! - A file's charge is given back to the ledger when its removal (or
//!   replacement) commits, and its data is freed when the batch is
//!   published, even though old snapshots may still name the file (see
//!   `dmemfs_storage_backends::File`): what is discharged is exactly what is
//!   freed.
//! - The ledger always equals what linked files are charged, plus live
//!   reservations.
//!
//! Who calls: the actor thread, or a caller holding the global lock, both
//! through [`TreeWriter::apply_caught`], which turns a panic into
//! [`Error::Internal`]. What a mutation does outside the tree is recorded,
//! and undone if it fails, by its undo log (`super::undo`).

use std::fmt;
use std::panic::{catch_unwind, AssertUnwindSafe};

use dmemfs_core_tree::{Journaled, NodeRef, NormPath, Tree, TreeError};
use dmemfs_quota::QuotaReservation;
use dmemfs_storage_backends::FileWriteHold;

use super::undo::{Spare, Undo};
use super::working_tree::WorkingTree;
use super::{Created, Mutation, OnExists, OnFileExists, Outcome};
use crate::fs_core::FileRef;
use crate::sync::Arc;
use crate::{Error, FsCore, Result};

/// The working tree and the holds taken for the current batch.
pub(crate) struct TreeWriter {
    work: WorkingTree,
    core: Arc<FsCore>,
    /// The relinker's holds on files applied mutations moved, given back
    /// after publishing.
    held: Vec<FileWriteHold>,
    /// The relinker's holds on files applied mutations unlinked, whose data
    /// goes when the batch is published.
    unlinked: Vec<FileWriteHold>,
    /// Emptied buffers of earlier mutations, reused so that a mutation
    /// allocates none for its bookkeeping.
    spare: Spare,
}

impl fmt::Debug for TreeWriter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TreeWriter")
            .field("tree", &self.work)
            .field("held", &self.held.len())
            .finish()
    }
}

impl TreeWriter {
    pub(crate) fn new(core: Arc<FsCore>) -> Self {
        TreeWriter {
            work: WorkingTree::new(&core.published),
            core,
            held: Vec::new(),
            unlinked: Vec::new(),
            spare: Spare::default(),
        }
    }

    /// Publishes the working tree if a mutation changed it, gives back the
    /// holds on the files the batch moved, then frees the data of the files
    /// it unlinked and gives their holds back.
    pub(crate) fn publish(&mut self) {
        // Also brings the twin up to date if no reader holds it, emptying
        // the journal: then neither holds the files the batch replaced or
        // unlinked any more.
        self.work.publish(&self.core.published);
        // First, so that each unlinked file's hold below is the batch's only
        // reference to it.
        self.held.clear();
        // `pop` rather than `drain`: cheaper for the one or two files of a
        // typical batch, and the order does not matter.
        while let Some(hold) = self.unlinked.pop() {
            // Any other reference is an old snapshot, an iterator or a
            // reader that may still name the file and needs its name and
            // metadata, not its content: `unlink` drops the data now. With
            // none (the usual case), the data goes with the hold.
            hold.unlink();
        }
    }

    /// [`TreeWriter::apply`], with a panic caught and reported as
    /// [`Error::Internal`]. A panic can only happen while the mutation is
    /// planned, and unwinding drops the plan's guards; the steps the plan
    /// made are rolled back here, as for a plan that fails, so the tree,
    /// the ledger, the node count and every lock are as they were and the
    /// writer goes on serving.
    pub(crate) fn apply_caught(&mut self, mutation: Mutation) -> Result<Outcome> {
        let operation = mutation.name();
        let mark = self.work.begin();
        let outcome =
            catch_unwind(AssertUnwindSafe(|| self.apply(mutation))).unwrap_or_else(|_| {
                Err(Error::Internal {
                    operation: operation.to_owned(),
                })
            });
        match outcome {
            Ok(_) => self.work.commit(mark),
            Err(_) => self.work.roll_back(mark),
        }
        outcome
    }

    /// Test hook: panics, outside any `catch_unwind`, if a test asked the
    /// writer to die on its next mutation.
    pub(crate) fn before_mutation(&self) {
        #[cfg(feature = "fault-injection")]
        crate::fault::before_mutation(&self.core);
    }

    /// Plans and commits `mutation`; on `Err` (or a panic) the caller rolls
    /// the working tree back to where it was.
    fn apply(&mut self, mutation: Mutation) -> Result<Outcome> {
        let plan = Plan {
            core: &self.core,
            nodes_before: node_total(self.work.tree()),
        };
        let mut undo = Undo::new(&self.core, &mut self.spare);
        let outcome = plan.apply(mutation, &mut self.work.edit(), &mut undo)?;
        // Everything that can fail or panic has run by here.
        #[cfg(feature = "fault-injection")]
        crate::fault::mutation_planned(&self.core);
        undo.commit(&mut self.held, &mut self.unlinked, &mut self.spare);
        Ok(outcome)
    }
}

/// What planning a mutation reads besides the tree it edits.
struct Plan<'a> {
    core: &'a FsCore,
    /// Files and directories in the tree before the mutation.
    nodes_before: u64,
}

impl Plan<'_> {
    /// Applies `mutation` to `next`, taking the holds it needs and recording
    /// its side effects in `undo`, without touching any state outside them.
    fn apply(
        &self,
        mutation: Mutation,
        next: &mut Journaled<'_, FileRef>,
        undo: &mut Undo<'_>,
    ) -> Result<Outcome> {
        match mutation {
            Mutation::CreateFile {
                path,
                file,
                charge,
                on_exists,
            } => {
                if let Err(e) = next.insert_file(&path, Arc::clone(&file)) {
                    let created = existing_or(next, e, &path, on_exists)?;
                    return Ok(Outcome::Created(created));
                }
                self.settle_nodes(next, undo)?;
                undo.charges.push(charge);
                undo.chunks_added += file.storage().chunk_count();
                return Ok(Outcome::Created(Created::Linked));
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
                self.settle_nodes(next, undo)?;
            }
            Mutation::Remove { path } => {
                let file = next.remove_file(&path)?;
                undo.unlink(&file, &path, true)?;
                self.settle_nodes(next, undo)?;
            }
            Mutation::RemoveTree { path } => {
                let removed = next.remove_dir_all(&path)?;
                for file in &removed.files {
                    undo.unlink(file, &path, true)?;
                }
                self.settle_nodes(next, undo)?;
            }
            Mutation::Rename {
                src,
                dst,
                create_parents,
            } => {
                next.rename(&src, &dst, create_parents)?;
                // What was at `src` is at `dst` now.
                for file in files_at(next, &dst)? {
                    undo.hold_moved(&file, &src)?;
                }
                self.settle_nodes(next, undo)?;
            }
            Mutation::Graft {
                dst,
                subtree,
                charge,
            } => {
                let chunks: u64 = subtree
                    .files
                    .iter()
                    .map(|f| f.file.storage().chunk_count())
                    .sum();
                next.graft(&dst, subtree)?;
                self.settle_nodes(next, undo)?;
                undo.charges.push(charge);
                undo.chunks_added += chunks;
            }
            Mutation::Import {
                files,
                dirs,
                on_file,
                prepaid,
            } => {
                let import = Import {
                    files,
                    dirs: &dirs,
                    on_file,
                    prepaid,
                };
                let linked = self.import(next, undo, import)?;
                return Ok(Outcome::Imported(linked));
            }
        }
        Ok(Outcome::Done)
    }

    /// Creates the imported directories and links every imported file into
    /// `next`, settling the prepaid reservation to the net quota change.
    /// Returns how many files it linked (`OnFileExists::Keep` leaves
    /// existing ones out).
    fn import(
        &self,
        next: &mut Journaled<'_, FileRef>,
        undo: &mut Undo<'_>,
        import: Import<'_>,
    ) -> Result<u64> {
        let Import {
            files,
            dirs,
            on_file,
            mut prepaid,
        } = import;
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
                    // Settled through the net charge below, not discharged.
                    undo.unlink(&old, path, false)?;
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
        let new_charge: u64 = linked.iter().map(|f| f.storage().charge()).sum();
        let old_charge: u64 = replaced.iter().map(|f| f.storage().charge()).sum();
        self.settle_nodes(next, undo)?;
        let net = new_charge.saturating_sub(old_charge);
        if net > prepaid.bytes() {
            prepaid.grow(net - prepaid.bytes())?;
        } else {
            prepaid.release_part(prepaid.bytes() - net);
        }
        undo.charges.push(prepaid);
        undo.release += old_charge.saturating_sub(new_charge);
        undo.chunks_added += linked
            .iter()
            .map(|f| f.storage().chunk_count())
            .sum::<u64>();
        undo.chunks_removed += replaced
            .iter()
            .map(|f| f.storage().chunk_count())
            .sum::<u64>();
        Ok(linked.len() as u64)
    }

    /// Moves the node counter from the working tree's count before the
    /// mutation (`nodes_before`) to its count now, `next` being that tree
    /// as edited: an increase is counted now (failing with
    /// `NodeLimitExceeded` if it would pass `max_nodes`, and given back if
    /// the plan is dropped), a decrease when the plan commits.
    fn settle_nodes(&self, next: &Tree<FileRef>, undo: &mut Undo<'_>) -> Result<()> {
        let before = self.nodes_before;
        let after = node_total(next);
        if after > before {
            self.core.nodes.add(after - before)?;
            undo.nodes_added = after - before;
        } else {
            undo.nodes_removed = before - after;
        }
        Ok(())
    }
}

/// What `CreateFile` answers when `path` could not be linked into `tree`:
/// with [`OnExists::Report`], [`Created::Exists`] if a file is there.
fn existing_or(
    tree: &Tree<FileRef>,
    err: TreeError,
    path: &NormPath,
    on_exists: OnExists,
) -> Result<Created> {
    if let (TreeError::AlreadyExists { .. }, OnExists::Report) = (&err, on_exists) {
        if let Ok(NodeRef::File(_)) = tree.lookup(path) {
            return Ok(Created::Exists);
        }
        return Err(Error::IsADirectory {
            path: path.to_string(),
        });
    }
    Err(err.into())
}

/// Files and directories in `tree`, the root excepted: what the node
/// counter counts.
fn node_total(tree: &Tree<FileRef>) -> u64 {
    tree.file_count() + tree.dir_count()
}

/// The parts of [`Mutation::Import`] that [`Plan::import`] uses.
struct Import<'a> {
    files: Vec<(NormPath, FileRef)>,
    dirs: &'a [NormPath],
    on_file: OnFileExists,
    prepaid: QuotaReservation,
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

#[cfg(all(test, not(loom)))]
mod tests;
