//! A file's data: sequential or random-access storage behind one lock-free
//! publication point, with every stored byte charged to a quota ledger.
//!
//! Invariants:
//! - `state` always holds a complete [`Backend`]; a reader `load`s it once and
//!   works on that snapshot, so it sees the file wholly before or wholly after
//!   any mutation (a sequential snapshot never changes at all);
//! - mutations run one at a time under `writer`; readers never take it;
//! - while the storage is charged to a ledger (after a successful mutation or
//!   [`FileStorage::charge_to`], until [`FileStorage::discharge_from`]), the
//!   ledger holds exactly [`FileStorage::charge`] bytes and
//!   [`FileStorage::chunk_count`] chunks for it;
//! - a mutation reserves its quota before allocating anything, settles the
//!   ledger only after publishing, and on any error leaves content, length and
//!   ledger as they were.
//!
//! Anyone may call the reading methods from any thread; mutators may also be
//! called from any thread, and serialize among themselves.

use std::fmt;
use std::sync::Arc;

use bytes::Bytes;
use dmemfs_quota::{QuotaError, QuotaLedger};

use crate::alloc;
use crate::chunk_list::ChunkList;
use crate::random_access::RandomAccessBuffer;
use crate::sync::{lock, Mutex, Published};
use crate::{StorageConfig, StorageError, StorageKind};

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

    fn charge(&self, chunk_overhead: u64) -> u64 {
        self.len()
            .saturating_add(chunk_overhead.saturating_mul(self.chunk_count()))
    }
}

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

/// The data of one file, charged byte for byte to a quota ledger.
///
/// Reads are lock-free for sequential storage and take a shared lock for
/// random-access storage; writes are serialized internally, so a
/// `FileStorage` is safe to share between threads on its own.
pub struct FileStorage {
    config: StorageConfig,
    state: Published<Backend>,
    writer: Mutex<()>,
}

impl fmt::Debug for FileStorage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = self.state.load();
        f.debug_struct("FileStorage")
            .field("config", &self.config)
            .field("len", &state.len())
            .field("chunks", &state.chunk_count())
            .field(
                "random_access",
                &matches!(**state, Backend::RandomAccess(_)),
            )
            .finish()
    }
}

impl FileStorage {
    /// An empty file: a chunk list for [`StorageKind::Auto`] and
    /// [`StorageKind::Sequential`], a buffer for [`StorageKind::RandomAccess`].
    /// It costs nothing, so it needs no charging.
    pub fn new(config: StorageConfig) -> FileStorage {
        let backend = if config.starts_sequential() {
            Backend::Sequential(ChunkList::new())
        } else {
            Backend::RandomAccess(Arc::new(RandomAccessBuffer::from_vec(Vec::new())))
        };
        Self::with_backend(config, backend)
    }

    /// A file holding `data`, charged to no ledger: the caller charges it,
    /// with [`FileStorage::charge_to`] or by accounting
    /// [`FileStorage::charge_for`] itself.
    ///
    /// Sequential kinds keep `data` itself as the one chunk (no copy; no chunk
    /// if it is empty); [`StorageKind::RandomAccess`] makes it its buffer,
    /// taking `data`'s own memory when nothing else holds it and it has no
    /// spare capacity, else copying it (failing with
    /// [`StorageError::AllocationFailed`] if the allocator refuses).
    pub fn from_bytes(config: StorageConfig, data: Bytes) -> Result<FileStorage, StorageError> {
        let backend = if config.starts_sequential() {
            Backend::Sequential(ChunkList::from_bytes(data)?)
        } else {
            let buf = alloc::exact_buffer(data)?;
            Backend::RandomAccess(Arc::new(RandomAccessBuffer::from_vec(buf)))
        };
        Ok(Self::with_backend(config, backend))
    }

    fn with_backend(config: StorageConfig, backend: Backend) -> FileStorage {
        FileStorage {
            config,
            state: Published::new(Arc::new(backend)),
            writer: Mutex::new(()),
        }
    }

    /// The quota [`FileStorage::from_bytes`] of `len` bytes costs under
    /// `config`: `len` plus one chunk's overhead for sequential kinds (nothing
    /// for an empty file), `len` alone for [`StorageKind::RandomAccess`].
    pub fn charge_for(config: StorageConfig, len: u64) -> u64 {
        if config.starts_sequential() && len > 0 {
            len.saturating_add(config.chunk_overhead)
        } else {
            len
        }
    }

    /// Charges this file's whole current cost to `ledger` and counts its
    /// chunks there; for content loaded with [`FileStorage::from_bytes`].
    /// Fails without changing anything if the ledger has no room.
    pub fn charge_to(&self, ledger: &QuotaLedger) -> Result<(), QuotaError> {
        let _writer = lock(&self.writer);
        let state = self.state.load();
        ledger.charge(state.charge(self.config.chunk_overhead))?;
        ledger.add_chunks(state.chunk_count());
        Ok(())
    }

    /// Gives this file's whole current cost and chunks back to `ledger`; for a
    /// file being removed. The content stays readable.
    pub fn discharge_from(&self, ledger: &QuotaLedger) {
        let _writer = lock(&self.writer);
        let state = self.state.load();
        ledger.release(state.charge(self.config.chunk_overhead));
        ledger.remove_chunks(state.chunk_count());
    }

    /// Drops the content: from now on the file reads as empty, and its
    /// memory is freed as soon as no reader holds the old content (a `Bytes`
    /// a read returned keeps what it points into). Touches no ledger: for a
    /// file no ledger is charged for any more (after
    /// [`FileStorage::discharge_from`], or whose charge its owner settled
    /// otherwise), which others may still hold, such as a removed file that
    /// old snapshots of a tree still name.
    pub fn drop_content(&self) {
        let _writer = lock(&self.writer);
        let empty = match **self.state.load() {
            Backend::Sequential(_) => Backend::Sequential(ChunkList::new()),
            Backend::RandomAccess(_) => {
                Backend::RandomAccess(Arc::new(RandomAccessBuffer::from_vec(Vec::new())))
            }
        };
        self.publish(empty);
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
        self.state.load().charge(self.config.chunk_overhead)
    }

    /// Whether the data is in a random-access buffer (always for
    /// [`StorageKind::RandomAccess`]; after promotion for
    /// [`StorageKind::Auto`]). Lock-free.
    pub fn is_random_access(&self) -> bool {
        matches!(**self.state.load(), Backend::RandomAccess(_))
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

    /// Writes `data` at `offset` and returns `data.len()`, charging `ledger`
    /// for the bytes (and chunk overhead) it adds.
    ///
    /// An append to sequential storage stores a copy of `data` as one chunk.
    /// Any other write needs random access: [`StorageKind::Sequential`] refuses
    /// it ([`StorageError::RandomWriteUnsupported`]), [`StorageKind::Auto`]
    /// first promotes the file (see [`StorageKind::Auto`]). A gap between the
    /// end and `offset` reads as zeros. Empty `data` changes nothing at any
    /// offset. On error nothing changes.
    pub fn write_at(
        &self,
        offset: u64,
        data: &[u8],
        ledger: &Arc<QuotaLedger>,
    ) -> Result<usize, StorageError> {
        self.write_payload(offset, Payload::Borrowed(data), ledger)
    }

    /// Like [`FileStorage::write_at`], but an append to sequential storage
    /// keeps `data` itself as the new chunk (no copy).
    pub fn write_bytes_at(
        &self,
        offset: u64,
        data: Bytes,
        ledger: &Arc<QuotaLedger>,
    ) -> Result<usize, StorageError> {
        self.write_payload(offset, Payload::Owned(data), ledger)
    }

    /// Makes the file `size` bytes long, charging `ledger` for growth and
    /// giving back what a cut frees.
    ///
    /// Sequential storage grows by one zero-filled chunk and shrinks by
    /// dropping chunks (a chunk cut in two is replaced by a copy of its kept
    /// part, so the cut-off memory is really freed); random-access storage
    /// zero-extends or cuts its buffer. On error nothing changes.
    pub fn truncate(&self, size: u64, ledger: &Arc<QuotaLedger>) -> Result<(), StorageError> {
        let _writer = lock(&self.writer);
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
    ///
    /// Sequential storage keeps `data` itself as its one chunk (no copy);
    /// random-access storage (a promoted [`StorageKind::Auto`] file stays
    /// random-access) makes it its new buffer, as
    /// [`FileStorage::from_bytes`] does. The ledger is charged the
    /// difference between the new and the old cost, reserved before any
    /// allocation; the old content is freed when its last reader lets go.
    pub fn replace(&self, data: Bytes, ledger: &Arc<QuotaLedger>) -> Result<(), StorageError> {
        let _writer = lock(&self.writer);
        let state = self.state.load_full();
        let overhead = self.config.chunk_overhead;
        let len = data.len() as u64;
        let (new_charge, new_chunks) = match &*state {
            Backend::Sequential(_) if len > 0 => (len.saturating_add(overhead), 1),
            Backend::Sequential(_) | Backend::RandomAccess(_) => (len, 0),
        };
        let old_charge = state.charge(overhead);
        let reservation = ledger.reserve(new_charge.saturating_sub(old_charge))?;
        let next = match &*state {
            Backend::Sequential(_) => Backend::Sequential(ChunkList::from_bytes(data)?),
            Backend::RandomAccess(_) => Backend::RandomAccess(Arc::new(
                RandomAccessBuffer::from_vec(alloc::exact_buffer(data)?),
            )),
        };
        self.publish(next);
        reservation.commit();
        ledger.release(old_charge.saturating_sub(new_charge));
        ledger.remove_chunks(state.chunk_count());
        ledger.add_chunks(new_chunks);
        Ok(())
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
        let _writer = lock(&self.writer);
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

    /// Appends `data` as one chunk. Writer only.
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

    /// Moves the chunks into a random-access buffer with `data` written at
    /// `offset` (`end` = `offset + data.len()`). Writer only.
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
        let new_len = end.max(len);
        let ext = new_len - len;
        // The buffer is a second copy of the file until the last reader of
        // the old chunks lets go, so it is paid for in full up front.
        let mut reservation = ledger.reserve(len + ext)?;
        let too_large = StorageError::TooLarge {
            offset,
            len: data.len() as u64,
        };
        let (Some(start), Some(size)) = (alloc::buffer_len(offset), alloc::buffer_len(new_len))
        else {
            return Err(too_large);
        };
        let mut buf = alloc::try_buffer(new_len, too_large)?;
        list.copy_into(&mut buf);
        buf.resize(size, 0);
        buf[start..start + data.len()].copy_from_slice(data);
        self.publish(Backend::RandomAccess(Arc::new(
            RandomAccessBuffer::from_vec(buf),
        )));
        reservation.commit_part(ext);
        reservation.release_part(len);
        reservation.commit();
        let chunks = list.count() as u64;
        ledger.release(self.config.chunk_overhead.saturating_mul(chunks));
        ledger.remove_chunks(chunks);
        Ok(())
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use std::time::{Duration, Instant};

    use super::*;
    use crate::sync::{AtomicU64, Ordering};

    const OVERHEAD: u64 = 128;

    impl FileStorage {
        /// The whole content, for tests of small files.
        fn to_bytes(&self) -> Bytes {
            self.try_to_bytes().expect("a test file is small")
        }

        fn read(&self, offset: u64, max: usize) -> Bytes {
            self.read_bytes(offset, max).expect("a test file is small")
        }
    }

    fn cfg(kind: StorageKind) -> StorageConfig {
        StorageConfig {
            kind,
            ..StorageConfig::default()
        }
    }

    /// The ledger holds exactly what `storages` say they cost.
    fn assert_ledger(ledger: &QuotaLedger, storages: &[&FileStorage]) {
        let used: u64 = storages.iter().map(|s| s.charge()).sum();
        let chunks: u64 = storages.iter().map(|s| s.chunk_count()).sum();
        assert_eq!(ledger.used(), used, "ledger bytes vs charge");
        assert_eq!(ledger.chunk_count(), chunks, "ledger chunks vs storage");
    }

    /// A recognisable byte for each file offset.
    fn pat(i: u64) -> u8 {
        (i % 251) as u8
    }

    fn pattern(start: u64, len: u64) -> Vec<u8> {
        (start..start + len).map(pat).collect()
    }

    fn is_pattern(bytes: &[u8]) -> bool {
        bytes.iter().enumerate().all(|(i, b)| *b == pat(i as u64))
    }

    #[test]
    fn storage_is_send_sync_and_debug() {
        fn check<T: Send + Sync + fmt::Debug>() {}
        check::<FileStorage>();
        let s = FileStorage::new(StorageConfig::default());
        assert!(format!("{s:?}").contains("FileStorage"));
    }

    #[test]
    fn appends_round_trip_across_chunks() {
        let ledger = QuotaLedger::new(u64::MAX);
        for kind in [
            StorageKind::Auto,
            StorageKind::Sequential,
            StorageKind::RandomAccess,
        ] {
            let s = FileStorage::new(cfg(kind));
            let mut written = 0;
            for size in [3u64, 1, 7, 2, 5] {
                let data = pattern(written, size);
                assert_eq!(s.write_at(written, &data, &ledger), Ok(size as usize));
                written += size;
            }
            assert_eq!(s.len(), written);
            assert_eq!(s.is_random_access(), kind == StorageKind::RandomAccess);
            assert_eq!(
                s.chunk_count(),
                if kind == StorageKind::RandomAccess {
                    0
                } else {
                    5
                }
            );
            for offset in 0..=written + 1 {
                for size in 0..=written as usize + 1 {
                    let mut buf = vec![0xEE; size];
                    let n = s.read_at(offset, &mut buf);
                    let want = pattern(offset.min(written), written.saturating_sub(offset));
                    let want = &want[..want.len().min(size)];
                    assert_eq!(&buf[..n], want);
                    assert_eq!(&s.read(offset, size)[..], want);
                }
            }
            assert!(is_pattern(&s.to_bytes()));
        }
        assert_eq!(ledger.used(), 18 + 5 * OVERHEAD + 18 + 5 * OVERHEAD + 18);
        assert_eq!(ledger.chunk_count(), 10);
    }

    #[test]
    fn read_bytes_is_zero_copy_inside_a_chunk_and_copies_across() {
        let ledger = QuotaLedger::new(u64::MAX);
        let s = FileStorage::new(cfg(StorageKind::Sequential));
        let first = Bytes::from(b"0123456789".to_vec());
        s.write_bytes_at(0, first.clone(), &ledger).expect("room");
        let whole = s.to_bytes();
        assert_eq!(
            whole.as_ptr(),
            first.as_ptr(),
            "one chunk: to_bytes is the chunk"
        );
        let part = s.read(2, 5);
        assert_eq!(&part[..], b"23456");
        assert_eq!(part.as_ptr(), whole.as_ptr().wrapping_add(2));

        s.write_at(10, b"abcdef", &ledger).expect("room");
        let across = s.read(8, 4);
        assert_eq!(&across[..], b"89ab");
        assert_ne!(across.as_ptr(), first.as_ptr().wrapping_add(8));
        let second = s.read(11, 3);
        assert_eq!(&second[..], b"bcd");
        assert_eq!(s.read(11, 3).as_ptr(), second.as_ptr());
        assert_eq!(&s.to_bytes()[..], b"0123456789abcdef");
        assert!(s.read(16, 4).is_empty());
        assert!(s.read(3, 0).is_empty());
    }

    #[test]
    fn ledger_matches_charge_after_every_operation() {
        let ledger = QuotaLedger::new(u64::MAX);
        let auto = FileStorage::new(cfg(StorageKind::Auto));
        let seq = FileStorage::new(cfg(StorageKind::Sequential));
        let ra = FileStorage::new(cfg(StorageKind::RandomAccess));
        let all = [&auto, &seq, &ra];
        let check = |ledger: &QuotaLedger| assert_ledger(ledger, &all);

        for s in all {
            s.write_at(0, b"hello", &ledger).expect("room");
            check(&ledger);
            s.write_bytes_at(5, Bytes::from_static(b" world"), &ledger)
                .expect("room");
            check(&ledger);
            s.truncate(20, &ledger).expect("room");
            check(&ledger);
            s.truncate(8, &ledger).expect("room");
            check(&ledger);
            assert_eq!(&s.to_bytes()[..], b"hello wo");
        }
        assert_eq!(seq.charge(), 8 + 2 * OVERHEAD);
        assert_eq!(ra.charge(), 8);

        // Promotion: the Auto file is charged its length alone afterwards.
        assert_eq!(auto.chunk_count(), 2);
        auto.write_at(2, b"LL", &ledger).expect("room");
        check(&ledger);
        assert!(auto.is_random_access());
        assert_eq!(auto.charge(), 8);
        assert_eq!(&auto.to_bytes()[..], b"heLLo wo");
        // Random-access overwrite inside costs nothing more; extension does.
        let before = ledger.used();
        auto.write_at(0, b"H", &ledger).expect("room");
        assert_eq!(ledger.used(), before);
        auto.write_at(6, b"WORLD", &ledger).expect("room");
        assert_eq!(ledger.used(), before + 3);
        check(&ledger);

        for s in all {
            s.truncate(0, &ledger).expect("shrink");
            check(&ledger);
            assert_eq!(s.chunk_count(), 0);
            assert!(s.is_empty());
            s.write_at(0, b"again", &ledger).expect("room");
            check(&ledger);
        }

        for s in all {
            s.discharge_from(&ledger);
        }
        assert_eq!(ledger.used(), 0);
        assert_eq!(ledger.chunk_count(), 0);
    }

    #[test]
    fn from_bytes_is_uncharged_until_charge_to() {
        let ledger = QuotaLedger::new(500);
        let data = Bytes::from(vec![9u8; 100]);
        let seq = FileStorage::from_bytes(cfg(StorageKind::Auto), data.clone()).expect("mem");
        let ra =
            FileStorage::from_bytes(cfg(StorageKind::RandomAccess), data.clone()).expect("mem");
        let empty =
            FileStorage::from_bytes(cfg(StorageKind::Sequential), Bytes::new()).expect("mem");
        assert_eq!(ledger.used(), 0);
        assert_eq!(seq.to_bytes().as_ptr(), data.as_ptr(), "no copy");
        assert_ne!(ra.to_bytes().as_ptr(), data.as_ptr());
        assert_eq!(
            (seq.chunk_count(), ra.chunk_count(), empty.chunk_count()),
            (1, 0, 0)
        );
        assert_eq!(seq.charge(), FileStorage::charge_for(seq.config(), 100));
        assert_eq!(ra.charge(), FileStorage::charge_for(ra.config(), 100));
        assert_eq!(FileStorage::charge_for(empty.config(), 0), 0);
        assert_eq!(seq.charge(), 100 + OVERHEAD);
        assert_eq!(ra.charge(), 100);

        for s in [&seq, &ra, &empty] {
            s.charge_to(&ledger).expect("room");
        }
        assert_ledger(&ledger, &[&seq, &ra, &empty]);
        // No room for another copy: nothing is charged.
        let err = seq.charge_to(&ledger).expect_err("full");
        assert_eq!(
            err,
            QuotaError::Exceeded {
                requested: 228,
                available: 500 - 328
            }
        );
        assert_ledger(&ledger, &[&seq, &ra, &empty]);
        seq.discharge_from(&ledger);
        ra.discharge_from(&ledger);
        empty.discharge_from(&ledger);
        assert_eq!((ledger.used(), ledger.chunk_count()), (0, 0));
    }

    #[test]
    fn replace_swaps_content_and_charges_the_difference() {
        for kind in [
            StorageKind::Auto,
            StorageKind::Sequential,
            StorageKind::RandomAccess,
        ] {
            let ledger = QuotaLedger::new(10_000);
            let s = FileStorage::new(cfg(kind));
            s.write_at(0, b"one", &ledger).expect("append");
            s.write_at(3, b"two", &ledger).expect("append");
            s.replace(Bytes::from_static(b"brand new content"), &ledger)
                .expect("fits");
            assert_eq!(&s.to_bytes()[..], b"brand new content");
            assert_ledger(&ledger, &[&s]);
            s.replace(Bytes::new(), &ledger).expect("empty");
            assert!(s.is_empty());
            assert_eq!(ledger.used(), 0);
            assert_eq!(ledger.chunk_count(), 0);
        }
    }

    #[test]
    fn drop_content_empties_a_discharged_file_and_keeps_its_kind() {
        for kind in [
            StorageKind::Auto,
            StorageKind::Sequential,
            StorageKind::RandomAccess,
        ] {
            let ledger = QuotaLedger::new(u64::MAX);
            let s = FileStorage::new(cfg(kind));
            s.write_at(0, b"hello", &ledger).expect("room");
            s.write_at(5, b" world", &ledger).expect("room");
            let taken = s.read(0, 5);
            let random = s.is_random_access();
            s.discharge_from(&ledger);
            s.drop_content();
            assert_eq!((ledger.used(), ledger.chunk_count()), (0, 0));
            assert_eq!((s.len(), s.chunk_count(), s.charge()), (0, 0, 0));
            assert!(s.to_bytes().is_empty());
            assert_eq!(s.is_random_access(), random);
            assert_eq!(&taken[..], b"hello", "a reader's bytes stay valid");
        }
    }

    #[test]
    fn replace_without_room_changes_nothing() {
        let ledger = QuotaLedger::new(300);
        let s = FileStorage::new(cfg(StorageKind::Auto));
        s.write_at(0, &[1u8; 100], &ledger).expect("fits");
        let used = ledger.used();
        let err = s
            .replace(Bytes::from(vec![2u8; 200]), &ledger)
            .expect_err("needs 100 more than the 72 free");
        assert!(matches!(err, StorageError::Quota(_)));
        assert_eq!(&s.to_bytes()[..], &[1u8; 100][..]);
        assert_eq!(ledger.used(), used);
        assert_ledger(&ledger, &[&s]);
    }

    #[test]
    fn empty_writes_change_nothing_at_any_offset() {
        let ledger = QuotaLedger::new(0);
        for kind in [
            StorageKind::Auto,
            StorageKind::Sequential,
            StorageKind::RandomAccess,
        ] {
            let s = FileStorage::new(cfg(kind));
            assert_eq!(s.write_at(1000, b"", &ledger), Ok(0));
            assert_eq!(s.write_bytes_at(u64::MAX, Bytes::new(), &ledger), Ok(0));
            assert_eq!((s.len(), s.chunk_count(), s.charge()), (0, 0, 0));
            assert_eq!(s.is_random_access(), kind == StorageKind::RandomAccess);
        }
    }

    /// Content, length and ledger of `s` are as recorded.
    fn unchanged(s: &FileStorage, ledger: &QuotaLedger, content: &[u8], used: u64, chunks: u64) {
        assert_eq!(&s.to_bytes()[..], content);
        assert_eq!(s.len(), content.len() as u64);
        assert_eq!(ledger.used(), used);
        assert_eq!(ledger.chunk_count(), chunks);
    }

    #[test]
    fn quota_refusals_change_nothing() {
        // Room for "abcd" + one overhead + 10 more bytes.
        let ledger = QuotaLedger::new(4 + OVERHEAD + 10);
        let s = FileStorage::new(cfg(StorageKind::Auto));
        s.write_at(0, b"abcd", &ledger).expect("room");
        let used = ledger.used();

        // An append needs its bytes plus one overhead.
        assert_eq!(
            s.write_at(4, b"e", &ledger),
            Err(StorageError::Quota(QuotaError::Exceeded {
                requested: 1 + OVERHEAD,
                available: 10
            }))
        );
        unchanged(&s, &ledger, b"abcd", used, 1);

        // Growing truncate: the zero chunk plus one overhead.
        assert_eq!(
            s.truncate(8, &ledger),
            Err(StorageError::Quota(QuotaError::Exceeded {
                requested: 4 + OVERHEAD,
                available: 10
            }))
        );
        unchanged(&s, &ledger, b"abcd", used, 1);

        // Promotion needs the temporary copy (4) and the extension (14 - 4).
        assert_eq!(
            s.write_at(2, &[b'x'; 12], &ledger),
            Err(StorageError::Quota(QuotaError::Exceeded {
                requested: 14,
                available: 10
            }))
        );
        unchanged(&s, &ledger, b"abcd", used, 1);
        assert!(!s.is_random_access());

        // With the temporary copy paid for, promotion succeeds and then frees
        // the copy and the overhead.
        s.write_at(2, b"CDEFGH", &ledger).expect("room for 4 + 4");
        assert!(s.is_random_access());
        assert_eq!(&s.to_bytes()[..], b"abCDEFGH");
        assert_ledger(&ledger, &[&s]);

        // Random-access extension past the quota.
        let free = ledger.available();
        assert_eq!(
            s.write_at(8, &vec![0; free as usize + 1], &ledger),
            Err(StorageError::Quota(QuotaError::Exceeded {
                requested: free + 1,
                available: free
            }))
        );
        assert_eq!(
            s.truncate(8 + free + 1, &ledger),
            Err(StorageError::Quota(QuotaError::Exceeded {
                requested: free + 1,
                available: free
            }))
        );
        unchanged(&s, &ledger, b"abCDEFGH", 8, 0);
    }

    #[test]
    fn promotion_at_the_exact_limit_of_the_quota() {
        // "abcd" costs 4 + overhead; promotion needs 4 more for the copy.
        let ledger = QuotaLedger::new(4 + OVERHEAD + 4);
        let s = FileStorage::new(cfg(StorageKind::Auto));
        s.write_at(0, b"abcd", &ledger).expect("room");
        s.write_at(0, b"A", &ledger).expect("exactly enough");
        assert_eq!(&s.to_bytes()[..], b"Abcd");
        assert_eq!((ledger.used(), ledger.chunk_count()), (4, 0));
    }

    #[test]
    fn sequential_kind_refuses_random_writes() {
        let ledger = QuotaLedger::new(u64::MAX);
        let s = FileStorage::new(cfg(StorageKind::Sequential));
        s.write_at(0, b"abc", &ledger).expect("room");
        let used = ledger.used();
        for offset in [0, 2, 4, 100] {
            assert_eq!(
                s.write_at(offset, b"xy", &ledger),
                Err(StorageError::RandomWriteUnsupported {
                    offset,
                    len: 2,
                    size: 3
                })
            );
        }
        let refused = s.write_at(2, b"xy", &ledger).expect_err("not an append");
        assert_eq!(
            refused.to_string(),
            "sequential storage cannot write 2 bytes at offset 2 of a 3-byte file: \
             only appends (at offset 3) are supported"
        );
        unchanged(&s, &ledger, b"abc", used, 1);
        assert!(!s.is_random_access());
    }

    #[test]
    fn promotion_over_the_hard_limit_is_refused() {
        let ledger = QuotaLedger::new(u64::MAX);
        let config = StorageConfig {
            promotion_hard_limit: 5,
            ..StorageConfig::default()
        };
        let s = FileStorage::new(config);
        s.write_at(0, b"12345", &ledger).expect("room");
        s.write_at(0, b"a", &ledger).expect("5 is within the limit");
        let t = FileStorage::new(config);
        t.write_at(0, b"123456", &ledger).expect("room");
        let used = ledger.used();
        assert_eq!(
            t.write_at(0, b"a", &ledger),
            Err(StorageError::PromotionLimit { size: 6, limit: 5 })
        );
        unchanged(&t, &ledger, b"123456", used, 1);
        // Appends still work.
        t.write_at(6, b"7", &ledger).expect("append");
        assert_ledger(&ledger, &[&s, &t]);
    }

    #[test]
    fn gap_writes_zero_fill() {
        let ledger = QuotaLedger::new(u64::MAX);
        for kind in [StorageKind::Auto, StorageKind::RandomAccess] {
            let s = FileStorage::new(cfg(kind));
            s.write_at(0, b"ab", &ledger).expect("room");
            s.write_at(5, b"cd", &ledger).expect("room");
            assert_eq!(&s.to_bytes()[..], b"ab\0\0\0cd");
            assert!(s.is_random_access());
            s.truncate(9, &ledger).expect("room");
            assert_eq!(&s.to_bytes()[..], b"ab\0\0\0cd\0\0");
        }
        // A gap write on an empty Auto file promotes it too.
        let s = FileStorage::new(cfg(StorageKind::Auto));
        s.write_at(3, b"x", &ledger).expect("room");
        assert_eq!(&s.to_bytes()[..], b"\0\0\0x");
        // A sequential truncate-grow appends a zero chunk.
        let t = FileStorage::new(cfg(StorageKind::Sequential));
        t.write_at(0, b"ab", &ledger).expect("room");
        t.truncate(5, &ledger).expect("room");
        assert_eq!(&t.to_bytes()[..], b"ab\0\0\0");
        assert_eq!(t.chunk_count(), 2);
    }

    #[test]
    fn shrinking_copies_a_cut_chunk_and_drops_the_rest() {
        let ledger = QuotaLedger::new(u64::MAX);
        let s = FileStorage::new(cfg(StorageKind::Sequential));
        let a = Bytes::from(b"aaaa".to_vec());
        let b = Bytes::from(b"bbbb".to_vec());
        s.write_bytes_at(0, a.clone(), &ledger).expect("room");
        s.write_bytes_at(4, b.clone(), &ledger).expect("room");
        s.write_at(8, b"cccc", &ledger).expect("room");
        s.truncate(6, &ledger).expect("shrink");
        assert_eq!(&s.to_bytes()[..], b"aaaabb");
        assert_eq!(s.chunk_count(), 2);
        assert_eq!(s.read(0, 4).as_ptr(), a.as_ptr(), "whole chunk kept");
        assert_ne!(s.read(4, 2).as_ptr(), b.as_ptr(), "cut chunk copied");
        assert_ledger(&ledger, &[&s]);
        s.truncate(6, &ledger).expect("no change");
        assert_ledger(&ledger, &[&s]);
        s.write_at(6, b"dd", &ledger)
            .expect("append after truncate");
        assert_eq!(&s.to_bytes()[..], b"aaaabbdd");
        assert_ledger(&ledger, &[&s]);
    }

    #[test]
    fn impossible_sizes_fail_without_aborting() {
        let ledger = QuotaLedger::new(u64::MAX);
        for kind in [
            StorageKind::Auto,
            StorageKind::Sequential,
            StorageKind::RandomAccess,
        ] {
            let s = FileStorage::new(cfg(kind));
            s.write_at(0, b"abc", &ledger).expect("room");
            let used = ledger.used();
            let chunks = ledger.chunk_count();
            let err = s
                .truncate(1 << 62, &ledger)
                .expect_err("cannot allocate 4 EiB");
            assert!(
                matches!(
                    err,
                    StorageError::AllocationFailed { .. } | StorageError::TooLarge { .. }
                ),
                "{err:?}"
            );
            let err = s.truncate(1 << 63, &ledger).expect_err("too large");
            assert!(
                matches!(
                    err,
                    StorageError::AllocationFailed { .. } | StorageError::TooLarge { .. }
                ),
                "{err:?}"
            );
            assert_eq!(
                s.write_at(u64::MAX, b"xy", &ledger),
                Err(StorageError::TooLarge {
                    offset: u64::MAX,
                    len: 2
                })
            );
            if kind != StorageKind::Sequential {
                let err = s.write_at(1 << 62, b"x", &ledger).expect_err("4 EiB");
                assert!(
                    matches!(
                        err,
                        StorageError::AllocationFailed { .. } | StorageError::TooLarge { .. }
                    ),
                    "{err:?}"
                );
            }
            unchanged(&s, &ledger, b"abc", used, chunks);
            assert_eq!(s.is_random_access(), kind == StorageKind::RandomAccess);
        }
    }

    #[test]
    fn a_million_small_appends_take_linear_time() {
        let ledger = QuotaLedger::new(u64::MAX);
        let s = FileStorage::new(cfg(StorageKind::Sequential));
        let chunk = [7u8; 10];
        let started = Instant::now();
        for i in 0..1_000_000u64 {
            s.write_at(i * 10, &chunk, &ledger).expect("room");
        }
        let elapsed = started.elapsed();
        assert!(elapsed < Duration::from_secs(20), "took {elapsed:?}");
        assert_eq!(s.len(), 10_000_000);
        assert_eq!(s.chunk_count(), 1_000_000);
        assert_ledger(&ledger, &[&s]);
        let mut buf = [0u8; 25];
        assert_eq!(s.read_at(9_999_990, &mut buf), 10);
        assert_eq!(s.read_at(5_000_005, &mut buf), 25);
        assert_eq!(buf, [7; 25]);
    }

    /// Checks one snapshot: its length is the bytes it holds, and they are
    /// the pattern.
    fn check_snapshot(s: &FileStorage) -> u64 {
        let state = s.state.load_full();
        match &*state {
            Backend::Sequential(list) => {
                let mut all = Vec::new();
                list.copy_into(&mut all);
                assert_eq!(list.len(), all.len() as u64, "torn chunk list");
                assert!(is_pattern(&all), "sequential bytes off pattern");
                let mut buf = vec![0; all.len() + 3];
                assert_eq!(list.read_at(0, &mut buf), all.len());
                assert_eq!(buf[..all.len()], all[..]);
                list.len()
            }
            Backend::RandomAccess(buf) => {
                let data = crate::sync::read(buf.data_for_test());
                assert_eq!(buf.len(), data.len() as u64, "length and buffer disagree");
                assert!(is_pattern(&data), "random-access bytes off pattern");
                buf.len()
            }
        }
    }

    #[test]
    fn readers_never_see_a_torn_file() {
        let ledger = QuotaLedger::new(u64::MAX);
        let s = FileStorage::new(cfg(StorageKind::Auto));
        let done = AtomicU64::new(0);
        let checks = AtomicU64::new(0);
        // Every reader starts before the writer and checks at least once, so
        // the test never passes without having looked (on a busy machine the
        // writer could otherwise finish first).
        let start_line = std::sync::Barrier::new(5);
        std::thread::scope(|scope| {
            for _ in 0..4 {
                scope.spawn(|| {
                    start_line.wait();
                    loop {
                        check_snapshot(&s);
                        let whole = s.to_bytes();
                        assert!(is_pattern(&whole), "to_bytes off pattern");
                        let probe = s.read(whole.len() as u64 / 2, 37);
                        let start = whole.len() as u64 / 2;
                        assert!(probe.iter().zip(start..).all(|(b, i)| *b == pat(i)));
                        checks.fetch_add(1, Ordering::Relaxed);
                        if done.load(Ordering::Acquire) != 0 {
                            break;
                        }
                    }
                });
            }
            start_line.wait();
            let append = |count: u64| {
                for k in 0..count {
                    let len = s.len();
                    let data = pattern(len, k % 37 + 1);
                    s.write_bytes_at(len, Bytes::from(data), &ledger)
                        .expect("room");
                }
            };
            append(3000);
            // Sequential shrink through the middle of a chunk.
            s.truncate(s.len() - 5000 - 3, &ledger).expect("shrink");
            append(3000);
            // Promotion by rewriting bytes with the same pattern.
            s.write_at(10, &pattern(10, 100), &ledger).expect("promote");
            assert!(s.is_random_access());
            append(2000);
            s.truncate(s.len() / 3, &ledger).expect("shrink");
            append(2000);
            // On a loaded machine the readers may not have been scheduled
            // yet: let at least one check run before stopping them.
            while checks.load(Ordering::Relaxed) == 0 {
                std::thread::yield_now();
            }
            done.store(1, Ordering::Release);
        });
        assert!(checks.load(Ordering::Relaxed) >= 4);
        assert!(is_pattern(&s.to_bytes()));
        assert_ledger(&ledger, &[&s]);
    }
}
