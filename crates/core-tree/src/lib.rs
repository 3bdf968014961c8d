//! The directory tree of dmemfs.
//!
//! A [`Tree`] is a persistent (structurally shared) map from normalized
//! paths ([`NormPath`]) to directories and file payloads `F`. The single
//! writer mutates its own copy and publishes clones as immutable snapshots;
//! readers [`walk()`] and [`glob`](Tree::glob) those snapshots without locks.
//! The tree knows nothing about file contents, quota, locks or threads.
//!
//! No operation recurses over the tree's depth and none is quadratic in a
//! directory's size: a tree 100,000 levels deep or a directory of a million
//! entries is handled like any other.

#![forbid(unsafe_code)]

pub mod error;
pub mod glob;
pub mod path;
pub mod tree;
pub mod walk;

pub use error::{PathError, TreeError};
pub use path::NormPath;
pub use tree::{
    DirId, DirNode, Entry, Journal, JournalMark, Journaled, Name, NodeRef, Removed, Subtree,
    SubtreeDir, SubtreeFile, Tree, RETAINED_STEPS,
};
pub use walk::{walk, Walk};
