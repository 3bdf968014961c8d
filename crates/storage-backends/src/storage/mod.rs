//! [`FileStorage`]: a file's data, sequential or random-access, behind one
//! lock-free publication point, with every stored byte charged to a quota
//! ledger.
//!
//! Invariants:
//! - `state` always holds a complete [`Backend`]; a reader `load`s it once and
//!   works on that snapshot, so it sees the file wholly before or wholly after
//!   any mutation (a sequential snapshot never changes at all);
//! - mutations run one at a time: only the holder of the file's write hold
//!   (`crate::FileWriteHold`, which the file's lock makes exclusive) calls
//!   them, so the storage needs no lock of its own; readers never wait for
//!   a mutation (sequential) or only for one in progress (random access);
//! - while the storage is charged to a ledger (after a successful mutation or
//!   `charge_to`, until `discharge_from`), the ledger holds exactly
//!   [`FileStorage::charge`] bytes and [`FileStorage::chunk_count`] chunks
//!   for it;
//! - a mutation reserves its quota once, before allocating anything, settles
//!   the ledger only after publishing, and on any error leaves content,
//!   length and ledger as they were.
//!
//! Anyone may call the reading methods, from any thread. The mutators are
//! this crate's (`write`: writes at an offset; `whole`: changes of the whole
//! content and of its charge), reached through `crate::FileWriteHold`.

mod whole;
mod write;

#[cfg(all(test, not(loom)))]
mod tests;

use std::fmt;
use std::sync::Arc;

use bytes::Bytes;

use crate::alloc;
use crate::chunk_list::ChunkList;
use crate::random_access::RandomAccessBuffer;
use crate::sync::Published;
use crate::{StorageConfig, StorageError};

/// The published state of a file's data.
enum Backend {
    Sequential(ChunkList),
    RandomAccess(Arc<RandomAccessBuffer>),
}

impl Backend {
    fn len(&self) -> u64 {
        match self {
            Backend::Sequential(list) => list.len(),
            Backend::RandomAccess(buf) => buf.len(),
        }
    }

    fn chunk_count(&self) -> u64 {
        match self {
            Backend::Sequential(list) => list.count() as u64,
            Backend::RandomAccess(_) => 0,
        }
    }

    fn is_sequential(&self) -> bool {
        matches!(self, Backend::Sequential(_))
    }

    /// What this content costs: see [`Cost`].
    fn cost(&self, chunk_overhead: u64) -> Cost {
        Cost::of(self.len(), self.chunk_count(), chunk_overhead)
    }
}

/// The quota arithmetic of stored data, in one place: a file is charged its
/// length plus `chunk_overhead` for each chunk of sequential storage (none
/// for random access).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Cost {
    bytes: u64,
    chunks: u64,
}

impl Cost {
    fn of(len: u64, chunks: u64, chunk_overhead: u64) -> Cost {
        Cost {
            bytes: len.saturating_add(chunk_overhead.saturating_mul(chunks)),
            chunks,
        }
    }

    /// `len` bytes stored in one piece: one chunk when sequential and not
    /// empty, none otherwise.
    fn in_one_piece(sequential: bool, len: u64, chunk_overhead: u64) -> Cost {
        Cost::of(len, u64::from(sequential && len > 0), chunk_overhead)
    }
}

/// The data of one file, charged byte for byte to a quota ledger.
///
/// Reads are lock-free for sequential storage and take a shared lock for
/// random-access storage. Mutations are made through the file's
/// `FileWriteHold`, one at a time.
pub struct FileStorage {
    config: StorageConfig,
    state: Published<Backend>,
}

impl fmt::Debug for FileStorage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = self.state.load();
        f.debug_struct("FileStorage")
            .field("config", &self.config)
            .field("len", &state.len())
            .field("chunks", &state.chunk_count())
            .field("random_access", &!state.is_sequential())
            .finish()
    }
}

impl FileStorage {
    /// An empty file: a chunk list for [`StorageKind::Auto`] and
    /// [`StorageKind::Sequential`], a buffer for [`StorageKind::RandomAccess`].
    /// It costs nothing, so it needs no charging.
    ///
    /// [`StorageKind::Auto`]: crate::StorageKind::Auto
    /// [`StorageKind::Sequential`]: crate::StorageKind::Sequential
    /// [`StorageKind::RandomAccess`]: crate::StorageKind::RandomAccess
    pub fn new(config: StorageConfig) -> FileStorage {
        let backend = if config.starts_sequential() {
            Backend::Sequential(ChunkList::new())
        } else {
            Backend::RandomAccess(Arc::new(RandomAccessBuffer::from_vec(Vec::new())))
        };
        Self::with_backend(config, backend)
    }

    /// A file holding `data`, charged to no ledger: the caller pays
    /// [`FileStorage::charge_for`] its length, reserved before the data was
    /// made.
    ///
    /// Sequential kinds keep `data` itself as the one chunk (no copy; no chunk
    /// if it is empty); [`StorageKind::RandomAccess`] makes it its buffer,
    /// taking `data`'s own memory when nothing else holds it and it has no
    /// spare capacity, else copying it (failing with
    /// [`StorageError::AllocationFailed`] if the allocator refuses).
    ///
    /// [`StorageKind::RandomAccess`]: crate::StorageKind::RandomAccess
    pub fn from_bytes(config: StorageConfig, data: Bytes) -> Result<FileStorage, StorageError> {
        let backend = if config.starts_sequential() {
            Backend::Sequential(ChunkList::from_bytes(data)?)
        } else {
            let buf = alloc::exact_buffer(data)?;
            Backend::RandomAccess(Arc::new(RandomAccessBuffer::from_vec(buf)))
        };
        Ok(Self::with_backend(config, backend))
    }

    /// Like [`FileStorage::from_bytes`] with a copy of `data`, allocated so
    /// that a refusal is [`StorageError::AllocationFailed`], not an abort.
    pub fn from_slice(config: StorageConfig, data: &[u8]) -> Result<FileStorage, StorageError> {
        Self::from_bytes(config, alloc::copied(data)?)
    }

    /// Like [`FileStorage::from_bytes`] with `len` zeros, allocated so that
    /// a refusal is an error ([`StorageError::AllocationFailed`], or
    /// [`StorageError::TooLarge`] past the largest buffer), not an abort.
    pub fn zeroed(config: StorageConfig, len: u64) -> Result<FileStorage, StorageError> {
        let zeros = alloc::zeroed(len, StorageError::TooLarge { offset: 0, len })?;
        Self::from_bytes(config, zeros)
    }

    fn with_backend(config: StorageConfig, backend: Backend) -> FileStorage {
        FileStorage {
            config,
            state: Published::new(Arc::new(backend)),
        }
    }

    /// The quota that [`FileStorage::from_bytes`] of `len` bytes costs under
    /// `config`: `len` plus one chunk's overhead for sequential kinds
    /// (nothing for an empty file), `len` alone for
    /// [`StorageKind::RandomAccess`](crate::StorageKind::RandomAccess).
    pub fn charge_for(config: StorageConfig, len: u64) -> u64 {
        Cost::in_one_piece(config.starts_sequential(), len, config.chunk_overhead).bytes
    }

    /// The file's length in bytes. Lock-free.
    pub fn len(&self) -> u64 {
        self.state.load().len()
    }

    /// Whether the file has no bytes. Lock-free.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Stored chunks: 0 for random-access storage. Lock-free.
    pub fn chunk_count(&self) -> u64 {
        self.state.load().chunk_count()
    }

    /// The quota this file holds: its length, plus
    /// [`StorageConfig::chunk_overhead`] per chunk while sequential.
    /// Lock-free.
    pub fn charge(&self) -> u64 {
        self.state.load().cost(self.config.chunk_overhead).bytes
    }

    /// Whether the data is in a random-access buffer (always for
    /// [`StorageKind::RandomAccess`](crate::StorageKind::RandomAccess);
    /// after promotion for [`StorageKind::Auto`](crate::StorageKind::Auto)).
    /// Lock-free.
    pub fn is_random_access(&self) -> bool {
        !self.state.load().is_sequential()
    }

    /// The configuration the file was created with.
    pub fn config(&self) -> StorageConfig {
        self.config
    }

    /// Copies up to `buf.len()` bytes starting at `offset` into `buf` and
    /// returns how many; 0 at or past the end.
    pub fn read_at(&self, offset: u64, buf: &mut [u8]) -> usize {
        match &**self.state.load() {
            Backend::Sequential(list) => list.read_at(offset, buf),
            Backend::RandomAccess(b) => b.read_at(offset, buf),
        }
    }

    /// Appends the bytes from `offset` to the end onto `out` and returns how
    /// many (0 at or past the end), as `std::fs::File`'s `read_to_end` does:
    /// room for all of them is reserved once, from one load of the content,
    /// and they are copied without zero-filling. A reservation the allocator
    /// refuses is [`StorageError::AllocationFailed`], with `out` unchanged.
    pub fn read_to_end_at(&self, offset: u64, out: &mut Vec<u8>) -> Result<usize, StorageError> {
        match &**self.state.load() {
            Backend::Sequential(list) => list.read_to_end_at(offset, out),
            Backend::RandomAccess(b) => b.read_to_end_at(offset, out),
        }
    }

    /// Up to `max` bytes starting at `offset`; empty at or past the end. When
    /// the range lies inside one stored chunk the result shares its memory
    /// (no copy); otherwise the bytes are copied once, and a copy the
    /// allocator refuses is [`StorageError::AllocationFailed`], not an abort.
    pub fn read_bytes(&self, offset: u64, max: usize) -> Result<Bytes, StorageError> {
        match &**self.state.load() {
            Backend::Sequential(list) => list.read_bytes(offset, max),
            Backend::RandomAccess(b) => b.read_bytes(offset, max),
        }
    }

    /// The whole content; shares the stored memory when the file has at most
    /// one chunk, else one copy, and a copy the allocator refuses is
    /// [`StorageError::AllocationFailed`] instead of an abort.
    pub fn try_to_bytes(&self) -> Result<Bytes, StorageError> {
        match &**self.state.load() {
            Backend::Sequential(list) => list.try_to_bytes(),
            Backend::RandomAccess(b) => b.try_to_bytes(),
        }
    }

    /// A copy of the whole content in a buffer of its own, allocated so that
    /// a refusal is [`StorageError::AllocationFailed`] instead of an abort.
    pub fn try_to_vec(&self) -> Result<Vec<u8>, StorageError> {
        match &**self.state.load() {
            Backend::Sequential(list) => list.try_to_vec(),
            Backend::RandomAccess(b) => b.try_to_vec(),
        }
    }

    /// One load of the published state: its length, its chunk count, and
    /// the bytes read from that same load. For the loom models.
    #[cfg(loom)]
    pub(crate) fn model_snapshot(&self) -> (u64, u64, Bytes) {
        let state = self.state.load();
        let bytes = match &**state {
            Backend::Sequential(list) => list.try_to_bytes(),
            Backend::RandomAccess(b) => b.try_to_bytes(),
        }
        .expect("a model's file is a few bytes");
        (state.len(), state.chunk_count(), bytes)
    }

    fn publish(&self, backend: Backend) {
        self.state.store(Arc::new(backend));
    }
}
