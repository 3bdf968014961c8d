//! Filesystem operations of `MemoryFileSystem` (API.md "Filesystem
//! operations", "Paths", "Behaviour details"), the public API surface
//! (builder, Debug, auto traits) and the scale tests.

#![allow(missing_docs)]

#[macro_use]
mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::io::{ErrorKind, Write};
use std::time::{Duration, SystemTime};

use common::*;
use dmemfs::{
    Bytes, Concurrency, FileHandle, FsBuilder, FsStats, MemoryFileSystem, Metadata, OpenMode,
    OpenOptions, StorageKind,
};

// ---------------------------------------------------------------------------
// API surface: auto traits, Debug, builder, new()
// ---------------------------------------------------------------------------

fn assert_clone_send_sync_static<T: Clone + Send + Sync + 'static>() {}
fn assert_send<T: Send>() {}
fn assert_debug<T: std::fmt::Debug>() {}

both_strategies!(
    api_static_assertions,
    api_every_public_type_is_debug,
    api_new_has_documented_defaults,
    api_builder_every_setter,
    api_clones_share_one_filesystem,
);

fn api_static_assertions(_ctx: Ctx) {
    assert_clone_send_sync_static::<MemoryFileSystem>();
    assert_send::<FileHandle>();
    assert_clone_send_sync_static::<OpenMode>();
    assert_clone_send_sync_static::<StorageKind>();
    assert_clone_send_sync_static::<Concurrency>();
    assert_clone_send_sync_static::<OpenOptions>();
    fn copy_default<T: Copy + Default>() {}
    copy_default::<OpenOptions>();
    fn copy_eq<T: Copy + Eq>() {}
    copy_eq::<OpenMode>();
    copy_eq::<StorageKind>();
    copy_eq::<Concurrency>();
    fn error_bounds<T: std::error::Error + Send + Sync + 'static>() {}
    error_bounds::<dmemfs::Error>();
    fn clone_debug<T: Clone + std::fmt::Debug>() {}
    clone_debug::<Metadata>();
    clone_debug::<FsStats>();
    // `Result<T>` is `std::result::Result<T, Error>`.
    let r: dmemfs::Result<u8> = Ok(1);
    let _: Result<u8, dmemfs::Error> = r;
    // `Bytes` is re-exported and is `bytes::Bytes`.
    let b: dmemfs::Bytes = bytes::Bytes::from_static(b"x");
    assert_eq!(&b[..], b"x");
}

fn api_every_public_type_is_debug(ctx: Ctx) {
    assert_debug::<MemoryFileSystem>();
    assert_debug::<FsBuilder>();
    assert_debug::<FileHandle>();
    assert_debug::<OpenMode>();
    assert_debug::<StorageKind>();
    assert_debug::<Concurrency>();
    assert_debug::<OpenOptions>();
    assert_debug::<Metadata>();
    assert_debug::<FsStats>();
    assert_debug::<dmemfs::Error>();

    let fs = ctx.fs();
    fs.write("/f", b"data").unwrap();
    let h = fs.open("/f", OpenMode::Read).unwrap();
    let err = fs.open("/missing", OpenMode::Read).unwrap_err();
    let texts = [
        format!("{fs:?}"),
        format!("{:?}", ctx.builder()),
        format!("{h:?}"),
        format!("{:?}", OpenMode::ReadWrite),
        format!("{:?}", StorageKind::Sequential),
        format!("{:?}", ctx.concurrency),
        format!("{:?}", OpenOptions::new().preallocate(3)),
        format!("{:?}", fs.stat("/f").unwrap()),
        format!("{:?}", fs.stats()),
        format!("{err:?}"),
    ];
    for t in &texts {
        assert!(!t.is_empty());
    }
    assert_eq!(format!("{:?}", OpenMode::ReadWrite), "ReadWrite");
    assert_eq!(format!("{:?}", StorageKind::Sequential), "Sequential");
    assert_eq!(format!("{:?}", Concurrency::GlobalLock), "GlobalLock");
}

fn api_new_has_documented_defaults(_ctx: Ctx) {
    let fs = MemoryFileSystem::new();
    let s = fs.stats();
    assert_eq!(s.quota_bytes, DEFAULT_QUOTA);
    assert_eq!(s.used_bytes, 0);
    assert_eq!(s.free_bytes, DEFAULT_QUOTA);
    assert_eq!(s.file_count, 0);
    assert_eq!(s.dir_count, 0);
    assert_eq!(s.chunk_count, 0);
    assert_eq!(s.overhead_per_chunk_estimate, OVERHEAD);
    // Default storage is Auto: a handle write stores one chunk (size + 128),
    // and a non-append write promotes (charged its size alone).
    write_pieces(&fs, "/a", &[b"0123456789"]);
    assert_eq!(used(&fs), 10 + OVERHEAD);
    let mut h = fs.open("/a", OpenMode::ReadWrite).unwrap();
    h.write_all(b"xy").unwrap();
    drop(h);
    assert_eq!(fs.read("/a").unwrap(), b"xy23456789");
    assert_eq!(used(&fs), 10);
    fs.remove("/a").unwrap();
    assert_eq!(used(&fs), 0);

    let b = MemoryFileSystem::builder().build().unwrap();
    assert_eq!(b.stats().quota_bytes, DEFAULT_QUOTA);
    assert_eq!(b.stats().overhead_per_chunk_estimate, OVERHEAD);
}

fn api_builder_every_setter(ctx: Ctx) {
    // All setters chain and build.
    let fs = ctx
        .builder()
        .max_quota(10_000)
        .max_nodes(5)
        .default_storage(StorageKind::RandomAccess)
        .promotion_hard_limit(1 << 20)
        .chunk_overhead(7)
        .default_lock_timeout(Some(Duration::from_millis(50)))
        .concurrency(ctx.concurrency)
        .build()
        .expect("build with every setter");
    let s = fs.stats();
    assert_eq!(s.quota_bytes, 10_000);
    assert_eq!(s.free_bytes, 10_000);
    assert_eq!(s.overhead_per_chunk_estimate, 7);
    // RandomAccess: charged its size, no chunk overhead.
    write_pieces(&fs, "/f", &[b"abc", b"def"]);
    assert_eq!(used(&fs), 6);
    // default_lock_timeout(None) builds; a read of a file a writer holds
    // waits (no timeout) and then sees what the writer wrote.
    let fs2 = ctx.fs_with(|b| b.default_lock_timeout(None));
    fs2.write("/x", b"1").unwrap();
    let mut holder = fs2.open("/x", OpenMode::Write).unwrap();
    let fs3 = fs2.clone();
    let t = std::thread::spawn(move || fs3.read("/x"));
    holder.write_all(b"abc").unwrap();
    drop(holder);
    assert_eq!(
        t.join().unwrap().expect("read after the writer left"),
        b"abc"
    );
}

fn api_clones_share_one_filesystem(ctx: Ctx) {
    let fs = ctx.fs();
    let other = fs.clone();
    other.mkdir("/shared", false).unwrap();
    other.write("/shared/f", b"hello").unwrap();
    assert!(fs.is_file("/shared/f"));
    assert_eq!(fs.read("/shared/f").unwrap(), b"hello");
    assert_eq!(fs.stats().used_bytes, other.stats().used_bytes);
    let t = std::thread::spawn(move || {
        other.remove("/shared/f").unwrap();
    });
    t.join().unwrap();
    assert!(!fs.exists("/shared/f"));
    assert_eq!(used(&fs), 0);
}

// ---------------------------------------------------------------------------
// Directories: mkdir, listdir, exists/is_dir/is_file, remove, rmtree
// ---------------------------------------------------------------------------

both_strategies!(
    mkdir_creates_missing_parents,
    mkdir_exist_ok_rules,
    listdir_sorted_bytewise,
    exists_is_dir_is_file,
    remove_file,
    rmtree_removes_everything_below,
    empty_path_is_the_root,
);

fn mkdir_creates_missing_parents(ctx: Ctx) {
    let fs = ctx.fs();
    fs.mkdir("/a/b/c", false).unwrap();
    assert!(fs.is_dir("/a"));
    assert!(fs.is_dir("/a/b"));
    assert!(fs.is_dir("/a/b/c"));
    assert_eq!(fs.stats().dir_count, 3);
    assert_eq!(fs.listdir("/a").unwrap(), vec!["b"]);
    assert_eq!(fs.listdir("/a/b/c").unwrap(), Vec::<String>::new());
    assert_eq!(used(&fs), 0, "directories cost no quota");
}

fn mkdir_exist_ok_rules(ctx: Ctx) {
    let fs = ctx.fs();
    fs.mkdir("/d", false).unwrap();
    expect_kind(fs.mkdir("/d", false), ErrorKind::AlreadyExists);
    fs.mkdir("/d", true).expect("exist_ok on an existing dir");
    fs.mkdir("/d/", true).expect("trailing slash normalizes");
    fs.write("/d/f", b"x").unwrap();
    expect_kind(fs.mkdir("/d/f", false), ErrorKind::AlreadyExists);
    expect_kind(fs.mkdir("/d/f", true), ErrorKind::AlreadyExists);
    assert!(fs.is_file("/d/f"));
    assert_eq!(fs.stats().dir_count, 1);
    assert_eq!(fs.stats().file_count, 1);
}

fn listdir_sorted_bytewise(ctx: Ctx) {
    let fs = ctx.fs();
    fs.mkdir("/l", false).unwrap();
    let names = ["b", "a", "B", "_x", "é", "Z", "a0", "aa", "10", "9"];
    for (i, n) in names.iter().enumerate() {
        if i % 2 == 0 {
            fs.mkdir(&format!("/l/{n}"), false).unwrap();
        } else {
            fs.write(format!("/l/{n}").as_str(), n.as_bytes()).unwrap();
        }
    }
    let mut expected: Vec<String> = names.iter().map(|s| s.to_string()).collect();
    expected.sort_by(|a, b| a.as_bytes().cmp(b.as_bytes()));
    assert_eq!(fs.listdir("/l").unwrap(), expected);
    assert_eq!(fs.listdir("/").unwrap(), vec!["l"]);
}

fn exists_is_dir_is_file(ctx: Ctx) {
    let fs = ctx.fs();
    fs.mkdir("/d", false).unwrap();
    fs.write("/d/f", b"1").unwrap();
    assert!(fs.exists("/"));
    assert!(fs.is_dir("/"));
    assert!(!fs.is_file("/"));
    assert!(fs.exists("/d") && fs.is_dir("/d") && !fs.is_file("/d"));
    assert!(fs.exists("/d/f") && fs.is_file("/d/f") && !fs.is_dir("/d/f"));
    assert!(!fs.exists("/nope") && !fs.is_dir("/nope") && !fs.is_file("/nope"));
    // Through a file: false, not an error.
    assert!(!fs.exists("/d/f/x") && !fs.is_dir("/d/f/x") && !fs.is_file("/d/f/x"));
    // Invalid paths: false.
    for bad in ["/..", "a/../../b", "/d/\0", "\0"] {
        assert!(!fs.exists(bad), "{bad:?}");
        assert!(!fs.is_dir(bad), "{bad:?}");
        assert!(!fs.is_file(bad), "{bad:?}");
    }
}

fn remove_file(ctx: Ctx) {
    let fs = ctx.fs();
    fs.mkdir("/d", false).unwrap();
    fs.write("/d/f", b"12345").unwrap();
    assert_eq!(used(&fs), 5 + OVERHEAD);
    fs.remove("/d/f").unwrap();
    assert!(!fs.exists("/d/f"));
    assert!(fs.is_dir("/d"));
    assert_eq!(used(&fs), 0);
    assert_eq!(fs.stats().file_count, 0);
    expect_kind(fs.remove("/d/f"), ErrorKind::NotFound);
    expect_kind(fs.remove("/d"), ErrorKind::IsADirectory);
    assert!(fs.is_dir("/d"));
}

fn rmtree_removes_everything_below(ctx: Ctx) {
    let fs = ctx.fs();
    fs.mkdir("/t/a/b", false).unwrap();
    fs.mkdir("/keep", false).unwrap();
    fs.write("/t/1", b"one").unwrap();
    fs.write("/t/a/2", b"two").unwrap();
    fs.write("/t/a/b/3", b"three").unwrap();
    fs.write("/keep/k", b"k").unwrap();
    fs.rmtree("/t").unwrap();
    assert!(!fs.exists("/t"));
    assert!(!fs.exists("/t/a/b/3"));
    assert_eq!(fs.listdir("/").unwrap(), vec!["keep"]);
    let s = fs.stats();
    assert_eq!(s.file_count, 1);
    assert_eq!(s.dir_count, 1);
    assert_eq!(s.used_bytes, 1 + OVERHEAD);
    expect_kind(fs.rmtree("/t"), ErrorKind::NotFound);
    expect_kind(fs.rmtree("/keep/k"), ErrorKind::NotADirectory);
    expect_kind(fs.rmtree("/"), ErrorKind::InvalidInput);
    expect_kind(fs.rmtree(""), ErrorKind::InvalidInput);
    assert!(fs.is_file("/keep/k"));
    fs.rmtree("/keep").unwrap();
    assert_eq!(used(&fs), 0);
    assert_eq!(fs.stats().dir_count, 0);
}

fn empty_path_is_the_root(ctx: Ctx) {
    let fs = ctx.fs();
    fs.mkdir("x", false).unwrap();
    assert!(fs.is_dir(""));
    assert!(fs.exists(""));
    assert_eq!(fs.listdir("").unwrap(), vec!["x"]);
    let m = fs.stat("").unwrap();
    assert!(m.is_dir);
    assert_eq!(m.size, 0);
    expect_kind(fs.open("", OpenMode::Read), ErrorKind::IsADirectory);
    expect_kind(fs.open("/", OpenMode::Write), ErrorKind::IsADirectory);
    // The root is an existing directory.
    expect_kind(fs.mkdir("/", false), ErrorKind::AlreadyExists);
    fs.mkdir("/", true).unwrap();
    fs.mkdir("", true).unwrap();
    expect_kind(fs.remove("/"), ErrorKind::IsADirectory);
    expect_kind(fs.get_size("/"), ErrorKind::IsADirectory);
    assert_eq!(fs.stats().dir_count, 1);
}

// ---------------------------------------------------------------------------
// Paths (decisions 1 and 2)
// ---------------------------------------------------------------------------

both_strategies!(
    paths_normalize,
    opens_take_any_spelling_of_a_path,
    path_through_a_file_is_not_a_directory,
    missing_parent_is_not_found,
    invalid_paths_are_invalid_input_everywhere,
);

fn paths_normalize(ctx: Ctx) {
    let fs = ctx.fs();
    fs.mkdir("/a", false).unwrap();
    fs.write("a\\b/../c.txt", b"normalized").unwrap();
    assert_eq!(fs.read("/a/c.txt").unwrap(), b"normalized");
    assert_eq!(fs.listdir("/a").unwrap(), vec!["c.txt"]);
    for alias in [
        "/a/c.txt",
        "a/c.txt",
        "/a/./c.txt",
        "//a//c.txt",
        "/a/c.txt/",
        "\\a\\c.txt",
        "/a/x/../c.txt",
        "./a/c.txt",
    ] {
        assert!(fs.is_file(alias), "{alias:?} must name /a/c.txt");
        assert_eq!(fs.read(alias).unwrap(), b"normalized", "{alias:?}");
        assert_eq!(fs.get_size(alias).unwrap(), 10, "{alias:?}");
    }
    fs.mkdir("b//c/./d/", false).unwrap();
    assert!(fs.is_dir("/b/c/d"));
    assert_eq!(fs.listdir("b\\c").unwrap(), vec!["d"]);
    fs.rename("b/c/d/", "/b/c/e").unwrap();
    assert!(fs.is_dir("/b/c/e"));
    fs.rmtree("b/c/e/../..").unwrap();
    assert!(!fs.exists("/b"));
    // `..` inside stays below the root: fine.
    assert!(fs.is_file("/a/../a/c.txt"));
    assert!(fs.is_dir("a/.."));
}

/// `open` resolves the path as written before parsing it (a file found so
/// was named by a normal path): every spelling must still open, create or
/// refuse what the normal form names, and the handle must name the normal
/// form.
fn opens_take_any_spelling_of_a_path(ctx: Ctx) {
    let fs = ctx.fs();
    fs.mkdir("/a/b", true).unwrap();
    fs.write("/a/b/c.txt", b"content").unwrap();
    let aliases = [
        "/a/b/c.txt",
        "a/b/c.txt",
        "/a/./b/c.txt",
        "//a/b//c.txt",
        "/a/b/c.txt/",
        "\\a\\b\\c.txt",
        "/a/x/../b/c.txt",
    ];
    for alias in aliases {
        for mode in [OpenMode::Read, OpenMode::ReadWrite, OpenMode::Append] {
            let mut handle = fs.open(alias, mode).unwrap();
            assert_eq!(handle.path(), "/a/b/c.txt", "{alias:?} {mode:?}");
            assert_eq!(handle.size(), 7, "{alias:?} {mode:?}");
            if mode.is_readable() {
                let mut read = Vec::new();
                std::io::Read::read_to_end(&mut handle, &mut read).unwrap();
                assert_eq!(read, b"content", "{alias:?} {mode:?}");
            }
        }
        expect_kind(
            fs.open(alias, OpenMode::CreateNew),
            ErrorKind::AlreadyExists,
        );
    }
    // Missing, in each spelling: refused by name, or created at the normal
    // form.
    for (alias, normal) in [
        ("/a/b/new1", "/a/b/new1"),
        ("a/b/new2", "/a/b/new2"),
        ("/a/./b/new3", "/a/b/new3"),
        ("/a/b/new4/", "/a/b/new4"),
    ] {
        match fs.open(alias, OpenMode::Read) {
            Err(dmemfs::Error::NotFound { path }) => assert_eq!(path, normal, "{alias:?}"),
            other => panic!("{alias:?}: {other:?}"),
        }
        let handle = fs.open(alias, OpenMode::Write).unwrap();
        assert_eq!(handle.path(), normal, "{alias:?}");
        drop(handle);
        assert!(fs.is_file(normal), "{alias:?}");
    }
    // A directory in any spelling is a directory; through a file, not one.
    for alias in ["/a/b", "/a/b/", "a//b", "/a/b/."] {
        for mode in [OpenMode::Read, OpenMode::Write] {
            match fs.open(alias, mode) {
                Err(dmemfs::Error::IsADirectory { path }) => assert_eq!(path, "/a/b"),
                other => panic!("{alias:?} {mode:?}: {other:?}"),
            }
        }
    }
    expect_kind(
        fs.open("/a/b/c.txt/d", OpenMode::Write),
        ErrorKind::NotADirectory,
    );
    expect_kind(
        fs.open("/a/b/c.txt/./d", OpenMode::Read),
        ErrorKind::NotADirectory,
    );
    // A spelling that does not parse is refused as before.
    expect_kind(
        fs.open("/a/b/c.txt\0", OpenMode::Read),
        ErrorKind::InvalidInput,
    );
    expect_kind(
        fs.open("/../a/b/c.txt", OpenMode::Read),
        ErrorKind::InvalidInput,
    );
}

fn path_through_a_file_is_not_a_directory(ctx: Ctx) {
    let fs = ctx.fs();
    fs.write("/f", b"file").unwrap();
    let p = "/f/x";
    for mode in [
        OpenMode::Read,
        OpenMode::Write,
        OpenMode::Append,
        OpenMode::ReadWrite,
        OpenMode::CreateNew,
    ] {
        expect_kind(fs.open(p, mode), ErrorKind::NotADirectory);
    }
    expect_kind(fs.stat(p), ErrorKind::NotADirectory);
    expect_kind(fs.listdir(p), ErrorKind::NotADirectory);
    expect_kind(fs.mkdir(p, false), ErrorKind::NotADirectory);
    expect_kind(fs.mkdir("/f/x/y", true), ErrorKind::NotADirectory);
    expect_kind(fs.get_size(p), ErrorKind::NotADirectory);
    expect_kind(fs.read(p), ErrorKind::NotADirectory);
    expect_kind(fs.read_to_string(p), ErrorKind::NotADirectory);
    expect_kind(fs.write(p, b"x"), ErrorKind::NotADirectory);
    expect_kind(fs.remove(p), ErrorKind::NotADirectory);
    expect_kind(fs.rmtree(p), ErrorKind::NotADirectory);
    expect_kind(fs.export_bytes(p, None), ErrorKind::NotADirectory);
    expect_kind(
        fs.walk(p).map(|w| w.collect::<Vec<_>>()),
        ErrorKind::NotADirectory,
    );
    assert!(!fs.exists(p));
    assert!(!fs.is_file(p));
    assert!(!fs.is_dir(p));
    assert_eq!(fs.read("/f").unwrap(), b"file");
    assert_eq!(fs.stats().file_count, 1);
    assert_eq!(fs.stats().dir_count, 0);
}

fn missing_parent_is_not_found(ctx: Ctx) {
    let fs = ctx.fs();
    let p = "/missing/x";
    for mode in [
        OpenMode::Read,
        OpenMode::Write,
        OpenMode::Append,
        OpenMode::ReadWrite,
        OpenMode::CreateNew,
    ] {
        expect_kind(fs.open(p, mode), ErrorKind::NotFound);
    }
    expect_kind(fs.stat(p), ErrorKind::NotFound);
    expect_kind(fs.listdir(p), ErrorKind::NotFound);
    expect_kind(fs.get_size(p), ErrorKind::NotFound);
    expect_kind(fs.read(p), ErrorKind::NotFound);
    expect_kind(fs.write(p, b"x"), ErrorKind::NotFound);
    expect_kind(fs.remove(p), ErrorKind::NotFound);
    expect_kind(fs.rmtree(p), ErrorKind::NotFound);
    assert!(!fs.exists("/missing"));
    assert_eq!(fs.stats().file_count + fs.stats().dir_count, 0);
}

fn invalid_paths_are_invalid_input_everywhere(ctx: Ctx) {
    let fs = ctx.fs();
    fs.mkdir("/d", false).unwrap();
    fs.write("/d/f", b"x").unwrap();
    let before = state(&fs);
    for bad in ["/..", "..", "a/../../b", "/d/../../x", "/d/\0f", "\0"] {
        let k = ErrorKind::InvalidInput;
        expect_kind(fs.open(bad, OpenMode::Read), k);
        expect_kind(fs.open(bad, OpenMode::Write), k);
        expect_kind(fs.open_with(bad, OpenMode::Append, OpenOptions::new()), k);
        expect_kind(fs.mkdir(bad, true), k);
        expect_kind(fs.remove(bad), k);
        expect_kind(fs.rmtree(bad), k);
        expect_kind(fs.rename(bad, "/z"), k);
        expect_kind(fs.rename("/d/f", bad), k);
        expect_kind(fs.move_path(bad, "/z"), k);
        expect_kind(fs.move_path("/d/f", bad), k);
        expect_kind(fs.copy(bad, "/z"), k);
        expect_kind(fs.copy("/d/f", bad), k);
        expect_kind(fs.copy_tree(bad, "/z"), k);
        expect_kind(fs.copy_tree("/d", bad), k);
        expect_kind(fs.listdir(bad), k);
        expect_kind(fs.walk(bad).map(|w| w.count()), k);
        expect_kind(fs.stat(bad), k);
        expect_kind(fs.get_size(bad), k);
        expect_kind(fs.export_bytes(bad, None), k);
        expect_kind(fs.export_tree(bad, false), k);
        expect_kind(fs.iter_export_tree(bad, false).map(|i| i.count()), k);
        expect_kind(fs.import_tree(vec![(bad, &b"x"[..])]), k);
        expect_kind(fs.read(bad), k);
        expect_kind(fs.read_to_string(bad), k);
        expect_kind(fs.write(bad, b"x"), k);
        assert!(!fs.exists(bad) && !fs.is_dir(bad) && !fs.is_file(bad));
    }
    assert_eq!(state(&fs), before, "invalid paths changed nothing");
}

// ---------------------------------------------------------------------------
// rename / move_path (decision 5)
// ---------------------------------------------------------------------------

both_strategies!(
    rename_file_and_directory,
    rename_errors,
    rename_into_own_subtree_changes_nothing,
    move_path_creates_missing_parents,
    move_path_errors,
);

fn rename_file_and_directory(ctx: Ctx) {
    let fs = ctx.fs();
    fs.mkdir("/a/sub", false).unwrap();
    write_pieces(&fs, "/a/sub/f", &[b"one", b"two"]);
    fs.write("/a/g", b"g").unwrap();
    let m = fs.stat("/a/sub/f").unwrap();
    let used_before = used(&fs);
    fs.rename("/a/sub/f", "/a/h").unwrap();
    assert!(!fs.exists("/a/sub/f"));
    assert_eq!(fs.read("/a/h").unwrap(), b"onetwo");
    let m2 = fs.stat("/a/h").unwrap();
    assert_eq!(m2.created_at, m.created_at, "rename keeps created_at");
    assert_eq!(m2.modified_at, m.modified_at, "rename keeps modified_at");
    assert_eq!(m2.generation, m.generation);
    // A directory moves with its contents.
    fs.mkdir("/b", false).unwrap();
    fs.rename("/a", "/b/renamed").unwrap();
    assert!(!fs.exists("/a"));
    assert_eq!(fs.listdir("/b/renamed").unwrap(), vec!["g", "h", "sub"]);
    assert_eq!(fs.read("/b/renamed/h").unwrap(), b"onetwo");
    assert_eq!(fs.read("/b/renamed/g").unwrap(), b"g");
    assert_eq!(used(&fs), used_before, "rename changes no charge");
    let s = fs.stats();
    assert_eq!((s.file_count, s.dir_count), (2, 3));
}

fn rename_errors(ctx: Ctx) {
    let fs = ctx.fs();
    fs.mkdir("/d", false).unwrap();
    fs.write("/f", b"f").unwrap();
    fs.write("/g", b"g").unwrap();
    let before = state(&fs);
    expect_kind(fs.rename("/f", "/g"), ErrorKind::AlreadyExists);
    expect_kind(fs.rename("/f", "/d"), ErrorKind::AlreadyExists);
    expect_kind(fs.rename("/d", "/f"), ErrorKind::AlreadyExists);
    expect_kind(fs.rename("/f", "/nope/f"), ErrorKind::NotFound);
    expect_kind(fs.rename("/nope", "/x"), ErrorKind::NotFound);
    expect_kind(fs.rename("/", "/x"), ErrorKind::InvalidInput);
    expect_kind(fs.rename("", "/x"), ErrorKind::InvalidInput);
    expect_kind(fs.rename("/f", "/g/x"), ErrorKind::NotADirectory);
    assert_eq!(state(&fs), before);
}

fn rename_into_own_subtree_changes_nothing(ctx: Ctx) {
    let fs = ctx.fs();
    fs.mkdir("/a/b", false).unwrap();
    fs.write("/a/b/f", b"content").unwrap();
    let before = state(&fs);
    expect_kind(fs.rename("/a", "/a/b/c"), ErrorKind::InvalidInput);
    expect_kind(fs.rename("/a", "/a/x"), ErrorKind::InvalidInput);
    expect_kind(fs.move_path("/a", "/a/b/c"), ErrorKind::InvalidInput);
    expect_kind(fs.move_path("/a", "/a/new/deeper"), ErrorKind::InvalidInput);
    assert_eq!(state(&fs), before, "nothing changed, ledger included");
    assert!(!fs.exists("/a/new"));
}

fn move_path_creates_missing_parents(ctx: Ctx) {
    let fs = ctx.fs();
    fs.mkdir("/src/in", false).unwrap();
    fs.write("/src/in/f", b"data").unwrap();
    let created = fs.stat("/src/in/f").unwrap().created_at;
    fs.move_path("/src/in/f", "/x/y/z/f2").unwrap();
    assert!(fs.is_dir("/x/y/z"));
    assert_eq!(fs.read("/x/y/z/f2").unwrap(), b"data");
    assert_eq!(fs.stat("/x/y/z/f2").unwrap().created_at, created);
    assert!(!fs.exists("/src/in/f"));
    fs.move_path("/src", "/p/q/moved").unwrap();
    assert!(fs.is_dir("/p/q/moved/in"));
    assert!(!fs.exists("/src"));
    assert_eq!(used(&fs), 4 + OVERHEAD);
    // x, x/y, x/y/z, p, p/q, p/q/moved, p/q/moved/in
    assert_eq!(fs.stats().dir_count, 7);
}

fn move_path_errors(ctx: Ctx) {
    let fs = ctx.fs();
    fs.mkdir("/d", false).unwrap();
    fs.write("/f", b"f").unwrap();
    fs.write("/d/g", b"g").unwrap();
    let before = state(&fs);
    expect_kind(fs.move_path("/f", "/d/g"), ErrorKind::AlreadyExists);
    expect_kind(fs.move_path("/f", "/d"), ErrorKind::AlreadyExists);
    expect_kind(fs.move_path("/nope", "/x/y"), ErrorKind::NotFound);
    expect_kind(fs.move_path("/", "/x"), ErrorKind::InvalidInput);
    expect_kind(fs.move_path("/d", "/d/e"), ErrorKind::InvalidInput);
    assert_eq!(state(&fs), before);
    assert!(!fs.exists("/x"));
}

// ---------------------------------------------------------------------------
// copy / copy_tree (decision 6)
// ---------------------------------------------------------------------------

both_strategies!(copy_file, copy_errors, copy_tree_deep, copy_tree_errors);

fn copy_file(ctx: Ctx) {
    let fs = ctx.fs();
    fs.mkdir("/d", false).unwrap();
    write_pieces(&fs, "/d/src", &[b"abc", b"defg", b"hi"]);
    assert_eq!(used(&fs), 9 + 3 * OVERHEAD);
    fs.copy("/d/src", "/d/dst").unwrap();
    assert_eq!(fs.read("/d/dst").unwrap(), b"abcdefghi");
    assert_eq!(fs.read("/d/src").unwrap(), b"abcdefghi");
    // A copy is charged as a file written in one piece.
    assert_eq!(used(&fs), 9 + 3 * OVERHEAD + 9 + OVERHEAD);
    // Independent: changing the copy leaves the source.
    fs.write("/d/dst", b"changed").unwrap();
    assert_eq!(fs.read("/d/src").unwrap(), b"abcdefghi");
    // An empty file copies for free.
    fs.write("/empty", b"").unwrap();
    let u = used(&fs);
    fs.copy("/empty", "/empty2").unwrap();
    assert!(fs.is_file("/empty2"));
    assert_eq!(used(&fs), u);
    fs.rmtree("/d").unwrap();
    fs.remove("/empty").unwrap();
    fs.remove("/empty2").unwrap();
    assert_eq!(used(&fs), 0);
}

fn copy_errors(ctx: Ctx) {
    let fs = ctx.fs();
    fs.mkdir("/d", false).unwrap();
    fs.write("/f", b"f").unwrap();
    fs.write("/g", b"g").unwrap();
    let before = state(&fs);
    expect_kind(fs.copy("/d", "/e"), ErrorKind::IsADirectory);
    expect_kind(fs.copy("/f", "/g"), ErrorKind::AlreadyExists);
    expect_kind(fs.copy("/f", "/d"), ErrorKind::AlreadyExists);
    expect_kind(fs.copy("/f", "/nope/f"), ErrorKind::NotFound);
    expect_kind(fs.copy("/nope", "/h"), ErrorKind::NotFound);
    assert_eq!(state(&fs), before);
}

fn copy_tree_deep(ctx: Ctx) {
    let fs = ctx.fs();
    fs.mkdir("/src/a/b", false).unwrap();
    fs.mkdir("/src/empty", false).unwrap();
    write_pieces(&fs, "/src/a/b/deep", &[b"12", b"34"]);
    fs.write("/src/top", b"top").unwrap();
    fs.write("/src/a/zero", b"").unwrap();
    let before_used = used(&fs);
    assert_eq!(before_used, 4 + 2 * OVERHEAD + 3 + OVERHEAD);
    fs.copy_tree("/src", "/dst").unwrap();
    let src = fs.export_tree("/src", false).unwrap();
    let dst = fs.export_tree("/dst", false).unwrap();
    let strip = |m: BTreeMap<String, Bytes>, p: &str| -> BTreeMap<String, Bytes> {
        m.into_iter()
            .map(|(k, v)| (k.strip_prefix(p).unwrap().to_string(), v))
            .collect()
    };
    assert_eq!(strip(src, "/src"), strip(dst, "/dst"));
    assert!(fs.is_dir("/dst/empty"));
    assert!(fs.is_dir("/dst/a/b"));
    assert_eq!(fs.read("/dst/a/b/deep").unwrap(), b"1234");
    // Each copied file is charged as written in one piece.
    assert_eq!(used(&fs), before_used + (4 + OVERHEAD) + (3 + OVERHEAD));
    let s = fs.stats();
    assert_eq!(s.file_count, 6);
    assert_eq!(s.dir_count, 8);
    fs.rmtree("/src").unwrap();
    assert_eq!(fs.read("/dst/top").unwrap(), b"top");
    fs.rmtree("/dst").unwrap();
    assert_eq!(used(&fs), 0);
}

fn copy_tree_errors(ctx: Ctx) {
    let fs = ctx.fs();
    fs.mkdir("/d/inner", false).unwrap();
    fs.mkdir("/e", false).unwrap();
    fs.write("/f", b"f").unwrap();
    let before = state(&fs);
    expect_kind(fs.copy_tree("/f", "/x"), ErrorKind::NotADirectory);
    expect_kind(fs.copy_tree("/d", "/e"), ErrorKind::AlreadyExists);
    expect_kind(fs.copy_tree("/d", "/f"), ErrorKind::AlreadyExists);
    expect_kind(fs.copy_tree("/d", "/nope/x"), ErrorKind::NotFound);
    expect_kind(fs.copy_tree("/nope", "/x"), ErrorKind::NotFound);
    assert_eq!(state(&fs), before);
}

// ---------------------------------------------------------------------------
// walk / glob (decision 16)
// ---------------------------------------------------------------------------

fn make_glob_tree(fs: &MemoryFileSystem) {
    fs.mkdir("/top/sub/deep", false).unwrap();
    fs.mkdir("/top/zdir", false).unwrap();
    for p in [
        "/top/a.txt",
        "/top/b.log",
        "/top/x1",
        "/top/x2",
        "/top/xy",
        "/top/sub/c.txt",
        "/top/sub/deep/d.txt",
        "/top/zdir/e.txt",
        "/other.txt",
    ] {
        fs.write(p, p.as_bytes()).unwrap();
    }
}

fn strings(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

both_strategies!(
    walk_top_down_sorted,
    walk_errors,
    glob_patterns,
    glob_errors
);

fn walk_top_down_sorted(ctx: Ctx) {
    let fs = ctx.fs();
    make_glob_tree(&fs);
    let w: Vec<(String, Vec<String>, Vec<String>)> = fs.walk("/top").unwrap().collect();
    assert_eq!(
        w[0],
        (
            "/top".to_string(),
            strings(&["sub", "zdir"]),
            strings(&["a.txt", "b.log", "x1", "x2", "xy"])
        )
    );
    let dirs: Vec<&str> = w.iter().map(|(d, _, _)| d.as_str()).collect();
    let set: BTreeSet<&str> = dirs.iter().copied().collect();
    assert_eq!(set.len(), dirs.len(), "each directory once");
    assert_eq!(
        set,
        BTreeSet::from(["/top", "/top/sub", "/top/sub/deep", "/top/zdir"])
    );
    for (i, (d, sub, files)) in w.iter().enumerate() {
        assert!(strictly_sorted(sub), "{d}: {sub:?}");
        assert!(strictly_sorted(files), "{d}: {files:?}");
        // Top-down: every directory comes after its parent.
        if d != "/top" {
            let parent = &d[..d.rfind('/').unwrap()];
            let pi = dirs.iter().position(|x| *x == parent).unwrap();
            assert!(pi < i, "{d} listed before its parent");
        }
    }
    let by_dir: BTreeMap<&str, (&Vec<String>, &Vec<String>)> =
        w.iter().map(|(d, s, f)| (d.as_str(), (s, f))).collect();
    assert_eq!(
        by_dir["/top/sub"],
        (&strings(&["deep"]), &strings(&["c.txt"]))
    );
    assert_eq!(by_dir["/top/sub/deep"], (&Vec::new(), &strings(&["d.txt"])));
    assert_eq!(by_dir["/top/zdir"], (&Vec::new(), &strings(&["e.txt"])));

    let root: Vec<_> = fs.walk("/").unwrap().collect();
    assert_eq!(
        root[0],
        ("/".to_string(), strings(&["top"]), strings(&["other.txt"]))
    );
    assert_eq!(root.len(), 5);
}

fn walk_errors(ctx: Ctx) {
    let fs = ctx.fs();
    let empty: Vec<_> = fs.walk("/").unwrap().collect();
    assert_eq!(empty, vec![("/".to_string(), vec![], vec![])]);
    fs.mkdir("/e", false).unwrap();
    let e: Vec<_> = fs.walk("/e").unwrap().collect();
    assert_eq!(e, vec![("/e".to_string(), vec![], vec![])]);
    assert_eq!(fs.listdir("/e").unwrap(), Vec::<String>::new());
    fs.write("/f", b"x").unwrap();
    expect_kind(fs.walk("/f").map(|w| w.count()), ErrorKind::NotADirectory);
    expect_kind(fs.walk("/nope").map(|w| w.count()), ErrorKind::NotFound);
}

fn glob_patterns(ctx: Ctx) {
    let fs = ctx.fs();
    make_glob_tree(&fs);
    let g = |p: &str| fs.glob(p).unwrap_or_else(|e| panic!("glob {p:?}: {e}"));
    assert_eq!(g("/top/*.txt"), strings(&["/top/a.txt"]));
    assert_eq!(g("/top/x?"), strings(&["/top/x1", "/top/x2", "/top/xy"]));
    assert_eq!(g("/top/x[12]"), strings(&["/top/x1", "/top/x2"]));
    assert_eq!(g("/top/x[!1]"), strings(&["/top/x2", "/top/xy"]));
    assert_eq!(
        g("/top/*"),
        strings(&[
            "/top/a.txt",
            "/top/b.log",
            "/top/sub",
            "/top/x1",
            "/top/x2",
            "/top/xy",
            "/top/zdir"
        ])
    );
    assert_eq!(
        g("/top/**"),
        strings(&[
            "/top/a.txt",
            "/top/b.log",
            "/top/sub",
            "/top/sub/c.txt",
            "/top/sub/deep",
            "/top/sub/deep/d.txt",
            "/top/x1",
            "/top/x2",
            "/top/xy",
            "/top/zdir",
            "/top/zdir/e.txt",
        ]),
        "/top/** lists what lies below /top, not /top"
    );
    assert_eq!(
        g("/top/**/*.txt"),
        strings(&[
            "/top/a.txt",
            "/top/sub/c.txt",
            "/top/sub/deep/d.txt",
            "/top/zdir/e.txt",
        ])
    );
    assert_eq!(
        g("/**/*.txt"),
        strings(&[
            "/other.txt",
            "/top/a.txt",
            "/top/sub/c.txt",
            "/top/sub/deep/d.txt",
            "/top/zdir/e.txt",
        ])
    );
    // `*` and `?` do not cross directory separators.
    assert_eq!(g("/*.txt"), strings(&["/other.txt"]));
    assert_eq!(g("/top/*/c.txt"), strings(&["/top/sub/c.txt"]));
    assert_eq!(
        g("/top/*/*.txt"),
        strings(&["/top/sub/c.txt", "/top/zdir/e.txt"])
    );
    assert_eq!(g("/top?a.txt"), Vec::<String>::new());
    // A relative pattern is taken from the root.
    assert_eq!(g("top/*.txt"), strings(&["/top/a.txt"]));
    assert_eq!(g("*.txt"), strings(&["/other.txt"]));
    // Literals.
    assert_eq!(g("/top/sub/c.txt"), strings(&["/top/sub/c.txt"]));
    assert_eq!(g("/top/nothing"), Vec::<String>::new());
    assert_eq!(g("/nomatch*"), Vec::<String>::new());
    // Results are sorted and unique.
    for p in ["/**", "/top/**/**", "/**/sub/**", "**/*"] {
        let r = g(p);
        assert!(strictly_sorted(&r), "{p}: {r:?}");
    }
    let all = g("/**");
    assert_eq!(all.len(), 13);
    assert!(!all.contains(&"/".to_string()));
}

fn glob_errors(ctx: Ctx) {
    let fs = ctx.fs();
    make_glob_tree(&fs);
    // An unclosed `[` is an ordinary character, as in fnmatch.
    assert!(fs.glob("/top/[").unwrap().is_empty());
    assert!(fs.glob("/top/[abc").unwrap().is_empty());
    expect_kind(
        fs.glob(&format!("/top/{}", "?".repeat(4097))),
        ErrorKind::InvalidInput,
    );
}

// ---------------------------------------------------------------------------
// stat / get_size / metadata (decision 14)
// ---------------------------------------------------------------------------

both_strategies!(
    stat_files_and_dirs,
    generation_counts_writes_and_truncations,
    timestamps_rules,
    get_size_reports_file_size,
);

fn stat_files_and_dirs(ctx: Ctx) {
    let fs = ctx.fs();
    fs.mkdir("/d", false).unwrap();
    fs.write("/d/f", b"12345").unwrap();
    let d = fs.stat("/d").unwrap();
    assert!(d.is_dir);
    assert_eq!(d.size, 0);
    assert_eq!(d.generation, 0);
    assert!(d.modified_at >= d.created_at);
    let f = fs.stat("/d/f").unwrap();
    assert!(!f.is_dir);
    assert_eq!(f.size, 5);
    assert!(f.modified_at >= f.created_at);
    let r = fs.stat("/").unwrap();
    assert!(r.is_dir);
    assert_eq!(r.size, 0);
    expect_kind(fs.stat("/nope"), ErrorKind::NotFound);
}

fn generation_counts_writes_and_truncations(ctx: Ctx) {
    let fs = ctx.fs();
    let mut h = fs.open("/g", OpenMode::Write).unwrap();
    assert_eq!(fs.stat("/g").unwrap().generation, 0, "new empty file");
    h.write_all(b"a").unwrap();
    assert_eq!(fs.stat("/g").unwrap().generation, 1);
    h.write_all(b"bc").unwrap();
    assert_eq!(fs.stat("/g").unwrap().generation, 2);
    h.truncate(Some(1)).unwrap();
    assert_eq!(fs.stat("/g").unwrap().generation, 3);
    drop(h);
    // A Write open truncates: the generation grows.
    let h = fs.open("/g", OpenMode::Write).unwrap();
    drop(h);
    let g = fs.stat("/g").unwrap();
    assert!(g.generation > 3, "truncating open: {}", g.generation);
    assert_eq!(g.size, 0);
    // A new file with nothing written: 0. Directories: 0.
    fs.open("/empty", OpenMode::CreateNew)
        .unwrap()
        .close()
        .unwrap();
    assert_eq!(fs.stat("/empty").unwrap().generation, 0);
    fs.mkdir("/dir", false).unwrap();
    assert_eq!(fs.stat("/dir").unwrap().generation, 0);
    // Imported files: 0.
    fs.import_tree(vec![("/imp", &b"data"[..])]).unwrap();
    assert_eq!(fs.stat("/imp").unwrap().generation, 0);
}

/// Busy-waits (bounded) until the system clock is past `t`.
fn clock_past(t: SystemTime) -> SystemTime {
    let mut now = SystemTime::now();
    poll_until("clock advances", || {
        now = SystemTime::now();
        now > t
    });
    now
}

fn timestamps_rules(ctx: Ctx) {
    let fs = ctx.fs();
    fs.mkdir("/d", false).unwrap();
    fs.write("/d/f", b"v1").unwrap();
    let m1 = fs.stat("/d/f").unwrap();
    assert!(m1.modified_at >= m1.created_at);

    // A write moves modified_at, not created_at.
    let t = clock_past(m1.modified_at);
    let mut h = fs.open("/d/f", OpenMode::Append).unwrap();
    h.write_all(b"+").unwrap();
    drop(h);
    let m2 = fs.stat("/d/f").unwrap();
    assert_eq!(m2.created_at, m1.created_at);
    assert!(m2.modified_at >= t, "modified_at moves on write");

    // A truncating Write open moves modified_at.
    let t = clock_past(m2.modified_at);
    drop(fs.open("/d/f", OpenMode::Write).unwrap());
    let m3 = fs.stat("/d/f").unwrap();
    assert_eq!(m3.created_at, m1.created_at);
    assert!(m3.modified_at >= t, "modified_at moves on truncation");

    // rename and move keep both.
    fs.rename("/d/f", "/d/g").unwrap();
    fs.move_path("/d/g", "/e/h").unwrap();
    let m4 = fs.stat("/e/h").unwrap();
    assert_eq!(m4.created_at, m3.created_at);
    assert_eq!(m4.modified_at, m3.modified_at);

    // copy, copy_tree and import_tree give fresh created_at.
    fs.write("/e/h", b"content").unwrap();
    let src_created = fs.stat("/e/h").unwrap().created_at;
    let t = clock_past(src_created);
    fs.copy("/e/h", "/copy").unwrap();
    fs.copy_tree("/e", "/etree").unwrap();
    fs.import_tree(vec![("/e/h", &b"imported"[..])]).unwrap();
    for p in ["/copy", "/etree/h", "/e/h"] {
        let m = fs.stat(p).unwrap();
        assert!(m.created_at >= t, "{p}: fresh created_at expected");
        assert!(m.modified_at >= m.created_at, "{p}");
    }
}

fn get_size_reports_file_size(ctx: Ctx) {
    let fs = ctx.fs();
    write_pieces(&fs, "/f", &[b"abc", b"de"]);
    assert_eq!(fs.get_size("/f").unwrap(), 5);
    fs.write("/e", b"").unwrap();
    assert_eq!(fs.get_size("/e").unwrap(), 0);
    fs.mkdir("/d", false).unwrap();
    expect_kind(fs.get_size("/d"), ErrorKind::IsADirectory);
    expect_kind(fs.get_size("/nope"), ErrorKind::NotFound);
    // get_size takes no file lock: works while a writer holds the file.
    let mut h = fs.open("/f", OpenMode::Append).unwrap();
    h.write_all(b"fg").unwrap();
    assert_eq!(fs.get_size("/f").unwrap(), 7);
    assert_eq!(fs.stat("/f").unwrap().size, 7);
    assert_eq!(fs.listdir("/").unwrap(), vec!["d", "e", "f"]);
    drop(h);
}

// ---------------------------------------------------------------------------
// read / write / read_to_string (decision 9)
// ---------------------------------------------------------------------------

both_strategies!(
    write_creates_or_replaces,
    write_errors_keep_old_state,
    read_to_string_utf8
);

fn write_creates_or_replaces(ctx: Ctx) {
    let fs = ctx.fs();
    fs.write("/f", b"first").unwrap();
    assert_eq!(fs.read("/f").unwrap(), b"first");
    assert_eq!(used(&fs), 5 + OVERHEAD);
    fs.write("/f", "second, longer").unwrap();
    assert_eq!(fs.read("/f").unwrap(), b"second, longer");
    assert_eq!(used(&fs), 14 + OVERHEAD);
    fs.write("/f", Vec::<u8>::new()).unwrap();
    assert_eq!(fs.read("/f").unwrap(), b"");
    assert_eq!(used(&fs), 0);
    fs.write("/g", Bytes::from_static(b"bytes")).unwrap();
    assert_eq!(fs.read("/g").unwrap(), b"bytes");
    assert_eq!(fs.stats().file_count, 2);
}

fn write_errors_keep_old_state(ctx: Ctx) {
    let fs = ctx.fs_quota(1000);
    fs.mkdir("/d", false).unwrap();
    fs.write("/f", vec![7u8; 500]).unwrap();
    let before = state(&fs);
    expect_kind(fs.write("/nope/f", b"x"), ErrorKind::NotFound);
    expect_kind(fs.write("/d", b"x"), ErrorKind::IsADirectory);
    let e = expect_kind(fs.write("/f", vec![1u8; 900]), ErrorKind::QuotaExceeded);
    assert!(e.is_quota());
    assert_eq!(state(&fs), before, "the old content and ledger stay");
    expect_kind(fs.write("/new", vec![1u8; 900]), ErrorKind::QuotaExceeded);
    assert_eq!(state(&fs), before);
    assert!(!fs.exists("/new"));
}

fn read_to_string_utf8(ctx: Ctx) {
    let fs = ctx.fs();
    fs.write("/t", "héllo wörld").unwrap();
    assert_eq!(fs.read_to_string("/t").unwrap(), "héllo wörld");
    fs.write("/bad", [0xffu8, 0xfe, 0x41]).unwrap();
    expect_kind(fs.read_to_string("/bad"), ErrorKind::InvalidData);
    assert_eq!(fs.read("/bad").unwrap(), vec![0xff, 0xfe, 0x41]);
    fs.mkdir("/d", false).unwrap();
    expect_kind(fs.read("/d"), ErrorKind::IsADirectory);
    expect_kind(fs.read_to_string("/d"), ErrorKind::IsADirectory);
    expect_kind(fs.read("/nope"), ErrorKind::NotFound);
}

// ---------------------------------------------------------------------------
// export_bytes / export_tree / iter_export_tree / import_tree (7, 8, 14)
// ---------------------------------------------------------------------------

both_strategies!(
    export_bytes_rules,
    export_tree_prefixes,
    iter_export_tree_matches_export_tree,
    iter_export_tree_holds_no_lock_between_items,
    only_dirty_rules,
    import_tree_creates_parents_and_replaces,
    import_tree_accepts_many_input_types,
    import_tree_all_or_nothing_bad_last_entry,
    import_tree_all_or_nothing_conflicts_within_batch,
    import_tree_all_or_nothing_quota,
    import_tree_all_or_nothing_max_nodes,
);

fn export_bytes_rules(ctx: Ctx) {
    let fs = ctx.fs();
    write_pieces(&fs, "/f", &[b"hello ", b"world"]);
    assert_eq!(&fs.export_bytes("/f", None).unwrap()[..], b"hello world");
    assert_eq!(
        &fs.export_bytes("/f", Some(11)).unwrap()[..],
        b"hello world"
    );
    assert_eq!(
        &fs.export_bytes("/f", Some(1000)).unwrap()[..],
        b"hello world"
    );
    expect_kind(fs.export_bytes("/f", Some(10)), ErrorKind::InvalidInput);
    fs.mkdir("/d", false).unwrap();
    expect_kind(fs.export_bytes("/d", None), ErrorKind::IsADirectory);
    expect_kind(fs.export_bytes("/nope", None), ErrorKind::NotFound);
    fs.write("/e", b"").unwrap();
    assert!(fs.export_bytes("/e", Some(0)).unwrap().is_empty());
    // Exported bytes are a snapshot, not a view.
    let b = fs.export_bytes("/f", None).unwrap();
    fs.write("/f", b"other").unwrap();
    assert_eq!(&b[..], b"hello world");
}

fn export_tree_prefixes(ctx: Ctx) {
    let fs = ctx.fs();
    fs.mkdir("/d/sub", false).unwrap();
    fs.mkdir("/dd", false).unwrap();
    fs.write("/d/a", b"a").unwrap();
    fs.write("/d/sub/b", b"bb").unwrap();
    fs.write("/dd/c", b"ccc").unwrap();
    fs.write("/root", b"r").unwrap();
    fs.write("/d/empty", b"").unwrap();
    let all = fs.export_tree("/", false).unwrap();
    let keys: Vec<&str> = all.keys().map(|k| k.as_str()).collect();
    assert_eq!(keys, vec!["/d/a", "/d/empty", "/d/sub/b", "/dd/c", "/root"]);
    assert_eq!(&all["/d/sub/b"][..], b"bb");
    assert!(all["/d/empty"].is_empty());
    let d = fs.export_tree("/d", false).unwrap();
    let keys: Vec<&str> = d.keys().map(|k| k.as_str()).collect();
    assert_eq!(
        keys,
        vec!["/d/a", "/d/empty", "/d/sub/b"],
        "/dd is not under /d"
    );
    assert_eq!(fs.export_tree("d/", false).unwrap(), d, "prefix normalizes");
    // A file path: just that file.
    let f = fs.export_tree("/dd/c", false).unwrap();
    assert_eq!(f.len(), 1);
    assert_eq!(&f["/dd/c"][..], b"ccc");
    // A missing prefix: Ok and nothing.
    assert!(fs.export_tree("/nope", false).unwrap().is_empty());
    assert!(fs.export_tree("/nope/deeper", false).unwrap().is_empty());
    assert_eq!(fs.export_tree("", false).unwrap(), all);
}

fn iter_export_tree_matches_export_tree(ctx: Ctx) {
    let fs = ctx.fs();
    fs.mkdir("/x/y", false).unwrap();
    for i in 0..20 {
        fs.write(format!("/x/y/f{i:02}").as_str(), vec![i as u8; i])
            .unwrap();
    }
    fs.write("/x/top", b"t").unwrap();
    let via_iter: BTreeMap<String, Bytes> = fs.iter_export_tree("/x", false).unwrap().collect();
    assert_eq!(via_iter, fs.export_tree("/x", false).unwrap());
    assert_eq!(via_iter.len(), 21);
    let n = fs.iter_export_tree("/x", false).unwrap().count();
    assert_eq!(n, 21, "each file once");
    assert_eq!(fs.iter_export_tree("/nope", false).unwrap().count(), 0);
    let single: Vec<(String, Bytes)> = fs.iter_export_tree("/x/top", false).unwrap().collect();
    assert_eq!(
        single,
        vec![("/x/top".to_string(), Bytes::from_static(b"t"))]
    );
}

fn iter_export_tree_holds_no_lock_between_items(ctx: Ctx) {
    let fs = ctx.fs();
    for i in 0..10 {
        fs.write(format!("/f{i}").as_str(), format!("content {i}"))
            .unwrap();
    }
    let mut it = fs.iter_export_tree("/", false).unwrap();
    let first = it.next().expect("one item");
    assert!(first.0.starts_with("/f"));
    // Between items: files can be opened for writing (no lock held) and removed.
    let h = fs
        .open_with("/f9", OpenMode::Write, try_once())
        .expect("no lock is held between items");
    drop(h);
    fs.remove("/f5")
        .expect("files may be removed while an iterator is alive");
    let rest: Vec<(String, Bytes)> = it.collect();
    for (p, b) in &rest {
        assert_ne!(p, &first.0);
        if p == "/f9" {
            assert!(b.is_empty() || &b[..] == b"content 9", "/f9: {b:?}");
        } else {
            let i: usize = p[2..].parse().unwrap();
            assert_eq!(&b[..], format!("content {i}").as_bytes());
        }
    }
    assert!(rest.len() == 8 || rest.len() == 9, "{}", rest.len());
}

fn only_dirty_rules(ctx: Ctx) {
    let fs = ctx.fs();
    fs.import_tree(vec![("/d/imported", &b"x"[..]), ("/d/imp2", &b"y"[..])])
        .unwrap();
    fs.copy_tree("/d", "/ct").unwrap();
    fs.open("/opened", OpenMode::Write)
        .unwrap()
        .close()
        .unwrap();
    fs.open("/created", OpenMode::CreateNew)
        .unwrap()
        .close()
        .unwrap();
    fs.open("/appended", OpenMode::Append)
        .unwrap()
        .close()
        .unwrap();
    assert!(
        fs.export_tree("/", true).unwrap().is_empty(),
        "imported, copy_tree'd and opened-but-unwritten files start clean"
    );
    assert_eq!(fs.export_tree("/", false).unwrap().len(), 7);
    fs.copy("/d/imported", "/copied").unwrap();
    fs.write("/written", b"w").unwrap();
    let mut h = fs.open("/d/imp2", OpenMode::Append).unwrap();
    h.write_all(b"z").unwrap();
    drop(h);
    let dirty = fs.export_tree("/", true).unwrap();
    let keys: Vec<&str> = dirty.keys().map(|k| k.as_str()).collect();
    assert_eq!(keys, vec!["/copied", "/d/imp2", "/written"]);
    assert_eq!(&dirty["/d/imp2"][..], b"yz");
    let via_iter: BTreeMap<String, Bytes> = fs.iter_export_tree("/", true).unwrap().collect();
    assert_eq!(via_iter, dirty);
    let dirty_d = fs.export_tree("/d", true).unwrap();
    assert_eq!(dirty_d.len(), 1);
}

fn import_tree_creates_parents_and_replaces(ctx: Ctx) {
    let fs = ctx.fs();
    fs.mkdir("/a", false).unwrap();
    write_pieces(&fs, "/a/old", &[b"1", b"2", b"3"]);
    assert_eq!(used(&fs), 3 + 3 * OVERHEAD);
    fs.import_tree(vec![
        ("/a/old", &b"replaced"[..]),
        ("/a/b/c/new", &b"new file"[..]),
        ("rel/path", &b"relative"[..]),
        ("/a/empty", &b""[..]),
    ])
    .unwrap();
    assert_eq!(fs.read("/a/old").unwrap(), b"replaced");
    assert_eq!(fs.read("/a/b/c/new").unwrap(), b"new file");
    assert_eq!(fs.read("/rel/path").unwrap(), b"relative");
    assert_eq!(fs.read("/a/empty").unwrap(), b"");
    assert!(fs.is_dir("/a/b/c"));
    assert_eq!(fs.listdir("/a").unwrap(), vec!["b", "empty", "old"]);
    // Each imported non-empty file: size + one chunk; the old charge is gone.
    assert_eq!(used(&fs), (8 + OVERHEAD) + (8 + OVERHEAD) + (8 + OVERHEAD));
    let s = fs.stats();
    assert_eq!((s.file_count, s.dir_count), (4, 4));
    // An empty batch is fine and changes nothing.
    let before = state(&fs);
    fs.import_tree(Vec::<(String, Vec<u8>)>::new()).unwrap();
    assert_eq!(state(&fs), before);
}

fn import_tree_accepts_many_input_types(ctx: Ctx) {
    let fs = ctx.fs();
    let mut map: BTreeMap<String, Bytes> = BTreeMap::new();
    map.insert("/m/a".into(), Bytes::from_static(b"A"));
    map.insert("/m/b".into(), Bytes::from(vec![1u8, 2, 3]));
    fs.import_tree(map.clone()).unwrap();
    fs.import_tree(vec![("/v".to_string(), vec![9u8; 4])])
        .unwrap();
    fs.import_tree([("/s", "text")]).unwrap();
    fs.import_tree(vec![("/st".to_string(), "owned".to_string())])
        .unwrap();
    assert_eq!(fs.export_tree("/m", false).unwrap(), map);
    assert_eq!(fs.read("/v").unwrap(), vec![9u8; 4]);
    assert_eq!(fs.read_to_string("/s").unwrap(), "text");
    assert_eq!(fs.read_to_string("/st").unwrap(), "owned");
    // Round trip into another filesystem.
    let other = ctx.fs();
    other
        .import_tree(fs.export_tree("/", false).unwrap())
        .unwrap();
    assert_eq!(
        other.export_tree("/", false).unwrap(),
        fs.export_tree("/", false).unwrap()
    );
    assert_eq!(used(&other), used(&fs));
}

fn import_tree_all_or_nothing_bad_last_entry(ctx: Ctx) {
    let fs = ctx.fs();
    fs.mkdir("/dir", false).unwrap();
    fs.write("/keep", b"keep").unwrap();
    fs.write("/file", b"f").unwrap();
    let before = state(&fs);
    let good: Vec<(&str, &[u8])> = vec![
        ("/new/deep/a", &b"aaa"[..]),
        ("/keep", &b"overwritten"[..]),
        ("/b", &b"bbbb"[..]),
    ];
    let cases: Vec<(&str, ErrorKind)> = vec![
        ("/", ErrorKind::InvalidInput),
        ("", ErrorKind::InvalidInput),
        ("/x/..", ErrorKind::InvalidInput),
        ("/..", ErrorKind::InvalidInput),
        ("/dir", ErrorKind::IsADirectory),
        ("/file/sub", ErrorKind::NotADirectory),
    ];
    for (bad, kind) in cases {
        let mut batch = good.clone();
        batch.push((bad, &b"bad"[..]));
        expect_kind(fs.import_tree(batch), kind);
        assert_eq!(state(&fs), before, "import with bad last entry {bad:?}");
        assert!(!fs.exists("/new"));
    }
    // An open file in the batch: ResourceBusy, nothing changes.
    let h = fs.open("/file", OpenMode::Read).unwrap();
    let mut batch = good.clone();
    batch.push(("/file", &b"replacement"[..]));
    expect_kind(fs.import_tree(batch), ErrorKind::ResourceBusy);
    assert_eq!(state(&fs), before);
    drop(h);
    let mut batch = good.clone();
    batch.push(("/file", &b"replacement"[..]));
    fs.import_tree(batch).unwrap();
    assert_eq!(fs.read("/file").unwrap(), b"replacement");
    assert_eq!(fs.read("/keep").unwrap(), b"overwritten");
}

fn import_tree_all_or_nothing_conflicts_within_batch(ctx: Ctx) {
    let fs = ctx.fs();
    fs.write("/keep", b"keep").unwrap();
    let before = state(&fs);
    // A later entry passes through a file an earlier entry creates.
    let batch = vec![
        ("/p/file", &b"1"[..]),
        ("/p/other", &b"2"[..]),
        ("/p/file/sub", &b"3"[..]),
    ];
    expect_kind(fs.import_tree(batch), ErrorKind::NotADirectory);
    assert_eq!(state(&fs), before);
    // A later entry names a directory an earlier entry creates.
    let batch = vec![("/q/sub/f", &b"1"[..]), ("/q/sub", &b"2"[..])];
    expect_kind(fs.import_tree(batch), ErrorKind::IsADirectory);
    assert_eq!(state(&fs), before);
    assert!(!fs.exists("/p") && !fs.exists("/q"));
}

fn import_tree_all_or_nothing_quota(ctx: Ctx) {
    let fs = ctx.fs_quota(2000);
    fs.write("/old", vec![1u8; 300]).unwrap();
    let before = state(&fs);
    // 3 × (400 + 128) + the existing 428 = 2012 > 2000.
    let batch = vec![
        ("/n/a", vec![2u8; 400]),
        ("/n/b", vec![3u8; 400]),
        ("/n/c", vec![4u8; 400]),
    ];
    let e = expect_kind(fs.import_tree(batch), ErrorKind::QuotaExceeded);
    assert!(e.is_quota());
    assert!(matches!(e, dmemfs::Error::QuotaExceeded { .. }), "{e:?}");
    assert_eq!(state(&fs), before);
    // Replacing /old frees its charge: now it fits (3 × 528 = 1584).
    let batch = vec![
        ("/n/a", vec![2u8; 400]),
        ("/n/b", vec![3u8; 400]),
        ("/old", vec![4u8; 400]),
    ];
    fs.import_tree(batch).unwrap();
    assert_eq!(used(&fs), 3 * (400 + OVERHEAD));
}

fn import_tree_all_or_nothing_max_nodes(ctx: Ctx) {
    let fs = ctx.fs_with(|b| b.max_nodes(4));
    fs.mkdir("/d", false).unwrap();
    let before = state(&fs);
    // Needs /x, /x/y, /x/y/1, /x/y/2 = 4 new nodes, room for 3.
    let batch = vec![("/x/y/1", &b"1"[..]), ("/x/y/2", &b"2"[..])];
    let e = expect_kind(fs.import_tree(batch), ErrorKind::QuotaExceeded);
    assert!(e.is_quota());
    assert!(
        matches!(e, dmemfs::Error::NodeLimitExceeded { limit: 4, .. }),
        "{e:?}"
    );
    assert_eq!(state(&fs), before);
    fs.import_tree(vec![("/x/1", &b"1"[..]), ("/x/2", &b"2"[..])])
        .unwrap();
    assert_eq!(fs.stats().file_count + fs.stats().dir_count, 4);
}

// ---------------------------------------------------------------------------
// Dropping the filesystem (decision 17)
// ---------------------------------------------------------------------------

both_strategies!(drop_last_clone_with_open_handles_does_not_hang);

fn drop_last_clone_with_open_handles_does_not_hang(ctx: Ctx) {
    run_with_deadline("drop with open handles", DEADLINE, None, move || {
        use std::io::{Read, Seek, SeekFrom};
        let fs = ctx.fs();
        fs.write("/r", b"readable").unwrap();
        let clone = fs.clone();
        let mut w = fs.open("/w", OpenMode::Write).unwrap();
        let mut r = fs.open("/r", OpenMode::Read).unwrap();
        drop(clone);
        drop(fs);
        // Handles keep working on their file.
        w.write_all(b"still ").unwrap();
        w.write_all(b"works").unwrap();
        w.seek(SeekFrom::Start(0)).unwrap();
        assert_eq!(w.tell(), 0);
        let mut s = String::new();
        r.read_to_string(&mut s).unwrap();
        assert_eq!(s, "readable");
        w.close().unwrap();
        drop(r);
    });
}

// ---------------------------------------------------------------------------
// Scale
// ---------------------------------------------------------------------------

both_strategies!(
    deep_directory_chain_100k_no_recursion,
    deep_directory_chain_other_operations,
    many_files_in_one_directory_200k,
    many_files_in_one_directory_1m,
);

fn deep_directory_chain_100k_no_recursion(ctx: Ctx) {
    const DEPTH: usize = 100_000;
    // A 1 MiB stack: any recursion over the depth would overflow it.
    run_with_deadline(
        "100,000-level chain",
        Duration::from_secs(120),
        Some(1 << 20),
        move || {
            let path = "/d".repeat(DEPTH);
            let file = format!("{path}/bottom.bin");
            // Twice: once removed with rmtree, once dropped as is.
            for remove_first in [true, false] {
                let fs = ctx.fs();
                fs.mkdir(&path, false).expect("one mkdir of 100,000 levels");
                assert!(fs.is_dir(&path));
                assert_eq!(fs.stats().dir_count, DEPTH as u64);
                fs.write(file.as_str(), b"at the bottom").unwrap();
                assert_eq!(fs.read(&file).unwrap(), b"at the bottom");
                assert!(fs.is_file(&file));
                assert_eq!(fs.listdir(&path).unwrap(), vec!["bottom.bin"]);
                if remove_first {
                    fs.rmtree("/d").unwrap();
                    assert!(!fs.exists("/d"));
                    let s = fs.stats();
                    assert_eq!((s.used_bytes, s.file_count, s.dir_count), (0, 0, 0));
                }
                drop(fs);
            }
        },
    );
}

/// More operations on deep chains: copy_tree, rename and move_path at
/// 100,000 levels; exports and glob at 20,000 levels (their output paths are
/// long, so a shallower chain keeps a quadratic slip affordable).
fn deep_directory_chain_other_operations(ctx: Ctx) {
    run_with_deadline(
        "deep chain operations",
        Duration::from_secs(120),
        Some(1 << 20),
        move || {
            let fs = ctx.fs();
            let tail = "/d".repeat(100_000 - 1);
            let deep = format!("/d{tail}");
            fs.mkdir(&deep, false).unwrap();
            fs.write(format!("{deep}/f").as_str(), b"deep").unwrap();
            fs.copy_tree("/d", "/copy").unwrap();
            let copied = format!("/copy{tail}/f");
            assert_eq!(fs.read(&copied).unwrap(), b"deep");
            assert_eq!(used(&fs), 2 * (4 + OVERHEAD));
            assert_eq!(fs.stats().dir_count, 200_000);
            fs.rename("/copy", "/renamed").unwrap();
            fs.move_path("/renamed", "/x/y/moved").unwrap();
            let moved = format!("/x/y/moved{tail}/f");
            assert!(fs.is_file(&moved));
            assert_eq!(fs.get_size(&moved).unwrap(), 4);
            assert_eq!(fs.stat(&moved).unwrap().size, 4);
            expect_kind(
                fs.move_path("/d", &format!("{deep}/inside")),
                ErrorKind::InvalidInput,
            );
            fs.rmtree("/x").unwrap();
            fs.rmtree("/d").unwrap();
            let s = fs.stats();
            assert_eq!((s.used_bytes, s.file_count, s.dir_count), (0, 0, 0));

            let chain = "/e".repeat(20_000);
            let file = format!("{chain}/f");
            fs.mkdir(&chain, false).unwrap();
            fs.write(file.as_str(), b"exported").unwrap();
            let exported = fs.export_tree("/e", false).unwrap();
            assert_eq!(exported.len(), 1);
            assert_eq!(&exported[&file][..], b"exported");
            assert_eq!(fs.export_tree("/", true).unwrap(), exported);
            let streamed: Vec<(String, Bytes)> =
                fs.iter_export_tree("/e", false).unwrap().collect();
            assert_eq!(streamed.len(), 1);
            assert_eq!(streamed[0].0, file);
            assert_eq!(fs.glob(&file).unwrap(), vec![file.clone()]);
            drop(fs);
        },
    );
}

fn many_files_in_one_directory(ctx: Ctx, n: usize) {
    let fs = ctx.fs();
    let batch: Vec<(String, Bytes)> = (0..n)
        .rev()
        .map(|i| (format!("/big/f{i:07}"), Bytes::from_static(b"x")))
        .collect();
    fs.import_tree(batch).expect("one import_tree call");
    let s = fs.stats();
    assert_eq!(s.file_count, n as u64);
    assert_eq!(s.dir_count, 1);
    assert_eq!(s.used_bytes, n as u64 * (1 + OVERHEAD));
    let names = fs.listdir("/big").unwrap();
    assert_eq!(names.len(), n);
    assert!(strictly_sorted(&names), "listdir is sorted and unique");
    assert_eq!(names[0], "f0000000");
    assert_eq!(names[n - 1], format!("f{:07}", n - 1));
    let lit = format!("/big/f{:07}", n / 2);
    assert_eq!(fs.glob(&lit).unwrap(), vec![lit.clone()]);
    assert_eq!(fs.read(&lit).unwrap(), b"x");
    fs.rmtree("/big").unwrap();
    assert_eq!(used(&fs), 0);
    assert_eq!(fs.stats().file_count, 0);
}

fn many_files_in_one_directory_200k(ctx: Ctx) {
    many_files_in_one_directory(ctx, 200_000);
}

fn many_files_in_one_directory_1m(ctx: Ctx) {
    many_files_in_one_directory(ctx, 1_000_000);
}

// Keep `OpenOptions::default()` in the surface test set.
both_strategies!(open_options_default_is_new);

fn open_options_default_is_new(ctx: Ctx) {
    let fs = ctx.fs();
    fs.write("/f", b"x").unwrap();
    let h = fs
        .open_with("/f", OpenMode::Read, OpenOptions::default())
        .unwrap();
    let h2 = fs
        .open_with("/f", OpenMode::Read, OpenOptions::new())
        .unwrap();
    assert!(h.is_readable() && h2.is_readable());
    let mut w = fs
        .open_with("/w", OpenMode::Write, OpenOptions::default())
        .unwrap();
    w.write_all(b"ok").unwrap();
    drop(w);
    assert_eq!(fs.read("/w").unwrap(), b"ok");
}
