//! Normalized absolute paths.
//!
//! Invariant: a [`NormPath`] holds either `/` or `/c1/c2/…/cn`, where every
//! component is non-empty, is neither `.` nor `..`, and contains no `/`, `\`
//! or NUL. Everything downstream splits on `/` and trusts the pieces, so this
//! type is the only place that checks them.
//!
//! Who may call: anyone. User input enters only through
//! [`NormPath::parse`]; [`NormPath::join`] is for names already known to be
//! valid components (such as names read back from a tree).

use std::fmt;

use crate::error::PathError;

/// A normalized absolute path (see the module invariant).
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Debug)]
pub struct NormPath(String);

impl NormPath {
    /// Normalizes `input` the way D-MemFS does.
    ///
    /// `\` is read as `/`; a relative path is taken from the root; empty and
    /// `.` components vanish; `..` removes the previous component; a trailing
    /// `/` is dropped and the empty string is the root.
    ///
    /// # Errors
    ///
    /// [`PathError::Nul`] if `input` holds a NUL byte, and
    /// [`PathError::EscapesRoot`] if a `..` would climb above the root at any
    /// point of a left-to-right reading (so `a/../../b` fails even though
    /// it ends below the root).
    pub fn parse(input: &str) -> Result<NormPath, PathError> {
        // Most paths arrive normal already: one scan and one copy.
        if is_normal(input) {
            return Ok(NormPath(input.to_owned()));
        }
        Self::parse_slow(input)
    }

    /// The full normalization, for inputs that are not normal already.
    fn parse_slow(input: &str) -> Result<NormPath, PathError> {
        // One pass, one allocation: components are copied as they are found.
        let mut out = String::with_capacity(input.len() + 1);
        let mut start = 0;
        for (at, byte) in input.bytes().enumerate() {
            match byte {
                b'/' | b'\\' => {
                    push_component(&mut out, &input[start..at], input)?;
                    start = at + 1;
                }
                0 => {
                    return Err(PathError::Nul {
                        path: input.to_owned(),
                    })
                }
                _ => {}
            }
        }
        push_component(&mut out, &input[start..], input)?;
        if out.is_empty() {
            out.push('/');
        }
        Ok(NormPath(out))
    }

    /// The root directory, `/`.
    pub fn root() -> NormPath {
        NormPath("/".to_owned())
    }

    /// The path as a string.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The path as an owned string, without copying it.
    ///
    /// ```
    /// # use dmemfs_core_tree::NormPath;
    /// let path = NormPath::parse("a//b/./c")?;
    /// assert_eq!(path.into_string(), "/a/b/c");
    /// # Ok::<(), dmemfs_core_tree::PathError>(())
    /// ```
    pub fn into_string(self) -> String {
        self.0
    }

    /// Whether this is the root directory.
    pub fn is_root(&self) -> bool {
        self.0.len() == 1
    }

    /// The components from the root down; none for the root.
    pub fn components(&self) -> impl DoubleEndedIterator<Item = &str> + Clone {
        components_of(&self.0)
    }

    /// The last component; `None` for the root.
    pub fn file_name(&self) -> Option<&str> {
        self.split_last().map(|(_, name)| name)
    }

    /// The directory containing this path; `None` for the root.
    pub fn parent(&self) -> Option<NormPath> {
        self.split_last()
            .map(|(parent, _)| NormPath(parent.to_owned()))
    }

    /// This path with one more component.
    ///
    /// `name` must be a single valid component (non-empty, not `.` or `..`,
    /// without `/`, `\` or NUL); this is checked only in debug builds.
    pub fn join(&self, name: &str) -> NormPath {
        debug_assert!(is_valid_component(name), "invalid component {name:?}");
        let mut joined = String::with_capacity(self.0.len() + 1 + name.len());
        if !self.is_root() {
            joined.push_str(&self.0);
        }
        joined.push('/');
        joined.push_str(name);
        NormPath(joined)
    }

    /// Whether `other` lies strictly below this path, component-wise: `/a`
    /// is an ancestor of `/a/b` but not of `/ab` nor of `/a` itself.
    pub fn is_ancestor_of(&self, other: &NormPath) -> bool {
        if self.is_root() {
            return !other.is_root();
        }
        other.0.len() > self.0.len()
            && other.0.starts_with(&self.0)
            && other.0.as_bytes()[self.0.len()] == b'/'
    }

    /// The number of components; 0 for the root.
    pub fn depth(&self) -> usize {
        if self.is_root() {
            0
        } else {
            self.0.bytes().filter(|&b| b == b'/').count()
        }
    }

    /// The parent path (as a string) and the last component, without
    /// allocating; `None` for the root.
    pub(crate) fn split_last(&self) -> Option<(&str, &str)> {
        if self.is_root() {
            return None;
        }
        let at = self.0.rfind('/')?;
        let parent = if at == 0 { "/" } else { &self.0[..at] };
        Some((parent, &self.0[at + 1..]))
    }
}

/// The components of a string that satisfies the [`NormPath`] invariant.
pub(crate) fn components_of(normalized: &str) -> std::str::SplitTerminator<'_, char> {
    normalized
        .get(1..)
        .unwrap_or_default()
        .split_terminator('/')
}

/// Whether `input` already satisfies the module invariant, so parsing it
/// would return it unchanged.
///
/// Two branch-free passes settle almost every path; only a path with a
/// component starting with `.` (such as `/a/.hidden`) is checked component
/// by component.
pub(crate) fn is_normal(input: &str) -> bool {
    let bytes = input.as_bytes();
    match bytes {
        [b'/'] => return true,
        [b'/', .., last] if *last != b'/' => {}
        _ => return false,
    }
    // Two passes without branches, which the compiler unrolls: no `\\` or
    // NUL, and no `/` followed by `/` or `.`.
    let forbidden = bytes.iter().fold(0u8, |seen, &byte| {
        seen | u8::from(byte == b'\\') | u8::from(byte == 0)
    });
    if forbidden != 0 {
        return false;
    }
    let pairs = bytes.iter().zip(&bytes[1..]);
    let slash_then_slash_or_dot = pairs.fold(0u8, |seen, (&a, &b)| {
        seen | (u8::from(a == b'/') & (u8::from(b == b'/') | u8::from(b == b'.')))
    });
    // A `/` before `.` needs a closer look (a name may start with `.`).
    slash_then_slash_or_dot == 0 || components_are_plain(bytes)
}

/// Whether every component of `bytes` (which starts with `/` and holds no
/// `\\` or NUL) is non-empty and neither `.` nor `..`.
fn components_are_plain(bytes: &[u8]) -> bool {
    bytes
        .get(1..)
        .unwrap_or_default()
        .split(|&byte| byte == b'/')
        .all(is_plain_component)
}

fn is_plain_component(component: &[u8]) -> bool {
    !matches!(component, b"" | b"." | b"..")
}

/// Whether `name` can be one component of a [`NormPath`].
pub(crate) fn is_valid_component(name: &str) -> bool {
    !name.is_empty() && name != "." && name != ".." && !name.contains(['/', '\\', '\0'])
}

fn push_component(out: &mut String, component: &str, input: &str) -> Result<(), PathError> {
    match component {
        "" | "." => {}
        // `out` is "" for the root, so a missing '/' means nothing to climb.
        ".." => match out.rfind('/') {
            Some(at) => out.truncate(at),
            None => {
                return Err(PathError::EscapesRoot {
                    path: input.to_owned(),
                })
            }
        },
        _ => {
            out.push('/');
            out.push_str(component);
        }
    }
    Ok(())
}

impl fmt::Display for NormPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for NormPath {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests;
