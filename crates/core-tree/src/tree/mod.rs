//! The persistent directory tree.
//!
//! Invariants:
//! - every directory lives in `dirs` under its [`DirId`]; a directory
//!   refers to its subdirectories by id, never by pointer, so depth costs
//!   nothing: cloning a tree is O(1), a mutation touches O(log n) of `dirs`
//!   and of one or two directories' entries, and dropping never recurses;
//! - every id in `dirs` except the root's is named by exactly one
//!   [`Entry::Dir`] in exactly one other directory, and `dirs` holds nothing
//!   unreachable from the root;
//! - `file_count` and `dir_count` equal the number of files and of non-root
//!   directories;
//! - an id names one directory within one snapshot; once a directory is
//!   removed its id may name a new directory in later snapshots (ids are
//!   reused so that `dirs` stays dense), so an id is only meaningful
//!   together with the snapshot it came from;
//! - a mutation either returns `Err` having changed nothing, or completes.
//!
//! Who may call: `&self` methods, anyone holding a tree or a snapshot of
//! one (readers share snapshots across threads without locks); `&mut self`
//! methods, the tree's single owner (in dmemfs, the engine's writer).
//!
//! This file holds the tree and its lookups; the rest is split by idea:
//! `node` (the types a tree is made of), `children` and `name_map` (a
//! directory's entries), `dir_table` (directories by id), `journal` (the
//! four steps every edit is made of, recorded to roll back or replay),
//! `edit` (mutations), `subtree`
//! (copy plans and whole-subtree listings), and `tests`.

mod children;
mod dir_table;
mod edit;
mod journal;
mod name_map;
mod node;
mod subtree;
#[cfg(test)]
mod tests;

use std::time::SystemTime;

use crate::error::TreeError;
use crate::path::{is_normal, NormPath};

use children::Seed;
use dir_table::DirTable;

pub use edit::{Journaled, Removed};
pub use journal::{Journal, JournalMark, RETAINED_STEPS};
pub use node::{DirId, DirNode, Entry, Name, NodeRef};
pub use subtree::{Subtree, SubtreeDir, SubtreeFile};

/// A persistent directory tree with file payloads of type `F`.
///
/// Cloning is O(1) and yields an independent snapshot: mutating one copy
/// never shows through another.
#[derive(Clone, Debug)]
pub struct Tree<F> {
    dirs: DirTable<DirNode<F>>,
    root: DirId,
    file_count: u64,
    dir_count: u64,
    /// How large directories hash their names; a copy of the tree keeps it.
    seed: Seed,
}

/// How far a path resolves.
enum Probe<'a, F> {
    /// The whole path exists.
    Found(NodeRef<'a, F>),
    /// `path[..existing_len]` (empty for the root) is the deepest existing
    /// directory, `deepest`; the next component is missing.
    Missing { deepest: DirId, existing_len: usize },
    /// `path[..file_len]` is a file but more components follow.
    ThroughFile { file_len: usize },
}

impl<F: Clone> Default for Tree<F> {
    fn default() -> Self {
        Self::new()
    }
}

impl<F: Clone> Tree<F> {
    /// A tree holding only the root directory.
    pub fn new() -> Self {
        let mut dirs = DirTable::new();
        let root = DirId(dirs.insert(DirNode::empty(SystemTime::now())));
        Tree {
            dirs,
            root,
            file_count: 0,
            dir_count: 0,
            seed: Seed::default(),
        }
    }

    /// How many files the tree holds.
    pub fn file_count(&self) -> u64 {
        self.file_count
    }

    /// How many directories the tree holds, not counting the root.
    pub fn dir_count(&self) -> u64 {
        self.dir_count
    }

    /// The root directory's id.
    pub fn root_id(&self) -> DirId {
        self.root
    }

    /// The directory with this id, if it is in this tree.
    pub fn dir(&self, id: DirId) -> Option<&DirNode<F>> {
        self.dirs.get(id.0)
    }

    /// What `path` names.
    ///
    /// # Errors
    ///
    /// [`TreeError::NotFound`] (naming `path`) if a component is missing;
    /// [`TreeError::NotADirectory`] (naming the file) if the walk passes
    /// through a file.
    pub fn lookup(&self, path: &NormPath) -> Result<NodeRef<'_, F>, TreeError> {
        self.lookup_normal(path.as_str())
    }

    /// What the user's path `input` names: `input` is normalized as
    /// [`NormPath::parse`] does, but without allocating when it is normal
    /// already (as most paths are), so resolving a path as a user wrote it
    /// costs about what resolving a [`NormPath`] does.
    ///
    /// # Errors
    ///
    /// [`TreeError::InvalidPath`] if `input` does not parse; otherwise as
    /// [`lookup`](Self::lookup), naming the normalized path.
    pub fn lookup_str(&self, input: &str) -> Result<NodeRef<'_, F>, TreeError> {
        if let Some(node) = self.get_as_written(input) {
            return Ok(node);
        }
        if is_normal(input) {
            return self.lookup_normal(input);
        }
        let path = NormPath::parse(input)?;
        self.lookup_normal(path.as_str())
    }

    /// What the user's path `input` names if it resolves as written, before
    /// any check that it is normal: a resolved path is always right, so only
    /// a miss needs the check (and normalizing). Resolution matches each
    /// component against the names stored in a directory, and stored names
    /// are valid components, so a component that is empty, `.`, `..` or
    /// holds `\\` or NUL matches nothing; the one thing left that a normal
    /// path would not hold, a trailing `/` after a directory, names that
    /// directory in either reading.
    ///
    /// Hence, for a caller that would otherwise parse first:
    /// - a file found this way was named by `input` exactly as a
    ///   [`NormPath`] would spell it (it starts with `/`, its components are
    ///   stored names joined by single `/`, and it ends at the file's name):
    ///   `input` is normal, and [`NormPath::parse`] would return it unchanged;
    /// - `None` for an `input` that is normal means [`get`](Self::get) of
    ///   its parse is `None` in this tree too; for one that is not, it means
    ///   nothing (its normal form may name something).
    #[inline]
    pub fn get_as_written(&self, input: &str) -> Option<NodeRef<'_, F>> {
        if !input.starts_with('/') {
            return None;
        }
        match self.probe(input) {
            Probe::Found(node) => Some(node),
            Probe::Missing { .. } | Probe::ThroughFile { .. } => None,
        }
    }

    /// What the user's path `input` names, if anything: [`get`](Self::get)
    /// without the allocation of a [`NormPath`] (see
    /// [`lookup_str`](Self::lookup_str)); `None` also when `input` does not
    /// parse.
    pub fn get_str(&self, input: &str) -> Option<NodeRef<'_, F>> {
        if let Some(node) = self.get_as_written(input) {
            return Some(node);
        }
        // Missing as written: missing when normal, else it may be found
        // once normalized.
        if is_normal(input) {
            return None;
        }
        let probe = self.probe(NormPath::parse(input).ok()?.as_str());
        match probe {
            Probe::Found(node) => Some(node),
            Probe::Missing { .. } | Probe::ThroughFile { .. } => None,
        }
    }

    /// What `path` names, if anything.
    pub fn get(&self, path: &NormPath) -> Option<NodeRef<'_, F>> {
        // Straight from the probe: a miss builds no error (and no String).
        match self.probe(path.as_str()) {
            Probe::Found(node) => Some(node),
            Probe::Missing { .. } | Probe::ThroughFile { .. } => None,
        }
    }

    /// The names in the directory `path`, sorted bytewise.
    ///
    /// # Errors
    ///
    /// As [`lookup`](Self::lookup), and [`TreeError::NotADirectory`] if
    /// `path` is a file.
    pub fn list_dir(&self, path: &NormPath) -> Result<Vec<String>, TreeError> {
        let id = self.dir_id_at(path.as_str())?;
        Ok(self
            .node(id)
            .children
            .iter()
            .map(|(name, _)| name.as_str().to_owned())
            .collect())
    }

    /// The directory holding the file at `path`, and the file's name.
    /// Looks without modifying, so a failed call copies no shared node.
    fn file_entry<'p>(&self, path: &'p NormPath) -> Result<(DirId, &'p str), TreeError> {
        let Some((parent_path, name)) = path.split_last() else {
            return Err(TreeError::is_a_directory(path.as_str()));
        };
        let parent = self.dir_id_at_or_missing(parent_path, path.as_str())?;
        match self.node(parent).children.get(name) {
            None => Err(TreeError::not_found(path.as_str())),
            Some(Entry::Dir(_)) => Err(TreeError::is_a_directory(path.as_str())),
            Some(Entry::File(_)) => Ok((parent, name)),
        }
    }

    /// The directory `id`, which must come from this tree (a directory
    /// entry, a lookup or `root_id`): the invariant guarantees it is
    /// present, so a miss is a bug of this crate and panics.
    pub(crate) fn node(&self, id: DirId) -> &DirNode<F> {
        match self.dirs.get(id.0) {
            Some(node) => node,
            None => missing_dir(id),
        }
    }

    /// [`node`](Self::node), unshared for an edit.
    fn node_mut(&mut self, id: DirId) -> &mut DirNode<F> {
        match self.dirs.get_mut(id.0) {
            Some(node) => node,
            None => missing_dir(id),
        }
    }

    /// Resolves `path`: a string satisfying the [`NormPath`] invariant, or
    /// a user's string as written (`get_as_written` says why that finds
    /// either nothing or what the normalized path names).
    fn probe(&self, path: &str) -> Probe<'_, F> {
        let bytes = path.as_bytes();
        let mut id = self.root;
        // One reader for the whole path: it keeps the directory table's
        // leaf of the last directory, where the next one mostly is.
        let Some(mut dirs) = self.dirs.reader(id.0) else {
            missing_dir(id)
        };
        let Some(mut node) = dirs.get_after(id.0, id.0) else {
            missing_dir(id)
        };
        // What follows the `/` after `node`, the deepest directory found so
        // far; empty for the root.
        let mut rest = match bytes.get(1..) {
            Some(rest) if !rest.is_empty() => rest,
            _ => return Probe::Found(NodeRef::Dir { id, node }),
        };
        loop {
            match node.children.get_component(rest) {
                None => {
                    return Probe::Missing {
                        deepest: id,
                        existing_len: bytes.len() - rest.len() - 1,
                    }
                }
                Some((len, Entry::File(file))) => {
                    return if len == rest.len() {
                        Probe::Found(NodeRef::File(file))
                    } else {
                        Probe::ThroughFile {
                            file_len: bytes.len() - rest.len() + len,
                        }
                    };
                }
                Some((len, Entry::Dir(child))) => {
                    node = match dirs.get_after(id.0, child.0) {
                        Some(node) => node,
                        None => missing_dir(*child),
                    };
                    id = *child;
                    // The path goes on past the `/` after this component,
                    // or ends here (a normal path never ends with `/`, but
                    // a user's string resolved as written may).
                    rest = match rest.get(len + 1..) {
                        Some(next) if !next.is_empty() => next,
                        _ => return Probe::Found(NodeRef::Dir { id, node }),
                    };
                }
            }
        }
    }

    /// [`lookup`](Self::lookup) of a string satisfying the [`NormPath`]
    /// invariant.
    pub(crate) fn lookup_normal(&self, path: &str) -> Result<NodeRef<'_, F>, TreeError> {
        match self.probe(path) {
            Probe::Found(node) => Ok(node),
            Probe::Missing { .. } => Err(TreeError::not_found(path)),
            Probe::ThroughFile { file_len } => Err(TreeError::not_a_directory(&path[..file_len])),
        }
    }

    pub(crate) fn dir_id_at(&self, path: &str) -> Result<DirId, TreeError> {
        match self.lookup_normal(path)? {
            NodeRef::Dir { id, .. } => Ok(id),
            NodeRef::File(_) => Err(TreeError::not_a_directory(path)),
        }
    }

    /// The directory `parent_path`, where a missing one means `path` is
    /// missing (so `NotFound` names `path`, as for a plain lookup).
    fn dir_id_at_or_missing(&self, parent_path: &str, path: &str) -> Result<DirId, TreeError> {
        self.dir_id_at(parent_path).map_err(|err| match err {
            TreeError::NotFound { .. } => TreeError::not_found(path),
            other => other,
        })
    }

    /// The parent directory of a path that is about to be created, and the
    /// new entry's name.
    fn parent_and_name<'p>(&self, path: &'p NormPath) -> Result<(DirId, &'p str), TreeError> {
        let Some((parent_path, name)) = path.split_last() else {
            return Err(TreeError::root_not_allowed());
        };
        Ok((self.dir_id_at(parent_path)?, name))
    }
}

/// A directory id that is not in its tree: a broken invariant.
#[cold]
fn missing_dir(id: DirId) -> ! {
    panic!("directory {id:?} is not in the tree (a broken invariant of the tree module)")
}
