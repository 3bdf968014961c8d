//! Edits: adding, replacing, creating, removing and moving entries.
//!
//! Invariant: each edit resolves and checks everything it needs before it
//! changes anything, so it either returns `Err` having changed nothing or
//! completes, keeping every invariant of the [tree](super) (counts, ids,
//! one name per directory).
//!
//! Who may call: the tree's single owner, through `&mut Tree`; in dmemfs
//! that is the engine's writer, which then publishes the result as a
//! snapshot.

use std::mem;
use std::time::SystemTime;

use crate::error::TreeError;
use crate::path::NormPath;

use super::{DirId, DirNode, Entry, Name, NodeRef, Probe, Tree};

/// Everything [`Tree::remove_dir_all`] took out of the tree.
#[derive(Clone, Debug)]
pub struct Removed<F> {
    /// The payloads of the removed files, in no particular order.
    pub files: Vec<F>,
    /// How many directories were removed, the named one included.
    pub dirs: u64,
}

impl<F: Clone> Tree<F> {
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
            let Some(node) = self.dirs.remove(id.0) else {
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
        let moved = match self.lookup_normal(src.as_str())? {
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
                node.children
                    .insert(Name::from(name_below), Entry::Dir(id_below));
            }
            let id = DirId(self.dirs.insert(node));
            deepest.get_or_insert(id);
            below = Some((name, id));
        }
        if let Some((name, id)) = below {
            self.node_mut(parent)
                .children
                .insert(Name::from(name), Entry::Dir(id));
        }
        self.dir_count += names.len() as u64;
        deepest.unwrap_or(parent)
    }
}
