//! The memory guard (`FsBuilder::memory_guard`, `memory_guard_action`,
//! `memory_source`): D-MemFS's `memory_guard="none" | "init" | "per_write"`
//! with `memory_guard_action="warn" | "raise"`, checked against an injected
//! memory figure, so nothing here depends on the test machine's RAM.

#![allow(missing_docs)]

#[macro_use]
mod common;

use std::io::{ErrorKind, Write};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Once};
use std::time::Duration;

use common::*;
use dmemfs::{
    Error, FsBuilder, GuardAction, MemoryGuard, MemorySource, OpenMode, OpenOptions, SystemMemory,
    DEFAULT_GUARD_INTERVAL,
};

// ---------------------------------------------------------------------------
// An injected memory figure and a log capture
// ---------------------------------------------------------------------------

/// A settable memory figure that counts how often it is read. `scripted`
/// answers the build's check with one figure and every later sample with
/// another, so a filesystem can be built with `Raise` and then run short.
#[derive(Debug)]
struct FakeMemory {
    at_build: Mutex<Option<u64>>,
    bytes: AtomicU64,
    queries: AtomicU64,
}

impl FakeMemory {
    fn new(bytes: u64) -> Arc<Self> {
        Arc::new(FakeMemory {
            at_build: Mutex::new(None),
            bytes: AtomicU64::new(bytes),
            queries: AtomicU64::new(0),
        })
    }
    fn scripted(at_build: u64, after: u64) -> Arc<Self> {
        let m = Self::new(after);
        *m.at_build.lock().expect("fake memory") = Some(at_build);
        m
    }
    fn set(&self, bytes: u64) {
        self.bytes.store(bytes, Ordering::SeqCst);
    }
    fn queries(&self) -> u64 {
        self.queries.load(Ordering::SeqCst)
    }
}

impl MemorySource for FakeMemory {
    fn available_bytes(&self) -> Option<u64> {
        self.queries.fetch_add(1, Ordering::SeqCst);
        if let Some(first) = self.at_build.lock().expect("fake memory").take() {
            return Some(first);
        }
        Some(self.bytes.load(Ordering::SeqCst))
    }
}

/// Collects every log record of every test of this binary.
struct Capture(Mutex<Vec<String>>);

static LOGS: Capture = Capture(Mutex::new(Vec::new()));
static LOGGER: Once = Once::new();

impl log::Log for Capture {
    fn enabled(&self, _: &log::Metadata<'_>) -> bool {
        true
    }
    fn log(&self, record: &log::Record<'_>) {
        let line = format!("{} {}: {}", record.level(), record.target(), record.args());
        self.0.lock().expect("log capture").push(line);
    }
    fn flush(&self) {}
}

fn capture_logs() {
    LOGGER.call_once(|| {
        log::set_logger(&LOGS).expect("the only logger of this test binary");
        log::set_max_level(log::LevelFilter::Trace);
    });
}

/// Captured warnings that mention `needle` (tests run in parallel, so each
/// looks for its own unique number).
fn warnings_with(needle: &str) -> Vec<String> {
    LOGS.0
        .lock()
        .expect("log capture")
        .iter()
        .filter(|l| l.starts_with("WARN") && l.contains(needle))
        .cloned()
        .collect()
}

fn guarded(
    ctx: Ctx,
    quota: u64,
    mode: MemoryGuard,
    action: GuardAction,
    mem: &Arc<FakeMemory>,
) -> FsBuilder {
    ctx.builder()
        .max_quota(quota)
        .memory_guard(mode)
        .memory_guard_action(action)
        .memory_source(Arc::clone(mem) as Arc<dyn MemorySource>)
}

const HOUR: Duration = Duration::from_secs(3600);

fn per_write(interval: Duration) -> MemoryGuard {
    MemoryGuard::PerWrite { interval }
}

#[track_caller]
fn assert_guard(e: &Error, requested: u64, available: u64) {
    match e {
        Error::MemoryGuard {
            requested: r,
            available: a,
        } => assert_eq!((*r, *a), (requested, available), "{e}"),
        other => panic!("expected Error::MemoryGuard, got {other:?}"),
    }
    assert_eq!(e.kind(), ErrorKind::OutOfMemory);
    assert!(!e.is_quota(), "the guard is not the quota");
}

// ---------------------------------------------------------------------------
// Init
// ---------------------------------------------------------------------------

both_strategies!(
    guard_defaults_to_none_and_never_reads_memory,
    guard_init_raise_fails_the_build,
    guard_init_warn_builds_and_logs,
    guard_init_quota_that_fits_builds_silently,
    guard_init_does_not_check_writes,
);

fn guard_defaults_to_none_and_never_reads_memory(ctx: Ctx) {
    assert_eq!(MemoryGuard::default(), MemoryGuard::None);
    assert_eq!(GuardAction::default(), GuardAction::Warn);
    let mem = FakeMemory::new(0);
    // A source alone turns nothing on.
    let fs = ctx
        .builder()
        .max_quota(1 << 20)
        .memory_source(Arc::clone(&mem) as Arc<dyn MemorySource>)
        .build()
        .expect("no guard, no check");
    fs.write("/a", vec![1u8; 4096]).expect("no guard on writes");
    let fs = guarded(ctx, 1 << 20, MemoryGuard::None, GuardAction::Raise, &mem)
        .build()
        .expect("None never refuses");
    fs.write("/a", vec![1u8; 4096]).expect("None never refuses");
    assert_eq!(mem.queries(), 0);
}

fn guard_init_raise_fails_the_build(ctx: Ctx) {
    let mem = FakeMemory::new(1000);
    let e = guarded(ctx, 2000, MemoryGuard::Init, GuardAction::Raise, &mem)
        .build()
        .expect_err("the quota does not fit");
    assert_guard(&e, 2000, 1000);
    assert!(e.to_string().contains("2000"), "{e}");
    let io: std::io::Error = e.into();
    assert_eq!(io.kind(), ErrorKind::OutOfMemory);
    // PerWrite checks at build too, as D-MemFS's does.
    let e = guarded(
        ctx,
        2000,
        MemoryGuard::per_write(),
        GuardAction::Raise,
        &mem,
    )
    .build()
    .expect_err("the quota does not fit");
    assert_guard(&e, 2000, 1000);
}

fn guard_init_warn_builds_and_logs(ctx: Ctx) {
    capture_logs();
    let quota = 7_770_001 + ctx.concurrency as u64;
    let mem = FakeMemory::new(5_550_000);
    let fs = guarded(ctx, quota, MemoryGuard::Init, GuardAction::Warn, &mem)
        .build()
        .expect("Warn builds anyway");
    let logged = warnings_with(&quota.to_string());
    assert_eq!(logged.len(), 1, "{logged:?}");
    assert!(logged[0].contains("5550000"), "{logged:?}");
    assert!(logged[0].contains("memory_guard"), "{logged:?}");
    fs.write("/a", b"still works")
        .expect("a working filesystem");
}

fn guard_init_quota_that_fits_builds_silently(ctx: Ctx) {
    capture_logs();
    let quota = 6_660_001 + ctx.concurrency as u64;
    let mem = FakeMemory::new(quota);
    for action in [GuardAction::Warn, GuardAction::Raise] {
        guarded(ctx, quota, MemoryGuard::Init, action, &mem)
            .build()
            .expect("the quota fits exactly");
    }
    assert!(warnings_with(&quota.to_string()).is_empty());
}

fn guard_init_does_not_check_writes(ctx: Ctx) {
    let mem = FakeMemory::new(100_000);
    let fs = guarded(ctx, 100_000, MemoryGuard::Init, GuardAction::Raise, &mem)
        .build()
        .expect("fits");
    mem.set(0);
    fs.write("/a", vec![0u8; 50_000])
        .expect("Init checks only at build");
    assert_eq!(mem.queries(), 1);
}

// ---------------------------------------------------------------------------
// PerWrite
// ---------------------------------------------------------------------------

both_strategies!(
    guard_per_write_raise_refuses_each_kind_of_growth,
    guard_per_write_counts_growth_since_the_sample,
    guard_per_write_reads_memory_once_per_interval,
    guard_per_write_sees_memory_change_after_the_interval,
    guard_per_write_warn_logs_once_per_sample_and_goes_on,
    guard_quota_refusal_comes_before_the_guard,
    guard_per_write_does_not_guard_what_does_not_grow,
    guard_per_write_under_concurrent_writers,
);

/// A filesystem with a 1 MiB quota that had 1 MiB of memory at build and
/// has `memory` bytes from its first write on (cached for an hour).
fn short_of_memory(
    ctx: Ctx,
    memory: u64,
    action: GuardAction,
) -> (dmemfs::MemoryFileSystem, Arc<FakeMemory>) {
    let mem = FakeMemory::scripted(1 << 20, memory);
    let fs = guarded(ctx, 1 << 20, per_write(HOUR), action, &mem)
        .build()
        .expect("1 MiB of memory at build");
    (fs, mem)
}

fn guard_per_write_raise_refuses_each_kind_of_growth(ctx: Ctx) {
    let (fs, mem) = short_of_memory(ctx, 5000, GuardAction::Raise);
    assert_eq!(mem.queries(), 1, "the build's check");
    fs.write("/a", vec![1u8; 3000]).expect("3128 of 5000");
    assert_eq!(mem.queries(), 2, "the first growth samples");
    let before = state(&fs);
    let left = 5000 - 3000 - OVERHEAD;

    let e = expect_kind(fs.write("/b", vec![2u8; 2000]), ErrorKind::OutOfMemory);
    assert_guard(&e, 2000 + OVERHEAD, left);
    let e = expect_kind(fs.copy("/a", "/c"), ErrorKind::OutOfMemory);
    assert_guard(&e, 3000 + OVERHEAD, left);
    assert_eq!(state(&fs), before);
    fs.mkdir("/d", false).expect("directories cost no bytes");
    fs.write("/d/x", b"1").expect("129 fit");
    fs.write("/d/y", vec![0u8; 1000]).expect("1128 fit");
    let left = left - (1 + OVERHEAD) - (1000 + OVERHEAD);
    let before = state(&fs);
    let e = expect_kind(fs.copy_tree("/d", "/d2"), ErrorKind::OutOfMemory);
    assert_guard(&e, 1001 + 2 * OVERHEAD, left);
    let e = expect_kind(
        fs.import_tree([("/i", vec![0u8; 1000])]),
        ErrorKind::OutOfMemory,
    );
    assert_guard(&e, 1000 + OVERHEAD, left);
    let e = expect_kind(
        fs.open_with("/p", OpenMode::Write, OpenOptions::new().preallocate(1000)),
        ErrorKind::OutOfMemory,
    );
    assert_guard(&e, 1000 + OVERHEAD, left);
    let mut h = fs.open("/a", OpenMode::Append).expect("open");
    let io = h.write(&[0u8; 1000]).expect_err("refused");
    assert_eq!(io.kind(), ErrorKind::OutOfMemory);
    h.close().expect("close");
    let e = expect_kind(fs.write("/a", vec![0u8; 4000]), ErrorKind::OutOfMemory);
    assert!(matches!(e, Error::MemoryGuard { .. }), "{e:?}");
    assert_eq!(state(&fs), before, "no refused operation changed anything");
    // What still fits is stored.
    fs.write("/tiny", vec![0u8; 10]).expect("138 fit");
}

fn guard_per_write_counts_growth_since_the_sample(ctx: Ctx) {
    let (fs, _mem) = short_of_memory(ctx, 5000, GuardAction::Raise);
    let mut h = fs.open("/log", OpenMode::Append).expect("open");
    h.write_all(&[1u8; 2000]).expect("2128 of 5000");
    h.write_all(&[2u8; 2000]).expect("4256 of 5000");
    // The cached figure is still 5000, but 4256 of it are used since.
    let e = h.write(&[3u8; 700]).expect_err("828 > 744");
    assert_eq!(e.kind(), ErrorKind::OutOfMemory);
    let e = io_to_dmemfs(e);
    assert_guard(&e, 700 + OVERHEAD, 5000 - 2 * (2000 + OVERHEAD));
    h.write_all(&[3u8; 600]).expect("728 <= 744");
    h.close().expect("close");
    assert_eq!(fs.get_size("/log").expect("size"), 4600);
    // Giving bytes back makes room again.
    fs.remove("/log").expect("remove");
    fs.write("/again", vec![0u8; 4800]).expect("4928 <= 5000");
}

fn io_to_dmemfs(e: std::io::Error) -> Error {
    match e.into_inner() {
        Some(inner) => *inner.downcast::<Error>().expect("a dmemfs error inside"),
        None => panic!("a bare io error"),
    }
}

fn guard_per_write_reads_memory_once_per_interval(ctx: Ctx) {
    let mem = FakeMemory::new(1 << 30);
    let fs = guarded(ctx, 1 << 20, per_write(HOUR), GuardAction::Raise, &mem)
        .build()
        .expect("fits");
    assert_eq!(mem.queries(), 1, "the build's check");
    for i in 0..200 {
        fs.write(&format!("/f{i}"), vec![1u8; 100]).expect("room");
    }
    let mut h = fs.open("/h", OpenMode::Write).expect("open");
    for _ in 0..200 {
        h.write_all(b"x").expect("room");
    }
    h.close().expect("close");
    assert_eq!(mem.queries(), 2, "one sample within the interval");
}

fn guard_per_write_sees_memory_change_after_the_interval(ctx: Ctx) {
    let interval = Duration::from_millis(30);
    let mem = FakeMemory::new(1 << 20);
    let fs = guarded(ctx, 1 << 20, per_write(interval), GuardAction::Raise, &mem)
        .build()
        .expect("fits");
    fs.write("/a", vec![1u8; 1000]).expect("plenty");
    let before = state(&fs);
    mem.set(500);
    std::thread::sleep(interval * 2);
    // Whenever it samples again, the figure is 500 and nothing was stored.
    let e = expect_kind(fs.write("/b", vec![2u8; 1000]), ErrorKind::OutOfMemory);
    assert_guard(&e, 1000 + OVERHEAD, 500);
    assert_eq!(state(&fs), before, "a refused write changes nothing");
    fs.write("/tiny", b"ok").expect("2 + 128 <= 500");
    // Memory comes back: after the next interval writes succeed again.
    mem.set(1 << 20);
    std::thread::sleep(interval * 2);
    fs.write("/b", vec![2u8; 1000]).expect("memory is back");
}

fn guard_per_write_warn_logs_once_per_sample_and_goes_on(ctx: Ctx) {
    capture_logs();
    let (fs, _mem) = short_of_memory(ctx, 100, GuardAction::Warn);
    // A size no other test uses, so the capture can be searched for it.
    let size = 4441 + ctx.concurrency as usize;
    for i in 0..5 {
        fs.write(&format!("/w{i}"), vec![1u8; size])
            .expect("Warn lets it through");
    }
    let needle = format!("{} bytes", size as u64 + OVERHEAD);
    let logged = warnings_with(&needle);
    assert_eq!(logged.len(), 1, "one warning per sample: {logged:?}");
    assert!(
        logged[0].contains("dmemfs_quota::memory_guard"),
        "{logged:?}"
    );
    assert_eq!(fs.stats().file_count, 5);
}

fn guard_quota_refusal_comes_before_the_guard(ctx: Ctx) {
    let mem = FakeMemory::new(1 << 20);
    let fs = guarded(
        ctx,
        1000,
        per_write(Duration::ZERO),
        GuardAction::Raise,
        &mem,
    )
    .build()
    .expect("fits");
    mem.set(0);
    let e = expect_kind(fs.write("/a", vec![0u8; 5000]), ErrorKind::QuotaExceeded);
    assert!(matches!(e, Error::QuotaExceeded { .. }), "{e:?}");
    let e = expect_kind(fs.write("/a", vec![0u8; 10]), ErrorKind::OutOfMemory);
    assert_guard(&e, 10 + OVERHEAD, 0);
}

fn guard_per_write_does_not_guard_what_does_not_grow(ctx: Ctx) {
    let mem = FakeMemory::new(1 << 20);
    let fs = guarded(
        ctx,
        1 << 20,
        per_write(Duration::ZERO),
        GuardAction::Raise,
        &mem,
    )
    .build()
    .expect("fits");
    fs.write("/a", vec![1u8; 4000]).expect("room");
    fs.mkdir("/d", false).expect("mkdir");
    mem.set(0);
    fs.write("/empty", b"")
        .expect("an empty file costs nothing");
    fs.mkdir("/d/e", false).expect("directories cost no bytes");
    let mut h = fs.open("/a", OpenMode::ReadWrite).expect("open");
    h.truncate(Some(10)).expect("shrinking");
    h.close().expect("close");
    fs.rename("/a", "/d/a").expect("rename");
    fs.remove("/d/a").expect("remove");
    fs.rmtree("/d").expect("rmtree");
    assert_eq!(used(&fs), 0);
}

fn guard_per_write_under_concurrent_writers(ctx: Ctx) {
    const MEMORY: u64 = 64 * 1024;
    const PIECE: u64 = 1000 + OVERHEAD;
    let (fs, _mem) = short_of_memory(ctx, MEMORY, GuardAction::Raise);
    std::thread::scope(|s| {
        for t in 0..4 {
            let fs = fs.clone();
            s.spawn(move || {
                for i in 0.. {
                    match fs.write(&format!("/t{t}-{i}"), vec![1u8; 1000]) {
                        Ok(()) => {}
                        Err(Error::MemoryGuard { .. }) => return,
                        Err(e) => panic!("unexpected {e:?}"),
                    }
                }
            });
        }
    });
    // The guard's figure is an estimate: writers racing past the same check
    // may overshoot it by one write each, never more.
    let used = used(&fs);
    assert!(used + PIECE > MEMORY, "stopped early at {used}");
    assert!(used <= MEMORY + 3 * PIECE, "overshot at {used}");
}

// ---------------------------------------------------------------------------
// The default source, pointed at a fake system
// ---------------------------------------------------------------------------

both_strategies!(guard_system_memory_reads_the_container_limit);

/// A fake `/` with cgroup v2 files, removed on drop.
struct FakeRoot(PathBuf);

impl FakeRoot {
    fn new(tag: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("dmemfs-guard-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        FakeRoot(dir)
    }
    fn file(&self, path: &str, content: &str) {
        let p = self.0.join(path);
        std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
        std::fs::write(p, content).expect("write");
    }
}

impl Drop for FakeRoot {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn guard_system_memory_reads_the_container_limit(ctx: Ctx) {
    let root = FakeRoot::new(&format!("{:?}", ctx.concurrency));
    // The host has 8 GiB available, the container 64 MiB of which 16 MiB
    // are used.
    root.file(
        "proc/meminfo",
        "MemTotal: 16777216 kB\nMemAvailable: 8388608 kB\n",
    );
    root.file("proc/self/cgroup", "0::/job\n");
    root.file(
        "sys/fs/cgroup/job/memory.max",
        &format!("{}\n", 64u64 << 20),
    );
    root.file(
        "sys/fs/cgroup/job/memory.current",
        &format!("{}\n", 16u64 << 20),
    );
    let source = Arc::new(SystemMemory::with_root(&root.0));
    assert_eq!(source.available_bytes(), Some(48 << 20));
    let e = ctx
        .builder()
        .max_quota(256 << 20)
        .memory_guard(MemoryGuard::Init)
        .memory_guard_action(GuardAction::Raise)
        .memory_source(source.clone())
        .build()
        .expect_err("256 MiB does not fit in the container's 48 MiB");
    assert_guard(&e, 256 << 20, 48 << 20);
    ctx.builder()
        .max_quota(32 << 20)
        .memory_guard(MemoryGuard::per_write())
        .memory_guard_action(GuardAction::Raise)
        .memory_source(source)
        .build()
        .expect("32 MiB fits");
    assert_eq!(DEFAULT_GUARD_INTERVAL, Duration::from_secs(1));
}
