//! The fuzz targets of `fuzz/` (path normalization, glob parsing) as
//! property tests, so they run on stable in every test run: arbitrary
//! strings over an alphabet rich in separators, dots, NUL, wildcards and
//! brackets. `DMEMFS_PROPTEST_CASES` sets the case count (default 1000);
//! the ignored `*_long` variants run 1,000,000 cases (or
//! `DMEMFS_FUZZ_CASES`): `cargo test --test fuzz_paths_globs -- --ignored`.
//! With nightly and cargo-fuzz, `cargo +nightly fuzz run path_normalize`
//! (or `glob_pattern`) in `fuzz/` runs the same checks coverage-guided.

#![allow(missing_docs)]

#[path = "common/fuzz_checks.rs"]
mod fuzz_checks;

use std::io::ErrorKind;
use std::sync::OnceLock;

use dmemfs::{Concurrency, MemoryFileSystem};
use dmemfs_core_tree::Tree;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

fn cases(var: &str, default: u32) -> u32 {
    std::env::var(var)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Strings from pieces that matter to paths and patterns, plus any char.
fn text() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        4 => prop::sample::select(vec![
            "/", "\\", ".", "..", "\0", "a", "b", "x.txt", "é", "*", "**", "?", "[", "]", "[!",
            "-", "{", "}", "^", "1", "c", "ü", " ",
        ])
        .prop_map(str::to_owned),
        1 => any::<char>().prop_map(String::from),
    ];
    prop::collection::vec(piece, 0..16).prop_map(|v| v.concat())
}

fn tree() -> &'static Tree<u32> {
    static TREE: OnceLock<Tree<u32>> = OnceLock::new();
    TREE.get_or_init(fuzz_checks::sample_tree)
}

fn fs() -> &'static MemoryFileSystem {
    static FS: OnceLock<MemoryFileSystem> = OnceLock::new();
    FS.get_or_init(|| {
        let fs = MemoryFileSystem::builder()
            .concurrency(Concurrency::GlobalLock)
            .build()
            .expect("build");
        fs.mkdir("/a/b", false).expect("mkdir");
        fs.write("/a/f", b"x").expect("write");
        fs
    })
}

/// The filesystem refuses exactly the paths the reference refuses, with
/// `InvalidInput`, and `glob` matches `Tree::glob`.
fn check_fs(raw: &str) {
    let fs = fs();
    let valid = fuzz_checks::reference_norm(raw).is_some();
    match fs.stat(raw) {
        Err(e) if e.kind() == ErrorKind::InvalidInput => assert!(!valid, "{raw:?} refused"),
        _ => assert!(valid, "{raw:?} accepted"),
    }
    if !valid {
        assert!(!fs.exists(raw));
    }
    let mut reference = Tree::<u32>::new();
    reference
        .create_dir_all(&dmemfs_core_tree::NormPath::parse("/a/b").expect("valid"))
        .expect("fresh");
    reference
        .insert_file(
            &dmemfs_core_tree::NormPath::parse("/a/f").expect("valid"),
            0,
        )
        .expect("fresh");
    assert_eq!(
        fs.glob(raw).map_err(|e| e.kind()),
        reference.glob(raw).map_err(|_| ErrorKind::InvalidInput),
        "glob {raw:?}"
    );
}

fn run(cases: u32, check: impl Fn(&str)) {
    let mut runner = TestRunner::new(Config {
        cases,
        ..Config::default()
    });
    runner
        .run(&text(), |s| {
            check(&s);
            Ok(())
        })
        .unwrap_or_else(|e| panic!("{e}"));
}

#[test]
fn fuzz_path_normalization() {
    run(cases("DMEMFS_PROPTEST_CASES", 1000), |s| {
        fuzz_checks::check_path(s);
        check_fs(s);
    });
}

#[test]
fn fuzz_glob_patterns() {
    run(cases("DMEMFS_PROPTEST_CASES", 1000), |s| {
        fuzz_checks::check_glob(tree(), s);
    });
}

#[test]
#[ignore = "long fuzzing run; cargo test --test fuzz_paths_globs -- --ignored"]
fn fuzz_path_normalization_long() {
    run(cases("DMEMFS_FUZZ_CASES", 1_000_000), |s| {
        fuzz_checks::check_path(s);
        check_fs(s);
    });
}

#[test]
#[ignore = "long fuzzing run; cargo test --test fuzz_paths_globs -- --ignored"]
fn fuzz_glob_patterns_long() {
    run(cases("DMEMFS_FUZZ_CASES", 1_000_000), |s| {
        fuzz_checks::check_glob(tree(), s);
    });
}
