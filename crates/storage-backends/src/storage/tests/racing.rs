//! Readers racing a writer never see a torn file.

use super::*;
use crate::sync::{AtomicU64, Ordering};

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
            let (len, data) = buf.snapshot_for_test();
            assert_eq!(len, data.len() as u64, "length and buffer disagree");
            assert!(is_pattern(&data), "random-access bytes off pattern");
            len
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
