//! Glob syntax: each component matches a name as Python's
//! `fnmatch.fnmatchcase` does (D-MemFS's glob), per Unicode scalar value;
//! `**` as a whole component spans directories; long wildcard components
//! are a typed `InvalidInput`, never a panic. README "Glob syntax" is the
//! table these tests hold the engine to, on both strategies.

#![allow(missing_docs)]

#[macro_use]
mod common;

use std::io::ErrorKind;

use common::*;
use dmemfs::MemoryFileSystem;
use dmemfs_core_tree::glob::{MAX_WILDCARD_COMPONENT_BYTES, MAX_WILDCARD_PATTERN_BYTES};

/// `(pattern, names it matches, names it does not)`, one name component
/// each. The verdicts are Python 3.11.7's `fnmatch.fnmatchcase(name,
/// pattern)` (3.10, 3.12 and 3.13 agree), written down as data.
const FNMATCH_TABLE: &[(&str, &[&str], &[&str])] = &[
    ("?", &["e", "é", "😀"], &["ée"]),
    ("??", &["ab", "ée"], &["é"]),
    ("[é]", &["é"], &["e", "ée"]),
    ("[à-ü]", &["à", "é", "ü"], &["a", "z", "ý"]),
    ("[^a]", &["^", "a"], &["b"]),
    ("[!^a]", &["b"], &["^", "a"]),
    ("[", &["["], &["a"]),
    ("a[", &["a["], &["a"]),
    ("[ab", &["[ab"], &["a", "b"]),
    ("[!", &["[!"], &["!"]),
    ("[!]", &["[!]"], &["!", "]", "a"]),
    ("[]", &["[]"], &["[", "]"]),
    ("[z-a]", &[], &["-", "a", "m", "z"]),
    ("[!z-a]", &["-", "a", "z"], &["ab"]),
    ("[]a]", &["]", "a"], &["b"]),
    ("[!]a]", &["b"], &["]", "a"]),
    ("[a-]", &["-", "a"], &["b"]),
    ("[-a]", &["-", "a"], &["b"]),
    ("[!-a]", &["b"], &["-", "a"]),
    ("[[:alpha:]]", &[":]", "[]", "a]"], &["a", "b", "x]"]),
    ("[[]", &["["], &["a"]),
    ("[]]", &["]"], &["]]"]),
    ("[!!]", &["a"], &["!"]),
    ("[a-c-e]", &["-", "b", "e"], &["d"]),
    ("[a--]", &[], &["-", "a", "b"]),
    ("[--a]", &["-", "0", "a"], &["b"]),
    ("[]-a]", &["]", "^", "a"], &["b"]),
    ("[z-a!]", &["!", "-", "x"], &[]),
    ("[z-a!b]", &["!", "c"], &["b"]),
    ("[z-a!-~]", &["!", "a"], &["-", "~"]),
    ("[*]", &["*"], &["a"]),
    ("[?]", &["?"], &["a"]),
    ("A", &["A"], &["a"]),
    ("[A-Z]", &["Q"], &["a"]),
    ("{a,b}", &["{a,b}"], &["a", "b"]),
    ("*", &[".hidden", "a"], &[]),
    (".*", &[".hidden"], &["a"]),
    ("*.txt", &[".txt", "a.txt"], &["a.TXT", "a.txt.bak"]),
    ("a*b*c", &["aXbYc", "abc"], &["acb"]),
    ("*a*", &["a", "bab"], &["b"]),
    ("[a-z]*[0-9]", &["abc1", "x9"], &["9x"]),
    ("x[!", &["x[!"], &["x"]),
];

both_strategies!(
    long_patterns_are_invalid_input_not_a_panic,
    limits_apply_to_wildcard_components_only,
    question_mark_is_one_character,
    brackets_hold_characters_not_bytes,
    brackets_follow_fnmatch,
    fnmatch_table,
    unclosed_bracket_is_a_literal_name,
    star_matches_dots,
    double_star_is_unchanged,
    backslash_separates_components,
);

/// Puts each name in a fresh directory `dir` as an empty file.
fn files(fs: &MemoryFileSystem, dir: &str, names: &[&str]) {
    fs.mkdir(dir, false).unwrap();
    for name in names {
        fs.write(&format!("{dir}/{name}"), b"").unwrap();
    }
}

fn glob(fs: &MemoryFileSystem, pattern: &str) -> Vec<String> {
    fs.glob(pattern)
        .unwrap_or_else(|e| panic!("glob {pattern:?}: {e}"))
}

fn under(dir: &str, names: &[&str]) -> Vec<String> {
    names.iter().map(|name| format!("{dir}/{name}")).collect()
}

/// The issue's two patterns panicked inside regex compilation.
fn long_patterns_are_invalid_input_not_a_panic(ctx: Ctx) {
    let fs = ctx.fs();
    files(&fs, "/d", &["a", "aaa"]);
    let before = state(&fs);
    for pattern in ["?".repeat(131_070), format!("*{}", "a".repeat(327_671))] {
        let e = expect_kind(fs.glob(&pattern), ErrorKind::InvalidInput);
        let message = e.to_string();
        assert!(
            message.contains("at most 4096 bytes"),
            "the limit is named: {}",
            &message[message.len() - 120..]
        );
    }
    let e = expect_kind(
        fs.glob(&format!("/d/{}", "[ab]".repeat(1025))),
        ErrorKind::InvalidInput,
    );
    assert!(e.to_string().contains("component 2 has 4100 bytes"));
    assert_eq!(state(&fs), before);
    // Up to the limit, long patterns are matched.
    let at_limit = format!("*{}", "a".repeat(MAX_WILDCARD_COMPONENT_BYTES - 1));
    assert!(glob(&fs, &format!("/d/{at_limit}")).is_empty());
    assert!(glob(&fs, &format!("/d/{}", "*a".repeat(2048))).is_empty());
    assert_eq!(glob(&fs, &format!("/d/a?{}", "*".repeat(4094))), ["/d/aaa"]);
    assert_eq!(
        glob(&fs, &format!("/d/{}a", "*".repeat(4095))),
        ["/d/a", "/d/aaa"]
    );
}

/// 4096 bytes per component with wildcards, 64 KiB for all of them; names
/// to look up have no limit but a path's.
fn limits_apply_to_wildcard_components_only(ctx: Ctx) {
    let fs = ctx.fs();
    assert_eq!(MAX_WILDCARD_COMPONENT_BYTES, 4096);
    assert_eq!(MAX_WILDCARD_PATTERN_BYTES, 65536);
    let wild = "?".repeat(MAX_WILDCARD_COMPONENT_BYTES);
    let sixteen = vec![wild.as_str(); 16].join("/");
    assert!(glob(&fs, &sixteen).is_empty());
    let e = expect_kind(fs.glob(&format!("{sixteen}/?")), ErrorKind::InvalidInput);
    assert!(e.to_string().contains("more than 65536 bytes together"));

    let name = "n[".repeat(5_000);
    let path = format!("/{name}/{name}");
    fs.mkdir(&format!("/{name}"), false).unwrap();
    fs.write(&path, b"x").unwrap();
    assert_eq!(glob(&fs, &path), [path.as_str()]);
    assert_eq!(glob(&fs, &format!("/*/{name}")), [path.as_str()]);
    let many_literals = "/x".repeat(40_000);
    assert!(glob(&fs, &format!("{many_literals}/*")).is_empty());
}

/// Issue 11 item 4: `?` missed `é` while `??` matched it.
fn question_mark_is_one_character(ctx: Ctx) {
    let fs = ctx.fs();
    files(&fs, "/q", &["e", "é", "éé", "😀", "e😀"]);
    assert_eq!(glob(&fs, "/q/?"), under("/q", &["e", "é", "😀"]));
    assert_eq!(glob(&fs, "/q/??"), under("/q", &["e😀", "éé"]));
    assert_eq!(glob(&fs, "/q/?é"), under("/q", &["éé"]));
    assert_eq!(
        glob(&fs, "/q/*?"),
        under("/q", &["e", "e😀", "é", "éé", "😀"])
    );
}

/// Issue 11 item 4: `[é]` and `[à-ü]` matched nothing.
fn brackets_hold_characters_not_bytes(ctx: Ctx) {
    let fs = ctx.fs();
    files(&fs, "/b", &["a", "à", "é", "ü", "ý", "éa"]);
    assert_eq!(glob(&fs, "/b/[é]"), under("/b", &["é"]));
    assert_eq!(glob(&fs, "/b/[à-ü]"), under("/b", &["à", "é", "ü"]));
    assert_eq!(glob(&fs, "/b/[!à-ü]"), under("/b", &["a", "ý"]));
    assert_eq!(glob(&fs, "/b/[é]?"), under("/b", &["éa"]));
}

/// Issue 11 item 5, pattern by pattern.
fn brackets_follow_fnmatch(ctx: Ctx) {
    let fs = ctx.fs();
    files(
        &fs,
        "/s",
        &["^", "a", "b", "[", "[!]", "[]", "]", "-", "z", "a]"],
    );
    assert_eq!(glob(&fs, "/s/[^a]"), under("/s", &["^", "a"]));
    assert_eq!(glob(&fs, "/s/["), under("/s", &["["]));
    assert_eq!(glob(&fs, "/s/[!]"), under("/s", &["[!]"]));
    assert_eq!(glob(&fs, "/s/[]"), under("/s", &["[]"]));
    assert!(glob(&fs, "/s/[z-a]").is_empty());
    assert_eq!(glob(&fs, "/s/[]a]"), under("/s", &["]", "a"]));
    assert_eq!(
        glob(&fs, "/s/[!]a]"),
        under("/s", &["-", "[", "^", "b", "z"])
    );
    assert_eq!(glob(&fs, "/s/[a-]"), under("/s", &["-", "a"]));
    assert_eq!(glob(&fs, "/s/[[:alpha:]]"), under("/s", &["[]", "a]"]));
}

fn fnmatch_table(ctx: Ctx) {
    let fs = ctx.fs();
    for (case, (pattern, matching, other)) in FNMATCH_TABLE.iter().enumerate() {
        let dir = format!("/case{case}");
        files(&fs, &dir, matching);
        for name in *other {
            fs.write(&format!("{dir}/{name}"), b"").unwrap();
        }
        assert_eq!(
            glob(&fs, &format!("{dir}/{pattern}")),
            under(&dir, matching),
            "pattern {pattern:?} over {matching:?} and {other:?}"
        );
    }
}

/// fnmatch reads a `[` that nothing closes as itself.
fn unclosed_bracket_is_a_literal_name(ctx: Ctx) {
    let fs = ctx.fs();
    fs.mkdir("/dir[", false).unwrap();
    fs.write("/dir[/a[b", b"x").unwrap();
    fs.write("/dir[/ab", b"x").unwrap();
    assert_eq!(glob(&fs, "/dir[/a[b"), ["/dir[/a[b"]);
    assert_eq!(glob(&fs, "dir[/*["), Vec::<String>::new());
    assert_eq!(glob(&fs, "/dir[/a[[]b"), ["/dir[/a[b"]);
    assert_eq!(glob(&fs, "/*[/a?"), ["/dir[/ab"]);
    // A long run of unclosed brackets is a name, read in linear time.
    assert!(glob(&fs, &"[".repeat(1_000_000)).is_empty());
}

/// `*` and `?` match a leading dot, as in fnmatch.
fn star_matches_dots(ctx: Ctx) {
    let fs = ctx.fs();
    files(&fs, "/h", &[".hidden", ".txt", "a.txt", "a.b.txt", "txt"]);
    assert_eq!(
        glob(&fs, "/h/*"),
        under("/h", &[".hidden", ".txt", "a.b.txt", "a.txt", "txt"])
    );
    assert_eq!(glob(&fs, "/h/.*"), under("/h", &[".hidden", ".txt"]));
    assert_eq!(
        glob(&fs, "/h/*.txt"),
        under("/h", &[".txt", "a.b.txt", "a.txt"])
    );
    assert_eq!(glob(&fs, "/h/?txt"), under("/h", &[".txt"]));
    assert_eq!(glob(&fs, "/h/*.*.*"), under("/h", &["a.b.txt"]));
}

/// `**` as a whole component spans zero or more directories; inside a
/// name it is `*`.
fn double_star_is_unchanged(ctx: Ctx) {
    let fs = ctx.fs();
    fs.mkdir("/t/u/v", false).unwrap();
    for file in [
        "/t/a.txt",
        "/t/u/b.txt",
        "/t/u/v/c.txt",
        "/t/u/v/d.md",
        "/tx",
    ] {
        fs.write(file, b"").unwrap();
    }
    let everything_below_t = [
        "/t/a.txt",
        "/t/u",
        "/t/u/b.txt",
        "/t/u/v",
        "/t/u/v/c.txt",
        "/t/u/v/d.md",
    ];
    assert_eq!(glob(&fs, "/t/**"), everything_below_t);
    assert_eq!(glob(&fs, "/t/**/**"), everything_below_t);
    assert_eq!(
        glob(&fs, "/t/**/*.txt"),
        ["/t/a.txt", "/t/u/b.txt", "/t/u/v/c.txt"]
    );
    assert_eq!(glob(&fs, "/**/v"), ["/t/u/v"]);
    assert_eq!(glob(&fs, "/t/**/u/**/*.md"), ["/t/u/v/d.md"]);
    assert_eq!(glob(&fs, "/t**"), ["/t", "/tx"]);
    assert_eq!(glob(&fs, "/t/u**/b**"), ["/t/u/b.txt"]);
    assert_eq!(glob(&fs, "/**").len(), 8);
    assert!(glob(&fs, "/").is_empty());
}

/// Patterns are normalized like paths, so `\` separates components even
/// inside brackets: no pattern matches a name holding `/` or `\`, and no
/// name holds one.
fn backslash_separates_components(ctx: Ctx) {
    let fs = ctx.fs();
    fs.mkdir("/d/[", false).unwrap();
    fs.write("/d/x.txt", b"").unwrap();
    fs.write("/d/[/]", b"").unwrap();
    assert_eq!(glob(&fs, r"d\*.txt"), ["/d/x.txt"]);
    assert_eq!(glob(&fs, r"/d/[\]"), ["/d/[/]"]);
    assert_eq!(glob(&fs, "/d/[/]"), ["/d/[/]"]);
}
