//! Glob matching over a tree.
//!
//! Invariant: the search visits each (directory, pattern position) pair at
//! most once, so however many `**` a pattern holds, its work is bounded by
//! directories × pattern components plus the entries it scans; and a
//! component without wildcards is looked up, never scanned. Matched paths
//! are rebuilt from parent links only when they are emitted, so a deep tree
//! costs no string per visited directory.

use std::borrow::Cow;
use std::iter::Peekable;
use std::str::Chars;

use globset::{Candidate, GlobBuilder, GlobMatcher};
use rustc_hash::FxHashSet;

use crate::error::TreeError;
use crate::path::NormPath;
use crate::tree::{DirId, Entry, Name, Tree};

/// One component of a compiled pattern.
enum Step {
    /// A name without wildcards.
    Literal(String),
    /// A name with wildcards.
    Wildcard(GlobMatcher),
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
    /// The pattern is normalized like a path, then matched component by
    /// component: `**` matches zero or more directories (a trailing `**`
    /// matches everything strictly below, files and directories); `*` any
    /// run of characters within a name (a leading dot included), `?` one
    /// character, `[seq]` and `[!seq]` one character in or not in `seq`.
    /// `{` and `}` are ordinary characters. The pattern `/` matches nothing.
    ///
    /// # Errors
    ///
    /// [`TreeError::InvalidPath`] if the pattern holds NUL or escapes the
    /// root; [`TreeError::InvalidPattern`] if a component does not compile
    /// (for example an unclosed `[`).
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
                    let matching = children.iter().filter(|(name, _)| {
                        matcher.is_match_candidate(&Candidate::from_bytes(name.as_bytes()))
                    });
                    for (name, entry) in matching {
                        self.advance(&state, last, name, entry);
                    }
                }
                Step::AnyDepth => {
                    if !last {
                        // Zero directories: the rest of the pattern applies here.
                        self.push(state.dir, state.step + 1, state.path);
                    }
                    for (name, entry) in children.iter() {
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
    for component in normalized.components() {
        let step = if component == "**" {
            // `**/**` means the same as `**`; merging them saves states.
            if matches!(steps.last(), Some(Step::AnyDepth)) {
                continue;
            }
            Step::AnyDepth
        } else if !component.contains(['*', '?', '[']) {
            Step::Literal(component.to_owned())
        } else {
            let glob = GlobBuilder::new(&escape_braces(component))
                .literal_separator(true)
                .build()
                .map_err(|err| TreeError::InvalidPattern {
                    pattern: pattern.to_owned(),
                    reason: err.kind().to_string(),
                })?;
            Step::Wildcard(glob.compile_matcher())
        };
        steps.push(step);
    }
    Ok(steps)
}

/// Makes `{` and `}` literal, as in Python's fnmatch, by wrapping those
/// outside bracket expressions in brackets (globset would read them as
/// alternation). Bracket expressions are copied verbatim, ending where
/// globset ends them.
fn escape_braces(component: &str) -> Cow<'_, str> {
    if !component.contains(['{', '}']) {
        return Cow::Borrowed(component);
    }
    let mut escaped = String::with_capacity(component.len() + 8);
    let mut chars = component.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '{' => escaped.push_str("[{]"),
            '}' => escaped.push_str("[}]"),
            '[' => {
                escaped.push('[');
                copy_bracket_body(&mut chars, &mut escaped);
            }
            _ => escaped.push(c),
        }
    }
    Cow::Owned(escaped)
}

/// Copies a bracket expression after its `[`, through its closing `]`,
/// following globset's parser: a leading `!`/`^` negates, a `]` first is a
/// member, and `[:name:]` (lowercase, up to 8 letters) is one unit.
fn copy_bracket_body(chars: &mut Peekable<Chars<'_>>, out: &mut String) {
    if let Some(&negation @ ('!' | '^')) = chars.peek() {
        out.push(negation);
        chars.next();
    }
    let mut first = true;
    let mut in_range = false;
    while let Some(c) = chars.next() {
        out.push(c);
        match c {
            ']' if !first => return,
            ']' => {}
            '-' if first => {}
            '-' => in_range = !in_range,
            '[' if !in_range && chars.peek() == Some(&':') => {
                if let Some(class) = posix_class(chars) {
                    out.push_str(&class);
                }
            }
            _ => in_range = false,
        }
        first = false;
    }
}

/// Consumes `:name:]` if that is what follows, returning it.
fn posix_class(chars: &mut Peekable<Chars<'_>>) -> Option<String> {
    let mut lookahead = chars.clone();
    let mut class = String::from(lookahead.next()?);
    let mut name_len = 0;
    loop {
        match lookahead.next()? {
            ':' if lookahead.peek() == Some(&']') => {
                lookahead.next();
                class.push_str(":]");
                *chars = lookahead;
                return Some(class);
            }
            c if c.is_ascii_lowercase() && name_len < 8 => {
                class.push(c);
                name_len += 1;
            }
            _ => return None,
        }
    }
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
    fn bad_patterns_are_errors() {
        let tree = sample();
        match tree.glob("/top/[ab") {
            Err(TreeError::InvalidPattern { pattern, reason }) => {
                assert_eq!(pattern, "/top/[ab");
                assert!(reason.contains("unclosed"), "{reason}");
            }
            other => panic!("expected InvalidPattern, got {other:?}"),
        }
        assert!(matches!(
            tree.glob("/[z-a]"),
            Err(TreeError::InvalidPattern { .. })
        ));
        assert!(matches!(
            tree.glob("/../*"),
            Err(TreeError::InvalidPath(PathError::EscapesRoot { .. }))
        ));
        assert!(matches!(
            tree.glob("/a\0*"),
            Err(TreeError::InvalidPath(PathError::Nul { .. }))
        ));
    }

    #[test]
    fn brace_escaping_leaves_bracket_expressions_alone() {
        assert_eq!(escape_braces("a*"), "a*");
        assert_eq!(escape_braces("a{b}*"), "a[{]b[}]*");
        assert_eq!(escape_braces("[{}]*"), "[{}]*");
        assert_eq!(escape_braces("[]{]{"), "[]{][{]");
        assert_eq!(escape_braces("[!]{]{"), "[!]{][{]");
        assert_eq!(escape_braces("[[:alpha:]{]{"), "[[:alpha:]{][{]");
        assert_eq!(escape_braces("[[:x]{"), "[[:x][{]");
        assert_eq!(escape_braces("[a-]{"), "[a-][{]");
    }

    use crate::error::PathError;
}
