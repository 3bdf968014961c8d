//! Shared helpers of the black-box integration tests.
//!
//! Every test is a plain function taking a [`Ctx`]; the `both_strategies!`
//! macro turns it into two `#[test]`s, `<name>::actor` and
//! `<name>::global_lock`, one per concurrency strategy, so a failure names the
//! strategy it happened on.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::fmt::Debug;
use std::io::{self, ErrorKind, Read, Write};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use dmemfs::{Bytes, Concurrency, FsBuilder, MemoryFileSystem, OpenMode, OpenOptions};

/// The default quota charge of a stored chunk (API.md, "Quota ledger").
pub const OVERHEAD: u64 = 128;
/// The default quota, 256 MiB.
pub const DEFAULT_QUOTA: u64 = 256 * 1024 * 1024;
/// Generous deadline of every bounded poll / hang check.
pub const DEADLINE: Duration = Duration::from_secs(20);

/// Turns test functions `fn name(ctx: Ctx)` into two tests each,
/// `name::actor` and `name::global_lock`. Attributes written before a name
/// (e.g. `#[ignore]`) are put on both tests.
macro_rules! both_strategies {
    ($($(#[$attr:meta])* $name:ident),+ $(,)?) => {$(
        mod $name {
            #[test]
            $(#[$attr])*
            fn actor() {
                super::$name(crate::common::Ctx::new(::dmemfs::Concurrency::Actor));
            }
            #[test]
            $(#[$attr])*
            fn global_lock() {
                super::$name(crate::common::Ctx::new(::dmemfs::Concurrency::GlobalLock));
            }
        }
    )+};
}

/// The strategy a test runs on, and filesystem factories using it.
#[derive(Clone, Copy, Debug)]
pub struct Ctx {
    pub concurrency: Concurrency,
}

impl Ctx {
    pub fn new(concurrency: Concurrency) -> Self {
        Ctx { concurrency }
    }

    /// A builder with this strategy set and everything else default.
    pub fn builder(self) -> FsBuilder {
        MemoryFileSystem::builder().concurrency(self.concurrency)
    }

    /// A filesystem with all defaults and this strategy.
    pub fn fs(self) -> MemoryFileSystem {
        self.builder().build().expect("build a default filesystem")
    }

    /// A filesystem with this strategy and the given quota.
    pub fn fs_quota(self, quota: u64) -> MemoryFileSystem {
        self.builder()
            .max_quota(quota)
            .build()
            .expect("build a filesystem with a quota")
    }

    /// A filesystem with this strategy and more builder settings.
    pub fn fs_with(self, f: impl FnOnce(FsBuilder) -> FsBuilder) -> MemoryFileSystem {
        f(self.builder())
            .build()
            .expect("build a configured filesystem")
    }
}

/// Asserts that `r` is an error of `kind` and returns the error.
#[track_caller]
pub fn expect_kind<T: Debug>(r: dmemfs::Result<T>, kind: ErrorKind) -> dmemfs::Error {
    match r {
        Ok(v) => panic!("expected an error of kind {kind:?}, got Ok({v:?})"),
        Err(e) => {
            assert_eq!(e.kind(), kind, "wrong kind for the error {e:?} ({e})");
            e
        }
    }
}

/// Asserts that `r` is an `std::io` error of `kind` and returns the error.
#[track_caller]
pub fn expect_io_kind<T: Debug>(r: io::Result<T>, kind: ErrorKind) -> io::Error {
    match r {
        Ok(v) => panic!("expected an io error of kind {kind:?}, got Ok({v:?})"),
        Err(e) => {
            assert_eq!(e.kind(), kind, "wrong kind for the io error {e:?} ({e})");
            e
        }
    }
}

/// Current `stats().used_bytes`.
pub fn used(fs: &MemoryFileSystem) -> u64 {
    fs.stats().used_bytes
}

/// Zero lock timeout: try once.
pub fn try_once() -> OpenOptions {
    OpenOptions::new().lock_timeout(Duration::ZERO)
}

/// A long lock timeout for threads that must eventually get the lock.
pub fn patient() -> OpenOptions {
    OpenOptions::new().lock_timeout(DEADLINE)
}

/// Creates/truncates `path` with a `Write` handle and writes each piece with
/// ONE `write` call (one stored chunk each on sequential storage).
#[track_caller]
pub fn write_pieces(fs: &MemoryFileSystem, path: &str, pieces: &[&[u8]]) {
    let mut h = fs.open(path, OpenMode::Write).expect("open for writing");
    for p in pieces {
        let n = h.write(p).expect("write a piece");
        assert_eq!(n, p.len(), "a handle write must store the whole buffer");
    }
    h.close().expect("close the writer");
}

/// The whole content of `path`, read through a `Read` handle.
#[track_caller]
pub fn read_all(fs: &MemoryFileSystem, path: &str) -> Vec<u8> {
    let mut h = fs.open(path, OpenMode::Read).expect("open for reading");
    let mut v = Vec::new();
    h.read_to_end(&mut v).expect("read to end");
    v
}

/// Deterministic pseudo-random bytes.
pub fn pseudo_random(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect()
}

/// Everything observable about a filesystem, to prove that a failed
/// operation changed nothing.
#[derive(Debug, PartialEq, Eq)]
pub struct FsState {
    pub files: BTreeMap<String, Bytes>,
    pub tree: Vec<(String, Vec<String>, Vec<String>)>,
    pub used_bytes: u64,
    pub file_count: u64,
    pub dir_count: u64,
    pub chunk_count: u64,
}

pub fn state(fs: &MemoryFileSystem) -> FsState {
    let stats = fs.stats();
    FsState {
        files: fs.export_tree("/", false).expect("export the whole tree"),
        tree: fs.walk("/").expect("walk the root").collect(),
        used_bytes: stats.used_bytes,
        file_count: stats.file_count,
        dir_count: stats.dir_count,
        chunk_count: stats.chunk_count,
    }
}

/// Runs `f` on a new thread (with `stack` bytes of stack if given) and fails
/// the test if it does not finish within `deadline` (instead of hanging).
pub fn run_with_deadline<T: Send + 'static>(
    what: &str,
    deadline: Duration,
    stack: Option<usize>,
    f: impl FnOnce() -> T + Send + 'static,
) -> T {
    let (tx, rx) = mpsc::channel();
    let mut b = thread::Builder::new().name(what.to_string());
    if let Some(s) = stack {
        b = b.stack_size(s);
    }
    let handle = b
        .spawn(move || {
            let v = f();
            let _ = tx.send(());
            v
        })
        .expect("spawn a worker thread");
    match rx.recv_timeout(deadline) {
        Ok(()) => handle.join().expect("the worker finished"),
        Err(mpsc::RecvTimeoutError::Timeout) => {
            panic!("{what} did not finish within {deadline:?} (hang?)")
        }
        Err(mpsc::RecvTimeoutError::Disconnected) => match handle.join() {
            Ok(v) => v,
            Err(p) => std::panic::resume_unwind(p),
        },
    }
}

/// Polls `cond` until it holds; fails the test only if `DEADLINE` passes.
#[track_caller]
pub fn poll_until(what: &str, mut cond: impl FnMut() -> bool) {
    let start = Instant::now();
    while !cond() {
        assert!(
            start.elapsed() < DEADLINE,
            "{what}: not observed within {DEADLINE:?}"
        );
        thread::sleep(Duration::from_millis(1));
    }
}

/// True if `names` is strictly increasing bytewise (sorted, no duplicates).
pub fn strictly_sorted(names: &[String]) -> bool {
    names.windows(2).all(|w| w[0].as_bytes() < w[1].as_bytes())
}
