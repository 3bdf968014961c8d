//! One workload of the tree's benchmarks outside criterion, for instruction
//! and allocation counts (`scripts/callgrind_tree.sh` runs it under
//! callgrind, and under memcheck for its heap summary).
//!
//! ```text
//! tree_profile <workload> <operations>
//! ```
//!
//! Workloads: `depth_1`, `depth_50`, `depth_1000` (resolve a parsed path to
//! the file at that depth), `depth_50_from_str` (parse the user's string,
//! then resolve), `wide_lookup`, `wide_lookup_from_str` and
//! `wide_lookup_str` (a random one of 10,000 files in one directory), `wide_insert_remove` (insert then remove
//! a file in that directory, publishing a snapshot after each edit), `wide_create`
//! (create the next of up to 10,000 files in a directory, publishing a
//! snapshot after each create, as the engine did before twin trees),
//! `wide_create_twin` (the same with twin trees, as the engine does now:
//! each create made in place and replayed on the twin). The
//! tree is built before the operations start, so the difference between two
//! runs with different operation counts is the cost of the operations alone.

use std::error::Error;
use std::hint::black_box;
use std::sync::Arc;

use dmemfs_core_tree::Tree;

#[path = "../benches/tree_workloads.rs"]
mod tree_workloads;

use tree_workloads::{
    chain, create_published, create_twin, insert_remove_published, lookup_file, lookup_str_file,
    parse_and_lookup_file, parsed, wide, wide_paths, DentryCache, Twins,
};

fn main() -> Result<(), Box<dyn Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [workload, operations] = args.as_slice() else {
        return Err("usage: tree_profile <workload> <operations>".into());
    };
    let operations: usize = operations.parse()?;
    // Build first, count from here.
    let run: Box<dyn FnMut(usize)> = match workload.as_str() {
        "depth_1" | "depth_50" | "depth_1000" => {
            let depth = workload["depth_".len()..].parse()?;
            let (tree, file) = chain(depth);
            let path = parsed(&file);
            Box::new(move |_| drop(black_box(lookup_file(&tree, black_box(&path)))))
        }
        "depth_50_from_str" => {
            let (tree, file) = chain(50);
            Box::new(move |_| drop(black_box(parse_and_lookup_file(&tree, black_box(&file)))))
        }
        "depth_50_lookup_str" => {
            let (tree, file) = chain(50);
            Box::new(move |_| drop(black_box(lookup_str_file(&tree, black_box(&file)))))
        }
        "wide_lookup_str" => {
            let (tree, files) = wide();
            Box::new(move |i| {
                drop(black_box(lookup_str_file(
                    &tree,
                    black_box(&files[i % files.len()]),
                )))
            })
        }
        "dentry_depth_50" => {
            let (tree, file) = chain(50);
            let cache = DentryCache::of(&tree);
            Box::new(move |_| drop(black_box(cache.lookup_file(black_box(&file)))))
        }
        "dentry_wide_lookup" => {
            let (tree, files) = wide();
            let cache = DentryCache::of(&tree);
            Box::new(move |i| {
                drop(black_box(
                    cache.lookup_file(black_box(&files[i % files.len()])),
                ))
            })
        }
        "wide_lookup" => {
            let (tree, files) = wide();
            let paths: Vec<_> = files.iter().map(|f| parsed(f)).collect();
            Box::new(move |i| {
                drop(black_box(lookup_file(
                    &tree,
                    black_box(&paths[i % paths.len()]),
                )))
            })
        }
        "wide_lookup_from_str" => {
            let (tree, files) = wide();
            Box::new(move |i| {
                drop(black_box(parse_and_lookup_file(
                    &tree,
                    black_box(&files[i % files.len()]),
                )))
            })
        }
        "small_insert_remove" => {
            let (mut tree, _) = chain(2);
            let mut published = Arc::new(tree.clone());
            let extra = parsed("/d0/extra.bin");
            let payload = Arc::new(0);
            Box::new(move |_| insert_remove_published(&mut tree, &mut published, &extra, &payload))
        }
        "wide_insert_remove" => {
            let (mut tree, _) = wide();
            let mut published = Arc::new(tree.clone());
            let extra = parsed("/wide/extra.bin");
            let payload = Arc::new(0);
            Box::new(move |_| insert_remove_published(&mut tree, &mut published, &extra, &payload))
        }
        "wide_create" => {
            let mut tree = Tree::new();
            tree.create_dir(&parsed("/wide"))?;
            let mut published = Arc::new(tree.clone());
            let paths = wide_paths();
            if operations > paths.len() {
                return Err(format!("wide_create makes at most {} files", paths.len()).into());
            }
            let payload = Arc::new(0);
            Box::new(move |i| create_published(&mut tree, &mut published, &paths[i], &payload))
        }
        "wide_create_twin" => {
            let mut tree = Tree::new();
            tree.create_dir(&parsed("/wide"))?;
            let mut twins = Twins::of(tree);
            let paths = wide_paths();
            if operations > paths.len() {
                return Err(format!("wide_create_twin makes at most {} files", paths.len()).into());
            }
            let payload = Arc::new(0);
            Box::new(move |i| create_twin(&mut twins, &paths[i], &payload))
        }
        other => return Err(format!("unknown workload {other:?}").into()),
    };
    let mut run = run;
    for i in 0..operations {
        run(i);
    }
    Ok(())
}
