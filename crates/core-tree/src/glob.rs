//! Glob matching over a tree.
//!
//! Invariant: the search visits each (directory, pattern position) pair at
//! most once, so however many `**` a pattern holds, its work is bounded by
//! directories × pattern components plus the entries it scans; and a
//! component without wildcards is looked up, never scanned. Matched paths
//! are rebuilt from parent links only when they are emitted, so a deep tree
//! costs no string per visited directory.
//!
//! Each component is matched as Python's `fnmatch.fnmatchcase` matches a
//! name (see `name_pattern.rs`), so D-MemFS's patterns mean the same here.
//! Matching a name costs at most its length × the component's, and the
//! components with wildcards are bounded
//! ([`MAX_WILDCARD_COMPONENT_BYTES`], [`MAX_WILDCARD_PATTERN_BYTES`]), so
//! no pattern makes a glob slow per name or its compiled form large.

mod bracket;
mod name_pattern;

use rustc_hash::FxHashSet;

use crate::error::TreeError;
use crate::path::NormPath;
use crate::tree::{DirId, Entry, Name, Tree};

use name_pattern::NamePattern;

/// The most bytes one component with wildcards may have. A longer
/// component is [`TreeError::InvalidPattern`]; a component without
/// wildcards is looked up like a path and has no such limit.
pub const MAX_WILDCARD_COMPONENT_BYTES: usize = 4096;

/// The most bytes all components with wildcards of one pattern may have
/// together. More is [`TreeError::InvalidPattern`].
pub const MAX_WILDCARD_PATTERN_BYTES: usize = 64 * 1024;

/// One component of a compiled pattern.
enum Step {
    /// A name without wildcards.
    Literal(String),
    /// A name with wildcards.
    Wildcard(NamePattern),
    /// `**`: zero or more directories.
    AnyDepth,
}

/// A directory to match `steps[step..]` against. `path` indexes the arena
/// of reached directories, from which its path is rebuilt.
struct State {
    dir: DirId,
    step: usize,
    path: usize,
}

/// The work of one [`Tree::glob`] call.
struct Search<'t, F> {
    tree: &'t Tree<F>,
    steps: &'t [Step],
    /// (parent index, name) of every reached directory; index 0 is the root.
    arena: Vec<(usize, &'t Name)>,
    visited: FxHashSet<(DirId, usize)>,
    pending: Vec<State>,
    found: Vec<String>,
}

impl<F: Clone> Tree<F> {
    /// The paths matching `pattern`, sorted bytewise, each once.
    ///
    /// The pattern is normalized like a path (so `\` separates components
    /// too), then matched component by component: `**` matches zero or
    /// more directories (a trailing `**` matches everything strictly below,
    /// files and directories); any other component matches a name as
    /// Python's `fnmatch.fnmatchcase` does, per Unicode scalar value: `*`
    /// any run of characters (a leading dot included), `?` one character,
    /// `[seq]` and `[!seq]` one character in or not in `seq` (a `]` first is
    /// a member, `x-y` a range, empty if reversed; a `[` that nothing
    /// closes is an ordinary character). `{`, `}` and `^` are ordinary
    /// characters. The pattern `/` matches nothing.
    ///
    /// # Errors
    ///
    /// [`TreeError::InvalidPath`] if the pattern holds NUL or escapes the
    /// root; [`TreeError::InvalidPattern`] if a component with wildcards is
    /// longer than [`MAX_WILDCARD_COMPONENT_BYTES`], or all of them together
    /// than [`MAX_WILDCARD_PATTERN_BYTES`].
    pub fn glob(&self, pattern: &str) -> Result<Vec<String>, TreeError> {
        let steps = compile(pattern)?;
        if steps.is_empty() {
            return Ok(Vec::new());
        }
        let root = self.root_id();
        let mut search = Search {
            tree: self,
            steps: &steps,
            arena: Vec::new(),
            visited: FxHashSet::default(),
            pending: Vec::new(),
            found: Vec::new(),
        };
        static NO_NAME: Name = Name::const_new("");
        search.arena.push((0, &NO_NAME));
        search.visited.insert((root, 0));
        search.pending.push(State {
            dir: root,
            step: 0,
            path: 0,
        });
        search.run();
        let mut found = search.found;
        // Different `**` splits can reach one path more than once.
        found.sort_unstable();
        found.dedup();
        Ok(found)
    }
}

impl<'t, F: Clone> Search<'t, F> {
    fn run(&mut self) {
        let (tree, steps) = (self.tree, self.steps);
        while let Some(state) = self.pending.pop() {
            let children = &tree.node(state.dir).children;
            let last = state.step + 1 == steps.len();
            match &steps[state.step] {
                Step::Literal(name) => {
                    if let Some((name, entry)) = children.get_key_value(name.as_str()) {
                        self.advance(&state, last, name, entry);
                    }
                }
                Step::Wildcard(matcher) => {
                    let matching = children
                        .iter_unordered()
                        .filter(|(name, _)| matcher.matches(name));
                    for (name, entry) in matching {
                        self.advance(&state, last, name, entry);
                    }
                }
                Step::AnyDepth => {
                    if !last {
                        // Zero directories: the rest of the pattern applies here.
                        self.push(state.dir, state.step + 1, state.path);
                    }
                    for (name, entry) in children.iter_unordered() {
                        if last {
                            self.emit(state.path, name);
                        }
                        if let Entry::Dir(child) = entry {
                            let path = self.reach(state.path, name);
                            self.push(*child, state.step, path);
                        }
                    }
                }
            }
        }
    }

    /// `name` in `state.dir` matched the current step.
    fn advance(&mut self, state: &State, last: bool, name: &'t Name, entry: &'t Entry<F>) {
        if last {
            self.emit(state.path, name);
        } else if let Entry::Dir(child) = entry {
            let path = self.reach(state.path, name);
            self.push(*child, state.step + 1, path);
        }
    }

    fn push(&mut self, dir: DirId, step: usize, path: usize) {
        if self.visited.insert((dir, step)) {
            self.pending.push(State { dir, step, path });
        }
    }

    /// Records the directory `name` below the arena entry `parent`.
    fn reach(&mut self, parent: usize, name: &'t Name) -> usize {
        self.arena.push((parent, name));
        self.arena.len() - 1
    }

    fn emit(&mut self, parent: usize, name: &str) {
        let mut names = vec![name];
        let mut at = parent;
        while at != 0 {
            let (up, dir_name) = self.arena[at];
            names.push(dir_name);
            at = up;
        }
        let mut path = String::with_capacity(names.iter().map(|n| n.len() + 1).sum());
        for name in names.iter().rev() {
            path.push('/');
            path.push_str(name);
        }
        self.found.push(path);
    }
}

/// Normalizes `pattern` and compiles each component.
fn compile(pattern: &str) -> Result<Vec<Step>, TreeError> {
    let normalized = NormPath::parse(pattern)?;
    let mut steps = Vec::new();
    let mut wildcard_bytes = 0;
    for (index, component) in normalized.components().enumerate() {
        if component == "**" {
            // `**/**` means the same as `**`; merging them saves states.
            if !matches!(steps.last(), Some(Step::AnyDepth)) {
                steps.push(Step::AnyDepth);
            }
            continue;
        }
        let too_long = || TreeError::InvalidPattern {
            pattern: pattern.to_owned(),
            reason: format!(
                "component {} has {} bytes and wildcards; \
                 a component with wildcards may have at most {MAX_WILDCARD_COMPONENT_BYTES} bytes",
                index + 1,
                component.len(),
            ),
        };
        let is_long = component.len() > MAX_WILDCARD_COMPONENT_BYTES;
        // `*` and `?` always make a wildcard: refuse before compiling.
        if is_long && component.contains(['*', '?']) {
            return Err(too_long());
        }
        let step = if component.contains(['*', '?', '[']) {
            let compiled = NamePattern::parse(component);
            match compiled.as_literal() {
                // Only unclosed `[`: a name to look up after all.
                Some(name) => Step::Literal(name.to_owned()),
                None if is_long => return Err(too_long()),
                None => {
                    wildcard_bytes += component.len();
                    if wildcard_bytes > MAX_WILDCARD_PATTERN_BYTES {
                        return Err(TreeError::InvalidPattern {
                            pattern: pattern.to_owned(),
                            reason: format!(
                                "its components with wildcards have more than \
                                 {MAX_WILDCARD_PATTERN_BYTES} bytes together, the most allowed"
                            ),
                        });
                    }
                    Step::Wildcard(compiled)
                }
            }
        } else {
            Step::Literal(component.to_owned())
        };
        steps.push(step);
    }
    Ok(steps)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(path: &str) -> NormPath {
        NormPath::parse(path).expect("valid path")
    }

    /// /.hidden /a.txt /b.txt /ab/ /{x}.txt
    /// /top/x.txt /top/y.md /top/sub/z.txt /top/sub/deep/w.txt /top/sub/deep/q.md
    fn sample() -> Tree<u32> {
        let mut tree = Tree::new();
        tree.create_dir_all(&p("/top/sub/deep")).expect("fresh");
        tree.create_dir(&p("/ab")).expect("fresh");
        let files = [
            "/.hidden",
            "/a.txt",
            "/b.txt",
            "/{x}.txt",
            "/top/x.txt",
            "/top/y.md",
            "/top/sub/z.txt",
            "/top/sub/deep/w.txt",
            "/top/sub/deep/q.md",
        ];
        for file in files {
            tree.insert_file(&p(file), 0).expect("fresh");
        }
        tree
    }

    fn glob(pattern: &str) -> Vec<String> {
        sample().glob(pattern).expect("valid pattern")
    }

    #[test]
    fn star_matches_within_one_name_including_dots() {
        assert_eq!(
            glob("/*"),
            ["/.hidden", "/a.txt", "/ab", "/b.txt", "/top", "/{x}.txt"]
        );
        assert_eq!(glob("/*.txt"), ["/a.txt", "/b.txt", "/{x}.txt"]);
        assert_eq!(glob("/top/*"), ["/top/sub", "/top/x.txt", "/top/y.md"]);
        assert_eq!(glob("/*/*.txt"), ["/top/x.txt"]);
    }

    #[test]
    fn question_mark_and_classes() {
        assert_eq!(glob("/?.txt"), ["/a.txt", "/b.txt"]);
        assert_eq!(glob("/a?"), ["/ab"]);
        assert_eq!(glob("/[ab].txt"), ["/a.txt", "/b.txt"]);
        assert_eq!(glob("/[!a].txt"), ["/b.txt"]);
        assert_eq!(glob("/[a-z][a-z]"), ["/ab"]);
    }

    #[test]
    fn double_star_at_the_start() {
        assert_eq!(glob("/**/*.md"), ["/top/sub/deep/q.md", "/top/y.md"]);
        assert_eq!(glob("**/deep"), ["/top/sub/deep"]);
        assert_eq!(
            glob("/**/*.txt"),
            [
                "/a.txt",
                "/b.txt",
                "/top/sub/deep/w.txt",
                "/top/sub/z.txt",
                "/top/x.txt",
                "/{x}.txt",
            ]
        );
    }

    #[test]
    fn double_star_in_the_middle() {
        assert_eq!(
            glob("/top/**/*.txt"),
            ["/top/sub/deep/w.txt", "/top/sub/z.txt", "/top/x.txt"]
        );
        assert_eq!(
            glob("/top/**/deep/*"),
            ["/top/sub/deep/q.md", "/top/sub/deep/w.txt"]
        );
        assert_eq!(glob("/top/**/sub"), ["/top/sub"]);
    }

    #[test]
    fn double_star_at_the_end_is_everything_strictly_below() {
        assert_eq!(
            glob("/top/**"),
            [
                "/top/sub",
                "/top/sub/deep",
                "/top/sub/deep/q.md",
                "/top/sub/deep/w.txt",
                "/top/sub/z.txt",
                "/top/x.txt",
                "/top/y.md",
            ]
        );
        assert_eq!(glob("/top/**/"), glob("/top/**"));
        assert_eq!(glob("/**").len(), 13);
        assert!(glob("/a.txt/**").is_empty());
        assert!(glob("/ab/**").is_empty());
    }

    #[test]
    fn repeated_double_stars_yield_each_path_once() {
        assert_eq!(glob("/**/**"), glob("/**"));
        assert_eq!(glob("/**/**/*.txt"), glob("/**/*.txt"));
        let mixed = glob("/**/sub/**/**");
        assert_eq!(
            mixed,
            [
                "/top/sub/deep",
                "/top/sub/deep/q.md",
                "/top/sub/deep/w.txt",
                "/top/sub/z.txt"
            ]
        );
        // Two `**` separated by a wildcard reach paths in several ways.
        let all = glob("/**/*/**");
        let mut unique = all.clone();
        unique.dedup();
        assert_eq!(all, unique);
        assert_eq!(
            all,
            [
                "/top/sub",
                "/top/sub/deep",
                "/top/sub/deep/q.md",
                "/top/sub/deep/w.txt",
                "/top/sub/z.txt",
                "/top/x.txt",
                "/top/y.md",
            ]
        );
    }

    #[test]
    fn literal_patterns_are_looked_up() {
        assert_eq!(glob("/top/sub/z.txt"), ["/top/sub/z.txt"]);
        assert_eq!(glob("/top/sub"), ["/top/sub"]);
        assert_eq!(glob("/{x}.txt"), ["/{x}.txt"]);
        assert!(glob("/top/nope").is_empty());
        assert!(glob("/top/x.txt/y").is_empty());
    }

    #[test]
    fn patterns_are_normalized_like_paths() {
        assert_eq!(glob("top\\*.md"), ["/top/y.md"]);
        assert_eq!(glob("/top/./sub/../*.md"), ["/top/y.md"]);
        assert_eq!(glob("//top//*.md/"), ["/top/y.md"]);
        assert!(glob("/").is_empty());
        assert!(glob("").is_empty());
        assert!(glob("/top/..").is_empty());
    }

    #[test]
    fn braces_are_ordinary_characters() {
        assert_eq!(glob("/{x}*"), ["/{x}.txt"]);
        assert_eq!(glob("/*}.txt"), ["/{x}.txt"]);
        assert!(glob("/{a,b}*").is_empty());
        assert_eq!(glob("/[{]*"), ["/{x}.txt"]);
    }

    #[test]
    fn brackets_follow_fnmatch() {
        assert_eq!(glob("/[{]*"), ["/{x}.txt"]);
        assert_eq!(glob("/[^a].txt"), ["/a.txt"]);
        assert!(glob("/[z-a]*").is_empty());
        assert_eq!(glob("/[!z-a]b"), ["/ab"]);
        assert!(glob("/top/[ab").is_empty());
        assert_eq!(glob("/[]a].txt"), ["/a.txt"]);
    }

    #[test]
    fn unclosed_brackets_are_looked_up_as_names() {
        let steps = compile("/a[b/[!]/x*").expect("valid");
        assert!(matches!(&steps[0], Step::Literal(name) if name == "a[b"));
        assert!(matches!(&steps[1], Step::Literal(name) if name == "[!]"));
        assert!(matches!(&steps[2], Step::Wildcard(_)));
        let mut tree = sample();
        tree.insert_file(&p("/ab/[x"), 1).expect("fresh");
        assert_eq!(tree.glob("/ab/[x").expect("valid"), ["/ab/[x"]);
        assert_eq!(tree.glob("/a?/[x").expect("valid"), ["/ab/[x"]);
    }

    #[test]
    fn wildcard_components_are_bounded() {
        let tree = sample();
        let limit = MAX_WILDCARD_COMPONENT_BYTES;
        assert!(tree
            .glob(&"?".repeat(limit))
            .expect("at the limit")
            .is_empty());
        for long in [
            "?".repeat(limit + 1),
            format!("*{}", "a".repeat(limit)),
            "[ab]".repeat(limit / 4 + 1),
        ] {
            match tree.glob(&format!("/top/{long}")) {
                Err(TreeError::InvalidPattern { reason, .. }) => {
                    assert!(reason.contains("component 2 has"), "{reason}");
                    assert!(reason.contains(&limit.to_string()), "{reason}");
                }
                other => panic!("expected InvalidPattern, got {other:?}"),
            }
        }
        let many = vec!["*".repeat(limit); MAX_WILDCARD_PATTERN_BYTES / limit];
        assert!(tree.glob(&many.join("/")).expect("at the limit").is_empty());
        let too_many = format!("{}/*", many.join("/"));
        match tree.glob(&too_many) {
            Err(TreeError::InvalidPattern { reason, .. }) => {
                assert!(reason.contains("65536 bytes together"), "{reason}");
            }
            other => panic!("expected InvalidPattern, got {other:?}"),
        }
        // Literal components are names to look up: no limit.
        let name = "[".repeat(10 * limit);
        assert!(tree
            .glob(&format!("/{name}/{name}"))
            .expect("literal")
            .is_empty());
    }

    #[test]
    fn bad_paths_are_errors() {
        let tree = sample();
        assert!(matches!(
            tree.glob("/../*"),
            Err(TreeError::InvalidPath(PathError::EscapesRoot { .. }))
        ));
        assert!(matches!(
            tree.glob("/a\0*"),
            Err(TreeError::InvalidPath(PathError::Nul { .. }))
        ));
    }

    use crate::error::PathError;
}
