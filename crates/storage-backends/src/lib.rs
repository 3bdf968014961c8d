//! The file of dmemfs: its data, its lock, its metadata, and what it costs.
//!
//! A [`File`] is what a tree maps a path to (it knows no path and no
//! filesystem). Its lock is taken through owned holds, [`FileReadHold`] and
//! [`FileWriteHold`], given back when dropped; the write hold is the only way
//! to change the content, and each of its mutations reserves the quota it
//! costs itself. The lock tells handles, transient readers and writers, and
//! the tree writer apart ([`Holder`]), so the tree writer is refused by an
//! open handle but waits out a read without one.
//!
//! A [`FileStorage`] holds one file's bytes in one of two forms, chosen by its
//! [`StorageConfig`]:
//!
//! - **sequential**: an append-only list of immutable chunks, published
//!   lock-free, so readers never wait and appends of [`bytes::Bytes`] copy
//!   nothing;
//! - **random access**: one buffer overwritten in place.
//!
//! [`StorageKind::Auto`] starts sequential and converts (promotes) to random
//! access on the first write that is not an append.
//!
//! Every stored byte is charged to a [`dmemfs_quota::QuotaLedger`]: a write
//! reserves its quota before allocating, so an oversized write fails with a
//! quota error before any memory is taken, and every failed operation leaves
//! content, length and ledger as they were. Allocations of stored data, and
//! of the copies reads make, use `try_reserve`, so running out of memory is
//! an error, not an abort.

#![forbid(unsafe_code)]

mod alloc;
mod byte_slices;
mod chunk_list;
mod config;
mod error;
mod file;
mod random_access;
mod storage;
pub mod sync;

pub use config::{
    StorageConfig, StorageKind, DEFAULT_CHUNK_OVERHEAD, DEFAULT_PROMOTION_HARD_LIMIT,
};
pub use error::StorageError;
pub use file::{
    BorrowedReadHold, Busy, File, FileHold, FileReadHold, FileWriteHold, Holder, Holds,
    LockTimedOut,
};
pub use storage::FileStorage;

/// The internals the loom models in `loom-tests/` check. Built only with
/// `--cfg loom`; not part of the API.
#[cfg(loom)]
#[doc(hidden)]
pub mod loom_exports {
    use bytes::Bytes;

    use crate::FileStorage;

    pub use crate::file::lock::FileLock;

    /// One load of `storage`'s published state: its length, its chunk
    /// count, and the bytes read from that same load. A torn publication
    /// shows as bytes that disagree with the length.
    pub fn snapshot(storage: &FileStorage) -> (u64, u64, Bytes) {
        storage.model_snapshot()
    }
}
