//! Buffers for stored data, allocated so that a refusal is an error.
//!
//! Invariant: every buffer that holds (or may grow to hold) a file's bytes,
//! or a copy of them that a read returns, is obtained here with
//! `try_reserve*`, never with an allocation that aborts the process when
//! memory runs out. Anyone in the crate may call these; none of
//! them touches a ledger (callers reserve quota first).

use std::mem;

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

/// Makes room in `out` for `more` bytes past its length, growing it as
/// `Vec::try_reserve` does; for a read that appends content of a known
/// length to a caller's buffer. On error `out` is unchanged.
pub(crate) fn reserve(out: &mut Vec<u8>, more: u64) -> Result<(), StorageError> {
    let refused = || StorageError::AllocationFailed { bytes: more };
    let n = buffer_len(more).ok_or_else(refused)?;
    out.try_reserve(n).map_err(|_| refused())
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
    copied_vec(data).map(Bytes::from)
}

/// A copy of `data` in a `Vec` of exactly its length.
pub(crate) fn copied_vec(data: &[u8]) -> Result<Vec<u8>, StorageError> {
    let mut buf = exact(data.len())?;
    buf.extend_from_slice(data);
    Ok(buf)
}

/// `data` as a buffer of exactly its length: its own memory, without a
/// copy, when nothing else holds it and it has no spare capacity; else a
/// copy. So storing it never keeps memory beyond its length, nor a second
/// copy of bytes its owner has handed over.
pub(crate) fn exact_buffer(mut data: Bytes) -> Result<Vec<u8>, StorageError> {
    take_exact(&mut data)
}

/// [`exact_buffer`] of the bytes in `data`, leaving it empty on success;
/// on error (the copy refused) `data` is as it was.
pub(crate) fn take_exact(data: &mut Bytes) -> Result<Vec<u8>, StorageError> {
    match mem::take(data).try_into_mut() {
        Ok(unique) => {
            let buf = Vec::from(unique);
            if buf.capacity() == buf.len() {
                return Ok(buf);
            }
            let copy = copied_vec(&buf);
            if copy.is_err() {
                *data = Bytes::from(buf);
            }
            copy
        }
        Err(shared) => {
            let copy = copied_vec(&shared);
            *data = shared;
            copy
        }
    }
}

/// Grows `buf` to `new_len` bytes, the new ones zero. Its capacity at
/// least doubles, but not past `doubling_limit` (nor below `new_len`); if
/// the allocator refuses that, exactly what is needed is tried before
/// giving up. On error `buf` is unchanged.
pub(crate) fn grow_zeroed(
    buf: &mut Vec<u8>,
    new_len: usize,
    doubling_limit: usize,
) -> Result<(), StorageError> {
    let additional = new_len.saturating_sub(buf.len());
    if additional == 0 {
        return Ok(());
    }
    if new_len > buf.capacity() {
        let amortized = new_len.max(buf.capacity().saturating_mul(2).min(doubling_limit));
        if buf.try_reserve_exact(amortized - buf.len()).is_err() {
            buf.try_reserve_exact(additional)
                .map_err(|_| StorageError::AllocationFailed {
                    bytes: additional as u64,
                })?;
        }
    }
    buf.resize(new_len, 0);
    Ok(())
}

#[cfg(all(test, not(loom)))]
mod tests;
