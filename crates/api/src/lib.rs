//! dmemfs: an in-process virtual filesystem with a hard byte quota, built as
//! an actor-based concurrent storage engine.
//!
//! ```
//! use std::io::{Read, Write};
//! use dmemfs::{MemoryFileSystem, OpenMode};
//!
//! let fs = MemoryFileSystem::builder().max_quota(64 << 20).build()?;
//! fs.mkdir("/data", false)?;
//! let mut f = fs.open("/data/hello.bin", OpenMode::Write)?;
//! f.write_all(b"hello")?;
//! drop(f);
//! let mut text = String::new();
//! fs.open("/data/hello.bin", OpenMode::Read)?.read_to_string(&mut text)?;
//! assert_eq!(text, "hello");
//! assert!(fs.write("/big.bin", vec![0u8; 65 << 20]).unwrap_err().is_quota());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Design
//! - The tree is persistent (structural sharing): the single writer applies
//!   a mutation in O(log n) and publishes a new snapshot with `arc-swap`.
//!   Readers (`stat`, `listdir`, `walk`, `glob`, the exports, opens for
//!   reading) find their path in the snapshot without a lock and never wait
//!   for the writer thread (exports and opens still take the file's own
//!   lock), so `walk` and `glob` each see one consistent tree (D-MemFS's
//!   walk and glob do not).
//! - Structural mutations go to one writer thread ([`Concurrency::Actor`],
//!   default) or are applied inline under one lock
//!   ([`Concurrency::GlobalLock`], D-MemFS's design); both give the same
//!   results.
//! - File data is written in place by the handle holding the file's write
//!   lock; sequential files are lock-free chunk lists published with
//!   `arc-swap`.
//! - The per-file lock is writer-preferring: a waiting writer is not starved
//!   by a stream of readers (D-MemFS's lock can starve writers).
//! - Every byte stored is charged to an atomic ledger before it is allocated.
//! - An optional memory guard ([`FsBuilder::memory_guard`]) checks the quota,
//!   and optionally every growth, against the memory the process can get,
//!   container limits included.
//! - `archive` (feature `archive`, on by default) expands tar, tar.gz and
//!   zip archives (all or nothing, or streaming) with every entry checked
//!   and every byte bounded by the quota, and exports a subtree as an
//!   archive. Without the feature the crate needs no tar, flate2 or zip.

#![forbid(unsafe_code)]

#[cfg(feature = "archive")]
pub mod archive;
mod builder;
mod engine;
mod error;
mod export;
#[cfg(feature = "fault-injection")]
#[doc(hidden)]
pub mod fault;
mod fs;
mod fs_core;
mod handle;
mod metadata;
mod options;
mod sync;

pub use builder::{
    FsBuilder, DEFAULT_CHUNK_OVERHEAD, DEFAULT_LOCK_TIMEOUT, DEFAULT_MAX_QUOTA,
    DEFAULT_PROMOTION_HARD_LIMIT,
};
pub use bytes::Bytes;
pub use dmemfs_quota::{
    GuardAction, MemoryGuard, MemorySource, SystemMemory, DEFAULT_GUARD_INTERVAL,
};
pub use dmemfs_storage_backends::StorageKind;
// The lower errors an `ErrorSource` holds, so a caller can downcast
// `Error::source()` to them without depending on the crates below.
pub use dmemfs_core_tree::{PathError, TreeError};
pub use dmemfs_storage_backends::StorageError;
#[cfg(feature = "archive")]
pub use error::UnsafeEntry;
pub use error::{Error, ErrorSource, Result};
pub use export::ExportIter;
pub use fs::MemoryFileSystem;
pub use handle::FileHandle;
pub use metadata::{FsStats, Metadata};
pub use options::{Concurrency, OpenMode, OpenOptions};

pub(crate) use fs_core::FsCore;

/// The internals the loom models in `loom-tests/` check. Built only with
/// `--cfg loom`; not part of the API.
#[cfg(loom)]
#[doc(hidden)]
pub mod loom_exports {
    pub use crate::engine::reply::{ReplySender, ReplySlot, Wait};
    pub use crate::sync::channel::{channel, Arrival, Receiver, Sender, TryRecvError};
}
