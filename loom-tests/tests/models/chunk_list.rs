//! Model 3: chunk-list publication (`crates/storage-backends`: `ChunkList`
//! published by `FileStorage`, changed through the file's `FileWriteHold`).
//!
//! Properties, each a model run on a real sequential `FileStorage` (its
//! publication cell and chunk slots are loom's under `--cfg loom`; its
//! `Arc`s are std's, as in every build):
//! - a reader that loads while the writer appends and then truncates sees one
//!   whole version: the old list, the appended one or the truncated one, with
//!   length, chunk count and bytes agreeing, and never an older version after
//!   a newer one; both when the append fills a free slot of a slab that older
//!   lists share and when it moves to a grown slab;
//! - memory of retired lists is reclaimed: once the writer has truncated a
//!   chunk away and no reader holds an old list, the chunk's bytes are freed
//!   although the file lives on (the chunk reports its own drop, so a leaked
//!   list or slab holding it fails the model);
//! - the ledger holds exactly what the file is charged, and returns to zero.
//!
//! `TornStorage` and `HoardingStorage` are broken copies of the publication;
//! the `broken_*` tests run the same models on them and expect them to fail.

use std::sync::Arc;

use bytes::Bytes;
use dmemfs_quota::QuotaLedger;
use dmemfs_storage_backends::loom_exports::snapshot;
use dmemfs_storage_backends::sync::Published;
use dmemfs_storage_backends::{File, FileStorage, FileWriteHold, StorageConfig, StorageKind};
use loom::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use loom::thread;

use crate::common::check;

const OVERHEAD: u64 = 8;

/// What the models need of a file's sequential data.
pub trait Storage: Send + Sync + 'static {
    /// A file holding `data` as one chunk.
    fn with(data: Bytes) -> Self;
    /// Appends `data` as one chunk. Writer only.
    fn append(&self, data: Bytes);
    /// Cuts the file to `size` bytes. Writer only.
    fn truncate(&self, size: u64);
    /// One load: length, chunk count and the bytes of that same version.
    fn snapshot(&self) -> (u64, u64, Bytes);
    /// Releases what the file holds; the ledger must then be at zero.
    fn finish(self);
}

/// The real storage, charged to a real ledger, changed through the file's
/// write hold (as every content change is); readers load its storage
/// without a lock.
struct Real {
    hold: FileWriteHold,
    ledger: Arc<QuotaLedger>,
}

impl Storage for Real {
    fn with(data: Bytes) -> Self {
        let config = StorageConfig {
            kind: StorageKind::Sequential,
            chunk_overhead: OVERHEAD,
            ..StorageConfig::default()
        };
        let ledger = QuotaLedger::new(1 << 20);
        let storage = FileStorage::from_bytes(config, data).expect("small");
        let hold = File::new_for_handle(storage, false);
        hold.charge_to(&ledger).expect("room");
        Real { hold, ledger }
    }

    fn append(&self, data: Bytes) {
        let len = self.hold.storage().len();
        self.hold
            .write_bytes_at(len, data, &self.ledger)
            .expect("room");
        self.assert_charged();
    }

    fn truncate(&self, size: u64) {
        self.hold.truncate(size, &self.ledger).expect("room");
        self.assert_charged();
    }

    fn snapshot(&self) -> (u64, u64, Bytes) {
        snapshot(self.hold.storage())
    }

    fn finish(self) {
        self.assert_charged();
        self.hold.discharge_from(&self.ledger);
        assert_eq!(self.ledger.used(), 0, "the ledger did not return to zero");
        assert_eq!(self.ledger.chunk_count(), 0);
    }
}

impl Real {
    /// The writer's view: the ledger holds exactly the file's charge.
    fn assert_charged(&self) {
        let storage = self.hold.storage();
        assert_eq!(self.ledger.used(), storage.charge());
        assert_eq!(self.ledger.chunk_count(), storage.chunk_count());
    }
}

/// `data` whose memory reports when it is freed.
fn tracked(data: &'static [u8], freed: &Arc<AtomicBool>) -> Bytes {
    struct Owner {
        data: &'static [u8],
        freed: Arc<AtomicBool>,
    }
    impl AsRef<[u8]> for Owner {
        fn as_ref(&self) -> &[u8] {
            self.data
        }
    }
    impl Drop for Owner {
        fn drop(&mut self) {
            // No loom operation while a failed execution unwinds.
            if std::thread::panicking() {
                return;
            }
            self.freed.store(true, Ordering::SeqCst);
        }
    }
    Bytes::from_owner(Owner {
        data,
        freed: Arc::clone(freed),
    })
}

/// A file's starting chunks, what the writer then appends and where it
/// truncates, and the versions (content, chunk count) it publishes in order.
struct Scenario {
    start: &'static [&'static [u8]],
    append: &'static [u8],
    truncate: u64,
    versions: [(&'static [u8], u64); 3],
}

/// The append sets the next slot of the slab the first list already uses
/// (a reader of the first list shares it); the truncate cuts the second
/// chunk and copies its kept part to a new slab.
const SHARED_SLAB: Scenario = Scenario {
    start: &[b"ab"],
    append: b"cd",
    truncate: 3,
    versions: [(b"ab", 1), (b"abcd", 2), (b"abc", 2)],
};

/// The slab is full (4 slots), so the append moves the chunk handles to a
/// slab twice the size; the truncate drops whole chunks.
const SLAB_GROWTH: Scenario = Scenario {
    start: &[b"a", b"b", b"c", b"d"],
    append: b"e",
    truncate: 2,
    versions: [(b"abcd", 4), (b"abcde", 5), (b"ab", 2)],
};

impl Scenario {
    /// Which version a snapshot is; fails unless it is one of them, whole.
    fn version_of(&self, (len, chunks, bytes): (u64, u64, Bytes)) -> usize {
        assert_eq!(
            len,
            bytes.len() as u64,
            "torn read: the length disagrees with the bytes"
        );
        self.versions
            .iter()
            .position(|&(content, count)| *bytes == *content && chunks == count)
            .unwrap_or_else(|| panic!("torn read: {bytes:?} in {chunks} chunks is no version"))
    }

    fn file<S: Storage>(&self) -> S {
        let (first, rest) = self.start.split_first().expect("a chunk");
        let file = S::with(Bytes::from_static(first));
        for chunk in rest {
            file.append(Bytes::from_static(chunk));
        }
        file
    }
}

/// A writer appends then truncates while two readers load, one twice.
fn readers_see_whole_versions<S: Storage>(scenario: &'static Scenario) {
    check(move || {
        let file = Arc::new(scenario.file::<S>());
        let writer = {
            let file = Arc::clone(&file);
            thread::spawn(move || {
                file.append(Bytes::from_static(scenario.append));
                file.truncate(scenario.truncate);
            })
        };
        let reader = {
            let file = Arc::clone(&file);
            thread::spawn(move || scenario.version_of(file.snapshot()))
        };
        let first = scenario.version_of(file.snapshot());
        let second = scenario.version_of(file.snapshot());
        assert!(
            first <= second,
            "a reader saw an older version after a newer one"
        );
        writer.join().expect("writer");
        reader.join().expect("reader");
        assert_eq!(scenario.version_of(file.snapshot()), 2);
        Arc::into_inner(file).expect("the only holder").finish();
    });
}

/// A writer appends a chunk then truncates it away while a reader may hold
/// the list that has it. Once both are done the chunk's memory is freed,
/// with the file still alive.
fn retired_chunks_are_freed<S: Storage>() {
    check(|| {
        let freed = Arc::new(AtomicBool::new(false));
        let file = Arc::new(S::with(Bytes::from_static(b"ab")));
        let writer = {
            let (file, freed) = (Arc::clone(&file), Arc::clone(&freed));
            thread::spawn(move || {
                file.append(tracked(b"cd", &freed));
                file.truncate(2);
            })
        };
        let held = file.snapshot();
        assert!(held.0 == 2 || held.0 == 4, "torn read");
        drop(held);
        writer.join().expect("writer");
        assert!(
            freed.load(Ordering::SeqCst),
            "a chunk cut off by truncate is still allocated after its last reader let go"
        );
        Arc::into_inner(file).expect("the only holder").finish();
    });
}

#[test]
fn a_reader_sees_a_whole_old_or_new_list_during_append_and_truncate() {
    readers_see_whole_versions::<Real>(&SHARED_SLAB);
}

#[test]
fn a_reader_sees_a_whole_old_or_new_list_while_the_slab_grows() {
    readers_see_whole_versions::<Real>(&SLAB_GROWTH);
}

#[test]
fn retired_lists_are_reclaimed() {
    retired_chunks_are_freed::<Real>();
}

#[test]
#[should_panic(expected = "torn read")]
fn broken_publication_of_length_apart_from_chunks_is_caught() {
    readers_see_whole_versions::<TornStorage>(&SHARED_SLAB);
}

#[test]
#[should_panic(expected = "still allocated after its last reader let go")]
fn broken_truncate_that_keeps_the_cut_chunks_is_caught() {
    retired_chunks_are_freed::<HoardingStorage>();
}

/// Broken: the chunks are published in one cell and the length in another
/// (a "lock-free `len()`"), so a reader can pair a new length with old
/// chunks.
struct TornStorage {
    chunks: Published<Vec<Bytes>>,
    len: AtomicU64,
}

impl Storage for TornStorage {
    fn with(data: Bytes) -> Self {
        TornStorage {
            len: AtomicU64::new(data.len() as u64),
            chunks: Published::from_pointee(vec![data]),
        }
    }

    fn append(&self, data: Bytes) {
        let mut next = Vec::clone(&self.chunks.load_full());
        let len = self.len.load(Ordering::SeqCst) + data.len() as u64;
        next.push(data);
        self.chunks.store(Arc::new(next));
        self.len.store(len, Ordering::SeqCst);
    }

    fn truncate(&self, size: u64) {
        let mut next = Vec::new();
        let mut at = 0;
        for chunk in self.chunks.load_full().iter() {
            let keep = (size - at).min(chunk.len() as u64) as usize;
            if keep > 0 {
                next.push(Bytes::copy_from_slice(&chunk[..keep]));
            }
            at += keep as u64;
        }
        self.len.store(size, Ordering::SeqCst);
        self.chunks.store(Arc::new(next));
    }

    fn snapshot(&self) -> (u64, u64, Bytes) {
        let len = self.len.load(Ordering::SeqCst);
        let chunks = self.chunks.load_full();
        (len, chunks.len() as u64, Bytes::from(chunks.concat()))
    }

    fn finish(self) {}
}

/// Broken: published as one whole version (so reads are never torn), but a
/// truncate only lowers the count of live chunks, keeping the cut ones in
/// the shared vector, so their memory lives as long as the file.
struct HoardingStorage {
    state: Published<(Arc<Vec<Bytes>>, usize)>,
}

impl Storage for HoardingStorage {
    fn with(data: Bytes) -> Self {
        HoardingStorage {
            state: Published::from_pointee((Arc::new(vec![data]), 1)),
        }
    }

    fn append(&self, data: Bytes) {
        let state = self.state.load_full();
        let mut chunks = Vec::clone(&state.0);
        chunks.truncate(state.1);
        chunks.push(data);
        let count = chunks.len();
        self.state.store(Arc::new((Arc::new(chunks), count)));
    }

    fn truncate(&self, size: u64) {
        let state = self.state.load_full();
        let mut at = 0;
        let mut count = 0;
        for chunk in state.0.iter().take(state.1) {
            if at >= size {
                break;
            }
            at += chunk.len() as u64;
            count += 1;
        }
        self.state.store(Arc::new((Arc::clone(&state.0), count)));
    }

    fn snapshot(&self) -> (u64, u64, Bytes) {
        let state = self.state.load_full();
        let bytes = Bytes::from(state.0[..state.1].concat());
        (bytes.len() as u64, state.1 as u64, bytes)
    }

    fn finish(self) {}
}
