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
//!   locks are released only after the batch is published: an opener that
//!   gets the lock afterwards and re-checks the snapshot sees the change. A
//!   lock already held for the batch counts as held by every later mutation
//!   of the batch (it is neither taken nor released again, and a failed
//!   mutation leaves it held), so `ResourceBusy` means a handle (or a
//!   reader) has the file, whatever the batching: both strategies give the
//!   same answer to the same history.
//! - A file's charge is given back to the ledger when its removal (or
//!   replacement) commits, and its data is freed when the batch is
//!   published, even though old snapshots may still name the node (see
//!   `crate::node`): what is discharged is exactly what is freed.
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
    /// Files applied mutations unlinked (all of them in `held` too), whose
    /// data goes when the batch is published.
    unlinked: Vec<FileRef>,
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
            unlinked: Vec::new(),
            changed: false,
            spare: SpareBuffers::default(),
        }
    }

    /// Publishes the working tree if a mutation changed it, frees the data
    /// of the files the batch unlinked, then releases the file locks the
    /// batch took.
    pub(crate) fn publish(&mut self) {
        if self.changed {
            self.core.published.store(Arc::new(self.tree.clone()));
            self.changed = false;
        }
        // `pop` rather than `drain`: cheaper for the one or two files of a
        // typical batch, and the order does not matter.
        while let Some(file) = self.unlinked.pop() {
            // The batch holds two references, this one and its lock's in
            // `held`. Any other is an old snapshot, an iterator or a reader
            // that may still name the file, and needs its name and metadata,
            // not its content: drop the data now. With none (the usual
            // case), nothing else can reach the node, and the data goes
            // with the last reference, without the cost of publishing an
            // empty storage.
            debug_assert!(file.is_held_by_batch());
            if Arc::strong_count(&file) > 2 {
                file.unlink();
            }
        }
        while let Some(file) = self.held.pop() {
            release_batch_lock(&file);
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
        (self.spare.charges, self.spare.unlink) = effects.commit(&mut self.unlinked);
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
                prepaid,
            } => {
                let import = Import {
                    files,
                    dirs: &dirs,
                    on_file,
                    prepaid,
                };
                let linked = self.import(next, locks, effects, import)?;
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
    /// `next`, settling the prepaid reservation to the net quota change.
    /// Returns how many files it linked (`OnFileExists::Keep` leaves
    /// existing ones out).
    fn import(
        &self,
        next: &mut Tree<FileRef>,
        locks: &mut HeldLocks,
        effects: &mut Effects,
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
        let net = new_charge.saturating_sub(old_charge);
        if net > prepaid.bytes() {
            prepaid.grow(net - prepaid.bytes())?;
        } else {
            prepaid.release_part(prepaid.bytes() - net);
        }
        effects.charges.push(prepaid);
        effects.release += old_charge.saturating_sub(new_charge);
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

/// The parts of [`Mutation::Import`] that [`TreeWriter::import`] uses.
struct Import<'a> {
    files: Vec<(NormPath, FileRef)>,
    dirs: &'a [NormPath],
    on_file: OnFileExists,
    prepaid: QuotaReservation,
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
    /// settle replaced files through their net charge instead). Committing
    /// hands them to the writer, which frees their data when it publishes.
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

    /// Makes the side effects; straight-line code that cannot fail. Moves
    /// the unlinked files to `unlinked` and hands the emptied buffers back
    /// for reuse.
    #[allow(clippy::type_complexity)]
    fn commit(
        mut self,
        unlinked: &mut Vec<FileRef>,
    ) -> (Vec<QuotaReservation>, Vec<(FileRef, bool)>) {
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
            if discharge {
                file.storage.discharge_from(ledger);
            }
            unlinked.push(file);
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
    /// Makes sure the batch holds `file`'s write lock: takes it without
    /// waiting, or finds it taken already by an earlier mutation of the
    /// batch (or of this one), whose list keeps it and gives it back. Fails
    /// with `ResourceBusy` naming `path` when someone else has the file: a
    /// handle, or a reader copying it.
    fn take(&mut self, file: &FileRef, path: &NormPath) -> Result<()> {
        if file.lock.try_write() {
            file.set_held_by_batch(true);
            self.files.push(Arc::clone(file));
            Ok(())
        } else if file.is_held_by_batch() {
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
            release_batch_lock(&file);
        }
    }
}

/// Gives back a write lock [`HeldLocks::take`] took.
fn release_batch_lock(file: &FileRef) {
    file.set_held_by_batch(false);
    file.lock.unlock_write();
}

#[cfg(all(test, not(loom)))]
mod tests {
    use std::sync::atomic::{AtomicBool, Ordering as StdOrdering};
    use std::time::Duration;

    use bytes::Bytes;
    use dmemfs_core_tree::NormPath;

    use super::*;
    use crate::node::{FileNode, NewFile};
    use crate::{Concurrency, MemoryFileSystem, OpenMode};

    fn p(path: &str) -> NormPath {
        NormPath::parse(path).expect("valid path")
    }

    fn rename(src: &str, dst: &str) -> Mutation {
        Mutation::Rename {
            src: p(src),
            dst: p(dst),
            create_parents: false,
        }
    }

    /// A filesystem set up by `setup` through its own writer, and a second
    /// writer over the same published tree that the test drives by hand,
    /// so several mutations can be applied before one publication (as the
    /// actor batches them). Lock waits do not wait.
    fn with_writer(setup: impl FnOnce(&MemoryFileSystem)) -> (MemoryFileSystem, TreeWriter) {
        let fs = MemoryFileSystem::builder()
            .concurrency(Concurrency::GlobalLock)
            .default_lock_timeout(Some(Duration::ZERO))
            .build()
            .expect("filesystem");
        setup(&fs);
        let writer = TreeWriter::new(Arc::clone(fs.core()));
        (fs, writer)
    }

    fn node(fs: &MemoryFileSystem, path: &str) -> FileRef {
        match fs.snapshot().lookup(&p(path)) {
            Ok(NodeRef::File(f)) => Arc::clone(f),
            _ => panic!("no file at {path}"),
        }
    }

    #[test]
    fn one_batch_moves_a_file_there_and_back_and_removes_it() {
        let (fs, mut writer) = with_writer(|fs| fs.write("/a", b"x").expect("write"));
        let file = node(&fs, "/a");
        for mutation in [
            rename("/a", "/b"),
            rename("/b", "/a"),
            rename("/a", "/b"),
            Mutation::Remove { path: p("/b") },
        ] {
            let outcome = writer.apply_caught(mutation);
            assert!(matches!(outcome, Ok(Outcome::Done)), "{outcome:?}");
        }
        assert!(file.lock.is_locked(), "held until the batch is published");
        assert!(fs.exists("/a"), "nothing published yet");
        writer.publish();
        // Released exactly once: a second `unlock_write` would have failed
        // its debug assertion, and a missing one would leave it locked.
        assert!(!file.lock.is_locked());
        assert!(!file.is_held_by_batch());
        assert!(!fs.exists("/a") && !fs.exists("/b"));
        assert_eq!(fs.stats().used_bytes, 0);
    }

    #[test]
    fn a_failed_mutation_leaves_the_batchs_locks_held() {
        let (fs, mut writer) = with_writer(|fs| {
            fs.mkdir("/x", false).expect("mkdir");
            fs.write("/x/f1", b"one").expect("write");
            fs.write("/x/f2", b"two").expect("write");
        });
        let (f1, f2) = (node(&fs, "/x/f1"), node(&fs, "/x/f2"));
        let reader = fs.open("/x/f2", OpenMode::Read).expect("open");
        assert!(matches!(
            writer.apply_caught(rename("/x/f1", "/x/f0")),
            Ok(Outcome::Done)
        ));
        // Finds /x/f0 held by the batch, then /x/f2 open: refused, and the
        // batch's lock on f1 must stay held, not be released by the rollback.
        let import = Mutation::Import {
            files: vec![
                (p("/x/f0"), FileNode::new(NewFile::with_storage(empty()))),
                (p("/x/f2"), FileNode::new(NewFile::with_storage(empty()))),
            ],
            dirs: Vec::new(),
            on_file: OnFileExists::Replace,
            prepaid: fs.core().ledger.reserve(0).expect("nothing to take"),
        };
        assert!(matches!(
            writer.apply_caught(import),
            Err(Error::ResourceBusy { path }) if path == "/x/f2"
        ));
        assert!(f1.lock.is_locked() && f1.is_held_by_batch());
        assert!(!f1.lock.try_write());
        writer.publish();
        assert!(!f1.lock.is_locked());
        assert!(f2.lock.is_locked(), "still the reader's");
        drop(reader);
        assert!(!f2.lock.is_locked());
        assert_eq!(fs.listdir("/x").expect("dir"), ["f0", "f2"]);
        assert_eq!(fs.read("/x/f0").expect("read"), b"one");
    }

    fn imported(path: &str, len: usize) -> (NormPath, FileRef) {
        let storage = dmemfs_storage_backends::FileStorage::from_bytes(
            Default::default(),
            vec![1; len].into(),
        )
        .expect("small");
        (p(path), FileNode::new(NewFile::with_storage(storage)))
    }

    #[test]
    fn an_imports_prepaid_quota_is_settled_to_the_exact_change() {
        let (fs, mut writer) = with_writer(|fs| fs.write("/a", [0u8; 100]).expect("write"));
        let ledger = Arc::clone(&fs.core().ledger);
        let overhead = fs.core().storage.chunk_overhead;
        let import = |files, prepaid| Mutation::Import {
            files,
            dirs: Vec::new(),
            on_file: OnFileExists::Replace,
            prepaid: ledger.reserve(prepaid).expect("fits"),
        };
        // Too little prepaid: the writer takes the rest.
        let files = vec![imported("/a", 300), imported("/b", 50)];
        assert!(matches!(
            writer.apply_caught(import(files, 10)),
            Ok(Outcome::Imported(2))
        ));
        writer.publish();
        assert_eq!(ledger.used(), 350 + 2 * overhead);
        // Too much: the writer gives the excess back, and the freed bytes.
        assert!(matches!(
            writer.apply_caught(import(vec![imported("/a", 10)], 1000)),
            Ok(Outcome::Imported(1))
        ));
        writer.publish();
        assert_eq!(ledger.used(), 60 + 2 * overhead);
        // More than the quota holds: refused, the prepaid bytes given back.
        let used = ledger.used();
        let too_big = imported("/c", usize::try_from(ledger.available()).expect("small"));
        assert!(matches!(
            writer.apply_caught(import(vec![too_big], 5)),
            Err(Error::QuotaExceeded { .. })
        ));
        writer.publish();
        assert_eq!(ledger.used(), used);
        assert_eq!(ledger.chunk_count(), 2);
    }

    fn empty() -> dmemfs_storage_backends::FileStorage {
        dmemfs_storage_backends::FileStorage::new(Default::default())
    }

    /// Data whose release the test can see.
    struct Tracked(Vec<u8>, Arc<AtomicBool>);

    impl AsRef<[u8]> for Tracked {
        fn as_ref(&self) -> &[u8] {
            &self.0
        }
    }

    impl Drop for Tracked {
        fn drop(&mut self) {
            self.1.store(true, StdOrdering::SeqCst);
        }
    }

    fn tracked_file() -> (MemoryFileSystem, TreeWriter, Arc<AtomicBool>) {
        let dropped = Arc::new(AtomicBool::new(false));
        let data = Bytes::from_owner(Tracked(vec![7; 1000], Arc::clone(&dropped)));
        let (fs, writer) = with_writer(|fs| {
            fs.import_tree([("/f", data)]).expect("import");
        });
        (fs, writer, dropped)
    }

    #[test]
    fn a_removal_frees_the_data_when_published_and_old_snapshots_keep_the_length() {
        let (fs, mut writer, dropped) = tracked_file();
        let before = fs.stat("/f").expect("stat");
        assert!(matches!(
            writer.apply_caught(Mutation::Remove { path: p("/f") }),
            Ok(Outcome::Done)
        ));
        // Committed, not published: the quota is given back, and readers
        // that need the content wait for the writer's lock.
        assert_eq!((fs.stats().used_bytes, fs.stats().chunk_count), (0, 0));
        assert_eq!(fs.stat("/f").expect("still published").size, 1000);
        assert!(matches!(fs.read("/f"), Err(Error::WouldBlock { .. })));
        let old = fs.core().published.load_full();
        writer.publish();
        // An old snapshot still names the node: its data is gone, its
        // length (what `stat` on that snapshot reports) stays.
        assert!(dropped.load(StdOrdering::SeqCst), "the data is freed");
        let Ok(NodeRef::File(stale)) = old.lookup(&p("/f")) else {
            panic!("the old snapshot names /f");
        };
        assert!(stale.is_unlinked());
        assert_eq!((stale.storage.len(), stale.len()), (0, 1000));
        assert_eq!(stale.generation(), before.generation);
        assert!(matches!(fs.stat("/f"), Err(Error::NotFound { .. })));
        assert!(matches!(fs.read("/f"), Err(Error::NotFound { .. })));
    }

    #[test]
    fn a_removal_nobody_else_sees_frees_the_data_with_the_node() {
        let (fs, mut writer, dropped) = tracked_file();
        assert!(matches!(
            writer.apply_caught(Mutation::Remove { path: p("/f") }),
            Ok(Outcome::Done)
        ));
        assert!(!dropped.load(StdOrdering::SeqCst), "freed when published");
        writer.publish();
        assert!(dropped.load(StdOrdering::SeqCst));
        assert!(!fs.exists("/f"));
    }
}
