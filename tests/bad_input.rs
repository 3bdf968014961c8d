//! The bad-input table: one test per row (named after it), each on both
//! strategies. Every row gets a typed error or the correct result, and the
//! filesystem is still usable afterwards (`assert_usable`).

#![allow(missing_docs)]

#[macro_use]
mod common;

use std::io::{ErrorKind, Read, Seek, SeekFrom, Write};
use std::thread;
use std::time::Duration;

use common::*;
use dmemfs::{Bytes, Error, MemoryFileSystem, OpenMode, OpenOptions, StorageKind};

const KINDS: [StorageKind; 3] = [
    StorageKind::Auto,
    StorageKind::Sequential,
    StorageKind::RandomAccess,
];

/// The filesystem still works: a file can be made, read, listed and
/// removed, and the ledger follows exactly.
#[track_caller]
fn assert_usable(fs: &MemoryFileSystem) {
    let before = fs.stats();
    let dir = "/usable-check";
    fs.mkdir(dir, true).expect("mkdir after bad input");
    fs.write("/usable-check/f", b"still works")
        .expect("write after bad input");
    assert_eq!(fs.read("/usable-check/f").unwrap(), b"still works");
    assert!(fs.listdir(dir).unwrap().contains(&"f".to_owned()));
    let mut h = fs.open("/usable-check/g", OpenMode::Write).unwrap();
    h.write_all(b"handle").unwrap();
    drop(h);
    assert_eq!(fs.read("/usable-check/g").unwrap(), b"handle");
    fs.rmtree(dir).expect("rmtree after bad input");
    let after = fs.stats();
    assert_eq!(after.used_bytes, before.used_bytes, "ledger restored");
    assert_eq!(after.file_count, before.file_count);
    assert_eq!(after.dir_count, before.dir_count);
}

/// Every operation that takes a path refuses `bad` with `kind` and changes
/// nothing.
#[track_caller]
fn refused_everywhere(fs: &MemoryFileSystem, bad: &str, kind: ErrorKind) {
    let before = state(fs);
    for mode in [
        OpenMode::Read,
        OpenMode::Write,
        OpenMode::Append,
        OpenMode::ReadWrite,
        OpenMode::CreateNew,
    ] {
        expect_kind(fs.open(bad, mode).map(drop), kind);
    }
    expect_kind(fs.write(bad, b"x"), kind);
    expect_kind(fs.mkdir(bad, true), kind);
    expect_kind(fs.remove(bad), kind);
    expect_kind(fs.rmtree(bad), kind);
    expect_kind(fs.rename(bad, "/ok"), kind);
    expect_kind(fs.rename("/src", bad), kind);
    expect_kind(fs.move_path("/src", bad), kind);
    expect_kind(fs.copy(bad, "/ok"), kind);
    expect_kind(fs.copy("/src", bad), kind);
    expect_kind(fs.copy_tree(bad, "/ok"), kind);
    expect_kind(fs.copy_tree("/dir", bad), kind);
    expect_kind(
        fs.import_tree([("/fine", &b"1"[..]), (bad, &b"2"[..])]),
        kind,
    );
    expect_kind(fs.listdir(bad), kind);
    expect_kind(fs.stat(bad), kind);
    expect_kind(fs.get_size(bad), kind);
    expect_kind(fs.read(bad), kind);
    expect_kind(fs.read_to_string(bad), kind);
    expect_kind(fs.export_bytes(bad, None), kind);
    expect_kind(fs.export_tree(bad, false), kind);
    expect_kind(fs.iter_export_tree(bad, false).map(drop), kind);
    expect_kind(fs.walk(bad).map(drop), kind);
    expect_kind(fs.glob(bad), kind);
    assert!(!fs.exists(bad) && !fs.is_dir(bad) && !fs.is_file(bad));
    assert_eq!(
        state(fs),
        before,
        "a refused {bad:?} changed the filesystem"
    );
}

fn with_sources(fs: &MemoryFileSystem) {
    fs.write("/src", b"source").unwrap();
    fs.mkdir("/dir", false).unwrap();
}

both_strategies!(
    empty_path,
    dotdot_escapes,
    nul_byte,
    name_of_10000_bytes,
    path_of_100000_levels,
    one_million_entries_in_one_directory,
    zero_byte_quota,
    max_nodes_zero,
    zero_byte_writes,
    seek_to_u64_max,
    truncate_to_huge_sizes,
    preallocate_beyond_the_quota,
    quota_larger_than_memory,
    glob_with_unbalanced_bracket,
    read_handle_after_file_replaced,
    lock_timeout_duration_max,
);

/// `""` is the root.
fn empty_path(ctx: Ctx) {
    let fs = ctx.fs();
    with_sources(&fs);
    let before = state(&fs);
    expect_kind(
        fs.open("", OpenMode::Read).map(drop),
        ErrorKind::IsADirectory,
    );
    expect_kind(
        fs.open("", OpenMode::Write).map(drop),
        ErrorKind::IsADirectory,
    );
    expect_kind(fs.write("", b"x"), ErrorKind::IsADirectory);
    expect_kind(fs.read(""), ErrorKind::IsADirectory);
    expect_kind(fs.mkdir("", false), ErrorKind::AlreadyExists);
    fs.mkdir("", true).unwrap();
    expect_kind(fs.remove(""), ErrorKind::IsADirectory);
    expect_kind(fs.rmtree(""), ErrorKind::InvalidInput);
    expect_kind(fs.rename("", "/x"), ErrorKind::InvalidInput);
    expect_kind(fs.rename("/src", ""), ErrorKind::AlreadyExists);
    expect_kind(fs.copy("/src", ""), ErrorKind::AlreadyExists);
    expect_kind(fs.copy_tree("/dir", ""), ErrorKind::AlreadyExists);
    expect_kind(fs.import_tree([("", &b"x"[..])]), ErrorKind::InvalidInput);
    assert_eq!(fs.listdir("").unwrap(), ["dir", "src"]);
    assert!(fs.exists("") && fs.is_dir(""));
    assert!(fs.stat("").unwrap().is_dir);
    assert_eq!(fs.glob("").unwrap(), Vec::<String>::new());
    assert_eq!(fs.walk("").unwrap().count(), 2);
    assert_eq!(state(&fs), before);
    assert_usable(&fs);
}

fn dotdot_escapes(ctx: Ctx) {
    let fs = ctx.fs();
    with_sources(&fs);
    for bad in [
        "..",
        "/..",
        "../a",
        "/a/../../b",
        "\\..\\x",
        "./../src",
        "dir/../..",
    ] {
        refused_everywhere(&fs, bad, ErrorKind::InvalidInput);
    }
    // `..` that stays inside the root is fine.
    assert_eq!(fs.read("/dir/../src").unwrap(), b"source");
    assert_eq!(fs.listdir("dir/..").unwrap(), ["dir", "src"]);
    assert_usable(&fs);
}

fn nul_byte(ctx: Ctx) {
    let fs = ctx.fs();
    with_sources(&fs);
    for bad in ["\0", "/a\0b", "/dir/\0", "src\0", "/dir/x\0/y"] {
        refused_everywhere(&fs, bad, ErrorKind::InvalidInput);
    }
    assert_usable(&fs);
}

fn name_of_10000_bytes(ctx: Ctx) {
    let fs = ctx.fs();
    // In memory there is no name length limit: long names just work.
    for name in ["n".repeat(10_000), "é".repeat(5_000)] {
        assert_eq!(name.len(), 10_000);
        let path = format!("/{name}");
        fs.write(&path, b"long").unwrap();
        assert_eq!(fs.read(&path).unwrap(), b"long");
        assert_eq!(fs.listdir("/").unwrap(), vec![name.clone()]);
        assert_eq!(fs.glob(&path).unwrap(), vec![path.clone()]);
        let dir = format!("/d{name}");
        fs.mkdir(&format!("{dir}/{name}"), false).unwrap();
        fs.rename(&path, &format!("{dir}/{name}/{name}")).unwrap();
        assert_eq!(fs.get_size(&format!("{dir}/{name}/{name}")).unwrap(), 4);
        fs.copy_tree(&dir, "/copy").unwrap();
        assert_eq!(fs.read(&format!("/copy/{name}/{name}")).unwrap(), b"long");
        fs.rmtree(&dir).unwrap();
        fs.rmtree("/copy").unwrap();
        assert_eq!(used(&fs), 0);
    }
    assert_usable(&fs);
}

/// Paths of 100,000 levels given to every operation (the 100,000-level
/// chain itself is built in fs_operations.rs): each is answered, no stack
/// overflow, no quadratic blow-up.
fn path_of_100000_levels(ctx: Ctx) {
    run_with_deadline(
        "100,000-level paths",
        Duration::from_secs(120),
        Some(1 << 20),
        move || {
            let fs = ctx.fs();
            with_sources(&fs);
            let deep = "/x".repeat(100_000);
            refused_nowhere_but_missing(&fs, &deep);
            // Through a file: NotADirectory.
            let through = format!("/src{deep}");
            expect_kind(fs.stat(&through), ErrorKind::NotADirectory);
            expect_kind(fs.write(&through, b"x"), ErrorKind::NotADirectory);
            expect_kind(fs.mkdir(&through, false), ErrorKind::NotADirectory);
            // 100,000 `..` collapse back to the root.
            let back = format!("{deep}{}", "/..".repeat(100_000));
            assert_eq!(fs.listdir(&back).unwrap(), ["dir", "src"]);
            let escape = format!("{back}/..");
            refused_everywhere(&fs, &escape, ErrorKind::InvalidInput);
            // move_path creates all 100,000 levels at once, and undoes them.
            fs.move_path("/src", &format!("{deep}/src")).unwrap();
            assert_eq!(fs.read(&format!("{deep}/src")).unwrap(), b"source");
            assert_eq!(fs.stats().dir_count, 100_001);
            fs.rmtree("/x").unwrap();
            assert_eq!(fs.stats().dir_count, 1);
            assert_usable(&fs);
        },
    );
}

/// A missing deep path: NotFound from every lookup.
fn refused_nowhere_but_missing(fs: &MemoryFileSystem, deep: &str) {
    let before = state(fs);
    expect_kind(fs.stat(deep), ErrorKind::NotFound);
    expect_kind(fs.read(deep), ErrorKind::NotFound);
    expect_kind(fs.listdir(deep), ErrorKind::NotFound);
    expect_kind(fs.remove(deep), ErrorKind::NotFound);
    expect_kind(fs.rmtree(deep), ErrorKind::NotFound);
    expect_kind(fs.write(deep, b"x"), ErrorKind::NotFound);
    expect_kind(
        fs.open(deep, OpenMode::Write).map(drop),
        ErrorKind::NotFound,
    );
    expect_kind(fs.rename("/src", deep), ErrorKind::NotFound);
    expect_kind(fs.copy("/src", deep), ErrorKind::NotFound);
    expect_kind(fs.copy_tree("/dir", deep), ErrorKind::NotFound);
    assert!(fs.export_tree(deep, false).unwrap().is_empty());
    assert!(fs.glob(deep).unwrap().is_empty());
    assert!(!fs.exists(deep));
    assert_eq!(state(fs), before);
}

fn one_million_entries_in_one_directory(ctx: Ctx) {
    const N: usize = 1_000_000;
    let fs = ctx.fs_with(|b| b.max_nodes(N as u64 + 2));
    let batch = (0..N).map(|i| (format!("/big/{i:07}"), Bytes::new()));
    fs.import_tree(batch).unwrap();
    assert_eq!(fs.stats().file_count, N as u64);
    assert_eq!(used(&fs), 0, "empty files cost nothing");
    let names = fs.listdir("/big").unwrap();
    assert_eq!(names.len(), N);
    assert!(strictly_sorted(&names));
    assert_eq!(fs.glob("/big/*").unwrap().len(), N);
    assert_eq!(fs.glob("/big/099999?").unwrap().len(), 10);
    // One more node fits, the next is refused with the count.
    fs.write("/big/extra", b"x").unwrap();
    match fs.mkdir("/over", false) {
        Err(Error::NodeLimitExceeded { current, limit }) => {
            assert_eq!((current, limit), (N as u64 + 2, N as u64 + 2));
        }
        other => panic!("expected NodeLimitExceeded, got {other:?}"),
    }
    fs.rename("/big", "/moved").unwrap();
    fs.remove("/moved/0500000").unwrap();
    assert_eq!(fs.listdir("/moved").unwrap().len(), N);
    fs.rmtree("/moved").unwrap();
    let s = fs.stats();
    assert_eq!((s.used_bytes, s.file_count, s.dir_count), (0, 0, 0));
    assert_usable(&fs);
}

fn zero_byte_quota(ctx: Ctx) {
    for kind in KINDS {
        let fs = ctx.fs_with(|b| b.max_quota(0).default_storage(kind));
        assert_eq!(fs.stats().free_bytes, 0);
        // What costs nothing works: directories, empty files, empty writes.
        fs.mkdir("/d", false).unwrap();
        fs.write("/d/empty", b"").unwrap();
        fs.copy("/d/empty", "/d/copy").unwrap();
        fs.copy_tree("/d", "/d2").unwrap();
        fs.import_tree([("/d/imported", Bytes::new())]).unwrap();
        let mut h = fs.open("/d/h", OpenMode::Write).unwrap();
        assert_eq!(h.write(b"").unwrap(), 0);
        // Anything that stores a byte is a quota error.
        expect_io_kind(h.write(b"x"), ErrorKind::QuotaExceeded);
        expect_kind(h.truncate(Some(1)), ErrorKind::QuotaExceeded);
        drop(h);
        expect_kind(fs.write("/d/one", b"x"), ErrorKind::QuotaExceeded);
        expect_kind(
            fs.import_tree([("/d/one", &b"x"[..])]),
            ErrorKind::QuotaExceeded,
        );
        expect_kind(
            fs.open_with("/d/p", OpenMode::Write, OpenOptions::new().preallocate(1))
                .map(drop),
            ErrorKind::QuotaExceeded,
        );
        assert!(!fs.exists("/d/one") && !fs.exists("/d/p"));
        assert_eq!(used(&fs), 0);
        assert_eq!(fs.stats().file_count, 6);
    }
}

fn max_nodes_zero(ctx: Ctx) {
    let fs = ctx.fs_with(|b| b.max_nodes(0));
    let node_limit = |r: dmemfs::Result<()>| match r {
        Err(Error::NodeLimitExceeded { current, limit }) => assert_eq!((current, limit), (0, 0)),
        other => panic!("expected NodeLimitExceeded, got {other:?}"),
    };
    node_limit(fs.mkdir("/d", false));
    node_limit(fs.write("/f", b"x"));
    node_limit(fs.open("/f", OpenMode::Write).map(drop));
    node_limit(fs.open("/f", OpenMode::CreateNew).map(drop));
    node_limit(fs.import_tree([("/f", &b"x"[..])]));
    // The root still lists, and the failed writes gave their quota back.
    assert!(fs.listdir("/").unwrap().is_empty());
    let s = fs.stats();
    assert_eq!((s.used_bytes, s.file_count, s.dir_count), (0, 0, 0));
    assert!(fs.is_dir("/"));
}

fn zero_byte_writes(ctx: Ctx) {
    for kind in KINDS {
        let fs = ctx.fs_with(|b| b.default_storage(kind));
        fs.write("/e", b"").unwrap();
        assert_eq!(used(&fs), 0);
        fs.write("/f", b"abc").unwrap();
        let before = state(&fs);
        let generation = fs.stat("/f").unwrap().generation;
        let mut h = fs.open("/f", OpenMode::ReadWrite).unwrap();
        for pos in [0, 1, 3, 1000, u64::MAX] {
            h.seek(SeekFrom::Start(pos)).unwrap();
            assert_eq!(h.write(b"").unwrap(), 0, "{kind:?} at {pos}");
            assert_eq!(h.write_bytes(Bytes::new()).unwrap(), 0);
            assert_eq!(h.tell(), pos, "an empty write leaves the cursor");
        }
        drop(h);
        let mut a = fs.open("/f", OpenMode::Append).unwrap();
        assert_eq!(a.write(b"").unwrap(), 0);
        drop(a);
        assert_eq!(state(&fs), before, "{kind:?}: empty writes store nothing");
        assert_eq!(fs.stat("/f").unwrap().generation, generation);
        assert_usable(&fs);
    }
}

fn seek_to_u64_max(ctx: Ctx) {
    for kind in KINDS {
        let fs = ctx.fs_with(|b| b.default_storage(kind));
        fs.write("/f", b"abc").unwrap();
        let before = state(&fs);
        let mut h = fs.open("/f", OpenMode::ReadWrite).unwrap();
        assert_eq!(h.seek(SeekFrom::Start(u64::MAX)).unwrap(), u64::MAX);
        let mut buf = [0u8; 4];
        assert_eq!(h.read(&mut buf).unwrap(), 0, "nothing to read out there");
        // One byte at u64::MAX would end past the largest offset.
        let e = expect_io_kind(h.write(b"x"), ErrorKind::InvalidInput);
        assert!(e.to_string().contains("/f"), "{e}");
        expect_io_kind(h.seek(SeekFrom::Current(1)), ErrorKind::InvalidInput);
        assert_eq!(h.tell(), u64::MAX, "a refused seek leaves the cursor");
        expect_io_kind(h.seek(SeekFrom::End(i64::MIN)), ErrorKind::InvalidInput);
        expect_io_kind(h.seek(SeekFrom::End(1)), ErrorKind::InvalidInput);
        // Truncating at the cursor would need u64::MAX bytes.
        expect_kind(h.truncate(None), ErrorKind::QuotaExceeded);
        assert_eq!(h.tell(), u64::MAX);
        assert_eq!(h.seek(SeekFrom::End(-3)).unwrap(), 0);
        let mut all = Vec::new();
        h.read_to_end(&mut all).unwrap();
        assert_eq!(all, b"abc");
        drop(h);
        assert_eq!(state(&fs), before, "{kind:?}");
        assert_usable(&fs);
    }
}

fn truncate_to_huge_sizes(ctx: Ctx) {
    for kind in KINDS {
        let fs = ctx.fs_with(|b| b.default_storage(kind));
        fs.write("/f", b"abc").unwrap();
        let before = state(&fs);
        let mut h = fs.open("/f", OpenMode::ReadWrite).unwrap();
        for size in [u64::MAX, 1 << 62, 1 << 40, (256 << 20) + 1] {
            let e = expect_kind(h.truncate(Some(size)), ErrorKind::QuotaExceeded);
            assert!(e.is_quota(), "{kind:?} {size}: {e}");
            assert_eq!(h.tell(), 0);
        }
        drop(h);
        assert_eq!(state(&fs), before, "{kind:?}");
        assert_usable(&fs);
    }
}

/// A preallocation larger than the quota is refused by the quota before
/// its zeros are allocated (it used to allocate first: `OutOfMemory` for
/// 1 TiB, and gigabytes zero-filled for less).
fn preallocate_beyond_the_quota(ctx: Ctx) {
    for kind in KINDS {
        let fs = ctx.fs_with(|b| b.default_storage(kind).max_quota(1 << 20));
        fs.write("/f", b"abc").unwrap();
        let before = state(&fs);
        for size in [1u64 << 40, u64::MAX, (1 << 20) + 1] {
            let opts = OpenOptions::new().preallocate(size);
            for (path, mode) in [
                ("/new", OpenMode::Write),
                ("/new", OpenMode::CreateNew),
                ("/new", OpenMode::Append),
                ("/f", OpenMode::Append),
                ("/f", OpenMode::ReadWrite),
            ] {
                let e = expect_kind(
                    fs.open_with(path, mode, opts).map(drop),
                    ErrorKind::QuotaExceeded,
                );
                assert!(
                    matches!(e, Error::QuotaExceeded { .. }),
                    "{kind:?} {mode:?} {size}: {e:?}"
                );
            }
        }
        assert_eq!(state(&fs), before, "{kind:?}");
        // `write` of more than the quota is refused the same way.
        let big = vec![1u8; (1 << 20) + 1];
        expect_kind(fs.write("/f", &big), ErrorKind::QuotaExceeded);
        expect_kind(fs.write("/g", &big), ErrorKind::QuotaExceeded);
        assert_eq!(state(&fs), before, "{kind:?}");
        assert_usable(&fs);
    }
}

/// With a quota larger than the machine's memory, allocations the quota
/// allows can still fail: each is made with `try_reserve` and reported as
/// `OutOfMemory` (or `InvalidInput` past the largest buffer), never an
/// abort. 64 TiB is beyond this machine's memory and swap, so the kernel
/// refuses it unless it is set to overcommit without limit
/// (`vm.overcommit_memory = 1`), where the test skips those sizes.
fn quota_larger_than_memory(ctx: Ctx) {
    let unlimited_overcommit =
        std::fs::read_to_string("/proc/sys/vm/overcommit_memory").is_ok_and(|s| s.trim() == "1");
    let sizes: &[u64] = if unlimited_overcommit {
        &[u64::MAX, 1 << 63]
    } else {
        &[u64::MAX, 1 << 63, 1 << 46]
    };
    let refused = |e: &Error| {
        matches!(
            e,
            Error::OutOfMemory { .. } | Error::InvalidInput { .. } | Error::QuotaExceeded { .. }
        )
    };
    for kind in KINDS {
        let fs = ctx.fs_with(|b| b.default_storage(kind).max_quota(u64::MAX));
        fs.write("/f", b"abc").unwrap();
        let before = state(&fs);
        for &size in sizes {
            let opts = OpenOptions::new().preallocate(size);
            let e = fs
                .open_with("/new", OpenMode::Write, opts)
                .map(drop)
                .unwrap_err();
            assert!(refused(&e), "{kind:?} preallocate {size}: {e:?}");
            let mut h = fs.open("/f", OpenMode::ReadWrite).unwrap();
            let e = h.truncate(Some(size)).unwrap_err();
            assert!(refused(&e), "{kind:?} truncate {size}: {e:?}");
            if kind != StorageKind::Sequential {
                h.seek(SeekFrom::Start(size - 1)).unwrap();
                let e = h.write(b"x").unwrap_err();
                assert!(
                    matches!(
                        e.kind(),
                        ErrorKind::OutOfMemory | ErrorKind::InvalidInput | ErrorKind::QuotaExceeded
                    ),
                    "{kind:?} write at {size}: {e:?}"
                );
            }
            drop(h);
            assert_eq!(state(&fs), before, "{kind:?} {size}");
        }
        if !unlimited_overcommit {
            let mut h = fs.open("/f", OpenMode::ReadWrite).unwrap();
            assert!(matches!(
                h.truncate(Some(1 << 46)),
                Err(Error::OutOfMemory { bytes, .. }) if bytes > 0
            ));
        }
        assert_usable(&fs);
    }
}

fn glob_with_unbalanced_bracket(ctx: Ctx) {
    let fs = ctx.fs();
    fs.write("/a[b", b"x").unwrap();
    fs.mkdir("/dir", false).unwrap();
    // As in fnmatch, a `[` that nothing closes is an ordinary character.
    assert_eq!(fs.glob("/a[b").unwrap(), ["/a[b"]);
    for unmatched in ["[", "/[", "/dir/[a-", "**/[", "/*/x[", "[[", "/dir/[!"] {
        assert!(fs.glob(unmatched).unwrap().is_empty(), "{unmatched:?}");
    }
    // A lone `]` and escaped-looking text are ordinary characters.
    assert!(fs.glob("/]").unwrap().is_empty());
    assert_eq!(fs.glob("/a[[]b").unwrap(), ["/a[b"]);
    assert_eq!(fs.glob("/*").unwrap(), ["/a[b", "/dir"]);
    // A wildcard component over 4096 bytes is refused, naming the pattern.
    let long = format!("/dir/{}", "?".repeat(4097));
    let e = expect_kind(fs.glob(&long), ErrorKind::InvalidInput);
    assert!(e.to_string().contains(&long), "the pattern is named");
    assert!(
        e.to_string().contains("at most 4096 bytes"),
        "and the limit"
    );
    assert_usable(&fs);
}

/// A handle keeps reading the bytes of the file it opened; replacing,
/// removing or moving that file while it is open gets a typed error, and
/// once the handle is closed the replacement goes through.
fn read_handle_after_file_replaced(ctx: Ctx) {
    let fs = ctx.fs_with(|b| b.default_lock_timeout(Some(Duration::from_millis(50))));
    fs.mkdir("/d", false).unwrap();
    fs.write("/d/f", b"original").unwrap();
    let mut h = fs.open("/d/f", OpenMode::Read).unwrap();
    let mut first = [0u8; 4];
    h.read_exact(&mut first).unwrap();
    expect_kind(fs.write("/d/f", b"replaced"), ErrorKind::WouldBlock);
    expect_kind(
        fs.open("/d/f", OpenMode::Write).map(drop),
        ErrorKind::WouldBlock,
    );
    expect_kind(
        fs.import_tree([("/d/f", &b"imported"[..])]),
        ErrorKind::ResourceBusy,
    );
    expect_kind(fs.remove("/d/f"), ErrorKind::ResourceBusy);
    expect_kind(fs.rename("/d/f", "/d/g"), ErrorKind::ResourceBusy);
    expect_kind(fs.rename("/d", "/e"), ErrorKind::ResourceBusy);
    expect_kind(fs.rmtree("/d"), ErrorKind::ResourceBusy);
    // Other readers share the file.
    assert_eq!(fs.read("/d/f").unwrap(), b"original");
    let mut rest = Vec::new();
    h.read_to_end(&mut rest).unwrap();
    assert_eq!([&first[..], &rest[..]].concat(), b"original");

    // A writer waiting for the handle gets in once it is closed; the handle
    // never sees its bytes.
    let fs2 = fs.clone();
    let writer = thread::spawn(move || {
        let mut w = fs2
            .open_with("/d/f", OpenMode::Write, patient())
            .expect("the writer gets the file once the reader is gone");
        w.write_all(b"replaced").unwrap();
    });
    thread::sleep(Duration::from_millis(20));
    h.seek(SeekFrom::Start(0)).unwrap();
    let mut again = Vec::new();
    h.read_to_end(&mut again).unwrap();
    assert_eq!(again, b"original");
    drop(h);
    writer.join().unwrap();
    assert_eq!(fs.read("/d/f").unwrap(), b"replaced");
    fs.import_tree([("/d/f", &b"imported"[..])]).unwrap();
    let mut h = fs.open("/d/f", OpenMode::Read).unwrap();
    let mut now = Vec::new();
    h.read_to_end(&mut now).unwrap();
    assert_eq!(now, b"imported");
    drop(h);
    assert_eq!(used(&fs), 8 + OVERHEAD);
    assert_usable(&fs);
}

fn lock_timeout_duration_max(ctx: Ctx) {
    run_with_deadline(
        "Duration::MAX lock timeouts",
        Duration::from_secs(60),
        None,
        move || {
            let fs = ctx.fs_with(|b| b.default_lock_timeout(Some(Duration::MAX)));
            fs.write("/f", b"x").unwrap();
            let forever = OpenOptions::new().lock_timeout(Duration::MAX);
            // A free file: no overflow computing the deadline.
            drop(fs.open_with("/f", OpenMode::ReadWrite, forever).unwrap());
            assert_eq!(fs.read("/f").unwrap(), b"x");
            // A held file: the wait lasts until it is released.
            let h = fs.open("/f", OpenMode::Write).unwrap();
            let fs2 = fs.clone();
            let waiter = thread::spawn(move || {
                let mut r = fs2.open_with("/f", OpenMode::Read, forever).unwrap();
                let mut v = Vec::new();
                r.read_to_end(&mut v).unwrap();
                (v, fs2.read("/f").unwrap())
            });
            thread::sleep(Duration::from_millis(50));
            drop(h);
            let (via_handle, via_read) = waiter.join().unwrap();
            assert_eq!(via_handle, b"", "the Write open emptied the file");
            assert_eq!(via_read, b"");
            assert_usable(&fs);
        },
    );
}
