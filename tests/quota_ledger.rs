//! The quota ledger (`stats().used_bytes`) checked exactly against API.md's
//! "Quota ledger" rules, `stats()` fields, `max_quota`, `max_nodes`,
//! `chunk_overhead`, `default_storage` and `promotion_hard_limit`
//! (decisions 13 and 15).

#![allow(missing_docs)]

#[macro_use]
mod common;

use std::io::{ErrorKind, Seek, SeekFrom, Write};

use common::*;
use dmemfs::{Bytes, Error, MemoryFileSystem, OpenMode, OpenOptions, StorageKind};

/// `used == quota - free` and the counts, checked together.
#[track_caller]
fn assert_stats(fs: &MemoryFileSystem, used: u64, files: u64, dirs: u64) {
    let s = fs.stats();
    assert_eq!(s.used_bytes, used, "used_bytes ({s:?})");
    assert_eq!(
        s.free_bytes,
        s.quota_bytes - s.used_bytes,
        "free = quota - used"
    );
    assert_eq!(s.file_count, files, "file_count ({s:?})");
    assert_eq!(s.dir_count, dirs, "dir_count ({s:?})");
}

both_strategies!(
    ledger_fresh_filesystem,
    ledger_max_quota_setter,
    ledger_each_handle_write_is_one_chunk,
    ledger_zero_length_write_costs_nothing,
    ledger_fs_write_is_one_chunk,
    ledger_quota_can_be_filled_exactly,
    ledger_promotion_charges_size_alone,
    ledger_promotion_needs_room_for_a_copy_boundary,
    ledger_random_access_charges_size_only,
    ledger_sequential_storage_charges_chunks,
    ledger_chunk_overhead_setter,
    ledger_truncation,
    ledger_copies_charged_as_one_piece,
    ledger_import_tree_charges,
    ledger_rename_and_move_change_nothing,
    ledger_failed_operations_change_nothing,
    ledger_back_to_zero_after_removing_everything,
    ledger_handle_kept_open_across_remove_attempts,
);

fn ledger_fresh_filesystem(ctx: Ctx) {
    let fs = ctx.fs();
    let s = fs.stats();
    assert_eq!(s.quota_bytes, DEFAULT_QUOTA);
    assert_eq!(s.overhead_per_chunk_estimate, OVERHEAD);
    assert_eq!(s.chunk_count, 0);
    assert_stats(&fs, 0, 0, 0);
}

fn ledger_max_quota_setter(ctx: Ctx) {
    let fs = ctx.fs_quota(12_345);
    let s = fs.stats();
    assert_eq!(s.quota_bytes, 12_345);
    assert_eq!(s.free_bytes, 12_345);
    fs.write("/f", vec![0u8; 1000]).unwrap();
    assert_stats(&fs, 1000 + OVERHEAD, 1, 0);
    assert_eq!(fs.stats().free_bytes, 12_345 - 1000 - OVERHEAD);
}

fn ledger_each_handle_write_is_one_chunk(ctx: Ctx) {
    let fs = ctx.fs();
    fs.mkdir("/d", false).unwrap();
    let mut h = fs.open("/d/f", OpenMode::Write).unwrap();
    let mut expect = 0;
    for (i, len) in [10usize, 20, 30, 1, 4096].into_iter().enumerate() {
        assert_eq!(h.write(&vec![i as u8; len]).unwrap(), len);
        expect += len as u64 + OVERHEAD;
        assert_stats(&fs, expect, 1, 1);
        assert_eq!(fs.stats().chunk_count, i as u64 + 1);
    }
    drop(h);
    assert_eq!(fs.get_size("/d/f").unwrap(), 4157);
    // Appends through another handle add chunks the same way.
    let mut a = fs.open("/d/f", OpenMode::Append).unwrap();
    a.write_all(b"xyz").unwrap();
    drop(a);
    assert_stats(&fs, expect + 3 + OVERHEAD, 1, 1);
    assert_eq!(fs.stats().chunk_count, 6);
    // Reading changes nothing.
    let _ = read_all(&fs, "/d/f");
    assert_stats(&fs, expect + 3 + OVERHEAD, 1, 1);
}

fn ledger_zero_length_write_costs_nothing(ctx: Ctx) {
    let fs = ctx.fs();
    let mut h = fs.open("/z", OpenMode::Write).unwrap();
    assert_eq!(h.write(&[]).unwrap(), 0);
    assert_eq!(h.write_bytes(Bytes::new()).unwrap(), 0);
    assert_stats(&fs, 0, 1, 0);
    assert_eq!(fs.stats().chunk_count, 0);
    h.write_all(b"abc").unwrap();
    assert_eq!(h.write(&[]).unwrap(), 0);
    assert_stats(&fs, 3 + OVERHEAD, 1, 0);
    assert_eq!(fs.stats().chunk_count, 1);
    drop(h);
    fs.write("/e", b"").unwrap();
    assert_stats(&fs, 3 + OVERHEAD, 2, 0);
    // Even on a full filesystem, a zero-length write is fine.
    let full = ctx.fs_quota(3 + OVERHEAD);
    full.write("/f", b"abc").unwrap();
    assert_eq!(full.stats().free_bytes, 0);
    let mut h = full.open("/f", OpenMode::Append).unwrap();
    assert_eq!(h.write(&[]).unwrap(), 0);
    drop(h);
    full.write("/empty", b"").unwrap();
    assert_stats(&full, 3 + OVERHEAD, 2, 0);
}

fn ledger_fs_write_is_one_chunk(ctx: Ctx) {
    let fs = ctx.fs();
    fs.write("/a", vec![1u8; 5000]).unwrap();
    assert_stats(&fs, 5000 + OVERHEAD, 1, 0);
    assert_eq!(fs.stats().chunk_count, 1);
    // Replacing: the old charge goes, the new one comes.
    fs.write("/a", vec![1u8; 10]).unwrap();
    assert_stats(&fs, 10 + OVERHEAD, 1, 0);
    fs.write("/a", b"").unwrap();
    assert_stats(&fs, 0, 1, 0);
    assert_eq!(fs.stats().chunk_count, 0);
}

fn ledger_quota_can_be_filled_exactly(ctx: Ctx) {
    let fs = ctx.fs_quota(1000);
    fs.write("/f", vec![0u8; 1000 - OVERHEAD as usize]).unwrap();
    assert_stats(&fs, 1000, 1, 0);
    assert_eq!(fs.stats().free_bytes, 0);
    let mut h = fs.open("/f", OpenMode::Append).unwrap();
    match h.write_bytes(Bytes::from_static(b"1")) {
        Err(Error::QuotaExceeded {
            requested,
            available,
            ..
        }) => assert_eq!((requested, available), (1 + OVERHEAD, 0)),
        other => panic!("expected QuotaExceeded, got {other:?}"),
    }
    drop(h);
    fs.remove("/f").unwrap();
    assert_stats(&fs, 0, 0, 0);
    assert_eq!(fs.stats().free_bytes, 1000);
    // One byte too much fails whole.
    let e = expect_kind(
        fs.write("/g", vec![0u8; 1001 - OVERHEAD as usize]),
        ErrorKind::QuotaExceeded,
    );
    assert!(matches!(
        e,
        Error::QuotaExceeded {
            requested: 1001,
            available: 1000,
            ..
        }
    ));
    assert!(!fs.exists("/g"));
    assert_stats(&fs, 0, 0, 0);
}

fn ledger_promotion_charges_size_alone(ctx: Ctx) {
    let fs = ctx.fs();
    write_pieces(&fs, "/p", &[&[1u8; 40], &[2u8; 30], &[3u8; 30]]);
    assert_stats(&fs, 100 + 3 * OVERHEAD, 1, 0);
    let mut h = fs.open("/p", OpenMode::ReadWrite).unwrap();
    h.seek(SeekFrom::Start(10)).unwrap();
    h.write_all(&[9u8; 5]).unwrap();
    assert_stats(&fs, 100, 1, 0);
    // Extending a promoted file: its new size, no overhead.
    h.seek(SeekFrom::End(0)).unwrap();
    h.write_all(&[4u8; 20]).unwrap();
    assert_stats(&fs, 120, 1, 0);
    h.write_all(&[5u8; 7]).unwrap();
    assert_stats(&fs, 127, 1, 0);
    drop(h);
    // Appends to a promoted file: size only.
    let mut a = fs.open("/p", OpenMode::Append).unwrap();
    a.write_all(&[6u8; 3]).unwrap();
    drop(a);
    assert_stats(&fs, 130, 1, 0);
    let data = fs.read("/p").unwrap();
    assert_eq!(data.len(), 130);
    assert_eq!(&data[..10], &[1u8; 10]);
    assert_eq!(&data[10..15], &[9u8; 5]);
    assert_eq!(&data[15..40], &[1u8; 25]);
    assert_eq!(&data[40..70], &[2u8; 30]);
    // Truncating a promoted file: size only.
    let mut w = fs.open("/p", OpenMode::ReadWrite).unwrap();
    w.truncate(Some(50)).unwrap();
    drop(w);
    assert_stats(&fs, 50, 1, 0);
    fs.remove("/p").unwrap();
    assert_stats(&fs, 0, 0, 0);
}

fn ledger_promotion_needs_room_for_a_copy_boundary(ctx: Ctx) {
    const SIZE: u64 = 300;
    // Exactly enough: the file (300 + 128) plus a 300-byte reservation.
    let fs = ctx.fs_quota(2 * SIZE + OVERHEAD);
    write_pieces(&fs, "/f", &[&[1u8; SIZE as usize]]);
    let mut h = fs.open("/f", OpenMode::ReadWrite).unwrap();
    h.write_all(b"X").unwrap();
    drop(h);
    assert_stats(&fs, SIZE, 1, 0);
    let mut expect = vec![1u8; SIZE as usize];
    expect[0] = b'X';
    assert_eq!(fs.read("/f").unwrap(), expect);

    // One byte short: QuotaExceeded, nothing changes.
    let fs = ctx.fs_quota(2 * SIZE + OVERHEAD - 1);
    write_pieces(&fs, "/f", &[&[1u8; SIZE as usize]]);
    let before = state(&fs);
    let mut h = fs.open("/f", OpenMode::ReadWrite).unwrap();
    let e = expect_kind(
        h.write_bytes(Bytes::from_static(b"X")),
        ErrorKind::QuotaExceeded,
    );
    assert!(e.is_quota());
    assert_eq!(h.tell(), 0);
    drop(h);
    assert_eq!(state(&fs), before);
    assert_stats(&fs, SIZE + OVERHEAD, 1, 0);
}

fn ledger_random_access_charges_size_only(ctx: Ctx) {
    let fs = ctx.fs_with(|b| b.default_storage(StorageKind::RandomAccess));
    let mut h = fs.open("/r", OpenMode::Write).unwrap();
    h.write_all(&[1u8; 100]).unwrap();
    assert_stats(&fs, 100, 1, 0);
    h.write_all(&[2u8; 50]).unwrap();
    assert_stats(&fs, 150, 1, 0);
    h.seek(SeekFrom::Start(0)).unwrap();
    h.write_all(&[3u8; 150]).unwrap();
    assert_stats(&fs, 150, 1, 0);
    h.seek(SeekFrom::Start(140)).unwrap();
    h.write_all(&[4u8; 20]).unwrap();
    assert_stats(&fs, 160, 1, 0);
    h.truncate(Some(10)).unwrap();
    assert_stats(&fs, 10, 1, 0);
    h.truncate(Some(30)).unwrap();
    assert_stats(&fs, 30, 1, 0);
    drop(h);
    fs.write("/s", b"xyz").unwrap();
    fs.import_tree(vec![("/i", &b"imported"[..])]).unwrap();
    fs.copy("/s", "/c").unwrap();
    // New files are random-access too.
    assert_stats(&fs, 30 + 3 + 8 + 3, 4, 0);
    // The RandomAccess default promotes nothing, so chunk overhead never appears.
    fs.remove("/r").unwrap();
    fs.remove("/s").unwrap();
    fs.remove("/i").unwrap();
    fs.remove("/c").unwrap();
    assert_stats(&fs, 0, 0, 0);
}

fn ledger_sequential_storage_charges_chunks(ctx: Ctx) {
    let fs = ctx.fs_with(|b| b.default_storage(StorageKind::Sequential));
    write_pieces(&fs, "/s", &[b"aa", b"bbb", b"c"]);
    assert_stats(&fs, 6 + 3 * OVERHEAD, 1, 0);
    assert_eq!(fs.stats().chunk_count, 3);
    fs.write("/t", b"tt").unwrap();
    assert_stats(&fs, 8 + 4 * OVERHEAD, 2, 0);
    assert_eq!(fs.stats().chunk_count, 4);
    // A refused random write costs nothing.
    let mut h = fs.open("/s", OpenMode::ReadWrite).unwrap();
    expect_io_kind(h.write(b"x"), ErrorKind::Unsupported);
    drop(h);
    assert_stats(&fs, 8 + 4 * OVERHEAD, 2, 0);
    fs.remove("/s").unwrap();
    fs.remove("/t").unwrap();
    assert_stats(&fs, 0, 0, 0);
    assert_eq!(fs.stats().chunk_count, 0);
}

fn ledger_chunk_overhead_setter(ctx: Ctx) {
    let zero = ctx.fs_with(|b| b.chunk_overhead(0));
    assert_eq!(zero.stats().overhead_per_chunk_estimate, 0);
    write_pieces(&zero, "/f", &[b"abc", b"de"]);
    assert_stats(&zero, 5, 1, 0);
    assert_eq!(zero.stats().chunk_count, 2);

    let custom = ctx.fs_with(|b| b.chunk_overhead(64).max_quota(1000));
    assert_eq!(custom.stats().overhead_per_chunk_estimate, 64);
    write_pieces(&custom, "/f", &[b"abc", b"de"]);
    assert_stats(&custom, 5 + 2 * 64, 1, 0);
    let mut h = custom.open("/f", OpenMode::Append).unwrap();
    match h.write_bytes(Bytes::from(vec![0u8; 900])) {
        Err(Error::QuotaExceeded {
            requested,
            available,
            ..
        }) => assert_eq!((requested, available), (900 + 64, 1000 - 5 - 128)),
        other => panic!("expected QuotaExceeded, got {other:?}"),
    }
    drop(h);
    custom.copy("/f", "/g").unwrap();
    assert_stats(&custom, 2 * 5 + 3 * 64, 2, 0);
}

fn ledger_truncation(ctx: Ctx) {
    let fs = ctx.fs_with(|b| b.default_storage(StorageKind::Sequential));
    let invariant = |fs: &MemoryFileSystem, size: u64| {
        let s = fs.stats();
        assert_eq!(s.used_bytes, size + OVERHEAD * s.chunk_count, "{s:?}");
        assert_eq!(fs.get_size("/t").unwrap(), size);
    };
    let mut h = fs.open("/t", OpenMode::Write).unwrap();
    for _ in 0..4 {
        h.write_all(&[7u8; 25]).unwrap();
    }
    invariant(&fs, 100);
    assert_eq!(fs.stats().chunk_count, 4);
    h.truncate(Some(60)).unwrap();
    invariant(&fs, 60);
    assert!(fs.stats().chunk_count >= 1);
    h.truncate(Some(80)).unwrap();
    invariant(&fs, 80);
    h.truncate(Some(0)).unwrap();
    invariant(&fs, 0);
    assert_stats(&fs, 0, 1, 0);
    drop(h);
    // Truncation by a Write open releases everything.
    write_pieces(&fs, "/t", &[&[1u8; 10], &[2u8; 10]]);
    invariant(&fs, 20);
    let h = fs.open("/t", OpenMode::Write).unwrap();
    assert_stats(&fs, 0, 1, 0);
    drop(h);
    assert_eq!(fs.stats().chunk_count, 0);
}

fn ledger_copies_charged_as_one_piece(ctx: Ctx) {
    let fs = ctx.fs();
    fs.mkdir("/src", false).unwrap();
    // Three chunks.
    write_pieces(&fs, "/src/multi", &[b"aaaa", b"bbbb", b"cccc"]);
    // Promoted (random-access, charged its size).
    write_pieces(&fs, "/src/promoted", &[b"0123456789"]);
    let mut h = fs.open("/src/promoted", OpenMode::ReadWrite).unwrap();
    h.write_all(b"X").unwrap();
    drop(h);
    fs.write("/src/empty", b"").unwrap();
    let src_used = (12 + 3 * OVERHEAD) + 10;
    assert_stats(&fs, src_used, 3, 1);
    fs.copy("/src/multi", "/multi-copy").unwrap();
    fs.copy("/src/promoted", "/promoted-copy").unwrap();
    fs.copy("/src/empty", "/empty-copy").unwrap();
    let one_piece = (12 + OVERHEAD) + (10 + OVERHEAD);
    assert_stats(&fs, src_used + one_piece, 6, 1);
    fs.copy_tree("/src", "/tree-copy").unwrap();
    assert_stats(&fs, src_used + 2 * one_piece, 9, 2);
    assert_eq!(fs.read("/tree-copy/promoted").unwrap(), b"X123456789");
    assert_eq!(fs.read("/promoted-copy").unwrap(), b"X123456789");
    assert_eq!(fs.read("/multi-copy").unwrap(), b"aaaabbbbcccc");
    fs.rmtree("/src").unwrap();
    fs.rmtree("/tree-copy").unwrap();
    assert_stats(&fs, one_piece, 3, 0);
}

fn ledger_import_tree_charges(ctx: Ctx) {
    let fs = ctx.fs();
    write_pieces(&fs, "/a/../old", &[b"1", b"2"]);
    assert_stats(&fs, 2 + 2 * OVERHEAD, 1, 0);
    fs.import_tree(vec![
        ("/x/one", vec![1u8; 100]),
        ("/x/two", vec![2u8; 50]),
        ("/x/empty", vec![]),
        ("/old", vec![3u8; 7]),
    ])
    .unwrap();
    assert_stats(
        &fs,
        (100 + OVERHEAD) + (50 + OVERHEAD) + (7 + OVERHEAD),
        4,
        1,
    );
    assert_eq!(fs.stats().chunk_count, 3);
}

fn ledger_rename_and_move_change_nothing(ctx: Ctx) {
    let fs = ctx.fs();
    fs.mkdir("/a/b", false).unwrap();
    write_pieces(&fs, "/a/b/f", &[b"12", b"34"]);
    let expect = 4 + 2 * OVERHEAD;
    assert_stats(&fs, expect, 1, 2);
    fs.rename("/a/b/f", "/a/g").unwrap();
    assert_stats(&fs, expect, 1, 2);
    fs.move_path("/a", "/m/n/a").unwrap();
    assert_stats(&fs, expect, 1, 4);
    assert_eq!(fs.stats().chunk_count, 2);
    assert_eq!(fs.read("/m/n/a/g").unwrap(), b"1234");
}

fn ledger_failed_operations_change_nothing(ctx: Ctx) {
    let fs = ctx.fs_with(|b| b.max_quota(2000).max_nodes(6));
    fs.mkdir("/d", false).unwrap();
    write_pieces(&fs, "/d/a", &[&[1u8; 350], &[2u8; 350]]);
    fs.write("/d/b", vec![3u8; 200]).unwrap();
    // used: 700 + 256 + 200 + 128 = 1284; free 716; nodes 3 of 6.
    assert_stats(&fs, 1284, 2, 1);
    let before = state(&fs);
    let check = |what: &str| assert_eq!(state(&fs), before, "after a failed {what}");

    // Fails even if the old 328 bytes were counted as freed.
    expect_kind(fs.write("/d/b", vec![0u8; 1200]), ErrorKind::QuotaExceeded);
    check("write");
    expect_kind(fs.copy("/d/a", "/c"), ErrorKind::QuotaExceeded);
    check("copy");
    expect_kind(fs.copy_tree("/d", "/e"), ErrorKind::QuotaExceeded);
    check("copy_tree");
    expect_kind(
        fs.import_tree(vec![("/i/1", vec![0u8; 400]), ("/i/2", vec![0u8; 400])]),
        ErrorKind::QuotaExceeded,
    );
    check("import_tree (quota)");
    expect_kind(
        fs.import_tree(vec![("/j/k/l/1", &b"1"[..]), ("/j/k/l/2", &b"2"[..])]),
        ErrorKind::QuotaExceeded,
    );
    check("import_tree (nodes)");
    expect_kind(fs.mkdir("/p/q/r/s", false), ErrorKind::QuotaExceeded);
    check("mkdir (nodes)");
    let mut h = fs.open("/d/a", OpenMode::Append).unwrap();
    expect_io_kind(h.write(&[0u8; 700]), ErrorKind::QuotaExceeded);
    drop(h);
    check("append");
    let mut h = fs.open("/d/b", OpenMode::ReadWrite).unwrap();
    expect_io_kind(h.seek(SeekFrom::End(5)), ErrorKind::InvalidInput);
    expect_kind(h.truncate(Some(5000)), ErrorKind::QuotaExceeded);
    drop(h);
    check("truncate");
    expect_kind(
        fs.open_with(
            "/d/b",
            OpenMode::ReadWrite,
            OpenOptions::new().preallocate(5000),
        ),
        ErrorKind::QuotaExceeded,
    );
    check("preallocate");
    expect_kind(fs.rename("/d", "/d/x"), ErrorKind::InvalidInput);
    expect_kind(fs.rename("/d/a", "/d/b"), ErrorKind::AlreadyExists);
    expect_kind(fs.remove("/d"), ErrorKind::IsADirectory);
    check("structural errors");
}

fn ledger_back_to_zero_after_removing_everything(ctx: Ctx) {
    let fs = ctx.fs();
    fs.mkdir("/w/x/y", false).unwrap();
    write_pieces(&fs, "/w/seq", &[b"a", b"b", b"c"]);
    write_pieces(&fs, "/w/x/promoted", &[b"hello"]);
    let mut h = fs.open("/w/x/promoted", OpenMode::ReadWrite).unwrap();
    h.seek(SeekFrom::Start(10)).unwrap();
    h.write_all(b"gap").unwrap();
    drop(h);
    fs.write("/w/x/y/plain", vec![5u8; 333]).unwrap();
    fs.import_tree(vec![("/w/imp/a", &b"imported"[..])])
        .unwrap();
    fs.copy("/w/seq", "/w/seq2").unwrap();
    fs.copy_tree("/w/x", "/w/x2").unwrap();
    fs.move_path("/w/x2", "/elsewhere/x2").unwrap();
    let mut t = fs.open("/w/seq", OpenMode::Append).unwrap();
    t.truncate(Some(1)).unwrap();
    t.truncate(Some(9)).unwrap();
    drop(t);
    fs.open_with(
        "/w/pre",
        OpenMode::Write,
        OpenOptions::new().preallocate(77),
    )
    .unwrap()
    .close()
    .unwrap();
    assert!(used(&fs) > 0);
    fs.rmtree("/w").unwrap();
    fs.rmtree("/elsewhere").unwrap();
    assert_stats(&fs, 0, 0, 0);
    assert_eq!(fs.stats().chunk_count, 0);
    assert_eq!(fs.stats().free_bytes, DEFAULT_QUOTA);
}

fn ledger_handle_kept_open_across_remove_attempts(ctx: Ctx) {
    let fs = ctx.fs();
    fs.write("/f", vec![1u8; 10]).unwrap();
    let mut h = fs.open("/f", OpenMode::Append).unwrap();
    expect_kind(fs.remove("/f"), ErrorKind::ResourceBusy);
    h.write_all(&[2u8; 5]).unwrap();
    assert_stats(&fs, 15 + 2 * OVERHEAD, 1, 0);
    drop(h);
    fs.remove("/f").unwrap();
    assert_stats(&fs, 0, 0, 0);
}

// ---------------------------------------------------------------------------
// max_nodes (decision 13)
// ---------------------------------------------------------------------------

both_strategies!(
    max_nodes_root_does_not_count,
    max_nodes_counts_files_and_dirs,
    max_nodes_multi_level_mkdir_creates_nothing,
    max_nodes_freed_by_removal,
);

fn max_nodes_root_does_not_count(ctx: Ctx) {
    let fs = ctx.fs_with(|b| b.max_nodes(1));
    fs.mkdir("/only", false).unwrap();
    let e = expect_kind(fs.write("/f", b""), ErrorKind::QuotaExceeded);
    assert!(matches!(
        e,
        Error::NodeLimitExceeded {
            current: 1,
            limit: 1,
            ..
        }
    ));
    let zero = ctx.fs_with(|b| b.max_nodes(0));
    let e = expect_kind(zero.mkdir("/x", false), ErrorKind::QuotaExceeded);
    assert!(matches!(
        e,
        Error::NodeLimitExceeded {
            current: 0,
            limit: 0,
            ..
        }
    ));
    assert!(zero.is_dir("/"));
    assert_eq!(zero.listdir("/").unwrap(), Vec::<String>::new());
}

fn max_nodes_counts_files_and_dirs(ctx: Ctx) {
    let n = 5;
    let fs = ctx.fs_with(|b| b.max_nodes(n));
    fs.mkdir("/d", false).unwrap();
    fs.write("/d/1", b"1").unwrap();
    fs.open("/d/2", OpenMode::CreateNew)
        .unwrap()
        .close()
        .unwrap();
    fs.mkdir("/e", false).unwrap();
    fs.copy("/d/1", "/e/1").unwrap();
    assert_stats(&fs, 2 * (1 + OVERHEAD), 3, 2);
    let e = expect_kind(fs.write("/e/2", b"2"), ErrorKind::QuotaExceeded);
    match e {
        Error::NodeLimitExceeded { current, limit, .. } => {
            assert_eq!((current, limit), (n, n));
        }
        other => panic!("expected NodeLimitExceeded, got {other:?}"),
    }
    assert!(!fs.exists("/e/2"));
    assert_stats(&fs, 2 * (1 + OVERHEAD), 3, 2);
}

fn max_nodes_multi_level_mkdir_creates_nothing(ctx: Ctx) {
    let fs = ctx.fs_with(|b| b.max_nodes(2));
    let e = expect_kind(fs.mkdir("/a/b/c", false), ErrorKind::QuotaExceeded);
    assert!(e.is_quota());
    assert!(!fs.exists("/a"));
    assert_stats(&fs, 0, 0, 0);
    let e = expect_kind(fs.move_path("/nope", "/a/b/c"), ErrorKind::NotFound);
    assert!(!e.is_quota());
    fs.mkdir("/a/b", false).unwrap();
    assert_stats(&fs, 0, 0, 2);
    expect_kind(fs.mkdir("/a/b/c", true), ErrorKind::QuotaExceeded);
    assert_eq!(fs.listdir("/a/b").unwrap(), Vec::<String>::new());
}

fn max_nodes_freed_by_removal(ctx: Ctx) {
    let fs = ctx.fs_with(|b| b.max_nodes(3));
    fs.mkdir("/t/u", false).unwrap();
    fs.write("/t/u/f", b"x").unwrap();
    expect_kind(fs.write("/g", b"x"), ErrorKind::QuotaExceeded);
    fs.rmtree("/t").unwrap();
    fs.mkdir("/x/y/z", false).unwrap();
    assert_stats(&fs, 0, 0, 3);
}

// ---------------------------------------------------------------------------
// promotion_hard_limit
// ---------------------------------------------------------------------------

both_strategies!(promotion_hard_limit_setter);

fn promotion_hard_limit_setter(ctx: Ctx) {
    let fs = ctx.fs_with(|b| b.promotion_hard_limit(1000));
    write_pieces(&fs, "/at", &[&[1u8; 1000]]);
    write_pieces(&fs, "/over", &[&[1u8; 1001]]);
    let mut h = fs.open("/at", OpenMode::ReadWrite).unwrap();
    h.write_all(b"promoted").unwrap();
    drop(h);
    let mut h = fs.open("/over", OpenMode::ReadWrite).unwrap();
    expect_io_kind(h.write(b"refused"), ErrorKind::Unsupported);
    drop(h);
    assert_stats(&fs, 1000 + 1001 + OVERHEAD, 2, 0);
    assert_eq!(&fs.read("/at").unwrap()[..8], b"promoted");
    assert_eq!(fs.read("/over").unwrap(), vec![1u8; 1001]);
}
