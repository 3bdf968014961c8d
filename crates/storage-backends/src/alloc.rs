//! Buffers for stored data, allocated so that a refusal is an error.
//!
//! Invariant: every buffer that holds (or may grow to hold) a file's bytes,
//! or a copy of them that a read returns, is obtained here with
//! `try_reserve*`, never with an allocation that aborts the process when
//! memory runs out. Anyone in the crate may call these; none of
//! them touches a ledger (callers reserve quota first).

use bytes::Bytes;

use crate::StorageError;

/// The largest buffer a `Vec<u8>` may hold.
const MAX_BUFFER: u64 = isize::MAX as u64;

/// `n` as a buffer length, or `None` if no `Vec<u8>` can be that long.
pub(crate) fn buffer_len(n: u64) -> Option<usize> {
    if n > MAX_BUFFER {
        return None;
    }
    usize::try_from(n).ok()
}

/// An empty buffer with room for exactly `capacity` bytes; `too_large` if no
/// buffer can be that long.
pub(crate) fn try_buffer(capacity: u64, too_large: StorageError) -> Result<Vec<u8>, StorageError> {
    let cap = buffer_len(capacity).ok_or(too_large)?;
    exact(cap)
}

/// An empty buffer with room for exactly `cap` bytes.
fn exact(cap: usize) -> Result<Vec<u8>, StorageError> {
    let mut buf = Vec::new();
    buf.try_reserve_exact(cap)
        .map_err(|_| StorageError::AllocationFailed { bytes: cap as u64 })?;
    Ok(buf)
}

/// `n` zero bytes in a buffer of their own.
pub(crate) fn zeroed(n: u64, too_large: StorageError) -> Result<Bytes, StorageError> {
    let len = buffer_len(n).ok_or(too_large)?;
    let mut buf = exact(len)?;
    // The capacity is there, so this writes zeros without allocating.
    buf.resize(len, 0);
    Ok(Bytes::from(buf))
}

/// A copy of `data` in a buffer of its own.
pub(crate) fn copied(data: &[u8]) -> Result<Bytes, StorageError> {
    let mut buf = exact(data.len())?;
    buf.extend_from_slice(data);
    Ok(Bytes::from(buf))
}

/// `data` as a buffer of exactly its length: its own memory, without a
/// copy, when nothing else holds it and it has no spare capacity; else a
/// copy. So storing it never keeps memory beyond its length, nor a second
/// copy of bytes its owner has handed over.
pub(crate) fn exact_buffer(data: Bytes) -> Result<Vec<u8>, StorageError> {
    let shared = match data.try_into_mut() {
        Ok(unique) => {
            let buf = Vec::from(unique);
            if buf.capacity() == buf.len() {
                return Ok(buf);
            }
            let mut copy = exact(buf.len())?;
            copy.extend_from_slice(&buf);
            return Ok(copy);
        }
        Err(shared) => shared,
    };
    let mut copy = exact(shared.len())?;
    copy.extend_from_slice(&shared);
    Ok(copy)
}

/// Grows `buf` to `new_len` bytes, the new ones zero. Amortized growth is
/// tried first; if the allocator refuses the doubled size, exactly what is
/// needed is tried before giving up. On error `buf` is unchanged.
pub(crate) fn grow_zeroed(buf: &mut Vec<u8>, new_len: usize) -> Result<(), StorageError> {
    let additional = new_len.saturating_sub(buf.len());
    if additional == 0 {
        return Ok(());
    }
    if buf.try_reserve(additional).is_err() {
        buf.try_reserve_exact(additional)
            .map_err(|_| StorageError::AllocationFailed {
                bytes: additional as u64,
            })?;
    }
    buf.resize(new_len, 0);
    Ok(())
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn zeroed_and_copied_have_exact_contents() {
        let too_large = StorageError::TooLarge { offset: 0, len: 0 };
        assert_eq!(&zeroed(5, too_large.clone()).expect("small")[..], &[0; 5]);
        assert_eq!(&copied(b"abc").expect("small")[..], b"abc");
        assert!(zeroed(0, too_large).expect("empty").is_empty());
    }

    #[test]
    fn exact_buffer_takes_a_unique_buffer_and_copies_anything_else() {
        let owned = Bytes::from(vec![1u8; 100]);
        let at = owned.as_ptr();
        let buf = exact_buffer(owned).expect("small");
        assert_eq!((buf.as_ptr(), buf.len(), buf.capacity()), (at, 100, 100));

        let mut roomy = Vec::with_capacity(1000);
        roomy.extend_from_slice(&[2u8; 10]);
        let buf = exact_buffer(Bytes::from(roomy)).expect("small");
        assert_eq!(
            (buf.len(), buf.capacity()),
            (10, 10),
            "no spare capacity kept"
        );

        let shared = Bytes::from(vec![3u8; 100]);
        let buf = exact_buffer(shared.clone()).expect("small");
        assert_ne!(buf.as_ptr(), shared.as_ptr(), "a shared buffer is copied");
        assert_eq!((&buf[..], buf.capacity()), (&shared[..], 100));
        let slice = exact_buffer(shared.slice(10..20)).expect("small");
        assert_eq!((&slice[..], slice.capacity()), (&[3u8; 10][..], 10));
    }

    #[test]
    fn impossible_sizes_are_errors_not_aborts() {
        let too_large = StorageError::TooLarge { offset: 1, len: 2 };
        assert_eq!(try_buffer(u64::MAX, too_large.clone()), Err(too_large));
        assert_eq!(
            try_buffer(1 << 62, StorageError::TooLarge { offset: 0, len: 0 }).map(|_| ()),
            Err(StorageError::AllocationFailed { bytes: 1 << 62 })
        );
        let mut buf = vec![1u8; 3];
        assert!(grow_zeroed(&mut buf, 1 << 62).is_err());
        assert_eq!(buf, [1, 1, 1]);
        grow_zeroed(&mut buf, 5).expect("small");
        assert_eq!(buf, [1, 1, 1, 0, 0]);
    }
}
