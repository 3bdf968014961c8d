//! File handles (`open`, `open_with`, `FileHandle`) and file locks
//! (API.md "File handles", "Locks and readers"; decisions 3, 10, 12).

#![allow(missing_docs)]

#[macro_use]
mod common;

use std::io::{ErrorKind, Read, Seek, SeekFrom, Write};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use common::*;
use dmemfs::{Bytes, MemoryFileSystem, OpenMode, OpenOptions, StorageKind};

const ALL_MODES: [OpenMode; 5] = [
    OpenMode::Read,
    OpenMode::Write,
    OpenMode::Append,
    OpenMode::ReadWrite,
    OpenMode::CreateNew,
];

// ---------------------------------------------------------------------------
// Opening (decision 3)
// ---------------------------------------------------------------------------

both_strategies!(
    open_write_then_read_round_trip,
    open_directory_is_a_directory_in_every_mode,
    open_missing_file_rules,
    open_create_new_rules,
    open_write_truncates_existing,
    open_append_creates_and_writes_at_end,
    open_read_write_reads_and_overwrites,
    open_with_preallocate,
);

fn open_write_then_read_round_trip(ctx: Ctx) {
    let fs = ctx.fs();
    fs.mkdir("/dir", false).unwrap();
    let mut h = fs.open("/dir/f.bin", OpenMode::Write).unwrap();
    h.write_all(b"hello ").unwrap();
    h.write_all(b"world").unwrap();
    h.flush().unwrap();
    assert_eq!(h.tell(), 11);
    h.close().unwrap();
    let mut r = fs.open("/dir/f.bin", OpenMode::Read).unwrap();
    let mut buf = [0u8; 5];
    r.read_exact(&mut buf).unwrap();
    assert_eq!(&buf, b"hello");
    assert_eq!(r.tell(), 5);
    let mut rest = Vec::new();
    r.read_to_end(&mut rest).unwrap();
    assert_eq!(rest, b" world");
    assert_eq!(r.tell(), 11);
    // At the end: read returns 0.
    assert_eq!(r.read(&mut buf).unwrap(), 0);
    assert_eq!(fs.read("/dir/f.bin").unwrap(), b"hello world");
}

fn open_directory_is_a_directory_in_every_mode(ctx: Ctx) {
    let fs = ctx.fs();
    fs.mkdir("/d", false).unwrap();
    for mode in ALL_MODES {
        expect_kind(fs.open("/d", mode), ErrorKind::IsADirectory);
        expect_kind(fs.open("/", mode), ErrorKind::IsADirectory);
        expect_kind(
            fs.open_with("/d", mode, OpenOptions::new()),
            ErrorKind::IsADirectory,
        );
    }
    assert!(fs.is_dir("/d"));
    assert_eq!(fs.stats().file_count, 0);
}

fn open_missing_file_rules(ctx: Ctx) {
    let fs = ctx.fs();
    expect_kind(fs.open("/nope", OpenMode::Read), ErrorKind::NotFound);
    expect_kind(fs.open("/nope", OpenMode::ReadWrite), ErrorKind::NotFound);
    assert!(!fs.exists("/nope"));
    for mode in [OpenMode::Write, OpenMode::Append, OpenMode::CreateNew] {
        let p = format!("/new-{mode:?}");
        let h = fs.open(&p, mode).unwrap();
        assert!(fs.is_file(&p), "{mode:?} creates a missing file");
        assert_eq!(fs.get_size(&p).unwrap(), 0);
        drop(h);
    }
    assert_eq!(fs.stats().file_count, 3);
    assert_eq!(used(&fs), 0, "empty files cost nothing");
}

fn open_create_new_rules(ctx: Ctx) {
    let fs = ctx.fs();
    let mut h = fs.open("/x", OpenMode::CreateNew).unwrap();
    assert!(!h.is_readable());
    assert!(h.is_writable());
    h.write_all(b"exclusive").unwrap();
    // Another CreateNew of an existing file: AlreadyExists (even while held).
    expect_kind(fs.open("/x", OpenMode::CreateNew), ErrorKind::AlreadyExists);
    h.close().unwrap();
    expect_kind(fs.open("/x", OpenMode::CreateNew), ErrorKind::AlreadyExists);
    assert_eq!(fs.read("/x").unwrap(), b"exclusive");
}

fn open_write_truncates_existing(ctx: Ctx) {
    let fs = ctx.fs();
    write_pieces(&fs, "/t", &[b"some", b" data"]);
    assert_eq!(used(&fs), 9 + 2 * OVERHEAD);
    let mut h = fs.open("/t", OpenMode::Write).unwrap();
    assert_eq!(h.tell(), 0);
    assert_eq!(fs.get_size("/t").unwrap(), 0, "Write truncates at open");
    assert_eq!(used(&fs), 0, "the truncation releases the charge");
    h.write_all(b"new").unwrap();
    drop(h);
    assert_eq!(fs.read("/t").unwrap(), b"new");
    assert_eq!(used(&fs), 3 + OVERHEAD);
}

fn open_append_creates_and_writes_at_end(ctx: Ctx) {
    let fs = ctx.fs();
    let mut h = fs.open("/log", OpenMode::Append).unwrap();
    h.write_all(b"abc").unwrap();
    drop(h);
    let mut h = fs.open("/log", OpenMode::Append).unwrap();
    assert!(!h.is_readable());
    assert!(h.is_writable());
    h.seek(SeekFrom::Start(0)).unwrap();
    h.write_all(b"de").unwrap();
    assert_eq!(h.tell(), 5, "an append leaves the cursor at the end");
    h.seek(SeekFrom::Start(1)).unwrap();
    h.write_all(b"f").unwrap();
    drop(h);
    assert_eq!(fs.read("/log").unwrap(), b"abcdef");
    // Appends never promote: one chunk per write.
    assert_eq!(used(&fs), 6 + 3 * OVERHEAD);
    assert_eq!(fs.stats().chunk_count, 3);
}

fn open_read_write_reads_and_overwrites(ctx: Ctx) {
    let fs = ctx.fs();
    fs.write("/rw", b"hello world").unwrap();
    let mut h = fs.open("/rw", OpenMode::ReadWrite).unwrap();
    assert!(h.is_readable() && h.is_writable());
    assert_eq!(
        h.tell(),
        0,
        "ReadWrite opens at the start without truncating"
    );
    let mut buf = [0u8; 5];
    h.read_exact(&mut buf).unwrap();
    assert_eq!(&buf, b"hello");
    h.write_all(b"_").unwrap();
    assert_eq!(h.tell(), 6);
    let mut rest = String::new();
    h.read_to_string(&mut rest).unwrap();
    assert_eq!(rest, "world");
    h.write_all(b"!!").unwrap();
    h.seek(SeekFrom::Start(0)).unwrap();
    let mut all = Vec::new();
    h.read_to_end(&mut all).unwrap();
    assert_eq!(all, b"hello_world!!");
    drop(h);
    assert_eq!(fs.read("/rw").unwrap(), b"hello_world!!");
    // Promoted by the overwrite: charged its size alone.
    assert_eq!(used(&fs), 13);
}

fn open_with_preallocate(ctx: Ctx) {
    let fs = ctx.fs();
    let h = fs
        .open_with("/p", OpenMode::Write, OpenOptions::new().preallocate(100))
        .unwrap();
    assert_eq!(fs.get_size("/p").unwrap(), 100);
    let s = fs.stats();
    assert!(s.used_bytes >= 100);
    assert_eq!(s.used_bytes, 100 + OVERHEAD * s.chunk_count);
    drop(h);
    assert_eq!(fs.read("/p").unwrap(), vec![0u8; 100]);
    // Options chain; a preallocation no larger than the file changes nothing.
    fs.write("/q", vec![5u8; 50]).unwrap();
    let opts = OpenOptions::new()
        .preallocate(10)
        .lock_timeout(Duration::from_millis(10));
    drop(fs.open_with("/q", OpenMode::ReadWrite, opts).unwrap());
    assert_eq!(fs.read("/q").unwrap(), vec![5u8; 50]);
    fs.remove("/p").unwrap();
    fs.remove("/q").unwrap();
    assert_eq!(used(&fs), 0);
}

// ---------------------------------------------------------------------------
// Handle methods
// ---------------------------------------------------------------------------

both_strategies!(
    handle_capabilities_and_path,
    handle_seek_and_tell,
    handle_seek_errors_leave_cursor,
    handle_seek_past_end_fills_zeros_auto,
    handle_seek_past_end_fills_zeros_random_access,
    handle_sequential_storage_appends_only,
    handle_truncate_rules,
    handle_unsupported_operations_leave_state,
    handle_write_bytes_and_read_bytes,
    handle_zero_copy_write_bytes_read_bytes,
    handle_quota_refusal_leaves_state,
    handle_is_send,
    handle_close_returns_ok,
    handle_reads_to_the_end,
);

/// `read_to_end` and `read_to_string` append the rest of the file from the
/// cursor (`std::io::Read`'s contract); text that is not UTF-8 is
/// `InvalidData`, with the string and the cursor unchanged. `size` is the
/// file's length.
fn handle_reads_to_the_end(ctx: Ctx) {
    for kind in [StorageKind::Sequential, StorageKind::RandomAccess] {
        let fs = ctx.fs_with(|b| b.default_storage(kind));
        let mut w = fs.open("/t", OpenMode::Write).unwrap();
        for part in ["héllo ", "wörld"] {
            w.write_all(part.as_bytes()).unwrap();
        }
        drop(w);
        let mut h = fs.open("/t", OpenMode::Read).unwrap();
        assert_eq!(h.size(), 13);
        h.seek(SeekFrom::Start(7)).unwrap();
        let mut bytes = b">".to_vec();
        assert_eq!(h.read_to_end(&mut bytes).unwrap(), 6);
        assert_eq!(bytes, b">w\xc3\xb6rld");
        assert_eq!(h.tell(), 13);
        assert_eq!(
            h.read_to_end(&mut bytes).unwrap(),
            0,
            "{kind:?}: at the end"
        );
        h.seek(SeekFrom::Start(100)).unwrap();
        assert_eq!(h.read_to_end(&mut bytes).unwrap(), 0, "past the end");
        assert_eq!(h.tell(), 100);
        h.seek(SeekFrom::Start(0)).unwrap();
        let mut text = String::from(">");
        assert_eq!(h.read_to_string(&mut text).unwrap(), 13);
        assert_eq!(text, ">héllo wörld");
        // From inside the 'é': not UTF-8.
        h.seek(SeekFrom::Start(2)).unwrap();
        let mut text = String::from("kept");
        let e = h.read_to_string(&mut text).expect_err("not UTF-8");
        assert_eq!(e.kind(), ErrorKind::InvalidData, "{kind:?}: {e}");
        assert!(e.to_string().contains("/t"), "{e}");
        assert_eq!((text.as_str(), h.tell()), ("kept", 2));
        let mut rest = Vec::new();
        h.read_to_end(&mut rest).unwrap();
        assert_eq!(rest, &"héllo wörld".as_bytes()[2..]);
        drop(h);
        // A writer's size follows its own writes and truncations.
        let mut w = fs.open("/t", OpenMode::ReadWrite).unwrap();
        w.seek(SeekFrom::End(0)).unwrap();
        w.write_all(b"!").unwrap();
        assert_eq!(w.size(), 14, "{kind:?}");
        w.truncate(Some(4)).unwrap();
        assert_eq!(w.size(), 4);
    }
}

fn handle_capabilities_and_path(ctx: Ctx) {
    let fs = ctx.fs();
    fs.mkdir("/dir", false).unwrap();
    fs.write("/dir/f.bin", b"x").unwrap();
    let expect = [
        (OpenMode::Read, true, false),
        (OpenMode::Write, false, true),
        (OpenMode::Append, false, true),
        (OpenMode::ReadWrite, true, true),
    ];
    for (mode, r, w) in expect {
        let h = fs.open("/dir/f.bin", mode).unwrap();
        assert_eq!(h.is_readable(), r, "{mode:?}");
        assert_eq!(h.is_writable(), w, "{mode:?}");
        assert_eq!(h.path(), "/dir/f.bin");
    }
    let h = fs.open("/dir/new.bin", OpenMode::CreateNew).unwrap();
    assert!(!h.is_readable() && h.is_writable());
    assert_eq!(h.path(), "/dir/new.bin");
}

fn handle_seek_and_tell(ctx: Ctx) {
    let fs = ctx.fs();
    fs.write("/s", b"0123456789").unwrap();
    let mut h = fs.open("/s", OpenMode::Read).unwrap();
    assert_eq!(h.tell(), 0);
    assert_eq!(h.seek(SeekFrom::Start(3)).unwrap(), 3);
    assert_eq!(h.tell(), 3);
    assert_eq!(h.seek(SeekFrom::Current(2)).unwrap(), 5);
    assert_eq!(h.seek(SeekFrom::Current(-1)).unwrap(), 4);
    let mut b = [0u8; 2];
    h.read_exact(&mut b).unwrap();
    assert_eq!(&b, b"45");
    assert_eq!(h.seek(SeekFrom::End(-3)).unwrap(), 7);
    h.read_exact(&mut b).unwrap();
    assert_eq!(&b, b"78");
    assert_eq!(h.seek(SeekFrom::End(0)).unwrap(), 10);
    assert_eq!(h.read(&mut b).unwrap(), 0);
    // Seeking past the end is allowed; reading there gives nothing.
    assert_eq!(h.seek(SeekFrom::Start(25)).unwrap(), 25);
    assert_eq!(h.tell(), 25);
    assert_eq!(h.read(&mut b).unwrap(), 0);
    assert_eq!(h.stream_position().unwrap(), 25);
    h.rewind().unwrap();
    assert_eq!(h.tell(), 0);
}

fn handle_seek_errors_leave_cursor(ctx: Ctx) {
    let fs = ctx.fs();
    fs.write("/s", b"0123456789").unwrap();
    let mut h = fs.open("/s", OpenMode::ReadWrite).unwrap();
    h.seek(SeekFrom::Start(5)).unwrap();
    expect_io_kind(h.seek(SeekFrom::End(1)), ErrorKind::InvalidInput);
    assert_eq!(h.tell(), 5);
    expect_io_kind(h.seek(SeekFrom::End(100)), ErrorKind::InvalidInput);
    assert_eq!(h.tell(), 5);
    expect_io_kind(h.seek(SeekFrom::Current(-6)), ErrorKind::InvalidInput);
    assert_eq!(h.tell(), 5);
    expect_io_kind(h.seek(SeekFrom::End(-11)), ErrorKind::InvalidInput);
    assert_eq!(h.tell(), 5);
    // Seeking to exactly 0 is fine.
    assert_eq!(h.seek(SeekFrom::Current(-5)).unwrap(), 0);
    assert_eq!(h.seek(SeekFrom::End(-10)).unwrap(), 0);
    drop(h);
    assert_eq!(fs.read("/s").unwrap(), b"0123456789");
}

fn seek_past_end_then_write(fs: &MemoryFileSystem) {
    let mut h = fs.open("/gap", OpenMode::Write).unwrap();
    h.write_all(b"abc").unwrap();
    assert_eq!(h.seek(SeekFrom::Start(6)).unwrap(), 6);
    assert_eq!(
        fs.get_size("/gap").unwrap(),
        3,
        "a seek alone does not extend"
    );
    h.write_all(b"xyz").unwrap();
    assert_eq!(h.tell(), 9);
    drop(h);
    assert_eq!(fs.read("/gap").unwrap(), b"abc\0\0\0xyz");
    // Random-access storage (after promotion on Auto) is charged its size.
    assert_eq!(used(fs), 9);
    // Overwrite inside, then check the gap again through ReadWrite.
    let mut h = fs.open("/gap", OpenMode::ReadWrite).unwrap();
    h.seek(SeekFrom::Start(4)).unwrap();
    h.write_all(b"Q").unwrap();
    h.seek(SeekFrom::Start(12)).unwrap();
    h.write_all(b"!").unwrap();
    h.rewind().unwrap();
    let mut all = Vec::new();
    h.read_to_end(&mut all).unwrap();
    assert_eq!(all, b"abc\0Q\0xyz\0\0\0!");
    drop(h);
    assert_eq!(used(fs), 13);
    fs.remove("/gap").unwrap();
    assert_eq!(used(fs), 0);
}

fn handle_seek_past_end_fills_zeros_auto(ctx: Ctx) {
    seek_past_end_then_write(&ctx.fs());
}

fn handle_seek_past_end_fills_zeros_random_access(ctx: Ctx) {
    let fs = ctx.fs_with(|b| b.default_storage(StorageKind::RandomAccess));
    seek_past_end_then_write(&fs);
    // RandomAccess charges size only, from the first write.
    write_pieces(&fs, "/ra", &[b"12345", b"678"]);
    assert_eq!(used(&fs), 8);
}

fn handle_sequential_storage_appends_only(ctx: Ctx) {
    let fs = ctx.fs_with(|b| b.default_storage(StorageKind::Sequential));
    // The only file is /seq; get_size takes no lock (a handle is open).
    let ledger_ok = |fs: &MemoryFileSystem| {
        let s = fs.stats();
        let size = fs.get_size("/seq").unwrap();
        assert_eq!(s.used_bytes, size + OVERHEAD * s.chunk_count, "{s:?}");
    };
    let mut h = fs.open("/seq", OpenMode::Write).unwrap();
    h.write_all(b"hello").unwrap();
    assert_eq!(used(&fs), 5 + OVERHEAD);
    // A non-append write is refused; cursor and content unchanged.
    h.seek(SeekFrom::Start(1)).unwrap();
    expect_io_kind(h.write(b"J"), ErrorKind::Unsupported);
    assert_eq!(h.tell(), 1);
    expect_kind(
        h.write_bytes(Bytes::from_static(b"J")),
        ErrorKind::Unsupported,
    );
    assert_eq!(h.tell(), 1);
    // Past the end too.
    h.seek(SeekFrom::Start(9)).unwrap();
    expect_io_kind(h.write(b"J"), ErrorKind::Unsupported);
    assert_eq!(h.tell(), 9);
    assert_eq!(fs.get_size("/seq").unwrap(), 5);
    assert_eq!(used(&fs), 5 + OVERHEAD);
    // At the end: an append.
    h.seek(SeekFrom::End(0)).unwrap();
    h.write_all(b" world").unwrap();
    assert_eq!(used(&fs), 11 + 2 * OVERHEAD);
    // Truncate shrinks and extends with zeros.
    assert_eq!(h.truncate(Some(8)).unwrap(), 8);
    ledger_ok(&fs);
    assert_eq!(h.truncate(Some(12)).unwrap(), 12);
    ledger_ok(&fs);
    drop(h);
    assert_eq!(fs.read("/seq").unwrap(), b"hello wo\0\0\0\0");
    // Append handles work.
    let mut a = fs.open("/seq", OpenMode::Append).unwrap();
    a.write_all(b"+").unwrap();
    drop(a);
    // Through ReadWrite, a write at the end counts as an append.
    let mut rw = fs.open("/seq", OpenMode::ReadWrite).unwrap();
    expect_io_kind(rw.write(b"X"), ErrorKind::Unsupported);
    assert_eq!(rw.tell(), 0);
    rw.seek(SeekFrom::End(0)).unwrap();
    rw.write_all(b"end").unwrap();
    drop(rw);
    assert_eq!(fs.read("/seq").unwrap(), b"hello wo\0\0\0\0+end");
    ledger_ok(&fs);
    fs.remove("/seq").unwrap();
    assert_eq!(used(&fs), 0);
}

fn handle_truncate_rules(ctx: Ctx) {
    let fs = ctx.fs();
    let mut h = fs.open("/t", OpenMode::Write).unwrap();
    h.write_all(b"0123456789").unwrap();
    assert_eq!(h.tell(), 10);
    // The cursor moves back when past the new end.
    assert_eq!(h.truncate(Some(4)).unwrap(), 4);
    assert_eq!(fs.get_size("/t").unwrap(), 4);
    assert_eq!(h.tell(), 4);
    // None = at the cursor.
    h.seek(SeekFrom::Start(2)).unwrap();
    assert_eq!(h.truncate(None).unwrap(), 2);
    assert_eq!(fs.get_size("/t").unwrap(), 2);
    assert_eq!(h.tell(), 2);
    // Extending fills with zeros and keeps the cursor.
    assert_eq!(h.truncate(Some(8)).unwrap(), 8);
    assert_eq!(h.tell(), 2);
    // A cursor past the end after a seek moves back too.
    h.seek(SeekFrom::Start(20)).unwrap();
    assert_eq!(h.truncate(Some(6)).unwrap(), 6);
    assert_eq!(h.tell(), 6);
    drop(h);
    assert_eq!(fs.read("/t").unwrap(), b"01\0\0\0\0");
    let s = fs.stats();
    assert_eq!(s.used_bytes, 6 + OVERHEAD * s.chunk_count);
    // Truncate through ReadWrite; truncating to 0 costs nothing.
    let mut rw = fs.open("/t", OpenMode::ReadWrite).unwrap();
    assert_eq!(rw.truncate(Some(0)).unwrap(), 0);
    drop(rw);
    assert_eq!(fs.get_size("/t").unwrap(), 0);
    assert_eq!(used(&fs), 0);
}

fn handle_unsupported_operations_leave_state(ctx: Ctx) {
    let fs = ctx.fs();
    fs.write("/f", b"content").unwrap();
    let before = used(&fs);
    // Read handle: no write, no truncate.
    let mut r = fs.open("/f", OpenMode::Read).unwrap();
    r.seek(SeekFrom::Start(2)).unwrap();
    expect_io_kind(r.write(b"x"), ErrorKind::Unsupported);
    expect_io_kind(r.write_all(b"x"), ErrorKind::Unsupported);
    assert_eq!(r.tell(), 2);
    expect_kind(
        r.write_bytes(Bytes::from_static(b"x")),
        ErrorKind::Unsupported,
    );
    assert_eq!(r.tell(), 2);
    expect_kind(r.truncate(Some(1)), ErrorKind::Unsupported);
    expect_kind(r.truncate(None), ErrorKind::Unsupported);
    assert_eq!(r.tell(), 2);
    let mut rest = Vec::new();
    r.read_to_end(&mut rest).unwrap();
    assert_eq!(rest, b"ntent");
    drop(r);
    assert_eq!(fs.read("/f").unwrap(), b"content");
    assert_eq!(used(&fs), before);
    // Write-only handles: no read.
    let mut buf = [0u8; 4];
    for mode in [OpenMode::Append, OpenMode::Write] {
        let mut w = fs.open("/f", mode).unwrap();
        let pos = w.tell();
        expect_io_kind(w.read(&mut buf), ErrorKind::Unsupported);
        expect_kind(w.read_bytes(4), ErrorKind::Unsupported);
        assert_eq!(w.tell(), pos, "{mode:?}");
    }
    let mut c = fs.open("/new", OpenMode::CreateNew).unwrap();
    expect_io_kind(c.read(&mut buf), ErrorKind::Unsupported);
    expect_io_kind(c.read_to_end(&mut Vec::new()), ErrorKind::Unsupported);
    expect_kind(c.read_bytes(1), ErrorKind::Unsupported);
    assert_eq!(c.tell(), 0);
}

fn handle_write_bytes_and_read_bytes(ctx: Ctx) {
    let fs = ctx.fs();
    let mut w = fs.open("/b", OpenMode::Write).unwrap();
    assert_eq!(w.write_bytes(Bytes::from_static(b"hello ")).unwrap(), 6);
    assert_eq!(w.write_bytes(Bytes::from(b"world".to_vec())).unwrap(), 5);
    assert_eq!(w.write_bytes(Bytes::new()).unwrap(), 0);
    assert_eq!(w.tell(), 11);
    drop(w);
    assert_eq!(
        used(&fs),
        11 + 2 * OVERHEAD,
        "two non-empty writes, two chunks"
    );
    assert_eq!(fs.stats().chunk_count, 2);

    let mut r = fs.open("/b", OpenMode::Read).unwrap();
    let mut got = Vec::new();
    loop {
        let before = r.tell();
        let part = r.read_bytes(4).unwrap();
        assert!(part.len() <= 4, "read_bytes returns at most max bytes");
        assert_eq!(r.tell(), before + part.len() as u64, "advances the cursor");
        if part.is_empty() {
            break;
        }
        got.extend_from_slice(&part);
    }
    assert_eq!(got, b"hello world");
    assert!(r.read_bytes(10).unwrap().is_empty());
    r.seek(SeekFrom::Start(6)).unwrap();
    let big = r.read_bytes(1000).unwrap();
    assert!(!big.is_empty() && b"world".starts_with(&big));
    assert_eq!(r.tell(), 6 + big.len() as u64);
    r.seek(SeekFrom::Start(0)).unwrap();
    assert!(r.read_bytes(0).unwrap().is_empty());
    assert_eq!(r.tell(), 0);
}

fn handle_zero_copy_write_bytes_read_bytes(ctx: Ctx) {
    let fs = ctx.fs();
    let data = Bytes::from(pseudo_random(4096, 7));
    let mut w = fs.open("/z", OpenMode::Write).unwrap();
    assert_eq!(w.write_bytes(data.clone()).unwrap(), 4096);
    drop(w);
    let mut r = fs.open("/z", OpenMode::Read).unwrap();
    let a = r.read_bytes(100).unwrap();
    assert_eq!(&a[..], &data[..100]);
    assert_eq!(
        a.as_ptr(),
        data.as_ptr(),
        "read_bytes within one stored chunk slices the appended Bytes"
    );
    let b = r.read_bytes(50).unwrap();
    assert_eq!(&b[..], &data[100..150]);
    assert_eq!(b.as_ptr(), data[100..].as_ptr());
}

fn handle_quota_refusal_leaves_state(ctx: Ctx) {
    let fs = ctx.fs_quota(1000);
    let mut h = fs.open("/q", OpenMode::Write).unwrap();
    h.write_all(&[1u8; 500]).unwrap();
    assert_eq!(used(&fs), 500 + OVERHEAD);
    let e = expect_io_kind(h.write(&[2u8; 500]), ErrorKind::QuotaExceeded);
    assert!(!e.to_string().is_empty());
    assert_eq!(h.tell(), 500);
    match h.write_bytes(Bytes::from(vec![2u8; 500])) {
        Err(dmemfs::Error::QuotaExceeded {
            requested,
            available,
            ..
        }) => {
            assert_eq!(requested, 500 + OVERHEAD, "requested includes the overhead");
            assert_eq!(available, 1000 - 500 - OVERHEAD);
        }
        other => panic!("expected QuotaExceeded, got {other:?}"),
    }
    assert_eq!(h.tell(), 500);
    assert_eq!(fs.get_size("/q").unwrap(), 500);
    assert_eq!(used(&fs), 500 + OVERHEAD);
    // What fits still works.
    h.write_all(&[3u8; 200]).unwrap();
    drop(h);
    let mut expect = vec![1u8; 500];
    expect.extend_from_slice(&[3u8; 200]);
    assert_eq!(fs.read("/q").unwrap(), expect);
    assert_eq!(used(&fs), 700 + 2 * OVERHEAD);
}

fn handle_is_send(ctx: Ctx) {
    let fs = ctx.fs();
    let mut h = fs.open("/s", OpenMode::Write).unwrap();
    h.write_all(b"main ").unwrap();
    let h = thread::spawn(move || {
        h.write_all(b"thread").unwrap();
        h
    })
    .join()
    .unwrap();
    assert_eq!(h.tell(), 11);
    h.close().unwrap();
    assert_eq!(fs.read("/s").unwrap(), b"main thread");
}

fn handle_close_returns_ok(ctx: Ctx) {
    let fs = ctx.fs();
    for mode in [OpenMode::Write, OpenMode::Append, OpenMode::ReadWrite] {
        let mut h = fs.open("/c", mode).unwrap();
        h.write_all(b"x").unwrap();
        h.close().expect("close");
        // Released: an exclusive zero-timeout open succeeds.
        fs.open_with("/c", OpenMode::ReadWrite, try_once())
            .expect("the lock is released by close")
            .close()
            .unwrap();
    }
    let r = fs.open("/c", OpenMode::Read).unwrap();
    r.close().unwrap();
    assert_eq!(fs.read("/c").unwrap(), b"xx");
}

// ---------------------------------------------------------------------------
// Locks (decision 10)
// ---------------------------------------------------------------------------

both_strategies!(
    lock_readers_share,
    lock_exclusive_modes_conflict_zero_timeout,
    lock_short_timeout_waits_then_would_block,
    lock_released_on_drop_and_close,
    lock_fs_readers_respect_write_lock,
    lock_unlocked_queries_ignore_file_locks,
    lock_writers_not_starved,
);

fn lock_readers_share(ctx: Ctx) {
    let fs = ctx.fs();
    fs.write("/f", b"shared").unwrap();
    let mut r1 = fs.open("/f", OpenMode::Read).unwrap();
    let mut r2 = fs.open_with("/f", OpenMode::Read, try_once()).unwrap();
    let mut r3 = fs.open_with("/f", OpenMode::Read, try_once()).unwrap();
    let mut s = String::new();
    r1.read_to_string(&mut s).unwrap();
    r2.seek(SeekFrom::Start(3)).unwrap();
    let mut t = String::new();
    r2.read_to_string(&mut t).unwrap();
    assert_eq!((s.as_str(), t.as_str()), ("shared", "red"));
    assert_eq!(r3.tell(), 0, "cursors are per handle");
    let mut u = Vec::new();
    r3.read_to_end(&mut u).unwrap();
    assert_eq!(u, b"shared");
    assert_eq!(fs.read("/f").unwrap(), b"shared");
    assert_eq!(&fs.export_bytes("/f", None).unwrap()[..], b"shared");
}

fn lock_exclusive_modes_conflict_zero_timeout(ctx: Ctx) {
    let fs = ctx.fs();
    fs.write("/f", b"original").unwrap();
    let conflicting = [
        OpenMode::Read,
        OpenMode::Write,
        OpenMode::Append,
        OpenMode::ReadWrite,
    ];
    for held in [OpenMode::Write, OpenMode::Append, OpenMode::ReadWrite] {
        fs.write("/f", b"original").unwrap();
        let h = fs.open("/f", held).unwrap();
        let size = fs.get_size("/f").unwrap();
        for m in conflicting {
            let e = expect_kind(fs.open_with("/f", m, try_once()), ErrorKind::WouldBlock);
            assert!(!e.is_quota());
        }
        // A refused Write open did not truncate.
        assert_eq!(fs.get_size("/f").unwrap(), size, "held {held:?}");
        drop(h);
    }
    // A Read handle blocks every exclusive mode.
    let r = fs.open("/f", OpenMode::Read).unwrap();
    for m in [OpenMode::Write, OpenMode::Append, OpenMode::ReadWrite] {
        expect_kind(fs.open_with("/f", m, try_once()), ErrorKind::WouldBlock);
    }
    drop(r);
    assert_eq!(fs.read("/f").unwrap(), b"original");
    // A CreateNew handle is exclusive as well.
    let c = fs.open("/cn", OpenMode::CreateNew).unwrap();
    for m in conflicting {
        expect_kind(fs.open_with("/cn", m, try_once()), ErrorKind::WouldBlock);
    }
    drop(c);
    fs.open_with("/cn", OpenMode::Read, try_once()).unwrap();
}

fn lock_short_timeout_waits_then_would_block(ctx: Ctx) {
    let fs = ctx.fs();
    fs.write("/f", b"x").unwrap();
    let w = fs.open("/f", OpenMode::Write).unwrap();
    let short = OpenOptions::new().lock_timeout(Duration::from_millis(50));
    let start = Instant::now();
    expect_kind(
        fs.open_with("/f", OpenMode::Read, short),
        ErrorKind::WouldBlock,
    );
    assert!(
        start.elapsed() >= Duration::from_millis(40),
        "a 50 ms timeout waits before failing ({:?})",
        start.elapsed()
    );
    expect_kind(
        fs.open_with("/f", OpenMode::ReadWrite, short),
        ErrorKind::WouldBlock,
    );
    drop(w);
    fs.open_with("/f", OpenMode::Read, short)
        .expect("after the holder left");
}

fn lock_released_on_drop_and_close(ctx: Ctx) {
    let fs = ctx.fs();
    fs.write("/f", b"x").unwrap();
    let w = fs.open("/f", OpenMode::Append).unwrap();
    expect_kind(
        fs.open_with("/f", OpenMode::Read, try_once()),
        ErrorKind::WouldBlock,
    );
    drop(w);
    let r = fs.open_with("/f", OpenMode::Read, try_once()).unwrap();
    expect_kind(
        fs.open_with("/f", OpenMode::Write, try_once()),
        ErrorKind::WouldBlock,
    );
    r.close().unwrap();
    let w = fs.open_with("/f", OpenMode::Write, try_once()).unwrap();
    w.close().unwrap();
    // A waiting open (long timeout) in another thread gets the lock once the
    // holder leaves.
    let holder = fs.open("/f", OpenMode::ReadWrite).unwrap();
    let fs2 = fs.clone();
    let waiter = thread::spawn(move || {
        let mut h = fs2
            .open_with("/f", OpenMode::Append, patient())
            .expect("the waiting open succeeds");
        h.write_all(b"waited").unwrap();
    });
    holder.close().unwrap();
    waiter.join().expect("the waiter thread");
    assert_eq!(fs.read("/f").unwrap(), b"waited");
}

fn lock_fs_readers_respect_write_lock(ctx: Ctx) {
    let fs = ctx.fs_with(|b| b.default_lock_timeout(Some(Duration::from_millis(50))));
    fs.write("/f", b"committed").unwrap();
    let mut w = fs.open("/f", OpenMode::Write).unwrap();
    expect_kind(fs.read("/f"), ErrorKind::WouldBlock);
    expect_kind(fs.read_to_string("/f"), ErrorKind::WouldBlock);
    expect_kind(fs.export_bytes("/f", None), ErrorKind::WouldBlock);
    expect_kind(fs.export_tree("/", false), ErrorKind::WouldBlock);
    // The filesystem default applies to plain opens too.
    expect_kind(fs.open("/f", OpenMode::Read), ErrorKind::WouldBlock);
    // A file a Write open created but has not written is never returned.
    let created = fs.open("/created", OpenMode::Write).unwrap();
    expect_kind(fs.read("/created"), ErrorKind::WouldBlock);
    expect_kind(fs.export_bytes("/created", Some(10)), ErrorKind::WouldBlock);
    drop(created);
    assert_eq!(fs.read("/created").unwrap(), b"");
    w.write_all(b"new").unwrap();
    drop(w);
    assert_eq!(fs.read("/f").unwrap(), b"new");
    assert_eq!(fs.read_to_string("/f").unwrap(), "new");
    assert_eq!(fs.export_tree("/", false).unwrap().len(), 2);
}

fn lock_unlocked_queries_ignore_file_locks(ctx: Ctx) {
    let fs = ctx.fs_with(|b| b.default_lock_timeout(Some(Duration::from_millis(50))));
    fs.mkdir("/d", false).unwrap();
    fs.write("/d/f", b"12345").unwrap();
    let _w = fs.open("/d/f", OpenMode::ReadWrite).unwrap();
    assert_eq!(fs.stat("/d/f").unwrap().size, 5);
    assert_eq!(fs.get_size("/d/f").unwrap(), 5);
    assert!(fs.exists("/d/f"));
    assert!(fs.is_file("/d/f"));
    assert_eq!(fs.listdir("/d").unwrap(), vec!["f"]);
    assert_eq!(fs.walk("/").unwrap().count(), 2);
    assert_eq!(fs.glob("/d/*").unwrap(), vec!["/d/f"]);
    assert_eq!(fs.stats().file_count, 1);
}

fn lock_writers_not_starved(ctx: Ctx) {
    let fs = ctx.fs();
    fs.write("/f", b"before").unwrap();
    let reader = fs.open("/f", OpenMode::Read).unwrap();
    let fs2 = fs.clone();
    let writer = thread::spawn(move || {
        let mut h = fs2
            .open_with("/f", OpenMode::Write, patient())
            .expect("the writer gets the lock");
        h.write_all(b"after").unwrap();
    });
    // A waiting writer blocks new readers.
    poll_until("the writer is waiting (new readers refused)", || {
        match fs.open_with("/f", OpenMode::Read, try_once()) {
            Ok(_) => false,
            Err(e) if e.kind() == ErrorKind::WouldBlock => true,
            Err(e) => panic!("unexpected error {e:?}"),
        }
    });
    drop(reader);
    writer.join().expect("the writer thread");
    assert_eq!(fs.read("/f").unwrap(), b"after");
}

// One handle shared by several threads behind a mutex (FileHandle is Send).
both_strategies!(handle_shared_via_arc_mutex);

fn handle_shared_via_arc_mutex(ctx: Ctx) {
    let fs = ctx.fs();
    let h = Arc::new(std::sync::Mutex::new(
        fs.open("/m", OpenMode::Append).unwrap(),
    ));
    let threads: Vec<_> = (0..4)
        .map(|i| {
            let h = Arc::clone(&h);
            thread::spawn(move || {
                for _ in 0..10 {
                    h.lock().unwrap().write_all(&[b'a' + i as u8]).unwrap();
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    drop(h);
    let data = fs.read("/m").unwrap();
    assert_eq!(data.len(), 40);
    for i in 0..4u8 {
        assert_eq!(data.iter().filter(|&&b| b == b'a' + i).count(), 10);
    }
    assert_eq!(used(&fs), 40 + 40 * OVERHEAD);
}

both_strategies!(
    write_open_with_refused_preallocation_keeps_the_content,
    write_open_with_preallocation_replaces_the_content_with_zeros,
);

/// A Write open truncates and preallocates in one step: when the quota
/// refuses the preallocation, the old content stays.
fn write_open_with_refused_preallocation_keeps_the_content(ctx: Ctx) {
    let fs = ctx.fs_quota(1000);
    fs.write("/a", vec![7u8; 500]).unwrap();
    let before = used(&fs);
    let err = fs
        .open_with("/a", OpenMode::Write, OpenOptions::new().preallocate(5000))
        .unwrap_err();
    assert!(err.is_quota(), "{err:?}");
    assert_eq!(fs.read("/a").unwrap(), vec![7u8; 500]);
    assert_eq!(used(&fs), before);
    assert_eq!(fs.stat("/a").unwrap().generation, 1);
}

fn write_open_with_preallocation_replaces_the_content_with_zeros(ctx: Ctx) {
    let fs = ctx.fs_quota(1000);
    fs.write("/a", vec![7u8; 500]).unwrap();
    let f = fs
        .open_with("/a", OpenMode::Write, OpenOptions::new().preallocate(600))
        .unwrap();
    assert_eq!(f.tell(), 0);
    drop(f);
    assert_eq!(fs.read("/a").unwrap(), vec![0u8; 600]);
    assert_eq!(used(&fs), 600 + OVERHEAD);
}
