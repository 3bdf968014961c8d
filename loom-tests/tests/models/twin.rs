//! Model 8: the writer's twin trees (left-right publication).
//!
//! The protocol (`crates/api/src/engine/working_tree.rs`): the writer edits
//! its working tree in place, journaling each step; publishing swaps the
//! working tree into the publication cell, and the tree the swap hands back
//! becomes the next working tree once the journal is replayed on it, but
//! only if no reader holds it (`Arc::get_mut` succeeds); else the writer
//! works on from the published tree, which its next edit copies.
//!
//! Property: a reader's snapshot is one published state and never changes
//! while held; readers see the states in publication order; no publication
//! is lost, whichever branch each publication took (the twin reused, or a
//! reader holding it).
//!
//! Models:
//! - the protocol written out here over the real publication cell and the
//!   real tree and journal of `dmemfs-core-tree`, with one reader holding a
//!   snapshot across a yield while the writer publishes three edits; the
//!   `broken_*` test runs it with the writer, when a reader holds the
//!   returned tree, working on from a copy of that (stale) tree instead of
//!   the published one, and expects the model to fail;
//! - the real `MemoryFileSystem` on both strategies, with a reader listing
//!   the root while another thread creates and removes files.

use std::sync::Arc;

use dmemfs::{Concurrency, MemoryFileSystem};
use dmemfs_core_tree::{Journal, NormPath, Tree};
use dmemfs_storage_backends::sync::Published;
use loom::thread;

use crate::common::check;

/// How the writer goes on when a reader holds the tree a swap handed back.
#[derive(Clone, Copy)]
enum Fallback {
    /// The shipped way: from the published tree.
    Published,
    /// A defect: from a copy of the tree the reader holds.
    StaleTwin,
}

/// The writer's side of the protocol, written out (see the module docs).
struct Writer {
    working: Arc<Tree<u32>>,
    journal: Journal<u32>,
    fallback: Fallback,
}

impl Writer {
    fn edit(&mut self, edit: impl FnOnce(&mut dmemfs_core_tree::Journaled<'_, u32>)) {
        edit(&mut Arc::make_mut(&mut self.working).journaled(&mut self.journal));
    }

    fn publish(&mut self, cell: &Published<Tree<u32>>) {
        let mut previous = cell.swap(Arc::clone(&self.working));
        if let Some(twin) = Arc::get_mut(&mut previous) {
            assert!(twin.replay(&mut self.journal), "the twin replays");
            self.working = previous;
            return;
        }
        self.journal.clear();
        if let Fallback::StaleTwin = self.fallback {
            self.working = Arc::new(Tree::clone(&previous));
        }
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
const STATES: [&[&str]; 4] = [&[], &["/a"], &["/a", "/b"], &["/b"]];

fn position(seen: &[String]) -> usize {
    STATES
        .iter()
        .position(|state| state.iter().copied().eq(seen.iter().map(String::as_str)))
        .unwrap_or_else(|| panic!("a state never published: {seen:?}"))
}

fn twin_model(fallback: Fallback) {
    check(move || {
        let cell = Arc::new(Published::from_pointee(Tree::<u32>::new()));
        let reader = {
            let cell = Arc::clone(&cell);
            thread::spawn(move || {
                let mut last = 0;
                for _ in 0..2 {
                    let snapshot = cell.load();
                    let before = files(&snapshot);
                    // Hold the snapshot while the writer may publish.
                    thread::yield_now();
                    assert_eq!(files(&snapshot), before, "a held snapshot changed");
                    let now = position(&before);
                    assert!(now >= last, "states seen out of order");
                    last = now;
                }
            })
        };
        let mut writer = Writer {
            working: cell.load_full(),
            journal: Journal::new(),
            fallback,
        };
        let path = |p: &str| NormPath::parse(p).expect("valid");
        writer.edit(|tree| tree.insert_file(&path("/a"), 1).expect("fresh"));
        writer.publish(&cell);
        writer.edit(|tree| tree.insert_file(&path("/b"), 2).expect("fresh"));
        writer.publish(&cell);
        writer.edit(|tree| {
            tree.remove_file(&path("/a")).expect("present");
        });
        writer.publish(&cell);
        reader.join().expect("reader");
        assert_eq!(files(&cell.load()), ["/b"], "a publication was lost");
        assert_eq!(
            files(&writer.working),
            ["/b"],
            "the working tree fell behind"
        );
    });
}

#[test]
fn twin_trees_lose_no_publication_and_change_no_held_snapshot() {
    twin_model(Fallback::Published);
}

#[test]
#[should_panic]
fn broken_writer_that_goes_on_from_a_stale_twin_is_caught() {
    twin_model(Fallback::StaleTwin);
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
