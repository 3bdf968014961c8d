//! A concurrent history check: several threads run random operations on
//! their own subtrees and on a shared one. Every content any thread writes
//! is self-describing (writer, sequence number, length, then a pattern of
//! both), so whatever is read — during the run or afterwards — must be one
//! content some thread wrote whole: no torn or foreign bytes. Afterwards the
//! ledger must equal what the charging rules give for the files left, and
//! removing everything must return it to zero.
//!
//! Runs on both strategies with `Auto` (chunked, promotable) and
//! `RandomAccess` storage. `DMEMFS_PROPTEST_CASES` scales the number of
//! operations.

#![allow(missing_docs)]

#[macro_use]
mod common;

use std::collections::HashSet;
use std::io::{ErrorKind, Read, Seek, SeekFrom, Write};
use std::sync::{Arc, Barrier, Mutex};
use std::thread;
use std::time::Duration;

use common::*;
use dmemfs::{fault, Bytes, Error, MemoryFileSystem, OpenMode, StorageKind};

const THREADS: usize = 4;
/// Operations per thread: three per case of `DMEMFS_PROPTEST_CASES`
/// (default 1000, as for the model-based tests).
const DEFAULT_OPS: usize = 3000;

fn ops_per_thread() -> usize {
    std::env::var("DMEMFS_PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse::<usize>().ok())
        .map_or(DEFAULT_OPS, |cases| cases.max(1) * 3)
}

/// Content version `seq` of thread `t`, `len` bytes of body.
fn content(t: usize, seq: u64, len: usize) -> Vec<u8> {
    let mut v = format!("T{t:02}S{seq:08}L{len:05}|").into_bytes();
    v.extend((0..len).map(|i| body_byte(t, seq, i)));
    v
}

fn body_byte(t: usize, seq: u64, i: usize) -> u8 {
    (i as u64)
        .wrapping_mul(7)
        .wrapping_add(t as u64 * 13)
        .wrapping_add(seq) as u8
}

const HEADER: usize = 19;

/// Checks that `data` is a whole content some thread wrote; returns
/// (thread, seq).
fn validate(path: &str, data: &[u8], written: &Mutex<HashSet<(usize, u64)>>) -> (usize, u64) {
    assert!(
        data.len() >= HEADER,
        "{path}: {} bytes, torn header",
        data.len()
    );
    let header =
        std::str::from_utf8(&data[..HEADER]).unwrap_or_else(|_| panic!("{path}: bad header"));
    assert!(
        header.starts_with('T') && header.ends_with('|'),
        "{path}: foreign bytes {header:?}"
    );
    let t: usize = header[1..3].parse().expect("thread");
    let seq: u64 = header[4..12].parse().expect("seq");
    let len: usize = header[13..18].parse().expect("len");
    assert_eq!(data.len(), HEADER + len, "{path}: torn content {header}");
    for (i, b) in data[HEADER..].iter().enumerate() {
        assert_eq!(
            *b,
            body_byte(t, seq, i),
            "{path}: foreign byte {i} of {header}"
        );
    }
    assert!(
        written.lock().unwrap().contains(&(t, seq)),
        "{path}: content {header} was never written"
    );
    (t, seq)
}

/// A small xorshift generator: each thread's run is reproducible from its seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

struct Shared {
    fs: MemoryFileSystem,
    written: Mutex<HashSet<(usize, u64)>>,
    /// Threads now and then make the next mutation (anyone's) panic.
    inject_panics: bool,
}

impl Shared {
    /// Errors a racing operation may legitimately get (and `Internal` when
    /// panics are injected).
    #[track_caller]
    fn allowed<T>(&self, r: dmemfs::Result<T>) -> Option<T> {
        match r {
            Ok(v) => Some(v),
            Err(e) => {
                let injected = self.inject_panics && matches!(e, Error::Internal { .. });
                assert!(
                    injected
                        || matches!(
                            e.kind(),
                            ErrorKind::NotFound
                                | ErrorKind::AlreadyExists
                                | ErrorKind::ResourceBusy
                                | ErrorKind::WouldBlock
                                | ErrorKind::NotADirectory
                                | ErrorKind::IsADirectory
                        ),
                    "unexpected error under contention: {e:?}"
                );
                None
            }
        }
    }

    /// Registers a version before it becomes visible.
    fn new_content(&self, t: usize, seq: &mut u64, len: usize) -> Vec<u8> {
        *seq += 1;
        self.written.lock().unwrap().insert((t, *seq));
        content(t, *seq, len)
    }

    fn check_read(&self, path: &str) {
        if let Some(data) = self.allowed(self.fs.read(path)) {
            validate(path, &data, &self.written);
        }
    }
}

fn worker(shared: &Shared, t: usize, ops: usize) {
    let fs = &shared.fs;
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15 ^ ((t as u64 + 1) * 0x1234_5678));
    let mut seq = 0u64;
    let own = format!("/t{t}");
    // Retried: an injected panic may hit it.
    while shared.allowed(fs.mkdir(&own, true)).is_none() {}
    let own_file = |rng: &mut Rng| format!("{own}/d{}/f{}", rng.below(3), rng.below(4));
    let shared_file = |rng: &mut Rng| format!("/shared/f{}", rng.below(6));
    for _ in 0..ops {
        if shared.inject_panics && rng.below(40) == 0 {
            fault::panic_on_next_mutation(fs);
        }
        let len = match rng.below(10) {
            0 => 0,
            1..=7 => rng.below(300) as usize,
            _ => rng.below(4000) as usize,
        };
        match rng.below(12) {
            0 | 1 => {
                let path = own_file(&mut rng);
                shared.allowed(fs.mkdir(&path[..path.rfind('/').unwrap()], true));
                let data = shared.new_content(t, &mut seq, len);
                shared.allowed(fs.write(&path, &data));
            }
            2 => {
                // Whole content through a handle, in pieces.
                let path = if rng.below(2) == 0 {
                    own_file(&mut rng)
                } else {
                    shared_file(&mut rng)
                };
                let data = shared.new_content(t, &mut seq, len);
                if let Some(mut h) = shared.allowed(fs.open_with(&path, OpenMode::Write, patient()))
                {
                    let cut = data.len() / 3;
                    h.write_all(&data[..cut]).unwrap();
                    h.write_bytes(Bytes::copy_from_slice(&data[cut..2 * cut]))
                        .unwrap();
                    h.write_all(&data[2 * cut..]).unwrap();
                }
            }
            3 => {
                // Rewrite in place through ReadWrite: promotes an Auto file.
                let path = shared_file(&mut rng);
                let data = shared.new_content(t, &mut seq, len);
                if let Some(mut h) =
                    shared.allowed(fs.open_with(&path, OpenMode::ReadWrite, patient()))
                {
                    h.write_all(&data).unwrap();
                    let end = h.tell();
                    h.truncate(Some(end)).unwrap();
                    h.seek(SeekFrom::Start(0)).unwrap();
                    let mut back = Vec::new();
                    h.read_to_end(&mut back).unwrap();
                    assert_eq!(back, data, "a handle reads what it wrote");
                }
            }
            4 | 5 => {
                let path = if rng.below(2) == 0 {
                    own_file(&mut rng)
                } else {
                    shared_file(&mut rng)
                };
                shared.check_read(&path);
            }
            6 => {
                let (src, dst) = if rng.below(2) == 0 {
                    (own_file(&mut rng), shared_file(&mut rng))
                } else {
                    (shared_file(&mut rng), own_file(&mut rng))
                };
                shared.allowed(fs.move_path(&src, &dst));
            }
            7 => {
                shared.allowed(fs.copy(&shared_file(&mut rng), &own_file(&mut rng)));
            }
            8 => {
                let path = if rng.below(2) == 0 {
                    own_file(&mut rng)
                } else {
                    shared_file(&mut rng)
                };
                shared.allowed(fs.remove(&path));
            }
            9 => {
                let items: Vec<(String, Vec<u8>)> = (0..3)
                    .map(|_| {
                        let len = rng.below(500) as usize;
                        (own_file(&mut rng), shared.new_content(t, &mut seq, len))
                    })
                    .collect();
                shared.allowed(fs.import_tree(items));
            }
            10 => {
                let dst = format!("/shared/c{}", rng.below(3));
                if rng.below(2) == 0 {
                    shared.allowed(fs.copy_tree(&format!("{own}/d{}", rng.below(3)), &dst));
                } else {
                    shared.allowed(fs.rmtree(&dst));
                }
            }
            _ => {
                let prefix = if rng.below(2) == 0 {
                    own.as_str()
                } else {
                    "/shared"
                };
                let mut it = fs.iter_export_tree(prefix, false).unwrap();
                for (path, data) in it.by_ref() {
                    validate(&path, &data, &shared.written);
                }
                // A file held by a writer for longer than the timeout ends
                // the iteration early; that is allowed, nothing else.
                if let Some(e) = it.take_error() {
                    assert_eq!(e.kind(), ErrorKind::WouldBlock, "{e:?}");
                }
            }
        }
    }
}

both_strategies!(
    history_auto_storage,
    history_random_access_storage,
    history_with_injected_panics,
);

fn history_auto_storage(ctx: Ctx) {
    history(ctx, StorageKind::Auto, false);
}

fn history_random_access_storage(ctx: Ctx) {
    history(ctx, StorageKind::RandomAccess, false);
}

/// The same history while threads keep making the next mutation panic:
/// the panicking ones fail with `Internal` and leave no trace.
fn history_with_injected_panics(ctx: Ctx) {
    history(ctx, StorageKind::Auto, true);
}

fn history(ctx: Ctx, kind: StorageKind, inject_panics: bool) {
    let fs = ctx.fs_with(|b| {
        b.default_storage(kind)
            .default_lock_timeout(Some(Duration::from_secs(5)))
    });
    fs.mkdir("/shared", false).unwrap();
    let shared = Arc::new(Shared {
        fs: fs.clone(),
        written: Mutex::new(HashSet::new()),
        inject_panics,
    });
    let ops = ops_per_thread();
    let barrier = Arc::new(Barrier::new(THREADS));
    let threads: Vec<_> = (0..THREADS)
        .map(|t| {
            let shared = Arc::clone(&shared);
            let barrier = Arc::clone(&barrier);
            thread::spawn(move || {
                barrier.wait();
                worker(&shared, t, ops);
            })
        })
        .collect();
    for t in threads {
        t.join().expect("a worker failed");
    }

    // Every file is a content some thread wrote whole.
    let files = fs.export_tree("/", false).unwrap();
    assert!(!files.is_empty(), "the history left files to check");
    for (path, data) in &files {
        validate(path, data, &shared.written);
    }
    // The ledger equals the charging rules for the files left.
    let s = fs.stats();
    let bytes: u64 = files.values().map(|d| d.len() as u64).sum();
    assert_eq!(s.file_count, files.len() as u64);
    match kind {
        StorageKind::RandomAccess => {
            assert_eq!(s.chunk_count, 0);
            assert_eq!(s.used_bytes, bytes);
        }
        _ => {
            assert_eq!(s.used_bytes, bytes + OVERHEAD * s.chunk_count);
            assert!(s.chunk_count <= bytes, "at most one chunk per byte");
        }
    }
    // Cleanup returns it to zero (retrying a removal that meets a panic
    // armed after the last mutation).
    for name in fs.listdir("/").unwrap() {
        while shared.allowed(fs.rmtree(&format!("/{name}"))).is_none() {}
    }
    let s = fs.stats();
    assert_eq!(
        (s.used_bytes, s.chunk_count, s.file_count, s.dir_count),
        (0, 0, 0, 0)
    );
}
