//! The entries of a large directory: a persistent hash trie from names to
//! entries.
//!
//! A lookup hashes the name once and then indexes one 16-slot array per
//! level (three or four levels for ten thousand entries) before comparing a
//! single name. A slot is one pointer to what it holds (an entry with its
//! name, a node of the next level, or a bucket), so an edit copies one
//! array of 16 pointers per level, never names. A B-tree of names compares
//! strings at every level and copies names with every node it copies.
//!
//! What a create in a large directory cost, when every edit copied the
//! nodes on its path (before the writer kept twin trees and edited in
//! place; it still copies a node a snapshot shares), is that copy: each
//! occupied slot copied writes the reference count of another allocation
//! (a cache line of its own), and dropping the replaced node, when the
//! snapshot that held it goes, writes it again. Sixteen slots per node rather than 32
//! halve those writes per level for one more level of descent, and a slot
//! of one pointer (no variant beside it) is copied with a null test and an
//! increment. Measured (`scripts/callgrind_tree.sh`, 10,000 entries): a
//! create with its publication (`wide_create`) about 3,970 instructions,
//! against 5,290 with 32 slots of a variant and a pointer each; resolving
//! a name through the directory (`wide_lookup_str`) the same to within
//! the seeds' noise.
//!
//! Names are hashed with a seeded hash (`foldhash`, a seed per tree, which
//! the tree's copies keep), so which names collide cannot be chosen from
//! outside, and the trie's order (hash order) is never shown: the directory
//! sorts its names when it lists them. Two maps with one seed hash a name
//! alike, so a leaf one of them made can sit in the other too
//! ([`SharedLeaf`]): the writer's twin trees hold one leaf per entry
//! between them, not one each.
//!
//! Invariants:
//! - an entry sits in the slot its hash selects at every level on its way
//!   down (four bits per level, lowest bits first); two entries with equal
//!   64-bit hashes share one `Bucket` where their paths would meet;
//! - a node other than the root holds at least two entries below it (a
//!   removal that leaves one lifts it into the parent), so the trie is at
//!   most 16 levels deep (64 bits of hash): the recursion of edits, and of
//!   dropping, is bounded by that, whatever the directory's size;
//! - `len` counts the entries.
//!
//! Who may call: [`Children`](super::children) only.

use std::fmt;
use std::hash::BuildHasher;
use std::mem;
use std::sync::Arc;

use foldhash::fast::RandomState;

use super::node::{Entry, Name};

const BITS: u32 = 4;
const WIDTH: usize = 1 << BITS;
const MASK: u64 = WIDTH as u64 - 1;

/// A persistent map from names to entries (see the module invariants).
pub(crate) struct NameMap<F> {
    root: Arc<Node<F>>,
    len: usize,
    hasher: RandomState,
}

/// One entry with its name and the name's hash.
#[derive(Clone)]
pub(crate) struct Named<F> {
    hash: u64,
    pub(crate) name: Name,
    pub(crate) entry: Entry<F>,
}

/// One level of the trie. A slot is one pointer (`None` is empty): what it
/// points to says what it is, so copying a slot is a null test and a
/// reference count, with no variant to dispatch on, and a node is 16
/// pointers.
struct Node<F> {
    slots: [Option<Arc<Child<F>>>; WIDTH],
}

/// What an occupied slot holds.
#[derive(Clone)]
enum Child<F> {
    Leaf(Named<F>),
    Node(Node<F>),
    /// Entries whose hashes are equal in all 64 bits.
    Bucket(Vec<Named<F>>),
}

// Manual impl: cloning copies `Arc`s, whatever `F` is.
impl<F> Clone for Node<F> {
    fn clone(&self) -> Self {
        Node {
            slots: self.slots.clone(),
        }
    }
}

impl<F> Node<F> {
    fn empty() -> Self {
        Node {
            slots: std::array::from_fn(|_| None),
        }
    }
}

impl<F> Clone for NameMap<F> {
    fn clone(&self) -> Self {
        NameMap {
            root: Arc::clone(&self.root),
            len: self.len,
            hasher: self.hasher.clone(),
        }
    }
}

impl<F: fmt::Debug> fmt::Debug for NameMap<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map()
            .entries(self.iter().map(|named| (&named.name, &named.entry)))
            .finish()
    }
}

fn index_at(hash: u64, shift: u32) -> usize {
    // Masked to `BITS` bits, so the cast is lossless.
    ((hash >> shift) & MASK) as usize
}

impl<F> Named<F> {
    fn is(&self, hash: u64, name: &[u8]) -> bool {
        self.hash == hash && self.name.as_bytes() == name
    }
}

/// A leaf (an entry with its name and hash) that one map made, to be
/// placed in another map of the same seed ([`NameMap::insert_from`]), so
/// both point to one allocation. Always a `Child::Leaf`.
pub(crate) struct SharedLeaf<F>(Arc<Child<F>>);

// Manual impl: cloning a leaf's handle is a reference count, whatever `F` is.
impl<F> Clone for SharedLeaf<F> {
    fn clone(&self) -> Self {
        SharedLeaf(Arc::clone(&self.0))
    }
}

impl<F> fmt::Debug for SharedLeaf<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SharedLeaf").finish_non_exhaustive()
    }
}

impl<F> NameMap<F> {
    /// An empty map with a fresh seed.
    #[cfg(test)]
    pub(crate) fn new() -> Self {
        Self::with_hasher(RandomState::default())
    }

    /// An empty map hashing names with `hasher` (its tree's).
    pub(crate) fn with_hasher(hasher: RandomState) -> Self {
        NameMap {
            root: Arc::new(Node::empty()),
            len: 0,
            hasher,
        }
    }

    /// How many entries the map holds.
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    fn hash(&self, name: &str) -> u64 {
        self.hash_bytes(name.as_bytes())
    }

    /// The hash of a name given as bytes; the one hash of this map.
    fn hash_bytes(&self, name: &[u8]) -> u64 {
        self.hasher.hash_one(name)
    }

    /// The entry named `name`.
    #[inline]
    pub(crate) fn get(&self, name: &str) -> Option<&Named<F>> {
        self.get_bytes(name.as_bytes())
    }

    /// The entry whose name's bytes are `name` (path resolution holds bytes).
    #[inline]
    pub(crate) fn get_bytes(&self, name: &[u8]) -> Option<&Named<F>> {
        let hash = self.hash_bytes(name);
        let mut node = &*self.root;
        let mut shift = 0;
        loop {
            match &**node.slots[index_at(hash, shift)].as_ref()? {
                Child::Leaf(leaf) => return leaf.is(hash, name).then_some(leaf),
                Child::Node(child) => {
                    node = child;
                    shift += BITS;
                }
                Child::Bucket(bucket) => {
                    return bucket.iter().find(|named| named.name.as_bytes() == name)
                }
            }
        }
    }

    /// Every entry, in no particular order.
    pub(crate) fn iter(&self) -> Iter<'_, F> {
        Iter {
            stack: vec![self.root.slots.iter()],
            bucket: [].iter(),
            left: self.len,
        }
    }
}

impl<F: Clone> NameMap<F> {
    /// Stores `entry` under `name`, returning the entry it replaces.
    pub(crate) fn insert(&mut self, name: Name, entry: Entry<F>) -> Option<Entry<F>> {
        self.insert_shared(name, entry).0
    }

    /// [`insert`](Self::insert), also handing back the new leaf, for a map
    /// of the same seed to share.
    pub(crate) fn insert_shared(
        &mut self,
        name: Name,
        entry: Entry<F>,
    ) -> (Option<Entry<F>>, SharedLeaf<F>) {
        let hash = self.hash(&name);
        let leaf = Arc::new(Child::Leaf(Named { hash, name, entry }));
        let replaced = self.insert_leaf(hash, Arc::clone(&leaf));
        (replaced, SharedLeaf(leaf))
    }

    /// Stores the entry of a leaf another map made, sharing the leaf when
    /// that map hashes names as this one does (else copying the entry into
    /// a leaf of this map's); returns the entry it replaces.
    pub(crate) fn insert_from(&mut self, leaf: SharedLeaf<F>) -> Option<Entry<F>> {
        let Child::Leaf(named) = &*leaf.0 else {
            return None;
        };
        let hash = self.hash(&named.name);
        if hash == named.hash {
            self.insert_leaf(hash, leaf.0)
        } else {
            let named = named.clone();
            self.insert(named.name, named.entry)
        }
    }

    /// Stores `leaf` (a `Child::Leaf` whose hash is `hash`, this map's hash
    /// of its name).
    fn insert_leaf(&mut self, hash: u64, leaf: Arc<Child<F>>) -> Option<Entry<F>> {
        let replaced = insert_below(Arc::make_mut(&mut self.root), 0, hash, leaf);
        if replaced.is_none() {
            self.len += 1;
        }
        replaced
    }

    /// Takes the entry named `name` out.
    pub(crate) fn remove(&mut self, name: &str) -> Option<Entry<F>> {
        // Look first, so a miss copies no shared node.
        self.get(name)?;
        let hash = self.hash(name);
        let removed = remove_below(Arc::make_mut(&mut self.root), 0, hash, name);
        if removed.is_some() {
            self.len -= 1;
        }
        removed
    }
}

/// Inserts `leaf` (a `Child::Leaf` of hash `hash`) into the subtrie `node`
/// at level `shift`; returns the entry it replaced. Recurses once per level
/// (at most 16).
fn insert_below<F: Clone>(
    node: &mut Node<F>,
    shift: u32,
    hash: u64,
    leaf: Arc<Child<F>>,
) -> Option<Entry<F>> {
    let slot = &mut node.slots[index_at(hash, shift)];
    let Some(child) = slot.take() else {
        *slot = Some(leaf);
        return None;
    };
    let (child, replaced) = insert_into(child, shift, hash, leaf);
    *slot = Some(child);
    replaced
}

/// Inserts `leaf` (a `Child::Leaf` of hash `hash`) into `child`, the
/// occupant of a slot at level `shift`; returns what the slot holds
/// afterwards and the entry `leaf` replaced.
fn insert_into<F: Clone>(
    mut child: Arc<Child<F>>,
    shift: u32,
    hash: u64,
    leaf: Arc<Child<F>>,
) -> (Arc<Child<F>>, Option<Entry<F>>) {
    if let Some(resident_hash) = hash_of(&child) {
        if resident_hash != hash {
            // Two hashes differing below this level (they agree on every
            // level down to here, so `shift + BITS` < 64): push the
            // occupant down one level, then insert beside it.
            let mut below = Node::empty();
            below.slots[index_at(resident_hash, shift + BITS)] = Some(child);
            let replaced = insert_below(&mut below, shift + BITS, hash, leaf);
            return (Arc::new(Child::Node(below)), replaced);
        }
    }
    match &*child {
        // A leaf of the same hash is replaced, not copied and changed.
        Child::Leaf(resident) => {
            let Child::Leaf(named) = &*leaf else {
                return (child, None);
            };
            if resident.name == named.name {
                let replaced = resident.entry.clone();
                (leaf, Some(replaced))
            } else {
                let bucket = vec![resident.clone(), named.clone()];
                (Arc::new(Child::Bucket(bucket)), None)
            }
        }
        Child::Bucket(_) => {
            let Child::Leaf(named) = Arc::unwrap_or_clone(leaf) else {
                return (child, None);
            };
            let replaced = match Arc::make_mut(&mut child) {
                Child::Bucket(bucket) => match bucket
                    .iter_mut()
                    .find(|resident| resident.name == named.name)
                {
                    Some(resident) => Some(mem::replace(resident, named).entry),
                    None => {
                        bucket.push(named);
                        None
                    }
                },
                Child::Leaf(_) | Child::Node(_) => None,
            };
            (child, replaced)
        }
        Child::Node(_) => {
            let replaced = match Arc::make_mut(&mut child) {
                Child::Node(node) => insert_below(node, shift + BITS, hash, leaf),
                Child::Leaf(_) | Child::Bucket(_) => None,
            };
            (child, replaced)
        }
    }
}

/// The one hash of the entries in a leaf or a bucket; `None` for a node.
fn hash_of<F>(child: &Child<F>) -> Option<u64> {
    match child {
        Child::Leaf(named) => Some(named.hash),
        Child::Bucket(bucket) => bucket.first().map(|named| named.hash),
        Child::Node(_) => None,
    }
}

/// Removes `name` (hashed to `hash`) from the subtrie `node` at level
/// `shift`, lifting a lone leaf left in a child node into `node`. Recurses
/// once per level (at most 16).
fn remove_below<F: Clone>(
    node: &mut Node<F>,
    shift: u32,
    hash: u64,
    name: &str,
) -> Option<Entry<F>> {
    let slot = &mut node.slots[index_at(hash, shift)];
    let child = slot.as_mut()?;
    // A leaf goes whole, without a copy.
    if let Child::Leaf(leaf) = &**child {
        let removed = leaf.is(hash, name.as_bytes()).then(|| leaf.entry.clone());
        if removed.is_some() {
            *slot = None;
        }
        return removed;
    }
    let (removed, left) = match Arc::make_mut(child) {
        Child::Node(below) => {
            let removed = remove_below(below, shift + BITS, hash, name);
            (removed, lone_leaf(below))
        }
        Child::Bucket(bucket) => {
            let at = bucket.iter().position(|named| named.name == name)?;
            let removed = bucket.remove(at).entry;
            let left = match bucket.as_slice() {
                [last] => Some(Some(Arc::new(Child::Leaf(last.clone())))),
                _ => None,
            };
            (Some(removed), left)
        }
        // Taken above, before the copy.
        Child::Leaf(_) => return None,
    };
    if let Some(left) = left {
        *slot = left;
    }
    removed
}

/// What should replace a child node that holds one leaf or none: that leaf,
/// or an empty slot. `None` while the node holds more, or a subnode.
fn lone_leaf<F>(node: &Node<F>) -> Option<Option<Arc<Child<F>>>> {
    let mut lone = None;
    for child in node.slots.iter().flatten() {
        match **child {
            Child::Leaf(_) if lone.is_none() => lone = Some(Arc::clone(child)),
            _ => return None,
        }
    }
    Some(lone)
}

/// The entries of a [`NameMap`], in no particular order.
pub(crate) struct Iter<'a, F> {
    /// The unvisited slots of each node on the way down.
    stack: Vec<std::slice::Iter<'a, Option<Arc<Child<F>>>>>,
    /// The unvisited entries of the bucket being visited.
    bucket: std::slice::Iter<'a, Named<F>>,
    left: usize,
}

impl<'a, F> Iterator for Iter<'a, F> {
    type Item = &'a Named<F>;

    fn next(&mut self) -> Option<Self::Item> {
        if let Some(named) = self.bucket.next() {
            self.left -= 1;
            return Some(named);
        }
        loop {
            let slots = self.stack.last_mut()?;
            let Some(slot) = slots.next() else {
                self.stack.pop();
                continue;
            };
            match slot.as_deref() {
                None => {}
                Some(Child::Leaf(leaf)) => {
                    self.left -= 1;
                    return Some(leaf);
                }
                Some(Child::Node(child)) => self.stack.push(child.slots.iter()),
                Some(Child::Bucket(bucket)) => {
                    self.bucket = bucket.iter();
                    if let Some(named) = self.bucket.next() {
                        self.left -= 1;
                        return Some(named);
                    }
                }
            }
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.left, Some(self.left))
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::{Child, NameMap, Node, BITS};
    use crate::tree::node::{Entry, Name};

    fn file(map: &NameMap<u32>, name: &str) -> Option<u32> {
        match map.get(name).map(|named| &named.entry) {
            Some(Entry::File(value)) => Some(*value),
            _ => None,
        }
    }

    /// Every node but the root holds two entries or more; returns the depth.
    fn check_shape(node: &Node<u32>, is_root: bool) -> usize {
        let mut entries = 0;
        let mut depth = 1;
        for child in node.slots.iter().flatten() {
            match &**child {
                Child::Leaf(_) => entries += 1,
                Child::Bucket(bucket) => entries += bucket.len(),
                Child::Node(child) => {
                    entries += 2;
                    depth = depth.max(1 + check_shape(child, false));
                }
            }
        }
        assert!(is_root || entries >= 2, "a non-root node holds one entry");
        depth
    }

    /// A leaf holding `named`, to insert by hand.
    fn leaf(named: super::Named<u32>) -> std::sync::Arc<Child<u32>> {
        std::sync::Arc::new(Child::Leaf(named))
    }

    #[test]
    fn behaves_like_a_map_and_snapshots_stay_put() {
        let mut map = NameMap::new();
        let mut model = BTreeMap::new();
        for i in 0..5_000u32 {
            let name = format!("f{i:06}.bin");
            assert!(map
                .insert(Name::from(name.as_str()), Entry::File(i))
                .is_none());
            model.insert(name, i);
        }
        assert_eq!(map.len(), 5_000);
        let snapshot = map.clone();
        assert!(matches!(
            map.insert(Name::from("f000007.bin"), Entry::File(70)),
            Some(Entry::File(7))
        ));
        assert!(matches!(
            map.insert(Name::from("f000008.bin"), Entry::File(80)),
            Some(Entry::File(8))
        ));
        for i in (0..5_000u32).filter(|i| i % 3 == 0) {
            let name = format!("f{i:06}.bin");
            assert!(matches!(map.remove(&name), Some(Entry::File(_))));
            assert!(map.remove(&name).is_none());
            model.remove(&name);
        }
        model.insert("f000007.bin".into(), 70);
        model.insert("f000008.bin".into(), 80);
        assert_eq!(map.len(), model.len());
        for (name, value) in &model {
            assert_eq!(file(&map, name), Some(*value), "{name}");
        }
        let mut listed: Vec<(String, u32)> = map
            .iter()
            .map(|named| match named.entry {
                Entry::File(value) => (named.name.to_string(), value),
                Entry::Dir(_) => panic!("only files"),
            })
            .collect();
        listed.sort();
        assert_eq!(listed, model.into_iter().collect::<Vec<_>>());
        assert_eq!(map.iter().size_hint(), (map.len(), Some(map.len())));

        assert_eq!(snapshot.len(), 5_000);
        assert_eq!(file(&snapshot, "f000007.bin"), Some(7));
        assert_eq!(file(&snapshot, "f000003.bin"), Some(3));
        assert!(snapshot.get("nope").is_none());

        let depth = check_shape(&map.root, true);
        assert!(depth <= 64 / BITS as usize);
        for i in 0..5_000u32 {
            map.remove(&format!("f{i:06}.bin"));
        }
        assert_eq!(map.len(), 0);
        assert!(map.root.slots.iter().all(Option::is_none));
    }

    /// A bucket of three forged collisions: two names replaced inside it
    /// (one through the map's own hash), one removed (it stays a bucket), and a snapshot
    /// taken before that still sees the bucket as it was.
    #[test]
    fn a_bucket_is_edited_by_copy() {
        let mut map: NameMap<u32> = NameMap::new();
        map.insert(Name::from("a"), Entry::File(1));
        let hash = map.hash("a");
        for (name, value) in [("b", 2), ("c", 3)] {
            let forged = super::Named {
                hash,
                name: Name::from(name),
                entry: Entry::File(value),
            };
            let root = std::sync::Arc::make_mut(&mut map.root);
            assert!(super::insert_below(root, 0, forged.hash, leaf(forged)).is_none());
            map.len += 1;
        }
        let snapshot = map.clone();
        let replacing = super::Named {
            hash,
            name: Name::from("b"),
            entry: Entry::File(20),
        };
        let root = std::sync::Arc::make_mut(&mut map.root);
        assert!(matches!(
            super::insert_below(root, 0, replacing.hash, leaf(replacing)),
            Some(Entry::File(2))
        ));
        assert!(matches!(
            map.insert(Name::from("a"), Entry::File(10)),
            Some(Entry::File(1))
        ));
        let root = std::sync::Arc::make_mut(&mut map.root);
        assert!(matches!(
            super::remove_below(root, 0, hash, "c"),
            Some(Entry::File(3))
        ));
        let values = |map: &NameMap<u32>| -> Vec<(String, u32)> {
            let mut values: Vec<_> = map
                .iter()
                .filter_map(|named| match named.entry {
                    Entry::File(value) => Some((named.name.to_string(), value)),
                    Entry::Dir(_) => None,
                })
                .collect();
            values.sort();
            values
        };
        assert_eq!(values(&map), [("a".into(), 10), ("b".into(), 20)]);
        let slot = map.root.slots[super::index_at(hash, 0)].as_deref();
        assert!(matches!(slot, Some(Child::Bucket(bucket)) if bucket.len() == 2));
        assert_eq!(
            values(&snapshot),
            [("a".into(), 1), ("b".into(), 2), ("c".into(), 3)]
        );
    }

    /// A name whose hash only shares a bucket's slot, not its hash, goes
    /// beside the bucket one level down, never into it: a bucket holds one
    /// hash, so it never turns into a list scanned by name.
    #[test]
    fn a_name_of_another_hash_goes_beside_a_bucket() {
        let mut map: NameMap<u32> = NameMap::new();
        map.insert(Name::from("a"), Entry::File(1));
        let hash = map.hash("a");
        let forged = super::Named {
            hash,
            name: Name::from("b"),
            entry: Entry::File(2),
        };
        let root = std::sync::Arc::make_mut(&mut map.root);
        assert!(super::insert_below(root, 0, forged.hash, leaf(forged)).is_none());
        map.len += 1;
        // A name of the same root slot but another hash.
        let other = (0..10_000)
            .map(|i| format!("n{i}"))
            .find(|name| {
                let h = map.hash(name);
                super::index_at(h, 0) == super::index_at(hash, 0)
                    && super::index_at(h, super::BITS) != super::index_at(hash, super::BITS)
            })
            .expect("one name in 256 shares the slot and parts one level down");
        map.insert(Name::from(other.as_str()), Entry::File(3));
        assert_eq!(file(&map, other.as_str()), Some(3));
        assert_eq!(file(&map, "a"), Some(1));
        let slot = map.root.slots[super::index_at(hash, 0)].as_deref();
        let Some(Child::Node(below)) = slot else {
            panic!("the slot should hold a node");
        };
        let bucket = below.slots[super::index_at(hash, super::BITS)].as_deref();
        assert!(matches!(bucket, Some(Child::Bucket(b)) if b.len() == 2));
        check_shape(&map.root, true);
    }

    /// Names whose hashes are equal in all 64 bits share a bucket; forced
    /// here by building the trie by hand, as a real collision needs the seed.
    #[test]
    fn full_hash_collisions_share_a_bucket() {
        let mut map: NameMap<u32> = NameMap::new();
        map.insert(Name::from("a"), Entry::File(1));
        let hash_of_a = map.hash("a");
        // Pretend "b" hashes like "a": insert it below with a's hash.
        let forged = super::Named {
            hash: hash_of_a,
            name: Name::from("b"),
            entry: Entry::File(2),
        };
        let root = std::sync::Arc::make_mut(&mut map.root);
        assert!(super::insert_below(root, 0, forged.hash, leaf(forged)).is_none());
        map.len += 1;
        let slot = map.root.slots[super::index_at(hash_of_a, 0)].as_deref();
        assert!(matches!(slot, Some(Child::Bucket(bucket)) if bucket.len() == 2));
        assert_eq!(file(&map, "a"), Some(1));
        assert_eq!(map.iter().count(), 2);
        // "b" is found by its forged hash only, so remove it below too.
        assert!(matches!(
            super::remove_below(std::sync::Arc::make_mut(&mut map.root), 0, hash_of_a, "b"),
            Some(Entry::File(2))
        ));
        let slot = map.root.slots[super::index_at(hash_of_a, 0)].as_deref();
        assert!(matches!(slot, Some(Child::Leaf(leaf)) if leaf.name == "a"));
    }
}
