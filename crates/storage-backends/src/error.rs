//! Why a storage operation was refused.
//!
//! Invariant: every operation that returns one of these errors has left the
//! file's content, its length and the quota ledger exactly as they were.

use dmemfs_quota::QuotaError;

/// Why a [`FileStorage`](crate::FileStorage) refused a mutation.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StorageError {
    /// The quota ledger had no room for the bytes (and chunk overhead) the
    /// operation would store.
    #[error(transparent)]
    Quota(#[from] QuotaError),

    /// A [`StorageKind::Sequential`](crate::StorageKind::Sequential) file was
    /// asked to write somewhere other than at its end.
    #[error("sequential storage cannot write {len} bytes at offset {offset} of a {size}-byte file: only appends (at offset {size}) are supported")]
    RandomWriteUnsupported {
        /// Where the refused write was to start.
        offset: u64,
        /// Bytes the refused write carried.
        len: u64,
        /// The file's length, where an append would have started.
        size: u64,
    },

    /// An [`StorageKind::Auto`](crate::StorageKind::Auto) file too large to
    /// convert to random-access storage was asked for a non-append write.
    #[error("a {size}-byte file cannot be promoted to random-access storage: the limit is {limit} bytes")]
    PromotionLimit {
        /// The file's length when the write was refused.
        size: u64,
        /// The configured `promotion_hard_limit`.
        limit: u64,
    },

    /// The memory allocator refused a buffer the operation needed.
    #[error("the allocator refused {bytes} bytes")]
    AllocationFailed {
        /// Bytes the refused allocation asked for.
        bytes: u64,
    },

    /// The operation would reach past the largest offset or buffer this
    /// storage can hold.
    #[error("{len} bytes at offset {offset} reach past the largest size storage can hold")]
    TooLarge {
        /// Where the refused operation was to start.
        offset: u64,
        /// Bytes the refused operation covered.
        len: u64,
    },
}
