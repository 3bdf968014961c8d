//! Random-access storage: one contiguous buffer overwritten in place.
//!
//! Invariants: `len` always equals the buffer's length once the write lock is
//! released (it is stored while the lock is held), so a reader holding the
//! read lock sees the two agree, and `len()` can be read without any lock.
//! Only the holder of the file's write hold calls the `&self` mutators (one
//! thread at a time); readers take the read side of the lock and never wait
//! for anything but a write in progress.

use bytes::Bytes;

use crate::alloc;
use crate::sync::{read, write, AtomicU64, Ordering, RwLock};
use crate::StorageError;

/// A file's bytes in one growable buffer.
#[derive(Debug)]
pub(crate) struct RandomAccessBuffer {
    data: RwLock<Vec<u8>>,
    len: AtomicU64,
}

impl RandomAccessBuffer {
    /// Takes `data` as the content.
    pub(crate) fn from_vec(data: Vec<u8>) -> Self {
        let len = data.len() as u64;
        Self {
            data: RwLock::new(data),
            len: AtomicU64::new(len),
        }
    }

    /// Bytes stored, without locking.
    pub(crate) fn len(&self) -> u64 {
        self.len.load(Ordering::Acquire)
    }

    /// Copies bytes from `offset` into `buf`; how many were copied.
    pub(crate) fn read_at(&self, offset: u64, buf: &mut [u8]) -> usize {
        let data = read(&self.data);
        let src = tail(&data, offset);
        let n = src.len().min(buf.len());
        buf[..n].copy_from_slice(&src[..n]);
        n
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
        let data = read(&self.data);
        let src = tail(&data, offset);
        alloc::reserve(out, src.len() as u64)?;
        out.extend_from_slice(src);
        Ok(src.len())
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
        let data = read(&self.data);
        let src = tail(&data, offset);
        let src = &src[..src.len().min(max)];
        let len = src.len() as u64;
        let mut out = alloc::try_buffer(len, StorageError::TooLarge { offset, len })?;
        out.extend_from_slice(src);
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
            .and_then(alloc::buffer_len)
            .ok_or(too_large)?;
        let start = end - src.len();
        let mut data = write(&self.data);
        if end > data.len() {
            alloc::grow_zeroed(&mut data, end)?;
        }
        data[start..end].copy_from_slice(src);
        self.len.store(data.len() as u64, Ordering::Release);
        Ok(())
    }

    /// Makes the content `size` bytes long: zero-extended or cut. A cut to a
    /// quarter of the buffer's capacity or less moves the content to a
    /// buffer of its own size, so the freed memory really goes back: the
    /// capacity stays under four times the length, however many cuts follow
    /// one another (unless the allocator refuses the smaller buffer), while
    /// a file cut and regrown around one size is not copied each time. On
    /// error nothing changes.
    pub(crate) fn resize(&self, size: u64) -> Result<(), StorageError> {
        let old = self.len();
        let new_len = alloc::buffer_len(size).ok_or(StorageError::TooLarge {
            offset: old.min(size),
            len: size.abs_diff(old),
        })?;
        let mut data = write(&self.data);
        if new_len > data.len() {
            alloc::grow_zeroed(&mut data, new_len)?;
        } else if new_len < data.len() {
            let shrink = new_len <= data.capacity() / 4;
            data.truncate(new_len);
            if shrink {
                // `shrink_to_fit` aborts if the allocator refuses; copying into
                // a fresh buffer can fail softly, keeping the larger one.
                if let Ok(mut fitted) = alloc::try_buffer(
                    size,
                    StorageError::TooLarge {
                        offset: 0,
                        len: size,
                    },
                ) {
                    fitted.extend_from_slice(&data);
                    *data = fitted;
                }
            }
        }
        self.len.store(data.len() as u64, Ordering::Release);
        Ok(())
    }

    /// The lock around the bytes, for tests that check a whole snapshot.
    #[cfg(all(test, not(loom)))]
    pub(crate) fn data_for_test(&self) -> &RwLock<Vec<u8>> {
        &self.data
    }

    /// Buffer capacity, for tests of the shrink rule.
    #[cfg(all(test, not(loom)))]
    pub(crate) fn capacity(&self) -> usize {
        read(&self.data).capacity()
    }
}

/// The bytes of `data` from `offset` on; empty at or past the end.
fn tail(data: &[u8], offset: u64) -> &[u8] {
    usize::try_from(offset)
        .ok()
        .and_then(|o| data.get(o..))
        .unwrap_or_default()
}

#[cfg(all(test, not(loom)))]
mod tests;
