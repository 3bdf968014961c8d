//! Open modes, per-open options and the concurrency strategy.

use std::str::FromStr;
use std::time::Duration;

use crate::Error;

/// How [`crate::MemoryFileSystem::open`] opens a file (D-MemFS's binary modes).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OpenMode {
    /// `"rb"`: read an existing file; shares the file with other readers.
    Read,
    /// `"wb"`: create the file or truncate it to zero; exclusive.
    Write,
    /// `"ab"`: create the file if missing; every write goes to the end; exclusive.
    Append,
    /// `"r+b"`: read and write an existing file from the start; exclusive.
    ReadWrite,
    /// `"xb"`: create a new file, failing if it exists; exclusive.
    CreateNew,
}

impl OpenMode {
    /// The mode string D-MemFS uses for this mode.
    pub fn as_str(self) -> &'static str {
        match self {
            OpenMode::Read => "rb",
            OpenMode::Write => "wb",
            OpenMode::Append => "ab",
            OpenMode::ReadWrite => "r+b",
            OpenMode::CreateNew => "xb",
        }
    }

    /// Whether a handle in this mode may read.
    pub fn is_readable(self) -> bool {
        matches!(self, OpenMode::Read | OpenMode::ReadWrite)
    }

    /// Whether a handle in this mode may write (and so holds the file exclusively).
    pub fn is_writable(self) -> bool {
        !matches!(self, OpenMode::Read)
    }

    /// Whether opening in this mode creates a missing file.
    pub(crate) fn creates(self) -> bool {
        matches!(
            self,
            OpenMode::Write | OpenMode::Append | OpenMode::CreateNew
        )
    }
}

impl FromStr for OpenMode {
    type Err = Error;

    /// Parses `"rb"`, `"wb"`, `"ab"`, `"r+b"` or `"xb"`; anything else is
    /// [`Error::InvalidInput`].
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "rb" => Ok(OpenMode::Read),
            "wb" => Ok(OpenMode::Write),
            "ab" => Ok(OpenMode::Append),
            "r+b" => Ok(OpenMode::ReadWrite),
            "xb" => Ok(OpenMode::CreateNew),
            other => Err(Error::invalid(
                other,
                "unknown open mode; expected \"rb\", \"wb\", \"ab\", \"r+b\" or \"xb\"",
            )),
        }
    }
}

impl std::fmt::Display for OpenMode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Options of one open, builder style.
#[derive(Clone, Copy, Debug, Default)]
pub struct OpenOptions {
    pub(crate) preallocate: u64,
    pub(crate) lock_timeout: Option<Duration>,
}

impl OpenOptions {
    /// No preallocation, the filesystem's default lock timeout.
    pub fn new() -> Self {
        Self::default()
    }

    /// Grows the file with zeros to at least `bytes` after opening (charged to
    /// the quota; fails with `QuotaExceeded` if it does not fit). Only for
    /// modes that write: a [`OpenMode::Read`] open shares the file with other
    /// readers and never changes it, so it refuses a nonzero preallocation
    /// with `InvalidInput` (D-MemFS grows the file there).
    pub fn preallocate(mut self, bytes: u64) -> Self {
        self.preallocate = bytes;
        self
    }

    /// How long to wait for the file's lock: zero tries once; unset uses the
    /// filesystem's default.
    pub fn lock_timeout(mut self, t: Duration) -> Self {
        self.lock_timeout = Some(t);
        self
    }
}

/// How structural mutations (create, mkdir, remove, rename, copy, import…)
/// are applied. Readers never wait for either: they read the published
/// snapshot of the tree.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Concurrency {
    /// One writer thread applies every mutation, batching what is queued into
    /// one publication; callers send a message and wait for the reply.
    #[default]
    Actor,
    /// The caller applies its mutation inline under one global lock (the
    /// D-MemFS design), then publishes.
    GlobalLock,
}
