//! Sequential storage: an immutable view of a file's chunks that appends in
//! O(1) amortized time without copying earlier chunks.
//!
//! A [`ChunkList`] is `count` leading slots of a shared, fixed-capacity
//! [`ChunkSlab`]. Appending sets the next free slot and returns a new list one
//! longer on the same slab; only when the slab is full are the chunk handles
//! (not their bytes) moved to a slab twice the size.
//!
//! Invariants:
//! - slots `0..count` of a list's slab are set, non-empty, and their `end`
//!   offsets strictly increase; `len` is the last one's `end` (0 if none);
//! - a set slot never changes, so a reader of a list sees exactly the chunks
//!   it had when it was built, however the file changes afterwards;
//! - only the single writer of the owning storage calls [`ChunkList::appended`]
//!   and only on the current list, so the slot it sets is one no list covers.
//!   [`ChunkList::truncated`] always builds a new slab, so a shorter list never
//!   shares a slab whose next slot is already set.
//!
//! Readers may call every `&self` method from any thread without locking.

use std::sync::Arc;

use bytes::Bytes;

use crate::alloc;
use crate::byte_slices;
use crate::sync::OnceLock;
use crate::StorageError;

/// Slots in the first slab; small files stay small.
const MIN_SLOTS: usize = 4;

/// One stored chunk: its bytes and where they end in the file.
#[derive(Debug, Clone)]
struct Chunk {
    /// Offset just past the chunk's last byte.
    end: u64,
    data: Bytes,
}

impl Chunk {
    fn start(&self) -> u64 {
        self.end - self.data.len() as u64
    }
}

/// Append-only slots shared by successive lists of one file.
#[derive(Debug)]
struct ChunkSlab {
    slots: Box<[OnceLock<Chunk>]>,
}

impl ChunkSlab {
    /// A slab of `capacity` slots holding `chunks` at the front; the caller
    /// passes no more chunks than `capacity`.
    fn with_chunks(
        chunks: impl Iterator<Item = Chunk>,
        capacity: usize,
    ) -> Result<Self, StorageError> {
        let mut slots = Vec::new();
        slots
            .try_reserve_exact(capacity)
            .map_err(|_| StorageError::AllocationFailed {
                bytes: (capacity as u64)
                    .saturating_mul(std::mem::size_of::<OnceLock<Chunk>>() as u64),
            })?;
        slots.extend(chunks.map(OnceLock::from));
        let free = capacity.saturating_sub(slots.len());
        slots.extend(std::iter::repeat_with(OnceLock::new).take(free));
        Ok(Self {
            slots: slots.into_boxed_slice(),
        })
    }
}

/// The chunks of a file at one instant; cheap to clone and never torn.
#[derive(Debug, Clone)]
pub(crate) struct ChunkList {
    slab: Arc<ChunkSlab>,
    count: usize,
    len: u64,
}

impl ChunkList {
    /// No chunks; allocates no slots.
    pub(crate) fn new() -> Self {
        Self {
            slab: Arc::new(ChunkSlab {
                slots: Box::default(),
            }),
            count: 0,
            len: 0,
        }
    }

    /// `data` as the only chunk (none if it is empty), without copying it.
    pub(crate) fn from_bytes(data: Bytes) -> Result<Self, StorageError> {
        Self::new().appended(data)
    }

    /// Bytes in the list.
    pub(crate) fn len(&self) -> u64 {
        self.len
    }

    /// Chunks in the list.
    pub(crate) fn count(&self) -> usize {
        self.count
    }

    fn chunks(&self) -> impl Iterator<Item = &Chunk> {
        self.slab
            .slots
            .iter()
            .take(self.count)
            .filter_map(OnceLock::get)
    }

    /// The bytes of each chunk, in file order.
    pub(crate) fn chunk_bytes(&self) -> impl ExactSizeIterator<Item = &Bytes> + Clone {
        static NONE: Bytes = Bytes::new();
        let live = self.slab.slots.get(..self.count).unwrap_or_default();
        // Every live slot is set (see the invariants); an unset one would
        // read as an empty chunk.
        live.iter().map(|s| s.get().map_or(&NONE, |c| &c.data))
    }

    fn chunk(&self, i: usize) -> Option<&Chunk> {
        if i < self.count {
            self.slab.slots.get(i)?.get()
        } else {
            None
        }
    }

    /// Index of the chunk holding byte `offset`, if the list has that byte.
    fn find(&self, offset: u64) -> Option<usize> {
        if offset >= self.len {
            return None;
        }
        let live = self.slab.slots.get(..self.count)?;
        let i = live.partition_point(|s| s.get().is_some_and(|c| c.end <= offset));
        (i < self.count).then_some(i)
    }

    /// A new list with `data` appended as one chunk, sharing this list's slab
    /// when it has room. An empty `data` adds no chunk.
    ///
    /// Only the storage's writer may call this, on the current list.
    pub(crate) fn appended(&self, data: Bytes) -> Result<Self, StorageError> {
        if data.is_empty() {
            return Ok(self.clone());
        }
        let n = data.len() as u64;
        let end = self.len.checked_add(n).ok_or(StorageError::TooLarge {
            offset: self.len,
            len: n,
        })?;
        let mut chunk = Chunk { end, data };
        if let Some(slot) = self.slab.slots.get(self.count) {
            match slot.set(chunk) {
                Ok(()) => {
                    return Ok(Self {
                        slab: Arc::clone(&self.slab),
                        count: self.count + 1,
                        len: end,
                    })
                }
                // Only an append that panicked before publishing its list can
                // have set this slot; moving to a fresh slab stays correct.
                Err(back) => chunk = back,
            }
        }
        let capacity = self
            .slab
            .slots
            .len()
            .saturating_mul(2)
            .max(self.count + 1)
            .max(MIN_SLOTS);
        let slab = ChunkSlab::with_chunks(self.chunks().cloned().chain(Some(chunk)), capacity)?;
        Ok(Self {
            slab: Arc::new(slab),
            count: self.count + 1,
            len: end,
        })
    }

    /// The first `size` bytes (`size < len`) on a new slab, and how many
    /// chunks were dropped. Chunks wholly below `size` are shared; a chunk cut
    /// by `size` is replaced by a copy of its kept prefix, so the dropped tail
    /// is freed once no reader holds the old list (a `Bytes` slice would keep
    /// the whole allocation alive).
    pub(crate) fn truncated(&self, size: u64) -> Result<(Self, usize), StorageError> {
        if size >= self.len {
            return Ok((self.clone(), 0));
        }
        if size == 0 {
            return Ok((Self::new(), self.count));
        }
        let live = self.slab.slots.get(..self.count).unwrap_or_default();
        let whole = live.partition_point(|s| s.get().is_some_and(|c| c.end <= size));
        let mut cut_prefix = None;
        if let Some(cut) = self.chunk(whole) {
            let keep = size.saturating_sub(cut.start());
            if keep > 0 {
                let prefix = cut.data.get(..keep as usize).unwrap_or_default();
                cut_prefix = Some(Chunk {
                    end: size,
                    data: alloc::copied(prefix)?,
                });
            }
        }
        let count = whole + usize::from(cut_prefix.is_some());
        let capacity = (count + 1)
            .checked_next_power_of_two()
            .unwrap_or(count + 1)
            .max(MIN_SLOTS);
        let kept = self.chunks().take(whole).cloned().chain(cut_prefix);
        let slab = ChunkSlab::with_chunks(kept, capacity)?;
        Ok((
            Self {
                slab: Arc::new(slab),
                count,
                len: size,
            },
            self.count - count,
        ))
    }

    /// The bytes from `offset` to the end, chunk by chunk (the first cut
    /// at `offset`); nothing at or past the end.
    fn slices_from(&self, offset: u64) -> impl Iterator<Item = &[u8]> {
        let first = self.find(offset).unwrap_or(self.count);
        // Only the first chunk is read from inside; the rest whole.
        let mut skip = self.chunk(first).map_or(0, |c| offset - c.start());
        let rest = self.slab.slots.get(first..self.count).unwrap_or_default();
        rest.iter().filter_map(OnceLock::get).map(move |c| {
            let src = c.data.get(skip as usize..).unwrap_or_default();
            skip = 0;
            src
        })
    }

    /// Copies bytes from `offset` into `buf`; how many were copied.
    pub(crate) fn read_at(&self, offset: u64, buf: &mut [u8]) -> usize {
        byte_slices::copy_into(self.slices_from(offset), buf)
    }

    /// Appends the bytes from `offset` to the end onto `out` and returns how
    /// many: room for all of them is reserved once, then each chunk is
    /// copied (no zero-fill, no regrowth). 0 at or past the end. A
    /// reservation the allocator refuses is
    /// [`StorageError::AllocationFailed`], with `out` unchanged.
    pub(crate) fn read_to_end_at(
        &self,
        offset: u64,
        out: &mut Vec<u8>,
    ) -> Result<usize, StorageError> {
        let want = self.len.saturating_sub(offset);
        if want == 0 {
            return Ok(0);
        }
        alloc::reserve(out, want)?;
        // Reserved, so `want` is a buffer length.
        let want = want as usize;
        Ok(byte_slices::append_up_to(
            self.slices_from(offset),
            want,
            out,
        ))
    }

    /// Up to `max` bytes from `offset`: a slice of the stored chunk when they
    /// lie in one, else a copy ([`StorageError::AllocationFailed`] if the
    /// allocator refuses it).
    pub(crate) fn read_bytes(&self, offset: u64, max: usize) -> Result<Bytes, StorageError> {
        let Some(i) = self.find(offset) else {
            return Ok(Bytes::new());
        };
        let want = (self.len - offset).min(max as u64);
        if want == 0 {
            return Ok(Bytes::new());
        }
        if let Some(c) = self.chunk(i) {
            let skip = (offset - c.start()) as usize;
            let end = skip + want as usize;
            if end <= c.data.len() {
                return Ok(c.data.slice(skip..end));
            }
        }
        let mut out = alloc::try_buffer(want, StorageError::TooLarge { offset, len: want })?;
        // The capacity is there, so this zero-fills without allocating.
        out.resize(want as usize, 0);
        let n = self.read_at(offset, &mut out);
        out.truncate(n);
        Ok(Bytes::from(out))
    }

    /// All the bytes: the stored chunk itself when there is at most one,
    /// else a copy allocated by `try_reserve` (an allocator refusal is an
    /// error, not an abort).
    pub(crate) fn try_to_bytes(&self) -> Result<Bytes, StorageError> {
        match self.count {
            0 => return Ok(Bytes::new()),
            1 => return Ok(self.chunk(0).map(|c| c.data.clone()).unwrap_or_default()),
            _ => {}
        }
        self.try_to_vec().map(Bytes::from)
    }

    /// A copy of all the bytes in a buffer of their own, allocated by
    /// `try_reserve` (an allocator refusal is an error, not an abort).
    pub(crate) fn try_to_vec(&self) -> Result<Vec<u8>, StorageError> {
        let mut out = alloc::try_buffer(
            self.len,
            StorageError::TooLarge {
                offset: 0,
                len: self.len,
            },
        )?;
        self.copy_into(&mut out);
        Ok(out)
    }

    /// Appends every byte to `out`, which the caller has made room in.
    pub(crate) fn copy_into(&self, out: &mut Vec<u8>) {
        for c in self.chunks() {
            out.extend_from_slice(&c.data);
        }
    }
}

#[cfg(all(test, not(loom)))]
mod tests;
