//! Whole subtrees at once: copy plans ([`Tree::subtree`] makes one,
//! [`Tree::graft`] plants it elsewhere) and the list of every file below a
//! path ([`Tree::files_under`]).
//!
//! Invariants: a [`Subtree`] names each entry's parent by index into its
//! `dirs`, a parent before its children, so it is O(n) in memory however
//! deep the copied directory is; `graft` checks that before it touches the
//! tree and builds the new directories aside, so it is all-or-nothing.
//!
//! Who may call: anyone holding a tree or a snapshot makes plans and lists
//! files; `graft` is an edit, for the tree's single owner.

use std::time::SystemTime;

use crate::error::TreeError;
use crate::path::{is_valid_component, NormPath};

use super::journal::{Editor, Record};
use super::{DirId, DirNode, Entry, Name, NodeRef, Tree};

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

impl<F: Clone> Tree<F> {
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
        let mut frames = vec![(self.node(top).children.iter_unordered(), current.len())];
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
                    frames.push((self.node(*child).children.iter_unordered(), current.len()))
                }
            }
        }
        // Depth-first order is not path order ("/a/x" > "/a-b"), so sort.
        found.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        Ok(found)
    }
}

impl<F: Clone, R: Record<F>> Editor<'_, F, R> {
    /// See [`Tree::graft`].
    pub(super) fn graft(&mut self, dst: &NormPath, subtree: Subtree<F>) -> Result<(), TreeError> {
        if dst.is_root() {
            return Err(TreeError::already_exists(dst.as_str()));
        }
        let (parent, name) = self.tree.parent_and_name(dst)?;
        if self.tree.node(parent).children.contains_key(name) {
            return Err(TreeError::already_exists(dst.as_str()));
        }
        subtree.assert_well_formed();

        // Build every new directory off to the side, so a duplicate name
        // found halfway leaves the tree untouched. Until the directories
        // are stored, a directory entry holds its index in the plan.
        let dir_total = subtree.dirs.len().max(1);
        let seed = self.tree.seed.clone();
        let now = SystemTime::now();
        let mut nodes: Vec<DirNode<F>> = (0..dir_total).map(|_| DirNode::empty(now)).collect();
        let duplicate = |relative: String| TreeError::AlreadyExists {
            path: format!("{}/{}", dst.as_str(), relative),
        };
        for (index, dir) in subtree.dirs.iter().enumerate().skip(1) {
            let previous = nodes[dir.parent].children.insert(
                dir.name.clone(),
                Entry::Dir(DirId(index as u64)),
                &seed,
            );
            if previous.is_some() {
                return Err(duplicate(subtree.relative_path(index)));
            }
        }
        let Subtree { dirs, files } = subtree;
        for file in files {
            let previous = nodes[file.parent].children.insert(
                file.name.clone(),
                Entry::File(file.file),
                &seed,
            );
            if previous.is_some() {
                return Err(duplicate(relative_path_in(
                    &dirs,
                    file.parent,
                    Some(&file.name),
                )));
            }
        }

        // Store the directories children first (a child's index is larger
        // than its parent's), each with its children's plan indices
        // replaced by their ids.
        let mut ids = vec![self.tree.root; dir_total];
        while let Some(planned) = nodes.pop() {
            let mut node = DirNode::empty(now);
            for (name, entry) in planned.children.into_entries() {
                let entry = match entry {
                    Entry::Dir(DirId(index)) => Entry::Dir(ids[index as usize]),
                    file => file,
                };
                node.children.insert(name, entry, &seed);
            }
            ids[nodes.len()] = self.add_dir(node);
        }
        self.link(parent, Name::from(name), Entry::Dir(ids[0]));
        Ok(())
    }
}
