//! Content without a handle: reads, exports and whole-file writes. Each
//! takes a transient hold on one file at a time and gives it back before
//! taking another or calling the writer (the invariant that lets the tree
//! writer wait for transient holders; see `dmemfs_storage_backends`' lock).

use std::collections::BTreeMap;

use bytes::Bytes;
use dmemfs_core_tree::TreeError;
use dmemfs_storage_backends::{File, FileStorage, Holder};

use super::{normalized, parse, MemoryFileSystem};
use crate::engine::{Created, OnExists, Request};
use crate::export::ExportIter;
use crate::{Error, Result};

impl MemoryFileSystem {
    /// A file's content, taken under its read lock; zero-copy when stored in
    /// one piece. `Some(max)` refuses (`InvalidInput`) a file longer than `max`.
    pub fn export_bytes(&self, path: &str, max_size: Option<u64>) -> Result<Bytes> {
        self.with_read_hold(path, |file| {
            let size = file.storage().len();
            if let Some(max) = max_size {
                if size > max {
                    return Err(Error::invalid(
                        normalized(path),
                        format!("file size {size} exceeds max_size {max}"),
                    ));
                }
            }
            file.storage()
                .try_to_bytes()
                .map_err(|e| Error::from_storage(&normalized(path), e))
        })
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
        self.with_read_hold(path, |file| {
            file.storage()
                .try_to_vec()
                .map_err(|e| Error::from_storage(&normalized(path), e))
        })
    }

    /// A file's content as UTF-8 text (`InvalidData` if it is not).
    pub fn read_to_string(&self, path: &str) -> Result<String> {
        String::from_utf8(self.read(path)?).map_err(|e| Error::InvalidData {
            path: normalized(path),
            reason: e.to_string(),
        })
    }

    /// Creates or replaces a file with `data`, atomically: on any error the
    /// old content (or absence) stays.
    pub fn write(&self, path: &str, data: impl AsRef<[u8]>) -> Result<()> {
        let mut norm = parse(path)?;
        let data = data.as_ref();
        let timeout = self.core().default_lock_timeout;
        loop {
            let found = self.hold_at(&norm, timeout, |f, t| f.write(Holder::Transient, t))?;
            if let Some(hold) = found {
                // The quota for the difference is reserved before the copy
                // is made, once.
                hold.replace_with_copy(data, &self.core().ledger)
                    .map_err(|e| Error::from_storage(norm.as_str(), e))?;
                hold.record_write();
                return Ok(());
            }
            let (charge, storage) = self.storage_for_new(&norm, data.len() as u64, |config| {
                FileStorage::from_slice(config, data)
            })?;
            let file = File::new(storage, !data.is_empty());
            match self.run(Request::create_file(norm, file, charge, OnExists::Report))? {
                Created::Linked => return Ok(()),
                // Someone created it meanwhile: replace theirs. The path
                // went into the request, so it is parsed again (rarely).
                Created::Exists => norm = parse(path)?,
            }
        }
    }
}
