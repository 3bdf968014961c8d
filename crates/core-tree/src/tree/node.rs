//! The pieces a tree is made of: directory ids, entry names, entries,
//! directory nodes, and the borrowed view a lookup returns.
//!
//! Invariant: a directory refers to its subdirectories by [`DirId`] only,
//! never by pointer, so a node is cloned, shared between snapshots and
//! dropped without recursion whatever the depth below it.
//!
//! Who may call: only the tree module makes ids and nodes (the id's field
//! and `DirNode::empty` are visible to it alone); walk and glob read a
//! node's `children` directly; users read through the public accessors.

use std::time::SystemTime;

use super::children::Children;

/// Identifies a directory within one [`Tree`](super::Tree) and all its
/// snapshots.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DirId(pub(super) u64);

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
    pub(crate) children: Children<F>,
    created_at: SystemTime,
    modified_at: SystemTime,
}

impl<F> DirNode<F> {
    /// A directory with no entries, created and modified at `now`.
    pub(super) fn empty(now: SystemTime) -> Self {
        DirNode {
            children: Children::default(),
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
