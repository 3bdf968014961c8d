//! The layout of random-access data: the file's bytes in consecutive pieces.
//!
//! Pieces let a sequential file become random access without a copy of the
//! file: its chunks become pieces as they are ([`Pieces::adopting`]), still
//! shared with the chunk list, and each piece is taken over (nothing else
//! holds it any more) or copied only when a write first touches it. Chunks
//! shorter than [`ADOPT_MIN`] are copied together, each run into a buffer
//! of exactly its length (up to [`PIECE_MAX`] bytes), so a file of tiny
//! appends does not become as many tiny pieces. A piece is taken over only
//! if its memory holds nothing beyond its bytes (a `Bytes` sliced from a
//! larger buffer is copied), so an owned piece never keeps more than it
//! holds. Growth fills the last piece up to [`PIECE_MAX`] bytes (its
//! capacity doubling on the way), then adds one piece for the rest in one
//! allocation, so growth the allocator cannot hold is refused at once (and
//! what was filled of the last piece cut back). No write needs a buffer of
//! the whole file, and the spare capacity of growth is that of the last
//! piece: under [`PIECE_MAX`] bytes and under its length.
//!
//! Invariants: every piece is non-empty; `end` offsets strictly increase
//! and the last one is the length (0 without pieces). Only the owner of a
//! `&mut Pieces` (the holder of the buffer's write lock) mutates them, and
//! every mutation either completes or leaves the content as it was.

use bytes::Bytes;

use crate::alloc;
use crate::StorageError;

/// Chunks at least this long become pieces as they are; shorter runs are
/// copied together. Small enough that the 64 KiB writes of a typical
/// stream are adopted, large enough that a piece's bookkeeping (40 bytes)
/// stays under 0.3% of what it holds.
pub(super) const ADOPT_MIN: usize = 16 * 1024;

/// The size growth fills a piece to, and that runs of small chunks are
/// copied into: large enough that a piece lookup is rare next to the bytes
/// it copies, small enough that the spare room growth leaves stays small.
pub(super) const PIECE_MAX: usize = 1024 * 1024;

/// A piece's bytes: shared with a chunk list (or anyone) until a write
/// first touches them, then owned.
#[derive(Debug)]
enum PieceData {
    Shared(Bytes),
    Owned(Vec<u8>),
}

/// One piece and where it ends in the file.
#[derive(Debug)]
struct Piece {
    /// Offset just past the piece's last byte.
    end: u64,
    data: PieceData,
}

impl Piece {
    fn bytes(&self) -> &[u8] {
        match &self.data {
            PieceData::Shared(b) => b,
            PieceData::Owned(v) => v,
        }
    }

    fn start(&self) -> u64 {
        self.end - self.bytes().len() as u64
    }

    /// The bytes, owned from now on: a shared piece nothing else holds is
    /// taken over without a copy if it has no spare capacity, any other is
    /// copied (so an owned piece never keeps memory beyond its bytes). On
    /// error (the copy refused) the piece is as it was.
    fn owned(&mut self) -> Result<&mut Vec<u8>, StorageError> {
        if let PieceData::Shared(shared) = &mut self.data {
            self.data = PieceData::Owned(alloc::take_exact(shared)?);
        }
        match &mut self.data {
            PieceData::Owned(v) => Ok(v),
            // Made owned just above; a typed error rather than a panic.
            PieceData::Shared(b) => Err(StorageError::AllocationFailed {
                bytes: b.len() as u64,
            }),
        }
    }

    /// Memory this piece keeps: an owned buffer's capacity, a shared
    /// slice's length.
    #[cfg(all(test, not(loom)))]
    fn capacity(&self) -> usize {
        match &self.data {
            PieceData::Shared(b) => b.len(),
            PieceData::Owned(v) => v.capacity(),
        }
    }
}

/// A file's bytes as consecutive pieces.
#[derive(Debug, Default)]
pub(super) struct Pieces {
    list: Vec<Piece>,
}

impl Pieces {
    /// `data` as the only piece (none if it is empty).
    pub(super) fn from_vec(data: Vec<u8>) -> Self {
        let end = data.len() as u64;
        let list = if data.is_empty() {
            Vec::new()
        } else {
            vec![Piece {
                end,
                data: PieceData::Owned(data),
            }]
        };
        Self { list }
    }

    /// The bytes of `chunks` (in file order), sharing every chunk of at
    /// least [`ADOPT_MIN`] bytes and copying each run of shorter ones into
    /// one buffer of exactly the run's length (up to [`PIECE_MAX`] bytes, or
    /// one chunk). An allocation refused is
    /// [`StorageError::AllocationFailed`].
    pub(super) fn adopting<'a, I>(chunks: I) -> Result<Self, StorageError>
    where
        I: ExactSizeIterator<Item = &'a Bytes> + Clone,
    {
        let mut list = Vec::new();
        list.try_reserve_exact(chunks.len())
            .map_err(|_| StorageError::AllocationFailed {
                bytes: (chunks.len() * std::mem::size_of::<Piece>()) as u64,
            })?;
        let mut rest = chunks;
        let mut at = 0u64;
        while let Some(first) = rest.clone().next() {
            if first.len() >= ADOPT_MIN {
                rest.next();
                at += first.len() as u64;
                list.push(Piece {
                    end: at,
                    data: PieceData::Shared(first.clone()),
                });
                continue;
            }
            let (count, bytes) = small_run(rest.clone());
            let mut run = alloc::try_buffer(
                bytes as u64,
                StorageError::AllocationFailed {
                    bytes: bytes as u64,
                },
            )?;
            for chunk in rest.by_ref().take(count) {
                run.extend_from_slice(chunk);
            }
            at += bytes as u64;
            if !run.is_empty() {
                list.push(Piece {
                    end: at,
                    data: PieceData::Owned(run),
                });
            }
        }
        Ok(Self { list })
    }

    /// Bytes held.
    pub(super) fn len(&self) -> u64 {
        self.list.last().map_or(0, |p| p.end)
    }

    /// The bytes from `offset` to the end, piece by piece; nothing at or
    /// past the end.
    pub(super) fn slices_from(&self, offset: u64) -> impl Iterator<Item = &[u8]> {
        let first = self.list.partition_point(|p| p.end <= offset);
        self.list
            .get(first..)
            .unwrap_or_default()
            .iter()
            .map(move |p| {
                // Only the first piece starts before `offset`.
                let skip = offset.saturating_sub(p.start()) as usize;
                p.bytes().get(skip..).unwrap_or_default()
            })
    }

    /// Writes `src` at `offset` (`end` = `offset + src.len()`, a valid
    /// buffer length), zero-filling any gap past the end. On error the
    /// content is as it was.
    pub(super) fn write_at(
        &mut self,
        offset: u64,
        end: u64,
        src: &[u8],
    ) -> Result<(), StorageError> {
        // First what can fail without changing the content: owning the
        // pieces the write covers, then growing.
        let first = self.list.partition_point(|p| p.end <= offset);
        for piece in self.list.iter_mut().skip(first) {
            if piece.start() >= end {
                break;
            }
            piece.owned()?;
        }
        if end > self.len() {
            self.grow_zeroed(end)?;
        }
        // Growth may have lengthened the piece before `first`.
        let first = self.list.partition_point(|p| p.end <= offset);
        let mut at = offset;
        let mut rest = src;
        for piece in self.list.iter_mut().skip(first) {
            if rest.is_empty() {
                break;
            }
            let skip = (at - piece.start()) as usize;
            let buf = piece.owned()?;
            let n = rest.len().min(buf.len() - skip);
            buf[skip..skip + n].copy_from_slice(&rest[..n]);
            rest = &rest[n..];
            at += n as u64;
        }
        Ok(())
    }

    /// Extends the content with zeros to `new_len` (more than its length).
    /// On error the content is as it was.
    pub(super) fn grow_zeroed(&mut self, new_len: u64) -> Result<(), StorageError> {
        let old_len = self.len();
        let grown = self.try_grow_zeroed(new_len);
        if grown.is_err() {
            self.cut(old_len);
        }
        grown
    }

    /// Fills the last piece up to [`PIECE_MAX`] (or its capacity, if
    /// larger), then adds one piece for the rest. On error part of the
    /// growth may be there: [`Pieces::grow_zeroed`] cuts it off.
    fn try_grow_zeroed(&mut self, new_len: u64) -> Result<(), StorageError> {
        let mut need = new_len.saturating_sub(self.len());
        if let Some(last) = self.list.last_mut() {
            if let PieceData::Owned(buf) = &mut last.data {
                let room = PIECE_MAX
                    .saturating_sub(buf.len())
                    .max(buf.capacity() - buf.len());
                let take = need.min(room as u64) as usize;
                if take > 0 {
                    alloc::grow_zeroed(buf, buf.len() + take, PIECE_MAX)?;
                    last.end += take as u64;
                    need -= take as u64;
                }
            }
        }
        if need == 0 {
            return Ok(());
        }
        // The rest in one allocation, so growth the allocator cannot hold
        // is refused at once, before any of it is touched.
        let refused = StorageError::AllocationFailed { bytes: need };
        self.list.try_reserve(1).map_err(|_| refused.clone())?;
        let mut buf = alloc::try_buffer(need, refused)?;
        // `try_buffer` succeeded, so `need` is a buffer length.
        buf.resize(need as usize, 0);
        self.list.push(Piece {
            end: new_len,
            data: PieceData::Owned(buf),
        });
        Ok(())
    }

    /// Cuts the content to `size` bytes (at most its length). Never fails.
    /// A shared piece cut in two becomes its own memory (taken over, or a
    /// copy of the kept part), since a slice would keep all of it alive;
    /// if the allocator refuses the copy, the slice stays. An owned piece
    /// keeps its buffer: see [`Pieces::fit_last`].
    pub(super) fn cut(&mut self, size: u64) {
        let keep = self.list.partition_point(|p| p.end <= size);
        let cut_inside = self.list.get(keep).is_some_and(|p| p.start() < size);
        self.list.truncate(keep + usize::from(cut_inside));
        let Some(last) = self.list.last_mut() else {
            return;
        };
        if last.end <= size {
            return;
        }
        let kept = (size - last.start()) as usize;
        last.end = size;
        match &mut last.data {
            PieceData::Owned(v) => v.truncate(kept),
            PieceData::Shared(b) => {
                b.truncate(kept);
                if let Ok(own) = alloc::take_exact(b) {
                    last.data = PieceData::Owned(own);
                }
            }
        }
    }

    /// Gives memory back after a cut: the last piece, when it keeps a
    /// quarter of its buffer or less, moves to a buffer of its own size, so
    /// a run of cuts keeps the capacity under four times the length while
    /// a file cut and regrown around one size is not copied each time. If
    /// the allocator refuses the smaller buffer, the larger one stays.
    pub(super) fn fit_last(&mut self) {
        if let Some(Piece {
            data: PieceData::Owned(buf),
            ..
        }) = self.list.last_mut()
        {
            if buf.len() <= buf.capacity() / 4 {
                if let Ok(fitted) = alloc::copied_vec(buf) {
                    *buf = fitted;
                }
            }
        }
    }

    /// Memory the pieces keep, for tests of the shrink rule.
    #[cfg(all(test, not(loom)))]
    pub(super) fn capacity(&self) -> usize {
        self.list.iter().map(Piece::capacity).sum()
    }

    /// How many pieces hold the bytes, for tests of the layout.
    #[cfg(all(test, not(loom)))]
    pub(super) fn count(&self) -> usize {
        self.list.len()
    }

    /// How many pieces still share their bytes, for tests of adoption.
    #[cfg(all(test, not(loom)))]
    pub(super) fn shared_count(&self) -> usize {
        let shared = |p: &&Piece| matches!(p.data, PieceData::Shared(_));
        self.list.iter().filter(shared).count()
    }
}

/// How many of the chunks that `chunks` starts with are shorter than
/// [`ADOPT_MIN`] and fit together in [`PIECE_MAX`] bytes (at least the
/// first, if it is short), and how many bytes they hold.
fn small_run<'a>(chunks: impl Iterator<Item = &'a Bytes>) -> (usize, usize) {
    let (mut count, mut bytes) = (0, 0);
    for chunk in chunks {
        let too_long = count > 0 && bytes + chunk.len() > PIECE_MAX;
        if chunk.len() >= ADOPT_MIN || too_long {
            break;
        }
        count += 1;
        bytes += chunk.len();
    }
    (count, bytes)
}
