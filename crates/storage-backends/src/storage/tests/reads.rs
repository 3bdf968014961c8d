//! Reads and writes that succeed: round trips, zero-copy reads, the
//! shapes sequential and random-access data take.

use std::time::{Duration, Instant};

use super::*;

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
    for kind in ALL_KINDS {
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
fn read_to_end_at_appends_the_rest_once_reserved() {
    let ledger = QuotaLedger::new(u64::MAX);
    for kind in [StorageKind::Sequential, StorageKind::RandomAccess] {
        let s = FileStorage::new(cfg(kind));
        let mut written = 0;
        for size in [3u64, 1, 7, 2, 5] {
            s.write_at(written, &pattern(written, size), &ledger)
                .expect("room");
            written += size;
        }
        for offset in 0..=written + 2 {
            let mut out = b"kept".to_vec();
            let n = s.read_to_end_at(offset, &mut out).expect("small");
            let want = pattern(offset.min(written), written.saturating_sub(offset));
            assert_eq!(n, want.len(), "{kind:?} offset {offset}");
            assert_eq!(&out[..4], b"kept");
            assert_eq!(&out[4..], &want[..], "{kind:?} offset {offset}");
        }
        // Into an empty buffer: exactly the rest, no slack.
        let mut out = Vec::new();
        s.read_to_end_at(5, &mut out).expect("small");
        assert_eq!(out.capacity(), (written - 5) as usize);
    }
}

#[test]
fn read_to_end_at_refuses_an_impossible_reservation_unchanged() {
    // The reservation read_to_end_at makes: a size no buffer can have is
    // refused as an allocation failure, before anything is allocated, and
    // the buffer stays as it was.
    let mut out = vec![1u8, 2];
    for more in [u64::MAX, isize::MAX as u64] {
        assert_eq!(
            crate::alloc::reserve(&mut out, more),
            Err(StorageError::AllocationFailed { bytes: more })
        );
        assert_eq!(out, [1, 2]);
    }
    let ledger = QuotaLedger::new(u64::MAX);
    let s = FileStorage::new(cfg(StorageKind::Sequential));
    s.write_at(0, b"abc", &ledger).expect("room");
    assert_eq!(s.read_to_end_at(0, &mut out), Ok(3));
    assert_eq!(out, [1, 2, b'a', b'b', b'c']);
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
fn empty_writes_change_nothing_at_any_offset() {
    let ledger = QuotaLedger::new(0);
    for kind in ALL_KINDS {
        let s = FileStorage::new(cfg(kind));
        assert_eq!(s.write_at(1000, b"", &ledger), Ok(0));
        assert_eq!(s.write_bytes_at(u64::MAX, Bytes::new(), &ledger), Ok(0));
        assert_eq!((s.len(), s.chunk_count(), s.charge()), (0, 0, 0));
        assert_eq!(s.is_random_access(), kind == StorageKind::RandomAccess);
    }
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
