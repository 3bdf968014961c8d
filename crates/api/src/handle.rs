//! [`FileHandle`]: an open file.
//!
//! A handle holds its file's lock from open to close (shared for `Read`,
//! exclusive otherwise), so its reads and writes need no further locking and
//! never go through the tree writer. A handle is used by one thread at a time
//! (`&mut self`); send it to another thread if you like.

use std::io::{self, Read, Seek, SeekFrom, Write};

use bytes::Bytes;

use crate::fs::zeros_for;
use crate::node::FileRef;
use crate::sync::Arc;
use crate::{Error, FsCore, OpenMode, Result};

/// An open file: `std::io::{Read, Write, Seek}` plus zero-copy
/// [`FileHandle::write_bytes`] / [`FileHandle::read_bytes`].
///
/// Dropping it releases the file's lock; [`FileHandle::close`] does so
/// explicitly.
#[derive(Debug)]
pub struct FileHandle {
    core: Arc<FsCore>,
    node: FileRef,
    path: String,
    mode: OpenMode,
    cursor: u64,
}

impl FileHandle {
    /// Wraps a file whose lock the caller has just taken for `mode`.
    pub(crate) fn new(core: Arc<FsCore>, node: FileRef, path: String, mode: OpenMode) -> Self {
        let cursor = if mode == OpenMode::Append {
            node.storage.len()
        } else {
            0
        };
        FileHandle {
            core,
            node,
            path,
            mode,
            cursor,
        }
    }

    pub(crate) fn node(&self) -> &FileRef {
        &self.node
    }

    /// The normalized path the file was opened at.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The cursor position.
    pub fn tell(&self) -> u64 {
        self.cursor
    }

    /// Whether this handle may read.
    pub fn is_readable(&self) -> bool {
        self.mode.is_readable()
    }

    /// Whether this handle may write.
    pub fn is_writable(&self) -> bool {
        self.mode.is_writable()
    }

    /// Releases the file's lock. Dropping the handle does the same.
    pub fn close(self) -> Result<()> {
        Ok(())
    }

    fn need_readable(&self) -> Result<()> {
        if self.mode.is_readable() {
            Ok(())
        } else {
            Err(Error::unsupported(
                &self.path,
                format!("read on a handle opened {:?}", self.mode),
            ))
        }
    }

    fn need_writable(&self) -> Result<()> {
        if self.mode.is_writable() {
            Ok(())
        } else {
            Err(Error::unsupported(
                &self.path,
                "write on a handle opened Read",
            ))
        }
    }

    /// Reads up to `buf.len()` bytes at the cursor.
    fn read_into(&mut self, buf: &mut [u8]) -> Result<usize> {
        self.need_readable()?;
        let n = self.node.storage.read_at(self.cursor, buf);
        self.cursor += n as u64;
        Ok(n)
    }

    /// Returns up to `max` bytes at the cursor, without copying when they lie
    /// in one stored chunk. A copy the allocator refuses is
    /// [`Error::OutOfMemory`], and the cursor stays.
    pub fn read_bytes(&mut self, max: usize) -> Result<Bytes> {
        self.need_readable()?;
        let bytes = self
            .node
            .storage
            .read_bytes(self.cursor, max)
            .map_err(|e| Error::from_storage(&self.path, e))?;
        self.cursor += bytes.len() as u64;
        Ok(bytes)
    }

    /// Where a write goes: the end for `Append`, the cursor otherwise.
    fn write_offset(&self) -> u64 {
        if self.mode == OpenMode::Append {
            self.node.storage.len()
        } else {
            self.cursor
        }
    }

    pub(crate) fn write_slice(&mut self, data: &[u8]) -> Result<usize> {
        self.need_writable()?;
        let offset = self.write_offset();
        let n = self
            .node
            .storage
            .write_at(offset, data, &self.core.ledger)
            .map_err(|e| Error::from_storage(&self.path, e))?;
        self.advance_after_write(offset, n);
        Ok(n)
    }

    /// Writes `data`; when it appends to sequential storage, `data` itself is
    /// stored (no copy). The whole write is refused if it exceeds the quota.
    pub fn write_bytes(&mut self, data: Bytes) -> Result<usize> {
        self.need_writable()?;
        let offset = self.write_offset();
        let n = self
            .node
            .storage
            .write_bytes_at(offset, data, &self.core.ledger)
            .map_err(|e| Error::from_storage(&self.path, e))?;
        self.advance_after_write(offset, n);
        Ok(n)
    }

    fn advance_after_write(&mut self, offset: u64, n: usize) {
        if n > 0 {
            self.cursor = offset + n as u64;
            self.node.record_write();
        }
    }

    /// Cuts or extends (with zeros) the file to `size`, or to the cursor when
    /// `None`; the cursor moves back if it was past the new end. Returns the
    /// new size.
    pub fn truncate(&mut self, size: Option<u64>) -> Result<u64> {
        self.need_writable()?;
        let target = size.unwrap_or(self.cursor);
        let before = self.node.storage.len();
        self.node
            .storage
            .truncate(target, &self.core.ledger)
            .map_err(|e| Error::from_storage(&self.path, e))?;
        if self.cursor > target {
            self.cursor = target;
        }
        if before != target {
            self.node.record_write();
        }
        Ok(target)
    }

    /// `Write` opens of an existing file empty it; the open itself counts
    /// as a truncation (new generation and `modified_at`), as in D-MemFS.
    pub(crate) fn truncate_for_write_open(&mut self) -> Result<()> {
        self.node
            .storage
            .truncate(0, &self.core.ledger)
            .map_err(|e| Error::from_storage(&self.path, e))?;
        self.node.record_write();
        Ok(())
    }

    /// Grows the file with zeros to at least `size`; the cursor stays.
    pub(crate) fn preallocate(&mut self, size: u64) -> Result<()> {
        let len = self.node.storage.len();
        if size <= len {
            return Ok(());
        }
        // Refused by the quota before the zeros are allocated; the storage
        // reserves again (exactly) when it stores them.
        let grow = size - len;
        let cost = if self.node.storage.is_random_access() {
            grow
        } else {
            grow.saturating_add(self.core.storage.chunk_overhead)
        };
        let room = self.core.ledger.reserve(cost)?;
        let zeros = zeros_for(&self.path, grow)?;
        drop(room);
        self.node
            .storage
            .write_bytes_at(len, zeros, &self.core.ledger)
            .map_err(|e| Error::from_storage(&self.path, e))?;
        self.node.record_write();
        Ok(())
    }

    /// Replaces the whole content in one step (`MemoryFileSystem::write`).
    pub(crate) fn replace_content(mut self, data: &[u8]) -> Result<()> {
        self.replace_with(data.len() as u64, |path| {
            crate::fs::copy_to_bytes_for(path, data)
        })
    }

    /// A `Write` open with preallocation: the content becomes `size` zeros
    /// in one step, so a refusal leaves the old content in place.
    pub(crate) fn reset_to_zeros(&mut self, size: u64) -> Result<()> {
        self.replace_with(size, |path| zeros_for(path, size))
    }

    /// Swaps in `len` bytes made by `make`, atomically: refused by the quota
    /// before `make` allocates, and on any error the old content stays.
    fn replace_with(&mut self, len: u64, make: impl FnOnce(&str) -> Result<Bytes>) -> Result<()> {
        let storage = &self.node.storage;
        let new_charge = if storage.is_random_access() {
            len
        } else {
            dmemfs_storage_backends::FileStorage::charge_for(self.core.storage, len)
        };
        // The storage reserves again, exactly, when it swaps the content in.
        let room = self
            .core
            .ledger
            .reserve(new_charge.saturating_sub(storage.charge()))?;
        let content = make(&self.path)?;
        drop(room);
        storage
            .replace(content, &self.core.ledger)
            .map_err(|e| Error::from_storage(&self.path, e))?;
        self.node.record_write();
        Ok(())
    }

    fn seek_to(&mut self, pos: SeekFrom) -> Result<u64> {
        let bad = |reason: String| Error::invalid(self.path.as_str(), reason);
        let target = match pos {
            SeekFrom::Start(n) => Some(n),
            SeekFrom::Current(d) => self.cursor.checked_add_signed(d),
            SeekFrom::End(d) if d > 0 => {
                return Err(bad(format!(
                    "seek {d} bytes past the end: only SeekFrom::Start may pass the end"
                )))
            }
            SeekFrom::End(d) => self.node.storage.len().checked_add_signed(d),
        };
        match target {
            Some(t) => {
                self.cursor = t;
                Ok(t)
            }
            None => Err(bad(format!("seek to {pos:?} leaves the file's range"))),
        }
    }
}

impl Drop for FileHandle {
    fn drop(&mut self) {
        if self.mode.is_writable() {
            self.node.lock.unlock_write();
        } else {
            self.node.lock.unlock_read();
        }
    }
}

impl Read for FileHandle {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        Ok(self.read_into(buf)?)
    }
}

impl Write for FileHandle {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        Ok(self.write_slice(buf)?)
    }

    /// Nothing to flush: writes are stored when `write` returns.
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Seek for FileHandle {
    fn seek(&mut self, pos: SeekFrom) -> io::Result<u64> {
        Ok(self.seek_to(pos)?)
    }
}
