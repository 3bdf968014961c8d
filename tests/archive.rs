//! Archives (`dmemfs::archive`): expansion of tar, tar.gz and zip, atomic and
//! streaming, conflicts, hostile archives (escapes, links, devices, bombs,
//! lying headers), export and the adapter trait. Every archive is built here,
//! with the `tar`, `flate2` and `zip` crates or byte by byte.

#![allow(missing_docs)]

#[macro_use]
mod common;

use std::collections::BTreeMap;
use std::io::{self, Cursor, ErrorKind, Read, Seek, SeekFrom, Write};
use std::sync::Arc;

use common::*;
use dmemfs::archive::{
    expand_archive, expand_archive_streaming, export_archive, export_archive_with, ArchiveAdapter,
    ArchiveEntry, ArchiveFormat, ArchiveOptions, EntryKind, ExpandError, OnConflict, ReadSeek,
};
use dmemfs::{
    Bytes, Error, GuardAction, MemoryFileSystem, MemoryGuard, MemorySource, OpenMode, UnsafeEntry,
};

// ---------------------------------------------------------------------------
// Building archives
// ---------------------------------------------------------------------------

/// A tar of `entries`: a name ending in `/` is a directory.
fn tar_of(entries: &[(&str, &[u8])]) -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    for (name, data) in entries {
        let mut h = tar::Header::new_gnu();
        if name.ends_with('/') {
            h.set_entry_type(tar::EntryType::Directory);
            h.set_mode(0o755);
        } else {
            h.set_entry_type(tar::EntryType::Regular);
            h.set_mode(0o644);
        }
        h.set_size(data.len() as u64);
        b.append_data(&mut h, name, *data)
            .expect("append to the tar");
    }
    b.into_inner().expect("finish the tar")
}

/// A tar header with `name` and `link` copied byte for byte (the `tar`
/// crate's path setters refuse hostile names).
fn raw_header(name: &[u8], kind: tar::EntryType, size: u64, link: Option<&[u8]>) -> tar::Header {
    let mut h = tar::Header::new_gnu();
    {
        let gnu = h.as_gnu_mut().expect("a GNU header");
        gnu.name[..name.len()].copy_from_slice(name);
        if let Some(link) = link {
            gnu.linkname[..link.len()].copy_from_slice(link);
        }
    }
    h.set_entry_type(kind);
    h.set_size(size);
    h.set_mode(0o644);
    h.set_cksum();
    h
}

/// A tar of regular files with names written byte for byte, then `extra`.
fn raw_tar(entries: &[(&str, &[u8])], extra: Option<tar::Header>) -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    for (name, data) in entries {
        let h = raw_header(
            name.as_bytes(),
            tar::EntryType::Regular,
            data.len() as u64,
            None,
        );
        b.append(&h, *data).expect("append");
    }
    if let Some(h) = extra {
        b.append(&h, io::empty()).expect("append");
    }
    b.into_inner().expect("finish")
}

fn gz(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(data).expect("compress");
    e.finish().expect("finish gzip")
}

fn zip_options() -> zip::write::SimpleFileOptions {
    zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated)
}

/// A zip of `entries` (deflated): a name ending in `/` is a directory.
fn zip_of(entries: &[(&str, &[u8])]) -> Vec<u8> {
    let mut z = zip::ZipWriter::new(Cursor::new(Vec::new()));
    for (name, data) in entries {
        if let Some(dir) = name.strip_suffix('/') {
            z.add_directory(dir, zip_options()).expect("zip dir");
        } else {
            z.start_file(*name, zip_options()).expect("zip file");
            z.write_all(data).expect("zip data");
        }
    }
    z.finish().expect("finish zip").into_inner()
}

/// The same small tree in each format.
const TREE: &[(&str, &[u8])] = &[
    ("docs/", b""),
    ("docs/readme.txt", b"read me"),
    ("docs/deep/er/note.md", b"# note"),
    ("empty/", b""),
    ("bin/data.bin", &[0, 1, 2, 3, 255]),
    ("zero.txt", b""),
];

fn in_format(format: ArchiveFormat, entries: &[(&str, &[u8])]) -> Vec<u8> {
    match format {
        ArchiveFormat::Tar => tar_of(entries),
        ArchiveFormat::TarGz => gz(&tar_of(entries)),
        ArchiveFormat::Zip => zip_of(entries),
        _ => unreachable!("no other built-in format"),
    }
}

const FORMATS: [ArchiveFormat; 3] = [ArchiveFormat::Tar, ArchiveFormat::TarGz, ArchiveFormat::Zip];

fn files(fs: &MemoryFileSystem, prefix: &str) -> BTreeMap<String, Bytes> {
    fs.export_tree(prefix, false).expect("export")
}

fn expected_tree(prefix: &str) -> BTreeMap<String, Bytes> {
    TREE.iter()
        .filter(|(n, _)| !n.ends_with('/'))
        .map(|(n, d)| (format!("{prefix}/{n}"), Bytes::copy_from_slice(d)))
        .collect()
}

/// The quota charge of importing `entries`: each non-empty file costs its
/// length plus one chunk.
fn import_charge(entries: &[(&str, &[u8])]) -> u64 {
    entries
        .iter()
        .filter(|(n, d)| !n.ends_with('/') && !d.is_empty())
        .map(|(_, d)| d.len() as u64 + OVERHEAD)
        .sum()
}

#[track_caller]
fn unsafe_reason(e: &Error) -> UnsafeEntry {
    assert_eq!(e.kind(), ErrorKind::InvalidData, "{e:?}");
    match e {
        Error::UnsafeArchiveEntry { reason, .. } => reason.clone(),
        other => panic!("expected UnsafeArchiveEntry, got {other:?}"),
    }
}

#[track_caller]
fn assert_invalid_archive(e: &Error) {
    assert!(
        matches!(e, Error::InvalidArchive { .. }),
        "expected InvalidArchive, got {e:?}"
    );
    assert_eq!(e.kind(), ErrorKind::InvalidData);
}

fn expand(fs: &MemoryFileSystem, data: &[u8], dest: &str) -> dmemfs::Result<u64> {
    expand_archive(fs, Cursor::new(data), dest, ArchiveOptions::new())
}

fn stream(fs: &MemoryFileSystem, data: &[u8], dest: &str) -> Result<u64, ExpandError> {
    expand_archive_streaming(fs, Cursor::new(data), dest, ArchiveOptions::new())
}

// ---------------------------------------------------------------------------
// Expansion of well-formed archives
// ---------------------------------------------------------------------------

both_strategies!(
    archive_expand_each_format_detected,
    archive_expand_streaming_each_format,
    archive_expand_explicit_format,
    archive_expand_unrecognized_data,
    archive_expand_into_root_and_existing_dir,
    archive_expand_dest_is_a_file,
    archive_expand_pax_and_long_names,
    archive_expand_duplicates_last_wins,
    archive_expand_empty_archive_creates_dest,
);

fn archive_expand_each_format_detected(ctx: Ctx) {
    for format in FORMATS {
        let fs = ctx.fs_quota(1 << 20);
        let n = expand(&fs, &in_format(format, TREE), "/out").expect("expand");
        assert_eq!(n, 4, "{format:?}: files written");
        assert_eq!(files(&fs, "/out"), expected_tree("/out"), "{format:?}");
        assert!(
            fs.is_dir("/out/empty"),
            "{format:?}: empty directories are created"
        );
        assert_eq!(
            used(&fs),
            import_charge(TREE),
            "{format:?}: charged as an import"
        );
        // Imported files start clean, as import_tree's do.
        assert!(fs.export_tree("/", true).expect("export").is_empty());
    }
}

fn archive_expand_streaming_each_format(ctx: Ctx) {
    for format in FORMATS {
        let fs = ctx.fs_quota(1 << 20);
        let n = stream(&fs, &in_format(format, TREE), "/s").expect("expand");
        assert_eq!(n, 4, "{format:?}");
        assert_eq!(files(&fs, "/s"), expected_tree("/s"), "{format:?}");
        assert!(fs.is_dir("/s/empty"));
        assert_eq!(used(&fs), import_charge(TREE), "one chunk per small file");
    }
    // A large file streams in 64 KiB pieces, one stored chunk each.
    let big = pseudo_random(200_000, 7);
    let fs = ctx.fs_quota(1 << 20);
    let n = stream(&fs, &zip_of(&[("big.bin", &big)]), "/").expect("expand");
    assert_eq!(n, 1);
    assert_eq!(fs.read("/big.bin").expect("read"), big);
    assert_eq!(used(&fs), 200_000 + 4 * OVERHEAD);
}

fn archive_expand_explicit_format(ctx: Ctx) {
    let fs = ctx.fs_quota(1 << 20);
    let tar = tar_of(TREE);
    let opts = ArchiveOptions::new().format(ArchiveFormat::Tar);
    expand_archive(&fs, Cursor::new(&tar), "/a", opts).expect("tar as tar");
    let before = state(&fs);
    let e = expand_archive(
        &fs,
        Cursor::new(&tar),
        "/b",
        ArchiveOptions::new().format(ArchiveFormat::Zip),
    )
    .expect_err("tar read as zip");
    assert_invalid_archive(&e);
    assert!(e.to_string().contains("zip"), "{e}");
    let e = expand_archive(
        &fs,
        Cursor::new(&tar),
        "/b",
        ArchiveOptions::new().format(ArchiveFormat::TarGz),
    )
    .expect_err("tar read as tar.gz");
    assert_invalid_archive(&e);
    assert_eq!(state(&fs), before);
    assert_eq!(ArchiveFormat::detect(&tar), Some(ArchiveFormat::Tar));
    assert_eq!(ArchiveFormat::detect(&gz(&tar)), Some(ArchiveFormat::TarGz));
    assert_eq!(
        ArchiveFormat::detect(&zip_of(TREE)),
        Some(ArchiveFormat::Zip)
    );
}

fn archive_expand_unrecognized_data(ctx: Ctx) {
    let fs = ctx.fs();
    for data in [&b""[..], b"just some text", &[0xffu8; 600]] {
        let e = expand(&fs, data, "/x").expect_err("not an archive");
        assert_invalid_archive(&e);
        match &e {
            Error::InvalidArchive { format, .. } => assert_eq!(format, "unknown"),
            _ => unreachable!(),
        }
        let e = stream(&fs, data, "/x").expect_err("not an archive");
        assert_eq!(e.written, 0);
        assert_invalid_archive(&e.error);
    }
    assert!(!fs.exists("/x"));
}

fn archive_expand_into_root_and_existing_dir(ctx: Ctx) {
    let fs = ctx.fs();
    expand(&fs, &tar_of(TREE), "/").expect("into the root");
    assert_eq!(files(&fs, "/"), expected_tree(""));
    fs.mkdir("/there", false).expect("mkdir");
    fs.write("/there/keep.txt", b"kept").expect("write");
    expand(&fs, &tar_of(TREE), "/there").expect("into an existing directory");
    assert_eq!(fs.read("/there/keep.txt").expect("read"), b"kept");
    assert_eq!(fs.read("/there/docs/readme.txt").expect("read"), b"read me");
    // A relative destination is taken from the root.
    expand(&fs, &tar_of(TREE), "rel/dir").expect("relative");
    assert!(fs.is_file("/rel/dir/zero.txt"));
}

fn archive_expand_dest_is_a_file(ctx: Ctx) {
    let fs = ctx.fs();
    fs.write("/file", b"x").expect("write");
    let e = expand(&fs, &tar_of(TREE), "/file").expect_err("a file as dest");
    assert_eq!(e.kind(), ErrorKind::NotADirectory, "{e:?}");
    let e = stream(&fs, &tar_of(TREE), "/file/below").expect_err("through a file");
    assert_eq!(e.kind(), ErrorKind::NotADirectory, "{e:?}");
    assert_eq!(e.written, 0);
    // An archive file whose path is a directory here.
    fs.mkdir("/d/docs/readme.txt", false).expect("mkdir");
    let before_dir = state(&fs);
    let e = expand(&fs, &tar_of(TREE), "/d").expect_err("a directory in the way");
    assert_eq!(e.kind(), ErrorKind::IsADirectory, "{e:?}");
    assert_eq!(state(&fs), before_dir);
}

fn archive_expand_pax_and_long_names(ctx: Ctx) {
    // The tar crate writes GNU long-name entries for long paths; a PAX
    // header gives another entry its path.
    let long = format!("{}/{}.txt", "d".repeat(120), "n".repeat(150));
    let mut b = tar::Builder::new(Vec::new());
    let mut h = tar::Header::new_gnu();
    h.set_size(4);
    h.set_mode(0o644);
    b.append_data(&mut h, &long, &b"long"[..])
        .expect("long name");
    b.append_pax_extensions([("path", "pax/named by pax.txt".as_bytes())])
        .expect("pax");
    let h = raw_header(b"ignored-name", tar::EntryType::Regular, 3, None);
    b.append(&h, &b"pax"[..]).expect("pax entry");
    let tar = b.into_inner().expect("finish");
    let fs = ctx.fs();
    expand(&fs, &tar, "/t").expect("expand");
    assert_eq!(fs.read(&format!("/t/{long}")).expect("long"), b"long");
    assert_eq!(fs.read("/t/pax/named by pax.txt").expect("pax"), b"pax");
    assert!(!fs.exists("/t/ignored-name"));
    let fs = ctx.fs();
    stream(&fs, &gz(&tar), "/t").expect("expand");
    assert_eq!(fs.read("/t/pax/named by pax.txt").expect("pax"), b"pax");
}

fn archive_expand_duplicates_last_wins(ctx: Ctx) {
    let entries: &[(&str, &[u8])] = &[
        ("a.txt", b"first"),
        ("b.txt", b"b"),
        ("./a.txt", b"second!"),
    ];
    for format in [ArchiveFormat::Tar, ArchiveFormat::TarGz] {
        let fs = ctx.fs();
        assert_eq!(
            expand(&fs, &in_format(format, entries), "/").expect("expand"),
            2
        );
        assert_eq!(fs.read("/a.txt").expect("read"), b"second!");
        assert_eq!(used(&fs), 7 + 1 + 2 * OVERHEAD);
        let fs = ctx.fs();
        assert_eq!(
            stream(&fs, &in_format(format, entries), "/").expect("expand"),
            2
        );
        assert_eq!(fs.read("/a.txt").expect("read"), b"second!");
        assert_eq!(used(&fs), 7 + 1 + 2 * OVERHEAD);
    }
}

fn archive_expand_empty_archive_creates_dest(ctx: Ctx) {
    let fs = ctx.fs();
    assert_eq!(expand(&fs, &tar_of(&[]), "/e").expect("empty tar"), 0);
    assert!(fs.is_dir("/e"));
    assert_eq!(stream(&fs, &zip_of(&[]), "/z").expect("empty zip"), 0);
    assert!(fs.is_dir("/z"));
}

// ---------------------------------------------------------------------------
// Conflicts
// ---------------------------------------------------------------------------

both_strategies!(
    archive_conflict_error_writes_nothing,
    archive_conflict_skip_keeps_existing,
    archive_conflict_overwrite_replaces,
    archive_conflict_streaming,
    archive_conflict_open_file_is_busy,
);

fn seeded(ctx: Ctx) -> MemoryFileSystem {
    let fs = ctx.fs_quota(1 << 20);
    fs.mkdir("/out/docs", false).expect("mkdir");
    fs.write("/out/docs/readme.txt", b"mine, longer than theirs")
        .expect("write");
    fs
}

fn archive_conflict_error_writes_nothing(ctx: Ctx) {
    for format in FORMATS {
        let fs = seeded(ctx);
        let before = state(&fs);
        let e = expand(&fs, &in_format(format, TREE), "/out").expect_err("conflict");
        assert_eq!(
            e,
            Error::AlreadyExists {
                path: "/out/docs/readme.txt".into()
            }
        );
        assert_eq!(state(&fs), before, "{format:?}: nothing written");
    }
    assert_eq!(ArchiveOptions::new().conflict_policy(), OnConflict::Error);
}

fn archive_conflict_skip_keeps_existing(ctx: Ctx) {
    let fs = seeded(ctx);
    let opts = ArchiveOptions::new().on_conflict(OnConflict::Skip);
    let n = expand_archive(&fs, Cursor::new(zip_of(TREE)), "/out", opts.clone()).expect("skip");
    assert_eq!(n, 3, "the existing file is not counted");
    assert_eq!(
        fs.read("/out/docs/readme.txt").expect("read"),
        b"mine, longer than theirs"
    );
    assert_eq!(
        fs.read("/out/docs/deep/er/note.md").expect("read"),
        b"# note"
    );
    let charge_before = used(&fs);
    // Again: everything exists now.
    let n = expand_archive(&fs, Cursor::new(zip_of(TREE)), "/out", opts.clone()).expect("skip");
    assert_eq!(n, 0);
    assert_eq!(used(&fs), charge_before);
    let n = expand_archive_streaming(&fs, Cursor::new(tar_of(TREE)), "/out", opts).expect("skip");
    assert_eq!(n, 0);
    assert_eq!(used(&fs), charge_before);
}

fn archive_conflict_overwrite_replaces(ctx: Ctx) {
    let fs = seeded(ctx);
    let opts = ArchiveOptions::new().on_conflict(OnConflict::Overwrite);
    let n = expand_archive(&fs, Cursor::new(tar_of(TREE)), "/out", opts).expect("overwrite");
    assert_eq!(n, 4);
    assert_eq!(files(&fs, "/out"), expected_tree("/out"));
    assert_eq!(
        used(&fs),
        import_charge(TREE),
        "the replaced file's charge is given back"
    );
    // Replacing can fit where adding would not: the old files free room.
    let fs = ctx.fs_quota(2 * (1000 + OVERHEAD));
    fs.write("/a", vec![1u8; 1000]).expect("write");
    fs.write("/b", vec![1u8; 1000]).expect("write");
    let tar = tar_of(&[("a", &[2u8; 1000]), ("b", &[2u8; 1000])]);
    let opts = ArchiveOptions::new().on_conflict(OnConflict::Overwrite);
    expand_archive(&fs, Cursor::new(&tar), "/", opts.clone()).expect("fits by replacing");
    assert_eq!(fs.read("/a").expect("read"), vec![2u8; 1000]);
    expand_archive_streaming(&fs, Cursor::new(&tar), "/", opts).expect("fits by replacing");
    assert_eq!(used(&fs), 2 * (1000 + OVERHEAD));
}

fn archive_conflict_streaming(ctx: Ctx) {
    let fs = seeded(ctx);
    // TREE in order: docs/, docs/readme.txt (conflict), ...
    let entries: &[(&str, &[u8])] = &[
        ("first.txt", b"1"),
        ("docs/readme.txt", b"theirs"),
        ("last.txt", b"3"),
    ];
    let e = stream(&fs, &tar_of(entries), "/out").expect_err("conflict");
    assert_eq!(e.written, 1);
    assert_eq!(e.written_paths, ["/out/first.txt"]);
    assert_eq!(
        e.error,
        Error::AlreadyExists {
            path: "/out/docs/readme.txt".into()
        }
    );
    assert_eq!(e.kind(), ErrorKind::AlreadyExists);
    assert!(e.to_string().contains("1 files"), "{e}");
    assert!(fs.is_file("/out/first.txt") && !fs.exists("/out/last.txt"));
    // Converting keeps the error.
    let as_error: Error = e.clone().into();
    assert_eq!(as_error.kind(), ErrorKind::AlreadyExists);
    let as_io: io::Error = e.into();
    assert_eq!(as_io.kind(), ErrorKind::AlreadyExists);
    let opts = ArchiveOptions::new().on_conflict(OnConflict::Overwrite);
    let n = expand_archive_streaming(&fs, Cursor::new(tar_of(entries)), "/out", opts)
        .expect("overwrite");
    assert_eq!(n, 3);
    assert_eq!(fs.read("/out/docs/readme.txt").expect("read"), b"theirs");
}

fn archive_conflict_open_file_is_busy(ctx: Ctx) {
    let fs = seeded(ctx);
    let h = fs
        .open("/out/docs/readme.txt", OpenMode::Read)
        .expect("open");
    let before = state(&fs);
    let opts = ArchiveOptions::new().on_conflict(OnConflict::Overwrite);
    let e = expand_archive(&fs, Cursor::new(tar_of(TREE)), "/out", opts).expect_err("open");
    assert_eq!(e.kind(), ErrorKind::ResourceBusy, "{e:?}");
    assert_eq!(state(&fs), before);
    drop(h);
}

// ---------------------------------------------------------------------------
// Hostile archives
// ---------------------------------------------------------------------------

both_strategies!(
    archive_hostile_path_traversal,
    archive_hostile_absolute_paths,
    archive_hostile_links,
    archive_hostile_devices,
    archive_hostile_streaming_keeps_what_came_before,
    archive_hostile_zip_bomb_is_bounded_by_the_quota,
    archive_hostile_zip_bomb_with_a_lying_size,
    archive_hostile_gzip_bomb,
    archive_hostile_tar_header_lies_about_size,
    archive_hostile_huge_extension_header,
    archive_hostile_corrupt_zip,
);

/// Runs `data` through both modes into a fresh filesystem and returns
/// the errors; asserts that the atomic mode changed nothing.
#[track_caller]
fn refused_both_ways(ctx: Ctx, data: &[u8]) -> (Error, ExpandError) {
    let fs = ctx.fs_quota(1 << 20);
    let before = state(&fs);
    let atomic = expand(&fs, data, "/dest").expect_err("refused");
    assert_eq!(
        state(&fs),
        before,
        "atomic expansion left the filesystem as it was"
    );
    let fs = ctx.fs_quota(1 << 20);
    let streaming = stream(&fs, data, "/dest").expect_err("refused");
    assert!(
        fs.export_tree("/", false)
            .expect("export")
            .keys()
            .all(|p| p.starts_with("/dest/")),
        "nothing outside dest"
    );
    (atomic, streaming)
}

fn archive_hostile_path_traversal(ctx: Ctx) {
    for name in [
        "../evil.txt",
        "a/../../evil.txt",
        "..\\evil.txt",
        "ok/../../../../etc/passwd",
    ] {
        let tar = raw_tar(&[(name, b"x")], None);
        let (a, s) = refused_both_ways(ctx, &tar);
        assert_eq!(unsafe_reason(&a), UnsafeEntry::EscapesDestination, "{name}");
        assert_eq!(
            unsafe_reason(&s.error),
            UnsafeEntry::EscapesDestination,
            "{name}"
        );
        let (a, _) = refused_both_ways(ctx, &zip_of(&[(name, b"x")]));
        assert_eq!(
            unsafe_reason(&a),
            UnsafeEntry::EscapesDestination,
            "zip {name}"
        );
    }
    // `..` that stays inside is fine.
    let fs = ctx.fs();
    expand(&fs, &raw_tar(&[("a/../b.txt", b"b")], None), "/d").expect("stays inside");
    assert_eq!(fs.read("/d/b.txt").expect("read"), b"b");
}

fn archive_hostile_absolute_paths(ctx: Ctx) {
    for name in ["/etc/passwd", "\\windows\\evil", "C:/evil", "c:\\evil"] {
        let (a, s) = refused_both_ways(ctx, &raw_tar(&[(name, b"x")], None));
        assert_eq!(unsafe_reason(&a), UnsafeEntry::AbsolutePath, "{name}");
        assert_eq!(unsafe_reason(&s.error), UnsafeEntry::AbsolutePath, "{name}");
        match &a {
            Error::UnsafeArchiveEntry { entry, .. } => assert_eq!(entry, name),
            _ => unreachable!(),
        }
    }
    let (a, _) = refused_both_ways(ctx, &zip_of(&[("/abs.txt", b"x")]));
    assert_eq!(unsafe_reason(&a), UnsafeEntry::AbsolutePath);
}

fn archive_hostile_links(ctx: Ctx) {
    let sym = raw_header(b"link", tar::EntryType::Symlink, 0, Some(b"/etc/passwd"));
    let (a, s) = refused_both_ways(ctx, &raw_tar(&[("ok.txt", b"fine")], Some(sym)));
    assert_eq!(
        unsafe_reason(&a),
        UnsafeEntry::Symlink {
            target: "/etc/passwd".into()
        }
    );
    assert_eq!(
        unsafe_reason(&s.error),
        UnsafeEntry::Symlink {
            target: "/etc/passwd".into()
        }
    );
    assert_eq!(s.written, 1, "the entry before the link was written");
    // Even a link pointing inside is refused: the filesystem has no links.
    let hard = raw_header(b"hard", tar::EntryType::Link, 0, Some(b"ok.txt"));
    let (a, _) = refused_both_ways(ctx, &raw_tar(&[("ok.txt", b"fine")], Some(hard)));
    assert_eq!(
        unsafe_reason(&a),
        UnsafeEntry::HardLink {
            target: "ok.txt".into()
        }
    );
    // zip symlinks (unix mode S_IFLNK).
    let mut z = zip::ZipWriter::new(Cursor::new(Vec::new()));
    z.add_symlink("escape", "../../outside", zip_options())
        .expect("zip symlink");
    let zip = z.finish().expect("finish").into_inner();
    let (a, _) = refused_both_ways(ctx, &zip);
    assert_eq!(
        unsafe_reason(&a),
        UnsafeEntry::Symlink {
            target: "../../outside".into()
        }
    );
}

fn archive_hostile_devices(ctx: Ctx) {
    for (kind, what) in [
        (tar::EntryType::Char, "character device"),
        (tar::EntryType::Block, "block device"),
        (tar::EntryType::Fifo, "FIFO"),
    ] {
        let h = raw_header(b"dev/thing", kind, 0, None);
        let (a, _) = refused_both_ways(ctx, &raw_tar(&[], Some(h)));
        assert_eq!(
            unsafe_reason(&a),
            UnsafeEntry::Special {
                description: what.into()
            }
        );
    }
}

fn archive_hostile_streaming_keeps_what_came_before(ctx: Ctx) {
    let tar = raw_tar(
        &[
            ("one.txt", b"1"),
            ("two/two.txt", b"22"),
            ("../evil", b"x"),
            ("three.txt", b"3"),
        ],
        None,
    );
    let fs = ctx.fs();
    let e = stream(&fs, &gz(&tar), "/d").expect_err("refused");
    assert_eq!(e.written, 2);
    assert_eq!(e.written_paths, ["/d/one.txt", "/d/two/two.txt"]);
    assert_eq!(unsafe_reason(&e.error), UnsafeEntry::EscapesDestination);
    assert_eq!(fs.read("/d/two/two.txt").expect("read"), b"22");
    assert!(!fs.exists("/d/three.txt"));
    assert_eq!(used(&fs), 1 + 2 + 2 * OVERHEAD);
}

/// 16 MiB of zeros deflate to a few KiB.
const BOMB: usize = 16 << 20;

fn archive_hostile_zip_bomb_is_bounded_by_the_quota(ctx: Ctx) {
    let zeros = vec![0u8; BOMB];
    let zip = zip_of(&[
        ("small.txt", b"small"),
        ("bomb.bin", &zeros),
        ("after.txt", b"x"),
    ]);
    assert!(zip.len() < 100_000, "a real bomb: {} bytes", zip.len());
    drop(zeros);
    let quota = 1 << 20;
    let fs = ctx.fs_quota(quota);
    let before = state(&fs);
    let e = expand(&fs, &zip, "/").expect_err("over the quota");
    assert!(matches!(e, Error::QuotaExceeded { .. }), "{e:?}");
    assert_eq!(state(&fs), before);
    let e = stream(&fs, &zip, "/").expect_err("over the quota");
    assert!(matches!(e.error, Error::QuotaExceeded { .. }), "{e:?}");
    assert_eq!(e.written_paths, ["/small.txt"]);
    assert!(!fs.exists("/bomb.bin"), "no partial file");
    assert_eq!(used(&fs), 5 + OVERHEAD);
}

/// `zip` with every declared uncompressed size set to `size` (local and
/// central headers).
fn lie_about_sizes(mut zip: Vec<u8>, size: u32) -> Vec<u8> {
    let mut i = 0;
    while i + 4 <= zip.len() {
        match &zip[i..i + 4] {
            b"PK\x03\x04" => zip[i + 22..i + 26].copy_from_slice(&size.to_le_bytes()),
            b"PK\x01\x02" => zip[i + 24..i + 28].copy_from_slice(&size.to_le_bytes()),
            _ => {}
        }
        i += 1;
    }
    zip
}

fn archive_hostile_zip_bomb_with_a_lying_size(ctx: Ctx) {
    let zip = lie_about_sizes(zip_of(&[("bomb.bin", &vec![0u8; BOMB])]), 100_000);
    let fs = ctx.fs_quota(1 << 20);
    let before = state(&fs);
    let e = expand(&fs, &zip, "/").expect_err("refused");
    assert!(
        matches!(
            e,
            Error::InvalidArchive { .. } | Error::QuotaExceeded { .. }
        ),
        "{e:?}"
    );
    assert_eq!(state(&fs), before);
    let e = stream(&fs, &zip, "/").expect_err("refused");
    assert!(
        matches!(
            e.error,
            Error::InvalidArchive { .. } | Error::QuotaExceeded { .. }
        ),
        "{e:?}"
    );
    assert_eq!(e.written, 0);
    assert_eq!(state(&fs), before, "the partial file was removed");
    // The same bomb with no quota to speak of: refused as soon as the data
    // outgrows its declared size.
    let fs = ctx.fs_quota(1 << 30);
    let e = expand(&fs, &zip, "/").expect_err("refused");
    assert_invalid_archive(&e);
    assert_eq!(used(&fs), 0);
}

fn archive_hostile_gzip_bomb(ctx: Ctx) {
    let tgz = gz(&tar_of(&[("ok", b"ok"), ("bomb.bin", &vec![0u8; BOMB])]));
    assert!(tgz.len() < 100_000);
    let (a, s) = refused_both_ways(ctx, &tgz);
    assert!(matches!(a, Error::QuotaExceeded { .. }), "{a:?}");
    assert!(matches!(s.error, Error::QuotaExceeded { .. }), "{s:?}");
    assert_eq!(s.written, 1);
}

fn archive_hostile_tar_header_lies_about_size(ctx: Ctx) {
    // Declares 1000 bytes, the archive ends after 10.
    let mut truncated = raw_header(b"short.bin", tar::EntryType::Regular, 1000, None)
        .as_bytes()
        .to_vec();
    truncated.extend_from_slice(&[7u8; 10]);
    let (a, s) = refused_both_ways(ctx, &truncated);
    assert_invalid_archive(&a);
    assert_invalid_archive(&s.error);
    // Declares 10 bytes, carries 1000: the rest is read as a header.
    let mut longer = raw_header(b"long.bin", tar::EntryType::Regular, 10, None)
        .as_bytes()
        .to_vec();
    longer.extend_from_slice(&[b'A'; 1024]);
    longer.extend_from_slice(&[0u8; 1024]);
    let (a, s) = refused_both_ways(ctx, &longer);
    assert_invalid_archive(&a);
    assert_invalid_archive(&s.error);
    // Declares more than the quota: refused before reading.
    let mut huge = raw_header(b"huge.bin", tar::EntryType::Regular, 1 << 40, None)
        .as_bytes()
        .to_vec();
    huge.extend_from_slice(&[1u8; 4096]);
    let (a, s) = refused_both_ways(ctx, &huge);
    assert!(matches!(a, Error::QuotaExceeded { .. }), "{a:?}");
    assert!(matches!(s.error, Error::QuotaExceeded { .. }), "{s:?}");
}

fn archive_hostile_huge_extension_header(ctx: Ctx) {
    // A 64 MiB PAX header (zeros, so a tiny .tar.gz): the tar crate would
    // read it whole; it is refused unread.
    let size = 64u64 << 20;
    let h = raw_header(b"PaxHeader", tar::EntryType::XHeader, size, None);
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    enc.write_all(h.as_bytes()).expect("gz");
    let zeros = vec![0u8; 1 << 20];
    for _ in 0..64 {
        enc.write_all(&zeros).expect("gz");
    }
    enc.write_all(raw_header(b"victim", tar::EntryType::Regular, 0, None).as_bytes())
        .expect("gz");
    enc.write_all(&[0u8; 1024]).expect("gz");
    let tgz = enc.finish().expect("gz");
    let (a, _) = refused_both_ways(ctx, &tgz);
    assert_invalid_archive(&a);
    assert!(a.to_string().contains("extension header"), "{a}");
}

fn archive_hostile_corrupt_zip(ctx: Ctx) {
    let mut zip = zip_of(&[("a.txt", &pseudo_random(10_000, 3))]);
    // Flip bytes in the compressed data (after the 30-byte local header and name).
    for b in &mut zip[40..60] {
        *b ^= 0x5a;
    }
    let (a, s) = refused_both_ways(ctx, &zip);
    assert_invalid_archive(&a);
    assert_invalid_archive(&s.error);
    // Cut short: no central directory.
    let zip = zip_of(TREE);
    let (a, _) = refused_both_ways(ctx, &zip[..zip.len() / 2]);
    assert_invalid_archive(&a);
}

// ---------------------------------------------------------------------------
// Limits met while expanding
// ---------------------------------------------------------------------------

both_strategies!(
    archive_limits_quota_exact_fit,
    archive_limits_node_limit,
    archive_limits_memory_guard,
    archive_limits_reader_failure_is_io,
);

fn archive_limits_quota_exact_fit(ctx: Ctx) {
    let entries: &[(&str, &[u8])] = &[("a", &[1u8; 300]), ("b", &[2u8; 300])];
    let exact = import_charge(entries);
    let fs = ctx.fs_quota(exact);
    expand(&fs, &tar_of(entries), "/").expect("fits exactly");
    assert_eq!(fs.stats().free_bytes, 0);
    let fs = ctx.fs_quota(exact - 1);
    let e = expand(&fs, &tar_of(entries), "/").expect_err("one byte short");
    assert_eq!(
        e,
        Error::QuotaExceeded {
            requested: exact,
            available: exact - 1
        }
    );
    let e = stream(&fs, &tar_of(entries), "/").expect_err("one byte short");
    assert_eq!(e.written_paths, ["/a"]);
    assert!(e.error.is_quota());
    assert_eq!(used(&fs), 300 + OVERHEAD);
}

fn archive_limits_node_limit(ctx: Ctx) {
    let fs = ctx.fs_with(|b| b.max_nodes(5));
    let before = state(&fs);
    // /out, docs, docs/readme, docs/deep, docs/deep/er, ... > 5 nodes.
    let e = expand(&fs, &tar_of(TREE), "/out").expect_err("too many nodes");
    assert!(matches!(e, Error::NodeLimitExceeded { .. }), "{e:?}");
    assert_eq!(state(&fs), before);
    let e = stream(&fs, &tar_of(TREE), "/out").expect_err("too many nodes");
    assert!(matches!(e.error, Error::NodeLimitExceeded { .. }), "{e:?}");
    assert!(fs.stats().file_count + fs.stats().dir_count <= 5);
}

#[derive(Debug)]
struct Scripted(std::sync::Mutex<Vec<u64>>);

impl MemorySource for Scripted {
    fn available_bytes(&self) -> Option<u64> {
        let mut v = self.0.lock().expect("script");
        if v.len() > 1 {
            v.pop()
        } else {
            v.first().copied()
        }
    }
}

fn archive_limits_memory_guard(ctx: Ctx) {
    // 1 MiB of memory at build, 1000 bytes from the first write on.
    let source = Arc::new(Scripted(std::sync::Mutex::new(vec![1000, 1 << 20])));
    let fs = ctx.fs_with(|b| {
        b.max_quota(1 << 20)
            .memory_guard(MemoryGuard::PerWrite {
                interval: std::time::Duration::from_secs(3600),
            })
            .memory_guard_action(GuardAction::Raise)
            .memory_source(source)
    });
    let before = state(&fs);
    let e = expand(&fs, &tar_of(&[("a", &[0u8; 600]), ("b", &[0u8; 600])]), "/")
        .expect_err("short of memory");
    assert!(matches!(e, Error::MemoryGuard { .. }), "{e:?}");
    assert_eq!(state(&fs), before);
    let e =
        stream(&fs, &tar_of(&[("a", &[0u8; 600]), ("b", &[0u8; 600])]), "/").expect_err("short");
    assert!(matches!(e.error, Error::MemoryGuard { .. }), "{e:?}");
    assert_eq!(e.written_paths, ["/a"]);
    assert!(!fs.exists("/b"));
}

/// Fails with `kind` once `ok` bytes were read.
struct Failing {
    inner: Cursor<Vec<u8>>,
    ok: u64,
}

impl Read for Failing {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.inner.position() >= self.ok {
            return Err(io::Error::new(
                ErrorKind::ConnectionReset,
                "the source went away",
            ));
        }
        let room = (self.ok - self.inner.position()) as usize;
        let n = buf.len().min(room);
        self.inner.read(&mut buf[..n])
    }
}

impl Seek for Failing {
    fn seek(&mut self, pos: SeekFrom) -> io::Result<u64> {
        self.inner.seek(pos)
    }
}

fn archive_limits_reader_failure_is_io(ctx: Ctx) {
    let tar = tar_of(&[("a", &[1u8; 5000]), ("b", &[2u8; 5000])]);
    let fs = ctx.fs();
    let before = state(&fs);
    let e = expand_archive(
        &fs,
        Failing {
            inner: Cursor::new(tar.clone()),
            ok: 7000,
        },
        "/",
        ArchiveOptions::new(),
    )
    .expect_err("source fails");
    assert!(
        matches!(
            e,
            Error::Io {
                kind: ErrorKind::ConnectionReset,
                ..
            }
        ),
        "{e:?}"
    );
    assert_eq!(e.kind(), ErrorKind::ConnectionReset);
    assert_eq!(state(&fs), before);
    let e = expand_archive_streaming(
        &fs,
        Failing {
            inner: Cursor::new(tar),
            ok: 7000,
        },
        "/",
        ArchiveOptions::new(),
    )
    .expect_err("source fails");
    assert_eq!(e.kind(), ErrorKind::ConnectionReset, "{e:?}");
    assert_eq!(e.written_paths, ["/a"]);
}

// ---------------------------------------------------------------------------
// Export
// ---------------------------------------------------------------------------

both_strategies!(
    archive_export_round_trip_each_format,
    archive_export_names_are_relative,
    archive_export_single_file_and_missing_prefix,
    archive_export_to_a_failing_writer,
);

fn sample_tree(fs: &MemoryFileSystem) {
    fs.mkdir("/proj/src/deep", false).expect("mkdir");
    fs.mkdir("/proj/empty/nested", false).expect("mkdir");
    fs.write("/proj/README", b"readme").expect("write");
    fs.write("/proj/src/main.rs", b"fn main() {}")
        .expect("write");
    fs.write("/proj/src/deep/blob", pseudo_random(100_000, 9))
        .expect("write");
    fs.write("/proj/zero", b"").expect("write");
    fs.write("/outside", b"not exported").expect("write");
}

fn tree_shape(fs: &MemoryFileSystem, top: &str) -> Vec<(String, Vec<String>, Vec<String>)> {
    fs.walk(top)
        .expect("walk")
        .map(|(d, ds, fs_)| (d[top.len()..].to_owned(), ds, fs_))
        .collect()
}

fn archive_export_round_trip_each_format(ctx: Ctx) {
    let src = ctx.fs();
    sample_tree(&src);
    for format in FORMATS {
        let mut out = Vec::new();
        let n = export_archive(&src, "/proj", &mut out, format).expect("export");
        assert_eq!(n, 4, "{format:?}");
        assert_eq!(ArchiveFormat::detect(&out), Some(format));
        let dst = ctx.fs();
        expand(&dst, &out, "/copy").expect("expand the export");
        let strip = |m: BTreeMap<String, Bytes>, p: &str| -> BTreeMap<String, Bytes> {
            m.into_iter()
                .map(|(k, v)| (k[p.len()..].to_owned(), v))
                .collect()
        };
        assert_eq!(
            strip(files(&dst, "/copy"), "/copy"),
            strip(files(&src, "/proj"), "/proj"),
            "{format:?}"
        );
        assert_eq!(
            tree_shape(&dst, "/copy"),
            tree_shape(&src, "/proj"),
            "{format:?}: empty dirs too"
        );
    }
    // The whole filesystem.
    let mut out = Vec::new();
    assert_eq!(
        export_archive(&src, "/", &mut out, ArchiveFormat::TarGz).expect("export"),
        5
    );
    let dst = ctx.fs();
    expand(&dst, &out, "/").expect("expand");
    assert_eq!(files(&dst, "/"), files(&src, "/"));
}

fn archive_export_names_are_relative(ctx: Ctx) {
    let fs = ctx.fs();
    sample_tree(&fs);
    let mut out = Vec::new();
    export_archive(&fs, "/proj/src", &mut out, ArchiveFormat::Tar).expect("export");
    let mut archive = tar::Archive::new(Cursor::new(out));
    let names: Vec<String> = archive
        .entries()
        .expect("entries")
        .map(|e| {
            e.expect("entry")
                .path()
                .expect("path")
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    assert_eq!(names, ["deep/", "deep/blob", "main.rs"]);
    let mut out = Cursor::new(Vec::new());
    export_archive(&fs, "/proj/src", &mut out, ArchiveFormat::Zip).expect("export");
    let z = zip::ZipArchive::new(out).expect("a valid zip");
    let names: Vec<&str> = z.file_names().collect();
    assert_eq!(names, ["deep/", "deep/blob", "main.rs"]);
}

fn archive_export_single_file_and_missing_prefix(ctx: Ctx) {
    let fs = ctx.fs();
    sample_tree(&fs);
    let mut out = Vec::new();
    assert_eq!(
        export_archive(&fs, "/proj/src/main.rs", &mut out, ArchiveFormat::Zip).expect("export"),
        1
    );
    let dst = ctx.fs();
    expand(&dst, &out, "/").expect("expand");
    assert_eq!(dst.read("/main.rs").expect("read"), b"fn main() {}");
    let e = export_archive(&fs, "/nope", Vec::new(), ArchiveFormat::Tar).expect_err("missing");
    assert_eq!(e.kind(), ErrorKind::NotFound);
}

struct FailingWriter(usize);

impl Write for FailingWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.0 == 0 {
            return Err(io::Error::new(ErrorKind::StorageFull, "disk full"));
        }
        let n = buf.len().min(self.0);
        self.0 -= n;
        Ok(n)
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

fn archive_export_to_a_failing_writer(ctx: Ctx) {
    let fs = ctx.fs();
    sample_tree(&fs);
    for format in FORMATS {
        let e = export_archive(&fs, "/proj", FailingWriter(1000), format).expect_err("full");
        assert_eq!(e.kind(), ErrorKind::StorageFull, "{format:?}: {e:?}");
        assert!(matches!(e, Error::Io { .. }));
    }
}

// ---------------------------------------------------------------------------
// A custom adapter
// ---------------------------------------------------------------------------

/// A toy format: `LINES\n` then `name<TAB>content` lines; `name/` is a
/// directory.
#[derive(Debug)]
struct Lines;

impl ArchiveAdapter for Lines {
    fn name(&self) -> &str {
        "lines"
    }

    fn detect(&self, head: &[u8]) -> bool {
        head.starts_with(b"LINES\n")
    }

    fn read_entries(
        &self,
        source: &mut dyn ReadSeek,
        visit: &mut dyn FnMut(ArchiveEntry<'_>) -> dmemfs::Result<()>,
    ) -> dmemfs::Result<()> {
        let mut text = String::new();
        source
            .read_to_string(&mut text)
            .map_err(|e| Error::InvalidArchive {
                format: "lines".into(),
                reason: e.to_string(),
            })?;
        for line in text.lines().skip(1) {
            let (name, content) = line.split_once('\t').unwrap_or((line, ""));
            let kind = if name.ends_with('/') {
                EntryKind::Directory
            } else {
                EntryKind::File
            };
            visit(ArchiveEntry {
                name: name.to_owned(),
                kind,
                size: None,
                reader: &mut content.as_bytes(),
            })?;
        }
        Ok(())
    }
}

both_strategies!(archive_custom_adapter);

fn archive_custom_adapter(ctx: Ctx) {
    let data = b"LINES\nnotes/\nnotes/a.txt\talpha\nb.txt\tbeta\n";
    let fs = ctx.fs();
    // Not detected unless registered.
    assert_invalid_archive(&expand(&fs, data, "/x").expect_err("unknown"));
    let opts = ArchiveOptions::new().register(Arc::new(Lines));
    assert_eq!(
        expand_archive(&fs, Cursor::new(data), "/x", opts.clone()).expect("registered"),
        2
    );
    assert_eq!(fs.read("/x/notes/a.txt").expect("read"), b"alpha");
    // Built-in formats are still detected with an adapter registered.
    expand_archive(&fs, Cursor::new(tar_of(TREE)), "/t", opts).expect("tar");
    // Forced.
    let opts = ArchiveOptions::new()
        .adapter(Arc::new(Lines))
        .on_conflict(OnConflict::Overwrite);
    assert_eq!(
        expand_archive_streaming(&fs, Cursor::new(data), "/x", opts).expect("forced"),
        2
    );
    // The safety checks apply to custom adapters too.
    let hostile = b"LINES\nok\tfine\n../../escape\tgotcha\n";
    let opts = ArchiveOptions::new().adapter(Arc::new(Lines));
    let e = expand_archive(&fs, Cursor::new(hostile), "/h", opts).expect_err("escape");
    assert_eq!(unsafe_reason(&e), UnsafeEntry::EscapesDestination);
    assert!(!fs.exists("/h"));
    // No writer: exporting through it is Unsupported.
    let e = export_archive_with(&fs, "/x", Vec::new(), &Lines).expect_err("cannot write");
    assert_eq!(e.kind(), ErrorKind::Unsupported);
}
