//! Tests of the walk: order, starting points, errors, and snapshot isolation.

use super::*;

fn p(path: &str) -> NormPath {
    NormPath::parse(path).expect("valid path")
}

type Item = (String, Vec<String>, Vec<String>);

fn item(dir: &str, subdirs: &[&str], files: &[&str]) -> Item {
    let owned = |names: &[&str]| names.iter().map(|name| (*name).to_owned()).collect();
    (dir.to_owned(), owned(subdirs), owned(files))
}

/// /a/{b/{c.txt}, a-b/, x.txt}, /a0, /z/
fn sample() -> Arc<Tree<u32>> {
    let mut tree = Tree::new();
    for dir in ["/a/b", "/a/a-b", "/z"] {
        tree.create_dir_all(&p(dir)).expect("fresh");
    }
    for file in ["/a/b/c.txt", "/a/x.txt", "/a0"] {
        tree.insert_file(&p(file), 0).expect("fresh");
    }
    Arc::new(tree)
}

#[test]
fn walks_top_down_in_sorted_order() {
    let items: Vec<Item> = walk(sample(), &NormPath::root()).expect("root").collect();
    assert_eq!(
        items,
        [
            item("/", &["a", "z"], &["a0"]),
            item("/a", &["a-b", "b"], &["x.txt"]),
            item("/a/a-b", &[], &[]),
            item("/a/b", &[], &["c.txt"]),
            item("/z", &[], &[]),
        ]
    );
}

#[test]
fn walks_from_a_subdirectory() {
    let items: Vec<Item> = walk(sample(), &p("/a")).expect("dir").collect();
    let dirs: Vec<&str> = items.iter().map(|(dir, _, _)| dir.as_str()).collect();
    assert_eq!(dirs, ["/a", "/a/a-b", "/a/b"]);
    let leaf: Vec<Item> = walk(sample(), &p("/z")).expect("dir").collect();
    assert_eq!(leaf, [item("/z", &[], &[])]);
}

#[test]
fn needs_an_existing_directory() {
    assert_eq!(
        walk(sample(), &p("/nope")).map(|_| ()),
        Err(TreeError::not_found("/nope"))
    );
    assert_eq!(
        walk(sample(), &p("/a0")).map(|_| ()),
        Err(TreeError::not_a_directory("/a0"))
    );
    assert_eq!(
        walk(sample(), &p("/a0/x")).map(|_| ()),
        Err(TreeError::not_a_directory("/a0"))
    );
}

#[test]
fn walks_its_snapshot_not_later_changes() {
    let mut tree = Arc::unwrap_or_clone(sample());
    let mut walker = walk(Arc::new(tree.clone()), &NormPath::root()).expect("root");
    assert_eq!(walker.next().map(|(dir, _, _)| dir), Some("/".to_owned()));
    tree.remove_dir_all(&p("/a")).expect("dir");
    tree.create_dir(&p("/new")).expect("fresh");
    let rest: Vec<String> = walker.map(|(dir, _, _)| dir).collect();
    assert_eq!(rest, ["/a", "/a/a-b", "/a/b", "/z"]);
}

#[test]
fn deep_and_wide_combs_stay_in_order() {
    // Each level has a leaf directory beside the one that goes deeper.
    let mut tree: Tree<u32> = Tree::new();
    let mut path = NormPath::root();
    for _ in 0..100 {
        tree.create_dir(&path.join("leaf")).expect("fresh");
        path = path.join("next");
        tree.create_dir(&path).expect("fresh");
    }
    let dirs: Vec<String> = walk(Arc::new(tree), &NormPath::root())
        .expect("root")
        .map(|(dir, _, _)| dir)
        .collect();
    assert_eq!(dirs.len(), 201);
    assert_eq!(dirs[1], "/leaf");
    assert_eq!(dirs[2], "/next");
    assert_eq!(dirs[3], "/next/leaf");
    assert!(dirs.last().expect("non-empty").ends_with("/next/next"));
}
