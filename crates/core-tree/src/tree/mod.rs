//! The persistent directory tree.
//!
//! Invariants:
//! - every directory lives in `dirs` under its [`DirId`]; a directory
//!   refers to its subdirectories by id, never by pointer, so depth costs
//!   nothing: cloning a tree is O(1), a mutation touches O(log n) of `dirs`
//!   and of one or two children maps, and dropping never recurses;
//! - every id in `dirs` except the root's is named by exactly one
//!   [`Entry::Dir`] in exactly one other directory, and `dirs` holds nothing
//!   unreachable from the root;
//! - `file_count` and `dir_count` equal the number of files and of non-root
//!   directories;
//! - ids only grow, so an id never names two different directories over a
//!   tree's history of snapshots;
//! - a mutation either returns `Err` having changed nothing, or completes.

use std::mem;
use std::time::SystemTime;

use imbl::shared_ptr::DefaultSharedPtr;
use imbl::{GenericHashMap, OrdMap};
use rustc_hash::FxBuildHasher;

use crate::error::TreeError;
use crate::path::{components_of, is_valid_component, NormPath};

/// Identifies a directory within one [`Tree`] and all its snapshots.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DirId(u64);

/// A directory entry name; ordered bytewise.
pub type Name = compact_str::CompactString;

/// What a directory holds under a name.
#[derive(Clone, Debug)]
pub enum Entry<F> {
    /// A subdirectory, stored in the tree under this id.
    Dir(DirId),
    /// A file and its payload.
    File(F),
}

/// One directory: its entries and timestamps.
#[derive(Clone, Debug)]
pub struct DirNode<F> {
    pub(crate) children: OrdMap<Name, Entry<F>>,
    created_at: SystemTime,
    modified_at: SystemTime,
}

/// What a path resolves to, borrowed from a tree.
#[derive(Debug)]
pub enum NodeRef<'a, F> {
    /// A directory.
    Dir {
        /// The directory's id.
        id: DirId,
        /// The directory itself.
        node: &'a DirNode<F>,
    },
    /// A file's payload.
    File(&'a F),
}

// Manual impls: a reference is copyable whatever `F` is.
impl<F> Clone for NodeRef<'_, F> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<F> Copy for NodeRef<'_, F> {}

/// Everything [`Tree::remove_dir_all`] took out of the tree.
#[derive(Clone, Debug)]
pub struct Removed<F> {
    /// The payloads of the removed files, in no particular order.
    pub files: Vec<F>,
    /// How many directories were removed, the named one included.
    pub dirs: u64,
}

/// A copy plan of a directory's structure, made by [`Tree::subtree`] and
/// consumed by [`Tree::graft`].
///
/// Entries point to their parent by index into `dirs`, so the plan is O(n)
/// in memory even for a very deep tree; `dirs[0]` is the copied directory
/// itself and a parent always comes before its children.
#[derive(Clone, Debug)]
pub struct Subtree<F> {
    /// The directories; `dirs[0]` is the subtree's root.
    pub dirs: Vec<SubtreeDir>,
    /// The files.
    pub files: Vec<SubtreeFile<F>>,
}

/// A directory of a [`Subtree`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SubtreeDir {
    /// Index of the parent in [`Subtree::dirs`]; unused (0) for `dirs[0]`.
    pub parent: usize,
    /// The directory's name; unused (empty) for `dirs[0]`.
    pub name: Name,
}

/// A file of a [`Subtree`].
#[derive(Clone, Debug)]
pub struct SubtreeFile<F> {
    /// Index of the containing directory in [`Subtree::dirs`].
    pub parent: usize,
    /// The file's name.
    pub name: Name,
    /// The file's payload.
    pub file: F,
}

impl<F> Subtree<F> {
    /// The same plan with every payload transformed by `f`.
    pub fn map_files<G>(self, mut f: impl FnMut(F) -> G) -> Subtree<G> {
        Subtree {
            dirs: self.dirs,
            files: self
                .files
                .into_iter()
                .map(|entry| SubtreeFile {
                    parent: entry.parent,
                    name: entry.name,
                    file: f(entry.file),
                })
                .collect(),
        }
    }

    /// The same plan with every payload transformed by `f`, stopping at the
    /// first error.
    ///
    /// # Errors
    ///
    /// The first error `f` returns.
    pub fn try_map_files<G, E>(
        self,
        mut f: impl FnMut(F) -> Result<G, E>,
    ) -> Result<Subtree<G>, E> {
        let files = self
            .files
            .into_iter()
            .map(|entry| {
                Ok(SubtreeFile {
                    parent: entry.parent,
                    name: entry.name,
                    file: f(entry.file)?,
                })
            })
            .collect::<Result<Vec<_>, E>>()?;
        Ok(Subtree {
            dirs: self.dirs,
            files,
        })
    }

    /// How many nodes the plan holds: directories (its root included) plus
    /// files.
    pub fn node_count(&self) -> u64 {
        (self.dirs.len() + self.files.len()) as u64
    }

    /// The path of `dirs[dir_index]` relative to the subtree's root, e.g.
    /// `a/b`; empty for the root. O(depth).
    ///
    /// # Panics
    ///
    /// If `dir_index` is out of range.
    pub fn relative_path(&self, dir_index: usize) -> String {
        relative_path_in(&self.dirs, dir_index, None)
    }

    /// The path of `files[file_index]` relative to the subtree's root, e.g.
    /// `a/b.txt`. O(depth).
    ///
    /// # Panics
    ///
    /// If `file_index` is out of range.
    pub fn file_relative_path(&self, file_index: usize) -> String {
        let file = &self.files[file_index];
        relative_path_in(&self.dirs, file.parent, Some(&file.name))
    }

    /// Checks what [`Tree::graft`] relies on, before it touches the tree.
    fn assert_well_formed(&self) {
        let dir_count = self.dirs.len().max(1);
        for (index, dir) in self.dirs.iter().enumerate().skip(1) {
            assert!(
                dir.parent < index,
                "subtree dir {index} has parent {} (must come before it)",
                dir.parent
            );
            assert!(
                is_valid_component(&dir.name),
                "subtree dir {index} has invalid name {:?}",
                dir.name
            );
        }
        for (index, file) in self.files.iter().enumerate() {
            assert!(
                file.parent < dir_count,
                "subtree file {index} has parent {} out of range",
                file.parent
            );
            assert!(
                is_valid_component(&file.name),
                "subtree file {index} has invalid name {:?}",
                file.name
            );
        }
    }
}

/// The path of `dirs[dir_index]` (then `/last`, if given) relative to
/// `dirs[0]`.
fn relative_path_in(dirs: &[SubtreeDir], mut dir_index: usize, last: Option<&str>) -> String {
    let mut names: Vec<&str> = last.into_iter().collect();
    while dir_index != 0 {
        let dir = &dirs[dir_index];
        names.push(&dir.name);
        // A well-formed plan has parents first; stop rather than loop
        // forever on one that is not.
        if dir.parent >= dir_index {
            break;
        }
        dir_index = dir.parent;
    }
    names.reverse();
    names.join("/")
}

type DirMap<F> = GenericHashMap<DirId, DirNode<F>, FxBuildHasher, DefaultSharedPtr>;

/// A persistent directory tree with file payloads of type `F`.
///
/// Cloning is O(1) and yields an independent snapshot: mutating one copy
/// never shows through another.
#[derive(Clone, Debug)]
pub struct Tree<F> {
    dirs: DirMap<F>,
    root: DirId,
    next_id: u64,
    file_count: u64,
    dir_count: u64,
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

impl<F> DirNode<F> {
    fn empty(now: SystemTime) -> Self {
        DirNode {
            children: OrdMap::new(),
            created_at: now,
            modified_at: now,
        }
    }

    /// When the directory was created.
    pub fn created_at(&self) -> SystemTime {
        self.created_at
    }

    /// When the directory was last modified (directories are never
    /// modified after creation, so this equals [`created_at`](Self::created_at)).
    pub fn modified_at(&self) -> SystemTime {
        self.modified_at
    }

    /// How many entries the directory holds.
    pub fn len(&self) -> usize {
        self.children.len()
    }

    /// Whether the directory holds no entries.
    pub fn is_empty(&self) -> bool {
        self.children.is_empty()
    }

    /// The entry named `name`, if any.
    pub fn get(&self, name: &str) -> Option<&Entry<F>> {
        self.children.get(name)
    }

    /// The entries, sorted bytewise by name.
    pub fn entries(&self) -> impl Iterator<Item = (&str, &Entry<F>)> {
        self.children
            .iter()
            .map(|(name, entry)| (name.as_str(), entry))
    }
}

impl<F: Clone> Default for Tree<F> {
    fn default() -> Self {
        Self::new()
    }
}

impl<F: Clone> Tree<F> {
    /// A tree holding only the root directory.
    pub fn new() -> Self {
        let root = DirId(0);
        let mut dirs = DirMap::default();
        dirs.insert(root, DirNode::empty(SystemTime::now()));
        Tree {
            dirs,
            root,
            next_id: 1,
            file_count: 0,
            dir_count: 0,
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
        self.dirs.get(&id)
    }

    /// What `path` names.
    ///
    /// # Errors
    ///
    /// [`TreeError::NotFound`] (naming `path`) if a component is missing;
    /// [`TreeError::NotADirectory`] (naming the file) if the walk passes
    /// through a file.
    pub fn lookup(&self, path: &NormPath) -> Result<NodeRef<'_, F>, TreeError> {
        self.lookup_str(path.as_str())
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
            .keys()
            .map(|name| name.as_str().to_owned())
            .collect())
    }

    /// Adds a file at `path`.
    ///
    /// # Errors
    ///
    /// [`TreeError::RootNotAllowed`] for the root; [`TreeError::NotFound`]
    /// (naming the parent) or [`TreeError::NotADirectory`] if the parent is
    /// not a directory; [`TreeError::AlreadyExists`] if `path` is taken.
    pub fn insert_file(&mut self, path: &NormPath, file: F) -> Result<(), TreeError> {
        let (parent, name) = self.parent_and_name(path)?;
        if self.node(parent).children.contains_key(name) {
            return Err(TreeError::already_exists(path.as_str()));
        }
        self.node_mut(parent)
            .children
            .insert(Name::from(name), Entry::File(file));
        self.file_count += 1;
        Ok(())
    }

    /// Replaces the payload of the file at `path`, returning the old one.
    ///
    /// # Errors
    ///
    /// [`TreeError::NotFound`] if nothing is there (or a parent is missing);
    /// [`TreeError::IsADirectory`] if `path` is a directory;
    /// [`TreeError::NotADirectory`] if the walk passes through a file.
    pub fn replace_file(&mut self, path: &NormPath, file: F) -> Result<F, TreeError> {
        let (parent, name) = self.file_entry(path)?;
        // `file_entry` found the file, so this always does.
        match self.node_mut(parent).children.get_mut(name) {
            Some(Entry::File(slot)) => Ok(mem::replace(slot, file)),
            _ => Err(TreeError::not_found(path.as_str())),
        }
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

    /// Creates the directory `path`.
    ///
    /// # Errors
    ///
    /// [`TreeError::AlreadyExists`] if anything is at `path` (the root
    /// always is); [`TreeError::NotFound`] (naming the parent) or
    /// [`TreeError::NotADirectory`] if the parent is not a directory.
    pub fn create_dir(&mut self, path: &NormPath) -> Result<(), TreeError> {
        if path.is_root() {
            return Err(TreeError::already_exists(path.as_str()));
        }
        let (parent, name) = self.parent_and_name(path)?;
        if self.node(parent).children.contains_key(name) {
            return Err(TreeError::already_exists(path.as_str()));
        }
        self.create_chain(parent, &[name]);
        Ok(())
    }

    /// Creates `path` and every missing directory above it; returns how many
    /// directories it created (0 when `path` already was a directory).
    ///
    /// # Errors
    ///
    /// [`TreeError::NotADirectory`] naming the first component that is a
    /// file (`path` itself included); nothing is created then.
    pub fn create_dir_all(&mut self, path: &NormPath) -> Result<u64, TreeError> {
        match self.probe(path.as_str()) {
            Probe::Found(NodeRef::Dir { .. }) => Ok(0),
            Probe::Found(NodeRef::File(_)) => Err(TreeError::not_a_directory(path.as_str())),
            Probe::ThroughFile { file_len } => {
                Err(TreeError::not_a_directory(&path.as_str()[..file_len]))
            }
            Probe::Missing {
                deepest,
                existing_len,
            } => {
                let missing: Vec<&str> = path.as_str()[existing_len + 1..].split('/').collect();
                self.create_chain(deepest, &missing);
                Ok(missing.len() as u64)
            }
        }
    }

    /// Removes the file at `path`, returning its payload.
    ///
    /// # Errors
    ///
    /// [`TreeError::NotFound`]; [`TreeError::IsADirectory`] for a directory;
    /// [`TreeError::NotADirectory`] if the walk passes through a file.
    pub fn remove_file(&mut self, path: &NormPath) -> Result<F, TreeError> {
        let (parent, name) = self.file_entry(path)?;
        match self.node_mut(parent).children.remove(name) {
            Some(Entry::File(file)) => {
                self.file_count -= 1;
                Ok(file)
            }
            // Checked above; unreachable.
            _ => Err(TreeError::not_found(path.as_str())),
        }
    }

    /// Removes the directory `path` and everything below it.
    ///
    /// # Errors
    ///
    /// [`TreeError::RootNotAllowed`] for the root; [`TreeError::NotFound`];
    /// [`TreeError::NotADirectory`] if `path` (or a prefix) is a file.
    pub fn remove_dir_all(&mut self, path: &NormPath) -> Result<Removed<F>, TreeError> {
        let Some((parent_path, name)) = path.split_last() else {
            return Err(TreeError::root_not_allowed());
        };
        let top = self.dir_id_at(path.as_str())?;
        let parent = self.dir_id_at(parent_path)?;
        self.node_mut(parent).children.remove(name);

        let mut removed = Removed {
            files: Vec::new(),
            dirs: 0,
        };
        let mut pending = vec![top];
        while let Some(id) = pending.pop() {
            let Some(node) = self.dirs.remove(&id) else {
                continue;
            };
            removed.dirs += 1;
            for entry in node.children.values() {
                match entry {
                    Entry::Dir(child) => pending.push(*child),
                    Entry::File(file) => removed.files.push(file.clone()),
                }
            }
        }
        self.dir_count -= removed.dirs;
        self.file_count -= removed.files.len() as u64;
        Ok(removed)
    }

    /// Moves the file or directory `src` to `dst`; a directory keeps its id,
    /// so this is O(log n) whatever the subtree's size. With
    /// `create_parents`, missing directories above `dst` are created first.
    /// Returns how many directories were created.
    ///
    /// # Errors
    ///
    /// Checked in this order: [`TreeError::RootNotAllowed`] if `src` is the
    /// root; [`TreeError::NotFound`] (or [`TreeError::NotADirectory`]) if
    /// `src` does not resolve; [`TreeError::AlreadyExists`] if `dst == src`;
    /// [`TreeError::IntoOwnSubtree`] if `dst` is below `src`;
    /// [`TreeError::AlreadyExists`] if `dst` exists;
    /// [`TreeError::NotADirectory`] if a file is in the way of `dst`;
    /// [`TreeError::NotFound`] (naming the parent) if `dst`'s parent is
    /// missing and `create_parents` is false.
    pub fn rename(
        &mut self,
        src: &NormPath,
        dst: &NormPath,
        create_parents: bool,
    ) -> Result<u64, TreeError> {
        let Some((src_parent_path, src_name)) = src.split_last() else {
            return Err(TreeError::root_not_allowed());
        };
        let moved = match self.lookup_str(src.as_str())? {
            NodeRef::Dir { id, .. } => Entry::Dir(id),
            NodeRef::File(file) => Entry::File(file.clone()),
        };
        if dst == src {
            return Err(TreeError::already_exists(dst.as_str()));
        }
        if src.is_ancestor_of(dst) {
            return Err(TreeError::IntoOwnSubtree {
                src: src.as_str().to_owned(),
                dst: dst.as_str().to_owned(),
            });
        }
        let Some((dst_parent_path, dst_name)) = dst.split_last() else {
            return Err(TreeError::already_exists(dst.as_str()));
        };
        let (dst_parent, created) = match self.probe(dst.as_str()) {
            Probe::Found(_) => return Err(TreeError::already_exists(dst.as_str())),
            Probe::ThroughFile { file_len } => {
                return Err(TreeError::not_a_directory(&dst.as_str()[..file_len]))
            }
            Probe::Missing {
                deepest,
                existing_len,
            } => {
                let parent_len = if dst_parent_path == "/" {
                    0
                } else {
                    dst_parent_path.len()
                };
                if existing_len == parent_len {
                    (deepest, 0)
                } else if !create_parents {
                    return Err(TreeError::not_found(dst_parent_path));
                } else {
                    let missing: Vec<&str> = dst.as_str()[existing_len + 1..parent_len]
                        .split('/')
                        .collect();
                    (self.create_chain(deepest, &missing), missing.len() as u64)
                }
            }
        };
        // `src` resolved above, so its parent is a directory.
        let src_parent = self.dir_id_at(src_parent_path)?;
        self.node_mut(src_parent).children.remove(src_name);
        self.node_mut(dst_parent)
            .children
            .insert(Name::from(dst_name), moved);
        Ok(created)
    }

    /// A structural copy plan of the directory `path` and everything below
    /// it, for [`graft`](Self::graft). O(n) time and memory.
    ///
    /// # Errors
    ///
    /// [`TreeError::NotFound`]; [`TreeError::NotADirectory`] if `path` (or a
    /// prefix) is a file.
    pub fn subtree(&self, path: &NormPath) -> Result<Subtree<F>, TreeError> {
        let top = self.dir_id_at(path.as_str())?;
        let mut plan = Subtree {
            dirs: vec![SubtreeDir {
                parent: 0,
                name: Name::default(),
            }],
            files: Vec::new(),
        };
        let mut pending = vec![(top, 0)];
        while let Some((id, index)) = pending.pop() {
            for (name, entry) in self.node(id).children.iter() {
                match entry {
                    Entry::Dir(child) => {
                        pending.push((*child, plan.dirs.len()));
                        plan.dirs.push(SubtreeDir {
                            parent: index,
                            name: name.clone(),
                        });
                    }
                    Entry::File(file) => plan.files.push(SubtreeFile {
                        parent: index,
                        name: name.clone(),
                        file: file.clone(),
                    }),
                }
            }
        }
        Ok(plan)
    }

    /// Creates the directory `dst` holding everything in `subtree`
    /// (all-or-nothing).
    ///
    /// # Errors
    ///
    /// [`TreeError::AlreadyExists`] if `dst` exists or if the plan puts two
    /// entries under one name; [`TreeError::NotFound`] (naming the parent)
    /// or [`TreeError::NotADirectory`] if `dst`'s parent is not a directory.
    ///
    /// # Panics
    ///
    /// If the plan is malformed — a parent index that does not come before
    /// its child, or a name that is not a single valid component. Plans made
    /// by [`subtree`](Self::subtree) never are. The check runs before the
    /// tree is touched.
    pub fn graft(&mut self, dst: &NormPath, subtree: Subtree<F>) -> Result<(), TreeError> {
        if dst.is_root() {
            return Err(TreeError::already_exists(dst.as_str()));
        }
        let (parent, name) = self.parent_and_name(dst)?;
        if self.node(parent).children.contains_key(name) {
            return Err(TreeError::already_exists(dst.as_str()));
        }
        subtree.assert_well_formed();

        // Build every new directory off to the side, so a duplicate name
        // found halfway leaves the tree untouched.
        let dir_total = subtree.dirs.len().max(1);
        let base = self.next_id;
        let id_of = |index: usize| DirId(base + index as u64);
        let now = SystemTime::now();
        let mut nodes: Vec<DirNode<F>> = (0..dir_total).map(|_| DirNode::empty(now)).collect();
        let duplicate = |relative: String| TreeError::AlreadyExists {
            path: format!("{}/{}", dst.as_str(), relative),
        };
        for (index, dir) in subtree.dirs.iter().enumerate().skip(1) {
            let previous = nodes[dir.parent]
                .children
                .insert(dir.name.clone(), Entry::Dir(id_of(index)));
            if previous.is_some() {
                return Err(duplicate(subtree.relative_path(index)));
            }
        }
        let Subtree { dirs, files } = subtree;
        let file_total = files.len() as u64;
        for file in files {
            let previous = nodes[file.parent]
                .children
                .insert(file.name.clone(), Entry::File(file.file));
            if previous.is_some() {
                return Err(duplicate(relative_path_in(
                    &dirs,
                    file.parent,
                    Some(&file.name),
                )));
            }
        }

        self.next_id += dir_total as u64;
        for (index, node) in nodes.into_iter().enumerate() {
            self.dirs.insert(id_of(index), node);
        }
        self.node_mut(parent)
            .children
            .insert(Name::from(name), Entry::Dir(id_of(0)));
        self.dir_count += dir_total as u64;
        self.file_count += file_total;
        Ok(())
    }

    /// Every file at or below `path` with its full path, sorted bytewise by
    /// path; just the one file if `path` is a file.
    ///
    /// # Errors
    ///
    /// As [`lookup`](Self::lookup).
    pub fn files_under(&self, path: &NormPath) -> Result<Vec<(String, F)>, TreeError> {
        let top = match self.lookup(path)? {
            NodeRef::File(file) => return Ok(vec![(path.as_str().to_owned(), file.clone())]),
            NodeRef::Dir { id, .. } => id,
        };
        let mut found = Vec::new();
        // One growing path buffer instead of a string per directory: a deep
        // chain would otherwise cost O(depth²) even with no files in it.
        let mut current = if path.is_root() {
            String::new()
        } else {
            path.as_str().to_owned()
        };
        let mut frames = vec![(self.node(top).children.iter(), current.len())];
        while let Some((entries, prefix_len)) = frames.last_mut() {
            let prefix_len = *prefix_len;
            let Some((name, entry)) = entries.next() else {
                frames.pop();
                continue;
            };
            current.truncate(prefix_len);
            current.push('/');
            current.push_str(name);
            match entry {
                Entry::File(file) => found.push((current.clone(), file.clone())),
                Entry::Dir(child) => {
                    frames.push((self.node(*child).children.iter(), current.len()))
                }
            }
        }
        // Depth-first order is not path order ("/a/x" > "/a-b"), so sort.
        found.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        Ok(found)
    }

    /// The directory `id`, which the invariant guarantees is present.
    pub(crate) fn node(&self, id: DirId) -> &DirNode<F> {
        &self.dirs[&id]
    }

    fn node_mut(&mut self, id: DirId) -> &mut DirNode<F> {
        &mut self.dirs[&id]
    }

    /// Resolves a string satisfying the [`NormPath`] invariant.
    fn probe(&self, path: &str) -> Probe<'_, F> {
        let mut id = self.root;
        let mut resolved_len = 0;
        for name in components_of(path) {
            match self.node(id).children.get(name) {
                None => {
                    return Probe::Missing {
                        deepest: id,
                        existing_len: resolved_len,
                    }
                }
                Some(Entry::Dir(child)) => id = *child,
                Some(Entry::File(file)) => {
                    resolved_len += 1 + name.len();
                    return if resolved_len == path.len() {
                        Probe::Found(NodeRef::File(file))
                    } else {
                        Probe::ThroughFile {
                            file_len: resolved_len,
                        }
                    };
                }
            }
            resolved_len += 1 + name.len();
        }
        Probe::Found(NodeRef::Dir {
            id,
            node: self.node(id),
        })
    }

    pub(crate) fn lookup_str(&self, path: &str) -> Result<NodeRef<'_, F>, TreeError> {
        match self.probe(path) {
            Probe::Found(node) => Ok(node),
            Probe::Missing { .. } => Err(TreeError::not_found(path)),
            Probe::ThroughFile { file_len } => Err(TreeError::not_a_directory(&path[..file_len])),
        }
    }

    pub(crate) fn dir_id_at(&self, path: &str) -> Result<DirId, TreeError> {
        match self.lookup_str(path)? {
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

    /// Creates the chain `parent/names[0]/names[1]/…` of new, empty
    /// directories (the first name must be free in `parent`) and returns the
    /// deepest one's id, or `parent` when `names` is empty.
    fn create_chain(&mut self, parent: DirId, names: &[&str]) -> DirId {
        let Some(first) = names.first() else {
            return parent;
        };
        let base = self.next_id;
        let count = names.len() as u64;
        self.next_id += count;
        let now = SystemTime::now();
        for (offset, below) in (0..count).zip(1..) {
            let mut node = DirNode::empty(now);
            if let Some(name_below) = names.get(below) {
                let id_below = DirId(base + offset + 1);
                node.children
                    .insert(Name::from(*name_below), Entry::Dir(id_below));
            }
            self.dirs.insert(DirId(base + offset), node);
        }
        self.node_mut(parent)
            .children
            .insert(Name::from(*first), Entry::Dir(DirId(base)));
        self.dir_count += count;
        DirId(base + count - 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(path: &str) -> NormPath {
        NormPath::parse(path).expect("valid path")
    }

    fn not_found(path: &str) -> TreeError {
        TreeError::not_found(path)
    }

    fn not_a_dir(path: &str) -> TreeError {
        TreeError::not_a_directory(path)
    }

    fn exists(path: &str) -> TreeError {
        TreeError::already_exists(path)
    }

    fn is_a_dir(path: &str) -> TreeError {
        TreeError::is_a_directory(path)
    }

    /// Everything observable about a tree, to prove a failed call changed
    /// nothing.
    fn shape(tree: &Tree<u32>) -> (u64, u64, Vec<String>, Vec<(String, u32)>) {
        (
            tree.file_count(),
            tree.dir_count(),
            tree.glob("/**").expect("valid pattern"),
            tree.files_under(&NormPath::root()).expect("root exists"),
        )
    }

    /// /a/b/c.txt(3), /a/x.txt(1), /f(7), /e (empty dir)
    fn sample() -> Tree<u32> {
        let mut tree = Tree::new();
        tree.create_dir_all(&p("/a/b")).expect("fresh");
        tree.create_dir(&p("/e")).expect("fresh");
        tree.insert_file(&p("/a/b/c.txt"), 3).expect("fresh");
        tree.insert_file(&p("/a/x.txt"), 1).expect("fresh");
        tree.insert_file(&p("/f"), 7).expect("fresh");
        tree
    }

    fn file_at(tree: &Tree<u32>, path: &str) -> u32 {
        match tree.lookup(&p(path)) {
            Ok(NodeRef::File(file)) => *file,
            other => panic!("{path}: expected a file, got {other:?}"),
        }
    }

    fn dir_at(tree: &Tree<u32>, path: &str) -> DirId {
        match tree.lookup(&p(path)) {
            Ok(NodeRef::Dir { id, .. }) => id,
            other => panic!("{path}: expected a directory, got {other:?}"),
        }
    }

    #[test]
    fn a_new_tree_is_an_empty_root() {
        let tree: Tree<u32> = Tree::default();
        assert_eq!((tree.file_count(), tree.dir_count()), (0, 0));
        assert_eq!(dir_at(&tree, "/"), tree.root_id());
        assert!(tree.list_dir(&NormPath::root()).expect("root").is_empty());
        let root = tree.dir(tree.root_id()).expect("root node");
        assert!(root.is_empty());
        assert_eq!(root.created_at(), root.modified_at());
    }

    #[test]
    fn counts_match_the_contents() {
        let tree = sample();
        assert_eq!((tree.file_count(), tree.dir_count()), (3, 3));
        assert_eq!(file_at(&tree, "/a/b/c.txt"), 3);
    }

    #[test]
    fn lookup_tells_missing_from_through_a_file() {
        let tree = sample();
        assert_eq!(
            tree.lookup(&p("/nope")).map(|_| ()),
            Err(not_found("/nope"))
        );
        assert_eq!(
            tree.lookup(&p("/nope/x")).map(|_| ()),
            Err(not_found("/nope/x"))
        );
        assert_eq!(
            tree.lookup(&p("/a/nope/x")).map(|_| ()),
            Err(not_found("/a/nope/x"))
        );
        assert_eq!(tree.lookup(&p("/f/x")).map(|_| ()), Err(not_a_dir("/f")));
        assert_eq!(tree.lookup(&p("/f/x/y")).map(|_| ()), Err(not_a_dir("/f")));
        assert_eq!(
            tree.lookup(&p("/a/x.txt/y")).map(|_| ()),
            Err(not_a_dir("/a/x.txt"))
        );
        assert!(tree.get(&p("/f/x")).is_none());
        assert!(tree.get(&p("/a/b")).is_some());
    }

    #[test]
    fn dir_nodes_expose_sorted_entries() {
        let mut tree = sample();
        for name in ["B", "a-b", "Z", "é"] {
            tree.insert_file(&p("/e").join(name), 0).expect("fresh");
        }
        let id = dir_at(&tree, "/e");
        let node = tree.dir(id).expect("present");
        assert_eq!(node.len(), 4);
        let names: Vec<&str> = node.entries().map(|(name, _)| name).collect();
        assert_eq!(names, ["B", "Z", "a-b", "é"]);
        assert!(matches!(node.get("B"), Some(Entry::File(0))));
        assert!(node.get("nope").is_none());
        assert!(matches!(
            tree.dir(tree.root_id()).and_then(|root| root.get("a")),
            Some(Entry::Dir(_))
        ));
    }

    #[test]
    fn list_dir_is_sorted_and_needs_a_directory() {
        let tree = sample();
        assert_eq!(tree.list_dir(&p("/")).expect("dir"), ["a", "e", "f"]);
        assert_eq!(tree.list_dir(&p("/a")).expect("dir"), ["b", "x.txt"]);
        assert_eq!(tree.list_dir(&p("/f")), Err(not_a_dir("/f")));
        assert_eq!(tree.list_dir(&p("/nope")), Err(not_found("/nope")));
    }

    #[test]
    fn insert_file_errors_change_nothing() {
        let mut tree = sample();
        let before = shape(&tree);
        let cases = [
            ("/", TreeError::root_not_allowed()),
            ("/nope/x", not_found("/nope")),
            ("/nope/deeper/x", not_found("/nope/deeper")),
            ("/f/x", not_a_dir("/f")),
            ("/a/x.txt", exists("/a/x.txt")),
            ("/a/b", exists("/a/b")),
        ];
        for (path, expected) in cases {
            assert_eq!(tree.insert_file(&p(path), 99), Err(expected), "{path}");
        }
        assert_eq!(shape(&tree), before);
        tree.insert_file(&p("/e/new"), 5).expect("fresh");
        assert_eq!(tree.file_count(), 4);
        assert_eq!(file_at(&tree, "/e/new"), 5);
    }

    #[test]
    fn replace_file_swaps_the_payload() {
        let mut tree = sample();
        assert_eq!(tree.replace_file(&p("/f"), 8), Ok(7));
        assert_eq!(file_at(&tree, "/f"), 8);
        let before = shape(&tree);
        assert_eq!(tree.replace_file(&p("/nope"), 0), Err(not_found("/nope")));
        assert_eq!(
            tree.replace_file(&p("/nope/x"), 0),
            Err(not_found("/nope/x"))
        );
        assert_eq!(tree.replace_file(&p("/a"), 0), Err(is_a_dir("/a")));
        assert_eq!(tree.replace_file(&p("/"), 0), Err(is_a_dir("/")));
        assert_eq!(tree.replace_file(&p("/f/x"), 0), Err(not_a_dir("/f")));
        assert_eq!(shape(&tree), before);
    }

    #[test]
    fn create_dir_errors_change_nothing() {
        let mut tree = sample();
        let before = shape(&tree);
        let cases = [
            ("/", exists("/")),
            ("/a", exists("/a")),
            ("/f", exists("/f")),
            ("/nope/x", not_found("/nope")),
            ("/f/x", not_a_dir("/f")),
        ];
        for (path, expected) in cases {
            assert_eq!(tree.create_dir(&p(path)), Err(expected), "{path}");
        }
        assert_eq!(shape(&tree), before);
        tree.create_dir(&p("/a/new")).expect("fresh");
        assert_eq!(tree.dir_count(), 4);
        let node = tree.dir(dir_at(&tree, "/a/new")).expect("present");
        assert_eq!(node.created_at(), node.modified_at());
    }

    #[test]
    fn create_dir_all_creates_only_what_is_missing() {
        let mut tree = sample();
        assert_eq!(tree.create_dir_all(&p("/a/b")), Ok(0));
        assert_eq!(tree.create_dir_all(&p("/")), Ok(0));
        assert_eq!(tree.create_dir_all(&p("/a/b/c/d/e")), Ok(3));
        assert_eq!(tree.dir_count(), 6);
        assert_eq!(tree.list_dir(&p("/a/b/c/d")).expect("dir"), ["e"]);
        assert_eq!(tree.create_dir_all(&p("/new")), Ok(1));
        assert_eq!(tree.dir_count(), 7);
    }

    #[test]
    fn create_dir_all_through_a_file_creates_nothing() {
        let mut tree = sample();
        let before = shape(&tree);
        assert_eq!(tree.create_dir_all(&p("/f/x/y")), Err(not_a_dir("/f")));
        assert_eq!(
            tree.create_dir_all(&p("/a/x.txt/y")),
            Err(not_a_dir("/a/x.txt"))
        );
        assert_eq!(tree.create_dir_all(&p("/f")), Err(not_a_dir("/f")));
        assert_eq!(shape(&tree), before);
    }

    #[test]
    fn remove_file_returns_the_payload() {
        let mut tree = sample();
        let before = shape(&tree);
        assert_eq!(tree.remove_file(&p("/a")), Err(is_a_dir("/a")));
        assert_eq!(tree.remove_file(&p("/")), Err(is_a_dir("/")));
        assert_eq!(tree.remove_file(&p("/nope")), Err(not_found("/nope")));
        assert_eq!(tree.remove_file(&p("/nope/x")), Err(not_found("/nope/x")));
        assert_eq!(tree.remove_file(&p("/f/x")), Err(not_a_dir("/f")));
        assert_eq!(shape(&tree), before);
        assert_eq!(tree.remove_file(&p("/a/b/c.txt")), Ok(3));
        assert_eq!(tree.file_count(), 2);
        assert!(tree.get(&p("/a/b/c.txt")).is_none());
        assert!(tree.list_dir(&p("/a/b")).expect("dir").is_empty());
    }

    #[test]
    fn remove_dir_all_takes_the_whole_subtree() {
        let mut tree = sample();
        let before = shape(&tree);
        assert_eq!(
            tree.remove_dir_all(&p("/")).map(|_| ()),
            Err(TreeError::root_not_allowed())
        );
        assert_eq!(
            tree.remove_dir_all(&p("/f")).map(|_| ()),
            Err(not_a_dir("/f"))
        );
        assert_eq!(
            tree.remove_dir_all(&p("/nope")).map(|_| ()),
            Err(not_found("/nope"))
        );
        assert_eq!(shape(&tree), before);

        let snapshot = tree.clone();
        let removed = tree.remove_dir_all(&p("/a")).expect("dir");
        let mut files = removed.files;
        files.sort_unstable();
        assert_eq!(files, [1, 3]);
        assert_eq!(removed.dirs, 2);
        assert_eq!((tree.file_count(), tree.dir_count()), (1, 1));
        assert_eq!(tree.list_dir(&p("/")).expect("dir"), ["e", "f"]);
        assert_eq!(tree.dir(dir_at(&snapshot, "/a/b")).map(|_| ()), None);
        // The snapshot still has everything.
        assert_eq!(shape(&snapshot), before);

        let removed = tree.remove_dir_all(&p("/e")).expect("dir");
        assert_eq!((removed.files.len(), removed.dirs), (0, 1));
        assert_eq!((tree.file_count(), tree.dir_count()), (1, 0));
    }

    #[test]
    fn rename_moves_files_and_directories() {
        let mut tree = sample();
        let b = dir_at(&tree, "/a/b");
        assert_eq!(tree.rename(&p("/a/b"), &p("/e/b2"), false), Ok(0));
        assert_eq!(dir_at(&tree, "/e/b2"), b, "a moved directory keeps its id");
        assert_eq!(file_at(&tree, "/e/b2/c.txt"), 3);
        assert!(tree.get(&p("/a/b")).is_none());
        assert_eq!(tree.rename(&p("/f"), &p("/a/f2"), false), Ok(0));
        assert_eq!(file_at(&tree, "/a/f2"), 7);
        assert_eq!(tree.rename(&p("/a/f2"), &p("/a/f3"), false), Ok(0));
        assert_eq!(tree.list_dir(&p("/a")).expect("dir"), ["f3", "x.txt"]);
        assert_eq!(tree.rename(&p("/a"), &p("/ab"), false), Ok(0));
        assert_eq!(tree.list_dir(&p("/")).expect("dir"), ["ab", "e"]);
        assert_eq!((tree.file_count(), tree.dir_count()), (3, 3));
    }

    #[test]
    fn rename_can_create_the_destination_parents() {
        let mut tree = sample();
        assert_eq!(
            tree.rename(&p("/a"), &p("/n/m/a"), false),
            Err(not_found("/n/m"))
        );
        assert_eq!(tree.rename(&p("/a"), &p("/n/m/a"), true), Ok(2));
        assert_eq!(file_at(&tree, "/n/m/a/b/c.txt"), 3);
        assert_eq!((tree.file_count(), tree.dir_count()), (3, 5));
        assert_eq!(tree.rename(&p("/f"), &p("/n/f"), true), Ok(0));
    }

    #[test]
    fn rename_errors_come_in_order_and_change_nothing() {
        let mut tree = sample();
        let before = shape(&tree);
        let into_own = |src: &str, dst: &str| TreeError::IntoOwnSubtree {
            src: src.to_owned(),
            dst: dst.to_owned(),
        };
        let cases = [
            ("/", "/x", true, TreeError::root_not_allowed()),
            ("/nope", "/a/b", true, not_found("/nope")),
            ("/f/x", "/y", true, not_a_dir("/f")),
            ("/a", "/a", true, exists("/a")),
            ("/a", "/a/b/new", true, into_own("/a", "/a/b/new")),
            ("/a", "/a/b", true, into_own("/a", "/a/b")),
            ("/f", "/f/x", true, into_own("/f", "/f/x")),
            ("/a", "/e", true, exists("/e")),
            ("/a/b", "/a", true, exists("/a")),
            ("/a", "/", true, exists("/")),
            ("/e", "/f/x", true, not_a_dir("/f")),
            ("/e", "/f/x/y", true, not_a_dir("/f")),
            ("/e", "/a/x.txt/y/z", true, not_a_dir("/a/x.txt")),
            ("/e", "/n/e", false, not_found("/n")),
            ("/e", "/n/m/e", false, not_found("/n/m")),
        ];
        for (src, dst, parents, expected) in cases {
            assert_eq!(
                tree.rename(&p(src), &p(dst), parents),
                Err(expected),
                "{src} -> {dst}"
            );
        }
        assert_eq!(shape(&tree), before);
    }

    #[test]
    fn subtree_and_graft_round_trip() {
        let mut tree = sample();
        tree.insert_file(&p("/a/b/d.txt"), 4).expect("fresh");
        tree.create_dir(&p("/a/empty")).expect("fresh");
        let plan = tree.subtree(&p("/a")).expect("dir");
        assert_eq!(plan.dirs.len(), 3);
        assert_eq!(plan.files.len(), 3);
        assert_eq!(plan.node_count(), 6);
        for (index, dir) in plan.dirs.iter().enumerate().skip(1) {
            assert!(dir.parent < index, "parents come first");
        }
        let mut dirs: Vec<String> = (0..plan.dirs.len())
            .map(|i| plan.relative_path(i))
            .collect();
        dirs.sort();
        assert_eq!(dirs, ["", "b", "empty"]);
        let mut files: Vec<String> = (0..plan.files.len())
            .map(|i| plan.file_relative_path(i))
            .collect();
        files.sort();
        assert_eq!(files, ["b/c.txt", "b/d.txt", "x.txt"]);

        let (files_before, dirs_before) = (tree.file_count(), tree.dir_count());
        tree.graft(&p("/e/copy"), plan.map_files(|n| n * 10))
            .expect("fresh");
        assert_eq!(tree.file_count(), files_before + 3);
        assert_eq!(tree.dir_count(), dirs_before + 3);
        let copied: Vec<(String, u32)> = tree.files_under(&p("/e/copy")).expect("dir");
        assert_eq!(
            copied,
            [
                ("/e/copy/b/c.txt".to_owned(), 30),
                ("/e/copy/b/d.txt".to_owned(), 40),
                ("/e/copy/x.txt".to_owned(), 10),
            ]
        );
        assert!(tree.list_dir(&p("/e/copy/empty")).expect("dir").is_empty());
        // The copy is independent of the original.
        tree.remove_dir_all(&p("/a")).expect("dir");
        assert_eq!(file_at(&tree, "/e/copy/b/c.txt"), 30);
    }

    #[test]
    fn subtree_errors() {
        let tree = sample();
        assert_eq!(tree.subtree(&p("/f")).map(|_| ()), Err(not_a_dir("/f")));
        assert_eq!(
            tree.subtree(&p("/nope")).map(|_| ()),
            Err(not_found("/nope"))
        );
        let whole = tree.subtree(&NormPath::root()).expect("root");
        assert_eq!(whole.node_count(), 1 + tree.dir_count() + tree.file_count());
    }

    #[test]
    fn try_map_files_stops_at_the_first_error() {
        let plan = sample().subtree(&p("/a")).expect("dir");
        let failed: Result<Subtree<u32>, u32> =
            plan.clone()
                .try_map_files(|n| if n == 3 { Err(n) } else { Ok(n) });
        assert_eq!(failed.map(|_| ()), Err(3));
        let doubled = plan
            .try_map_files(|n| Ok::<_, ()>(n * 2))
            .expect("no error");
        let mut payloads: Vec<u32> = doubled.files.iter().map(|f| f.file).collect();
        payloads.sort_unstable();
        assert_eq!(payloads, [2, 6]);
    }

    #[test]
    fn graft_errors_change_nothing() {
        let mut tree = sample();
        let plan = tree.subtree(&p("/a")).expect("dir");
        let before = shape(&tree);
        let cases = [
            ("/", exists("/")),
            ("/a", exists("/a")),
            ("/f", exists("/f")),
            ("/nope/x", not_found("/nope")),
            ("/f/x", not_a_dir("/f")),
        ];
        for (dst, expected) in cases {
            assert_eq!(tree.graft(&p(dst), plan.clone()), Err(expected), "{dst}");
        }
        let mut clashing_file = plan.clone();
        clashing_file.files.push(SubtreeFile {
            parent: 0,
            name: Name::from("b"),
            file: 0,
        });
        assert_eq!(tree.graft(&p("/g"), clashing_file), Err(exists("/g/b")));
        let mut clashing_dir = plan.clone();
        let b = clashing_dir
            .dirs
            .iter()
            .position(|dir| dir.name == "b")
            .expect("b is in the plan");
        clashing_dir.dirs.push(SubtreeDir {
            parent: b,
            name: Name::from("sub"),
        });
        clashing_dir.dirs.push(SubtreeDir {
            parent: b,
            name: Name::from("sub"),
        });
        assert_eq!(tree.graft(&p("/g"), clashing_dir), Err(exists("/g/b/sub")));
        assert_eq!(shape(&tree), before);
    }

    #[test]
    #[should_panic(expected = "must come before it")]
    fn graft_rejects_a_malformed_plan() {
        let mut tree: Tree<u32> = Tree::new();
        let plan = Subtree {
            dirs: vec![
                SubtreeDir {
                    parent: 0,
                    name: Name::default(),
                },
                SubtreeDir {
                    parent: 2,
                    name: Name::from("x"),
                },
                SubtreeDir {
                    parent: 1,
                    name: Name::from("y"),
                },
            ],
            files: Vec::new(),
        };
        let _ = tree.graft(&p("/g"), plan);
    }

    #[test]
    fn an_empty_plan_grafts_an_empty_directory() {
        let mut tree: Tree<u32> = Tree::new();
        let plan = Subtree {
            dirs: Vec::new(),
            files: Vec::new(),
        };
        tree.graft(&p("/g"), plan).expect("fresh");
        assert_eq!(tree.dir_count(), 1);
        assert!(tree.list_dir(&p("/g")).expect("dir").is_empty());
    }

    #[test]
    fn files_under_is_in_path_order() {
        let mut tree: Tree<u32> = Tree::new();
        tree.create_dir_all(&p("/a/x")).expect("fresh");
        tree.insert_file(&p("/a/x/1"), 1).expect("fresh");
        tree.insert_file(&p("/a-b"), 2).expect("fresh");
        tree.insert_file(&p("/a/y"), 3).expect("fresh");
        tree.insert_file(&p("/a0"), 4).expect("fresh");
        let all: Vec<String> = tree
            .files_under(&NormPath::root())
            .expect("root")
            .into_iter()
            .map(|(path, _)| path)
            .collect();
        assert_eq!(all, ["/a-b", "/a/x/1", "/a/y", "/a0"]);
        assert_eq!(
            tree.files_under(&p("/a-b")),
            Ok(vec![("/a-b".to_owned(), 2)])
        );
        assert_eq!(
            tree.files_under(&p("/a/x")),
            Ok(vec![("/a/x/1".to_owned(), 1)])
        );
        assert_eq!(tree.files_under(&p("/nope")), Err(not_found("/nope")));
        assert_eq!(tree.files_under(&p("/a-b/c")), Err(not_a_dir("/a-b")));
    }

    #[test]
    fn snapshots_are_isolated() {
        let original = sample();
        let before = shape(&original);
        let mut copy = original.clone();
        copy.insert_file(&p("/a/b/new"), 9).expect("fresh");
        copy.replace_file(&p("/f"), 70).expect("file");
        copy.remove_dir_all(&p("/e")).expect("dir");
        copy.rename(&p("/a/b"), &p("/moved"), false)
            .expect("movable");
        copy.create_dir_all(&p("/x/y")).expect("fresh");
        assert_eq!(shape(&original), before);
        assert_eq!(file_at(&original, "/f"), 7);
        assert_eq!(file_at(&copy, "/f"), 70);
        assert_eq!(file_at(&copy, "/moved/new"), 9);
    }

    #[test]
    fn trees_can_be_shared_across_threads() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<Tree<std::sync::Arc<Vec<u8>>>>();
        assert_send_sync::<crate::walk::Walk<std::sync::Arc<Vec<u8>>>>();
    }

    /// Every operation on a chain far deeper than the stack could hold if
    /// anything recursed.
    #[test]
    fn a_hundred_thousand_levels_need_no_recursion() {
        const DEPTH: usize = 100_000;
        let worker = std::thread::Builder::new()
            .stack_size(256 * 1024)
            .spawn(|| {
                let mut path = String::with_capacity(DEPTH * 2);
                for _ in 0..DEPTH {
                    path.push_str("/d");
                }
                let deep = p(&path);
                assert_eq!(deep.depth(), DEPTH);
                let mut tree: Tree<u32> = Tree::new();
                assert_eq!(tree.create_dir_all(&deep), Ok(DEPTH as u64));
                assert_eq!(tree.dir_count(), DEPTH as u64);
                assert!(matches!(tree.lookup(&deep), Ok(NodeRef::Dir { .. })));
                let leaf = deep.join("leaf");
                tree.insert_file(&leaf, 1).expect("fresh");

                let snapshot = std::sync::Arc::new(tree.clone());
                let walked = crate::walk::walk(snapshot, &NormPath::root())
                    .expect("root")
                    .count();
                assert_eq!(walked, DEPTH + 1);

                assert_eq!(tree.glob("/**/leaf").expect("valid"), [leaf.as_str()]);
                let files = tree.files_under(&NormPath::root()).expect("root");
                assert_eq!(files.len(), 1);
                assert_eq!(files[0].0, leaf.as_str());

                let plan = tree.subtree(&p("/d")).expect("dir");
                assert_eq!(plan.node_count(), DEPTH as u64 + 1);
                tree.graft(&p("/copy"), plan).expect("fresh");
                assert_eq!(tree.dir_count(), 2 * DEPTH as u64);

                let before_move = tree.clone();
                tree.rename(&p("/d"), &p("/moved"), false).expect("movable");
                assert!(tree.get(&p("/moved/d/d")).is_some());
                let removed = tree.remove_dir_all(&p("/moved")).expect("dir");
                assert_eq!(removed.dirs, DEPTH as u64);
                assert_eq!(removed.files, [1]);
                let removed = tree.remove_dir_all(&p("/copy")).expect("dir");
                assert_eq!(removed.dirs, DEPTH as u64);
                assert_eq!((tree.file_count(), tree.dir_count()), (0, 0));
                assert!(before_move.get(&deep).is_some());
                drop(before_move);
                drop(tree);
            })
            .expect("spawn");
        worker.join().expect("no stack overflow");
    }

    #[test]
    fn a_million_entries_in_one_directory() {
        const COUNT: u32 = 1_000_000;
        let mut tree: Tree<u32> = Tree::new();
        tree.create_dir(&p("/big")).expect("fresh");
        for i in 0..COUNT {
            tree.insert_file(&p(&format!("/big/f{i:07}")), i)
                .expect("fresh");
        }
        assert_eq!(tree.file_count(), u64::from(COUNT));
        let names = tree.list_dir(&p("/big")).expect("dir");
        assert_eq!(names.len(), COUNT as usize);
        assert!(names.windows(2).all(|pair| pair[0] < pair[1]));
        assert_eq!(
            tree.glob("/big/f0999999").expect("valid"),
            ["/big/f0999999"]
        );
        assert_eq!(file_at(&tree, "/big/f0500000"), 500_000);
    }
}
