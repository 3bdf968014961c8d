//! Queries of the tree: listing, existence, walks, globs, metadata and
//! figures. Each loads one published snapshot, lock-free, and never waits
//! for the writer or a file's lock. Those that need no normalized path of
//! their own resolve the user's string as given (no allocation when it is
//! normal already).

use dmemfs_core_tree::{NodeRef, NormPath};

use super::{is_a_directory, parse, MemoryFileSystem};
use crate::{FsStats, Metadata, Result};

impl MemoryFileSystem {
    /// Names in the directory, sorted bytewise.
    pub fn listdir(&self, path: &str) -> Result<Vec<String>> {
        let path = parse(path)?;
        Ok(self.snapshot().list_dir(&path)?)
    }

    /// Whether anything is at `path` (false for invalid paths).
    pub fn exists(&self, path: &str) -> bool {
        self.snapshot().get_str(path).is_some()
    }

    /// Whether a directory is at `path`.
    pub fn is_dir(&self, path: &str) -> bool {
        matches!(self.snapshot().get_str(path), Some(NodeRef::Dir { .. }))
    }

    pub(super) fn is_dir_at(&self, path: &NormPath) -> bool {
        matches!(self.snapshot().get(path), Some(NodeRef::Dir { .. }))
    }

    /// Whether a file is at `path`.
    pub fn is_file(&self, path: &str) -> bool {
        matches!(self.snapshot().get_str(path), Some(NodeRef::File(_)))
    }

    /// Walks the tree below `path` top-down, yielding `(dir, dir names, file
    /// names)` with names sorted. It walks one snapshot: concurrent changes
    /// are not seen, and what it yields is consistent.
    pub fn walk(
        &self,
        path: &str,
    ) -> Result<impl Iterator<Item = (String, Vec<String>, Vec<String>)>> {
        let path = parse(path)?;
        Ok(dmemfs_core_tree::walk(
            self.inner.core.published.load_full(),
            &path,
        )?)
    }

    /// Paths matching `pattern` (`*`, `**`, `?`, `[seq]`), sorted, each once,
    /// from one snapshot.
    pub fn glob(&self, pattern: &str) -> Result<Vec<String>> {
        Ok(self.snapshot().glob(pattern)?)
    }

    /// Metadata of a file or directory.
    pub fn stat(&self, path: &str) -> Result<Metadata> {
        let snapshot = self.snapshot();
        Ok(match snapshot.lookup_str(path)? {
            NodeRef::Dir { node, .. } => Metadata {
                size: 0,
                created_at: node.created_at(),
                modified_at: node.modified_at(),
                generation: 0,
                is_dir: true,
            },
            NodeRef::File(f) => Metadata {
                size: f.len(),
                created_at: f.created_at(),
                modified_at: f.modified_at(),
                generation: f.generation(),
                is_dir: false,
            },
        })
    }

    /// Filesystem-wide figures.
    pub fn stats(&self) -> FsStats {
        let core = self.core();
        let snapshot = self.snapshot();
        let used = core.ledger.used();
        let quota = core.ledger.limit();
        FsStats {
            used_bytes: used,
            quota_bytes: quota,
            free_bytes: quota.saturating_sub(used),
            file_count: snapshot.file_count(),
            dir_count: snapshot.dir_count(),
            chunk_count: core.ledger.chunk_count(),
            overhead_per_chunk_estimate: core.storage.chunk_overhead,
        }
    }

    /// A file's length.
    pub fn get_size(&self, path: &str) -> Result<u64> {
        match self.snapshot().lookup_str(path)? {
            NodeRef::File(f) => Ok(f.len()),
            NodeRef::Dir { .. } => Err(is_a_directory(path)),
        }
    }
}
