//! Wall time of the tree's hot paths: resolving a path at depth 1, 50 and
//! 1,000 and among the 10,000 entries of one directory (parsed beforehand,
//! parsed from the user's string as opening a file does, and resolved from
//! the string without parsing, `Tree::lookup_str`), and inserting
//! and removing a file in that directory with a snapshot published after
//! each edit, and creating 10,000 files in one directory, publishing a
//! snapshot after each create. The workloads are in `tree_workloads.rs`; instruction and
//! allocation counts of the same workloads come from
//! `examples/tree_profile.rs`.
//!
//! Run: `cargo bench -p dmemfs-core-tree --bench tree`.

use std::hint::black_box;
use std::sync::Arc;

use criterion::{criterion_group, criterion_main, BatchSize, Criterion};
use dmemfs_core_tree::Tree;

#[path = "tree_workloads.rs"]
mod tree_workloads;

use tree_workloads::{
    chain, create_published, create_twin, insert_remove_published, lookup_file, lookup_str_file,
    parse_and_lookup_file, parsed, wide, wide_paths, DentryCache, Twins,
};

fn lookup_at_depth(c: &mut Criterion) {
    let mut group = c.benchmark_group("lookup_depth");
    for depth in [1, 50, 1_000] {
        let (tree, file) = chain(depth);
        let path = parsed(&file);
        group.bench_function(format!("{depth}/parsed"), |b| {
            b.iter(|| lookup_file(black_box(&tree), black_box(&path)))
        });
        group.bench_function(format!("{depth}/from_str"), |b| {
            b.iter(|| parse_and_lookup_file(black_box(&tree), black_box(&file)))
        });
        group.bench_function(format!("{depth}/lookup_str"), |b| {
            b.iter(|| lookup_str_file(black_box(&tree), black_box(&file)))
        });
        let cache = DentryCache::of(&tree);
        group.bench_function(format!("{depth}/dentry_dashmap"), |b| {
            b.iter(|| cache.lookup_file(black_box(&file)))
        });
    }
    group.finish();
}

fn wide_directory(c: &mut Criterion) {
    let mut group = c.benchmark_group("wide_10000");
    let (mut tree, files) = wide();
    let paths: Vec<_> = files.iter().map(|f| parsed(f)).collect();
    let mut next = 0;
    group.bench_function("lookup/parsed", |b| {
        b.iter(|| {
            next = (next + 1) % paths.len();
            lookup_file(black_box(&tree), black_box(&paths[next]))
        })
    });
    group.bench_function("lookup/from_str", |b| {
        b.iter(|| {
            next = (next + 1) % files.len();
            parse_and_lookup_file(black_box(&tree), black_box(&files[next]))
        })
    });
    group.bench_function("lookup/lookup_str", |b| {
        b.iter(|| {
            next = (next + 1) % files.len();
            lookup_str_file(black_box(&tree), black_box(&files[next]))
        })
    });
    let cache = DentryCache::of(&tree);
    group.bench_function("lookup/dentry_dashmap", |b| {
        b.iter(|| {
            next = (next + 1) % files.len();
            cache.lookup_file(black_box(&files[next]))
        })
    });
    let extra = parsed("/wide/extra.bin");
    let payload = Arc::new(0);
    let mut published = Arc::new(tree.clone());
    group.bench_function("insert_remove_published", |b| {
        b.iter(|| insert_remove_published(&mut tree, &mut published, &extra, &payload))
    });
    group.finish();
}

fn small_directory(c: &mut Criterion) {
    let (mut tree, _) = chain(2);
    let extra = parsed("/d0/extra.bin");
    let payload = Arc::new(0);
    let mut published = Arc::new(tree.clone());
    c.bench_function("small_insert_remove_published", |b| {
        b.iter(|| insert_remove_published(&mut tree, &mut published, &extra, &payload))
    });
}

fn create_wide_directory(c: &mut Criterion) {
    let paths = wide_paths();
    let payload = Arc::new(0);
    let fresh = || {
        let mut tree = Tree::new();
        tree.create_dir(&parsed("/wide"))
            .expect("a fresh directory");
        let published = Arc::new(tree.clone());
        (tree, published)
    };
    c.bench_function("wide_10000/create_published", |b| {
        b.iter_batched(
            fresh,
            |(mut tree, mut published)| {
                for path in &paths {
                    create_published(&mut tree, &mut published, path, &payload);
                }
                (tree, published)
            },
            BatchSize::PerIteration,
        )
    });
    c.bench_function("wide_10000/create_twin", |b| {
        b.iter_batched(
            || {
                let mut tree = Tree::new();
                tree.create_dir(&parsed("/wide"))
                    .expect("a fresh directory");
                Twins::of(tree)
            },
            |mut twins| {
                for path in &paths {
                    create_twin(&mut twins, path, &payload);
                }
                twins
            },
            BatchSize::PerIteration,
        )
    });
}

criterion_group!(
    benches,
    lookup_at_depth,
    wide_directory,
    small_directory,
    create_wide_directory
);
criterion_main!(benches);
