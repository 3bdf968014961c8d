//! Imports: [`MemoryFileSystem::import_tree`], and the all-or-nothing batch
//! the archive expansion uses too. Content is prepared, and its quota
//! reserved, before the writer links it.

use std::collections::HashMap;

use bytes::Bytes;
use dmemfs_core_tree::{NodeRef, NormPath};
use dmemfs_quota::QuotaReservation;
use dmemfs_storage_backends::{File, FileStorage};

use super::{parse, MemoryFileSystem};
use crate::engine::{Imported, OnFileExists, Request};
use crate::{Error, Result};

impl MemoryFileSystem {
    /// Writes every `(path, content)` pair, creating parents and replacing
    /// files, all or nothing: on any error nothing changes. Later pairs for
    /// the same path win. Imported files start clean (`only_dirty` exports
    /// skip them).
    pub fn import_tree<I, P, D>(&self, tree: I) -> Result<()>
    where
        I: IntoIterator<Item = (P, D)>,
        P: AsRef<str>,
        D: Into<Bytes>,
    {
        let mut index: HashMap<NormPath, usize> = HashMap::new();
        let mut entries: Vec<(NormPath, Bytes)> = Vec::new();
        for (path, data) in tree {
            let path = parse(path.as_ref())?;
            if path.is_root() {
                return Err(Error::invalid("/", "import_tree cannot write the root"));
            }
            let data = data.into();
            match index.get(&path) {
                Some(&i) => entries[i].1 = data,
                None => {
                    index.insert(path.clone(), entries.len());
                    entries.push((path, data));
                }
            }
        }
        self.import_batch(entries, Vec::new(), OnFileExists::Replace)
            .map(drop)
    }

    /// Imports `entries` (distinct paths) and creates `dirs`, all or nothing;
    /// `on_file` says what happens to files that exist already. Returns how
    /// many files were linked.
    pub(crate) fn import_batch(
        &self,
        entries: Vec<(NormPath, Bytes)>,
        dirs: Vec<NormPath>,
        on_file: OnFileExists,
    ) -> Result<u64> {
        if entries.is_empty() && dirs.is_empty() {
            return Ok(0);
        }
        let prepaid = self.reserve_import(&entries, on_file)?;
        let mut files = Vec::with_capacity(entries.len());
        for (path, data) in entries {
            let storage =
                self.new_storage(&path, |config| FileStorage::from_bytes(config, data))?;
            files.push((path, File::new(storage, false)));
        }
        let Imported(linked) = self.run(Request::import(files, dirs, on_file, prepaid))?;
        Ok(linked)
    }

    /// Reserves the quota an import will take (what the new files cost
    /// less what the files they replace are charged, as the current
    /// snapshot says) before any content is copied, or refuses an import
    /// that cannot fit (or, with [`OnFileExists::Fail`], that meets an
    /// existing file). The writer settles the reservation to the exact
    /// change when it links the files.
    fn reserve_import(
        &self,
        entries: &[(NormPath, Bytes)],
        on_file: OnFileExists,
    ) -> Result<QuotaReservation> {
        let config = self.core().storage;
        let snapshot = self.snapshot();
        let mut new_charge = 0u64;
        let mut old_charge = 0u64;
        for (path, data) in entries {
            if let Ok(NodeRef::File(f)) = snapshot.lookup(path) {
                match on_file {
                    OnFileExists::Replace => old_charge += f.storage().charge(),
                    OnFileExists::Keep => continue,
                    OnFileExists::Fail => {
                        return Err(Error::AlreadyExists {
                            path: path.to_string(),
                        })
                    }
                }
            }
            new_charge += FileStorage::charge_for(config, data.len() as u64);
        }
        Ok(self
            .core()
            .ledger
            .reserve(new_charge.saturating_sub(old_charge))?)
    }
}
