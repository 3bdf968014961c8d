//! Tests of [`File`] and its holds: what each hold gives back, what a write
//! hold charges, and what unlinking keeps.

use std::time::Duration;

use bytes::Bytes;
use dmemfs_quota::{QuotaError, QuotaLedger};

use super::*;
use crate::{StorageConfig, StorageError, StorageKind};

const ZERO: Option<Duration> = Some(Duration::ZERO);

fn file_with(data: &'static [u8]) -> Arc<File> {
    let storage =
        FileStorage::from_bytes(StorageConfig::default(), Bytes::from_static(data)).expect("small");
    File::new(storage, false)
}

/// An `Arc<File>` allocation of 120 bytes fits glibc's fast bins (chunks of
/// up to 128 bytes); 8 bytes more made the actor's create-read-remove
/// profile (`examples/mutation_profile.rs`) run about 1% more instructions,
/// all of them in `malloc` and `free`.
#[cfg(all(target_os = "linux", target_pointer_width = "64"))]
#[test]
fn a_file_fits_the_allocators_fast_bins() {
    assert!(
        std::mem::size_of::<File>() <= 104,
        "File grew to {} bytes",
        std::mem::size_of::<File>()
    );
}

#[test]
fn every_hold_gives_the_lock_back_when_dropped() {
    let f = file_with(b"abc");
    let r1 = f.read(Holder::Handle, ZERO).expect("free");
    let r2 = f.read(Holder::Transient, ZERO).expect("shared");
    assert_eq!(
        f.holds(),
        Holds::Shared {
            handles: 1,
            transient: 1
        }
    );
    assert!(f.write(Holder::Transient, ZERO).is_err());
    drop((r1, r2));
    let w = f.write(Holder::Handle, ZERO).expect("free");
    assert_eq!(f.holds(), Holds::Exclusive(Holder::Handle));
    assert_eq!(f.relink().err(), Some(Busy), "a handle holds it");
    drop(w);
    let outer = f.relink().expect("free");
    let inner = f.relink().expect("nested in its own hold");
    drop(outer);
    assert_eq!(f.holds(), Holds::Relinker);
    drop(inner);
    assert_eq!(f.holds(), Holds::None);
}

#[test]
fn a_borrowed_read_hold_shares_the_lock_without_counting_the_file() {
    let f = file_with(b"abc");
    let hold = f.read_borrowed(Holder::Transient, ZERO).expect("free");
    assert_eq!(Arc::strong_count(&f), 1, "no reference taken");
    assert_eq!(
        f.holds(),
        Holds::Shared {
            handles: 0,
            transient: 1
        }
    );
    assert!(
        f.write(Holder::Handle, ZERO).is_err(),
        "it excludes writers"
    );
    assert_eq!(hold.storage().len(), 3);
    drop(hold);
    assert_eq!(f.holds(), Holds::None);
    let w = f.write(Holder::Transient, ZERO).expect("free");
    assert!(
        f.read_borrowed(Holder::Transient, ZERO).is_err(),
        "it waits for a writer like an owned hold"
    );
    drop(w);
}

#[test]
fn a_file_made_for_a_handle_is_published_write_held() {
    let hold = File::new_for_handle(FileStorage::new(StorageConfig::default()), false);
    let f = Arc::clone(hold.file());
    assert_eq!(f.holds(), Holds::Exclusive(Holder::Handle));
    assert!(f.read(Holder::Transient, ZERO).is_err());
    drop(hold);
    assert_eq!(f.holds(), Holds::None);
    assert_eq!((f.generation(), f.is_dirty()), (0, false));
}

#[test]
fn written_files_start_dirty_at_generation_one_if_not_empty() {
    let config = StorageConfig::default();
    let f = File::new(FileStorage::from_slice(config, b"x").expect("small"), true);
    assert_eq!((f.generation(), f.is_dirty()), (1, true));
    let empty = File::new(FileStorage::new(config), true);
    assert_eq!((empty.generation(), empty.is_dirty()), (0, true));
    let imported = file_with(b"x");
    assert_eq!((imported.generation(), imported.is_dirty()), (0, false));
}

#[test]
fn write_hold_mutations_reserve_once_and_refusals_change_nothing() {
    let ledger = QuotaLedger::new(300);
    let config = StorageConfig {
        kind: StorageKind::Auto,
        chunk_overhead: 10,
        ..StorageConfig::default()
    };
    let f = File::new(FileStorage::new(config), false);
    let w = f.write(Holder::Transient, ZERO).expect("free");
    w.write_at(0, &[1; 100], &ledger).expect("room");
    assert_eq!(ledger.used(), 110);
    // 250 bytes in one chunk need 150 more than the 110 held: 190 are free.
    w.replace_with_copy(&[2; 250], &ledger).expect("room");
    assert_eq!((ledger.used(), ledger.chunk_count()), (260, 1));
    // 300 zeros need 50 more, with 40 free: refused before allocating.
    assert_eq!(
        w.replace_with_zeros(300, &ledger),
        Err(StorageError::Quota(QuotaError::Exceeded {
            requested: 50,
            available: 40
        }))
    );
    assert_eq!(w.storage().try_to_vec().expect("small"), vec![2; 250]);
    assert_eq!(ledger.used(), 260);
    w.truncate(10, &ledger).expect("shrink");
    assert_eq!(ledger.used(), 20);
    w.discharge_from(&ledger);
    assert_eq!((ledger.used(), ledger.chunk_count()), (0, 0));
}

#[test]
fn record_write_moves_the_generation_and_marks_the_file_dirty() {
    let f = file_with(b"abc");
    let before = f.modified_at();
    let w = f.write(Holder::Transient, ZERO).expect("free");
    w.record_write();
    assert_eq!((f.generation(), f.is_dirty()), (1, true));
    assert!(f.modified_at() >= before);
}

#[test]
fn an_unlinked_file_keeps_its_length_and_refuses_linked_reads() {
    let f = file_with(b"hello");
    let old_snapshot = Arc::clone(&f);
    let hold = f.relink().expect("free");
    drop(f);
    hold.unlink();
    assert!(old_snapshot.is_unlinked());
    assert_eq!((old_snapshot.len(), old_snapshot.storage().len()), (5, 0));
    assert!(old_snapshot
        .read_linked(Holder::Transient, ZERO)
        .expect("free")
        .is_none());
    assert!(old_snapshot
        .read_borrowed_linked(Holder::Transient, ZERO)
        .expect("free")
        .is_none());
    assert_eq!(
        old_snapshot.holds(),
        Holds::None,
        "the refused hold was given back"
    );
}

#[test]
fn an_unlink_nobody_else_sees_leaves_the_data_to_go_with_the_file() {
    let f = file_with(b"hello");
    let hold = f.relink().expect("free");
    let weak = Arc::downgrade(&f);
    drop(f);
    hold.unlink();
    assert!(weak.upgrade().is_none(), "the file went with its last hold");
}
