//! Checks shared by the cargo-fuzz targets in `fuzz/` and their proptest
//! stand-in `tests/fuzz_paths_globs.rs`: each takes any input and panics
//! only on a real defect (a panic inside the library, or a result that
//! breaks a documented property).

#![allow(dead_code)]

use dmemfs_core_tree::glob::{MAX_WILDCARD_COMPONENT_BYTES, MAX_WILDCARD_PATTERN_BYTES};
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

/// `Tree::glob` never panics; an error is a bad path or a wildcard
/// component over the documented limits; a result is strictly sorted and
/// every match exists; a pattern without wildcards matches just itself
/// when it exists.
pub fn check_glob(tree: &Tree<u32>, pattern: &str) {
    let over_limits = reference_norm(pattern).is_some_and(|norm| over_wildcard_limits(&norm));
    match tree.glob(pattern) {
        Err(TreeError::InvalidPath(_)) => {
            assert!(reference_norm(pattern).is_none(), "{pattern:?} refused");
        }
        Err(TreeError::InvalidPattern { reason, .. }) => {
            // fnmatch has no invalid pattern: only the length limits refuse.
            assert!(over_limits, "{pattern:?} refused: {reason}");
            assert!(
                reason.contains(&format!("at most {MAX_WILDCARD_COMPONENT_BYTES} bytes"))
                    || reason.contains(&format!("{MAX_WILDCARD_PATTERN_BYTES} bytes together")),
                "the limit is named: {reason}"
            );
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

/// Whether the normalized pattern `norm` could exceed the glob limits: a
/// component that may hold wildcards (`*`, `?`, `[`; not `**`) longer than
/// the per-component limit, or all of them together over the total.
fn over_wildcard_limits(norm: &str) -> bool {
    let wild = || {
        norm.split('/')
            .filter(|c| *c != "**" && c.contains(['*', '?', '[']))
    };
    wild().any(|c| c.len() > MAX_WILDCARD_COMPONENT_BYTES)
        || wild().map(str::len).sum::<usize>() > MAX_WILDCARD_PATTERN_BYTES
}

/// One position of a reference pattern.
#[derive(Debug)]
enum RefToken {
    Star,
    AnyChar,
    Char(char),
    /// Inclusive ranges (a member `c` is `(c, c)`), negated or not.
    Set(bool, Vec<(char, char)>),
}

/// fnmatch's syntax, read plainly from the README's table (a different
/// reading from the library's, so the two check each other): `[` opens a
/// set only if a `]` closes it (a `]` right after `[` or `[!` does not);
/// inside, `x-y` is a range, empty when reversed, and a `!` left first
/// once leading reversed ranges are dropped negates.
fn reference_tokens(pattern: &[char]) -> Vec<RefToken> {
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < pattern.len() {
        let c = pattern[i];
        i += 1;
        match c {
            '*' => tokens.push(RefToken::Star),
            '?' => tokens.push(RefToken::AnyChar),
            '[' => {
                let mut end = i;
                if pattern.get(end) == Some(&'!') {
                    end += 1;
                }
                if pattern.get(end) == Some(&']') {
                    end += 1;
                }
                while end < pattern.len() && pattern[end] != ']' {
                    end += 1;
                }
                if end >= pattern.len() {
                    tokens.push(RefToken::Char('['));
                    continue;
                }
                let mut body = &pattern[i..end];
                i = end + 1;
                let mut negated = body.first() == Some(&'!');
                if negated {
                    body = &body[1..];
                }
                // (low, high, written as a range)
                let mut members: Vec<(char, char, bool)> = Vec::new();
                let mut k = 0;
                while k < body.len() {
                    if k + 2 < body.len() && body[k + 1] == '-' {
                        if body[k] <= body[k + 2] {
                            members.push((body[k], body[k + 2], true));
                        }
                        k += 3;
                    } else {
                        members.push((body[k], body[k], false));
                        k += 1;
                    }
                }
                if !negated && members.first().is_some_and(|m| m.0 == '!') {
                    negated = true;
                    let (_, high, range) = members.remove(0);
                    if range {
                        members.insert(0, (high, high, false));
                        members.insert(0, ('-', '-', false));
                    }
                }
                let ranges = members.iter().map(|&(l, h, _)| (l, h)).collect();
                tokens.push(RefToken::Set(negated, ranges));
            }
            c => tokens.push(RefToken::Char(c)),
        }
    }
    tokens
}

/// Whether `name` matches `pattern` under fnmatch's rules: a table over
/// (pattern position, name position), no cleverness.
pub fn reference_fnmatch(pattern: &str, name: &str) -> bool {
    let pattern: Vec<char> = pattern.chars().collect();
    let tokens = reference_tokens(&pattern);
    let name: Vec<char> = name.chars().collect();
    // reach[j]: the tokens so far can match name[..j].
    let mut reach = vec![false; name.len() + 1];
    reach[0] = true;
    for token in &tokens {
        let mut next = vec![false; name.len() + 1];
        for j in 0..=name.len() {
            match token {
                RefToken::Star => next[j] = reach[j] || (j > 0 && next[j - 1]),
                _ if j == 0 => {}
                RefToken::AnyChar => next[j] = reach[j - 1],
                RefToken::Char(c) => next[j] = reach[j - 1] && name[j - 1] == *c,
                RefToken::Set(negated, ranges) => {
                    let c = name[j - 1];
                    let member = ranges.iter().any(|&(l, h)| l <= c && c <= h);
                    next[j] = reach[j - 1] && member != *negated;
                }
            }
        }
        reach = next;
    }
    reach[name.len()]
}

/// A glob of `component` in a directory holding `names` returns exactly
/// the names [`reference_fnmatch`] accepts (components and names that
/// cannot be one path component are skipped; so are long components, to
/// keep the reference's quadratic table cheap).
pub fn check_name_matching(component: &str, names: &[String]) {
    let one_component = |text: &str| {
        !text.is_empty() && text != "." && text != ".." && !text.contains(['/', '\\', '\0'])
    };
    if !one_component(component) || component.len() > 256 {
        return;
    }
    let mut tree = Tree::new();
    tree.create_dir(&NormPath::parse("/d").expect("valid"))
        .expect("fresh tree");
    let mut expected = Vec::new();
    for name in names.iter().filter(|name| one_component(name)) {
        let path = format!("/d/{name}");
        if tree
            .insert_file(&NormPath::parse(&path).expect("valid"), 0)
            .is_ok()
            && reference_fnmatch(component, name)
        {
            expected.push(path);
        }
    }
    expected.sort_unstable();
    let found = tree
        .glob(&format!("/d/{component}"))
        .unwrap_or_else(|e| panic!("glob of {component:?}: {e}"));
    assert_eq!(found, expected, "glob of {component:?} over {names:?}");
}
