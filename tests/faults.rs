//! Fault handling: a panic inside an operation (through the test-only
//! injection points of `dmemfs::fault`) or inside a user-supplied callback
//! does not poison the filesystem, and a dead writer thread makes every
//! pending and later mutation fail promptly instead of hanging.

#![allow(missing_docs)]

#[macro_use]
mod common;

use std::io::{ErrorKind, Write};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::{Arc, Barrier};
use std::thread;
use std::time::Duration;

use common::*;
use dmemfs::{fault, Bytes, Concurrency, Error, MemoryFileSystem, OpenMode};

const MAX_NODES: u64 = 40;

/// A filesystem whose lock waits fail at once (a lock leaked by a failed
/// operation shows up as `WouldBlock`, not as a hang) and with a node limit
/// (a leaked node count shows up as a wrong `NodeLimitExceeded`).
fn fs(ctx: Ctx) -> MemoryFileSystem {
    ctx.fs_with(|b| {
        b.default_lock_timeout(Some(Duration::ZERO))
            .max_nodes(MAX_NODES)
            .max_quota(1 << 20)
    })
}

/// `/d/f1` (two chunks), `/d/sub/f2`, `/g`, `/e` (empty dir).
fn populate(fs: &MemoryFileSystem) {
    fs.mkdir("/d/sub", false).unwrap();
    fs.mkdir("/e", false).unwrap();
    write_pieces(fs, "/d/f1", &[b"hello ", b"world"]);
    fs.write("/d/sub/f2", b"two").unwrap();
    fs.write("/g", vec![7u8; 300]).unwrap();
}

/// Files + directories, counted from the tree (the root not counted).
fn nodes(fs: &MemoryFileSystem) -> u64 {
    let s = fs.stats();
    s.file_count + s.dir_count
}

/// The node counter agrees with the tree: exactly `MAX_NODES - nodes` more
/// directories can be made, then `NodeLimitExceeded` names the tree's count.
#[track_caller]
fn assert_node_counter_matches(fs: &MemoryFileSystem) {
    let room = MAX_NODES - nodes(fs);
    for i in 0..room {
        fs.mkdir(&format!("/probe{i}"), false)
            .expect("room for another node");
    }
    match fs.mkdir("/probe-over", false) {
        Err(Error::NodeLimitExceeded { current, limit }) => {
            assert_eq!((current, limit), (MAX_NODES, MAX_NODES));
        }
        other => panic!("expected NodeLimitExceeded, got {other:?}"),
    }
    for i in 0..room {
        fs.rmtree(&format!("/probe{i}")).unwrap();
    }
}

/// Every file can be opened for writing at once: no lock was leaked.
#[track_caller]
fn assert_no_lock_held(fs: &MemoryFileSystem) {
    for (path, _) in fs.export_tree("/", false).unwrap() {
        let h = fs
            .open_with(&path, OpenMode::ReadWrite, try_once())
            .unwrap_or_else(|e| panic!("{path} is still locked: {e}"));
        drop(h);
    }
}

/// The ledger equals the charge of the stored files.
#[track_caller]
fn assert_ledger_matches(fs: &MemoryFileSystem, expected: u64) {
    assert_eq!(used(fs), expected, "used_bytes");
}

type Op = fn(&MemoryFileSystem) -> dmemfs::Result<()>;

/// Every structural mutation, each set to succeed on the populated tree,
/// with where the two-chunk file `/d/f1` is afterwards (copies of it are
/// stored as one chunk).
const MUTATIONS: &[(&str, Op, Option<&str>)] = &[
    ("mkdir", |fs| fs.mkdir("/n/m", false), Some("/d/f1")),
    (
        "write_new",
        |fs| fs.write("/d/new", b"fresh"),
        Some("/d/f1"),
    ),
    (
        "open_create",
        |fs| fs.open("/d/created", OpenMode::CreateNew).map(drop),
        Some("/d/f1"),
    ),
    ("remove", |fs| fs.remove("/d/f1"), None),
    ("rmtree", |fs| fs.rmtree("/d"), None),
    ("rename", |fs| fs.rename("/d", "/e/d"), Some("/e/d/f1")),
    (
        "move_path",
        |fs| fs.move_path("/d/f1", "/x/y/f1"),
        Some("/x/y/f1"),
    ),
    ("copy", |fs| fs.copy("/d/f1", "/e/f1"), Some("/d/f1")),
    (
        "copy_tree",
        |fs| fs.copy_tree("/d", "/e/copy"),
        Some("/d/f1"),
    ),
    (
        "import_tree",
        |fs| fs.import_tree([("/g", &b"replaced"[..]), ("/i/j/k", &b"new"[..])]),
        Some("/d/f1"),
    ),
];

both_strategies!(
    panic_inside_each_mutation_is_rolled_back,
    panic_leaves_open_files_and_handles_alone,
    panicking_import_iterator_changes_nothing,
    panicking_into_bytes_changes_nothing,
    panic_while_holding_a_handle_releases_its_lock,
);

fn panic_inside_each_mutation_is_rolled_back(ctx: Ctx) {
    for (name, op, f1_at) in MUTATIONS {
        let fs = fs(ctx);
        populate(&fs);
        let before = state(&fs);
        fault::panic_on_next_mutation(&fs);
        let err = op(&fs).expect_err(name);
        assert!(
            matches!(err, Error::Internal { .. }),
            "{name}: expected Error::Internal, got {err:?}"
        );
        assert_eq!(err.kind(), ErrorKind::Other, "{name}");
        assert!(err.to_string().contains("panicked"), "{name}: {err}");
        assert_eq!(
            state(&fs),
            before,
            "{name}: the panic changed the filesystem"
        );
        assert_no_lock_held(&fs);
        assert_node_counter_matches(&fs);
        assert_ledger_matches(&fs, before.used_bytes);
        // The same operation works afterwards and the ledger follows it.
        op(&fs).unwrap_or_else(|e| panic!("{name} after the panic: {e}"));
        let after = state(&fs);
        let one_chunk_each: u64 = after
            .files
            .values()
            .map(|b| b.len() as u64 + if b.is_empty() { 0 } else { OVERHEAD })
            .sum();
        let expected = one_chunk_each + if f1_at.is_some() { OVERHEAD } else { 0 };
        if let Some(at) = f1_at {
            assert_eq!(&after.files[*at][..], b"hello world", "{name}");
        }
        assert_ledger_matches(&fs, expected);
        assert_node_counter_matches(&fs);
        // Cleanup returns the ledger to zero.
        for dir in fs.listdir("/").unwrap() {
            let path = format!("/{dir}");
            if fs.is_dir(&path) {
                fs.rmtree(&path).unwrap();
            } else {
                fs.remove(&path).unwrap();
            }
        }
        assert_eq!(used(&fs), 0, "{name}");
        assert_eq!(fs.stats().chunk_count, 0, "{name}");
    }
}

fn panic_leaves_open_files_and_handles_alone(ctx: Ctx) {
    let fs = fs(ctx);
    populate(&fs);
    let mut h = fs.open("/g", OpenMode::Append).unwrap();
    let before = state_without_locked(&fs);
    fault::panic_on_next_mutation(&fs);
    assert!(matches!(fs.rmtree("/d"), Err(Error::Internal { .. })));
    // The open handle still writes; its file is still busy for removal.
    h.write_all(b"!").unwrap();
    expect_kind(fs.remove("/g"), ErrorKind::ResourceBusy);
    drop(h);
    assert_eq!(fs.get_size("/g").unwrap(), 301);
    let after = state_without_locked(&fs);
    assert_eq!(after.0, before.0, "the tree is unchanged");
    assert_eq!(
        after.1,
        before.1 + 1 + OVERHEAD,
        "only the append was charged"
    );
    fs.rmtree("/d").unwrap();
    assert_no_lock_held(&fs);
    assert_node_counter_matches(&fs);
}

/// `walk` output.
type WalkOut = Vec<(String, Vec<String>, Vec<String>)>;

/// The walk and used bytes, readable while a file is write-locked.
fn state_without_locked(fs: &MemoryFileSystem) -> (WalkOut, u64) {
    (fs.walk("/").unwrap().collect(), used(fs))
}

fn panicking_import_iterator_changes_nothing(ctx: Ctx) {
    let fs = fs(ctx);
    populate(&fs);
    let before = state(&fs);
    let items = (0..10).map(|i| {
        assert!(i < 3, "the caller's iterator panics");
        (format!("/imported/{i}"), vec![i as u8; 100])
    });
    let fs2 = fs.clone();
    let outcome = catch_unwind(AssertUnwindSafe(move || fs2.import_tree(items)));
    assert!(outcome.is_err(), "the panic reaches the caller");
    assert_eq!(state(&fs), before);
    assert_no_lock_held(&fs);
    assert_node_counter_matches(&fs);
    fs.import_tree([("/imported/ok", &b"fine"[..])]).unwrap();
    assert_eq!(fs.read("/imported/ok").unwrap(), b"fine");
    assert_eq!(used(&fs), before.used_bytes + 4 + OVERHEAD);
}

/// Data whose conversion into `Bytes` panics.
struct Bomb(bool);

impl From<Bomb> for Bytes {
    fn from(b: Bomb) -> Bytes {
        assert!(!b.0, "the caller's conversion panics");
        Bytes::from_static(b"ok")
    }
}

fn panicking_into_bytes_changes_nothing(ctx: Ctx) {
    let fs = fs(ctx);
    populate(&fs);
    let before = state(&fs);
    let fs2 = fs.clone();
    let outcome = catch_unwind(AssertUnwindSafe(move || {
        fs2.import_tree([
            ("/g", Bomb(false)),
            ("/z/1", Bomb(false)),
            ("/z/2", Bomb(true)),
        ])
    }));
    assert!(outcome.is_err());
    assert_eq!(state(&fs), before);
    assert_node_counter_matches(&fs);
    fs.import_tree([("/g", Bomb(false))]).unwrap();
    assert_eq!(fs.read("/g").unwrap(), b"ok");
}

fn panic_while_holding_a_handle_releases_its_lock(ctx: Ctx) {
    let fs = fs(ctx);
    populate(&fs);
    let fs2 = fs.clone();
    let worker = thread::spawn(move || {
        let mut h = fs2.open("/g", OpenMode::Write).unwrap();
        h.write_all(b"partial").unwrap();
        panic!("the user's code panics while holding a write handle");
    });
    assert!(worker.join().is_err());
    // The handle was dropped during unwinding: the lock is free again and
    // the data written before the panic is there.
    assert_eq!(fs.read("/g").unwrap(), b"partial");
    assert_no_lock_held(&fs);
    fs.remove("/g").unwrap();
    fs.rmtree("/d").unwrap();
    assert_eq!(used(&fs), 0);
}

// ---------------------------------------------------------------------------
// The writer dies
// ---------------------------------------------------------------------------

const PROMPTLY: Duration = Duration::from_secs(20);

#[test]
fn actor_death_fails_pending_and_later_calls_promptly() {
    let fs = fs(Ctx::new(Concurrency::Actor));
    populate(&fs);
    let before = state(&fs);
    fault::kill_writer_on_next_mutation(&fs);
    // Several callers at once: whichever reaches the writer first kills it;
    // the others are pending in its batch or queue, or arrive afterwards.
    let callers = 6;
    let barrier = Arc::new(Barrier::new(callers));
    let threads: Vec<_> = (0..callers)
        .map(|i| {
            let fs = fs.clone();
            let barrier = Arc::clone(&barrier);
            thread::spawn(move || {
                barrier.wait();
                run_with_deadline("a call to a dying writer", PROMPTLY, None, move || {
                    fs.mkdir(&format!("/t{i}"), false)
                })
            })
        })
        .collect();
    let results: Vec<dmemfs::Result<()>> = threads
        .into_iter()
        .map(|t| t.join().expect("caller thread"))
        .collect();
    for r in results {
        assert_eq!(r, Err(Error::EngineStopped));
    }
    // Later calls fail at once, with the documented kind.
    let fs2 = fs.clone();
    run_with_deadline("calls after the writer died", PROMPTLY, None, move || {
        let fs = fs2;
        let e = fs.write("/new", b"x").expect_err("no writer");
        assert_eq!(e, Error::EngineStopped);
        assert_eq!(e.kind(), ErrorKind::BrokenPipe);
        assert_eq!(fs.remove("/g"), Err(Error::EngineStopped));
        assert_eq!(fs.rename("/g", "/h"), Err(Error::EngineStopped));
        assert_eq!(fs.copy_tree("/d", "/c"), Err(Error::EngineStopped));
        assert_eq!(
            fs.import_tree([("/g", &b"y"[..])]),
            Err(Error::EngineStopped)
        );
        assert_eq!(
            fs.open("/fresh", OpenMode::Write).map(drop),
            Err(Error::EngineStopped)
        );
    });
    // Nothing was lost and the ledger is unchanged: failed creations gave
    // back what they reserved.
    assert_eq!(state(&fs), before);
    // What needs no writer still works: reads and writes of existing files.
    assert_eq!(fs.read("/d/f1").unwrap(), b"hello world");
    let mut h = fs.open("/g", OpenMode::Append).unwrap();
    h.write_all(b"more").unwrap();
    drop(h);
    assert_eq!(fs.get_size("/g").unwrap(), 304);
    // Dropping the filesystem does not hang on the dead thread.
    run_with_deadline("dropping the filesystem", PROMPTLY, None, move || drop(fs));
}

#[test]
fn global_lock_panic_escaping_the_writer_does_not_poison() {
    let fs = fs(Ctx::new(Concurrency::GlobalLock));
    populate(&fs);
    let before = state(&fs);
    fault::kill_writer_on_next_mutation(&fs);
    let fs2 = fs.clone();
    let outcome = catch_unwind(AssertUnwindSafe(move || fs2.mkdir("/x", false)));
    assert!(outcome.is_err(), "the panic unwinds into the caller");
    assert_eq!(state(&fs), before);
    // The global lock was poisoned; the filesystem ignores that.
    fs.mkdir("/x", false).unwrap();
    fs.write("/x/f", b"ok").unwrap();
    assert_eq!(fs.read("/x/f").unwrap(), b"ok");
    assert_node_counter_matches(&fs);
    assert_no_lock_held(&fs);
}
