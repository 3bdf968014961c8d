//! The fuzz targets of `fuzz/` (path normalization, glob parsing) as
//! property tests, so they run on stable in every test run: arbitrary
//! strings over an alphabet rich in separators, dots, NUL, wildcards,
//! brackets and non-ASCII characters; glob patterns far beyond the length
//! limits (never a panic: `Ok` or `InvalidInput` naming the limit); and
//! name matching against a plain reference fnmatch. `DMEMFS_PROPTEST_CASES`
//! sets the case count (default 1000; 64 for the long patterns); the
//! ignored `*_long` variants run 1,000,000 cases (or `DMEMFS_FUZZ_CASES`):
//! `cargo test --test fuzz_paths_globs -- --ignored`.
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
            "-", "{", "}", "^", "1", "c", "ü", " ", "[]", "z-a", "😀", "[:alpha:]",
        ])
        .prop_map(str::to_owned),
        1 => any::<char>().prop_map(String::from),
    ];
    prop::collection::vec(piece, 0..16).prop_map(|v| v.concat())
}

/// Patterns around and far beyond the glob limits (4096 bytes per
/// wildcard component, 64 KiB in all): a short text, one piece repeated
/// up to 327,671 times, another short text.
fn long_pattern() -> impl Strategy<Value = String> {
    let piece = prop::sample::select(vec![
        "?", "*", "a", "é", "*a", "[ab]", "[", "[!", "]", "[]", "a/", "?/", "**/", "z-a", "-",
    ]);
    let count = prop_oneof![
        1 => 1usize..64,
        2 => 1000usize..=4200,
        2 => 15_000usize..=70_000,
        1 => prop::sample::select(vec![131_070usize, 327_671]),
    ];
    (text(), piece, count, text())
        .prop_map(|(head, piece, count, tail)| format!("{head}{}{tail}", piece.repeat(count)))
}

/// A component from pieces rich in fnmatch's special cases, and names:
/// some from the same pieces, most derived from the component (each
/// wildcard or bracket replaced by a few pieces), so that many match.
fn component_and_names() -> impl Strategy<Value = (String, Vec<String>)> {
    fn piece() -> impl Strategy<Value = String> {
        prop_oneof![
            6 => prop::sample::select(vec![
                "a", "b", "z", "é", "ü", "😀", "!", "^", "-", "]", "[", "[!", "*", "?", "z-a",
                "a-z", "à-ü", ":", ".", "[z-a", "]a",
            ])
            .prop_map(str::to_owned),
            1 => any::<char>().prop_map(String::from),
        ]
    }
    fn text(max: usize) -> impl Strategy<Value = String> {
        prop::collection::vec(piece(), 1..max).prop_map(|v| v.concat())
    }
    /// `component` with its `*`, `?` and `[` replaced by the fills in turn.
    fn derived(component: &str, fills: &[String]) -> String {
        let mut fills = fills.iter().cycle();
        let mut name = String::new();
        for c in component.chars() {
            match c {
                '*' => name.extend(fills.next().map(String::as_str)),
                '?' | '[' => name.extend(fills.next().and_then(|fill| fill.chars().next())),
                c => name.push(c),
            }
        }
        name
    }
    text(10).prop_flat_map(|component| {
        let fills = prop::collection::vec(prop_oneof![Just(String::new()), text(4)], 1..6);
        let name = prop_oneof![
            1 => text(6),
            3 => fills.prop_map({
                let component = component.clone();
                move |fills| derived(&component, &fills)
            }),
        ];
        (Just(component), prop::collection::vec(name, 1..24))
    })
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

/// `MemoryFileSystem::glob` gives what `Tree::glob` gives, its errors as
/// `InvalidInput`.
fn check_fs_glob(raw: &str) {
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
        fs().glob(raw).map_err(|e| e.kind()),
        reference.glob(raw).map_err(|_| ErrorKind::InvalidInput),
        "glob {raw:?}"
    );
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
    check_fs_glob(raw);
}

fn run_on<S: Strategy>(strategy: S, cases: u32, check: impl Fn(&S::Value)) {
    let mut runner = TestRunner::new(Config {
        cases,
        ..Config::default()
    });
    runner
        .run(&strategy, |value| {
            check(&value);
            Ok(())
        })
        .unwrap_or_else(|e| panic!("{e}"));
}

fn run(cases: u32, check: impl Fn(&str)) {
    run_on(text(), cases, |s: &String| check(s));
}

/// A long pattern: `Tree::glob` and the filesystem agree, and neither
/// panics.
fn check_long(pattern: &str) {
    fuzz_checks::check_glob(tree(), pattern);
    check_fs_glob(pattern);
}

fn check_names((component, names): &(String, Vec<String>)) {
    fuzz_checks::check_name_matching(component, names);
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
fn fuzz_glob_long_patterns() {
    run_on(
        long_pattern(),
        cases("DMEMFS_PROPTEST_CASES", 64),
        |pattern: &String| check_long(pattern),
    );
}

#[test]
fn fuzz_glob_names_match_reference_fnmatch() {
    run_on(
        component_and_names(),
        cases("DMEMFS_PROPTEST_CASES", 1000),
        check_names,
    );
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

#[test]
#[ignore = "long fuzzing run; cargo test --test fuzz_paths_globs -- --ignored"]
fn fuzz_glob_long_patterns_long() {
    run_on(
        long_pattern(),
        cases("DMEMFS_FUZZ_CASES", 10_000),
        |pattern: &String| check_long(pattern),
    );
}

#[test]
#[ignore = "long fuzzing run; cargo test --test fuzz_paths_globs -- --ignored"]
fn fuzz_glob_names_match_reference_fnmatch_long() {
    run_on(
        component_and_names(),
        cases("DMEMFS_FUZZ_CASES", 1_000_000),
        check_names,
    );
}
