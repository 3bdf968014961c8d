//! The workloads of the tree's own benchmarks: path resolution at several
//! depths and in a wide directory, and a file inserted and removed in a wide
//! directory the way the engine's writer does it (each edit on a tree whose
//! previous state is still published as a snapshot, so every edit pays
//! copy-on-write and the drop of the replaced snapshot).
//!
//! Shared through `#[path]` by `benches/tree.rs` (criterion, wall time) and
//! `examples/tree_profile.rs` (instruction and allocation counts), so both
//! measure the same code. Payloads are `Arc`s, as the engine's are.

#![allow(dead_code)] // each includer uses part of it

use std::sync::Arc;

use dashmap::DashMap;
use dmemfs_core_tree::{DirId, Entry, Journal, Name, NodeRef, NormPath, Tree};
use rustc_hash::FxBuildHasher;

/// A payload like the engine's: cloning it is a reference count.
pub type Payload = Arc<u64>;

/// How many entries the wide directory holds.
pub const WIDE: usize = 10_000;

/// A tree holding a chain of `depth - 1` directories with a file at the
/// bottom, and the file's path (`depth` components).
pub fn chain(depth: usize) -> (Tree<Payload>, String) {
    let mut dir = String::new();
    for level in 0..depth.saturating_sub(1) {
        dir.push_str(&format!("/d{level}"));
    }
    let mut tree = Tree::new();
    if !dir.is_empty() {
        tree.create_dir_all(&parsed(&dir)).expect("a fresh chain");
    }
    let file = format!("{dir}/file.bin");
    tree.insert_file(&parsed(&file), Arc::new(1))
        .expect("a fresh file");
    (tree, file)
}

/// A tree whose directory `/wide` holds [`WIDE`] files, and their paths in
/// a fixed scattered order (a stride coprime with [`WIDE`]), so successive
/// lookups do not walk the directory in order.
pub fn wide() -> (Tree<Payload>, Vec<String>) {
    let mut tree = Tree::new();
    tree.create_dir(&parsed("/wide"))
        .expect("a fresh directory");
    let names: Vec<String> = (0..WIDE).map(|i| format!("/wide/f{i:06}.bin")).collect();
    for (i, name) in names.iter().enumerate() {
        tree.insert_file(&parsed(name), Arc::new(i as u64))
            .expect("a fresh file");
    }
    let scattered = (0..WIDE)
        .map(|i| names[(i * 7_919) % WIDE].clone())
        .collect();
    (tree, scattered)
}

/// `path`, which the workloads know is valid.
pub fn parsed(path: &str) -> NormPath {
    NormPath::parse(path).expect("a valid path")
}

/// Resolves a parsed path to its file, as a reader holding a snapshot does.
pub fn lookup_file(tree: &Tree<Payload>, path: &NormPath) -> Payload {
    match tree.lookup(path) {
        Ok(NodeRef::File(file)) => Arc::clone(file),
        other => panic!("{path} is not a file: {other:?}"),
    }
}

/// Parses a user's path string and resolves it to its file: what opening a
/// file costs the tree.
pub fn parse_and_lookup_file(tree: &Tree<Payload>, path: &str) -> Payload {
    lookup_file(tree, &parsed(path))
}

/// Resolves a user's path string to its file without parsing it into a
/// [`NormPath`] first ([`Tree::lookup_str`]).
pub fn lookup_str_file(tree: &Tree<Payload>, path: &str) -> Payload {
    match tree.lookup_str(path) {
        Ok(NodeRef::File(file)) => Arc::clone(file),
        other => panic!("{path} is not a file: {other:?}"),
    }
}

/// The engine's writer inserting `path` and then removing it, publishing a
/// snapshot after each edit: `published` is the snapshot readers hold.
pub fn insert_remove_published(
    tree: &mut Tree<Payload>,
    published: &mut Arc<Tree<Payload>>,
    path: &NormPath,
    payload: &Payload,
) {
    create_published(tree, published, path, payload);
    tree.remove_file(path).expect("the file just inserted");
    *published = Arc::new(tree.clone());
}

/// The paths of [`WIDE`] files to create in `/wide`, in creation order.
pub fn wide_paths() -> Vec<NormPath> {
    (0..WIDE)
        .map(|i| parsed(&format!("/wide/f{i:06}.bin")))
        .collect()
}

/// The engine's writer creating `path` and publishing a snapshot, whose
/// predecessor it drops: what each create of a file costs the tree.
pub fn create_published(
    tree: &mut Tree<Payload>,
    published: &mut Arc<Tree<Payload>>,
    path: &NormPath,
    payload: &Payload,
) {
    tree.insert_file(path, Arc::clone(payload))
        .expect("a free name");
    *published = Arc::new(tree.clone());
}

/// The engine's writer with twin trees: a working tree no reader holds,
/// the published one, and the journal of the working tree's steps since
/// the two were equal.
pub struct Twins {
    working: Arc<Tree<Payload>>,
    published: Arc<Tree<Payload>>,
    journal: Journal<Payload>,
}

impl Twins {
    /// Twins of `tree`, sharing its nodes until each edits them.
    pub fn of(tree: Tree<Payload>) -> Self {
        let published = Arc::new(tree);
        Twins {
            working: Arc::new(Tree::clone(&published)),
            published,
            journal: Journal::new(),
        }
    }
}

/// The engine's writer creating `path` with twin trees: in place in the
/// working tree, journaled; then published by swapping the two, and the
/// journal replayed on the tree handed back, in place, as no reader holds
/// it.
pub fn create_twin(twins: &mut Twins, path: &NormPath, payload: &Payload) {
    Arc::make_mut(&mut twins.working)
        .journaled(&mut twins.journal)
        .insert_file(path, Arc::clone(payload))
        .expect("a free name");
    std::mem::swap(&mut twins.working, &mut twins.published);
    let replayed = Arc::make_mut(&mut twins.working).replay(&twins.journal);
    assert!(replayed, "twins replay each other's journal");
    twins.journal.clear();
}

/// The alternative to per-directory maps that issue 13 asks to measure: a
/// concurrent map from (directory, name) to entry beside the snapshot, like
/// Linux's dentry cache, filled here from a tree. Resolving walks the
/// components as the tree does, one `DashMap` lookup each (a read lock of
/// a shard, an owned key). It is a lower bound of that design's cost: a
/// real cache would also have to prove that each entry belongs to the
/// snapshot the reader loaded, which this one does not do.
pub struct DentryCache {
    entries: DashMap<(DirId, Name), Entry<Payload>, FxBuildHasher>,
    root: DirId,
}

impl DentryCache {
    /// Every entry of `tree`, keyed by its directory and name.
    pub fn of(tree: &Tree<Payload>) -> Self {
        let entries = DashMap::with_hasher(FxBuildHasher);
        let mut pending = vec![tree.root_id()];
        while let Some(id) = pending.pop() {
            let node = tree.dir(id).expect("an id from the tree");
            for (name, entry) in node.entries() {
                if let Entry::Dir(child) = entry {
                    pending.push(*child);
                }
                entries.insert((id, Name::from(name)), entry.clone());
            }
        }
        DentryCache {
            entries,
            root: tree.root_id(),
        }
    }

    /// The file at the normalized `path`.
    pub fn lookup_file(&self, path: &str) -> Payload {
        let mut dir = self.root;
        let mut found = None;
        for name in path[1..].split('/') {
            let entry = self.entries.get(&(dir, Name::from(name)));
            match entry.as_deref() {
                Some(Entry::Dir(child)) => dir = *child,
                Some(Entry::File(file)) => found = Some(Arc::clone(file)),
                None => panic!("{path} is missing"),
            }
        }
        found.expect("a file at the end")
    }
}
