//! Changes of the whole content (truncation, replacement, dropping it) and
//! of its charge in a ledger. Called through `crate::FileWriteHold` only
//! (see the parent module).

use std::sync::Arc;

use bytes::Bytes;
use dmemfs_quota::{QuotaError, QuotaLedger};

use super::{Backend, Cost, FileStorage};
use crate::alloc;
use crate::chunk_list::ChunkList;
use crate::random_access::RandomAccessBuffer;
use crate::StorageError;

impl FileStorage {
    /// Makes the file `size` bytes long, charging `ledger` for growth and
    /// giving back what a cut frees.
    ///
    /// Sequential storage grows by one zero-filled chunk and shrinks by
    /// dropping chunks (a chunk cut in two is replaced by a copy of its kept
    /// part, so the cut-off memory is really freed); random-access storage
    /// zero-extends or cuts its buffer. On error nothing changes.
    pub(crate) fn truncate(
        &self,
        size: u64,
        ledger: &Arc<QuotaLedger>,
    ) -> Result<(), StorageError> {
        let state = self.state.load_full();
        let overhead = self.config.chunk_overhead;
        match &*state {
            Backend::Sequential(list) => {
                let len = list.len();
                if size > len {
                    let grow = size - len;
                    let reservation = ledger.reserve(grow.saturating_add(overhead))?;
                    let zeros = alloc::zeroed(
                        grow,
                        StorageError::TooLarge {
                            offset: len,
                            len: grow,
                        },
                    )?;
                    self.publish(Backend::Sequential(list.appended(zeros)?));
                    reservation.commit();
                    ledger.add_chunks(1);
                } else if size < len {
                    let (kept, dropped) = list.truncated(size)?;
                    self.publish(Backend::Sequential(kept));
                    let dropped = dropped as u64;
                    ledger.release((len - size).saturating_add(overhead.saturating_mul(dropped)));
                    ledger.remove_chunks(dropped);
                }
            }
            Backend::RandomAccess(buf) => {
                let len = buf.len();
                if size > len {
                    let reservation = ledger.reserve(size - len)?;
                    buf.resize(size)?;
                    reservation.commit();
                } else if size < len {
                    buf.resize(size)?;
                    ledger.release(len - size);
                }
            }
        }
        Ok(())
    }

    /// Replaces the whole content with `data` in one step: a reader sees the
    /// old content or the new, never a mix, and on error nothing changes.
    /// See [`FileStorage::replace_with`]. For tests: the crate replaces with
    /// copies or zeros.
    #[cfg(test)]
    pub(crate) fn replace(
        &self,
        data: Bytes,
        ledger: &Arc<QuotaLedger>,
    ) -> Result<(), StorageError> {
        let len = data.len() as u64;
        self.replace_with(len, || Ok(data), ledger)
    }

    /// Like [`FileStorage::replace`] with a copy of `data`, reserved before
    /// the copy is allocated.
    pub(crate) fn replace_with_copy(
        &self,
        data: &[u8],
        ledger: &Arc<QuotaLedger>,
    ) -> Result<(), StorageError> {
        self.replace_with(data.len() as u64, || alloc::copied(data), ledger)
    }

    /// Like [`FileStorage::replace`] with `len` zeros, reserved before they
    /// are allocated.
    pub(crate) fn replace_with_zeros(
        &self,
        len: u64,
        ledger: &Arc<QuotaLedger>,
    ) -> Result<(), StorageError> {
        let zeros = || alloc::zeroed(len, StorageError::TooLarge { offset: 0, len });
        self.replace_with(len, zeros, ledger)
    }

    /// Replaces the whole content with the `len` bytes `make` returns, in
    /// one step. The ledger is charged the difference between the new cost
    /// and the old, reserved once, before `make` allocates anything; the old
    /// content is freed when its last reader lets go.
    ///
    /// Sequential storage keeps the new bytes as its one chunk (no copy);
    /// random-access storage (a promoted
    /// [`StorageKind::Auto`](crate::StorageKind::Auto) file stays random
    /// access) makes them its new buffer, as [`FileStorage::from_bytes`]
    /// does.
    fn replace_with(
        &self,
        len: u64,
        make: impl FnOnce() -> Result<Bytes, StorageError>,
        ledger: &Arc<QuotaLedger>,
    ) -> Result<(), StorageError> {
        let state = self.state.load_full();
        let overhead = self.config.chunk_overhead;
        let new = Cost::in_one_piece(state.is_sequential(), len, overhead);
        let old = state.cost(overhead);
        let reservation = ledger.reserve(new.bytes.saturating_sub(old.bytes))?;
        let data = make()?;
        debug_assert_eq!(data.len() as u64, len, "made the wrong length");
        let next = match &*state {
            Backend::Sequential(_) => Backend::Sequential(ChunkList::from_bytes(data)?),
            Backend::RandomAccess(_) => Backend::RandomAccess(Arc::new(
                RandomAccessBuffer::from_vec(alloc::exact_buffer(data)?),
            )),
        };
        self.publish(next);
        reservation.commit();
        ledger.release(old.bytes.saturating_sub(new.bytes));
        ledger.remove_chunks(old.chunks);
        ledger.add_chunks(new.chunks);
        Ok(())
    }

    /// Drops the content: from now on the file reads as empty, and its
    /// memory is freed as soon as no reader holds the old content (a `Bytes`
    /// a read returned keeps what it points into). Touches no ledger: for a
    /// file no ledger is charged for any more, which others may still hold,
    /// such as a removed file that old snapshots of a tree still name.
    pub(crate) fn drop_content(&self) {
        let empty = if self.state.load().is_sequential() {
            Backend::Sequential(ChunkList::new())
        } else {
            Backend::RandomAccess(Arc::new(RandomAccessBuffer::from_vec(Vec::new())))
        };
        self.publish(empty);
    }

    /// Charges this file's whole current cost to `ledger` and counts its
    /// chunks there; for content loaded with [`FileStorage::from_bytes`].
    /// Fails without changing anything if the ledger has no room.
    pub(crate) fn charge_to(&self, ledger: &QuotaLedger) -> Result<(), QuotaError> {
        let cost = self.state.load().cost(self.config.chunk_overhead);
        ledger.charge(cost.bytes)?;
        ledger.add_chunks(cost.chunks);
        Ok(())
    }

    /// Gives this file's whole current cost and chunks back to `ledger`; for a
    /// file being removed. The content stays readable.
    pub(crate) fn discharge_from(&self, ledger: &QuotaLedger) {
        let cost = self.state.load().cost(self.config.chunk_overhead);
        ledger.release(cost.bytes);
        ledger.remove_chunks(cost.chunks);
    }
}
