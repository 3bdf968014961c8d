//! Allocation failure, made deterministic: this test binary's global
//! allocator refuses any single allocation above a per-thread limit while
//! a test asks it to, as an allocator does when memory runs out. Every
//! operation that stores or copies file data must then fail with
//! `OutOfMemory` (an abort would take the whole binary down) and change
//! nothing; with the limit lifted, the filesystem goes on working.
//!
//! Only allocations made on the calling thread are limited, and the data
//! involved is larger than any the writer thread allocates, so both
//! strategies are covered.

#![allow(missing_docs)]

#[macro_use]
mod common;

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::io::{ErrorKind, Read, Seek, SeekFrom, Write};

use common::*;
use dmemfs::{Bytes, FileHandle, MemoryFileSystem, OpenMode, OpenOptions, StorageKind};

/// The system allocator, refusing large requests on threads that ask.
struct Refusing;

thread_local! {
    static LIMIT: Cell<usize> = const { Cell::new(usize::MAX) };
}

unsafe impl GlobalAlloc for Refusing {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if layout.size() > LIMIT.with(Cell::get) {
            return std::ptr::null_mut();
        }
        // SAFETY: forwarded unchanged to the system allocator.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` came from `System.alloc` with this layout.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if new_size > LIMIT.with(Cell::get) {
            return std::ptr::null_mut();
        }
        // SAFETY: forwarded unchanged to the system allocator.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: Refusing = Refusing;

/// Runs `f` with allocations above `limit` bytes refused on this thread.
fn with_limit<T>(limit: usize, f: impl FnOnce() -> T) -> T {
    struct Reset;
    impl Drop for Reset {
        fn drop(&mut self) {
            LIMIT.with(|l| l.set(usize::MAX));
        }
    }
    LIMIT.with(|l| l.set(limit));
    let _reset = Reset;
    f()
}

const MIB: usize = 1 << 20;
/// Files of 4 MiB; allocations above 1 MiB are refused.
const SIZE: usize = 4 * MIB;
const LIMIT_BYTES: usize = MIB;

#[track_caller]
fn out_of_memory<T: std::fmt::Debug>(r: dmemfs::Result<T>) {
    let e = expect_kind(r, ErrorKind::OutOfMemory);
    assert!(
        e.to_string().contains('/'),
        "the message names the path: {e}"
    );
}

/// `/multi` in 4 chunks, `/one` in one chunk, `/dir/multi` a copy of
/// `/multi` in 4 chunks.
fn populate(fs: &MemoryFileSystem) {
    let quarter = vec![7u8; SIZE / 4];
    let parts: Vec<&[u8]> = vec![&quarter; 4];
    write_pieces(fs, "/multi", &parts);
    fs.write("/one", vec![1u8; SIZE]).unwrap();
    fs.mkdir("/dir", false).unwrap();
    write_pieces(fs, "/dir/multi", &parts);
}

fn fs(ctx: Ctx, kind: StorageKind) -> MemoryFileSystem {
    ctx.fs_with(|b| b.default_storage(kind).max_quota(1 << 30))
}

both_strategies!(
    copies_fail_cleanly_when_allocation_fails,
    writes_fail_cleanly_when_allocation_fails,
    reads_fail_cleanly_when_allocation_fails,
    read_bytes_fails_cleanly_when_allocation_fails,
    read_to_end_fails_cleanly_when_allocation_fails,
);

fn copies_fail_cleanly_when_allocation_fails(ctx: Ctx) {
    for kind in [StorageKind::Auto, StorageKind::RandomAccess] {
        let fs = fs(ctx, kind);
        populate(&fs);
        let before = state(&fs);
        with_limit(LIMIT_BYTES, || {
            out_of_memory(fs.copy("/multi", "/copy"));
            out_of_memory(fs.copy_tree("/dir", "/dir2"));
            if kind == StorageKind::RandomAccess {
                // A random-access copy is a new buffer even from one piece.
                out_of_memory(fs.copy("/one", "/copy"));
            }
        });
        assert_eq!(state(&fs), before, "{kind:?}");
        fs.copy("/multi", "/copy").unwrap();
        fs.copy_tree("/dir", "/dir2").unwrap();
        assert_eq!(fs.read("/dir2/multi").unwrap(), vec![7u8; SIZE]);
    }
}

fn writes_fail_cleanly_when_allocation_fails(ctx: Ctx) {
    for kind in [
        StorageKind::Auto,
        StorageKind::Sequential,
        StorageKind::RandomAccess,
    ] {
        let fs = fs(ctx, kind);
        populate(&fs);
        let before = state(&fs);
        let big = vec![3u8; SIZE];
        let import = Bytes::from(big.clone());
        with_limit(LIMIT_BYTES, || {
            out_of_memory(fs.write("/new", &big));
            out_of_memory(fs.write("/one", &big));
            out_of_memory(
                fs.open_with(
                    "/p",
                    OpenMode::Write,
                    OpenOptions::new().preallocate(SIZE as u64),
                )
                .map(drop),
            );
            let mut h = fs.open("/one", OpenMode::Append).unwrap();
            out_of_memory(h.truncate(Some(2 * SIZE as u64)));
            let e = h.write(&big).expect_err("a copy of 4 MiB is refused");
            assert_eq!(e.kind(), ErrorKind::OutOfMemory, "{kind:?}: {e}");
            drop(h);
            if kind != StorageKind::Sequential {
                // A random write past the end needs a buffer for the
                // growth (after a promotion that shares the chunks, for
                // Auto), not for the whole file.
                let mut h = fs.open("/multi", OpenMode::ReadWrite).unwrap();
                h.seek(SeekFrom::Start(SIZE as u64 + 10)).unwrap();
                let e = h.write(&big).expect_err("refused");
                assert_eq!(e.kind(), ErrorKind::OutOfMemory, "{kind:?}: {e}");
                drop(h);
            }
            if kind == StorageKind::RandomAccess {
                // Imports copy into a buffer of their own.
                out_of_memory(fs.import_tree([("/imported", import.clone())]));
            }
        });
        assert_eq!(state(&fs), before, "{kind:?}");
        fs.write("/new", &big).unwrap();
        assert!(used(&fs) > before.used_bytes);
    }
}

fn reads_fail_cleanly_when_allocation_fails(ctx: Ctx) {
    let fs = fs(ctx, StorageKind::Auto);
    populate(&fs);
    let before = state(&fs);
    with_limit(LIMIT_BYTES, || {
        out_of_memory(fs.read("/multi"));
        out_of_memory(fs.export_bytes("/multi", None));
        out_of_memory(fs.export_tree("/dir", false));
        // One stored piece is shared, not copied.
        assert_eq!(fs.export_bytes("/one", None).unwrap().len(), SIZE);
    });
    assert_eq!(state(&fs), before);
    assert_eq!(fs.read("/multi").unwrap().len(), SIZE);
    // The read lock was given back.
    drop(fs.open_with("/multi", OpenMode::Write, try_once()).unwrap());
}

/// `FileHandle::read_bytes` copies what does not lie in one stored chunk
/// (several chunks, or random-access storage): a refused copy is
/// `OutOfMemory`, and the cursor stays.
fn read_bytes_fails_cleanly_when_allocation_fails(ctx: Ctx) {
    reading_multi_from_10(ctx, |kind, h| {
        with_limit(LIMIT_BYTES, || {
            out_of_memory(h.read_bytes(usize::MAX));
            out_of_memory(h.read_bytes(SIZE / 2));
        });
        assert_eq!(h.tell(), 10, "{kind:?}: the cursor stays");
        assert_eq!(h.read_bytes(usize::MAX).unwrap().len(), SIZE - 10);
    });
}

/// Runs `check` on a handle reading `/multi` from offset 10, for each
/// storage kind, and checks that the filesystem's state is unchanged once
/// the handle is closed.
fn reading_multi_from_10(ctx: Ctx, check: impl Fn(StorageKind, &mut FileHandle)) {
    for kind in [StorageKind::Auto, StorageKind::RandomAccess] {
        let fs = fs(ctx, kind);
        populate(&fs);
        let before = state(&fs);
        let mut h = fs.open("/multi", OpenMode::Read).unwrap();
        h.seek(SeekFrom::Start(10)).unwrap();
        check(kind, &mut h);
        drop(h);
        assert_eq!(state(&fs), before, "{kind:?}");
    }
}

/// `FileHandle::read_to_end` and `read_to_string` reserve the rest of the
/// file at once: a refused reservation is `OutOfMemory`, and the buffer and
/// the cursor stay.
fn read_to_end_fails_cleanly_when_allocation_fails(ctx: Ctx) {
    reading_multi_from_10(ctx, |kind, h| {
        with_limit(LIMIT_BYTES, || {
            let mut bytes = b"kept".to_vec();
            let e = h.read_to_end(&mut bytes).expect_err("refused");
            assert_eq!(e.kind(), ErrorKind::OutOfMemory, "{kind:?}: {e}");
            assert!(e.to_string().contains("/multi"), "{e}");
            assert_eq!(bytes, b"kept");
            let mut text = String::from("kept");
            let e = h.read_to_string(&mut text).expect_err("refused");
            assert_eq!(e.kind(), ErrorKind::OutOfMemory, "{kind:?}: {e}");
            assert_eq!(text, "kept");
        });
        assert_eq!(h.tell(), 10, "{kind:?}: the cursor stays");
        let mut rest = Vec::new();
        assert_eq!(h.read_to_end(&mut rest).unwrap(), SIZE - 10);
        assert_eq!(rest.capacity(), SIZE - 10, "{kind:?}: reserved once");
    });
}
