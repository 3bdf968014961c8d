//! Random-access storage: one contiguous buffer overwritten in place.
//!
//! Invariants: `len` always equals the buffer's length once the write lock is
//! released (it is stored while the lock is held), so a reader holding the
//! read lock sees the two agree, and `len()` can be read without any lock.
//! Only the storage's single writer calls the `&self` mutators; readers take
//! the read side of the lock and never wait for anything but a write in
//! progress.

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

    /// A copy of up to `max` bytes from `offset`, allocated by `try_reserve`:
    /// an allocator refusal is an error, not an abort.
    pub(crate) fn read_bytes(&self, offset: u64, max: usize) -> Result<Bytes, StorageError> {
        let data = read(&self.data);
        let src = tail(&data, offset);
        let src = &src[..src.len().min(max)];
        let len = src.len() as u64;
        let mut out = alloc::try_buffer(len, StorageError::TooLarge { offset, len })?;
        out.extend_from_slice(src);
        Ok(Bytes::from(out))
    }

    /// A copy of all the bytes, allocated by `try_reserve`: an allocator
    /// refusal is an error, not an abort.
    pub(crate) fn try_to_bytes(&self) -> Result<Bytes, StorageError> {
        self.read_bytes(0, usize::MAX)
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
mod tests {
    use super::*;

    #[test]
    fn overwrite_extend_and_gap() {
        let b = RandomAccessBuffer::from_vec(b"hello".to_vec());
        b.write_at(1, b"EL").expect("small");
        b.write_at(4, b"O!").expect("small");
        b.write_at(8, b"x").expect("small");
        assert_eq!(&b.try_to_bytes().expect("small")[..], b"hELlO!\0\0x");
        assert_eq!(b.len(), 9);
        let mut buf = [0u8; 4];
        assert_eq!(b.read_at(7, &mut buf), 2);
        assert_eq!(&buf[..2], b"\0x");
        assert_eq!(b.read_at(9, &mut buf), 0);
        assert_eq!(b.read_at(u64::MAX, &mut buf), 0);
        assert_eq!(&b.read_bytes(1, 3).expect("small")[..], b"ELl");
    }

    #[test]
    fn impossible_writes_change_nothing() {
        let b = RandomAccessBuffer::from_vec(b"abc".to_vec());
        assert_eq!(
            b.write_at(u64::MAX, b"xy"),
            Err(StorageError::TooLarge {
                offset: u64::MAX,
                len: 2
            })
        );
        assert!(matches!(
            b.write_at(1 << 62, b"x"),
            Err(StorageError::AllocationFailed { .. })
        ));
        assert!(b.resize(1 << 62).is_err());
        assert_eq!(&b.try_to_bytes().expect("small")[..], b"abc");
        assert_eq!(b.len(), 3);
    }

    #[test]
    fn resize_grows_with_zeros_and_frees_on_a_deep_cut() {
        let b = RandomAccessBuffer::from_vec(vec![7; 1000]);
        b.resize(1010).expect("small");
        assert_eq!(
            b.read_bytes(998, 100).expect("small")[..],
            [7, 7, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]
        );
        b.resize(600).expect("small");
        assert_eq!(b.len(), 600);
        assert!(b.capacity() >= 1010);
        b.resize(100).expect("small");
        assert_eq!(b.len(), 100);
        assert!(b.capacity() < 1000);
        assert_eq!(&b.try_to_bytes().expect("small")[..], &[7; 100][..]);
        b.resize(0).expect("small");
        assert!(b.try_to_bytes().expect("empty").is_empty());
        assert_eq!(b.capacity(), 0);
    }

    #[test]
    fn successive_cuts_keep_the_capacity_within_four_times_the_length() {
        let b = RandomAccessBuffer::from_vec(vec![1; 10_000]);
        let mut size = 10_000u64;
        while size > 10 {
            // Each cut keeps more than a quarter of the length before it.
            size = size * 3 / 10;
            b.resize(size).expect("small");
            assert!(
                b.capacity() as u64 <= 4 * size,
                "capacity {} for {size} bytes",
                b.capacity()
            );
        }
    }
}
