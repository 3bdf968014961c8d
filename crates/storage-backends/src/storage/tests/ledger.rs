//! The ledger after every operation: charges, replacements and discharges.

use super::*;

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
    let ra = FileStorage::from_bytes(cfg(StorageKind::RandomAccess), data.clone()).expect("mem");
    let empty = FileStorage::from_bytes(cfg(StorageKind::Sequential), Bytes::new()).expect("mem");
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
    for kind in ALL_KINDS {
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
    for kind in ALL_KINDS {
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
