//! The entries of a large directory: a persistent hash trie from names to
//! entries.
//!
//! A lookup hashes the name once and then indexes one 32-slot array per
//! level (two or three levels for ten thousand entries) before comparing a
//! single name; an edit copies one array per level, and each entry sits
//! behind its own `Arc`, so copying an array copies pointers, never names.
//! A B-tree of names compares strings at every level and copies names with
//! every node it copies.
//!
//! Names are hashed with a seeded hash (`foldhash`, a seed per map), so
//! which names collide cannot be chosen from outside, and the trie's order
//! (hash order) is never shown: the directory sorts its names when it lists
//! them.
//!
//! Invariants:
//! - an entry sits in the slot its hash selects at every level on its way
//!   down (five bits per level, lowest bits first); two entries with equal
//!   64-bit hashes share one `Bucket` where their paths would meet;
//! - a node other than the root holds at least two entries below it (a
//!   removal that leaves one lifts it into the parent), so the trie is at
//!   most 13 levels deep (64 bits of hash): the recursion of edits, and of
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

const BITS: u32 = 5;
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

struct Node<F> {
    slots: [Slot<F>; WIDTH],
}

enum Slot<F> {
    Empty,
    Leaf(Arc<Named<F>>),
    Node(Arc<Node<F>>),
    /// Entries whose hashes are equal in all 64 bits.
    Bucket(Arc<Vec<Arc<Named<F>>>>),
}

// Manual impls: cloning copies `Arc`s, whatever `F` is.
impl<F> Clone for Slot<F> {
    fn clone(&self) -> Self {
        match self {
            Slot::Empty => Slot::Empty,
            Slot::Leaf(leaf) => Slot::Leaf(Arc::clone(leaf)),
            Slot::Node(node) => Slot::Node(Arc::clone(node)),
            Slot::Bucket(bucket) => Slot::Bucket(Arc::clone(bucket)),
        }
    }
}

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
            slots: std::array::from_fn(|_| Slot::Empty),
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
    // Masked to five bits, so the cast is lossless.
    ((hash >> shift) & MASK) as usize
}

impl<F> NameMap<F> {
    /// An empty map with a fresh seed.
    pub(crate) fn new() -> Self {
        NameMap {
            root: Arc::new(Node::empty()),
            len: 0,
            hasher: RandomState::default(),
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
            match &node.slots[index_at(hash, shift)] {
                Slot::Empty => return None,
                Slot::Leaf(leaf) => {
                    return (leaf.hash == hash && leaf.name.as_bytes() == name).then_some(&**leaf)
                }
                Slot::Node(child) => {
                    node = child;
                    shift += BITS;
                }
                Slot::Bucket(bucket) => {
                    return bucket
                        .iter()
                        .find(|named| named.name.as_bytes() == name)
                        .map(|named| &**named)
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
        let hash = self.hash(&name);
        let named = Arc::new(Named { hash, name, entry });
        let replaced = insert_below(&mut self.root, 0, named);
        if replaced.is_none() {
            self.len += 1;
        }
        replaced
    }

    /// The entry named `name`, unshared to change in place.
    pub(crate) fn get_mut(&mut self, name: &str) -> Option<&mut Entry<F>> {
        self.get(name)?;
        let hash = self.hash(name);
        let mut node = Arc::make_mut(&mut self.root);
        let mut shift = 0;
        loop {
            match &mut node.slots[index_at(hash, shift)] {
                Slot::Empty => return None,
                Slot::Leaf(leaf) => return Some(&mut Arc::make_mut(leaf).entry),
                Slot::Node(child) => {
                    node = Arc::make_mut(child);
                    shift += BITS;
                }
                Slot::Bucket(bucket) => {
                    return Arc::make_mut(bucket)
                        .iter_mut()
                        .find(|named| named.name == name)
                        .map(|named| &mut Arc::make_mut(named).entry)
                }
            }
        }
    }

    /// Takes the entry named `name` out.
    pub(crate) fn remove(&mut self, name: &str) -> Option<Entry<F>> {
        // Look first, so a miss copies no shared node.
        self.get(name)?;
        let hash = self.hash(name);
        let removed = remove_below(&mut self.root, 0, hash, name);
        if removed.is_some() {
            self.len -= 1;
        }
        removed
    }
}

/// Inserts `named` into the subtrie `node` at level `shift`; returns the
/// entry it replaced. Recurses once per level (at most 13).
fn insert_below<F: Clone>(
    node: &mut Arc<Node<F>>,
    shift: u32,
    named: Arc<Named<F>>,
) -> Option<Entry<F>> {
    let slot = &mut Arc::make_mut(node).slots[index_at(named.hash, shift)];
    match slot {
        Slot::Empty => {
            *slot = Slot::Leaf(named);
            None
        }
        Slot::Leaf(leaf) if leaf.hash == named.hash => {
            if leaf.name == named.name {
                let replaced = mem::replace(leaf, named);
                Some(replaced.entry.clone())
            } else {
                let bucket = vec![Arc::clone(leaf), named];
                *slot = Slot::Bucket(Arc::new(bucket));
                None
            }
        }
        Slot::Leaf(leaf) => {
            // Two hashes differing below this level: push the resident
            // down one level, then insert beside it.
            let mut child = Node::empty();
            child.slots[index_at(leaf.hash, shift + BITS)] = Slot::Leaf(Arc::clone(leaf));
            let mut child = Arc::new(child);
            let replaced = insert_below(&mut child, shift + BITS, named);
            *slot = Slot::Node(child);
            replaced
        }
        Slot::Node(child) => insert_below(child, shift + BITS, named),
        Slot::Bucket(bucket) => {
            let bucket = Arc::make_mut(bucket);
            match bucket
                .iter_mut()
                .find(|resident| resident.name == named.name)
            {
                Some(resident) => {
                    let replaced = mem::replace(resident, named);
                    Some(replaced.entry.clone())
                }
                None => {
                    bucket.push(named);
                    None
                }
            }
        }
    }
}

/// Removes `name` (hashed to `hash`) from the subtrie `node` at level
/// `shift`, lifting a lone leaf left in a child node into `node`. Recurses
/// once per level (at most 13).
fn remove_below<F: Clone>(
    node: &mut Arc<Node<F>>,
    shift: u32,
    hash: u64,
    name: &str,
) -> Option<Entry<F>> {
    let slot = &mut Arc::make_mut(node).slots[index_at(hash, shift)];
    match slot {
        Slot::Empty => None,
        Slot::Leaf(leaf) => {
            if leaf.hash != hash || leaf.name != name {
                return None;
            }
            let removed = leaf.entry.clone();
            *slot = Slot::Empty;
            Some(removed)
        }
        Slot::Node(child) => {
            let removed = remove_below(child, shift + BITS, hash, name);
            if let Some(lifted) = lone_leaf(child) {
                *slot = lifted;
            }
            removed
        }
        Slot::Bucket(bucket) => {
            let at = bucket.iter().position(|named| named.name == name)?;
            let bucket = Arc::make_mut(bucket);
            let removed = bucket.remove(at).entry.clone();
            if let [last] = bucket.as_slice() {
                *slot = Slot::Leaf(Arc::clone(last));
            }
            Some(removed)
        }
    }
}

/// What should replace a child node that holds one leaf or none: that leaf,
/// or an empty slot. `None` while the node holds more, or a subnode.
fn lone_leaf<F>(node: &Node<F>) -> Option<Slot<F>> {
    let mut lone = Slot::Empty;
    for slot in &node.slots {
        match slot {
            Slot::Empty => {}
            Slot::Leaf(_) if matches!(lone, Slot::Empty) => lone = slot.clone(),
            _ => return None,
        }
    }
    Some(lone)
}

/// The entries of a [`NameMap`], in no particular order.
pub(crate) struct Iter<'a, F> {
    /// The unvisited slots of each node on the way down.
    stack: Vec<std::slice::Iter<'a, Slot<F>>>,
    /// The unvisited entries of the bucket being visited.
    bucket: std::slice::Iter<'a, Arc<Named<F>>>,
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
            match slots.next() {
                None => {
                    self.stack.pop();
                }
                Some(Slot::Empty) => {}
                Some(Slot::Leaf(leaf)) => {
                    self.left -= 1;
                    return Some(leaf);
                }
                Some(Slot::Node(child)) => self.stack.push(child.slots.iter()),
                Some(Slot::Bucket(bucket)) => {
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

    use super::{NameMap, Node, Slot, BITS};
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
        for slot in &node.slots {
            match slot {
                Slot::Empty => {}
                Slot::Leaf(_) => entries += 1,
                Slot::Bucket(bucket) => entries += bucket.len(),
                Slot::Node(child) => {
                    entries += 2;
                    depth = depth.max(1 + check_shape(child, false));
                }
            }
        }
        assert!(is_root || entries >= 2, "a non-root node holds one entry");
        depth
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
        if let Some(Entry::File(value)) = map.get_mut("f000008.bin") {
            *value = 80;
        }
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
        assert!(depth <= 64 / BITS as usize + 1);
        for i in 0..5_000u32 {
            map.remove(&format!("f{i:06}.bin"));
        }
        assert_eq!(map.len(), 0);
        assert!(map
            .root
            .slots
            .iter()
            .all(|slot| matches!(slot, Slot::Empty)));
    }

    /// Names whose hashes are equal in all 64 bits share a bucket; forced
    /// here by building the trie by hand, as a real collision needs the seed.
    #[test]
    fn full_hash_collisions_share_a_bucket() {
        let mut map: NameMap<u32> = NameMap::new();
        map.insert(Name::from("a"), Entry::File(1));
        let hash_of_a = map.hash("a");
        // Pretend "b" hashes like "a": insert it below with a's hash.
        let forged = std::sync::Arc::new(super::Named {
            hash: hash_of_a,
            name: Name::from("b"),
            entry: Entry::File(2),
        });
        assert!(super::insert_below(&mut map.root, 0, forged).is_none());
        map.len += 1;
        let slot = &map.root.slots[super::index_at(hash_of_a, 0)];
        assert!(matches!(slot, Slot::Bucket(bucket) if bucket.len() == 2));
        assert_eq!(file(&map, "a"), Some(1));
        assert_eq!(map.iter().count(), 2);
        // "b" is found by its forged hash only, so remove it below too.
        assert!(matches!(
            super::remove_below(&mut map.root, 0, hash_of_a, "b"),
            Some(Entry::File(2))
        ));
        let slot = &map.root.slots[super::index_at(hash_of_a, 0)];
        assert!(matches!(slot, Slot::Leaf(leaf) if leaf.name == "a"));
    }
}
