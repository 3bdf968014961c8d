//! A lazy, top-down walk over a snapshot, like Python's `os.walk`.
//!
//! Invariant: the walk holds one path buffer (the directory last yielded)
//! and, per directory on the way down that still has unvisited
//! subdirectories, the list of those subdirectories. Memory is therefore
//! O(depth + pending names), never a string per pending directory, and
//! nothing recurses.
//!
//! Who may call: anyone holding a snapshot in an `Arc`; the walk never
//! locks and never sees the owner's later edits.

use std::sync::Arc;

use crate::error::TreeError;
use crate::path::NormPath;
use crate::tree::{DirId, Entry, Name, NodeRef, Tree};

/// An iterator over `(directory path, subdirectory names, file names)` of
/// every directory at or below a starting point, in pre-order: a directory
/// comes before its subdirectories, which are visited in bytewise name
/// order. Names within each item are sorted bytewise.
///
/// Made by [`walk`]; it owns a snapshot, so later mutations of the tree it
/// came from are not seen.
#[derive(Debug)]
pub struct Walk<F> {
    tree: Arc<Tree<F>>,
    /// The path of the directory yielded last (or about to be yielded).
    current: String,
    /// The directory to yield first, until it is.
    start: Option<DirId>,
    frames: Vec<Frame>,
}

/// A directory on the way down with subdirectories left to visit.
#[derive(Debug)]
struct Frame {
    /// The length of the directory's path in `current`, 0 for the root (so
    /// its children are `/name`, not `//name`).
    prefix_len: usize,
    /// Its unvisited subdirectories, in order.
    subdirs: std::vec::IntoIter<(Name, DirId)>,
}

/// Starts a walk of the directory `path` in the snapshot `tree`.
///
/// # Errors
///
/// [`TreeError::NotFound`]; [`TreeError::NotADirectory`] if `path` (or a
/// prefix) is a file.
pub fn walk<F: Clone>(tree: Arc<Tree<F>>, path: &NormPath) -> Result<Walk<F>, TreeError> {
    let start = match tree.lookup(path)? {
        NodeRef::Dir { id, .. } => id,
        NodeRef::File(_) => return Err(TreeError::not_a_directory(path.as_str())),
    };
    Ok(Walk {
        tree,
        current: path.as_str().to_owned(),
        start: Some(start),
        frames: Vec::new(),
    })
}

impl<F: Clone> Walk<F> {
    /// Lists the directory `id`, whose path is in `current`, and remembers
    /// its subdirectories for later.
    fn visit(&mut self, id: DirId) -> (String, Vec<String>, Vec<String>) {
        let node = self.tree.node(id);
        let mut subdirs = Vec::new();
        let mut files = Vec::new();
        for (name, entry) in node.children.iter() {
            match entry {
                Entry::Dir(child) => subdirs.push((name.clone(), *child)),
                Entry::File(_) => files.push(name.as_str().to_owned()),
            }
        }
        let subdir_names = subdirs
            .iter()
            .map(|(name, _)| name.as_str().to_owned())
            .collect();
        if !subdirs.is_empty() {
            let prefix_len = if self.current == "/" {
                0
            } else {
                self.current.len()
            };
            self.frames.push(Frame {
                prefix_len,
                subdirs: subdirs.into_iter(),
            });
        }
        (self.current.clone(), subdir_names, files)
    }
}

impl<F: Clone> Iterator for Walk<F> {
    type Item = (String, Vec<String>, Vec<String>);

    fn next(&mut self) -> Option<Self::Item> {
        if let Some(start) = self.start.take() {
            return Some(self.visit(start));
        }
        let frame = self.frames.last_mut()?;
        let prefix_len = frame.prefix_len;
        let (name, id) = frame.subdirs.next()?;
        // A frame is only needed while it has subdirectories left; dropping
        // it now keeps a deep chain at O(1) frames.
        if frame.subdirs.len() == 0 {
            self.frames.pop();
        }
        self.current.truncate(prefix_len);
        self.current.push('/');
        self.current.push_str(&name);
        Some(self.visit(id))
    }
}

#[cfg(test)]
mod tests;
