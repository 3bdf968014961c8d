//! [`FileHandle`]: an open file.
//!
//! A handle owns a hold on its file's lock from open to close (shared for
//! `Read`, exclusive otherwise; the hold gives the lock back when the handle
//! drops), so its reads and writes need no further locking and never go
//! through the tree writer. A handle is used by one thread at a time
//! (`&mut self`); send it to another thread if you like.

use std::io::{self, Read, Seek, SeekFrom, Write};

use bytes::Bytes;
use dmemfs_quota::QuotaLedger;
use dmemfs_storage_backends::{File, FileReadHold, FileWriteHold};

use crate::sync::Arc;
use crate::{Error, FsCore, OpenMode, Result};

/// An open file: `std::io::{Read, Write, Seek}` plus zero-copy
/// [`FileHandle::write_bytes`] / [`FileHandle::read_bytes`].
///
/// Dropping it releases the file's lock; [`FileHandle::close`] does so
/// explicitly.
#[derive(Debug)]
pub struct FileHandle {
    hold: Hold,
    path: String,
    mode: OpenMode,
    cursor: u64,
}

/// The handle's hold on its file: shared for `Read`, exclusive otherwise.
#[derive(Debug)]
pub(crate) enum Hold {
    /// Reads charge nothing, so a `Read` handle keeps no reference to its
    /// filesystem: opening and closing one writes no count shared by every
    /// handle of every thread.
    Read(FileReadHold),
    /// The exclusive hold, with the filesystem whose ledger its writes
    /// charge.
    Write(FileWriteHold, Arc<FsCore>),
}

impl Hold {
    fn file(&self) -> &File {
        match self {
            Hold::Read(h) => h,
            Hold::Write(h, _) => h,
        }
    }
}

impl FileHandle {
    /// Wraps `hold`, a handle's hold on the file at `path` taken for `mode`
    /// (a write hold unless `mode` is `Read`).
    pub(crate) fn new(hold: Hold, path: String, mode: OpenMode) -> Self {
        let cursor = if mode == OpenMode::Append {
            hold.file().storage().len()
        } else {
            0
        };
        FileHandle {
            hold,
            path,
            mode,
            cursor,
        }
    }

    /// The normalized path the file was opened at.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The cursor position.
    pub fn tell(&self) -> u64 {
        self.cursor
    }

    /// The file's length in bytes. Exact while the handle is open: its hold
    /// lets no other handle or writer change the file.
    pub fn size(&self) -> u64 {
        self.hold.file().storage().len()
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

    /// The write hold and the ledger its writes charge, for a handle
    /// opened to write.
    fn writer(&self) -> Result<(&FileWriteHold, &Arc<QuotaLedger>)> {
        match &self.hold {
            Hold::Write(hold, core) if self.mode.is_writable() => Ok((hold, &core.ledger)),
            _ => Err(Error::unsupported(
                &self.path,
                "write on a handle opened Read",
            )),
        }
    }

    fn storage_error(&self, e: dmemfs_storage_backends::StorageError) -> Error {
        Error::from_storage(&self.path, e)
    }

    /// Reads up to `buf.len()` bytes at the cursor.
    fn read_into(&mut self, buf: &mut [u8]) -> Result<usize> {
        self.need_readable()?;
        let n = self.hold.file().storage().read_at(self.cursor, buf);
        self.cursor += n as u64;
        Ok(n)
    }

    /// Appends everything from the cursor to the end onto `out` without
    /// moving the cursor, and returns how many bytes: room for all of them
    /// is reserved once, and they are copied without zero-filling (as
    /// `std::fs::File` reads to the end). A reservation the allocator
    /// refuses is [`Error::OutOfMemory`], with `out` unchanged.
    fn copy_rest(&self, out: &mut Vec<u8>) -> Result<usize> {
        self.need_readable()?;
        self.hold
            .file()
            .storage()
            .read_to_end_at(self.cursor, out)
            .map_err(|e| self.storage_error(e))
    }

    /// Returns up to `max` bytes at the cursor, without copying when they lie
    /// in one stored chunk. A copy the allocator refuses is
    /// [`Error::OutOfMemory`], and the cursor stays.
    pub fn read_bytes(&mut self, max: usize) -> Result<Bytes> {
        self.need_readable()?;
        let bytes = self
            .hold
            .file()
            .storage()
            .read_bytes(self.cursor, max)
            .map_err(|e| self.storage_error(e))?;
        self.cursor += bytes.len() as u64;
        Ok(bytes)
    }

    /// Where a write goes: the end for `Append`, the cursor otherwise.
    fn write_offset(&self) -> u64 {
        if self.mode == OpenMode::Append {
            self.size()
        } else {
            self.cursor
        }
    }

    pub(crate) fn write_slice(&mut self, data: &[u8]) -> Result<usize> {
        let (hold, ledger) = self.writer()?;
        let offset = self.write_offset();
        let n = hold
            .write_at(offset, data, ledger)
            .map_err(|e| self.storage_error(e))?;
        self.advance_after_write(offset, n);
        Ok(n)
    }

    /// Writes `data`; when it appends to sequential storage, `data` itself is
    /// stored (no copy). The whole write is refused if it exceeds the quota.
    pub fn write_bytes(&mut self, data: Bytes) -> Result<usize> {
        let (hold, ledger) = self.writer()?;
        let offset = self.write_offset();
        let n = hold
            .write_bytes_at(offset, data, ledger)
            .map_err(|e| self.storage_error(e))?;
        self.advance_after_write(offset, n);
        Ok(n)
    }

    fn advance_after_write(&mut self, offset: u64, n: usize) {
        if n > 0 {
            self.cursor = offset + n as u64;
            if let Hold::Write(hold, _) = &self.hold {
                hold.record_write();
            }
        }
    }

    /// Cuts or extends (with zeros) the file to `size`, or to the cursor when
    /// `None`; the cursor moves back if it was past the new end. Returns the
    /// new size.
    pub fn truncate(&mut self, size: Option<u64>) -> Result<u64> {
        let (hold, ledger) = self.writer()?;
        let target = size.unwrap_or(self.cursor);
        let before = hold.storage().len();
        hold.truncate(target, ledger)
            .map_err(|e| self.storage_error(e))?;
        if before != target {
            hold.record_write();
        }
        if self.cursor > target {
            self.cursor = target;
        }
        Ok(target)
    }

    /// `Write` opens of an existing file empty it; the open itself counts
    /// as a truncation (new generation and `modified_at`), as in D-MemFS.
    pub(crate) fn truncate_for_write_open(&mut self) -> Result<()> {
        let (hold, ledger) = self.writer()?;
        hold.truncate(0, ledger)
            .map_err(|e| self.storage_error(e))?;
        hold.record_write();
        Ok(())
    }

    /// Grows the file with zeros to at least `size`; the cursor stays. The
    /// growth is reserved once, before the zeros are allocated.
    pub(crate) fn preallocate(&mut self, size: u64) -> Result<()> {
        let (hold, ledger) = self.writer()?;
        if size <= hold.storage().len() {
            return Ok(());
        }
        hold.truncate(size, ledger)
            .map_err(|e| self.storage_error(e))?;
        hold.record_write();
        Ok(())
    }

    /// A `Write` open with preallocation: the content becomes `size` zeros
    /// in one step, reserved before they are allocated, so a refusal leaves
    /// the old content in place.
    pub(crate) fn reset_to_zeros(&mut self, size: u64) -> Result<()> {
        let (hold, ledger) = self.writer()?;
        hold.replace_with_zeros(size, ledger)
            .map_err(|e| self.storage_error(e))?;
        hold.record_write();
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
            SeekFrom::End(d) => self.size().checked_add_signed(d),
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

impl Read for FileHandle {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        Ok(self.read_into(buf)?)
    }

    /// Reserves the rest of the file once and copies it (no zero-fill, no
    /// regrowth). A refused allocation is an error of kind `OutOfMemory`,
    /// with `buf` and the cursor unchanged.
    fn read_to_end(&mut self, buf: &mut Vec<u8>) -> io::Result<usize> {
        let n = self.copy_rest(buf)?;
        self.cursor += n as u64;
        Ok(n)
    }

    /// Like [`FileHandle::read_to_end`], then checks the bytes are UTF-8:
    /// if not, the error is of kind `InvalidData`, and `buf` and the cursor
    /// stay unchanged (the bytes can still be read as bytes).
    fn read_to_string(&mut self, buf: &mut String) -> io::Result<usize> {
        let mut bytes = Vec::new();
        let n = self.copy_rest(&mut bytes)?;
        let text = String::from_utf8(bytes).map_err(|e| Error::InvalidData {
            path: self.path.clone(),
            reason: e.to_string(),
        })?;
        if buf.is_empty() {
            *buf = text;
        } else {
            buf.try_reserve(n).map_err(|_| Error::OutOfMemory {
                path: self.path.clone(),
                bytes: n as u64,
            })?;
            buf.push_str(&text);
        }
        self.cursor += n as u64;
        Ok(n)
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
