//! Refused operations change nothing: quota, kind, promotion limit and
//! impossible sizes.

use super::*;

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
fn impossible_sizes_fail_without_aborting() {
    let ledger = QuotaLedger::new(u64::MAX);
    for kind in ALL_KINDS {
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
