//! What `stat` and `stats` report.

use std::time::SystemTime;

/// A file's or directory's metadata, as of the moment `stat` read it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Metadata {
    /// Length in bytes; 0 for directories.
    pub size: u64,
    /// When the node was made (kept by rename and move; fresh for copies and imports).
    pub created_at: SystemTime,
    /// Last write or truncation (directories: when made).
    pub modified_at: SystemTime,
    /// 0 for a new empty file and for directories; grows with every write or truncation.
    pub generation: u64,
    /// Whether this is a directory.
    pub is_dir: bool,
}

/// Filesystem-wide figures.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FsStats {
    /// Bytes charged to the quota (stored data, chunk overhead, reservations in flight).
    pub used_bytes: u64,
    /// The configured quota.
    pub quota_bytes: u64,
    /// `quota_bytes - used_bytes`.
    pub free_bytes: u64,
    /// Files.
    pub file_count: u64,
    /// Directories, not counting the root.
    pub dir_count: u64,
    /// Chunks stored by sequential files.
    pub chunk_count: u64,
    /// The quota charge per stored chunk (the configured `chunk_overhead`).
    pub overhead_per_chunk_estimate: u64,
}
