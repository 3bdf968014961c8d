//! Bracket expressions (`[seq]`, `[!seq]`) of a name pattern, read the way
//! Python's `fnmatch.translate` (3.11 and later) reads them, so a D-MemFS
//! pattern means the same here.
//!
//! The rules, in the order the reader applies them to the text after `[`:
//! a leading `!` negates; a `]` first (after the `!`, if any) is a member;
//! the next `]` closes the expression, and without one the `[` is an
//! ordinary character (the caller's business: [`parse`] returns `None`).
//! Inside, `x-y` is the range of scalar values from `x` to `y`, empty when
//! `x > y`; a `-` that cannot be a range's middle (first, last, or right
//! after a range) is a member. `^`, `[`, `\` and POSIX-class spellings such
//! as `[:alpha:]` are plain members.

/// The characters one bracket expression matches.
///
/// Invariant: `ranges` is sorted, and its ranges are disjoint and not
/// adjacent, so membership is one binary search.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct CharSet {
    ranges: Vec<(char, char)>,
    negated: bool,
}

impl CharSet {
    /// The set of `ranges` (each inclusive, non-empty), or its complement.
    fn new(mut ranges: Vec<(char, char)>, negated: bool) -> Self {
        ranges.sort_unstable();
        let mut merged: Vec<(char, char)> = Vec::with_capacity(ranges.len());
        for (low, high) in ranges {
            match merged.last_mut() {
                Some((_, last_high)) if u32::from(low) <= u32::from(*last_high) + 1 => {
                    *last_high = (*last_high).max(high);
                }
                _ => merged.push((low, high)),
            }
        }
        CharSet {
            ranges: merged,
            negated,
        }
    }

    /// Whether `c` is one of the characters the expression matches.
    pub(super) fn contains(&self, c: char) -> bool {
        let after = self.ranges.partition_point(|&(low, _)| low <= c);
        let member = after
            .checked_sub(1)
            .and_then(|at| self.ranges.get(at))
            .is_some_and(|&(_, high)| c <= high);
        member != self.negated
    }
}

/// Reads the bracket expression whose `[` comes just before `after_open`:
/// the set and the bytes it spans after the `[` (its closing `]` included),
/// or `None` if nothing closes it.
///
/// The scan for `]` covers all of `after_open`, so a caller that parses a
/// long component should pass it only up to the component's last `]`:
/// then a failed scan costs nothing and a successful one is consumed, and
/// parsing stays linear.
pub(super) fn parse(after_open: &str) -> Option<(CharSet, usize)> {
    let mut negated = after_open.starts_with('!');
    let items_start = usize::from(negated);
    let items_and_rest = after_open.get(items_start..)?;
    let scan_from = items_start + usize::from(items_and_rest.starts_with(']'));
    let close = scan_from + after_open.get(scan_from..)?.find(']')?;
    let items = after_open.get(items_start..close)?;

    // Members in the order written, reversed ranges left out.
    let mut members = Vec::new();
    let mut chars = items.chars();
    while let Some(low) = chars.next() {
        let mut ahead = chars.clone();
        match (ahead.next(), ahead.next()) {
            (Some('-'), Some(high)) => {
                chars = ahead;
                // A reversed range is empty, as in fnmatch: it adds nothing.
                if low <= high {
                    members.push(Member::Range(low, high));
                }
            }
            _ => members.push(Member::One(low)),
        }
    }
    if !negated {
        // fnmatch (CPython 3.10 to 3.13 alike) drops reversed ranges from
        // the text of the set and only then looks for a leading `!`: so
        // after leading reversed ranges, a `!` negates what follows, and a
        // range `!-y` becomes the members `-` and `y` (`[z-a!b]` is
        // `[!b]`, `[z-a!-y]` is `[!-y]`). D-MemFS's patterns mean that.
        match members.first().copied() {
            Some(Member::One('!')) => {
                members.remove(0);
                negated = true;
            }
            Some(Member::Range('!', high)) => {
                members.splice(0..1, [Member::One('-'), Member::One(high)]);
                negated = true;
            }
            _ => {}
        }
    }
    let ranges = members
        .into_iter()
        .map(|member| match member {
            Member::One(c) => (c, c),
            Member::Range(low, high) => (low, high),
        })
        .collect();
    Some((CharSet::new(ranges, negated), close + 1))
}

/// One member of a bracket expression as written.
#[derive(Debug, Clone, Copy)]
enum Member {
    One(char),
    /// A non-empty range, both ends included.
    Range(char, char),
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(expression: &str) -> (CharSet, usize) {
        parse(expression).unwrap_or_else(|| panic!("{expression:?} closes"))
    }

    fn members(expression: &str, candidates: &str) -> String {
        let (set, _) = set(expression);
        candidates.chars().filter(|&c| set.contains(c)).collect()
    }

    #[test]
    fn spans_through_the_first_closing_bracket() {
        assert_eq!(set("ab]cd]").1, 3);
        assert_eq!(set("]]").1, 2);
        assert_eq!(set("!]]").1, 3);
        assert_eq!(set("é]").1, "é]".len());
        assert_eq!(set("[:alpha:]]").1, "[:alpha:]".len());
    }

    #[test]
    fn unclosed_expressions_are_none() {
        for text in ["", "!", "]", "!]", "abc", "!]abc"] {
            assert_eq!(parse(text), None, "{text:?}");
        }
    }

    #[test]
    fn members_ranges_and_negation() {
        assert_eq!(members("ab]", "abc"), "ab");
        assert_eq!(members("!ab]", "abc"), "c");
        assert_eq!(members("^a]", "^ab"), "^a");
        assert_eq!(members("]a]", "]ab"), "]a");
        assert_eq!(members("!]a]", "]ab"), "b");
        assert_eq!(members("a-c]", "abcd-"), "abc");
        assert_eq!(members("à-ü]", "aéàüý"), "éàü");
        assert_eq!(members("z-a]", "az-m"), "");
        assert_eq!(members("!z-a]", "az-m"), "az-m");
        assert_eq!(members("a-]", "a-b"), "a-");
        assert_eq!(members("-a]", "a-b"), "a-");
        assert_eq!(members("!-a]", "a-b"), "b");
        assert_eq!(members("a-c-e]", "abcde-"), "abce-");
        assert_eq!(members("a--]", "a-b"), "");
        assert_eq!(members("--a]", "-0ab"), "-0a");
        assert_eq!(members("[:alpha:]", "[:alphxb]"), "[:alph");
        assert_eq!(members("\\]", "\\a"), "\\");
    }

    #[test]
    fn a_bang_after_leading_reversed_ranges_negates_as_in_fnmatch() {
        assert_eq!(members("z-a!]", "!-~abxz"), "!-~abxz");
        assert_eq!(members("z-a!ab]", "!-~abxz"), "!-~xz");
        assert_eq!(members("z-a!-~]", "!-~abxz"), "!abxz");
        assert_eq!(members("z-ay-b!x]", "!-~abxz"), "!-~abz");
        assert_eq!(members("z-a!!]", "!-~abxz"), "-~abxz");
        assert_eq!(members("!z-a!]", "!-~abxz"), "-~abxz");
        assert_eq!(members("az-a!]", "!-~abxz"), "!a");
    }

    #[test]
    fn overlapping_and_adjacent_ranges_merge() {
        let (merged, _) = set("a-cb-fg-hxz-y]");
        assert_eq!(merged.ranges, [('a', 'h'), ('x', 'x')]);
        assert!(merged.contains('h') && !merged.contains('i'));
        let (all, _) = set("\u{0}-\u{10FFFF}]");
        assert!(all.contains('\u{10FFFF}') && all.contains('\u{0}'));
    }
}
