//! Checks shared by the cargo-fuzz targets in `fuzz/` and their proptest
//! stand-in `tests/fuzz_paths_globs.rs`: each takes any input and panics
//! only on a real defect (a panic inside the library, or a result that
//! breaks a documented property).

#![allow(dead_code)]

use dmemfs_core_tree::{NodeRef, NormPath, Tree, TreeError};

/// Path normalization as documented, written plainly: `\` is `/`, empty
/// and `.` components vanish, `..` pops and may not climb above the root,
/// NUL is invalid. `None` for an invalid path.
pub fn reference_norm(raw: &str) -> Option<String> {
    if raw.contains('\0') {
        return None;
    }
    let mut parts: Vec<&str> = Vec::new();
    for c in raw.split(['/', '\\']) {
        match c {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            name => parts.push(name),
        }
    }
    Some(format!("/{}", parts.join("/")))
}

/// `NormPath::parse` agrees with the reference, is idempotent, and its
/// accessors are consistent.
pub fn check_path(raw: &str) {
    let parsed = NormPath::parse(raw);
    let expected = reference_norm(raw);
    match (&parsed, &expected) {
        (Ok(p), Some(e)) => assert_eq!(p.as_str(), e, "normalizing {raw:?}"),
        (Err(_), None) => return,
        _ => panic!("normalizing {raw:?}: got {parsed:?}, expected {expected:?}"),
    }
    let Ok(p) = parsed else { return };
    assert_eq!(NormPath::parse(p.as_str()).as_ref(), Ok(&p), "idempotent");
    let comps: Vec<&str> = p.components().collect();
    assert_eq!(comps.len(), p.depth());
    assert_eq!(p.is_root(), comps.is_empty());
    for c in &comps {
        assert!(!c.is_empty() && *c != "." && *c != "..");
        assert!(!c.contains(['/', '\\', '\0']));
    }
    match (p.parent(), p.file_name()) {
        (Some(parent), Some(name)) => {
            assert_eq!(parent.join(name), p);
            assert!(parent.is_ancestor_of(&p));
        }
        (None, None) => assert!(p.is_root()),
        other => panic!("parent/file_name of {p}: {other:?}"),
    }
}

/// A small tree whose names include glob metacharacters.
pub fn sample_tree() -> Tree<u32> {
    let mut t = Tree::new();
    for d in ["/a/b/c", "/b", "/a[1]/x", "/.hidden/a", "/*", "/é/ü"] {
        t.create_dir_all(&NormPath::parse(d).expect("valid"))
            .expect("fresh tree");
    }
    let files = [
        "/a/x.txt",
        "/a/b/y.rs",
        "/a/b/c/z",
        "/b/a",
        "/f",
        "/a[1]/x/1",
        "/*/?",
        "/é/ü/n",
    ];
    for (i, f) in files.iter().enumerate() {
        t.insert_file(&NormPath::parse(f).expect("valid"), i as u32)
            .expect("fresh path");
    }
    t
}

/// `Tree::glob` never panics; an error is a bad path or pattern; a result
/// is strictly sorted and every match exists; a pattern without wildcards
/// matches just itself when it exists.
pub fn check_glob(tree: &Tree<u32>, pattern: &str) {
    match tree.glob(pattern) {
        Err(TreeError::InvalidPath(_) | TreeError::InvalidPattern { .. }) => {
            // Only patterns that fail to normalize, hold a class, or use
            // `**` inside a name are refused.
            if reference_norm(pattern).is_some() {
                assert!(
                    pattern.contains('[') || pattern.contains("**"),
                    "{pattern:?} refused"
                );
            }
        }
        Err(e) => panic!("glob {pattern:?}: unexpected {e:?}"),
        Ok(found) => {
            let norm = reference_norm(pattern).expect("a matched pattern normalizes");
            assert!(
                found.windows(2).all(|w| w[0] < w[1]),
                "glob {pattern:?} not sorted/unique: {found:?}"
            );
            for f in &found {
                let p = NormPath::parse(f).expect("matches are normal paths");
                assert_eq!(p.as_str(), f);
                assert!(tree.lookup(&p).is_ok(), "glob {pattern:?} invented {f}");
            }
            if !norm.contains(['*', '?', '[']) {
                let p = NormPath::parse(&norm).expect("normalizes");
                let exists = !p.is_root() && tree.lookup(&p).is_ok();
                let want: Vec<String> = if exists { vec![norm.clone()] } else { vec![] };
                assert_eq!(found, want, "literal pattern {pattern:?}");
            }
            if norm == "/**" {
                let all = tree.files_under(&NormPath::root()).expect("root").len();
                let files = found
                    .iter()
                    .filter(|f| {
                        matches!(
                            tree.lookup(&NormPath::parse(f).expect("normal")),
                            Ok(NodeRef::File(_))
                        )
                    })
                    .count();
                assert_eq!(files, all, "/** matches every file");
            }
        }
    }
}
