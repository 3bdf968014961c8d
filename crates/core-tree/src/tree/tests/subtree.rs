//! Copy plans, grafts and the list of files below a path.

use crate::path::NormPath;
use crate::tree::{Name, Subtree, SubtreeDir, SubtreeFile, Tree};

use super::{exists, file_at, not_a_dir, not_found, p, sample, shape};

#[test]
fn subtree_and_graft_round_trip() {
    let mut tree = sample();
    tree.insert_file(&p("/a/b/d.txt"), 4).expect("fresh");
    tree.create_dir(&p("/a/empty")).expect("fresh");
    let plan = tree.subtree(&p("/a")).expect("dir");
    assert_eq!(plan.dirs.len(), 3);
    assert_eq!(plan.files.len(), 3);
    assert_eq!(plan.node_count(), 6);
    for (index, dir) in plan.dirs.iter().enumerate().skip(1) {
        assert!(dir.parent < index, "parents come first");
    }
    let mut dirs: Vec<String> = (0..plan.dirs.len())
        .map(|i| plan.relative_path(i))
        .collect();
    dirs.sort();
    assert_eq!(dirs, ["", "b", "empty"]);
    let mut files: Vec<String> = (0..plan.files.len())
        .map(|i| plan.file_relative_path(i))
        .collect();
    files.sort();
    assert_eq!(files, ["b/c.txt", "b/d.txt", "x.txt"]);

    let (files_before, dirs_before) = (tree.file_count(), tree.dir_count());
    tree.graft(&p("/e/copy"), plan.map_files(|n| n * 10))
        .expect("fresh");
    assert_eq!(tree.file_count(), files_before + 3);
    assert_eq!(tree.dir_count(), dirs_before + 3);
    let copied: Vec<(String, u32)> = tree.files_under(&p("/e/copy")).expect("dir");
    assert_eq!(
        copied,
        [
            ("/e/copy/b/c.txt".to_owned(), 30),
            ("/e/copy/b/d.txt".to_owned(), 40),
            ("/e/copy/x.txt".to_owned(), 10),
        ]
    );
    assert!(tree.list_dir(&p("/e/copy/empty")).expect("dir").is_empty());
    // The copy is independent of the original.
    tree.remove_dir_all(&p("/a")).expect("dir");
    assert_eq!(file_at(&tree, "/e/copy/b/c.txt"), 30);
}

#[test]
fn subtree_errors() {
    let tree = sample();
    assert_eq!(tree.subtree(&p("/f")).map(|_| ()), Err(not_a_dir("/f")));
    assert_eq!(
        tree.subtree(&p("/nope")).map(|_| ()),
        Err(not_found("/nope"))
    );
    let whole = tree.subtree(&NormPath::root()).expect("root");
    assert_eq!(whole.node_count(), 1 + tree.dir_count() + tree.file_count());
}

#[test]
fn try_map_files_stops_at_the_first_error() {
    let plan = sample().subtree(&p("/a")).expect("dir");
    let failed: Result<Subtree<u32>, u32> =
        plan.clone()
            .try_map_files(|n| if n == 3 { Err(n) } else { Ok(n) });
    assert_eq!(failed.map(|_| ()), Err(3));
    let doubled = plan
        .try_map_files(|n| Ok::<_, ()>(n * 2))
        .expect("no error");
    let mut payloads: Vec<u32> = doubled.files.iter().map(|f| f.file).collect();
    payloads.sort_unstable();
    assert_eq!(payloads, [2, 6]);
}

#[test]
fn graft_errors_change_nothing() {
    let mut tree = sample();
    let plan = tree.subtree(&p("/a")).expect("dir");
    let before = shape(&tree);
    let cases = [
        ("/", exists("/")),
        ("/a", exists("/a")),
        ("/f", exists("/f")),
        ("/nope/x", not_found("/nope")),
        ("/f/x", not_a_dir("/f")),
    ];
    for (dst, expected) in cases {
        assert_eq!(tree.graft(&p(dst), plan.clone()), Err(expected), "{dst}");
    }
    let mut clashing_file = plan.clone();
    clashing_file.files.push(SubtreeFile {
        parent: 0,
        name: Name::from("b"),
        file: 0,
    });
    assert_eq!(tree.graft(&p("/g"), clashing_file), Err(exists("/g/b")));
    let mut clashing_dir = plan.clone();
    let b = clashing_dir
        .dirs
        .iter()
        .position(|dir| dir.name == "b")
        .expect("b is in the plan");
    clashing_dir.dirs.push(SubtreeDir {
        parent: b,
        name: Name::from("sub"),
    });
    clashing_dir.dirs.push(SubtreeDir {
        parent: b,
        name: Name::from("sub"),
    });
    assert_eq!(tree.graft(&p("/g"), clashing_dir), Err(exists("/g/b/sub")));
    assert_eq!(shape(&tree), before);
}

#[test]
#[should_panic(expected = "must come before it")]
fn graft_rejects_a_malformed_plan() {
    let mut tree: Tree<u32> = Tree::new();
    let plan = Subtree {
        dirs: vec![
            SubtreeDir {
                parent: 0,
                name: Name::default(),
            },
            SubtreeDir {
                parent: 2,
                name: Name::from("x"),
            },
            SubtreeDir {
                parent: 1,
                name: Name::from("y"),
            },
        ],
        files: Vec::new(),
    };
    let _ = tree.graft(&p("/g"), plan);
}

#[test]
fn an_empty_plan_grafts_an_empty_directory() {
    let mut tree: Tree<u32> = Tree::new();
    let plan = Subtree {
        dirs: Vec::new(),
        files: Vec::new(),
    };
    tree.graft(&p("/g"), plan).expect("fresh");
    assert_eq!(tree.dir_count(), 1);
    assert!(tree.list_dir(&p("/g")).expect("dir").is_empty());
}

#[test]
fn files_under_is_in_path_order() {
    let mut tree: Tree<u32> = Tree::new();
    tree.create_dir_all(&p("/a/x")).expect("fresh");
    tree.insert_file(&p("/a/x/1"), 1).expect("fresh");
    tree.insert_file(&p("/a-b"), 2).expect("fresh");
    tree.insert_file(&p("/a/y"), 3).expect("fresh");
    tree.insert_file(&p("/a0"), 4).expect("fresh");
    let all: Vec<String> = tree
        .files_under(&NormPath::root())
        .expect("root")
        .into_iter()
        .map(|(path, _)| path)
        .collect();
    assert_eq!(all, ["/a-b", "/a/x/1", "/a/y", "/a0"]);
    assert_eq!(
        tree.files_under(&p("/a-b")),
        Ok(vec![("/a-b".to_owned(), 2)])
    );
    assert_eq!(
        tree.files_under(&p("/a/x")),
        Ok(vec![("/a/x/1".to_owned(), 1)])
    );
    assert_eq!(tree.files_under(&p("/nope")), Err(not_found("/nope")));
    assert_eq!(tree.files_under(&p("/a-b/c")), Err(not_a_dir("/a-b")));
}
