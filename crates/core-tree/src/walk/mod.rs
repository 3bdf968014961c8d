//! A lazy, top-down walk over a snapshot, like Python's `os.walk`.
//!
//! Invariant: the walk holds one path buffer (the directory last yielded)
//! and, per directory on the way down that still has unvisited
//! subdirectories, the list of those subdirectories. Memory is therefore
//! O(depth + pending names), never a string per pending directory, and
//! nothing recurses.

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
mod tests {
    use super::*;

    fn p(path: &str) -> NormPath {
        NormPath::parse(path).expect("valid path")
    }

    type Item = (String, Vec<String>, Vec<String>);

    fn item(dir: &str, subdirs: &[&str], files: &[&str]) -> Item {
        let owned = |names: &[&str]| names.iter().map(|name| (*name).to_owned()).collect();
        (dir.to_owned(), owned(subdirs), owned(files))
    }

    /// /a/{b/{c.txt}, a-b/, x.txt}, /a0, /z/
    fn sample() -> Arc<Tree<u32>> {
        let mut tree = Tree::new();
        for dir in ["/a/b", "/a/a-b", "/z"] {
            tree.create_dir_all(&p(dir)).expect("fresh");
        }
        for file in ["/a/b/c.txt", "/a/x.txt", "/a0"] {
            tree.insert_file(&p(file), 0).expect("fresh");
        }
        Arc::new(tree)
    }

    #[test]
    fn walks_top_down_in_sorted_order() {
        let items: Vec<Item> = walk(sample(), &NormPath::root()).expect("root").collect();
        assert_eq!(
            items,
            [
                item("/", &["a", "z"], &["a0"]),
                item("/a", &["a-b", "b"], &["x.txt"]),
                item("/a/a-b", &[], &[]),
                item("/a/b", &[], &["c.txt"]),
                item("/z", &[], &[]),
            ]
        );
    }

    #[test]
    fn walks_from_a_subdirectory() {
        let items: Vec<Item> = walk(sample(), &p("/a")).expect("dir").collect();
        let dirs: Vec<&str> = items.iter().map(|(dir, _, _)| dir.as_str()).collect();
        assert_eq!(dirs, ["/a", "/a/a-b", "/a/b"]);
        let leaf: Vec<Item> = walk(sample(), &p("/z")).expect("dir").collect();
        assert_eq!(leaf, [item("/z", &[], &[])]);
    }

    #[test]
    fn needs_an_existing_directory() {
        assert_eq!(
            walk(sample(), &p("/nope")).map(|_| ()),
            Err(TreeError::not_found("/nope"))
        );
        assert_eq!(
            walk(sample(), &p("/a0")).map(|_| ()),
            Err(TreeError::not_a_directory("/a0"))
        );
        assert_eq!(
            walk(sample(), &p("/a0/x")).map(|_| ()),
            Err(TreeError::not_a_directory("/a0"))
        );
    }

    #[test]
    fn walks_its_snapshot_not_later_changes() {
        let mut tree = Arc::unwrap_or_clone(sample());
        let mut walker = walk(Arc::new(tree.clone()), &NormPath::root()).expect("root");
        assert_eq!(walker.next().map(|(dir, _, _)| dir), Some("/".to_owned()));
        tree.remove_dir_all(&p("/a")).expect("dir");
        tree.create_dir(&p("/new")).expect("fresh");
        let rest: Vec<String> = walker.map(|(dir, _, _)| dir).collect();
        assert_eq!(rest, ["/a", "/a/a-b", "/a/b", "/z"]);
    }

    #[test]
    fn deep_and_wide_combs_stay_in_order() {
        // Each level has a leaf directory beside the one that goes deeper.
        let mut tree: Tree<u32> = Tree::new();
        let mut path = NormPath::root();
        for _ in 0..100 {
            tree.create_dir(&path.join("leaf")).expect("fresh");
            path = path.join("next");
            tree.create_dir(&path).expect("fresh");
        }
        let dirs: Vec<String> = walk(Arc::new(tree), &NormPath::root())
            .expect("root")
            .map(|(dir, _, _)| dir)
            .collect();
        assert_eq!(dirs.len(), 201);
        assert_eq!(dirs[1], "/leaf");
        assert_eq!(dirs[2], "/next");
        assert_eq!(dirs[3], "/next/leaf");
        assert!(dirs.last().expect("non-empty").ends_with("/next/next"));
    }
}
