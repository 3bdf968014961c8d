//! Content without a handle: reads, exports and whole-file writes. Each
//! takes a transient hold on one file at a time and gives it back before
//! taking another or calling the writer (the invariant that lets the tree
//! writer wait for transient holders; see `dmemfs_storage_backends`' lock).

use std::collections::BTreeMap;

use bytes::Bytes;
use dmemfs_core_tree::{NormPath, TreeError};
use dmemfs_storage_backends::{File, FileReadHold, FileStorage, Holder};

use super::{parse, MemoryFileSystem, Recheck};
use crate::engine::{Created, OnExists, Request};
use crate::export::ExportIter;
use crate::{Error, Result};

impl MemoryFileSystem {
    /// The file at `path` under a transient read hold, waiting up to the
    /// default timeout, for reading its content without a handle. A file
    /// renamed meanwhile is still the content found at `path` when the read
    /// began; only a handle (whose path must stay right) needs the full
    /// re-check.
    fn read_hold(&self, path: &NormPath) -> Result<FileReadHold> {
        let timeout = self.core().default_lock_timeout;
        self.hold_at(path, timeout, Recheck::Linked, |f| {
            f.read(Holder::Transient, timeout)
        })
    }

    /// A file's content, taken under its read lock; zero-copy when stored in
    /// one piece. `Some(max)` refuses (`InvalidInput`) a file longer than `max`.
    pub fn export_bytes(&self, path: &str, max_size: Option<u64>) -> Result<Bytes> {
        let path = parse(path)?;
        let hold = self.read_hold(&path)?;
        let size = hold.storage().len();
        if let Some(max) = max_size {
            if size > max {
                return Err(Error::invalid(
                    path.as_str(),
                    format!("file size {size} exceeds max_size {max}"),
                ));
            }
        }
        hold.storage()
            .try_to_bytes()
            .map_err(|e| Error::from_storage(path.as_str(), e))
    }

    /// Every file at or below `prefix` (none if it does not exist), each read
    /// under its read lock. `only_dirty` keeps files written since made.
    pub fn export_tree(&self, prefix: &str, only_dirty: bool) -> Result<BTreeMap<String, Bytes>> {
        let mut files = self.iter_export_tree(prefix, only_dirty)?;
        let map: BTreeMap<String, Bytes> = files.by_ref().collect();
        match files.take_error() {
            Some(e) => Err(e),
            None => Ok(map),
        }
    }

    /// Like [`MemoryFileSystem::export_tree`], lazily: each file is read
    /// when the iterator reaches it, and no lock is held between items, so
    /// files removed meanwhile are skipped. If a file's lock is not acquired
    /// within the default timeout the iterator ends early and
    /// [`ExportIter::take_error`] says why.
    pub fn iter_export_tree(&self, prefix: &str, only_dirty: bool) -> Result<ExportIter> {
        let prefix = parse(prefix)?;
        let files = match self.snapshot().files_under(&prefix) {
            Ok(files) => files,
            Err(TreeError::NotFound { .. }) => Vec::new(),
            Err(e) => return Err(e.into()),
        };
        let files = files
            .into_iter()
            .filter(|(_, f)| !only_dirty || f.is_dirty())
            .collect();
        Ok(ExportIter::new(files, self.core().default_lock_timeout))
    }

    /// A file's content, copied.
    pub fn read(&self, path: &str) -> Result<Vec<u8>> {
        self.read_normalized(&parse(path)?)
    }

    fn read_normalized(&self, path: &NormPath) -> Result<Vec<u8>> {
        self.read_hold(path)?
            .storage()
            .try_to_vec()
            .map_err(|e| Error::from_storage(path.as_str(), e))
    }

    /// A file's content as UTF-8 text (`InvalidData` if it is not).
    pub fn read_to_string(&self, path: &str) -> Result<String> {
        let path = parse(path)?;
        let bytes = self.read_normalized(&path)?;
        String::from_utf8(bytes).map_err(|e| Error::InvalidData {
            path: path.to_string(),
            reason: e.to_string(),
        })
    }

    /// Creates or replaces a file with `data`, atomically: on any error the
    /// old content (or absence) stays.
    pub fn write(&self, path: &str, data: impl AsRef<[u8]>) -> Result<()> {
        let path = parse(path)?;
        let data = data.as_ref();
        let timeout = self.core().default_lock_timeout;
        loop {
            match self.hold_at(&path, timeout, Recheck::AtPath, |f| {
                f.write(Holder::Transient, timeout)
            }) {
                Ok(hold) => {
                    // The quota for the difference is reserved before the
                    // copy is made, once.
                    hold.replace_with_copy(data, &self.core().ledger)
                        .map_err(|e| Error::from_storage(path.as_str(), e))?;
                    hold.record_write();
                    return Ok(());
                }
                Err(Error::NotFound { .. }) => {
                    let charge = self.reserve_for(data.len() as u64)?;
                    let storage =
                        self.new_storage(&path, |config| FileStorage::from_slice(config, data))?;
                    let file = File::new(storage, !data.is_empty());
                    let request =
                        Request::create_file(path.clone(), file, charge, OnExists::Report);
                    match self.run(request)? {
                        Created::Linked => return Ok(()),
                        // Someone created it meanwhile: replace theirs.
                        Created::Exists => continue,
                    }
                }
                Err(e) => return Err(e),
            }
        }
    }
}
