//! The table of a tree's directories: a persistent vector indexed by
//! [`DirId`](super::DirId).
//!
//! Directory ids are small integers handed out densely, so the table is a
//! radix trie over the id's bits instead of a hash map (32-way inner nodes,
//! 16-slot leaves): a lookup indexes one array per level (one up to 16
//! directories, two up to 512, three up to 16,384) with no hashing and no
//! key comparison. Nodes are shared
//! between copies of the table and copied on write, so cloning is O(1) and
//! an edit copies one node per level.
//!
//! Invariants:
//! - every leaf sits `height` inner levels below the root, and every id
//!   below `next_fresh` has a slot (its path of nodes exists), so
//!   `next_fresh <= capacity()`;
//! - a free slot links to the next free slot (`free_head` starts the list,
//!   [`NO_SLOT`] ends it); an id is handed out again only after it was
//!   removed, so the table holds as many slots as the most directories the
//!   tree ever held at once, not as many as it ever created;
//! - the depth of the trie is at most 13 levels (64 bits of id), so dropping
//!   it recurses at most that deep, whatever the tree's own depth.
//!
//! Who may call: the tree module only.

use std::fmt;
use std::mem;
use std::sync::Arc;

/// Bits of the id consumed per level.
const BITS: u32 = 5;
/// Children per node.
const WIDTH: usize = 1 << BITS;
const MASK: u64 = WIDTH as u64 - 1;
/// Bits of the id consumed by a leaf. Leaves are narrower than inner nodes
/// because every edit of a directory copies its leaf (cloning an `Arc` per
/// occupied slot) and, once the replaced snapshot goes, drops the old copy:
/// 16 slots halve that work against 32, and still hold 512 directories
/// under one inner level.
const LEAF_BITS: u32 = 4;
const LEAF_WIDTH: usize = 1 << LEAF_BITS;
const LEAF_MASK: u64 = LEAF_WIDTH as u64 - 1;
/// The end of the free list.
const NO_SLOT: u64 = u64::MAX;

/// A persistent vector of `T`s, each behind its own `Arc` so that copying a
/// leaf for an edit never copies a `T`.
pub(crate) struct DirTable<T> {
    root: Link<T>,
    /// Inner levels above the leaves.
    height: u32,
    /// Ids at or above this were never handed out.
    next_fresh: u64,
    /// The first free slot below `next_fresh`, or [`NO_SLOT`].
    free_head: u64,
    /// Occupied slots.
    len: u64,
}

enum Link<T> {
    Inner(Arc<[Option<Link<T>>; WIDTH]>),
    Leaf(Arc<[Slot<T>; LEAF_WIDTH]>),
}

enum Slot<T> {
    Free { next: u64 },
    Full(Arc<T>),
}

// Manual impls: cloning a link or a slot clones an `Arc`, whatever `T` is.
impl<T> Clone for Link<T> {
    fn clone(&self) -> Self {
        match self {
            Link::Inner(node) => Link::Inner(Arc::clone(node)),
            Link::Leaf(leaf) => Link::Leaf(Arc::clone(leaf)),
        }
    }
}

impl<T> Clone for Slot<T> {
    fn clone(&self) -> Self {
        match self {
            Slot::Free { next } => Slot::Free { next: *next },
            Slot::Full(value) => Slot::Full(Arc::clone(value)),
        }
    }
}

impl<T> Clone for DirTable<T> {
    fn clone(&self) -> Self {
        DirTable {
            root: self.root.clone(),
            height: self.height,
            next_fresh: self.next_fresh,
            free_head: self.free_head,
            len: self.len,
        }
    }
}

impl<T> fmt::Debug for DirTable<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DirTable")
            .field("len", &self.len)
            .field("slots", &self.next_fresh)
            .finish_non_exhaustive()
    }
}

fn empty_leaf<T>() -> Link<T> {
    Link::Leaf(Arc::new(std::array::from_fn(|_| Slot::Free {
        next: NO_SLOT,
    })))
}

/// An id's slot in its leaf.
fn leaf_index(id: u64) -> usize {
    // Masked to four bits, so the cast is lossless.
    (id & LEAF_MASK) as usize
}

/// An id's child in an inner node whose children each cover `1 << shift` ids.
fn index_at(id: u64, shift: u32) -> usize {
    // Masked to five bits, so the cast is lossless.
    ((id >> shift) & MASK) as usize
}

impl<T: Clone> DirTable<T> {
    /// An empty table.
    pub(crate) fn new() -> Self {
        DirTable {
            root: empty_leaf(),
            height: 0,
            next_fresh: 0,
            free_head: NO_SLOT,
            len: 0,
        }
    }

    /// How many values the table holds.
    #[cfg(test)]
    pub(crate) fn len(&self) -> u64 {
        self.len
    }

    /// The value at `id`, if any.
    #[inline]
    pub(crate) fn get(&self, id: u64) -> Option<&T> {
        match &self.leaf_of(id)?[leaf_index(id)] {
            Slot::Full(value) => Some(value),
            Slot::Free { .. } => None,
        }
    }

    /// A reader of many ids in a row, starting at the leaf of `id`; `None`
    /// if `id` has no slot.
    #[inline]
    pub(crate) fn reader(&self, id: u64) -> Option<Reader<'_, T>> {
        Some(Reader {
            table: self,
            leaf: self.leaf_of(id)?,
        })
    }

    /// The leaf holding `id`'s slot, if `id` has one.
    #[inline]
    fn leaf_of(&self, id: u64) -> Option<&[Slot<T>; LEAF_WIDTH]> {
        if id >= self.next_fresh {
            return None;
        }
        let mut link = &self.root;
        let mut shift = self.top_shift();
        while let Link::Inner(children) = link {
            link = children[index_at(id, shift)].as_ref()?;
            shift = shift.wrapping_sub(BITS);
        }
        match link {
            Link::Leaf(slots) => Some(slots),
            Link::Inner(_) => None,
        }
    }

    /// The value at `id`, if any, unshared first: the nodes on its path and
    /// the value itself are copied if another table shares them.
    pub(crate) fn get_mut(&mut self, id: u64) -> Option<&mut T> {
        if id >= self.next_fresh {
            return None;
        }
        match self.slot_mut(id) {
            Slot::Full(value) => Some(Arc::make_mut(value)),
            Slot::Free { .. } => None,
        }
    }

    /// Stores `value` under a free id and returns the id.
    pub(crate) fn insert(&mut self, value: T) -> u64 {
        let reused = self.free_head != NO_SLOT;
        let id = if reused {
            self.free_head
        } else {
            let id = self.next_fresh;
            self.grow_to_hold(id);
            self.next_fresh += 1;
            id
        };
        let previous = mem::replace(self.slot_mut(id), Slot::Full(Arc::new(value)));
        if let (true, Slot::Free { next }) = (reused, previous) {
            self.free_head = next;
        }
        self.len += 1;
        id
    }

    /// Takes the value at `id` out of the table, freeing the id.
    pub(crate) fn remove(&mut self, id: u64) -> Option<Arc<T>> {
        if id >= self.next_fresh {
            return None;
        }
        let free_head = self.free_head;
        let slot = self.slot_mut(id);
        if let Slot::Free { .. } = slot {
            return None;
        }
        let Slot::Full(value) = mem::replace(slot, Slot::Free { next: free_head }) else {
            return None;
        };
        self.free_head = id;
        self.len -= 1;
        Some(value)
    }

    /// The shift selecting the root's child, when the root is an inner
    /// node (meaningless for a root leaf, which `get` and `slot_mut` never
    /// shift for).
    fn top_shift(&self) -> u32 {
        (LEAF_BITS + BITS * self.height).wrapping_sub(BITS)
    }

    /// How many ids the trie's current height can address.
    fn capacity(&self) -> u64 {
        1u64.checked_shl(LEAF_BITS + BITS * self.height)
            .unwrap_or(u64::MAX)
    }

    /// Adds root levels until `id` has a place in the trie.
    fn grow_to_hold(&mut self, id: u64) {
        while id >= self.capacity() {
            let mut children: [Option<Link<T>>; WIDTH] = std::array::from_fn(|_| None);
            children[0] = Some(self.root.clone());
            self.root = Link::Inner(Arc::new(children));
            self.height += 1;
        }
    }

    /// The slot of `id` (which must be below `capacity()`), with every node
    /// on its path unshared and missing nodes created.
    fn slot_mut(&mut self, id: u64) -> &mut Slot<T> {
        let mut shift = self.top_shift();
        let mut link = &mut self.root;
        loop {
            match link {
                Link::Inner(children) => {
                    let below_is_leaf = shift == LEAF_BITS;
                    let child = &mut Arc::make_mut(children)[index_at(id, shift)];
                    link = child.get_or_insert_with(|| {
                        if below_is_leaf {
                            empty_leaf()
                        } else {
                            Link::Inner(Arc::new(std::array::from_fn(|_| None)))
                        }
                    });
                    // Wraps below a leaf's parent; unused there.
                    shift = shift.wrapping_sub(BITS);
                }
                Link::Leaf(slots) => return &mut Arc::make_mut(slots)[leaf_index(id)],
            }
        }
    }
}

/// Reads a table id after id, remembering the leaf of the last id read:
/// the directories along one path were mostly made one after another (a
/// `create_dir_all`, or a tree built top down), so their ids are mostly
/// neighbours in one leaf, and reading each then costs one comparison and
/// one slot instead of a walk down the trie (a walk costs about 20
/// instructions and one more dependent load per level).
///
/// The reader does not store the last id: its caller holds it anyway (the
/// directory it is in) and passes it back, which keeps one register fewer
/// live in the resolution loop (measured: about 3 instructions per
/// component).
///
/// Invariant: `leaf` is the leaf of `table` holding the slot of the id the
/// reader started at or last read a value at, hence of every id sharing
/// that id's bits above `LEAF_BITS`. Every such id either was handed out
/// (below `next_fresh`) or sits in a slot never filled, which is free: so a
/// read through `leaf` needs no check against `next_fresh`.
///
/// Who may call: the tree module, to resolve a path in one snapshot.
pub(crate) struct Reader<'a, T> {
    table: &'a DirTable<T>,
    leaf: &'a [Slot<T>; LEAF_WIDTH],
}

impl<'a, T: Clone> Reader<'a, T> {
    /// The value at `id`, if any, where `last` is the id this reader
    /// started at or last read a value at (so `leaf` holds `last`'s slot).
    #[inline]
    pub(crate) fn get_after(&mut self, last: u64, id: u64) -> Option<&'a T> {
        let leaf = if (last ^ id) >> LEAF_BITS == 0 {
            self.leaf
        } else {
            self.table.leaf_of(id)?
        };
        match &leaf[leaf_index(id)] {
            Slot::Full(value) => {
                self.leaf = leaf;
                Some(value)
            }
            Slot::Free { .. } => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::DirTable;

    #[test]
    fn ids_are_dense_and_reused_after_removal() {
        let mut table = DirTable::new();
        let ids: Vec<u64> = (0..3_000u64).map(|i| table.insert(i * 10)).collect();
        assert_eq!(ids, (0..3_000).collect::<Vec<_>>());
        assert_eq!(table.get(2_999), Some(&29_990));
        assert_eq!(table.get(3_000), None);
        assert_eq!(table.len(), 3_000);

        assert_eq!(table.remove(1_500).as_deref(), Some(&15_000));
        assert_eq!(table.remove(1_500), None, "already free");
        assert_eq!(table.remove(7), Some(std::sync::Arc::new(70)));
        assert_eq!(table.get(7), None);
        assert_eq!(table.len(), 2_998);
        // Last freed, first reused; then fresh ids again.
        assert_eq!(table.insert(1), 7);
        assert_eq!(table.insert(2), 1_500);
        assert_eq!(table.insert(3), 3_000);
        assert_eq!(table.get(1_500), Some(&2));
    }

    #[test]
    fn copies_are_independent() {
        let mut table = DirTable::new();
        for i in 0..100u64 {
            table.insert(i);
        }
        let snapshot = table.clone();
        *table.get_mut(42).expect("present") = 4_200;
        table.remove(43);
        let fresh = table.insert(99_999);
        assert_eq!(fresh, 43);
        assert_eq!(table.get(42), Some(&4_200));
        assert_eq!(snapshot.get(42), Some(&42));
        assert_eq!(snapshot.get(43), Some(&43));
        assert_eq!(table.get(43), Some(&99_999));
        assert_eq!(snapshot.len(), 100);
    }

    /// A reader walking ids in any order, across leaves, through free
    /// slots and past the last id handed out, reads what `get` reads.
    #[test]
    fn a_reader_reads_what_get_reads() {
        let mut table = DirTable::new();
        for i in 0..600u64 {
            table.insert(i);
        }
        for id in [3, 16, 17, 300, 599] {
            table.remove(id);
        }
        let walk = [
            0, 1, 3, 2, 15, 16, 17, 18, 40, 7, 299, 300, 301, 598, 599, 600, 607, 5_000,
        ];
        let mut reader = table.reader(0).expect("id 0 has a slot");
        let mut last = 0;
        for id in walk {
            let read = reader.get_after(last, id);
            assert_eq!(read, table.get(id), "id {id} after {last}");
            if read.is_some() {
                last = id;
            }
        }
        assert!(table.reader(600).is_none(), "never handed out");
    }

    #[test]
    fn missing_ids_are_none() {
        let mut table: DirTable<u8> = DirTable::new();
        assert_eq!(table.get(0), None);
        assert_eq!(table.get(u64::MAX), None);
        assert_eq!(table.get_mut(5), None);
        assert_eq!(table.remove(u64::MAX), None);
        let id = table.insert(1);
        assert_eq!(table.get(id + 1), None);
    }
}
