//! The twin protocol driven by hand over a publication cell: a twin a
//! reader holds waits and is caught up later; one held too long is retired
//! and freed here, not by the reader.

use dmemfs_core_tree::NormPath;

use super::*;

fn p(path: &str) -> NormPath {
    NormPath::parse(path).expect("valid path")
}

/// Applies one mutation creating the directory `path`, as the writer does.
fn mkdir(work: &mut WorkingTree, path: &str) {
    let mark = work.begin();
    work.edit().create_dir_all(&p(path)).expect("a fresh path");
    work.commit(mark);
}

fn names(tree: &Tree<FileRef>) -> Vec<String> {
    tree.list_dir(&NormPath::root()).expect("the root")
}

#[test]
fn a_twin_a_reader_holds_waits_and_is_caught_up_once_let_go() {
    let published = Published::from_pointee(Tree::new());
    let mut work = WorkingTree::new(&published);
    mkdir(&mut work, "/a");
    work.publish(&published);
    // Nobody held the tree the swap handed back: caught up at once.
    assert!(work.twin.is_none());
    assert!(work.journal.is_empty());

    let held = published.load_full();
    mkdir(&mut work, "/b");
    work.publish(&published);
    assert!(work.twin.is_some(), "the reader holds the twin");
    mkdir(&mut work, "/c");
    assert!(work.twin.is_some());
    assert_eq!(names(&held), ["a"], "a held snapshot never changes");

    drop(held);
    mkdir(&mut work, "/d");
    assert!(work.twin.is_none(), "caught up at the mutation's start");
    work.publish(&published);
    assert_eq!(names(&published.load()), ["a", "b", "c", "d"]);
    assert_eq!(names(work.tree()), ["a", "b", "c", "d"]);
    mkdir(&mut work, "/e");
    work.publish(&published);
    assert_eq!(names(&published.load()), ["a", "b", "c", "d", "e"]);
}

#[test]
fn a_twin_held_past_the_journal_limit_is_retired_and_freed_by_the_writer() {
    let published = Published::from_pointee(Tree::new());
    let mut work = WorkingTree::new(&published);
    mkdir(&mut work, "/first");
    work.publish(&published);
    let held = published.load_full();
    // Each mkdir is two steps (add the directory, link it).
    for i in 0..=JOURNAL_LIMIT / 2 {
        mkdir(&mut work, &format!("/d{i}"));
        work.publish(&published);
    }
    assert_eq!(work.retired.len(), 1, "the held twin was given up");
    assert!(
        work.journal.len() <= 2,
        "only the last batch's steps are kept"
    );
    assert_eq!(names(&held), ["first"]);
    drop(held);
    work.publish(&published);
    assert!(work.retired.is_empty(), "freed by the writer once let go");
    mkdir(&mut work, "/last");
    work.publish(&published);
    let tree = published.load();
    assert_eq!(tree.dir_count(), JOURNAL_LIMIT as u64 / 2 + 3);
    assert_eq!(names(work.tree()), names(&tree));
}

#[test]
fn a_mutation_given_up_leaves_nothing_in_the_journal() {
    let published = Published::from_pointee(Tree::new());
    let mut work = WorkingTree::new(&published);
    mkdir(&mut work, "/kept");
    work.publish(&published);
    let held = published.load_full();
    for _ in 0..1_000 {
        let mark = work.begin();
        work.edit()
            .create_dir_all(&p("/given/up"))
            .expect("a fresh path");
        work.roll_back(mark);
        work.publish(&published);
    }
    assert!(work.journal.is_empty(), "{} steps kept", work.journal.len());
    drop(held);
    mkdir(&mut work, "/next");
    work.publish(&published);
    assert_eq!(names(&published.load()), ["kept", "next"]);
    assert_eq!(names(work.tree()), ["kept", "next"]);
}
