//! Writes at an offset: appends to a chunk list, promotion of an
//! [`StorageKind::Auto`] file to random access, and overwrites in place.
//! Called through `crate::FileWriteHold` only (see the parent module).

use std::sync::Arc;

use bytes::Bytes;
use dmemfs_quota::QuotaLedger;

use super::{Backend, FileStorage};
use crate::alloc;
use crate::chunk_list::ChunkList;
use crate::random_access::RandomAccessBuffer;
use crate::{StorageError, StorageKind};

/// Bytes handed to a write: borrowed ones are copied when stored, owned ones
/// can become a chunk as they are.
enum Payload<'a> {
    Borrowed(&'a [u8]),
    Owned(Bytes),
}

impl Payload<'_> {
    fn as_slice(&self) -> &[u8] {
        match self {
            Payload::Borrowed(s) => s,
            Payload::Owned(b) => b,
        }
    }

    fn into_bytes(self) -> Result<Bytes, StorageError> {
        match self {
            Payload::Borrowed(s) => alloc::copied(s),
            Payload::Owned(b) => Ok(b),
        }
    }
}

impl FileStorage {
    /// Writes `data` at `offset` and returns `data.len()`, charging `ledger`
    /// for the bytes (and chunk overhead) it adds.
    ///
    /// An append to sequential storage stores a copy of `data` as one chunk.
    /// Any other write needs random access: [`StorageKind::Sequential`] refuses
    /// it ([`StorageError::RandomWriteUnsupported`]), [`StorageKind::Auto`]
    /// first promotes the file (see [`StorageKind::Auto`]). A gap between the
    /// end and `offset` reads as zeros. Empty `data` changes nothing at any
    /// offset. On error nothing changes.
    pub(crate) fn write_at(
        &self,
        offset: u64,
        data: &[u8],
        ledger: &Arc<QuotaLedger>,
    ) -> Result<usize, StorageError> {
        self.write_payload(offset, Payload::Borrowed(data), ledger)
    }

    /// Like [`FileStorage::write_at`], but an append to sequential storage
    /// keeps `data` itself as the new chunk (no copy).
    pub(crate) fn write_bytes_at(
        &self,
        offset: u64,
        data: Bytes,
        ledger: &Arc<QuotaLedger>,
    ) -> Result<usize, StorageError> {
        self.write_payload(offset, Payload::Owned(data), ledger)
    }

    fn write_payload(
        &self,
        offset: u64,
        data: Payload<'_>,
        ledger: &Arc<QuotaLedger>,
    ) -> Result<usize, StorageError> {
        let n = data.as_slice().len();
        if n == 0 {
            return Ok(0);
        }
        let end = offset.checked_add(n as u64).ok_or(StorageError::TooLarge {
            offset,
            len: n as u64,
        })?;
        let state = self.state.load_full();
        match &*state {
            Backend::Sequential(list) if offset == list.len() => self.append(list, data, ledger)?,
            Backend::Sequential(list) if self.config.kind == StorageKind::Sequential => {
                return Err(StorageError::RandomWriteUnsupported {
                    offset,
                    len: n as u64,
                    size: list.len(),
                })
            }
            Backend::Sequential(list) => {
                self.promote(list, offset, end, data.as_slice(), ledger)?
            }
            Backend::RandomAccess(buf) => {
                let reservation = ledger.reserve(end.saturating_sub(buf.len()))?;
                buf.write_at(offset, data.as_slice())?;
                reservation.commit();
            }
        }
        Ok(n)
    }

    /// Appends `data` as one chunk.
    fn append(
        &self,
        list: &ChunkList,
        data: Payload<'_>,
        ledger: &Arc<QuotaLedger>,
    ) -> Result<(), StorageError> {
        let n = data.as_slice().len() as u64;
        let reservation = ledger.reserve(n.saturating_add(self.config.chunk_overhead))?;
        let next = list.appended(data.into_bytes()?)?;
        self.publish(Backend::Sequential(next));
        reservation.commit();
        ledger.add_chunks(1);
        Ok(())
    }

    /// Makes the chunks a random-access buffer, sharing their memory (see
    /// `RandomAccessBuffer::adopting`), with `data` written at `offset`
    /// (`end` = `offset + data.len()`).
    fn promote(
        &self,
        list: &ChunkList,
        offset: u64,
        end: u64,
        data: &[u8],
        ledger: &Arc<QuotaLedger>,
    ) -> Result<(), StorageError> {
        let len = list.len();
        let limit = self.config.promotion_hard_limit;
        if len > limit {
            return Err(StorageError::PromotionLimit { size: len, limit });
        }
        let ext = end.max(len) - len;
        // Adoption copies only the short chunks, but promotion asks for room
        // for a second copy of the file, as when it copied the file: a gate
        // that keeps a promotion from starting on a nearly full quota. A
        // later write's copy of a piece someone still holds (a `Bytes` kept
        // from an export) is not charged, like the kept `Bytes` itself.
        let mut reservation = ledger.reserve(len + ext)?;
        let buf = RandomAccessBuffer::adopting(list.chunk_bytes())?;
        buf.write_at(offset, data)?;
        self.publish(Backend::RandomAccess(Arc::new(buf)));
        reservation.commit_part(ext);
        reservation.release_part(len);
        reservation.commit();
        let chunks = list.count() as u64;
        ledger.release(self.config.chunk_overhead.saturating_mul(chunks));
        ledger.remove_chunks(chunks);
        Ok(())
    }
}
