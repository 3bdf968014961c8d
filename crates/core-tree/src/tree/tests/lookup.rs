//! Lookups, directory nodes, and what a clone of a tree promises.

use crate::path::NormPath;
use crate::tree::{Entry, NodeRef, Tree};

use super::{dir_at, file_at, not_a_dir, not_found, p, sample, shape};

#[test]
fn a_new_tree_is_an_empty_root() {
    let tree: Tree<u32> = Tree::default();
    assert_eq!((tree.file_count(), tree.dir_count()), (0, 0));
    assert_eq!(dir_at(&tree, "/"), tree.root_id());
    assert!(tree.list_dir(&NormPath::root()).expect("root").is_empty());
    let root = tree.dir(tree.root_id()).expect("root node");
    assert!(root.is_empty());
    assert_eq!(root.created_at(), root.modified_at());
}

#[test]
fn counts_match_the_contents() {
    let tree = sample();
    assert_eq!((tree.file_count(), tree.dir_count()), (3, 3));
    assert_eq!(file_at(&tree, "/a/b/c.txt"), 3);
}

#[test]
fn lookup_tells_missing_from_through_a_file() {
    let tree = sample();
    assert_eq!(
        tree.lookup(&p("/nope")).map(|_| ()),
        Err(not_found("/nope"))
    );
    assert_eq!(
        tree.lookup(&p("/nope/x")).map(|_| ()),
        Err(not_found("/nope/x"))
    );
    assert_eq!(
        tree.lookup(&p("/a/nope/x")).map(|_| ()),
        Err(not_found("/a/nope/x"))
    );
    assert_eq!(tree.lookup(&p("/f/x")).map(|_| ()), Err(not_a_dir("/f")));
    assert_eq!(tree.lookup(&p("/f/x/y")).map(|_| ()), Err(not_a_dir("/f")));
    assert_eq!(
        tree.lookup(&p("/a/x.txt/y")).map(|_| ()),
        Err(not_a_dir("/a/x.txt"))
    );
    assert!(tree.get(&p("/f/x")).is_none());
    assert!(tree.get(&p("/a/b")).is_some());
}

#[test]
fn dir_nodes_expose_sorted_entries() {
    let mut tree = sample();
    for name in ["B", "a-b", "Z", "é"] {
        tree.insert_file(&p("/e").join(name), 0).expect("fresh");
    }
    let id = dir_at(&tree, "/e");
    let node = tree.dir(id).expect("present");
    assert_eq!(node.len(), 4);
    let names: Vec<&str> = node.entries().map(|(name, _)| name).collect();
    assert_eq!(names, ["B", "Z", "a-b", "é"]);
    assert!(matches!(node.get("B"), Some(Entry::File(0))));
    assert!(node.get("nope").is_none());
    assert!(matches!(
        tree.dir(tree.root_id()).and_then(|root| root.get("a")),
        Some(Entry::Dir(_))
    ));
}

#[test]
fn list_dir_is_sorted_and_needs_a_directory() {
    let tree = sample();
    assert_eq!(tree.list_dir(&p("/")).expect("dir"), ["a", "e", "f"]);
    assert_eq!(tree.list_dir(&p("/a")).expect("dir"), ["b", "x.txt"]);
    assert_eq!(tree.list_dir(&p("/f")), Err(not_a_dir("/f")));
    assert_eq!(tree.list_dir(&p("/nope")), Err(not_found("/nope")));
}

#[test]
fn snapshots_are_isolated() {
    let original = sample();
    let before = shape(&original);
    let mut copy = original.clone();
    copy.insert_file(&p("/a/b/new"), 9).expect("fresh");
    copy.replace_file(&p("/f"), 70).expect("file");
    copy.remove_dir_all(&p("/e")).expect("dir");
    copy.rename(&p("/a/b"), &p("/moved"), false)
        .expect("movable");
    copy.create_dir_all(&p("/x/y")).expect("fresh");
    assert_eq!(shape(&original), before);
    assert_eq!(file_at(&original, "/f"), 7);
    assert_eq!(file_at(&copy, "/f"), 70);
    assert_eq!(file_at(&copy, "/moved/new"), 9);
}

#[test]
fn trees_can_be_shared_across_threads() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Tree<std::sync::Arc<Vec<u8>>>>();
    assert_send_sync::<crate::walk::Walk<std::sync::Arc<Vec<u8>>>>();
}

/// Resolving the user's string is resolving its parse, whatever the input:
/// normal or not, valid or not, present or not, in small and large
/// directories alike.
#[test]
fn lookup_str_agrees_with_parse_then_lookup() {
    let mut tree = sample();
    for i in 0..20 {
        tree.insert_file(&p(&format!("/a/b/many{i}")), 100 + i)
            .expect("fresh");
    }
    tree.insert_file(&p("/a/.hidden"), 9).expect("fresh");
    tree.insert_file(&p("/a/a-long-name.txt"), 10)
        .expect("fresh");
    let inputs = [
        "/a/a-long-name.txt",
        "/a/a-long-name.tx",
        "/a/a-long-name.txt2",
        "/a/a-long-name.txt/",
        "/a/a-long-namE.txt",
        "/",
        "",
        "a",
        "/a",
        "a/b",
        "/a/b/",
        "/a/b/c.txt",
        "\\a\\b\\c.txt",
        "/a/./b//c.txt",
        "/a/x/../b/c.txt",
        "/a/.hidden",
        "/a/..hidden",
        "/a/../../b",
        "/a\0",
        "/nope",
        "/f",
        "/f/x",
        "/a/x.txt/y",
        "/a/b/many7",
        "/a/b/many77",
        "/a/b/many7/x",
        "/a/b/c",
        "/a/bb",
        "/e/",
        "/e/..",
        "..",
        "/.",
        // Resolvable as written up to a point: each must fall back to the
        // normalized reading, or to the error it gets.
        "/a/b/c.txt/",
        "/a//b",
        "/a/b/many7/",
        "/a/b//many7",
        "/a\0/b",
        "/a/b\\c.txt",
        "/a/b/many7\0",
        "/a/b/./many7",
        "/a/b/../b/many7",
        "/a/",
        "//a",
    ];
    for input in inputs {
        let expected = NormPath::parse(input)
            .map_err(crate::TreeError::from)
            .and_then(|path| tree.lookup(&path).map(|node| format!("{node:?}")));
        let got = tree.lookup_str(input).map(|node| format!("{node:?}"));
        assert_eq!(got, expected, "lookup_str({input:?})");
        let expected_get = NormPath::parse(input)
            .ok()
            .and_then(|path| tree.get(&path).map(|node| format!("{node:?}")));
        let got_get = tree.get_str(input).map(|node| format!("{node:?}"));
        assert_eq!(got_get, expected_get, "get_str({input:?})");
        // The shortcuts `get_as_written` documents for a caller that skips
        // parsing: what it finds is what the parse names, a file it finds
        // was named by a normal input, and its miss of a normal input is a
        // miss.
        let parsed = NormPath::parse(input).ok();
        let is_normal = parsed.as_ref().is_some_and(|path| path.as_str() == input);
        match tree.get_as_written(input) {
            Some(node) => {
                assert_eq!(Some(format!("{node:?}")), expected_get, "{input:?}");
                if let NodeRef::File(_) = node {
                    assert!(is_normal, "{input:?} found a file but is not normal");
                }
            }
            None if is_normal => assert_eq!(expected_get, None, "{input:?}"),
            None => {}
        }
    }
}
