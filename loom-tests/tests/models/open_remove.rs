//! Model 5: a handle's open versus the removal or rename of the same file.
//!
//! The protocol (`crates/api/src/fs/mod.rs` `hold_at`, `engine/writer.rs`):
//! the writer takes the file's lock as the relinker before unlinking it (a
//! file a handle holds is `ResourceBusy`), holds it across publication and
//! releases it after; an opener looks the path up in the published snapshot
//! and tries the file's lock at once while keeping that snapshot loaded, then
//! re-checks that the current snapshot still maps the path to the same node
//! (at once when the current snapshot is the very one it found the file in);
//! if the lock is busy it lets the snapshot go, waits for the lock, and
//! looks the path up again in the current snapshot. Either way a node no
//! longer at the path is let go and the open starts over.
//!
//! Property: a removal (or rename) and an open of the same file never both
//! succeed, and never both fail: either the removal sees the open handle and
//! refuses, or it happens first and the open fails with `NotFound`.
//!
//! Models:
//! - the protocol itself, written out here over the real `FileLock` and the
//!   real publication cell (`Published`, a loom `Mutex<Arc<T>>` standing in
//!   for `ArcSwap`), for remove and for rename; the `broken_*` tests run it
//!   with the re-check left out, or with the writer releasing the lock
//!   before publishing, and expect the model to fail;
//! - the real `MemoryFileSystem` (`open` against `remove` with the global
//!   lock writer, against `rename` and against an `import_tree` that
//!   replaces the file with the actor writer), which runs the shipped code
//!   end to end. Checked by hand: making `links` in `fs/mod.rs` (the
//!   re-check of `hold_at`) return `true`, or making `TreeWriter::publish` release the holds before
//!   it stores the tree, fails these models.
//! - the real filesystem's transient readers (`read`, `export_bytes`) racing
//!   a rename or a removal: the writer waits them out and is never
//!   `ResourceBusy`; the read sees the file or, once it has moved or gone,
//!   `NotFound`. Checked by hand: making `with_read_hold` in `fs/mod.rs`
//!   take its borrowed hold without checking that the file is still
//!   linked fails the removal model.
//! - the real actor writer taking a file's lock that its own batch already
//!   holds: two renames of one file, with no handle open, may land in one
//!   batch, and neither may be refused as busy (`ResourceBusy` means a
//!   handle has the file). Checked by hand: making `FileLock::relink` refuse
//!   a file the relinker holds already, instead of nesting its hold, fails
//!   this model.

use std::io::Read;
use std::sync::Arc;

use dmemfs::{Concurrency, MemoryFileSystem, OpenMode};
use dmemfs_storage_backends::loom_exports::FileLock;
use dmemfs_storage_backends::sync::Published;
use dmemfs_storage_backends::Holder;
use loom::thread;

use crate::common::{check, FOREVER, TRY};

/// A file: what the tree maps a path to.
struct Node {
    lock: FileLock,
}

/// The published tree: two paths, `/a` (0) and `/b` (1), each maybe a file.
type Tree = [Option<Arc<Node>>; 2];
const A: usize = 0;
const B: usize = 1;

/// How the protocol is run: the shipped way, or with a defect.
#[derive(Clone, Copy)]
struct Protocol {
    /// The opener re-checks the snapshot after taking the lock.
    recheck: bool,
    /// The writer releases the file's lock only after publishing.
    unlock_after_publish: bool,
}

const SHIPPED: Protocol = Protocol {
    recheck: true,
    unlock_after_publish: true,
};

#[derive(Debug, PartialEq, Eq)]
enum Refusal {
    NotFound,
    ResourceBusy,
}

/// Opens the file at `path` for reading: the node, with its read lock held.
fn open(tree: &Published<Tree>, path: usize, p: Protocol) -> Result<Arc<Node>, Refusal> {
    loop {
        // Tried at once with the snapshot loaded, as in `hold_at`: a current
        // snapshot that is the same `Arc` needs no second look.
        let found_in = tree.load();
        let node = found_in[path].clone().ok_or(Refusal::NotFound)?;
        let linked = |now: &Tree| matches!(&now[path], Some(n) if Arc::ptr_eq(n, &node));
        if node.lock.read(Holder::Handle, TRY).is_ok() {
            let now = tree.load();
            if Arc::ptr_eq(&now, &found_in) || linked(&now) || !p.recheck {
                return Ok(node);
            }
        } else {
            // Busy: wait without the snapshot, then look the path up again.
            drop(found_in);
            assert!(node.lock.read(Holder::Handle, FOREVER).is_ok());
            if linked(&tree.load()) || !p.recheck {
                return Ok(node);
            }
        }
        // Removed, renamed or replaced before we got the lock.
        node.lock.unlock_read(Holder::Handle);
    }
}

/// Moves the file at `from` to `to` (`None`: removes it), the writer's way.
fn relink(
    tree: &Published<Tree>,
    from: usize,
    to: Option<usize>,
    p: Protocol,
) -> Result<(), Refusal> {
    let current = tree.load_full();
    let node = current[from].clone().ok_or(Refusal::NotFound)?;
    if node.lock.relink().is_err() {
        return Err(Refusal::ResourceBusy);
    }
    let mut next = (*current).clone();
    next[from] = None;
    if let Some(to) = to {
        next[to] = Some(Arc::clone(&node));
    }
    if !p.unlock_after_publish {
        node.lock.unlock_relink();
    }
    tree.store(Arc::new(next));
    if p.unlock_after_publish {
        node.lock.unlock_relink();
    }
    Ok(())
}

/// The writer removes (`to: None`) or renames `/a` while the main thread
/// opens `/a` and keeps it open until the writer is done.
fn open_against_relink(to: Option<usize>, p: Protocol) {
    check(move || {
        let file = Arc::new(Node {
            lock: FileLock::default(),
        });
        let tree = Arc::new(Published::from_pointee([Some(file), None]));
        let writer = {
            let tree = Arc::clone(&tree);
            thread::spawn(move || relink(&tree, A, to, p))
        };
        let opened = open(&tree, A, p);
        let relinked = writer.join().expect("writer");
        match (&opened, &relinked) {
            (Ok(_), Err(Refusal::ResourceBusy)) | (Err(Refusal::NotFound), Ok(())) => {}
            (Ok(_), Ok(())) => panic!("both the open and the removal succeeded"),
            (opened, relinked) => panic!(
                "both failed: open {:?}, writer {relinked:?}",
                opened.as_ref().err()
            ),
        }
        if let Ok(node) = opened {
            node.lock.unlock_read(Holder::Handle);
        }
    });
}

#[test]
fn open_versus_remove_never_both_succeed() {
    open_against_relink(None, SHIPPED);
}

#[test]
fn open_versus_rename_never_both_succeed() {
    open_against_relink(Some(B), SHIPPED);
}

#[test]
#[should_panic(expected = "both the open and the removal succeeded")]
fn broken_open_without_the_recheck_is_caught() {
    open_against_relink(
        None,
        Protocol {
            recheck: false,
            ..SHIPPED
        },
    );
}

#[test]
#[should_panic(expected = "both the open and the removal succeeded")]
fn broken_writer_that_unlocks_before_publishing_is_caught() {
    open_against_relink(
        Some(B),
        Protocol {
            unlock_after_publish: false,
            ..SHIPPED
        },
    );
}

/// The shipped filesystem: `op` runs on another thread while the main thread
/// opens `/f` for reading and keeps the handle until `op` is done.
fn real_open_against(concurrency: Concurrency, op: fn(&MemoryFileSystem) -> dmemfs::Result<()>) {
    check(move || {
        let fs = MemoryFileSystem::builder()
            .concurrency(concurrency)
            .build()
            .expect("filesystem");
        fs.write("/f", b"x").expect("write");
        let writer = {
            let fs = fs.clone();
            thread::spawn(move || op(&fs))
        };
        let opened = fs.open("/f", OpenMode::Read);
        let changed = writer.join().expect("writer");
        match (&opened, &changed) {
            (Ok(_), Err(dmemfs::Error::ResourceBusy { .. }))
            | (Err(dmemfs::Error::NotFound { .. }), Ok(())) => {}
            (Ok(_), Ok(())) => panic!("both the open and the removal succeeded"),
            other => panic!("unexpected outcome: {other:?}"),
        }
        drop(opened);
    });
}

#[test]
fn real_open_versus_remove_with_the_global_lock_writer() {
    real_open_against(Concurrency::GlobalLock, |fs| fs.remove("/f"));
}

#[test]
fn real_open_versus_rename_with_the_actor_writer() {
    real_open_against(Concurrency::Actor, |fs| fs.rename("/f", "/g"));
}

/// The shipped filesystem: `import_tree` replaces `/f` while the main thread
/// opens and reads it. The open always finds a file; the handle holds the
/// old one only if the import was refused, and the new one only if it
/// succeeded: never a file the import unlinked.
#[test]
fn real_open_versus_an_import_replacing_the_file() {
    check(|| {
        let fs = MemoryFileSystem::builder()
            .concurrency(Concurrency::Actor)
            .build()
            .expect("filesystem");
        fs.write("/f", b"old").expect("write");
        let writer = {
            let fs = fs.clone();
            thread::spawn(move || fs.import_tree([("/f", &b"new"[..])]))
        };
        let mut handle = fs
            .open("/f", OpenMode::Read)
            .expect("a file is always there");
        let mut content = Vec::new();
        handle.read_to_end(&mut content).expect("read");
        let imported = writer.join().expect("writer");
        match (&content[..], &imported) {
            (b"old", Err(dmemfs::Error::ResourceBusy { .. })) | (b"new", Ok(())) => {}
            (seen, imported) => panic!(
                "the handle reads {:?} while the import returned {imported:?}",
                String::from_utf8_lossy(seen)
            ),
        }
    });
}

/// The shipped filesystem with the actor writer: two threads move `/f` to
/// `/g` and back while no handle is open. Whether the writer applies the
/// two in one batch (the second finds the file locked by the first until
/// the batch is published) or in two, neither is `ResourceBusy`.
#[test]
fn real_renames_of_one_file_in_one_batch_are_never_busy() {
    check(|| {
        let fs = MemoryFileSystem::builder()
            .concurrency(Concurrency::Actor)
            .build()
            .expect("filesystem");
        fs.write("/f", b"x").expect("write");
        let back = {
            let fs = fs.clone();
            thread::spawn(move || fs.rename("/g", "/f"))
        };
        let there = fs.rename("/f", "/g");
        let back = back.join().expect("renamer");
        match (&there, &back) {
            (Ok(()), Ok(())) | (Ok(()), Err(dmemfs::Error::NotFound { .. })) => {}
            other => panic!("unexpected outcome: {other:?}"),
        }
        let at_f = fs.exists("/f");
        assert_ne!(at_f, fs.exists("/g"), "the file is at exactly one path");
        assert_eq!(at_f, back.is_ok());
    });
}

/// The shipped filesystem: a transient read (`read`, or `export_bytes`)
/// races a rename or a removal of the same file. The writer waits the read
/// out and never fails; the read, whose hold is borrowed from the snapshot
/// it found the file in, sees the whole content or, once the file has moved
/// or gone, `NotFound`: never the emptied data of a file already unlinked.
fn real_read_against(export: bool, op: fn(&MemoryFileSystem) -> dmemfs::Result<()>) {
    check(move || {
        let fs = MemoryFileSystem::builder()
            .concurrency(Concurrency::GlobalLock)
            .build()
            .expect("filesystem");
        fs.write("/f", b"x").expect("write");
        let reader = {
            let fs = fs.clone();
            thread::spawn(move || {
                if export {
                    fs.export_bytes("/f", None).map(|b| b.to_vec())
                } else {
                    fs.read("/f")
                }
            })
        };
        let changed = op(&fs);
        let read = reader.join().expect("reader");
        assert!(
            changed.is_ok(),
            "a transient read made the writer fail: {changed:?}"
        );
        match read {
            Ok(content) => assert_eq!(content, b"x"),
            Err(dmemfs::Error::NotFound { .. }) => {}
            Err(e) => panic!("unexpected read error: {e:?}"),
        }
    });
}

#[test]
fn real_reads_racing_a_rename_never_make_it_busy() {
    real_read_against(false, |fs| fs.rename("/f", "/g"));
}

#[test]
fn real_exports_racing_a_rename_never_make_it_busy() {
    real_read_against(true, |fs| fs.rename("/f", "/g"));
}

#[test]
fn real_reads_racing_a_removal_see_the_content_or_nothing() {
    real_read_against(false, |fs| fs.remove("/f"));
}
