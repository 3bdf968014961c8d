//! How a file stores its data, chosen when the file is created.
//!
//! Invariant: a [`StorageConfig`] never changes for the life of a
//! [`FileStorage`](crate::FileStorage): the quota charged for its chunks is
//! computed from `chunk_overhead`, so changing it later would unbalance the
//! ledger.

/// The default [`StorageConfig::chunk_overhead`]: bytes charged per stored chunk.
pub const DEFAULT_CHUNK_OVERHEAD: u64 = 128;

/// The default [`StorageConfig::promotion_hard_limit`]: 512 MiB.
pub const DEFAULT_PROMOTION_HARD_LIMIT: u64 = 512 * 1024 * 1024;

/// Which data structure holds a file's bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum StorageKind {
    /// Start sequential and convert to random access on the first write that
    /// is not an append (the "promotion").
    ///
    /// Suits files whose use is not known in advance: written front to back
    /// they keep the cheap, zero-copy chunk list; the first overwrite or
    /// write past the end copies the content once into a random-access buffer,
    /// which needs quota for a temporary second copy of the file while it
    /// happens. A file longer than
    /// [`StorageConfig::promotion_hard_limit`] is not promoted: the write
    /// fails with [`StorageError::PromotionLimit`](crate::StorageError::PromotionLimit).
    #[default]
    Auto,
    /// Append-only: a list of immutable chunks, one per write.
    ///
    /// Appends take no copy when given [`bytes::Bytes`], readers never block,
    /// and each chunk costs [`StorageConfig::chunk_overhead`] bytes of quota on
    /// top of its length. A write anywhere but at the end fails with
    /// [`StorageError::RandomWriteUnsupported`](crate::StorageError::RandomWriteUnsupported);
    /// truncation is allowed.
    Sequential,
    /// One contiguous buffer, overwritten in place.
    ///
    /// Every write at any offset is supported (a gap past the end reads as
    /// zeros) and the quota charge is exactly the file's length, but every
    /// write copies its data and readers briefly wait for a writer.
    RandomAccess,
}

/// The storage settings of one file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StorageConfig {
    /// Which data structure the file starts with.
    pub kind: StorageKind,
    /// Quota bytes charged for each chunk of sequential storage, on top of
    /// the chunk's length, so that many tiny writes cannot exhaust memory
    /// while looking cheap.
    pub chunk_overhead: u64,
    /// The largest length at which an [`StorageKind::Auto`] file may still be
    /// promoted to random-access storage.
    pub promotion_hard_limit: u64,
}

impl Default for StorageConfig {
    /// [`StorageKind::Auto`], [`DEFAULT_CHUNK_OVERHEAD`] and
    /// [`DEFAULT_PROMOTION_HARD_LIMIT`].
    fn default() -> Self {
        Self {
            kind: StorageKind::Auto,
            chunk_overhead: DEFAULT_CHUNK_OVERHEAD,
            promotion_hard_limit: DEFAULT_PROMOTION_HARD_LIMIT,
        }
    }
}

impl StorageConfig {
    /// Whether the file starts as a chunk list (every kind but
    /// [`StorageKind::RandomAccess`]).
    pub(crate) fn starts_sequential(&self) -> bool {
        self.kind != StorageKind::RandomAccess
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn default_is_auto_with_documented_numbers() {
        let c = StorageConfig::default();
        assert_eq!(c.kind, StorageKind::Auto);
        assert_eq!(c.chunk_overhead, 128);
        assert_eq!(c.promotion_hard_limit, 512 << 20);
        assert_eq!(StorageKind::default(), StorageKind::Auto);
    }
}
