//! `std::error::Error::source` of every `Error` made from a lower error:
//! one test per chain (storage, tree, path, I/O), each checking that the
//! source is the lower error itself, with its own fields, and that errors
//! whose fields already say everything have none. A failed writer-thread
//! spawn is in `writer_spawn_failure.rs` (it needs a process of its own).

#![allow(missing_docs)]

#[macro_use]
mod common;

use std::error::Error as _;
use std::io::{ErrorKind, Seek, SeekFrom, Write};

use common::*;
use dmemfs::{Bytes, Error, OpenMode, PathError, StorageError, StorageKind, TreeError};

/// The error's source, downcast to the lower error type `T`.
#[track_caller]
fn lower<T: std::error::Error + 'static>(e: &Error) -> &T {
    let source = e.source().unwrap_or_else(|| panic!("{e:?} has no source"));
    source.downcast_ref::<T>().unwrap_or_else(|| {
        panic!(
            "the source of {e:?} is not a {}",
            std::any::type_name::<T>()
        )
    })
}

both_strategies!(
    storage_refused_sequential_write_is_the_source,
    storage_promotion_limit_is_the_source,
    storage_past_the_largest_offset_is_the_source,
    tree_root_refusal_is_the_source,
    tree_move_into_own_subtree_is_the_source,
    tree_bad_pattern_is_the_source,
    path_errors_are_the_source,
    errors_whose_fields_say_everything_have_no_source,
    errors_with_a_source_clone_and_compare,
);

// ---------------------------------------------------------------------------
// StorageError
// ---------------------------------------------------------------------------

fn storage_refused_sequential_write_is_the_source(ctx: Ctx) {
    let fs = ctx.fs_with(|b| b.default_storage(StorageKind::Sequential));
    fs.write("/f", b"0123456789").unwrap();
    let mut h = fs.open("/f", OpenMode::ReadWrite).unwrap();
    h.seek(SeekFrom::Start(2)).unwrap();
    let e = h.write_bytes(Bytes::from_static(b"abc")).unwrap_err();
    assert!(
        matches!(&e, Error::Unsupported { path, .. } if path == "/f"),
        "{e:?}"
    );
    assert_eq!(
        lower::<StorageError>(&e),
        &StorageError::RandomWriteUnsupported {
            offset: 2,
            len: 3,
            size: 10
        }
    );
    // The same chain survives `?` into `std::io::Error`.
    let io = h.write(b"abc").unwrap_err();
    let inner = io.get_ref().and_then(|e| e.downcast_ref::<Error>());
    assert_eq!(inner.map(lower::<StorageError>), Some(lower(&e)));
}

fn storage_promotion_limit_is_the_source(ctx: Ctx) {
    let fs = ctx.fs_with(|b| b.promotion_hard_limit(50));
    fs.write("/big", vec![1u8; 100]).unwrap();
    let mut h = fs.open("/big", OpenMode::ReadWrite).unwrap();
    let e = h.write_bytes(Bytes::from_static(b"x")).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Unsupported);
    assert_eq!(
        lower::<StorageError>(&e),
        &StorageError::PromotionLimit {
            size: 100,
            limit: 50
        }
    );
    assert!(e.to_string().contains("/big"), "{e}");
}

fn storage_past_the_largest_offset_is_the_source(ctx: Ctx) {
    for kind in [StorageKind::Sequential, StorageKind::RandomAccess] {
        let fs = ctx.fs_with(|b| b.default_storage(kind));
        fs.write("/f", b"abc").unwrap();
        let mut h = fs.open("/f", OpenMode::ReadWrite).unwrap();
        h.seek(SeekFrom::Start(u64::MAX)).unwrap();
        let e = h.write_bytes(Bytes::from_static(b"x")).unwrap_err();
        assert!(
            matches!(&e, Error::InvalidInput { path, .. } if path == "/f"),
            "{kind:?}: {e:?}"
        );
        assert_eq!(
            lower::<StorageError>(&e),
            &StorageError::TooLarge {
                offset: u64::MAX,
                len: 1
            },
            "{kind:?}"
        );
    }
}

// ---------------------------------------------------------------------------
// TreeError and PathError
// ---------------------------------------------------------------------------

fn tree_root_refusal_is_the_source(ctx: Ctx) {
    let fs = ctx.fs();
    let e = fs.rename("/", "/elsewhere").unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidInput);
    assert!(
        matches!(lower::<TreeError>(&e), TreeError::RootNotAllowed { path } if path == "/"),
        "{e:?}"
    );
}

fn tree_move_into_own_subtree_is_the_source(ctx: Ctx) {
    let fs = ctx.fs();
    fs.mkdir("/a/b", false).unwrap();
    let e = fs.rename("/a", "/a/b/c").unwrap_err();
    assert!(
        matches!(&e, Error::InvalidInput { path, .. } if path == "/a/b/c"),
        "{e:?}"
    );
    assert_eq!(
        lower::<TreeError>(&e),
        &TreeError::IntoOwnSubtree {
            src: "/a".into(),
            dst: "/a/b/c".into()
        }
    );
}

fn tree_bad_pattern_is_the_source(ctx: Ctx) {
    let fs = ctx.fs();
    // fnmatch has no malformed pattern: only a wildcard component past
    // the length limit is refused.
    let long = format!("/{}", "?".repeat(4097));
    let e = fs.glob(&long).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidInput);
    assert!(
        matches!(lower::<TreeError>(&e), TreeError::InvalidPattern { pattern, .. } if pattern.contains(&long)),
        "{e:?}"
    );
}

fn path_errors_are_the_source(ctx: Ctx) {
    let fs = ctx.fs();
    let e = fs.stat("/a/../..").unwrap_err();
    assert!(
        matches!(lower::<PathError>(&e), PathError::EscapesRoot { path } if path == "/a/../.."),
        "{e:?}"
    );
    let e = fs.write("/a\0b", b"x").unwrap_err();
    assert!(
        matches!(lower::<PathError>(&e), PathError::Nul { path } if path == "/a\0b"),
        "{e:?}"
    );
    assert!(e.to_string().contains("NUL"), "{e}");
}

// ---------------------------------------------------------------------------
// No source where the variant is the whole lower error, or no lower error
// ---------------------------------------------------------------------------

fn errors_whose_fields_say_everything_have_no_source(ctx: Ctx) {
    let fs = ctx.fs_with(|b| b.max_quota(1000).max_nodes(2));
    let cases = [
        fs.stat("/missing").unwrap_err(),
        fs.write("/big", vec![0u8; 2000]).unwrap_err(),
        {
            fs.mkdir("/d", false).unwrap();
            fs.mkdir("/d", false).unwrap_err()
        },
        {
            fs.write("/f", b"x").unwrap();
            fs.write("/g", b"x").unwrap_err()
        },
        fs.open("/d", OpenMode::Read).unwrap_err(),
        "zz".parse::<OpenMode>().unwrap_err(),
    ];
    let kinds: Vec<_> = cases.iter().map(Error::kind).collect();
    assert_eq!(
        kinds,
        [
            ErrorKind::NotFound,
            ErrorKind::QuotaExceeded,
            ErrorKind::AlreadyExists,
            ErrorKind::QuotaExceeded,
            ErrorKind::IsADirectory,
            ErrorKind::InvalidInput,
        ]
    );
    for e in &cases {
        assert!(e.source().is_none(), "{e:?}");
    }
}

fn errors_with_a_source_clone_and_compare(ctx: Ctx) {
    let fs = ctx.fs();
    let e = fs.rename("/", "/x").unwrap_err();
    let copy = e.clone();
    assert_eq!(copy, e);
    assert_eq!(lower::<TreeError>(&copy), lower::<TreeError>(&e));
    let other = fs.rename("/x/..", "/y").unwrap_err();
    assert_eq!(other, e.clone(), "same variant, path, reason and source");
    let different = fs.stat("/..").unwrap_err();
    assert_ne!(different, e);
}

// ---------------------------------------------------------------------------
// std::io::Error (the archive functions' readers and writers)
// ---------------------------------------------------------------------------

#[cfg(feature = "archive")]
mod io_sources {
    use std::fmt;
    use std::io::{self, Cursor, ErrorKind, Read, Seek, SeekFrom, Write};

    use dmemfs::archive::{expand_archive, export_archive, ArchiveFormat, ArchiveOptions};
    use dmemfs::{Error, MemoryFileSystem};

    use super::lower;

    /// The reader's or writer's own error, wrapped in the `io::Error` it
    /// returns; finding it again shows the original `io::Error` was kept.
    #[derive(Debug)]
    struct CableCut;

    impl fmt::Display for CableCut {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("the cable was cut")
        }
    }

    impl std::error::Error for CableCut {}

    fn cut() -> io::Error {
        io::Error::new(ErrorKind::ConnectionReset, CableCut)
    }

    /// Gives the first `ok` bytes of `inner`, then fails.
    struct FailingReader {
        inner: Cursor<Vec<u8>>,
        ok: u64,
    }

    impl Read for FailingReader {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let room = self.ok.saturating_sub(self.inner.position());
            if room == 0 {
                return Err(cut());
            }
            let n = buf.len().min(usize::try_from(room).unwrap_or(usize::MAX));
            self.inner.read(&mut buf[..n])
        }
    }

    impl Seek for FailingReader {
        fn seek(&mut self, pos: SeekFrom) -> io::Result<u64> {
            self.inner.seek(pos)
        }
    }

    struct FailingWriter;

    impl Write for FailingWriter {
        fn write(&mut self, _: &[u8]) -> io::Result<usize> {
            Err(cut())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    /// The `io::Error` source of an `Error::Io`, checked to be the one the
    /// reader or writer returned.
    #[track_caller]
    fn assert_cable_cut(e: &Error) {
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
        let io = lower::<io::Error>(e);
        assert_eq!(io.kind(), ErrorKind::ConnectionReset);
        assert!(
            io.get_ref()
                .and_then(|inner| inner.downcast_ref::<CableCut>())
                .is_some(),
            "the original io::Error, not a copy: {io:?}"
        );
        assert!(e.to_string().contains("the cable was cut"), "{e}");
    }

    fn tar_of(files: &[(&str, usize)]) -> Vec<u8> {
        let mut b = tar::Builder::new(Vec::new());
        for (name, len) in files {
            let mut h = tar::Header::new_gnu();
            h.set_entry_type(tar::EntryType::Regular);
            h.set_mode(0o644);
            h.set_size(*len as u64);
            b.append_data(&mut h, name, &vec![7u8; *len][..]).unwrap();
        }
        b.into_inner().unwrap()
    }

    #[test]
    fn a_reader_failing_at_once_is_the_source() {
        let fs = MemoryFileSystem::new();
        let reader = FailingReader {
            inner: Cursor::new(Vec::new()),
            ok: 0,
        };
        let e = expand_archive(&fs, reader, "/", ArchiveOptions::new()).unwrap_err();
        assert_cable_cut(&e);
    }

    #[test]
    fn a_reader_failing_while_decoding_is_the_source() {
        let fs = MemoryFileSystem::new();
        let tar = tar_of(&[("a", 5000), ("b", 5000)]);
        for format in [
            ArchiveOptions::new(),
            ArchiveOptions::new().format(ArchiveFormat::Tar),
        ] {
            let reader = FailingReader {
                inner: Cursor::new(tar.clone()),
                ok: 7000,
            };
            let e = expand_archive(&fs, reader, "/", format).unwrap_err();
            assert_cable_cut(&e);
            assert!(!fs.exists("/a"), "all or nothing");
        }
    }

    #[test]
    fn a_failing_writer_is_the_source() {
        let fs = MemoryFileSystem::new();
        fs.mkdir("/d", false).unwrap();
        fs.write("/d/f", b"content").unwrap();
        for format in [ArchiveFormat::Tar, ArchiveFormat::TarGz, ArchiveFormat::Zip] {
            let e = export_archive(&fs, "/d", FailingWriter, format).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::ConnectionReset, "{format:?}: {e:?}");
            let io = lower::<io::Error>(&e);
            assert_eq!(io.kind(), ErrorKind::ConnectionReset, "{format:?}");
        }
    }

    #[test]
    fn io_errors_clone_and_compare_by_kind_and_message() {
        let fs = MemoryFileSystem::new();
        let fail = || {
            let reader = FailingReader {
                inner: Cursor::new(Vec::new()),
                ok: 0,
            };
            expand_archive(&fs, reader, "/", ArchiveOptions::new()).unwrap_err()
        };
        let e = fail();
        let copy = e.clone();
        assert_eq!(copy, e);
        assert_cable_cut(&copy);
        assert_eq!(fail(), e, "two failures with the same kind and message");
        let io: io::Error = e.into();
        assert_eq!(io.kind(), ErrorKind::ConnectionReset);
    }
}
