//! Random-access storage: a file's bytes in pieces overwritten in place
//! (the layout, and how a sequential file becomes one without a copy, is
//! [`pieces`]'s).
//!
//! Invariants: `len` always equals the pieces' length once the write lock
//! is released (it is stored while the lock is held), so a reader holding
//! the read lock sees the two agree, and `len()` can be read without any
//! lock. Only the holder of the file's write hold calls the `&self`
//! mutators (one thread at a time); readers take the read side of the lock
//! and never wait for anything but a write in progress.

mod pieces;

use bytes::Bytes;

use self::pieces::Pieces;
use crate::alloc;
use crate::byte_slices;
use crate::sync::{read, write, AtomicU64, Ordering, RwLock};
use crate::StorageError;

/// A file's bytes in pieces, behind one lock.
#[derive(Debug)]
pub(crate) struct RandomAccessBuffer {
    data: RwLock<Pieces>,
    len: AtomicU64,
}

impl RandomAccessBuffer {
    /// Takes `data` as the content.
    pub(crate) fn from_vec(data: Vec<u8>) -> Self {
        Self::with_pieces(Pieces::from_vec(data))
    }

    /// The bytes of `chunks` (in file order) as the content, sharing the
    /// chunks' memory instead of copying it (see [`pieces`]). An
    /// allocation refused is [`StorageError::AllocationFailed`].
    pub(crate) fn adopting<'a>(
        chunks: impl ExactSizeIterator<Item = &'a Bytes> + Clone,
    ) -> Result<Self, StorageError> {
        Pieces::adopting(chunks).map(Self::with_pieces)
    }

    fn with_pieces(pieces: Pieces) -> Self {
        Self {
            len: AtomicU64::new(pieces.len()),
            data: RwLock::new(pieces),
        }
    }

    /// Bytes stored, without locking.
    pub(crate) fn len(&self) -> u64 {
        self.len.load(Ordering::Acquire)
    }

    /// Copies bytes from `offset` into `buf`; how many were copied.
    pub(crate) fn read_at(&self, offset: u64, buf: &mut [u8]) -> usize {
        byte_slices::copy_into(read(&self.data).slices_from(offset), buf)
    }

    /// Appends the bytes from `offset` to the end onto `out` and returns how
    /// many, reserving room for them once; 0 at or past the end. A
    /// reservation the allocator refuses is
    /// [`StorageError::AllocationFailed`], with `out` unchanged.
    pub(crate) fn read_to_end_at(
        &self,
        offset: u64,
        out: &mut Vec<u8>,
    ) -> Result<usize, StorageError> {
        let pieces = read(&self.data);
        let want = pieces.len().saturating_sub(offset);
        alloc::reserve(out, want)?;
        // Reserved, so `want` is a buffer length.
        let want = want as usize;
        Ok(byte_slices::append_up_to(
            pieces.slices_from(offset),
            want,
            out,
        ))
    }

    /// A copy of up to `max` bytes from `offset`, allocated by `try_reserve`:
    /// an allocator refusal is an error, not an abort.
    pub(crate) fn read_bytes(&self, offset: u64, max: usize) -> Result<Bytes, StorageError> {
        self.copy_range(offset, max).map(Bytes::from)
    }

    /// A copy of all the bytes, allocated by `try_reserve`: an allocator
    /// refusal is an error, not an abort.
    pub(crate) fn try_to_bytes(&self) -> Result<Bytes, StorageError> {
        self.read_bytes(0, usize::MAX)
    }

    /// A copy of all the bytes in a buffer of their own, allocated like
    /// [`RandomAccessBuffer::try_to_bytes`].
    pub(crate) fn try_to_vec(&self) -> Result<Vec<u8>, StorageError> {
        self.copy_range(0, usize::MAX)
    }

    fn copy_range(&self, offset: u64, max: usize) -> Result<Vec<u8>, StorageError> {
        let pieces = read(&self.data);
        let len = pieces.len().saturating_sub(offset).min(max as u64);
        let mut out = alloc::try_buffer(len, StorageError::TooLarge { offset, len })?;
        // `try_buffer` succeeded, so `len` is a buffer length.
        byte_slices::append_up_to(pieces.slices_from(offset), len as usize, &mut out);
        Ok(out)
    }

    /// Writes `src` at `offset`, zero-filling any gap past the end. On error
    /// nothing changes.
    pub(crate) fn write_at(&self, offset: u64, src: &[u8]) -> Result<(), StorageError> {
        let too_large = StorageError::TooLarge {
            offset,
            len: src.len() as u64,
        };
        let end = offset
            .checked_add(src.len() as u64)
            .filter(|&end| alloc::buffer_len(end).is_some())
            .ok_or(too_large)?;
        let mut pieces = write(&self.data);
        pieces.write_at(offset, end, src)?;
        self.len.store(pieces.len(), Ordering::Release);
        Ok(())
    }

    /// Makes the content `size` bytes long: zero-extended or cut (see
    /// [`Pieces::fit_last`] for what a cut gives back). On error nothing
    /// changes.
    pub(crate) fn resize(&self, size: u64) -> Result<(), StorageError> {
        let old = self.len();
        if alloc::buffer_len(size).is_none() {
            return Err(StorageError::TooLarge {
                offset: old.min(size),
                len: size.abs_diff(old),
            });
        }
        let mut pieces = write(&self.data);
        if size > pieces.len() {
            pieces.grow_zeroed(size)?;
        } else if size < pieces.len() {
            pieces.cut(size);
            pieces.fit_last();
        }
        self.len.store(pieces.len(), Ordering::Release);
        Ok(())
    }

    /// The length and a copy of the bytes, from one read lock, for tests
    /// that check a whole snapshot.
    #[cfg(all(test, not(loom)))]
    pub(crate) fn snapshot_for_test(&self) -> (u64, Vec<u8>) {
        let pieces = read(&self.data);
        (
            self.len(),
            pieces.slices_from(0).flatten().copied().collect(),
        )
    }

    /// The pieces, for tests of the layout.
    #[cfg(all(test, not(loom)))]
    fn pieces_for_test(&self) -> crate::sync::RwLockReadGuard<'_, Pieces> {
        read(&self.data)
    }

    /// Memory the pieces keep, for tests of the shrink rule.
    #[cfg(all(test, not(loom)))]
    pub(crate) fn capacity(&self) -> usize {
        read(&self.data).capacity()
    }
}

#[cfg(all(test, not(loom)))]
mod tests;
