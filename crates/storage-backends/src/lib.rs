//! The data of dmemfs files.
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

mod alloc;
mod chunk_list;
mod config;
mod error;
mod file_storage;
mod random_access;
pub mod sync;

pub use config::{
    StorageConfig, StorageKind, DEFAULT_CHUNK_OVERHEAD, DEFAULT_PROMOTION_HARD_LIMIT,
};
pub use error::StorageError;
pub use file_storage::FileStorage;

/// The internals the loom models in `loom-tests/` check. Built only with
/// `--cfg loom`; not part of the API.
#[cfg(loom)]
#[doc(hidden)]
pub mod loom_exports {
    use bytes::Bytes;

    use crate::FileStorage;

    /// One load of `storage`'s published state: its length, its chunk
    /// count, and the bytes read from that same load. A torn publication
    /// shows as bytes that disagree with the length.
    pub fn snapshot(storage: &FileStorage) -> (u64, u64, Bytes) {
        storage.model_snapshot()
    }
}
