//! Creating a file by `write` or by a creating open: the lookup that finds
//! the path empty builds no error, so these check that every way a path can
//! be empty still gets the error it had (a parent that is a file is
//! `NotADirectory` naming that file, before any quota refusal), and that a
//! refused creation changes nothing.

#![allow(missing_docs)]

#[macro_use]
mod common;

use std::io::ErrorKind;

use common::*;
use dmemfs::{Error, OpenMode, OpenOptions};

both_strategies!(
    below_a_file_is_not_a_directory_before_the_quota,
    missing_parent_and_missing_file_errors,
    create_new_and_creating_opens,
);

fn not_a_directory_naming(e: &Error, path: &str) {
    assert_eq!(e.kind(), ErrorKind::NotADirectory, "{e:?}");
    assert!(
        matches!(e, Error::NotADirectory { path: p } if p == path),
        "{e:?}"
    );
}

fn below_a_file_is_not_a_directory_before_the_quota(ctx: Ctx) {
    let fs = ctx.fs_quota(1000);
    fs.write("/f", b"f").unwrap();
    let before = state(&fs);
    let used_before = used(&fs);
    let too_big = vec![7u8; 5000];
    for path in ["/f/x", "/f/x/y"] {
        // Fits the quota: the writer refuses it.
        not_a_directory_naming(&fs.write(path, b"x").unwrap_err(), "/f");
        // Does not fit: still the parent that is a file, not the quota.
        not_a_directory_naming(&fs.write(path, &too_big).unwrap_err(), "/f");
        for mode in [OpenMode::Write, OpenMode::Append, OpenMode::CreateNew] {
            let e = fs
                .open_with(path, mode, OpenOptions::new().preallocate(5000))
                .unwrap_err();
            not_a_directory_naming(&e, "/f");
            not_a_directory_naming(&fs.open(path, mode).unwrap_err(), "/f");
        }
        for mode in [OpenMode::Read, OpenMode::ReadWrite] {
            not_a_directory_naming(&fs.open(path, mode).unwrap_err(), "/f");
        }
    }
    assert_eq!(state(&fs), before);
    assert_eq!(used(&fs), used_before);
}

fn missing_parent_and_missing_file_errors(ctx: Ctx) {
    let fs = ctx.fs_quota(1000);
    fs.mkdir("/d", false).unwrap();
    let before = state(&fs);
    for mode in [OpenMode::Read, OpenMode::ReadWrite] {
        let e = expect_kind(fs.open(r"/d\.\missing", mode), ErrorKind::NotFound);
        assert!(
            matches!(&e, Error::NotFound { path } if path == "/d/missing"),
            "{e:?}"
        );
    }
    expect_kind(fs.write("/nope/f", b"x"), ErrorKind::NotFound);
    expect_kind(fs.open("/nope/f", OpenMode::Write), ErrorKind::NotFound);
    // A directory is never opened or overwritten as a file.
    expect_kind(fs.write("/d", b"x"), ErrorKind::IsADirectory);
    expect_kind(fs.open("/d", OpenMode::Write), ErrorKind::IsADirectory);
    expect_kind(fs.open("/d", OpenMode::CreateNew), ErrorKind::IsADirectory);
    // Too big for the quota: refused, nothing left behind.
    let e = fs.write("/d/big", vec![0u8; 5000]).unwrap_err();
    assert!(e.is_quota(), "{e:?}");
    assert_eq!(state(&fs), before);
}

fn create_new_and_creating_opens(ctx: Ctx) {
    let fs = ctx.fs();
    fs.mkdir("/d", false).unwrap();
    // A path as a user writes it is created at its normal form.
    fs.write(r"d\.\a", b"one").unwrap();
    assert_eq!(fs.read("/d/a").unwrap(), b"one");
    fs.write("/d/a", b"two").unwrap();
    assert_eq!(fs.read("/d/a").unwrap(), b"two");
    {
        let h = fs.open("d//b", OpenMode::CreateNew).unwrap();
        assert_eq!(h.path(), "/d/b");
    }
    expect_kind(
        fs.open("/d/b", OpenMode::CreateNew),
        ErrorKind::AlreadyExists,
    );
    drop(fs.open("/d/c", OpenMode::Append).unwrap());
    assert!(fs.exists("/d/c"));
    assert_eq!(fs.listdir("/d").unwrap(), ["a", "b", "c"]);
}
