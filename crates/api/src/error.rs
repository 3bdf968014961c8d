//! The one error type of the public API.
//!
//! Errors of the crates below (`TreeError`, `StorageError`, `QuotaError`) are
//! converted here, gaining the path the user asked about, so the lower crates
//! never see this type.

use std::io::ErrorKind;
use std::time::Duration;

use dmemfs_core_tree::{PathError, TreeError};
use dmemfs_quota::QuotaError;
use dmemfs_storage_backends::StorageError;

/// `std::result::Result` with this crate's [`Error`].
pub type Result<T> = std::result::Result<T, Error>;

/// Everything a filesystem operation can fail with.
///
/// [`Error::kind`] maps each variant onto [`std::io::ErrorKind`], and
/// `From<Error> for std::io::Error` lets `?` work in functions returning
/// `io::Result`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A write, copy, import or preallocation would exceed the byte quota.
    /// `requested` includes the per-chunk overhead the write would add.
    #[error("quota exceeded: requested {requested} bytes, {available} bytes available")]
    QuotaExceeded {
        /// Bytes the refused operation needed.
        requested: u64,
        /// Bytes that were free.
        available: u64,
    },
    /// Creating a node would exceed `max_nodes`.
    #[error("node limit exceeded: {current} nodes exist, the limit is {limit}")]
    NodeLimitExceeded {
        /// Files and directories that exist (the root is not counted).
        current: u64,
        /// The configured limit.
        limit: u64,
    },
    /// The path, or one of its parents, does not exist.
    #[error("no such file or directory: {path}")]
    NotFound {
        /// The missing path.
        path: String,
    },
    /// The target of a creation exists.
    #[error("already exists: {path}")]
    AlreadyExists {
        /// The existing path.
        path: String,
    },
    /// A file operation was asked of a directory.
    #[error("is a directory: {path}")]
    IsADirectory {
        /// The directory.
        path: String,
    },
    /// A directory operation was asked of a file, or a path passes through a file.
    #[error("not a directory: {path}")]
    NotADirectory {
        /// The file standing where a directory was needed.
        path: String,
    },
    /// The file's lock was not acquired within the timeout.
    #[error("lock on {path} not acquired within {timeout:?}")]
    WouldBlock {
        /// The locked file.
        path: String,
        /// How long the caller waited.
        timeout: Duration,
    },
    /// The file (or a file below the directory) is open.
    #[error("file is open: {path}")]
    ResourceBusy {
        /// The open file, or the directory holding it.
        path: String,
    },
    /// The handle's mode or the file's storage does not allow the operation.
    #[error("unsupported on {path}: {reason}")]
    Unsupported {
        /// The file.
        path: String,
        /// What was refused and why.
        reason: String,
    },
    /// A bad path, pattern, seek, truncate or argument.
    #[error("invalid input {path:?}: {reason}")]
    InvalidInput {
        /// The path or pattern as given.
        path: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The content is not what the operation needs (text that is not UTF-8).
    #[error("invalid data in {path}: {reason}")]
    InvalidData {
        /// The file.
        path: String,
        /// What is wrong with the content.
        reason: String,
    },
    /// The allocator refused memory that the quota allowed, or a copy of a
    /// file's content that a copy, read or export needed.
    #[error("out of memory: could not allocate {bytes} bytes for {path}")]
    OutOfMemory {
        /// The file being written, read or copied.
        path: String,
        /// Bytes the allocation asked for.
        bytes: u64,
    },
    /// The memory guard refused: the memory the process can still use (the
    /// container's limit included) is smaller than a write asked for, or,
    /// when the filesystem is built, than its quota.
    #[error("memory guard: {requested} bytes requested, {available} bytes of memory available")]
    MemoryGuard {
        /// Bytes the refused operation needed (the quota, at build time).
        requested: u64,
        /// Bytes of memory the guard counted as available.
        available: u64,
    },
    /// The filesystem's writer thread is gone; no structural change can be made.
    #[error("the filesystem's writer thread has stopped")]
    EngineStopped,
    /// An operation panicked inside the filesystem (a bug). It was rolled
    /// back: the tree, the quota ledger and every lock are as they were, and
    /// the filesystem goes on working.
    #[error("internal error in {operation}: it panicked and was rolled back")]
    Internal {
        /// The operation that panicked.
        operation: String,
    },
    /// An archive entry was refused: it would land outside the destination,
    /// or it is a kind of node the filesystem does not hold (links, devices).
    #[error("unsafe archive entry {entry:?}: {reason}")]
    UnsafeArchiveEntry {
        /// The entry's name as the archive gives it.
        entry: String,
        /// Why it was refused.
        reason: UnsafeEntry,
    },
    /// An archive could not be read: its format is not recognized, or its
    /// data is corrupt, truncated, encrypted or uses an unsupported feature.
    #[error("invalid {format} archive: {reason}")]
    InvalidArchive {
        /// The format being read (`tar`, `tar.gz`, `zip`, an adapter's name,
        /// or `unknown`).
        format: String,
        /// What is wrong.
        reason: String,
    },
    /// A reader or writer that the caller supplied (an archive's source or
    /// destination) failed.
    #[error("I/O error: {message}")]
    Io {
        /// The kind of the underlying `std::io::Error`.
        kind: ErrorKind,
        /// Its message.
        message: String,
    },
}

/// Why an archive entry was refused ([`Error::UnsafeArchiveEntry`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum UnsafeEntry {
    /// The name is absolute (`/etc/passwd`, `C:\x`).
    #[error("absolute path")]
    AbsolutePath,
    /// A `..` in the name climbs above the destination.
    #[error("climbs out of the destination with `..`")]
    EscapesDestination,
    /// A symbolic link (the filesystem has none).
    #[error("symbolic link to {target:?}")]
    Symlink {
        /// What the link points at.
        target: String,
    },
    /// A hard link (the filesystem has none).
    #[error("hard link to {target:?}")]
    HardLink {
        /// What the link points at.
        target: String,
    },
    /// A device, FIFO, socket, sparse file or other entry type that is
    /// neither a regular file nor a directory.
    #[error("unsupported entry type: {description}")]
    Special {
        /// What the entry is.
        description: String,
    },
    /// The name is empty, not UTF-8, holds a NUL byte, or names the
    /// destination itself for a file.
    #[error("invalid name: {reason}")]
    InvalidName {
        /// What is wrong with it.
        reason: String,
    },
}

impl Error {
    /// The [`std::io::ErrorKind`] this error corresponds to.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Error::QuotaExceeded { .. } | Error::NodeLimitExceeded { .. } => {
                ErrorKind::QuotaExceeded
            }
            Error::NotFound { .. } => ErrorKind::NotFound,
            Error::AlreadyExists { .. } => ErrorKind::AlreadyExists,
            Error::IsADirectory { .. } => ErrorKind::IsADirectory,
            Error::NotADirectory { .. } => ErrorKind::NotADirectory,
            Error::WouldBlock { .. } => ErrorKind::WouldBlock,
            Error::ResourceBusy { .. } => ErrorKind::ResourceBusy,
            Error::Unsupported { .. } => ErrorKind::Unsupported,
            Error::InvalidInput { .. } => ErrorKind::InvalidInput,
            Error::InvalidData { .. } => ErrorKind::InvalidData,
            Error::OutOfMemory { .. } | Error::MemoryGuard { .. } => ErrorKind::OutOfMemory,
            Error::EngineStopped => ErrorKind::BrokenPipe,
            Error::UnsafeArchiveEntry { .. } | Error::InvalidArchive { .. } => {
                ErrorKind::InvalidData
            }
            Error::Io { kind, .. } => *kind,
            Error::Internal { .. } => ErrorKind::Other,
        }
    }

    /// True for both quota variants ([`Error::QuotaExceeded`] and
    /// [`Error::NodeLimitExceeded`]).
    pub fn is_quota(&self) -> bool {
        matches!(
            self,
            Error::QuotaExceeded { .. } | Error::NodeLimitExceeded { .. }
        )
    }

    pub(crate) fn invalid(path: impl Into<String>, reason: impl Into<String>) -> Self {
        Error::InvalidInput {
            path: path.into(),
            reason: reason.into(),
        }
    }

    pub(crate) fn unsupported(path: impl Into<String>, reason: impl Into<String>) -> Self {
        Error::Unsupported {
            path: path.into(),
            reason: reason.into(),
        }
    }

    /// Converts a storage failure on the file at `path`.
    pub(crate) fn from_storage(path: &str, err: StorageError) -> Self {
        match err {
            StorageError::Quota(q) => q.into(),
            StorageError::RandomWriteUnsupported { offset, len, size } => Error::unsupported(
                path,
                format!(
                    "write of {len} bytes at offset {offset} of a {size}-byte file: sequential storage only appends (at offset {size})"
                ),
            ),
            StorageError::PromotionLimit { size, limit } => Error::unsupported(
                path,
                format!(
                    "random-access write needs promotion of a {size}-byte file, over the promotion limit of {limit} bytes"
                ),
            ),
            StorageError::AllocationFailed { bytes } => Error::OutOfMemory {
                path: path.to_owned(),
                bytes,
            },
            StorageError::TooLarge { offset, len } => Error::invalid(
                path,
                format!("{len} bytes at offset {offset} exceed the largest file size"),
            ),
        }
    }
}

impl From<QuotaError> for Error {
    fn from(err: QuotaError) -> Self {
        match err {
            QuotaError::Exceeded {
                requested,
                available,
            } => Error::QuotaExceeded {
                requested,
                available,
            },
            QuotaError::NodeLimitExceeded { current, limit } => {
                Error::NodeLimitExceeded { current, limit }
            }
            QuotaError::MemoryGuard {
                requested,
                available,
            } => Error::MemoryGuard {
                requested,
                available,
            },
        }
    }
}

impl From<PathError> for Error {
    fn from(err: PathError) -> Self {
        let reason = err.to_string();
        match err {
            PathError::Nul { path } | PathError::EscapesRoot { path } => {
                Error::InvalidInput { path, reason }
            }
        }
    }
}

impl From<TreeError> for Error {
    fn from(err: TreeError) -> Self {
        match err {
            TreeError::NotFound { path } => Error::NotFound { path },
            TreeError::AlreadyExists { path } => Error::AlreadyExists { path },
            TreeError::NotADirectory { path } => Error::NotADirectory { path },
            TreeError::IsADirectory { path } => Error::IsADirectory { path },
            TreeError::IntoOwnSubtree { src, dst } => Error::InvalidInput {
                path: dst,
                reason: format!("cannot move {src} into its own subtree"),
            },
            TreeError::RootNotAllowed { path } => Error::InvalidInput {
                path,
                reason: "the root directory cannot be removed, renamed or replaced".into(),
            },
            TreeError::InvalidPath(p) => p.into(),
            TreeError::InvalidPattern { pattern, reason } => Error::InvalidInput {
                path: pattern,
                reason,
            },
        }
    }
}

impl From<Error> for std::io::Error {
    fn from(err: Error) -> Self {
        std::io::Error::new(err.kind(), err)
    }
}
