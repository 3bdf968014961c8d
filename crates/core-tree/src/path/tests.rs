//! Tests of path normalization, components and ancestry.

use super::*;

/// The fast path must accept exactly the inputs the full parse returns
/// unchanged: every string of up to 7 bytes over the bytes that matter.
#[test]
fn fast_path_agrees_with_the_full_parse() {
    let alphabet = ['/', '.', 'a', '\\', '\0'];
    let mut inputs = vec![String::new()];
    for _ in 0..7 {
        let longer: Vec<String> = inputs
            .iter()
            .filter(|s| s.len() == inputs.last().map_or(0, String::len))
            .flat_map(|s| alphabet.iter().map(move |c| format!("{s}{c}")))
            .collect();
        inputs.extend(longer);
    }
    for input in &inputs {
        let unchanged = NormPath::parse_slow(input).is_ok_and(|p| p.as_str() == input);
        assert_eq!(is_normal(input), unchanged, "input {input:?}");
    }
}

/// The same over long inputs: every string of up to 4 bytes at each offset
/// of 0 to 40 bytes into a normal path, so each byte, and each pair of a
/// byte and the next, lands in every lane of the fast path's vectorized
/// passes and in their scalar tails.
#[test]
fn fast_path_agrees_with_the_full_parse_in_long_paths() {
    let alphabet = ['/', '.', 'a', '\\', '\0'];
    let mut pieces = vec![String::new()];
    for _ in 0..4 {
        let longer: Vec<String> = pieces
            .iter()
            .filter(|s| s.len() == pieces.last().map_or(0, String::len))
            .flat_map(|s| alphabet.iter().map(move |c| format!("{s}{c}")))
            .collect();
        pieces.extend(longer);
    }
    for offset in 0..=40 {
        let head = format!("/{}", "b".repeat(offset));
        for piece in &pieces {
            for input in [format!("{head}{piece}"), format!("{head}{piece}/c/dd")] {
                let unchanged = NormPath::parse_slow(&input).is_ok_and(|p| p.as_str() == input);
                assert_eq!(is_normal(&input), unchanged, "input {input:?}");
            }
        }
    }
}

fn norm(input: &str) -> String {
    NormPath::parse(input).expect("valid path").0
}

fn escapes(input: &str) {
    assert_eq!(
        NormPath::parse(input),
        Err(PathError::EscapesRoot {
            path: input.to_owned()
        }),
        "{input:?} should escape"
    );
}

#[test]
fn empty_and_slashes_are_the_root() {
    for input in ["", "/", "//", "///", ".", "/.", "./", "\\", "/a/.."] {
        assert_eq!(norm(input), "/", "{input:?}");
    }
    assert!(NormPath::parse("").expect("root").is_root());
}

#[test]
fn already_normal_paths_are_unchanged() {
    for input in ["/a", "/a/b", "/a b/c.d", "/...", "/..a/a..", "/é/ü"] {
        assert_eq!(norm(input), input);
    }
}

#[test]
fn relative_paths_start_at_the_root() {
    assert_eq!(norm("a"), "/a");
    assert_eq!(norm("a/b"), "/a/b");
    assert_eq!(norm("./a"), "/a");
}

#[test]
fn dots_double_slashes_and_trailing_slashes_vanish() {
    assert_eq!(norm("/a/./b//c/"), "/a/b/c");
    assert_eq!(norm("//a///b"), "/a/b");
    assert_eq!(norm("/a/b/"), "/a/b");
    assert_eq!(norm("/a/b/."), "/a/b");
}

#[test]
fn backslashes_are_separators() {
    assert_eq!(norm("\\a\\b"), "/a/b");
    assert_eq!(norm("a\\b/c\\"), "/a/b/c");
    assert_eq!(norm("a\\..\\b"), "/b");
}

#[test]
fn dotdot_removes_the_previous_component() {
    assert_eq!(norm("/a/../b"), "/b");
    assert_eq!(norm("/a/b/.."), "/a");
    assert_eq!(norm("/a/b/../../c"), "/c");
    assert_eq!(norm("/a/b/../c/./d/.."), "/a/c");
}

#[test]
fn climbing_above_the_root_fails_at_any_point() {
    escapes("..");
    escapes("/..");
    escapes("/../a");
    escapes("a/../../b");
    escapes("/a/../..");
    escapes("\\..\\a");
    let err = NormPath::parse("a/../../b").expect_err("escapes");
    assert!(err.to_string().contains("a/../../b"));
}

#[test]
fn nul_bytes_are_rejected() {
    let err = NormPath::parse("/a\0b").expect_err("NUL");
    assert_eq!(
        err,
        PathError::Nul {
            path: "/a\0b".to_owned()
        }
    );
    assert!(err.to_string().contains("\\0"));
    assert!(NormPath::parse("\0").is_err());
}

#[test]
fn long_names_are_kept_whole() {
    let name = "x".repeat(10_000);
    let path = NormPath::parse(&format!("/{name}/")).expect("valid");
    assert_eq!(path.as_str().len(), 10_001);
    assert_eq!(path.components().collect::<Vec<_>>(), [name.as_str()]);
    assert_eq!(path.file_name(), Some(name.as_str()));
}

#[test]
fn components_in_both_directions() {
    let path = NormPath::parse("/a/b/c").expect("valid");
    assert_eq!(path.components().collect::<Vec<_>>(), ["a", "b", "c"]);
    assert_eq!(path.components().rev().collect::<Vec<_>>(), ["c", "b", "a"]);
    assert_eq!(NormPath::root().components().count(), 0);
}

#[test]
fn file_name_parent_and_depth() {
    let path = NormPath::parse("/a/b").expect("valid");
    assert_eq!(path.file_name(), Some("b"));
    assert_eq!(path.parent().expect("has parent").as_str(), "/a");
    let top = NormPath::parse("/a").expect("valid");
    assert_eq!(top.parent(), Some(NormPath::root()));
    assert_eq!(NormPath::root().parent(), None);
    assert_eq!(NormPath::root().file_name(), None);
    assert_eq!(NormPath::root().depth(), 0);
    assert_eq!(top.depth(), 1);
    assert_eq!(path.depth(), 2);
}

#[test]
fn join_adds_one_component() {
    assert_eq!(NormPath::root().join("a").as_str(), "/a");
    assert_eq!(NormPath::root().join("a").join("b").as_str(), "/a/b");
}

#[test]
fn ancestry_is_strict_and_component_wise() {
    let a = NormPath::parse("/a").expect("valid");
    let ab = NormPath::parse("/a/b").expect("valid");
    let a_b = NormPath::parse("/ab").expect("valid");
    let root = NormPath::root();
    assert!(a.is_ancestor_of(&ab));
    assert!(!a.is_ancestor_of(&a_b));
    assert!(!a.is_ancestor_of(&a));
    assert!(!ab.is_ancestor_of(&a));
    assert!(root.is_ancestor_of(&a));
    assert!(root.is_ancestor_of(&ab));
    assert!(!root.is_ancestor_of(&root));
}

#[test]
fn display_and_as_ref_show_the_string() {
    let path = NormPath::parse("a\\b").expect("valid");
    assert_eq!(path.to_string(), "/a/b");
    assert_eq!(AsRef::<str>::as_ref(&path), "/a/b");
}

#[test]
fn component_validity() {
    assert!(is_valid_component("a"));
    assert!(is_valid_component("..."));
    for bad in ["", ".", "..", "a/b", "a\\b", "a\0"] {
        assert!(!is_valid_component(bad), "{bad:?}");
    }
}
