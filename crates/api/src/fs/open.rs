//! Opening files: [`MemoryFileSystem::open`] and
//! [`MemoryFileSystem::open_with`], which hand out [`FileHandle`]s holding
//! the file's lock as a handle.

use std::time::Duration;

use dmemfs_core_tree::{NodeRef, NormPath, Tree};
use dmemfs_storage_backends::{File, FileHold, FileStorage, FileWriteHold, Holder, LockTimedOut};

use super::{file_in, parse, MemoryFileSystem};
use crate::engine::{Created, OnExists, Request};
use crate::fs_core::FileRef;
use crate::handle::Hold;
use crate::sync::Arc;
use crate::{Error, FileHandle, OpenMode, OpenOptions, Result};

impl MemoryFileSystem {
    /// Opens `path` in `mode` with the default options.
    pub fn open(&self, path: &str, mode: OpenMode) -> Result<FileHandle> {
        self.open_with(path, mode, OpenOptions::new())
    }

    /// Opens `path` in `mode`, waiting for the file's lock up to the timeout.
    /// A `Read` open shares the file and never changes it, so it refuses a
    /// preallocation (`InvalidInput`) before looking anything up.
    pub fn open_with(&self, path: &str, mode: OpenMode, opts: OpenOptions) -> Result<FileHandle> {
        let input = path;
        let missed_as_written = match self.open_as_written(input, mode, &opts) {
            AsWritten::Opened(handle) => {
                return self.prepare_existing(handle, mode, opts.preallocate)
            }
            AsWritten::Missed => true,
            AsWritten::Unsettled => false,
        };
        let path = parse(input)?;
        if mode == OpenMode::Read && opts.preallocate > 0 {
            return Err(Error::invalid(
                path.as_str(),
                format!(
                    "preallocate({}) on a Read open: a shared open never changes the file; \
                     open it ReadWrite to grow it",
                    opts.preallocate
                ),
            ));
        }
        let timeout = match opts.lock_timeout {
            Some(t) => Some(t),
            None => self.core().default_lock_timeout,
        };
        if mode == OpenMode::CreateNew {
            // Never opens an existing file, so it takes no lock: the writer
            // refuses the creation if a file appears meanwhile.
            if file_in(&self.snapshot(), &path)?.is_some() {
                return Err(already_exists(&path));
            }
            return match self.create_for_open(&path, mode, opts.preallocate)? {
                Some(hold) => Ok(self.write_handle(hold, path, mode)),
                None => Err(already_exists(&path)),
            };
        }
        // A normal input that missed as written is missing from the snapshot
        // it was resolved in: `hold_at` would find the same on the first
        // turn, so its lookup is skipped (as if it had looked a moment
        // earlier; a file created meanwhile is met by the creation below).
        let mut known_missing = missed_as_written && path.as_str() == input;
        loop {
            let hold = if std::mem::take(&mut known_missing) {
                None
            } else if mode.is_writable() {
                self.hold_at(&path, timeout, |f, t| f.write(Holder::Handle, t))?
                    .map(|hold| Hold::Write(hold, Arc::clone(self.core())))
            } else {
                self.hold_at(&path, timeout, |f, t| f.read(Holder::Handle, t))?
                    .map(Hold::Read)
            };
            let Some(hold) = hold else {
                if !mode.creates() {
                    return Err(self.not_there(&path));
                }
                match self.create_for_open(&path, mode, opts.preallocate)? {
                    Some(hold) => return Ok(self.write_handle(hold, path, mode)),
                    // Someone created it meanwhile: open theirs.
                    None => continue,
                }
            };
            let handle = FileHandle::new(hold, path.into_string(), mode);
            return self.prepare_existing(handle, mode, opts.preallocate);
        }
    }

    /// `open_with`'s first try, before the path is parsed: the file at
    /// `input` resolved as written, held at once in the snapshot it was
    /// found in. A file found as written was named by a normal path, which
    /// is `input` itself (`Tree::get_as_written`), so nothing is parsed and
    /// the handle's path is `input`. The hold is taken without waiting and
    /// kept only if the snapshot is still the current one, which makes it
    /// right for the reason `hold_at` gives for its own first try; anything
    /// else (a directory, a busy lock, a newer snapshot, a mode that must
    /// check the path first) is left to the full open.
    fn open_as_written(&self, input: &str, mode: OpenMode, opts: &OpenOptions) -> AsWritten {
        // `CreateNew` never opens an existing file, and a `Read` open with a
        // preallocation is refused once the path has parsed.
        if mode == OpenMode::CreateNew || (mode == OpenMode::Read && opts.preallocate > 0) {
            return AsWritten::Unsettled;
        }
        let found_in = self.snapshot();
        let file = match found_in.get_as_written(input) {
            Some(NodeRef::File(file)) => file,
            Some(NodeRef::Dir { .. }) => return AsWritten::Unsettled,
            None => return AsWritten::Missed,
        };
        let now = Some(Duration::ZERO);
        let hold = if mode.is_writable() {
            match file.write(Holder::Handle, now) {
                Ok(hold) => Hold::Write(hold, Arc::clone(self.core())),
                Err(LockTimedOut) => return AsWritten::Unsettled,
            }
        } else {
            match file.read(Holder::Handle, now) {
                Ok(hold) => Hold::Read(hold),
                Err(LockTimedOut) => return AsWritten::Unsettled,
            }
        };
        if !std::ptr::eq::<Tree<FileRef>>(&**self.snapshot(), &**found_in) {
            return AsWritten::Unsettled;
        }
        AsWritten::Opened(FileHandle::new(hold, input.to_owned(), mode))
    }

    /// Truncates (Write mode) and preallocates a freshly opened existing file
    /// (never in Read mode: `open_with` refused that).
    fn prepare_existing(
        &self,
        mut handle: FileHandle,
        mode: OpenMode,
        preallocate: u64,
    ) -> Result<FileHandle> {
        match (mode, preallocate) {
            (OpenMode::Write, 0) => handle.truncate_for_write_open()?,
            // Truncate and preallocate as one step: a refusal keeps the content.
            (OpenMode::Write, size) => handle.reset_to_zeros(size)?,
            (_, 0) => {}
            (_, size) => handle.preallocate(size)?,
        }
        Ok(handle)
    }

    /// A handle opened in `mode` (not `Read`) on the file at `path` that
    /// `hold` write-holds.
    fn write_handle(&self, hold: FileWriteHold, path: NormPath, mode: OpenMode) -> FileHandle {
        let hold = Hold::Write(hold, Arc::clone(self.core()));
        FileHandle::new(hold, path.into_string(), mode)
    }

    /// Creates `path` for a handle, write-held by it before anyone can see
    /// it: the hold. `None` when a file appeared at `path` first.
    fn create_for_open(
        &self,
        path: &NormPath,
        mode: OpenMode,
        preallocate: u64,
    ) -> Result<Option<FileWriteHold>> {
        // Quota first: a preallocation the quota cannot hold is refused
        // before its zeros are allocated.
        let (charge, storage) =
            self.storage_for_new(path, preallocate, |config| match preallocate {
                0 => Ok(FileStorage::new(config)),
                len => FileStorage::zeroed(config, len),
            })?;
        let hold = File::new_for_handle(storage, preallocate > 0);
        let on_exists = if mode == OpenMode::CreateNew {
            OnExists::Fail
        } else {
            OnExists::Report
        };
        let request =
            Request::create_file(path.clone(), Arc::clone(hold.file()), charge, on_exists);
        match self.run(request)? {
            Created::Linked => Ok(Some(hold)),
            Created::Exists => Ok(None),
        }
    }
}

/// What [`MemoryFileSystem::open_as_written`] settled.
enum AsWritten {
    /// The file, held for the open's mode (not yet truncated or grown).
    Opened(FileHandle),
    /// Nothing at `input` as written, in the snapshot looked at.
    Missed,
    /// Not tried, or not settled without the parsed path.
    Unsettled,
}

fn already_exists(path: &NormPath) -> Error {
    Error::AlreadyExists {
        path: path.to_string(),
    }
}
