//! Holds on a file's lock: the owned [`FileReadHold`] and [`FileWriteHold`],
//! and the borrowed [`BorrowedReadHold`].
//!
//! An owned hold keeps its file (an `Arc`); a borrowed one lives within
//! whatever keeps the file alive for its taker (a tree snapshot the taker
//! holds), so taking it writes no reference count. Every hold gives the
//! lock back when dropped, on every path, unwinding included. A write hold is the only way to change a
//! file's content or metadata: its mutators reserve the quota their change
//! costs, once, before allocating anything, and on any error leave content,
//! length and ledger as they were.

use std::ops::Deref;
use std::sync::Arc;

use bytes::Bytes;
use dmemfs_quota::{QuotaError, QuotaLedger};

use super::lock::Holder;
use super::File;
use crate::StorageError;

/// What every hold gives: the file it holds.
pub trait FileHold: Deref<Target = File> {
    /// The held file, to compare with what a tree maps a path to.
    fn file(&self) -> &Arc<File>;
}

/// A shared hold on a file's lock: nobody changes the content while it is
/// kept.
#[derive(Debug)]
pub struct FileReadHold {
    file: Arc<File>,
    holder: Holder,
}

impl FileReadHold {
    /// Wraps a shared hold `holder` has just taken on `file`'s lock.
    pub(super) fn adopt(file: Arc<File>, holder: Holder) -> Self {
        FileReadHold { file, holder }
    }
}

impl Drop for FileReadHold {
    fn drop(&mut self) {
        self.file.lock.unlock_read(self.holder);
    }
}

impl Deref for FileReadHold {
    type Target = File;

    fn deref(&self) -> &File {
        &self.file
    }
}

impl FileHold for FileReadHold {
    fn file(&self) -> &Arc<File> {
        &self.file
    }
}

/// A shared hold on a file's lock, borrowed from whatever keeps the file
/// alive (its taker found it in a tree snapshot it keeps meanwhile): for a
/// read that copies the content and lets go, without the two writes of the
/// file's reference count that an owned [`FileReadHold`] costs.
#[derive(Debug)]
pub struct BorrowedReadHold<'a> {
    file: &'a File,
    holder: Holder,
}

impl<'a> BorrowedReadHold<'a> {
    /// Wraps a shared hold `holder` has just taken on `file`'s lock.
    pub(super) fn adopt(file: &'a File, holder: Holder) -> Self {
        BorrowedReadHold { file, holder }
    }
}

impl Drop for BorrowedReadHold<'_> {
    fn drop(&mut self) {
        self.file.lock.unlock_read(self.holder);
    }
}

impl Deref for BorrowedReadHold<'_> {
    type Target = File;

    fn deref(&self) -> &File {
        self.file
    }
}

/// Who holds a write hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Writer {
    /// A handle or a transient writer.
    Holder(Holder),
    /// The tree writer, moving or unlinking the file.
    Relinker,
}

/// The exclusive hold on a file's lock: its holder alone reads or changes
/// the content while it is kept.
#[derive(Debug)]
pub struct FileWriteHold {
    file: Arc<File>,
    writer: Writer,
}

impl FileWriteHold {
    /// Wraps the exclusive hold `holder` has just taken on `file`'s lock.
    pub(super) fn adopt(file: Arc<File>, holder: Holder) -> Self {
        FileWriteHold {
            file,
            writer: Writer::Holder(holder),
        }
    }

    /// Wraps a nested hold the relinker has just taken on `file`'s lock.
    pub(super) fn adopt_relink(file: Arc<File>) -> Self {
        FileWriteHold {
            file,
            writer: Writer::Relinker,
        }
    }

    /// Writes `data` at `offset` and returns `data.len()`, charging `ledger`
    /// for what it adds; see [`crate::FileStorage`] for how each kind
    /// stores it. Records nothing in the metadata (see
    /// [`FileWriteHold::record_write`]).
    pub fn write_at(
        &self,
        offset: u64,
        data: &[u8],
        ledger: &Arc<QuotaLedger>,
    ) -> Result<usize, StorageError> {
        self.file.storage.write_at(offset, data, ledger)
    }

    /// Like [`FileWriteHold::write_at`], but an append to sequential storage
    /// keeps `data` itself as the new chunk (no copy).
    pub fn write_bytes_at(
        &self,
        offset: u64,
        data: Bytes,
        ledger: &Arc<QuotaLedger>,
    ) -> Result<usize, StorageError> {
        self.file.storage.write_bytes_at(offset, data, ledger)
    }

    /// Makes the file `size` bytes long: cut, or extended with zeros,
    /// charging `ledger` for growth and giving back what a cut frees.
    pub fn truncate(&self, size: u64, ledger: &Arc<QuotaLedger>) -> Result<(), StorageError> {
        self.file.storage.truncate(size, ledger)
    }

    /// Replaces the whole content with a copy of `data` in one step (a
    /// reader sees the old content or the new): the difference in cost is
    /// reserved before the copy is allocated.
    pub fn replace_with_copy(
        &self,
        data: &[u8],
        ledger: &Arc<QuotaLedger>,
    ) -> Result<(), StorageError> {
        self.file.storage.replace_with_copy(data, ledger)
    }

    /// Replaces the whole content with `len` zeros in one step, reserved
    /// before they are allocated.
    pub fn replace_with_zeros(
        &self,
        len: u64,
        ledger: &Arc<QuotaLedger>,
    ) -> Result<(), StorageError> {
        self.file.storage.replace_with_zeros(len, ledger)
    }

    /// Records a change of content: a new generation, a new `modified_at`,
    /// and the file is dirty.
    pub fn record_write(&self) {
        self.file.record_write();
    }

    /// Charges the file's whole current cost to `ledger` and counts its
    /// chunks there; for content the ledger has not paid for yet. Fails
    /// without changing anything if the ledger has no room.
    pub fn charge_to(&self, ledger: &QuotaLedger) -> Result<(), QuotaError> {
        self.file.storage.charge_to(ledger)
    }

    /// Gives the file's whole current cost and chunks back to `ledger`; for
    /// a file leaving its tree. The content stays readable.
    pub fn discharge_from(&self, ledger: &QuotaLedger) {
        self.file.storage.discharge_from(ledger);
    }

    /// Marks the file unlinked and drops its data, once the tree writer has
    /// published the file's removal (or replacement) and settled its charge
    /// in the ledger; the hold is given back after. When this hold is the
    /// only reference left, nothing else can reach the file, and its data
    /// goes with the hold instead, without the cost of publishing an empty
    /// storage. Only the relinker calls this, holding no other hold on the file.
    pub fn unlink(self) {
        debug_assert_eq!(
            self.writer,
            Writer::Relinker,
            "unlink without the relinker's hold"
        );
        if Arc::strong_count(&self.file) > 1 {
            self.file.unlink();
        }
    }
}

impl Drop for FileWriteHold {
    fn drop(&mut self) {
        match self.writer {
            Writer::Holder(holder) => self.file.lock.unlock_write(holder),
            Writer::Relinker => self.file.lock.unlock_relink(),
        }
    }
}

impl Deref for FileWriteHold {
    type Target = File;

    fn deref(&self) -> &File {
        &self.file
    }
}

impl FileHold for FileWriteHold {
    fn file(&self) -> &Arc<File> {
        &self.file
    }
}
