//! Edits: each one's effect, and that each error changes nothing.

use crate::error::TreeError;

use super::{dir_at, exists, file_at, is_a_dir, not_a_dir, not_found, p, sample, shape};

#[test]
fn insert_file_errors_change_nothing() {
    let mut tree = sample();
    let before = shape(&tree);
    let cases = [
        ("/", TreeError::root_not_allowed()),
        ("/nope/x", not_found("/nope")),
        ("/nope/deeper/x", not_found("/nope/deeper")),
        ("/f/x", not_a_dir("/f")),
        ("/a/x.txt", exists("/a/x.txt")),
        ("/a/b", exists("/a/b")),
    ];
    for (path, expected) in cases {
        assert_eq!(tree.insert_file(&p(path), 99), Err(expected), "{path}");
    }
    assert_eq!(shape(&tree), before);
    tree.insert_file(&p("/e/new"), 5).expect("fresh");
    assert_eq!(tree.file_count(), 4);
    assert_eq!(file_at(&tree, "/e/new"), 5);
}

#[test]
fn replace_file_swaps_the_payload() {
    let mut tree = sample();
    assert_eq!(tree.replace_file(&p("/f"), 8), Ok(7));
    assert_eq!(file_at(&tree, "/f"), 8);
    let before = shape(&tree);
    assert_eq!(tree.replace_file(&p("/nope"), 0), Err(not_found("/nope")));
    assert_eq!(
        tree.replace_file(&p("/nope/x"), 0),
        Err(not_found("/nope/x"))
    );
    assert_eq!(tree.replace_file(&p("/a"), 0), Err(is_a_dir("/a")));
    assert_eq!(tree.replace_file(&p("/"), 0), Err(is_a_dir("/")));
    assert_eq!(tree.replace_file(&p("/f/x"), 0), Err(not_a_dir("/f")));
    assert_eq!(shape(&tree), before);
}

#[test]
fn create_dir_errors_change_nothing() {
    let mut tree = sample();
    let before = shape(&tree);
    let cases = [
        ("/", exists("/")),
        ("/a", exists("/a")),
        ("/f", exists("/f")),
        ("/nope/x", not_found("/nope")),
        ("/f/x", not_a_dir("/f")),
    ];
    for (path, expected) in cases {
        assert_eq!(tree.create_dir(&p(path)), Err(expected), "{path}");
    }
    assert_eq!(shape(&tree), before);
    tree.create_dir(&p("/a/new")).expect("fresh");
    assert_eq!(tree.dir_count(), 4);
    let node = tree.dir(dir_at(&tree, "/a/new")).expect("present");
    assert_eq!(node.created_at(), node.modified_at());
}

#[test]
fn create_dir_all_creates_only_what_is_missing() {
    let mut tree = sample();
    assert_eq!(tree.create_dir_all(&p("/a/b")), Ok(0));
    assert_eq!(tree.create_dir_all(&p("/")), Ok(0));
    assert_eq!(tree.create_dir_all(&p("/a/b/c/d/e")), Ok(3));
    assert_eq!(tree.dir_count(), 6);
    assert_eq!(tree.list_dir(&p("/a/b/c/d")).expect("dir"), ["e"]);
    assert_eq!(tree.create_dir_all(&p("/new")), Ok(1));
    assert_eq!(tree.dir_count(), 7);
}

#[test]
fn create_dir_all_through_a_file_creates_nothing() {
    let mut tree = sample();
    let before = shape(&tree);
    assert_eq!(tree.create_dir_all(&p("/f/x/y")), Err(not_a_dir("/f")));
    assert_eq!(
        tree.create_dir_all(&p("/a/x.txt/y")),
        Err(not_a_dir("/a/x.txt"))
    );
    assert_eq!(tree.create_dir_all(&p("/f")), Err(not_a_dir("/f")));
    assert_eq!(shape(&tree), before);
}

#[test]
fn remove_file_returns_the_payload() {
    let mut tree = sample();
    let before = shape(&tree);
    assert_eq!(tree.remove_file(&p("/a")), Err(is_a_dir("/a")));
    assert_eq!(tree.remove_file(&p("/")), Err(is_a_dir("/")));
    assert_eq!(tree.remove_file(&p("/nope")), Err(not_found("/nope")));
    assert_eq!(tree.remove_file(&p("/nope/x")), Err(not_found("/nope/x")));
    assert_eq!(tree.remove_file(&p("/f/x")), Err(not_a_dir("/f")));
    assert_eq!(shape(&tree), before);
    assert_eq!(tree.remove_file(&p("/a/b/c.txt")), Ok(3));
    assert_eq!(tree.file_count(), 2);
    assert!(tree.get(&p("/a/b/c.txt")).is_none());
    assert!(tree.list_dir(&p("/a/b")).expect("dir").is_empty());
}

#[test]
fn remove_dir_all_takes_the_whole_subtree() {
    let mut tree = sample();
    let before = shape(&tree);
    assert_eq!(
        tree.remove_dir_all(&p("/")).map(|_| ()),
        Err(TreeError::root_not_allowed())
    );
    assert_eq!(
        tree.remove_dir_all(&p("/f")).map(|_| ()),
        Err(not_a_dir("/f"))
    );
    assert_eq!(
        tree.remove_dir_all(&p("/nope")).map(|_| ()),
        Err(not_found("/nope"))
    );
    assert_eq!(shape(&tree), before);

    let snapshot = tree.clone();
    let removed = tree.remove_dir_all(&p("/a")).expect("dir");
    let mut files = removed.files;
    files.sort_unstable();
    assert_eq!(files, [1, 3]);
    assert_eq!(removed.dirs, 2);
    assert_eq!((tree.file_count(), tree.dir_count()), (1, 1));
    assert_eq!(tree.list_dir(&p("/")).expect("dir"), ["e", "f"]);
    assert_eq!(tree.dir(dir_at(&snapshot, "/a/b")).map(|_| ()), None);
    // The snapshot still has everything.
    assert_eq!(shape(&snapshot), before);

    let removed = tree.remove_dir_all(&p("/e")).expect("dir");
    assert_eq!((removed.files.len(), removed.dirs), (0, 1));
    assert_eq!((tree.file_count(), tree.dir_count()), (1, 0));
}

#[test]
fn rename_moves_files_and_directories() {
    let mut tree = sample();
    let b = dir_at(&tree, "/a/b");
    assert_eq!(tree.rename(&p("/a/b"), &p("/e/b2"), false), Ok(0));
    assert_eq!(dir_at(&tree, "/e/b2"), b, "a moved directory keeps its id");
    assert_eq!(file_at(&tree, "/e/b2/c.txt"), 3);
    assert!(tree.get(&p("/a/b")).is_none());
    assert_eq!(tree.rename(&p("/f"), &p("/a/f2"), false), Ok(0));
    assert_eq!(file_at(&tree, "/a/f2"), 7);
    assert_eq!(tree.rename(&p("/a/f2"), &p("/a/f3"), false), Ok(0));
    assert_eq!(tree.list_dir(&p("/a")).expect("dir"), ["f3", "x.txt"]);
    assert_eq!(tree.rename(&p("/a"), &p("/ab"), false), Ok(0));
    assert_eq!(tree.list_dir(&p("/")).expect("dir"), ["ab", "e"]);
    assert_eq!((tree.file_count(), tree.dir_count()), (3, 3));
}

#[test]
fn rename_can_create_the_destination_parents() {
    let mut tree = sample();
    assert_eq!(
        tree.rename(&p("/a"), &p("/n/m/a"), false),
        Err(not_found("/n/m"))
    );
    assert_eq!(tree.rename(&p("/a"), &p("/n/m/a"), true), Ok(2));
    assert_eq!(file_at(&tree, "/n/m/a/b/c.txt"), 3);
    assert_eq!((tree.file_count(), tree.dir_count()), (3, 5));
    assert_eq!(tree.rename(&p("/f"), &p("/n/f"), true), Ok(0));
}

#[test]
fn rename_errors_come_in_order_and_change_nothing() {
    let mut tree = sample();
    let before = shape(&tree);
    let into_own = |src: &str, dst: &str| TreeError::IntoOwnSubtree {
        src: src.to_owned(),
        dst: dst.to_owned(),
    };
    let cases = [
        ("/", "/x", true, TreeError::root_not_allowed()),
        ("/nope", "/a/b", true, not_found("/nope")),
        ("/f/x", "/y", true, not_a_dir("/f")),
        ("/a", "/a", true, exists("/a")),
        ("/a", "/a/b/new", true, into_own("/a", "/a/b/new")),
        ("/a", "/a/b", true, into_own("/a", "/a/b")),
        ("/f", "/f/x", true, into_own("/f", "/f/x")),
        ("/a", "/e", true, exists("/e")),
        ("/a/b", "/a", true, exists("/a")),
        ("/a", "/", true, exists("/")),
        ("/e", "/f/x", true, not_a_dir("/f")),
        ("/e", "/f/x/y", true, not_a_dir("/f")),
        ("/e", "/a/x.txt/y/z", true, not_a_dir("/a/x.txt")),
        ("/e", "/n/e", false, not_found("/n")),
        ("/e", "/n/m/e", false, not_found("/n/m")),
    ];
    for (src, dst, parents, expected) in cases {
        assert_eq!(
            tree.rename(&p(src), &p(dst), parents),
            Err(expected),
            "{src} -> {dst}"
        );
    }
    assert_eq!(shape(&tree), before);
}
