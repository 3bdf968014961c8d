//! The entries of one directory, by name.
//!
//! Resolving a path visits one directory per component, and most
//! directories hold a handful of entries, so a small directory is a sorted
//! vector searched front to back instead of a tree of nodes, whose first
//! [`INLINE`] entries live in the directory itself (so copying a directory
//! that holds one or two entries for an edit, and growing it to two,
//! allocates nothing, and resolving through it follows no pointer): each entry
//! keeps its name's length and first eight bytes as an integer, followed by a
//! `/` when the name is shorter than eight bytes, so a short name that is not
//! the path's last component is matched or rejected, `/` included, by one
//! integer comparison, without a call to `memcmp` or a search for the
//! component's end. Past [`FEW`] entries a
//! directory becomes a persistent hash trie ([`NameMap`]), so a lookup or an
//! edit stays O(log n) in a directory of any size, and copying a directory
//! for an edit never costs more than copying [`FEW`] entries. A large
//! directory sorts its names when it lists them.
//!
//! Invariant: `Few` holds at most [`FEW`] entries, sorted bytewise by name,
//! each with the `head` and `len` of its own name; `Many` holds more than
//! [`FEW`]` / 2` (a directory shrinking below that turns back into `Few`,
//! and the gap keeps one entry added and removed at the threshold from
//! converting every time). Either way, iteration is in bytewise name order
//! and a name appears once.
//!
//! Who may call: the tree's modules (walk and glob read, edits write).

use smallvec::SmallVec;

use super::name_map::{self, NameMap, SharedLeaf};
use super::node::{Entry, Name};

/// How a tree hashes the names of its large directories: one seed per tree,
/// which its copies keep, so twin trees hash names alike.
pub(crate) type Seed = foldhash::fast::RandomState;

/// The most entries a directory keeps in a sorted vector.
pub(crate) const FEW: usize = 8;

/// How many entries of a small directory are stored inline.
const INLINE: usize = 2;

/// The entries of a small directory, sorted by name.
type FewEntries<F> = SmallVec<[SmallEntry<F>; INLINE]>;

/// A directory's entries (see the module invariant).
#[derive(Clone, Debug)]
pub(crate) enum Children<F> {
    /// A small directory, sorted by name.
    Few(FewEntries<F>),
    /// A large directory.
    Many(NameMap<F>),
}

/// An entry of a small directory, with its name's matching key.
#[derive(Clone, Debug)]
pub(crate) struct SmallEntry<F> {
    /// What the bytes selected by `mask` of a path that goes on below this
    /// entry read as, little-endian: a name shorter than eight bytes
    /// followed by `/`, or a longer name's first eight bytes.
    key: u64,
    /// Selects the bytes of `key`: the name's and the `/` after a short one.
    mask: u64,
    /// The name's length in bytes.
    len: usize,
    name: Name,
    entry: Entry<F>,
}

/// `/` as the byte of a little-endian integer at offset zero.
const SLASH: u64 = b'/' as u64;

impl<F> SmallEntry<F> {
    fn new(name: Name, entry: Entry<F>) -> Self {
        let len = name.len();
        // Names are non-empty, so the shifts are below 64.
        let (key, mask) = if len < 8 {
            (
                head_of(name.as_bytes()) | SLASH << (8 * len),
                u64::MAX >> (64 - 8 * (len + 1)),
            )
        } else {
            (head_of(name.as_bytes()), u64::MAX)
        };
        SmallEntry {
            key,
            mask,
            len,
            name,
            entry,
        }
    }

    /// The name's first eight bytes as [`head_of`] reads them.
    fn head(&self) -> u64 {
        if self.len < 8 {
            self.key & (self.mask >> 8)
        } else {
            self.key
        }
    }

    /// Whether this entry's name is the component of `rest` that ends at
    /// its first `/` (or at its end), given `rest_head = head_of(rest)`.
    ///
    /// A short name followed by `/` is one comparison: `rest_head`'s byte
    /// after the name is `/` only if `rest` holds one there (its padding is
    /// zero). A short name that ends `rest` reads as its head; `rest` may
    /// hold NUL bytes (a user's string, resolved as written), which read as
    /// padding, so its length is compared too.
    #[inline]
    fn names_first_component(&self, rest: &[u8], rest_head: u64) -> bool {
        let len = self.len;
        if rest_head & self.mask == self.key {
            len < 8 || self.long_name_matches(rest)
        } else {
            len < 8 && rest.len() == len && rest_head == self.head()
        }
    }

    /// For a name of eight bytes or more whose head `rest` matches: whether
    /// the name ends where `rest`'s component does and matches past the head.
    #[inline]
    fn long_name_matches(&self, rest: &[u8]) -> bool {
        let len = self.len;
        (match rest.get(len) {
            None => rest.len() == len,
            Some(&next) => next == b'/',
        }) && (len == 8 || self.tail_matches(rest))
    }

    /// Whether this entry's name, longer than eight bytes, goes on in
    /// `rest` as it does past its head. Out of line and cold: a call to
    /// `memcmp` inside the resolution loop would make it keep its values on
    /// the stack.
    #[cold]
    #[inline(never)]
    fn tail_matches(&self, rest: &[u8]) -> bool {
        rest.get(8..self.len) == self.name.as_bytes().get(8..)
    }
}

impl<F> Default for Children<F> {
    fn default() -> Self {
        Children::Few(SmallVec::new())
    }
}

/// The first eight bytes of `bytes` as a little-endian integer, zero-padded.
#[inline]
fn head_of(bytes: &[u8]) -> u64 {
    match bytes.first_chunk::<8>() {
        Some(first) => u64::from_le_bytes(*first),
        None => short_head_of(bytes),
    }
}

/// [`head_of`] for fewer than eight bytes: a loop, where a copy of a
/// variable length would call `memcpy`.
#[cold]
fn short_head_of(bytes: &[u8]) -> u64 {
    bytes
        .iter()
        .rev()
        .fold(0, |head, &byte| head << 8 | u64::from(byte))
}

/// [`Children::get_component`] in a large directory; kept out of line so
/// that the resolution loop through small directories keeps its values in
/// registers.
#[inline(never)]
fn many_component<'a, F>(many: &'a NameMap<F>, rest: &[u8]) -> Option<(usize, &'a Entry<F>)> {
    let len = rest
        .iter()
        .position(|&byte| byte == b'/')
        .unwrap_or(rest.len());
    many.get_bytes(rest.get(..len)?)
        .map(|named| (len, &named.entry))
}

/// The position of `name` in a small directory, if present.
fn find<F>(few: &[SmallEntry<F>], name: &str) -> Option<usize> {
    let head = head_of(name.as_bytes());
    few.iter()
        .position(|candidate| candidate.head() == head && candidate.name == name)
}

impl<F> Children<F> {
    /// How many entries there are.
    pub(crate) fn len(&self) -> usize {
        match self {
            Children::Few(few) => few.len(),
            Children::Many(many) => many.len(),
        }
    }

    /// Whether there are none.
    pub(crate) fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The entry named `name`.
    pub(crate) fn get(&self, name: &str) -> Option<&Entry<F>> {
        self.get_key_value(name).map(|(_, entry)| entry)
    }

    /// The entry named by the first component of `rest` (the part of a
    /// normalized path after a `/`), and that component's length: what path
    /// resolution asks of each directory on the way. A small directory
    /// compares its names against the path in place, so the component's end
    /// need not be searched for first.
    #[inline]
    pub(crate) fn get_component(&self, rest: &[u8]) -> Option<(usize, &Entry<F>)> {
        match self {
            Children::Few(few) => {
                let rest_head = head_of(rest);
                // The first entry apart: a directory on a path mostly holds
                // one, and it is then tried without setting up a loop.
                let [first, others @ ..] = few.as_slice() else {
                    return None;
                };
                if first.names_first_component(rest, rest_head) {
                    return Some((first.len, &first.entry));
                }
                for candidate in others {
                    if candidate.names_first_component(rest, rest_head) {
                        return Some((candidate.len, &candidate.entry));
                    }
                }
                None
            }
            Children::Many(many) => many_component(many, rest),
        }
    }

    /// The entry named `name`, with the stored name.
    pub(crate) fn get_key_value(&self, name: &str) -> Option<(&Name, &Entry<F>)> {
        match self {
            Children::Few(few) => find(few, name).map(|at| (&few[at].name, &few[at].entry)),
            Children::Many(many) => many.get(name).map(|named| (&named.name, &named.entry)),
        }
    }

    /// The entries in bytewise name order (a large directory sorts them
    /// first).
    pub(crate) fn iter(&self) -> Iter<'_, F> {
        match self {
            Children::Few(few) => Iter::Few(few.iter()),
            Children::Many(many) => {
                let mut sorted: Vec<_> = many.iter().collect();
                sorted.sort_unstable_by(|a, b| a.name.cmp(&b.name));
                Iter::Sorted(sorted.into_iter())
            }
        }
    }

    /// The entries in no particular order, for callers that do not need
    /// one: a large directory is not sorted.
    pub(crate) fn iter_unordered(&self) -> Iter<'_, F> {
        match self {
            Children::Few(few) => Iter::Few(few.iter()),
            Children::Many(many) => Iter::Many(many.iter()),
        }
    }
}

impl<F: Clone> Children<F> {
    /// Every entry, taken out, in no particular order.
    pub(crate) fn into_entries(self) -> Vec<(Name, Entry<F>)> {
        match self {
            Children::Few(few) => few
                .into_iter()
                .map(|small| (small.name, small.entry))
                .collect(),
            Children::Many(many) => many
                .iter()
                .map(|named| (named.name.clone(), named.entry.clone()))
                .collect(),
        }
    }

    /// Whether an entry is named `name`.
    pub(crate) fn contains_key(&self, name: &str) -> bool {
        self.get_key_value(name).is_some()
    }

    /// Stores `entry` under `name`, returning the entry it replaces. A
    /// directory growing past [`FEW`] entries hashes its names with `seed`,
    /// its tree's.
    pub(crate) fn insert(&mut self, name: Name, entry: Entry<F>, seed: &Seed) -> Option<Entry<F>> {
        match self.insert_few(name, entry, seed) {
            Ok(replaced) => replaced,
            Err((many, name, entry)) => many.insert(name, entry),
        }
    }

    /// [`insert`](Self::insert), also handing back the leaf of a large
    /// directory's new entry, for a twin directory to share
    /// ([`insert_from`](Self::insert_from)).
    pub(crate) fn insert_shared(
        &mut self,
        name: Name,
        entry: Entry<F>,
        seed: &Seed,
    ) -> (Option<Entry<F>>, Option<SharedLeaf<F>>) {
        match self.insert_few(name, entry, seed) {
            Ok(replaced) => (replaced, None),
            Err((many, name, entry)) => {
                let (replaced, leaf) = many.insert_shared(name, entry);
                (replaced, Some(leaf))
            }
        }
    }

    /// Stores `entry` under `name` as [`insert`](Self::insert) does, in
    /// `leaf` when the twin directory that made it is large too.
    pub(crate) fn insert_from(
        &mut self,
        name: Name,
        entry: Entry<F>,
        leaf: Option<SharedLeaf<F>>,
        seed: &Seed,
    ) -> Option<Entry<F>> {
        match (self, leaf) {
            (Children::Many(many), Some(leaf)) => many.insert_from(leaf),
            (children, _) => children.insert(name, entry, seed),
        }
    }

    /// Stores `entry` under `name` in a small directory (turning it into a
    /// large one past [`FEW`] entries); in a large one, hands the entry back
    /// with the map to store it in.
    #[allow(clippy::type_complexity)]
    fn insert_few(
        &mut self,
        name: Name,
        entry: Entry<F>,
        seed: &Seed,
    ) -> Result<Option<Entry<F>>, (&mut NameMap<F>, Name, Entry<F>)> {
        match self {
            Children::Few(few) => {
                match few.binary_search_by(|candidate| candidate.name.as_str().cmp(&name)) {
                    Ok(at) => return Ok(Some(std::mem::replace(&mut few[at].entry, entry))),
                    Err(at) if few.len() < FEW => few.insert(at, SmallEntry::new(name, entry)),
                    Err(_) => {
                        let mut many = NameMap::with_hasher(seed.clone());
                        for small in few.drain(..) {
                            many.insert(small.name, small.entry);
                        }
                        *self = Children::Many(many);
                        return match self {
                            Children::Many(many) => Err((many, name, entry)),
                            Children::Few(_) => Ok(None),
                        };
                    }
                }
                Ok(None)
            }
            Children::Many(many) => Err((many, name, entry)),
        }
    }

    /// Takes the entry named `name` out.
    pub(crate) fn remove(&mut self, name: &str) -> Option<Entry<F>> {
        match self {
            Children::Few(few) => find(few, name).map(|at| few.remove(at).entry),
            Children::Many(many) => {
                let removed = many.remove(name);
                if many.len() <= FEW / 2 {
                    let mut few: FewEntries<F> = many
                        .iter()
                        .map(|named| SmallEntry::new(named.name.clone(), named.entry.clone()))
                        .collect();
                    few.sort_unstable_by(|a, b| a.name.cmp(&b.name));
                    *self = Children::Few(few);
                }
                removed
            }
        }
    }
}

/// The entries of a directory.
pub(crate) enum Iter<'a, F> {
    /// Over a small directory (sorted).
    Few(std::slice::Iter<'a, SmallEntry<F>>),
    /// Over a large directory, sorted.
    Sorted(std::vec::IntoIter<&'a name_map::Named<F>>),
    /// Over a large directory, in hash order.
    Many(name_map::Iter<'a, F>),
}

impl<'a, F> Iterator for Iter<'a, F> {
    type Item = (&'a Name, &'a Entry<F>);

    fn next(&mut self) -> Option<Self::Item> {
        match self {
            Iter::Few(few) => few.next().map(|small| (&small.name, &small.entry)),
            Iter::Sorted(sorted) => sorted.next().map(|named| (&named.name, &named.entry)),
            Iter::Many(many) => many.next().map(|named| (&named.name, &named.entry)),
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        match self {
            Iter::Few(few) => few.size_hint(),
            Iter::Sorted(sorted) => sorted.size_hint(),
            Iter::Many(many) => many.size_hint(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{Children, Seed, FEW};
    use crate::tree::node::{Entry, Name};

    fn names(children: &Children<u32>) -> Vec<String> {
        children.iter().map(|(name, _)| name.to_string()).collect()
    }

    /// Growing past the threshold and shrinking back keeps every entry,
    /// the order and the representation the invariant asks for.
    #[test]
    fn small_and_large_directories_behave_alike() {
        let seed = Seed::default();
        let mut children = Children::default();
        let count = 3 * FEW as u32;
        // Inserted out of order, so both representations must sort.
        for i in (0..count).rev() {
            let previous = children.insert(Name::from(format!("n{i:03}")), Entry::File(i), &seed);
            assert!(previous.is_none());
            let expected_many = children.len() > FEW;
            assert_eq!(matches!(children, Children::Many(_)), expected_many);
        }
        let expected: Vec<String> = (0..count).map(|i| format!("n{i:03}")).collect();
        assert_eq!(names(&children), expected);
        assert!(matches!(children.get("n005"), Some(Entry::File(5))));
        assert!(matches!(
            children.insert(Name::from("n005"), Entry::File(50), &seed),
            Some(Entry::File(5))
        ));
        assert!(matches!(
            children.insert(Name::from("n005"), Entry::File(55), &seed),
            Some(Entry::File(50))
        ));
        assert!(matches!(children.get("n005"), Some(Entry::File(55))));
        assert!(children.get("n5").is_none());

        for i in 0..count {
            assert!(children.remove(&format!("n{i:03}")).is_some());
            assert!(children.remove(&format!("n{i:03}")).is_none());
            let left = children.len();
            assert_eq!(left, (count - i - 1) as usize);
            match &children {
                Children::Few(few) => assert!(few.len() <= FEW),
                Children::Many(many) => assert!(many.len() > FEW / 2),
            }
        }
        assert!(children.is_empty());
        assert!(matches!(children, Children::Few(_)));
    }

    /// `get_component` against its definition (the entry named by `rest`
    /// up to its first `/`), for names of every length around the eight
    /// bytes an entry's key holds, each followed by what may follow a name
    /// in a user's string: nothing, `/`, NUL (which reads as the key's
    /// padding), a longer name, or another component; in small and large
    /// directories.
    #[test]
    fn get_component_finds_the_first_component_only() {
        let names: Vec<String> = (1..=11)
            .map(|len| "abcdefghijk"[..len].to_owned())
            .chain(["b".into(), "abd".into(), "é".into()])
            .collect();
        let mut probes: Vec<Vec<u8>> = Vec::new();
        for name in &names {
            for suffix in [&b""[..], b"/", b"/x", b"\0", b"\0/x", b"x", b"x/y", b"//"] {
                probes.push([name.as_bytes(), suffix].concat());
            }
            let bytes = name.as_bytes();
            probes.push(bytes[..bytes.len() - 1].to_vec());
            probes.push([&bytes[..bytes.len() - 1], b"/"].concat());
        }
        probes.push(b"/abc".to_vec());
        probes.push(Vec::new());
        let seed = Seed::default();
        for count in [1, 2, 3, FEW, FEW + 1] {
            for skip in 0..names.len() {
                let mut children = Children::default();
                for (i, name) in names.iter().enumerate().skip(skip).take(count) {
                    children.insert(Name::from(name.as_str()), Entry::File(i as u32), &seed);
                }
                for rest in &probes {
                    let end = rest.iter().position(|&b| b == b'/').unwrap_or(rest.len());
                    let expected = std::str::from_utf8(&rest[..end])
                        .ok()
                        .and_then(|component| children.get(component))
                        .map(|entry| (end, format!("{entry:?}")));
                    let got = children
                        .get_component(rest)
                        .map(|(len, entry)| (len, format!("{entry:?}")));
                    assert_eq!(got, expected, "{rest:?} among {count} from {skip}");
                }
            }
        }
    }

    #[test]
    fn a_small_directory_keeps_bytewise_order() {
        let seed = Seed::default();
        let mut children = Children::default();
        for name in ["é", "a-b", "Z", "B", "a"] {
            children.insert(Name::from(name), Entry::File(0), &seed);
        }
        assert_eq!(names(&children), ["B", "Z", "a", "a-b", "é"]);
        assert!(children.contains_key("a-b"));
        assert!(!children.contains_key("a-"));
    }
}
