//! Sizes that would break a recursive or quadratic implementation: a chain
//! 100,000 directories deep and a directory of a million entries.

use crate::path::NormPath;
use crate::tree::{NodeRef, Tree};

use super::{file_at, p};

/// Every operation on a chain far deeper than the stack could hold if
/// anything recursed.
#[test]
fn a_hundred_thousand_levels_need_no_recursion() {
    const DEPTH: usize = 100_000;
    let worker = std::thread::Builder::new()
        .stack_size(256 * 1024)
        .spawn(|| {
            let mut path = String::with_capacity(DEPTH * 2);
            for _ in 0..DEPTH {
                path.push_str("/d");
            }
            let deep = p(&path);
            assert_eq!(deep.depth(), DEPTH);
            let mut tree: Tree<u32> = Tree::new();
            assert_eq!(tree.create_dir_all(&deep), Ok(DEPTH as u64));
            assert_eq!(tree.dir_count(), DEPTH as u64);
            assert!(matches!(tree.lookup(&deep), Ok(NodeRef::Dir { .. })));
            let leaf = deep.join("leaf");
            tree.insert_file(&leaf, 1).expect("fresh");

            let snapshot = std::sync::Arc::new(tree.clone());
            let walked = crate::walk::walk(snapshot, &NormPath::root())
                .expect("root")
                .count();
            assert_eq!(walked, DEPTH + 1);

            assert_eq!(tree.glob("/**/leaf").expect("valid"), [leaf.as_str()]);
            let files = tree.files_under(&NormPath::root()).expect("root");
            assert_eq!(files.len(), 1);
            assert_eq!(files[0].0, leaf.as_str());

            let plan = tree.subtree(&p("/d")).expect("dir");
            assert_eq!(plan.node_count(), DEPTH as u64 + 1);
            tree.graft(&p("/copy"), plan).expect("fresh");
            assert_eq!(tree.dir_count(), 2 * DEPTH as u64);

            let before_move = tree.clone();
            tree.rename(&p("/d"), &p("/moved"), false).expect("movable");
            assert!(tree.get(&p("/moved/d/d")).is_some());
            let removed = tree.remove_dir_all(&p("/moved")).expect("dir");
            assert_eq!(removed.dirs, DEPTH as u64);
            assert_eq!(removed.files, [1]);
            let removed = tree.remove_dir_all(&p("/copy")).expect("dir");
            assert_eq!(removed.dirs, DEPTH as u64);
            assert_eq!((tree.file_count(), tree.dir_count()), (0, 0));
            assert!(before_move.get(&deep).is_some());
            drop(before_move);
            drop(tree);
        })
        .expect("spawn");
    worker.join().expect("no stack overflow");
}

#[test]
fn a_million_entries_in_one_directory() {
    const COUNT: u32 = 1_000_000;
    let mut tree: Tree<u32> = Tree::new();
    tree.create_dir(&p("/big")).expect("fresh");
    for i in 0..COUNT {
        tree.insert_file(&p(&format!("/big/f{i:07}")), i)
            .expect("fresh");
    }
    assert_eq!(tree.file_count(), u64::from(COUNT));
    let names = tree.list_dir(&p("/big")).expect("dir");
    assert_eq!(names.len(), COUNT as usize);
    assert!(names.windows(2).all(|pair| pair[0] < pair[1]));
    assert_eq!(
        tree.glob("/big/f0999999").expect("valid"),
        ["/big/f0999999"]
    );
    assert_eq!(file_at(&tree, "/big/f0500000"), 500_000);
}
