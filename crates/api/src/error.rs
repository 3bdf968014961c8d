//! The one error type of the public API.
//!
//! Errors of the crates below (`TreeError`, `PathError`, `StorageError`,
//! `QuotaError`) are converted here, gaining the path the user asked about,
//! so the lower crates never see this type.
//!
//! What a lower error becomes: a variant whose fields say everything the
//! lower error says (the quota numbers of a `QuotaError`, the path where a
//! tree lookup stopped, the bytes a refused allocation asked for) stands for
//! it and has no source. A variant that puts a lower error into words (the
//! `reason` of [`Error::InvalidInput`] and [`Error::Unsupported`]), and every
//! failure of a reader, writer or thread (`std::io::Error`), keeps the lower
//! error as its [`source`](std::error::Error::source), so a caller can still
//! match the lower error's own fields.

use std::fmt;
use std::io::{self, ErrorKind};
use std::ops::Deref;
use std::sync::Arc;
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
        /// The storage's refusal (a `StorageError`: a sequential file
        /// written away from its end, a promotion over the limit) with its
        /// numbers; `None` when the handle's mode refused.
        #[source]
        source: Option<ErrorSource>,
    },
    /// A bad path, pattern, seek, truncate or argument.
    #[error("invalid input {path:?}: {reason}")]
    InvalidInput {
        /// The path or pattern as given.
        path: String,
        /// What is wrong with it.
        reason: String,
        /// The lower error `reason` describes: the tree's (`TreeError`:
        /// the root refused, a directory moved into itself, a bad pattern),
        /// the path's (`PathError`) or the storage's (`StorageError`: past
        /// the largest file size); `None` when this crate's own check
        /// refused.
        #[source]
        source: Option<ErrorSource>,
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
    /// The filesystem's writer thread could not be started
    /// ([`Concurrency::Actor`](crate::Concurrency::Actor)); `kind()` is the
    /// operating system's reason, from `source`.
    #[error("cannot start the filesystem's writer thread: {source}")]
    WriterSpawn {
        /// The `std::io::Error` the thread spawn returned.
        source: ErrorSource,
    },
    /// An archive entry was refused: it would land outside the destination,
    /// or it is a kind of node the filesystem does not hold (links, devices).
    #[cfg(feature = "archive")]
    #[error("unsafe archive entry {entry:?}: {reason}")]
    UnsafeArchiveEntry {
        /// The entry's name as the archive gives it.
        entry: String,
        /// Why it was refused.
        reason: UnsafeEntry,
    },
    /// An archive could not be read: its format is not recognized, or its
    /// data is corrupt, truncated, encrypted or uses an unsupported feature.
    #[cfg(feature = "archive")]
    #[error("invalid {format} archive: {reason}")]
    InvalidArchive {
        /// The format being read (`tar`, `tar.gz`, `zip`, an adapter's name,
        /// or `unknown`).
        format: String,
        /// What is wrong.
        reason: String,
    },
    /// A reader or writer that the caller supplied (an archive's source or
    /// destination) failed. Only the archive functions (feature `archive`)
    /// build it today.
    #[error("I/O error: {source}")]
    Io {
        /// The kind of `source`.
        kind: ErrorKind,
        /// The `std::io::Error` the reader or writer returned.
        source: ErrorSource,
    },
}

/// Why an archive entry was refused ([`Error::UnsafeArchiveEntry`]).
#[cfg(feature = "archive")]
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
            Error::WriterSpawn { source } => source.io_kind().unwrap_or(ErrorKind::Other),
            #[cfg(feature = "archive")]
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

    /// [`Error::InvalidInput`] refused by this crate's own check (no lower
    /// error).
    pub(crate) fn invalid(path: impl Into<String>, reason: impl Into<String>) -> Self {
        Error::InvalidInput {
            path: path.into(),
            reason: reason.into(),
            source: None,
        }
    }

    /// [`Error::Unsupported`] refused by this crate's own check (no lower
    /// error).
    pub(crate) fn unsupported(path: impl Into<String>, reason: impl Into<String>) -> Self {
        Error::Unsupported {
            path: path.into(),
            reason: reason.into(),
            source: None,
        }
    }

    /// [`Error::Io`] keeping `err` as its source.
    #[cfg(feature = "archive")]
    pub(crate) fn io(err: io::Error) -> Self {
        Error::Io {
            kind: err.kind(),
            source: ErrorSource::new(Lower::Io(err)),
        }
    }

    /// [`Error::WriterSpawn`] keeping `err`, the failed spawn's error.
    pub(crate) fn writer_spawn(err: io::Error) -> Self {
        Error::WriterSpawn {
            source: ErrorSource::new(Lower::Io(err)),
        }
    }

    /// Converts a storage failure on the file at `path`.
    pub(crate) fn from_storage(path: &str, err: StorageError) -> Self {
        let path = path.to_owned();
        let (reason, refused_input) = match &err {
            StorageError::Quota(q) => return (*q).into(),
            StorageError::AllocationFailed { bytes } => {
                return Error::OutOfMemory {
                    path,
                    bytes: *bytes,
                }
            }
            StorageError::RandomWriteUnsupported { offset, len, size } => (
                format!(
                    "write of {len} bytes at offset {offset} of a {size}-byte file: sequential storage only appends (at offset {size})"
                ),
                false,
            ),
            StorageError::PromotionLimit { size, limit } => (
                format!(
                    "random-access write needs promotion of a {size}-byte file, over the promotion limit of {limit} bytes"
                ),
                false,
            ),
            StorageError::TooLarge { offset, len } => (
                format!("{len} bytes at offset {offset} exceed the largest file size"),
                true,
            ),
        };
        let source = Some(ErrorSource::new(Lower::Storage(err)));
        if refused_input {
            Error::InvalidInput {
                path,
                reason,
                source,
            }
        } else {
            Error::Unsupported {
                path,
                reason,
                source,
            }
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
        let (PathError::Nul { path } | PathError::EscapesRoot { path }) = &err;
        Error::InvalidInput {
            path: path.clone(),
            reason: err.to_string(),
            source: Some(ErrorSource::new(Lower::Path(err))),
        }
    }
}

impl From<TreeError> for Error {
    fn from(err: TreeError) -> Self {
        let (path, reason) = match err {
            TreeError::NotFound { path } => return Error::NotFound { path },
            TreeError::AlreadyExists { path } => return Error::AlreadyExists { path },
            TreeError::NotADirectory { path } => return Error::NotADirectory { path },
            TreeError::IsADirectory { path } => return Error::IsADirectory { path },
            TreeError::InvalidPath(p) => return p.into(),
            TreeError::IntoOwnSubtree { ref src, ref dst } => (
                dst.clone(),
                format!("cannot move {src} into its own subtree"),
            ),
            TreeError::RootNotAllowed { ref path } => (
                path.clone(),
                "the root directory cannot be removed, renamed or replaced".to_owned(),
            ),
            TreeError::InvalidPattern {
                ref pattern,
                ref reason,
            } => (pattern.clone(), reason.clone()),
        };
        Error::InvalidInput {
            path,
            reason,
            source: Some(ErrorSource::new(Lower::Tree(err))),
        }
    }
}

impl From<Error> for std::io::Error {
    fn from(err: Error) -> Self {
        std::io::Error::new(err.kind(), err)
    }
}

/// A lower-level error kept as an [`Error`]'s source: a
/// [`TreeError`](crate::TreeError), [`PathError`](crate::PathError),
/// [`StorageError`](crate::StorageError) or [`std::io::Error`].
///
/// It dereferences to that error, so [`std::error::Error::source`] on the
/// [`Error`] returns the lower error itself, to `downcast_ref` to its type.
/// It keeps the [`Error`] `Clone` and `PartialEq` although `std::io::Error`
/// is neither: a clone shares the lower error, and two I/O errors are equal
/// when their kinds and messages are. It is one pointer wide (the lower error
/// lives behind an `Arc`), so it adds little to every `Result` of the API.
///
/// ```
/// use std::error::Error as _;
/// use dmemfs::{MemoryFileSystem, TreeError};
///
/// let fs = MemoryFileSystem::new();
/// let err = fs.rename("/", "/elsewhere").unwrap_err();
/// let lower = err.source().and_then(|s| s.downcast_ref::<TreeError>());
/// assert!(matches!(lower, Some(TreeError::RootNotAllowed { .. })));
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct ErrorSource(Arc<Lower>);

enum Lower {
    Path(PathError),
    Tree(TreeError),
    Storage(StorageError),
    Io(io::Error),
}

impl ErrorSource {
    fn new(lower: Lower) -> Self {
        ErrorSource(Arc::new(lower))
    }

    /// The kind of an I/O source; `None` for the other lower errors.
    fn io_kind(&self) -> Option<ErrorKind> {
        match &*self.0 {
            Lower::Io(e) => Some(e.kind()),
            Lower::Path(_) | Lower::Tree(_) | Lower::Storage(_) => None,
        }
    }
}

impl Deref for ErrorSource {
    type Target = dyn std::error::Error + Send + Sync + 'static;

    fn deref(&self) -> &Self::Target {
        match &*self.0 {
            Lower::Path(e) => e,
            Lower::Tree(e) => e,
            Lower::Storage(e) => e,
            Lower::Io(e) => e,
        }
    }
}

impl fmt::Debug for ErrorSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

impl fmt::Display for ErrorSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&**self, f)
    }
}

impl PartialEq for Lower {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (Lower::Path(a), Lower::Path(b)) => a == b,
            (Lower::Tree(a), Lower::Tree(b)) => a == b,
            (Lower::Storage(a), Lower::Storage(b)) => a == b,
            (Lower::Io(a), Lower::Io(b)) => a.kind() == b.kind() && a.to_string() == b.to_string(),
            _ => false,
        }
    }
}

impl Eq for Lower {}
