//! Glob over many names: the cost per pattern of matching every entry of a
//! 100,000-entry directory (compile, scan, sort), and of `**` over a tree
//! of 1,000 directories.
//!
//! Run: `cargo bench -p dmemfs-core-tree --bench glob`.
//!
//! Why the matcher is our own (`src/glob/name_pattern.rs`) rather than
//! globset's regex: instructions per `glob` call (valgrind callgrind; a
//! program that builds both trees below as one tree, `/big` beside the
//! `/dNN`, then globs 5 times, minus the same with 0 globs, divided by 5),
//! globset 0.4.22 before, the fnmatch matcher after; both found the same
//! paths:
//!
//! | pattern | matches | globset | fnmatch matcher |
//! |---|---|---|---|
//! | `/big/*.txt` | 33,334 | 124.1 M | 69.4 M |
//! | `/big/f01?2*` | 334 | 57.8 M | 16.6 M |
//! | `/big/*1*2*3*` | 856 | 72.0 M | 52.6 M |
//! | `/big/[fé]*[0-4].[mr]?` | 16,666 | 93.5 M | 52.1 M |
//! | `/big/???????.txt` | 33,334 | 110.7 M | 70.9 M |
//! | `/big/é*.?s` | 33,333 | 115.2 M | 72.4 M |
//! | `/big/*` | 100,000 | 229.8 M | 170.2 M |
//! | `/**/*.txt` | 34,334 | 159.2 M | 103.3 M |
//! | `/d0?/**/[ab].*` | 2,000 | 8.0 M | 6.3 M |
//! | `/**/s5?/*` | 300 | 48.2 M | 24.5 M |
//!
//! Of globset's figure for `/big/*.txt`, 25.7 M is its per-name
//! `Candidate` preparation; a regex matched directly would still cost
//! about 98 M there. This bench, run side by side on both (a loaded 2-core
//! machine, so only the direction is reliable), agreed: `/big/*.txt`
//! 28.5 → 18.0 ms, `/big/???????.txt` 33.1 → 9.2 ms, `/big/*` 42.6 →
//! 25.9 ms.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use dmemfs_core_tree::{NormPath, Tree};

const NAMES: usize = 100_000;

fn path(text: &str) -> NormPath {
    NormPath::parse(text).expect("a valid path")
}

/// `/big` holds `f000000.txt`, `g000001.md`, `é000002.rs`, ... in turn.
fn wide() -> Tree<u32> {
    let mut tree = Tree::new();
    tree.create_dir(&path("/big")).expect("fresh");
    for i in 0..NAMES {
        let name = match i % 3 {
            0 => format!("/big/f{i:06}.txt"),
            1 => format!("/big/g{i:06}.md"),
            _ => format!("/big/é{i:06}.rs"),
        };
        tree.insert_file(&path(&name), 0).expect("fresh");
    }
    tree
}

/// `/dNN/sNN/` (10 × 100 directories), each with `a.txt`, `b.md`, `c.rs`.
fn deep() -> Tree<u32> {
    let mut tree = Tree::new();
    for top in 0..10 {
        for sub in 0..100 {
            let dir = format!("/d{top:02}/s{sub:02}");
            tree.create_dir_all(&path(&dir)).expect("fresh");
            for file in ["a.txt", "b.md", "c.rs"] {
                tree.insert_file(&path(&format!("{dir}/{file}")), 0)
                    .expect("fresh");
            }
        }
    }
    tree
}

fn bench_glob(c: &mut Criterion) {
    let wide = wide();
    let mut group = c.benchmark_group("glob_100k_names");
    for pattern in [
        "/big/*.txt",
        "/big/f01?2*",
        "/big/*1*2*3*",
        "/big/[fé]*[0-4].[mr]?",
        "/big/???????.txt",
        "/big/é*.?s",
        "/big/*",
    ] {
        group.bench_with_input(BenchmarkId::from_parameter(pattern), pattern, |b, p| {
            b.iter(|| black_box(wide.glob(p).expect("valid")).len());
        });
    }
    group.finish();

    let deep = deep();
    let mut group = c.benchmark_group("glob_1000_dirs");
    for pattern in ["/**/*.txt", "/d0?/**/[ab].*", "/**/s5?/*"] {
        group.bench_with_input(BenchmarkId::from_parameter(pattern), pattern, |b, p| {
            b.iter(|| black_box(deep.glob(p).expect("valid")).len());
        });
    }
    group.finish();
}

criterion_group!(benches, bench_glob);
criterion_main!(benches);
