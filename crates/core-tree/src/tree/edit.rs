//! Edits: adding, replacing, creating, removing and moving entries.
//!
//! Invariant: each edit resolves and checks everything it needs before it
//! changes anything, so it either returns `Err` having changed nothing or
//! completes, keeping every invariant of the [tree](super) (counts, ids,
//! one name per directory).
//!
//! Each edit is written once, on the [`Editor`], and made of the steps in
//! `journal`; `Tree`'s methods edit without a journal, [`Journaled`]'s
//! (`Tree::journaled`) record every step.
//!
//! Who may call: the tree's single owner, through `&mut Tree`; in dmemfs
//! that is the engine's writer, which then publishes the result as a
//! snapshot.

use std::time::SystemTime;

use crate::error::TreeError;
use crate::path::NormPath;

use super::journal::{Editor, Journal, Record, Unrecorded};
use super::{DirId, DirNode, Entry, Name, NodeRef, Probe, Subtree, Tree};

/// Everything [`Tree::remove_dir_all`] took out of the tree.
#[derive(Clone, Debug)]
pub struct Removed<F> {
    /// The payloads of the removed files, in no particular order.
    pub files: Vec<F>,
    /// How many directories were removed, the named one included.
    pub dirs: u64,
}

/// Declares each edit once on [`Tree`] (without a journal) and once on
/// [`Journaled`] (recording its steps), both made by the [`Editor`].
macro_rules! edits {
    ($(
        $(#[$doc:meta])*
        fn $name:ident(&mut self $(, $arg:ident: $ty:ty)*) -> $ret:ty;
    )*) => {
        impl<F: Clone> Tree<F> {
            $(
                $(#[$doc])*
                pub fn $name(&mut self $(, $arg: $ty)*) -> $ret {
                    Editor::new(self, Unrecorded).$name($($arg),*)
                }
            )*
        }

        impl<F: Clone> Journaled<'_, F> {
            $(
                #[doc = concat!("[`Tree::", stringify!($name), "`], with its steps recorded.")]
                pub fn $name(&mut self $(, $arg: $ty)*) -> $ret {
                    Editor::new(&mut *self.tree, &mut *self.journal).$name($($arg),*)
                }
            )*
        }
    };
}

/// A tree whose edits record their steps in a [`Journal`], so that they
/// can be rolled back ([`Tree::roll_back`]) or made again on a twin
/// ([`Tree::replay`]). Reads go to the tree (`Deref`).
#[derive(Debug)]
pub struct Journaled<'t, F> {
    tree: &'t mut Tree<F>,
    journal: &'t mut Journal<F>,
}

impl<F: Clone> Tree<F> {
    /// This tree, with its edits recorded in `journal` (which must hold
    /// only this tree's steps).
    pub fn journaled<'t>(&'t mut self, journal: &'t mut Journal<F>) -> Journaled<'t, F> {
        Journaled {
            tree: self,
            journal,
        }
    }
}

impl<F> std::ops::Deref for Journaled<'_, F> {
    type Target = Tree<F>;

    fn deref(&self) -> &Tree<F> {
        self.tree
    }
}

edits! {
    /// Adds a file at `path`.
    ///
    /// # Errors
    ///
    /// [`TreeError::RootNotAllowed`] for the root; [`TreeError::NotFound`]
    /// (naming the parent) or [`TreeError::NotADirectory`] if the parent is
    /// not a directory; [`TreeError::AlreadyExists`] if `path` is taken.
    fn insert_file(&mut self, path: &NormPath, file: F) -> Result<(), TreeError>;

    /// Replaces the payload of the file at `path`, returning the old one.
    ///
    /// # Errors
    ///
    /// [`TreeError::NotFound`] if nothing is there (or a parent is missing);
    /// [`TreeError::IsADirectory`] if `path` is a directory;
    /// [`TreeError::NotADirectory`] if the walk passes through a file.
    fn replace_file(&mut self, path: &NormPath, file: F) -> Result<F, TreeError>;

    /// Creates the directory `path`.
    ///
    /// # Errors
    ///
    /// [`TreeError::AlreadyExists`] if anything is at `path` (the root
    /// always is); [`TreeError::NotFound`] (naming the parent) or
    /// [`TreeError::NotADirectory`] if the parent is not a directory.
    fn create_dir(&mut self, path: &NormPath) -> Result<(), TreeError>;

    /// Creates `path` and every missing directory above it; returns how many
    /// directories it created (0 when `path` already was a directory).
    ///
    /// # Errors
    ///
    /// [`TreeError::NotADirectory`] naming the first component that is a
    /// file (`path` itself included); nothing is created then.
    fn create_dir_all(&mut self, path: &NormPath) -> Result<u64, TreeError>;

    /// Removes the file at `path`, returning its payload.
    ///
    /// # Errors
    ///
    /// [`TreeError::NotFound`]; [`TreeError::IsADirectory`] for a directory;
    /// [`TreeError::NotADirectory`] if the walk passes through a file.
    fn remove_file(&mut self, path: &NormPath) -> Result<F, TreeError>;

    /// Removes the directory `path` and everything below it.
    ///
    /// # Errors
    ///
    /// [`TreeError::RootNotAllowed`] for the root; [`TreeError::NotFound`];
    /// [`TreeError::NotADirectory`] if `path` (or a prefix) is a file.
    fn remove_dir_all(&mut self, path: &NormPath) -> Result<Removed<F>, TreeError>;

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
    fn rename(&mut self, src: &NormPath, dst: &NormPath, create_parents: bool) -> Result<u64, TreeError>;

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
    /// by [`subtree`](Tree::subtree) never are. The check runs before the
    /// tree is touched.
    fn graft(&mut self, dst: &NormPath, subtree: Subtree<F>) -> Result<(), TreeError>;
}

impl<F: Clone, R: Record<F>> Editor<'_, F, R> {
    fn insert_file(&mut self, path: &NormPath, file: F) -> Result<(), TreeError> {
        let (parent, name) = self.tree.parent_and_name(path)?;
        if self.tree.node(parent).children.contains_key(name) {
            return Err(TreeError::already_exists(path.as_str()));
        }
        self.link(parent, Name::from(name), Entry::File(file));
        Ok(())
    }

    fn replace_file(&mut self, path: &NormPath, file: F) -> Result<F, TreeError> {
        let (parent, name) = self.tree.file_entry(path)?;
        // `file_entry` found the file, so this always replaces it.
        match self.link(parent, Name::from(name), Entry::File(file)) {
            Some(Entry::File(old)) => Ok(old),
            _ => Err(TreeError::not_found(path.as_str())),
        }
    }

    fn create_dir(&mut self, path: &NormPath) -> Result<(), TreeError> {
        if path.is_root() {
            return Err(TreeError::already_exists(path.as_str()));
        }
        let (parent, name) = self.tree.parent_and_name(path)?;
        if self.tree.node(parent).children.contains_key(name) {
            return Err(TreeError::already_exists(path.as_str()));
        }
        self.create_chain(parent, &[name]);
        Ok(())
    }

    fn create_dir_all(&mut self, path: &NormPath) -> Result<u64, TreeError> {
        match self.tree.probe(path.as_str()) {
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

    fn remove_file(&mut self, path: &NormPath) -> Result<F, TreeError> {
        let (parent, name) = self.tree.file_entry(path)?;
        match self.unlink(parent, name) {
            Some(Entry::File(file)) => Ok(file),
            // Checked above; unreachable.
            _ => Err(TreeError::not_found(path.as_str())),
        }
    }

    fn remove_dir_all(&mut self, path: &NormPath) -> Result<Removed<F>, TreeError> {
        let Some((parent_path, name)) = path.split_last() else {
            return Err(TreeError::root_not_allowed());
        };
        let top = self.tree.dir_id_at(path.as_str())?;
        let parent = self.tree.dir_id_at(parent_path)?;
        self.unlink(parent, name);

        let mut removed = Removed {
            files: Vec::new(),
            dirs: 0,
        };
        let mut pending = vec![top];
        while let Some(id) = pending.pop() {
            let Some(node) = self.drop_dir(id) else {
                continue;
            };
            removed.dirs += 1;
            for (_, entry) in node.children.iter_unordered() {
                match entry {
                    Entry::Dir(child) => pending.push(*child),
                    Entry::File(file) => removed.files.push(file.clone()),
                }
            }
        }
        Ok(removed)
    }

    fn rename(
        &mut self,
        src: &NormPath,
        dst: &NormPath,
        create_parents: bool,
    ) -> Result<u64, TreeError> {
        let Some((src_parent_path, src_name)) = src.split_last() else {
            return Err(TreeError::root_not_allowed());
        };
        let moved = match self.tree.lookup_normal(src.as_str())? {
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
        let (dst_parent, created) = match self.tree.probe(dst.as_str()) {
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
        let src_parent = self.tree.dir_id_at(src_parent_path)?;
        self.unlink(src_parent, src_name);
        self.link(dst_parent, Name::from(dst_name), moved);
        Ok(created)
    }

    /// Creates the chain `parent/names[0]/names[1]/…` of new, empty
    /// directories (the first name must be free in `parent`) and returns the
    /// deepest one's id, or `parent` when `names` is empty.
    fn create_chain(&mut self, parent: DirId, names: &[&str]) -> DirId {
        let Some((first, below_first)) = names.split_first() else {
            return parent;
        };
        // Bottom up, so each directory is stored knowing its child's id.
        let now = SystemTime::now();
        let mut deepest = None;
        let mut below: Option<(&str, DirId)> = None;
        for name in below_first.iter().rev().chain([first]) {
            let mut node = DirNode::empty(now);
            if let Some((name_below, id_below)) = below {
                node.children.insert(
                    Name::from(name_below),
                    Entry::Dir(id_below),
                    &self.tree.seed,
                );
            }
            let id = self.add_dir(node);
            deepest.get_or_insert(id);
            below = Some((name, id));
        }
        if let Some((name, id)) = below {
            self.link(parent, Name::from(name), Entry::Dir(id));
        }
        deepest.unwrap_or(parent)
    }
}
