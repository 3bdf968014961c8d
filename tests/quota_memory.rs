//! How much memory the process really holds for file data, measured by this
//! test binary's global allocator, which counts the bytes live on the heap.
//! These check README's "When memory can exceed the quota": a removed or
//! replaced file's data is freed even while a `walk` or export iterator
//! still names it, a random-access buffer's spare capacity is bounded, and
//! the chunk overhead estimate covers what a chunk's bookkeeping allocates.
//!
//! The counter is process-wide, so the tests of this binary run one at a
//! time (`SERIAL`), each measuring from a baseline taken after its
//! filesystem is built.

#![allow(missing_docs)]

#[macro_use]
mod common;

use std::alloc::{GlobalAlloc, Layout, System};
use std::io::Write;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};

use common::*;
use dmemfs::{MemoryFileSystem, OpenMode, StorageKind};

/// The system allocator, counting the bytes it has handed out and not yet
/// been given back.
struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);
/// The most `LIVE` has been since the last `reset_peak`.
static PEAK: AtomicUsize = AtomicUsize::new(0);

fn count(size: usize) {
    let now = LIVE.fetch_add(size, Ordering::Relaxed) + size;
    PEAK.fetch_max(now, Ordering::Relaxed);
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded unchanged to the system allocator.
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            count(layout.size());
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` came from `System.alloc` with this layout.
        unsafe { System.dealloc(ptr, layout) };
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: forwarded unchanged to the system allocator.
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            count(new_size);
            LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
        }
        p
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

static SERIAL: Mutex<()> = Mutex::new(());

/// Runs the calling test alone among this binary's tests.
fn alone() -> MutexGuard<'static, ()> {
    SERIAL.lock().unwrap_or_else(PoisonError::into_inner)
}

fn live() -> usize {
    LIVE.load(Ordering::SeqCst)
}

/// Starts measuring the peak from now; returns the bytes live now.
fn reset_peak() -> usize {
    let now = live();
    PEAK.store(now, Ordering::SeqCst);
    now
}

fn peak() -> usize {
    PEAK.load(Ordering::SeqCst)
}

const MIB: usize = 1 << 20;
/// What the test harness, the writer thread and the tree may allocate on
/// the side while a test measures.
const SLACK: usize = MIB / 2;

/// Writes `len` bytes of `byte` at `path`; the caller's buffer is freed
/// before returning, so only the filesystem's copy stays.
fn write_new(fs: &MemoryFileSystem, path: &str, len: usize, byte: u8) {
    fs.write(path, vec![byte; len]).unwrap();
}

both_strategies!(
    a_removed_file_is_freed_under_live_iterators,
    a_replaced_file_is_freed_under_live_iterators,
);

/// The case, scaled down: a quota of 24 MiB, a 16 MiB file, a live
/// `walk` and export iterator, the file removed and another 16 MiB file
/// written. The process holds one file's data, not two.
fn a_removed_file_is_freed_under_live_iterators(ctx: Ctx) {
    let _alone = alone();
    for kind in [StorageKind::Auto, StorageKind::RandomAccess] {
        let fs = ctx.fs_with(|b| b.max_quota(24 * MIB as u64).default_storage(kind));
        let baseline = live();
        write_new(&fs, "/a", 16 * MIB, 1);
        let walk = fs.walk("/").unwrap();
        let export = fs.iter_export_tree("/", false).unwrap();
        fs.remove("/a").unwrap();
        write_new(&fs, "/b", 16 * MIB, 2);
        let held = live().saturating_sub(baseline);
        assert!(
            held <= 16 * MIB + SLACK,
            "{kind:?}: {held} bytes live for one 16 MiB file"
        );
        assert_eq!(walk.count(), 1);
        assert_eq!(export.count(), 0, "the removed file is skipped");
    }
}

fn a_replaced_file_is_freed_under_live_iterators(ctx: Ctx) {
    let _alone = alone();
    for kind in [StorageKind::Auto, StorageKind::RandomAccess] {
        let fs = ctx.fs_with(|b| b.max_quota(24 * MIB as u64).default_storage(kind));
        let baseline = live();
        fs.import_tree([("/a", vec![1u8; 16 * MIB])]).unwrap();
        let walk = fs.walk("/").unwrap();
        let export = fs.iter_export_tree("/", false).unwrap();
        fs.import_tree([("/a", vec![2u8; 16 * MIB])]).unwrap();
        let held = live().saturating_sub(baseline);
        assert!(
            held <= 16 * MIB + SLACK,
            "{kind:?}: {held} bytes live for one 16 MiB file"
        );
        assert_eq!(walk.count(), 1);
        assert_eq!(export.count(), 0, "the replaced file is skipped");
        assert_eq!(fs.read("/a").unwrap()[0], 2);
    }
}

both_strategies!(copies_into_random_access_storage_make_one_copy);

/// Copying a random-access file, or writing over one, allocates the new
/// content once: the copy read from the source (or of the caller's data)
/// becomes the new buffer instead of being copied again.
fn copies_into_random_access_storage_make_one_copy(ctx: Ctx) {
    let _alone = alone();
    const SIZE: usize = 8 * MIB;
    let fs = ctx.fs_with(|b| b.default_storage(StorageKind::RandomAccess));
    write_new(&fs, "/a", SIZE, 1);
    let before = reset_peak();
    fs.copy("/a", "/b").unwrap();
    let grew = peak().saturating_sub(before);
    assert!(grew <= SIZE + SLACK, "copy: {grew} bytes at the peak");
    fs.mkdir("/d", false).unwrap();
    fs.rename("/b", "/d/b").unwrap();
    let before = reset_peak();
    fs.copy_tree("/d", "/e").unwrap();
    let grew = peak().saturating_sub(before);
    assert!(grew <= SIZE + SLACK, "copy_tree: {grew} bytes at the peak");
    let data = vec![2u8; SIZE];
    let before = reset_peak();
    // The old content, and the new one copied once from `data`.
    fs.write("/a", &data).unwrap();
    let grew = peak().saturating_sub(before);
    assert!(grew <= SIZE + SLACK, "write: {grew} bytes at the peak");
    assert_eq!(fs.read("/a").unwrap(), data);
}

both_strategies!(random_access_spare_capacity_is_bounded);

/// A random-access buffer grows by doubling, so after growth it holds at
/// most twice its length; a cut moves it to a buffer of its own size once
/// the length falls to a quarter of the capacity, so it never holds more
/// than four times its length, however many cuts come one after another.
fn random_access_spare_capacity_is_bounded(ctx: Ctx) {
    let _alone = alone();
    let fs = ctx.fs_with(|b| b.default_storage(StorageKind::RandomAccess));
    let baseline = live();
    let mut h = fs.open("/f", OpenMode::Write).unwrap();
    let piece = vec![3u8; MIB];
    for _ in 0..17 {
        h.write_all(&piece).unwrap();
    }
    drop(piece);
    let len = fs.get_size("/f").unwrap() as usize;
    let held = live().saturating_sub(baseline);
    assert!(
        held <= 2 * len + SLACK,
        "{held} bytes live for a {len}-byte file"
    );
    let mut size = len;
    while size > 64 * 1024 {
        size = size * 3 / 10;
        h.truncate(Some(size as u64)).unwrap();
        let held = live().saturating_sub(baseline);
        assert!(
            held <= 4 * size + SLACK,
            "{held} bytes live for a {size}-byte file"
        );
    }
    h.truncate(Some(0)).unwrap();
    assert!(live().saturating_sub(baseline) <= SLACK);
}

both_strategies!(chunk_bookkeeping_fits_the_overhead_estimate);

/// What one stored chunk allocates besides its bytes (its slot in the chunk
/// list, spare slots included, and the header of its shared buffer) is no
/// more than the default `chunk_overhead` of 128 bytes. The allocator's own
/// per-allocation overhead comes on top and is not counted here.
fn chunk_bookkeeping_fits_the_overhead_estimate(ctx: Ctx) {
    let _alone = alone();
    // One past a power of two: the chunk list's slots have just doubled,
    // so almost half of them are spare, the most there can be.
    const CHUNKS: usize = (1 << 14) + 1;
    for piece in [1usize, 100, 4096] {
        let fs = ctx.fs_with(|b| b.default_storage(StorageKind::Sequential));
        let data = vec![5u8; piece];
        let mut h = fs.open("/f", OpenMode::Write).unwrap();
        let baseline = live();
        for _ in 0..CHUNKS {
            h.write_all(&data).unwrap();
        }
        drop(h);
        // A zero-copy read shares a chunk's buffer, as exports do, which
        // gives the buffer a shared header for good.
        let mut r = fs.open("/f", OpenMode::Read).unwrap();
        for _ in 0..CHUNKS {
            assert_eq!(r.read_bytes(piece).unwrap().len(), piece);
        }
        drop(r);
        let per_chunk = (live().saturating_sub(baseline)) / CHUNKS - piece;
        println!("{piece}-byte chunks: {per_chunk} bytes of bookkeeping each");
        assert!(
            per_chunk <= 128,
            "{piece}-byte chunks: {per_chunk} bytes of bookkeeping each"
        );
        assert_eq!(fs.stats().chunk_count, CHUNKS as u64);
        assert_eq!(
            fs.stats().used_bytes,
            (piece as u64 + OVERHEAD) * CHUNKS as u64
        );
    }
}
