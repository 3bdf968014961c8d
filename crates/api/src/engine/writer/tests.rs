//! Tests of the writer driven by hand: batches of several mutations, and
//! what a batch frees and gives back when it publishes.

use std::sync::atomic::{AtomicBool, Ordering as StdOrdering};
use std::time::Duration;

use bytes::Bytes;
use dmemfs_core_tree::NormPath;

use super::*;
use crate::{Concurrency, MemoryFileSystem, OpenMode};
use dmemfs_storage_backends::{File, Holder, Holds};

fn p(path: &str) -> NormPath {
    NormPath::parse(path).expect("valid path")
}

fn rename(src: &str, dst: &str) -> Mutation {
    Mutation::Rename {
        src: p(src),
        dst: p(dst),
        create_parents: false,
    }
}

/// A filesystem set up by `setup` through its own writer, and a second
/// writer over the same published tree that the test drives by hand,
/// so several mutations can be applied before one publication (as the
/// actor batches them). Lock waits do not wait.
fn with_writer(setup: impl FnOnce(&MemoryFileSystem)) -> (MemoryFileSystem, TreeWriter) {
    let fs = MemoryFileSystem::builder()
        .concurrency(Concurrency::GlobalLock)
        .default_lock_timeout(Some(Duration::ZERO))
        .build()
        .expect("filesystem");
    setup(&fs);
    let writer = TreeWriter::new(Arc::clone(fs.core()));
    (fs, writer)
}

fn node(fs: &MemoryFileSystem, path: &str) -> FileRef {
    match fs.snapshot().lookup(&p(path)) {
        Ok(NodeRef::File(f)) => Arc::clone(f),
        _ => panic!("no file at {path}"),
    }
}

#[test]
fn one_batch_moves_a_file_there_and_back_and_removes_it() {
    let (fs, mut writer) = with_writer(|fs| fs.write("/a", b"x").expect("write"));
    let file = node(&fs, "/a");
    for mutation in [
        rename("/a", "/b"),
        rename("/b", "/a"),
        rename("/a", "/b"),
        Mutation::Remove { path: p("/b") },
    ] {
        let outcome = writer.apply_caught(mutation);
        assert!(matches!(outcome, Ok(Outcome::Done)), "{outcome:?}");
    }
    assert_eq!(
        file.holds(),
        Holds::Relinker,
        "held until the batch is published"
    );
    assert!(fs.exists("/a"), "nothing published yet");
    writer.publish();
    // Every nested hold given back: a second release would have failed a
    // debug assertion, and a missing one would leave it locked.
    assert_eq!(file.holds(), Holds::None);
    assert!(!fs.exists("/a") && !fs.exists("/b"));
    assert_eq!(fs.stats().used_bytes, 0);
}

#[test]
fn a_failed_mutation_leaves_the_batchs_locks_held() {
    let (fs, mut writer) = with_writer(|fs| {
        fs.mkdir("/x", false).expect("mkdir");
        fs.write("/x/f1", b"one").expect("write");
        fs.write("/x/f2", b"two").expect("write");
    });
    let (f1, f2) = (node(&fs, "/x/f1"), node(&fs, "/x/f2"));
    let reader = fs.open("/x/f2", OpenMode::Read).expect("open");
    assert!(matches!(
        writer.apply_caught(rename("/x/f1", "/x/f0")),
        Ok(Outcome::Done)
    ));
    // Finds /x/f0 held by the batch, then /x/f2 open: refused, and the
    // batch's lock on f1 must stay held, not be released by the rollback.
    let import = Mutation::Import {
        files: vec![
            (p("/x/f0"), File::new(empty(), false)),
            (p("/x/f2"), File::new(empty(), false)),
        ],
        dirs: Vec::new(),
        on_file: OnFileExists::Replace,
        prepaid: fs.core().ledger.reserve(0).expect("nothing to take"),
    };
    assert!(matches!(
        writer.apply_caught(import),
        Err(Error::ResourceBusy { path }) if path == "/x/f2"
    ));
    assert_eq!(f1.holds(), Holds::Relinker);
    assert!(f1.write(Holder::Transient, Some(Duration::ZERO)).is_err());
    writer.publish();
    assert_eq!(f1.holds(), Holds::None);
    assert_eq!(
        f2.holds(),
        Holds::Shared {
            handles: 1,
            transient: 0
        },
        "still the reader's"
    );
    drop(reader);
    assert_eq!(f2.holds(), Holds::None);
    assert_eq!(fs.listdir("/x").expect("dir"), ["f0", "f2"]);
    assert_eq!(fs.read("/x/f0").expect("read"), b"one");
}

fn imported(path: &str, len: usize) -> (NormPath, FileRef) {
    let storage =
        dmemfs_storage_backends::FileStorage::from_bytes(Default::default(), vec![1; len].into())
            .expect("small");
    (p(path), File::new(storage, false))
}

#[test]
fn an_imports_prepaid_quota_is_settled_to_the_exact_change() {
    let (fs, mut writer) = with_writer(|fs| fs.write("/a", [0u8; 100]).expect("write"));
    let ledger = Arc::clone(&fs.core().ledger);
    let overhead = fs.core().storage.chunk_overhead;
    let import = |files, prepaid| Mutation::Import {
        files,
        dirs: Vec::new(),
        on_file: OnFileExists::Replace,
        prepaid: ledger.reserve(prepaid).expect("fits"),
    };
    // Too little prepaid: the writer takes the rest.
    let files = vec![imported("/a", 300), imported("/b", 50)];
    assert!(matches!(
        writer.apply_caught(import(files, 10)),
        Ok(Outcome::Imported(2))
    ));
    writer.publish();
    assert_eq!(ledger.used(), 350 + 2 * overhead);
    // Too much: the writer gives the excess back, and the freed bytes.
    assert!(matches!(
        writer.apply_caught(import(vec![imported("/a", 10)], 1000)),
        Ok(Outcome::Imported(1))
    ));
    writer.publish();
    assert_eq!(ledger.used(), 60 + 2 * overhead);
    // More than the quota holds: refused, the prepaid bytes given back.
    let used = ledger.used();
    let too_big = imported("/c", usize::try_from(ledger.available()).expect("small"));
    assert!(matches!(
        writer.apply_caught(import(vec![too_big], 5)),
        Err(Error::QuotaExceeded { .. })
    ));
    writer.publish();
    assert_eq!(ledger.used(), used);
    assert_eq!(ledger.chunk_count(), 2);
}

fn empty() -> dmemfs_storage_backends::FileStorage {
    dmemfs_storage_backends::FileStorage::new(Default::default())
}

/// Data whose release the test can see.
struct Tracked(Vec<u8>, Arc<AtomicBool>);

impl AsRef<[u8]> for Tracked {
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}

impl Drop for Tracked {
    fn drop(&mut self) {
        self.1.store(true, StdOrdering::SeqCst);
    }
}

fn tracked_file() -> (MemoryFileSystem, TreeWriter, Arc<AtomicBool>) {
    let dropped = Arc::new(AtomicBool::new(false));
    let data = Bytes::from_owner(Tracked(vec![7; 1000], Arc::clone(&dropped)));
    let (fs, writer) = with_writer(|fs| {
        fs.import_tree([("/f", data)]).expect("import");
    });
    (fs, writer, dropped)
}

#[test]
fn a_removal_frees_the_data_when_published_and_old_snapshots_keep_the_length() {
    let (fs, mut writer, dropped) = tracked_file();
    let before = fs.stat("/f").expect("stat");
    assert!(matches!(
        writer.apply_caught(Mutation::Remove { path: p("/f") }),
        Ok(Outcome::Done)
    ));
    // Committed, not published: the quota is given back, and readers
    // that need the content wait for the writer's lock.
    assert_eq!((fs.stats().used_bytes, fs.stats().chunk_count), (0, 0));
    assert_eq!(fs.stat("/f").expect("still published").size, 1000);
    assert!(matches!(fs.read("/f"), Err(Error::WouldBlock { .. })));
    let old = fs.core().published.load_full();
    writer.publish();
    // An old snapshot still names the node: its data is gone, its
    // length (what `stat` on that snapshot reports) stays.
    assert!(dropped.load(StdOrdering::SeqCst), "the data is freed");
    let Ok(NodeRef::File(stale)) = old.lookup(&p("/f")) else {
        panic!("the old snapshot names /f");
    };
    assert!(stale.is_unlinked());
    assert_eq!((stale.storage().len(), stale.len()), (0, 1000));
    assert_eq!(stale.generation(), before.generation);
    assert!(matches!(fs.stat("/f"), Err(Error::NotFound { .. })));
    assert!(matches!(fs.read("/f"), Err(Error::NotFound { .. })));
}

#[test]
fn a_removal_nobody_else_sees_frees_the_data_with_the_node() {
    let (fs, mut writer, dropped) = tracked_file();
    assert!(matches!(
        writer.apply_caught(Mutation::Remove { path: p("/f") }),
        Ok(Outcome::Done)
    ));
    assert!(!dropped.load(StdOrdering::SeqCst), "freed when published");
    writer.publish();
    assert!(dropped.load(StdOrdering::SeqCst));
    assert!(!fs.exists("/f"));
}
