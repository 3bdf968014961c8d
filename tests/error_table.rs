//! One test per row of API.md's error table (named after the row), plus
//! `Error::kind`, `Error::is_quota`, `From<Error> for std::io::Error`,
//! error messages and `OpenMode: FromStr`.

#![allow(missing_docs)]

#[macro_use]
mod common;

use std::io::{self, ErrorKind, Seek, SeekFrom, Write};
use std::str::FromStr;
use std::time::Duration;

use common::*;
use dmemfs::{Bytes, Error, MemoryFileSystem, OpenMode, OpenOptions, StorageKind};

// ---------------------------------------------------------------------------
// Row: a write, copy, import or preallocation would exceed the byte quota
// ---------------------------------------------------------------------------

both_strategies!(
    error_quota_exceeded_on_write,
    error_quota_exceeded_on_handle_write,
    error_quota_exceeded_on_copy,
    error_quota_exceeded_on_copy_tree,
    error_quota_exceeded_on_import_tree,
    error_quota_exceeded_on_preallocate,
    error_quota_exceeded_on_promotion,
    error_quota_exceeded_on_truncate_extend,
);

#[track_caller]
fn assert_quota_exceeded(e: &Error, requested: u64, available: u64) {
    match e {
        Error::QuotaExceeded {
            requested: r,
            available: a,
            ..
        } => {
            assert_eq!((*r, *a), (requested, available), "{e}");
        }
        other => panic!("expected Error::QuotaExceeded, got {other:?}"),
    }
    assert_eq!(e.kind(), ErrorKind::QuotaExceeded);
    assert!(e.is_quota());
}

fn error_quota_exceeded_on_write(ctx: Ctx) {
    let fs = ctx.fs_quota(1000);
    fs.write("/a", vec![1u8; 400]).unwrap();
    let before = state(&fs);
    // 600 + 128 > 1000 - 528.
    let e = expect_kind(fs.write("/b", vec![2u8; 600]), ErrorKind::QuotaExceeded);
    assert_quota_exceeded(&e, 600 + OVERHEAD, 1000 - 400 - OVERHEAD);
    assert_eq!(state(&fs), before);
    // Too big for the whole quota.
    let e = expect_kind(fs.write("/a", vec![3u8; 2000]), ErrorKind::QuotaExceeded);
    assert!(e.is_quota());
    assert_eq!(state(&fs), before, "the old content stays");
}

fn error_quota_exceeded_on_handle_write(ctx: Ctx) {
    let fs = ctx.fs_quota(1000);
    let mut h = fs.open("/f", OpenMode::Write).unwrap();
    let e = expect_kind(
        h.write_bytes(Bytes::from(vec![0u8; 900])),
        ErrorKind::QuotaExceeded,
    );
    assert_quota_exceeded(&e, 900 + OVERHEAD, 1000);
    expect_io_kind(h.write(&[0u8; 900]), ErrorKind::QuotaExceeded);
    assert_eq!(h.tell(), 0);
    drop(h);
    assert_eq!(fs.get_size("/f").unwrap(), 0);
    assert_eq!(used(&fs), 0, "a refused write stores nothing");
    assert_eq!(fs.stats().chunk_count, 0);
}

fn error_quota_exceeded_on_copy(ctx: Ctx) {
    let fs = ctx.fs_quota(1000);
    fs.write("/src", vec![1u8; 400]).unwrap();
    let before = state(&fs);
    let e = expect_kind(fs.copy("/src", "/dst"), ErrorKind::QuotaExceeded);
    assert!(e.is_quota());
    assert_eq!(state(&fs), before);
    assert!(!fs.exists("/dst"));
}

fn error_quota_exceeded_on_copy_tree(ctx: Ctx) {
    let fs = ctx.fs_quota(1000);
    fs.mkdir("/src/sub", false).unwrap();
    fs.write("/src/a", vec![1u8; 150]).unwrap();
    fs.write("/src/sub/b", vec![1u8; 150]).unwrap();
    // 2 × 278 = 556 used; a copy needs 556 more.
    let before = state(&fs);
    let e = expect_kind(fs.copy_tree("/src", "/dst"), ErrorKind::QuotaExceeded);
    assert!(e.is_quota());
    assert_eq!(state(&fs), before);
    assert!(!fs.exists("/dst"));
}

fn error_quota_exceeded_on_import_tree(ctx: Ctx) {
    let fs = ctx.fs_quota(1000);
    let before = state(&fs);
    let e = expect_kind(
        fs.import_tree(vec![("/a", vec![0u8; 500]), ("/b", vec![0u8; 500])]),
        ErrorKind::QuotaExceeded,
    );
    assert!(e.is_quota());
    assert!(matches!(e, Error::QuotaExceeded { .. }), "{e:?}");
    assert_eq!(state(&fs), before);
}

fn error_quota_exceeded_on_preallocate(ctx: Ctx) {
    let fs = ctx.fs_quota(1000);
    let e = expect_kind(
        fs.open_with("/p", OpenMode::Write, OpenOptions::new().preallocate(2000)),
        ErrorKind::QuotaExceeded,
    );
    assert!(e.is_quota());
    assert!(matches!(e, Error::QuotaExceeded { .. }), "{e:?}");
    assert_eq!(used(&fs), 0);
    // The lock is not left behind.
    if fs.exists("/p") {
        assert_eq!(fs.get_size("/p").unwrap(), 0);
        fs.open_with("/p", OpenMode::Write, try_once()).unwrap();
    }
}

fn error_quota_exceeded_on_promotion(ctx: Ctx) {
    let fs = ctx.fs_quota(1000);
    write_pieces(&fs, "/f", &[&[9u8; 600]]);
    assert_eq!(used(&fs), 600 + OVERHEAD);
    let before = state(&fs);
    let mut h = fs.open("/f", OpenMode::ReadWrite).unwrap();
    // A non-append write promotes; that needs room for a second copy (600).
    expect_io_kind(h.write(b"x"), ErrorKind::QuotaExceeded);
    assert_eq!(h.tell(), 0);
    let e = expect_kind(
        h.write_bytes(Bytes::from_static(b"x")),
        ErrorKind::QuotaExceeded,
    );
    assert!(matches!(e, Error::QuotaExceeded { .. }), "{e:?}");
    drop(h);
    assert_eq!(state(&fs), before, "the file stays as it was");
    // An append still works (no promotion).
    let mut a = fs.open("/f", OpenMode::Append).unwrap();
    a.write_all(b"tail").unwrap();
    drop(a);
    assert_eq!(used(&fs), 604 + 2 * OVERHEAD);
}

fn error_quota_exceeded_on_truncate_extend(ctx: Ctx) {
    let fs = ctx.fs_quota(1000);
    let mut h = fs.open("/t", OpenMode::Write).unwrap();
    h.write_all(&[1u8; 100]).unwrap();
    let e = expect_kind(h.truncate(Some(5000)), ErrorKind::QuotaExceeded);
    assert!(e.is_quota());
    assert_eq!(h.tell(), 100);
    drop(h);
    assert_eq!(fs.get_size("/t").unwrap(), 100);
    assert_eq!(used(&fs), 100 + OVERHEAD);
}

// ---------------------------------------------------------------------------
// Row: creating a node would exceed max_nodes
// ---------------------------------------------------------------------------

both_strategies!(error_node_limit_exceeded);

#[track_caller]
fn assert_node_limit(e: &Error, current: u64, limit: u64) {
    match e {
        Error::NodeLimitExceeded {
            current: c,
            limit: l,
            ..
        } => assert_eq!((*c, *l), (current, limit), "{e}"),
        other => panic!("expected Error::NodeLimitExceeded, got {other:?}"),
    }
    assert_eq!(e.kind(), ErrorKind::QuotaExceeded);
    assert!(e.is_quota());
}

fn error_node_limit_exceeded(ctx: Ctx) {
    let fs = ctx.fs_with(|b| b.max_nodes(3));
    fs.mkdir("/a", false).unwrap();
    fs.mkdir("/a/b", false).unwrap();
    fs.write("/a/b/f", b"x").unwrap();
    assert_eq!(fs.stats().file_count + fs.stats().dir_count, 3);
    let before = state(&fs);
    let e = expect_kind(fs.mkdir("/c", false), ErrorKind::QuotaExceeded);
    assert_node_limit(&e, 3, 3);
    let e = expect_kind(fs.write("/g", b"x"), ErrorKind::QuotaExceeded);
    assert_node_limit(&e, 3, 3);
    for mode in [OpenMode::Write, OpenMode::Append, OpenMode::CreateNew] {
        let e = expect_kind(fs.open("/g", mode), ErrorKind::QuotaExceeded);
        assert_node_limit(&e, 3, 3);
    }
    let e = expect_kind(fs.copy("/a/b/f", "/a/b/g"), ErrorKind::QuotaExceeded);
    assert_node_limit(&e, 3, 3);
    let e = expect_kind(fs.copy_tree("/a/b", "/z"), ErrorKind::QuotaExceeded);
    assert_node_limit(&e, 3, 3);
    let e = expect_kind(
        fs.import_tree(vec![("/n", &b"1"[..])]),
        ErrorKind::QuotaExceeded,
    );
    assert_node_limit(&e, 3, 3);
    let e = expect_kind(fs.move_path("/a/b/f", "/new/f"), ErrorKind::QuotaExceeded);
    assert_node_limit(&e, 3, 3);
    assert_eq!(state(&fs), before);
    // Renaming and truncating create no node: allowed at the limit.
    fs.rename("/a/b/f", "/a/f").unwrap();
    let mut h = fs.open("/a/f", OpenMode::Write).unwrap();
    h.write_all(b"rewritten").unwrap();
    drop(h);
    assert_eq!(fs.read("/a/f").unwrap(), b"rewritten");
    // Removing frees a node.
    fs.remove("/a/f").unwrap();
    fs.mkdir("/c", false).unwrap();
}

// ---------------------------------------------------------------------------
// Row: path missing, or a parent missing
// ---------------------------------------------------------------------------

both_strategies!(error_not_found_missing_path, error_not_found_missing_parent);

fn error_not_found_missing_path(ctx: Ctx) {
    let fs = ctx.fs();
    fs.mkdir("/d", false).unwrap();
    let p = "/d/missing";
    let k = ErrorKind::NotFound;
    expect_kind(fs.open(p, OpenMode::Read), k);
    expect_kind(fs.open(p, OpenMode::ReadWrite), k);
    expect_kind(fs.stat(p), k);
    expect_kind(fs.get_size(p), k);
    expect_kind(fs.listdir(p), k);
    expect_kind(fs.walk(p).map(|w| w.count()), k);
    expect_kind(fs.remove(p), k);
    expect_kind(fs.rmtree(p), k);
    expect_kind(fs.rename(p, "/d/x"), k);
    expect_kind(fs.move_path(p, "/d/x"), k);
    expect_kind(fs.copy(p, "/d/x"), k);
    expect_kind(fs.copy_tree(p, "/d/x"), k);
    expect_kind(fs.export_bytes(p, None), k);
    expect_kind(fs.read(p), k);
    expect_kind(fs.read_to_string(p), k);
    assert!(!fs.exists("/d/x"));
}

fn error_not_found_missing_parent(ctx: Ctx) {
    let fs = ctx.fs();
    fs.write("/f", b"f").unwrap();
    fs.mkdir("/d", false).unwrap();
    let before = state(&fs);
    let p = "/nope/x";
    let k = ErrorKind::NotFound;
    for mode in [OpenMode::Write, OpenMode::Append, OpenMode::CreateNew] {
        expect_kind(fs.open(p, mode), k);
    }
    expect_kind(fs.write(p, b"x"), k);
    expect_kind(fs.rename("/f", p), k);
    expect_kind(fs.rename("/d", p), k);
    expect_kind(fs.copy("/f", p), k);
    expect_kind(fs.copy_tree("/d", p), k);
    expect_kind(fs.stat(p), k);
    expect_kind(fs.listdir(p), k);
    assert_eq!(state(&fs), before);
}

// ---------------------------------------------------------------------------
// Row: creation target exists
// ---------------------------------------------------------------------------

both_strategies!(error_already_exists_creation_target);

fn error_already_exists_creation_target(ctx: Ctx) {
    let fs = ctx.fs();
    fs.mkdir("/d", false).unwrap();
    fs.mkdir("/e", false).unwrap();
    fs.write("/f", b"f").unwrap();
    fs.write("/g", b"g").unwrap();
    let before = state(&fs);
    let k = ErrorKind::AlreadyExists;
    expect_kind(fs.open("/f", OpenMode::CreateNew), k);
    expect_kind(fs.mkdir("/d", false), k);
    expect_kind(fs.mkdir("/f", false), k);
    expect_kind(fs.mkdir("/f", true), k);
    expect_kind(fs.rename("/f", "/g"), k);
    expect_kind(fs.move_path("/f", "/g"), k);
    expect_kind(fs.copy("/f", "/g"), k);
    expect_kind(fs.copy_tree("/d", "/e"), k);
    assert_eq!(state(&fs), before);
}

// ---------------------------------------------------------------------------
// Row: file operation on a directory
// ---------------------------------------------------------------------------

both_strategies!(error_is_a_directory_file_operation_on_directory);

fn error_is_a_directory_file_operation_on_directory(ctx: Ctx) {
    let fs = ctx.fs();
    fs.mkdir("/d/sub", false).unwrap();
    let before = state(&fs);
    let k = ErrorKind::IsADirectory;
    for mode in [
        OpenMode::Read,
        OpenMode::Write,
        OpenMode::Append,
        OpenMode::ReadWrite,
        OpenMode::CreateNew,
    ] {
        expect_kind(fs.open("/d", mode), k);
    }
    expect_kind(fs.remove("/d"), k);
    expect_kind(fs.copy("/d", "/x"), k);
    expect_kind(fs.export_bytes("/d", None), k);
    expect_kind(fs.read("/d"), k);
    expect_kind(fs.read_to_string("/d"), k);
    expect_kind(fs.write("/d", b"x"), k);
    expect_kind(fs.get_size("/d"), k);
    expect_kind(fs.import_tree(vec![("/d/sub", &b"x"[..])]), k);
    assert_eq!(state(&fs), before);
}

// ---------------------------------------------------------------------------
// Row: directory operation on a file
// ---------------------------------------------------------------------------

both_strategies!(error_not_a_directory_directory_operation_on_file);

fn error_not_a_directory_directory_operation_on_file(ctx: Ctx) {
    let fs = ctx.fs();
    fs.write("/f", b"f").unwrap();
    let before = state(&fs);
    let k = ErrorKind::NotADirectory;
    expect_kind(fs.listdir("/f"), k);
    expect_kind(fs.rmtree("/f"), k);
    expect_kind(fs.copy_tree("/f", "/x"), k);
    expect_kind(fs.walk("/f").map(|w| w.count()), k);
    // A path through a file.
    expect_kind(fs.mkdir("/f/x", true), k);
    expect_kind(fs.open("/f/x", OpenMode::Write), k);
    expect_kind(fs.stat("/f/x"), k);
    expect_kind(fs.write("/f/x", b"x"), k);
    assert_eq!(state(&fs), before);
}

// ---------------------------------------------------------------------------
// Row: lock not acquired within the timeout
// ---------------------------------------------------------------------------

both_strategies!(error_would_block_lock_timeout);

fn error_would_block_lock_timeout(ctx: Ctx) {
    let fs = ctx.fs_with(|b| b.default_lock_timeout(Some(Duration::from_millis(50))));
    fs.write("/f", b"x").unwrap();
    let h = fs.open("/f", OpenMode::Write).unwrap();
    let k = ErrorKind::WouldBlock;
    let e = expect_kind(fs.open_with("/f", OpenMode::Read, try_once()), k);
    assert!(!e.is_quota());
    expect_kind(fs.open("/f", OpenMode::Read), k);
    expect_kind(
        fs.open_with(
            "/f",
            OpenMode::Append,
            OpenOptions::new().lock_timeout(Duration::from_millis(20)),
        ),
        k,
    );
    expect_kind(fs.read("/f"), k);
    expect_kind(fs.export_bytes("/f", None), k);
    let io_err: io::Error = e.into();
    assert_eq!(io_err.kind(), ErrorKind::WouldBlock);
    drop(h);
    fs.open_with("/f", OpenMode::Read, try_once()).unwrap();
}

// ---------------------------------------------------------------------------
// Row: remove/rename/move/import of a file that is open (decision 11)
// ---------------------------------------------------------------------------

both_strategies!(
    error_resource_busy_remove_open_file,
    error_resource_busy_rename_open_file,
    error_resource_busy_rename_dir_with_open_file,
    error_resource_busy_move_open_file,
    error_resource_busy_move_dir_with_open_file,
    error_resource_busy_rmtree_dir_with_open_file,
    error_resource_busy_import_open_file,
);

/// For each mode, opens `/d/f`, checks that `op` fails with ResourceBusy and
/// changes nothing, drops the handle and checks that `op` then succeeds.
fn busy_then_ok(ctx: Ctx, op: impl Fn(&MemoryFileSystem) -> dmemfs::Result<()>) {
    for mode in [
        OpenMode::Read,
        OpenMode::Write,
        OpenMode::Append,
        OpenMode::ReadWrite,
    ] {
        let fs = ctx.fs();
        fs.mkdir("/d", false).unwrap();
        fs.write("/d/f", b"open file").unwrap();
        let h = fs.open("/d/f", mode).unwrap();
        let before = state_without_contents(&fs);
        let e = expect_kind(op(&fs), ErrorKind::ResourceBusy);
        assert!(!e.is_quota());
        assert_eq!(
            state_without_contents(&fs),
            before,
            "{mode:?}: nothing changed"
        );
        assert!(fs.is_file("/d/f"));
        drop(h);
        op(&fs).unwrap_or_else(|e| panic!("{mode:?}: after the handle is dropped: {e}"));
    }
}

/// The tree as `walk` yields it.
type Tree = Vec<(String, Vec<String>, Vec<String>)>;

/// Like `state` but without reading files (one of them is locked).
fn state_without_contents(fs: &MemoryFileSystem) -> (Tree, u64, u64, u64) {
    let s = fs.stats();
    (
        fs.walk("/").unwrap().collect(),
        s.used_bytes,
        s.file_count,
        s.dir_count,
    )
}

fn error_resource_busy_remove_open_file(ctx: Ctx) {
    busy_then_ok(ctx, |fs| fs.remove("/d/f"));
}

fn error_resource_busy_rename_open_file(ctx: Ctx) {
    busy_then_ok(ctx, |fs| fs.rename("/d/f", "/d/g"));
}

/// D-MemFS refuses to rename a directory holding an open file, too.
fn error_resource_busy_rename_dir_with_open_file(ctx: Ctx) {
    busy_then_ok(ctx, |fs| fs.rename("/d", "/e"));
}

fn error_resource_busy_move_open_file(ctx: Ctx) {
    busy_then_ok(ctx, |fs| fs.move_path("/d/f", "/x/y/f"));
}

/// D-MemFS refuses to move a directory holding an open file, too.
fn error_resource_busy_move_dir_with_open_file(ctx: Ctx) {
    busy_then_ok(ctx, |fs| fs.move_path("/d", "/x/d"));
}

fn error_resource_busy_rmtree_dir_with_open_file(ctx: Ctx) {
    busy_then_ok(ctx, |fs| fs.rmtree("/d"));
}

fn error_resource_busy_import_open_file(ctx: Ctx) {
    busy_then_ok(ctx, |fs| {
        fs.import_tree(vec![("/d/other", &b"o"[..]), ("/d/f", &b"new"[..])])
    });
}

// ---------------------------------------------------------------------------
// Row: read on a write-only handle, write on a read-only one, random write
// with promotion disabled
// ---------------------------------------------------------------------------

both_strategies!(
    error_unsupported_read_on_write_only_handle,
    error_unsupported_write_on_read_only_handle,
    error_unsupported_random_write_promotion_disabled,
    error_unsupported_random_write_above_promotion_hard_limit,
);

fn error_unsupported_read_on_write_only_handle(ctx: Ctx) {
    use std::io::Read;
    let fs = ctx.fs();
    fs.write("/f", b"data").unwrap();
    for mode in [OpenMode::Write, OpenMode::Append] {
        let mut h = fs.open("/f", mode).unwrap();
        expect_io_kind(h.read(&mut [0u8; 4]), ErrorKind::Unsupported);
        expect_kind(h.read_bytes(4), ErrorKind::Unsupported);
    }
    let mut h = fs.open("/n", OpenMode::CreateNew).unwrap();
    expect_io_kind(h.read(&mut [0u8; 4]), ErrorKind::Unsupported);
    expect_kind(h.read_bytes(4), ErrorKind::Unsupported);
}

fn error_unsupported_write_on_read_only_handle(ctx: Ctx) {
    let fs = ctx.fs();
    fs.write("/f", b"data").unwrap();
    let mut h = fs.open("/f", OpenMode::Read).unwrap();
    expect_io_kind(h.write(b"x"), ErrorKind::Unsupported);
    expect_kind(
        h.write_bytes(Bytes::from_static(b"x")),
        ErrorKind::Unsupported,
    );
    expect_kind(h.truncate(Some(0)), ErrorKind::Unsupported);
    let e: io::Error = h.truncate(None).unwrap_err().into();
    assert_eq!(e.kind(), ErrorKind::Unsupported);
    drop(h);
    assert_eq!(fs.read("/f").unwrap(), b"data");
}

fn error_unsupported_random_write_promotion_disabled(ctx: Ctx) {
    let fs = ctx.fs_with(|b| b.default_storage(StorageKind::Sequential));
    let mut h = fs.open("/f", OpenMode::Write).unwrap();
    h.write_all(b"abc").unwrap();
    h.seek(SeekFrom::Start(0)).unwrap();
    expect_io_kind(h.write(b"x"), ErrorKind::Unsupported);
    expect_kind(
        h.write_bytes(Bytes::from_static(b"x")),
        ErrorKind::Unsupported,
    );
    assert_eq!(h.tell(), 0);
    drop(h);
    assert_eq!(fs.read("/f").unwrap(), b"abc");
    assert_eq!(used(&fs), 3 + OVERHEAD);
}

fn error_unsupported_random_write_above_promotion_hard_limit(ctx: Ctx) {
    let fs = ctx.fs_with(|b| b.promotion_hard_limit(50));
    write_pieces(&fs, "/big", &[&[1u8; 100]]);
    write_pieces(&fs, "/small", &[&[1u8; 10]]);
    let mut h = fs.open("/big", OpenMode::ReadWrite).unwrap();
    expect_io_kind(h.write(b"x"), ErrorKind::Unsupported);
    assert_eq!(h.tell(), 0);
    // Appends still work.
    h.seek(SeekFrom::End(0)).unwrap();
    h.write_all(b"end").unwrap();
    drop(h);
    assert_eq!(fs.get_size("/big").unwrap(), 103);
    // Below the limit, promotion happens.
    let mut s = fs.open("/small", OpenMode::ReadWrite).unwrap();
    s.write_all(b"x").unwrap();
    drop(s);
    assert_eq!(fs.read("/small").unwrap()[0], b'x');
    assert_eq!(used(&fs), 103 + 2 * OVERHEAD + 10);
}

// ---------------------------------------------------------------------------
// Row: bad path, rename of the root, a directory moved into itself, bad
// seek/truncate
// ---------------------------------------------------------------------------

both_strategies!(
    error_invalid_input_bad_path,
    error_invalid_input_rename_of_root,
    error_invalid_input_directory_moved_into_itself,
    error_invalid_input_bad_seek,
    error_invalid_input_bad_open_mode_string,
    error_invalid_input_export_bytes_over_max_size,
    error_invalid_input_bad_glob_pattern,
    error_invalid_input_import_of_root,
);

fn error_invalid_input_bad_path(ctx: Ctx) {
    let fs = ctx.fs();
    let k = ErrorKind::InvalidInput;
    for bad in ["/..", "a/../../b", "/x\0y"] {
        expect_kind(fs.open(bad, OpenMode::Write), k);
        expect_kind(fs.mkdir(bad, true), k);
        expect_kind(fs.write(bad, b"x"), k);
        expect_kind(fs.stat(bad), k);
        expect_kind(fs.listdir(bad), k);
        assert!(!fs.exists(bad));
        assert!(!fs.is_dir(bad));
        assert!(!fs.is_file(bad));
    }
    assert_eq!(fs.stats().file_count + fs.stats().dir_count, 0);
}

fn error_invalid_input_rename_of_root(ctx: Ctx) {
    let fs = ctx.fs();
    fs.mkdir("/d", false).unwrap();
    let k = ErrorKind::InvalidInput;
    expect_kind(fs.rename("/", "/x"), k);
    expect_kind(fs.move_path("/", "/x"), k);
    expect_kind(fs.move_path("/", "/d/x"), k);
    expect_kind(fs.rmtree("/"), k);
    expect_kind(fs.rename("/d/..", "/y"), k);
    assert_eq!(fs.listdir("/").unwrap(), vec!["d"]);
}

fn error_invalid_input_directory_moved_into_itself(ctx: Ctx) {
    let fs = ctx.fs();
    fs.mkdir("/a/b", false).unwrap();
    fs.write("/a/b/f", b"x").unwrap();
    let before = state(&fs);
    let k = ErrorKind::InvalidInput;
    expect_kind(fs.rename("/a", "/a/b/a"), k);
    expect_kind(fs.rename("/a", "/a/c"), k);
    expect_kind(fs.move_path("/a", "/a/b/z"), k);
    expect_kind(fs.move_path("/a", "/a/x/y"), k);
    expect_kind(fs.move_path("/a/b", "/a/b/c"), k);
    assert_eq!(state(&fs), before);
}

fn error_invalid_input_bad_seek(ctx: Ctx) {
    let fs = ctx.fs();
    fs.write("/f", b"0123").unwrap();
    let mut h = fs.open("/f", OpenMode::Read).unwrap();
    h.seek(SeekFrom::Start(2)).unwrap();
    expect_io_kind(h.seek(SeekFrom::End(1)), ErrorKind::InvalidInput);
    expect_io_kind(h.seek(SeekFrom::Current(-3)), ErrorKind::InvalidInput);
    expect_io_kind(h.seek(SeekFrom::End(-5)), ErrorKind::InvalidInput);
    assert_eq!(h.tell(), 2);
}

fn error_invalid_input_bad_open_mode_string(_ctx: Ctx) {
    let ok = [
        ("rb", OpenMode::Read),
        ("wb", OpenMode::Write),
        ("ab", OpenMode::Append),
        ("r+b", OpenMode::ReadWrite),
        ("xb", OpenMode::CreateNew),
    ];
    for (s, m) in ok {
        assert_eq!(s.parse::<OpenMode>().unwrap(), m, "{s}");
        assert_eq!(OpenMode::from_str(s).unwrap(), m, "{s}");
    }
    for bad in [
        "", "r", "w", "a", "x", "r+", "rb+", "wb+", "rt", "wt", "RB", "Rb", " rb", "rb ", "rw",
        "b", "rbb", "w+b", "a+b", "read",
    ] {
        let e: Error = bad.parse::<OpenMode>().unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidInput, "{bad:?}");
        assert!(!e.is_quota());
    }
}

fn error_invalid_input_export_bytes_over_max_size(ctx: Ctx) {
    let fs = ctx.fs();
    fs.write("/f", vec![1u8; 64]).unwrap();
    expect_kind(fs.export_bytes("/f", Some(63)), ErrorKind::InvalidInput);
    expect_kind(fs.export_bytes("/f", Some(0)), ErrorKind::InvalidInput);
    assert_eq!(fs.export_bytes("/f", Some(64)).unwrap().len(), 64);
}

fn error_invalid_input_bad_glob_pattern(ctx: Ctx) {
    let fs = ctx.fs();
    fs.write("/f", b"x").unwrap();
    // fnmatch has no malformed pattern; only a wildcard component over
    // 4096 bytes (or 64 KiB of them) is refused.
    expect_kind(fs.glob(&"?".repeat(4097)), ErrorKind::InvalidInput);
    expect_kind(
        fs.glob(&format!("*{}", "a".repeat(327_671))),
        ErrorKind::InvalidInput,
    );
}

fn error_invalid_input_import_of_root(ctx: Ctx) {
    let fs = ctx.fs();
    for root in ["/", "", "/a/..", "\\", "."] {
        expect_kind(
            fs.import_tree(vec![(root, &b"x"[..])]),
            ErrorKind::InvalidInput,
        );
    }
    assert_eq!(fs.stats().file_count + fs.stats().dir_count, 0);
    // Opening the root is IsADirectory.
    expect_kind(fs.open("/", OpenMode::Write), ErrorKind::IsADirectory);
}

// ---------------------------------------------------------------------------
// Error API: kind, is_quota, io::Error conversion, messages
// ---------------------------------------------------------------------------

both_strategies!(
    error_kind_and_io_conversion,
    error_is_quota_only_for_quota_variants,
    error_messages_name_the_path,
);

fn open_missing(fs: &MemoryFileSystem) -> io::Result<Vec<u8>> {
    // `?` works in functions returning io::Result.
    let mut h = fs.open("/no/such/file.bin", OpenMode::Read)?;
    let mut v = Vec::new();
    io::Read::read_to_end(&mut h, &mut v)?;
    fs.mkdir("/also", false)?;
    Ok(v)
}

fn error_kind_and_io_conversion(ctx: Ctx) {
    let fs = ctx.fs_quota(1000);
    fs.mkdir("/d", false).unwrap();
    fs.write("/f", b"x").unwrap();
    let cases: Vec<(Error, ErrorKind)> = vec![
        (
            fs.open("/nope", OpenMode::Read).unwrap_err(),
            ErrorKind::NotFound,
        ),
        (fs.mkdir("/d", false).unwrap_err(), ErrorKind::AlreadyExists),
        (fs.remove("/d").unwrap_err(), ErrorKind::IsADirectory),
        (fs.listdir("/f").unwrap_err(), ErrorKind::NotADirectory),
        (fs.rmtree("/").unwrap_err(), ErrorKind::InvalidInput),
        (
            fs.write("/big", vec![0u8; 2000]).unwrap_err(),
            ErrorKind::QuotaExceeded,
        ),
    ];
    for (e, kind) in cases {
        assert_eq!(e.kind(), kind, "{e:?}");
        let text = e.to_string();
        let io_err: io::Error = e.into();
        assert_eq!(io_err.kind(), kind);
        assert_eq!(
            io_err.to_string(),
            text,
            "the io::Error carries the message"
        );
    }
    let via_question_mark = open_missing(&fs).unwrap_err();
    assert_eq!(via_question_mark.kind(), ErrorKind::NotFound);
    let e = io::Error::from(fs.open("/d", OpenMode::Read).unwrap_err());
    assert_eq!(e.kind(), ErrorKind::IsADirectory);
    // std::error::Error + Send + Sync + 'static: boxes as dyn Error.
    let boxed: Box<dyn std::error::Error + Send + Sync> =
        Box::new(fs.open("/nope", OpenMode::Read).unwrap_err());
    assert!(!boxed.to_string().is_empty());
    let moved = std::thread::spawn(move || boxed.to_string())
        .join()
        .unwrap();
    assert!(!moved.is_empty());
}

fn error_is_quota_only_for_quota_variants(ctx: Ctx) {
    let fs = ctx.fs_with(|b| b.max_quota(1000).max_nodes(2));
    fs.write("/f", b"x").unwrap();
    let q = fs.write("/f", vec![0u8; 5000]).unwrap_err();
    assert!(q.is_quota());
    assert!(matches!(q, Error::QuotaExceeded { .. }));
    fs.mkdir("/d", false).unwrap();
    let n = fs.mkdir("/e", false).unwrap_err();
    assert!(n.is_quota());
    assert!(matches!(n, Error::NodeLimitExceeded { .. }));
    for e in [
        fs.open("/nope", OpenMode::Read).unwrap_err(),
        fs.mkdir("/d", false).unwrap_err(),
        fs.remove("/d").unwrap_err(),
        fs.listdir("/f").unwrap_err(),
        fs.rmtree("/").unwrap_err(),
    ] {
        assert!(!e.is_quota(), "{e:?}");
    }
}

fn error_messages_name_the_path(ctx: Ctx) {
    let fs = ctx.fs();
    fs.mkdir("/dir", false).unwrap();
    fs.write("/file.txt", b"x").unwrap();
    let cases: Vec<(Error, &str)> = vec![
        (
            fs.open("/missing-file.bin", OpenMode::Read).unwrap_err(),
            "missing-file.bin",
        ),
        (fs.mkdir("/dir", false).unwrap_err(), "/dir"),
        (fs.remove("/dir").unwrap_err(), "/dir"),
        (fs.listdir("/file.txt").unwrap_err(), "file.txt"),
        (fs.read("/no-such-thing").unwrap_err(), "no-such-thing"),
    ];
    for (e, needle) in cases {
        let text = e.to_string();
        assert!(text.contains(needle), "{text:?} should name {needle:?}");
    }
}

both_strategies!(error_invalid_data_names_the_normalized_path);

fn error_invalid_data_names_the_normalized_path(ctx: Ctx) {
    let fs = ctx.fs();
    fs.write("/bad", [0xffu8, 0xfe]).unwrap();
    match fs.read_to_string("x/../bad") {
        Err(dmemfs::Error::InvalidData { path, .. }) => assert_eq!(path, "/bad"),
        other => panic!("expected InvalidData, got {other:?}"),
    }
}
