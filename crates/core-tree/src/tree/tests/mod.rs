//! Tests of the tree, by the module they exercise, and the fixtures they
//! share.
//!
//! Every failing call is checked against [`shape`], so "an error changes
//! nothing" is asserted, not assumed.

mod edit;
mod journal;
mod lookup;
mod scale;
mod subtree;

use crate::error::TreeError;
use crate::path::NormPath;

use super::{DirId, NodeRef, Tree};

fn p(path: &str) -> NormPath {
    NormPath::parse(path).expect("valid path")
}

fn not_found(path: &str) -> TreeError {
    TreeError::not_found(path)
}

fn not_a_dir(path: &str) -> TreeError {
    TreeError::not_a_directory(path)
}

fn exists(path: &str) -> TreeError {
    TreeError::already_exists(path)
}

fn is_a_dir(path: &str) -> TreeError {
    TreeError::is_a_directory(path)
}

/// Everything observable about a tree, to prove a failed call changed
/// nothing.
fn shape(tree: &Tree<u32>) -> (u64, u64, Vec<String>, Vec<(String, u32)>) {
    (
        tree.file_count(),
        tree.dir_count(),
        tree.glob("/**").expect("valid pattern"),
        tree.files_under(&NormPath::root()).expect("root exists"),
    )
}

/// /a/b/c.txt(3), /a/x.txt(1), /f(7), /e (empty dir)
fn sample() -> Tree<u32> {
    let mut tree = Tree::new();
    tree.create_dir_all(&p("/a/b")).expect("fresh");
    tree.create_dir(&p("/e")).expect("fresh");
    tree.insert_file(&p("/a/b/c.txt"), 3).expect("fresh");
    tree.insert_file(&p("/a/x.txt"), 1).expect("fresh");
    tree.insert_file(&p("/f"), 7).expect("fresh");
    tree
}

fn file_at(tree: &Tree<u32>, path: &str) -> u32 {
    match tree.lookup(&p(path)) {
        Ok(NodeRef::File(file)) => *file,
        other => panic!("{path}: expected a file, got {other:?}"),
    }
}

fn dir_at(tree: &Tree<u32>, path: &str) -> DirId {
    match tree.lookup(&p(path)) {
        Ok(NodeRef::Dir { id, .. }) => id,
        other => panic!("{path}: expected a directory, got {other:?}"),
    }
}
