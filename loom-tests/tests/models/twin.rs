//! Model 8: the writer's twin trees (left-right publication).
//!
//! The protocol (`crates/api/src/engine/working_tree.rs`): the writer edits
//! its working tree in place, journaling each step; publishing swaps the
//! working tree into the publication cell and keeps the tree the swap hands
//! back as the twin. As soon as no reader holds the twin (`Arc::get_mut`,
//! tried right after the swap and at the start of each mutation), the
//! journal is replayed on it and it becomes the working tree; the journal
//! then keeps only the steps made since the last publication. Until then
//! the writer edits a copy of the published tree.
//!
//! Property: a reader's snapshot is one published state and never changes
//! while held; readers see the states in publication order; no publication
//! is lost, whichever way each twin was caught up (at once, at a later
//! mutation of the same batch, or at a later batch).
//!
//! Models:
//! - the protocol written out here over the real publication cell and the
//!   real tree and journal of `dmemfs-core-tree`, with one reader holding a
//!   snapshot across a yield while the writer publishes two batches; the
//!   `broken_*` test runs it with a catch-up that forgets the whole journal
//!   instead of the steps before the last publication, and expects the
//!   model to fail;
//! - the real `MemoryFileSystem` on both strategies, with a reader listing
//!   the root while another thread creates and removes directories.

use std::sync::Arc;

use dmemfs::{Concurrency, MemoryFileSystem};
use dmemfs_core_tree::{Journal, JournalMark, Journaled, NormPath, Tree};
use dmemfs_storage_backends::sync::Published;
use loom::sync::atomic::{AtomicUsize, Ordering};
use loom::thread;

use crate::common::check;

/// What a catch-up forgets of the journal.
#[derive(Clone, Copy)]
enum Forget {
    /// The shipped way: the steps before the last publication.
    BeforePublication,
    /// A defect: every step.
    All,
}

/// The writer's side of the protocol, written out (see the module docs).
struct Writer {
    /// Counts the reader's releases of snapshots. `Arc` is std's here (as
    /// in the shipped code), whose counts loom does not see, so the model
    /// makes each release, and each of the writer's `Arc::get_mut` tries,
    /// touch this loom atomic too: then loom orders the two, and explores a
    /// release on either side of each try.
    releases: Arc<AtomicUsize>,
    working: Arc<Tree<u32>>,
    journal: Journal<u32>,
    published_at: JournalMark,
    twin: Option<Arc<Tree<u32>>>,
    forget: Forget,
}

impl Writer {
    fn edit(&mut self, edit: impl FnOnce(&mut Journaled<'_, u32>)) {
        // The writer may be preempted between two mutations (a point loom
        // can switch threads at: nothing else here is a loom operation).
        thread::yield_now();
        self.catch_up();
        edit(&mut Arc::make_mut(&mut self.working).journaled(&mut self.journal));
    }

    fn publish(&mut self, cell: &Published<Tree<u32>>) {
        let previous = cell.swap(Arc::clone(&self.working));
        if self.twin.is_none() {
            self.twin = Some(previous);
        }
        self.published_at = self.journal.mark();
        self.catch_up();
    }

    fn catch_up(&mut self) {
        self.releases.load(Ordering::SeqCst);
        let Some(twin) = self.twin.as_mut().and_then(Arc::get_mut) else {
            return;
        };
        assert!(twin.replay(&self.journal), "the twin replays");
        if let Some(twin) = self.twin.take() {
            self.working = twin;
        }
        match self.forget {
            Forget::BeforePublication => self.journal.forget_before(self.published_at),
            Forget::All => self.journal.clear(),
        }
        self.published_at = self.journal.first_mark();
    }
}

/// The files at the root of `tree`, sorted.
fn files(tree: &Tree<u32>) -> Vec<String> {
    tree.files_under(&NormPath::root())
        .expect("the root exists")
        .into_iter()
        .map(|(path, _)| path)
        .collect()
}

/// The states the writer publishes, in order.
const STATES: [&[&str]; 5] = [
    &[],
    &["/a"],
    &["/a", "/b", "/c"],
    &["/b", "/c"],
    &["/b", "/c", "/d"],
];

fn position(seen: &[String]) -> usize {
    STATES
        .iter()
        .position(|state| state.iter().copied().eq(seen.iter().map(String::as_str)))
        .unwrap_or_else(|| panic!("a state never published: {seen:?}"))
}

fn twin_model(forget: Forget) {
    check(move || {
        let cell = Arc::new(Published::from_pointee(Tree::<u32>::new()));
        let releases = Arc::new(AtomicUsize::new(0));
        let reader = {
            let cell = Arc::clone(&cell);
            let releases = Arc::clone(&releases);
            thread::spawn(move || {
                let mut last = 0;
                for _ in 0..2 {
                    let snapshot = cell.load();
                    let before = files(&snapshot);
                    // Hold the snapshot while the writer may publish and
                    // make more than one mutation (each of its yields lets
                    // this thread on).
                    for _ in 0..3 {
                        thread::yield_now();
                    }
                    assert_eq!(files(&snapshot), before, "a held snapshot changed");
                    let now = position(&before);
                    assert!(now >= last, "states seen out of order");
                    last = now;
                    drop(snapshot);
                    releases.fetch_add(1, Ordering::SeqCst);
                }
            })
        };
        let journal = Journal::new();
        let mut writer = Writer {
            releases,
            working: cell.load_full(),
            published_at: journal.mark(),
            journal,
            twin: None,
            forget,
        };
        let path = |p: &str| NormPath::parse(p).expect("valid");
        // Two batches of two mutations, as the actor batches them.
        writer.edit(|tree| tree.insert_file(&path("/a"), 1).expect("fresh"));
        writer.publish(&cell);
        writer.edit(|tree| tree.insert_file(&path("/b"), 2).expect("fresh"));
        writer.edit(|tree| tree.insert_file(&path("/c"), 3).expect("fresh"));
        writer.publish(&cell);
        writer.edit(|tree| {
            tree.remove_file(&path("/a")).expect("present");
        });
        writer.publish(&cell);
        writer.edit(|tree| tree.insert_file(&path("/d"), 4).expect("fresh"));
        reader.join().expect("reader");
        writer.publish(&cell);
        assert_eq!(
            files(&cell.load()),
            ["/b", "/c", "/d"],
            "a publication was lost"
        );
        writer.edit(|_| {});
        assert_eq!(
            files(&writer.working),
            ["/b", "/c", "/d"],
            "the working tree fell behind"
        );
    });
}

#[test]
fn twin_trees_lose_no_publication_and_change_no_held_snapshot() {
    twin_model(Forget::BeforePublication);
}

#[test]
#[should_panic]
fn broken_catch_up_that_forgets_the_whole_journal_is_caught() {
    twin_model(Forget::All);
}

/// The shipped filesystem: one thread creates `/a` and `/b` and removes
/// `/a` while the main thread lists the root twice; then one more file is
/// created, which the working tree, whichever way it was kept, must add to
/// the last published state.
fn real_twin_trees(concurrency: Concurrency) {
    check(move || {
        let fs = MemoryFileSystem::builder()
            .concurrency(concurrency)
            .build()
            .expect("filesystem");
        let writer = {
            let fs = fs.clone();
            thread::spawn(move || {
                fs.mkdir("/a", false)?;
                fs.mkdir("/b", false)?;
                fs.rmtree("/a")
            })
        };
        let order = [&[][..], &["a"][..], &["a", "b"][..], &["b"][..]];
        let mut last = 0;
        for _ in 0..2 {
            let seen = fs.listdir("/").expect("the root");
            let now = order
                .iter()
                .position(|state| state.iter().copied().eq(seen.iter().map(String::as_str)))
                .unwrap_or_else(|| panic!("a state never published: {seen:?}"));
            assert!(now >= last, "states seen out of order");
            last = now;
        }
        writer.join().expect("writer").expect("the writer's edits");
        fs.mkdir("/c", false).expect("fresh");
        assert_eq!(fs.listdir("/").expect("the root"), ["b", "c"]);
    });
}

#[test]
fn real_twin_trees_with_the_global_lock_writer() {
    real_twin_trees(Concurrency::GlobalLock);
}

#[test]
fn real_twin_trees_with_the_actor_writer() {
    real_twin_trees(Concurrency::Actor);
}
