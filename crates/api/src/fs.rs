//! [`MemoryFileSystem`]: the public facade.
//!
//! Readers (`exists`, `stat`, `listdir`, `walk`, `glob`, `get_size`, the
//! exports, opens for reading) load the published tree snapshot and never
//! message the writer. Structural changes go to the [`Engine`]. File data is
//! read and written in place under each file's lock.

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use bytes::Bytes;
use dmemfs_core_tree::{NodeRef, NormPath, Subtree, Tree, TreeError};
use dmemfs_quota::QuotaReservation;
use dmemfs_storage_backends::FileStorage;

use crate::engine::{Engine, Mutation, OnExists, OnFileExists, Outcome};
use crate::export::ExportIter;
use crate::node::{FileNode, FileRef, NewFile};
use crate::sync::{Arc, Guard};
use crate::{
    Concurrency, Error, FileHandle, FsBuilder, FsCore, FsStats, Metadata, OpenMode, OpenOptions,
    Result,
};

/// An in-process filesystem with a hard byte quota.
///
/// Cheap to clone: clones share one filesystem. Dropping the last clone stops
/// its writer thread; open handles keep working on their files.
#[derive(Clone, Debug)]
pub struct MemoryFileSystem {
    inner: Arc<FsInner>,
}

#[derive(Debug)]
struct FsInner {
    core: Arc<FsCore>,
    engine: Engine,
    concurrency: Concurrency,
}

impl Default for MemoryFileSystem {
    fn default() -> Self {
        Self::new()
    }
}

impl MemoryFileSystem {
    /// A filesystem with every default (256 MiB quota, actor writer).
    ///
    /// # Panics
    /// If the writer thread cannot be started; use [`MemoryFileSystem::builder`]
    /// to get that as an error instead.
    pub fn new() -> Self {
        match Self::builder().build() {
            Ok(fs) => fs,
            Err(e) => panic!("cannot start a dmemfs filesystem: {e}"),
        }
    }

    /// A builder to configure a filesystem.
    pub fn builder() -> FsBuilder {
        FsBuilder::default()
    }

    pub(crate) fn start(core: Arc<FsCore>, concurrency: Concurrency) -> Result<Self> {
        let engine = Engine::start(Arc::clone(&core), concurrency)?;
        Ok(MemoryFileSystem {
            inner: Arc::new(FsInner {
                core,
                engine,
                concurrency,
            }),
        })
    }

    /// The strategy this filesystem applies structural mutations with.
    pub fn concurrency(&self) -> Concurrency {
        self.inner.concurrency
    }

    pub(crate) fn core(&self) -> &Arc<FsCore> {
        &self.inner.core
    }

    pub(crate) fn snapshot(&self) -> Guard<Tree<FileRef>> {
        self.inner.core.published.load()
    }

    fn apply(&self, mutation: Mutation) -> Result<Outcome> {
        self.inner.engine.apply(mutation)
    }

    // ----- opening files -----

    /// Opens `path` in `mode` with the default options.
    pub fn open(&self, path: &str, mode: OpenMode) -> Result<FileHandle> {
        self.open_with(path, mode, OpenOptions::new())
    }

    /// Opens `path` in `mode`, waiting for the file's lock up to the timeout.
    /// A `Read` open shares the file and never changes it, so it refuses a
    /// preallocation (`InvalidInput`) before looking anything up.
    pub fn open_with(&self, path: &str, mode: OpenMode, opts: OpenOptions) -> Result<FileHandle> {
        let path = parse(path)?;
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
        loop {
            let found = lookup_file(&self.snapshot(), &path);
            let file = match found {
                Ok(file) if mode == OpenMode::CreateNew => {
                    drop(file);
                    return Err(Error::AlreadyExists {
                        path: path.to_string(),
                    });
                }
                Ok(file) => file,
                Err(Error::NotFound { .. }) if mode.creates() => {
                    match self.create_for_open(&path, mode, opts.preallocate)? {
                        Some(handle) => return Ok(handle),
                        // Someone created it meanwhile: open theirs.
                        None => continue,
                    }
                }
                Err(e) => return Err(e),
            };
            let locked = if mode.is_writable() {
                file.lock.write(timeout)
            } else {
                file.lock.read(timeout)
            };
            if locked.is_err() {
                return Err(would_block(&path, timeout));
            }
            let handle = FileHandle::new(Arc::clone(self.core()), file, path.to_string(), mode);
            if !self.still_linked(&path, handle.node()) {
                // Removed, renamed or replaced before we got the lock.
                drop(handle);
                continue;
            }
            return self.prepare_existing(handle, mode, opts.preallocate);
        }
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

    /// Creates `path` for a handle, write-locked before anyone can see it.
    /// `None` when a file appeared at `path` first.
    fn create_for_open(
        &self,
        path: &NormPath,
        mode: OpenMode,
        preallocate: u64,
    ) -> Result<Option<FileHandle>> {
        // Quota first: a preallocation the quota cannot hold is refused
        // before its zeros are allocated.
        let charge = self.reserve_for(preallocate)?;
        let content = zeros(path, preallocate)?;
        let file = self.new_node(path, content, true, preallocate > 0)?;
        let on_exists = if mode == OpenMode::CreateNew {
            OnExists::Fail
        } else {
            OnExists::Report
        };
        match self.apply(Mutation::CreateFile {
            path: path.clone(),
            file: Arc::clone(&file),
            charge,
            on_exists,
        })? {
            Outcome::Done | Outcome::Imported(_) => Ok(Some(FileHandle::new(
                Arc::clone(self.core()),
                file,
                path.to_string(),
                mode,
            ))),
            Outcome::Exists => Ok(None),
        }
    }

    /// Reserves what a new file of `len` bytes stored in one piece costs.
    fn reserve_for(&self, len: u64) -> Result<QuotaReservation> {
        let config = self.core().storage;
        Ok(self
            .core()
            .ledger
            .reserve(FileStorage::charge_for(config, len))?)
    }

    /// A new file node holding `content`, paid for by a reservation of
    /// [`MemoryFileSystem::reserve_for`] its length. `written` marks it
    /// dirty with generation 1 when it has content.
    fn new_node(
        &self,
        path: &NormPath,
        content: Bytes,
        write_locked: bool,
        written: bool,
    ) -> Result<FileRef> {
        let has_content = !content.is_empty();
        let storage = FileStorage::from_bytes(self.core().storage, content)
            .map_err(|e| Error::from_storage(path.as_str(), e))?;
        Ok(FileNode::new(NewFile {
            storage,
            write_locked,
            generation: u64::from(written && has_content),
            dirty: written,
        }))
    }

    /// Whether `file` is still the file at `path` in the current snapshot.
    /// Called with the file's lock held, which no structural change of that
    /// file can get past, so the answer stays true while the lock is held.
    fn still_linked(&self, path: &NormPath, file: &FileRef) -> bool {
        matches!(self.snapshot().lookup(path), Ok(NodeRef::File(f)) if Arc::ptr_eq(f, file))
    }

    /// The file at `path` with its read lock held, waiting up to the
    /// default timeout, for reading its content without a handle.
    fn read_locked(&self, path: &NormPath) -> Result<ReadHold> {
        let timeout = self.core().default_lock_timeout;
        loop {
            let file = lookup_file(&self.snapshot(), path)?;
            if file.lock.read(timeout).is_err() {
                return Err(would_block(path, timeout));
            }
            let hold = ReadHold(file);
            // The writer marks a file unlinked before it gives the lock up,
            // so holding the lock, the flag is current. A file renamed
            // meanwhile is still the content found at `path` when the read
            // began; only a handle (whose path must stay right) needs the
            // full re-check of `still_linked`.
            if !hold.0.is_unlinked() {
                return Ok(hold);
            }
        }
    }

    // ----- structure -----

    /// Creates the directory `path` and any missing parents. An existing
    /// directory is `AlreadyExists` unless `exist_ok`; an existing file always is.
    pub fn mkdir(&self, path: &str, exist_ok: bool) -> Result<()> {
        let path = parse(path)?;
        if exist_ok && self.is_dir_at(&path) {
            return Ok(());
        }
        self.apply(Mutation::Mkdir { path, exist_ok }).map(drop)
    }

    /// Removes a file. `ResourceBusy` if it is open.
    pub fn remove(&self, path: &str) -> Result<()> {
        let path = parse(path)?;
        self.apply(Mutation::Remove { path }).map(drop)
    }

    /// Removes a directory and everything below it. `ResourceBusy` (and
    /// nothing removed) if any file below is open.
    pub fn rmtree(&self, path: &str) -> Result<()> {
        let path = parse(path)?;
        self.apply(Mutation::RemoveTree { path }).map(drop)
    }

    /// Renames a file or directory; `dst`'s parent must exist and `dst` must not.
    pub fn rename(&self, src: &str, dst: &str) -> Result<()> {
        self.relink(src, dst, false)
    }

    /// Like [`MemoryFileSystem::rename`], creating `dst`'s missing parents.
    pub fn move_path(&self, src: &str, dst: &str) -> Result<()> {
        self.relink(src, dst, true)
    }

    fn relink(&self, src: &str, dst: &str, create_parents: bool) -> Result<()> {
        let src = parse(src)?;
        let dst = parse(dst)?;
        self.apply(Mutation::Rename {
            src,
            dst,
            create_parents,
        })
        .map(drop)
    }

    /// Copies a file; the copy is charged as a file written in one piece.
    pub fn copy(&self, src: &str, dst: &str) -> Result<()> {
        let src = parse(src)?;
        let dst = parse(dst)?;
        let source = self.read_locked(&src)?;
        if self.snapshot().get(&dst).is_some() {
            return Err(Error::AlreadyExists {
                path: dst.to_string(),
            });
        }
        let charge = self.reserve_for(source.0.storage.len())?;
        let content = source.0.content(dst.as_str())?;
        drop(source);
        let file = self.new_node(&dst, content, false, true)?;
        self.apply(Mutation::CreateFile {
            path: dst,
            file,
            charge,
            on_exists: OnExists::Fail,
        })
        .map(drop)
    }

    /// Copies a directory tree, all or nothing.
    pub fn copy_tree(&self, src: &str, dst: &str) -> Result<()> {
        let src = parse(src)?;
        let dst = parse(dst)?;
        loop {
            let plan = {
                let snapshot = self.snapshot();
                let plan = snapshot.subtree(&src)?;
                if snapshot.get(&dst).is_some() {
                    return Err(Error::AlreadyExists {
                        path: dst.to_string(),
                    });
                }
                plan
            };
            let core = self.core();
            let config = core.storage;
            // Reserved before anything is read or allocated; settled to the
            // exact figure once the copies are made.
            let estimate: u64 = plan
                .files
                .iter()
                .map(|f| FileStorage::charge_for(config, f.file.len()))
                .sum();
            let mut charge = core.ledger.reserve(estimate)?;
            core.nodes.check(plan.node_count())?;
            let Some(copies) = self.copy_files(&src, &dst, plan)? else {
                // A source was removed or replaced after the snapshot was
                // taken, and its data is gone: start over from a newer one.
                continue;
            };
            let total: u64 = copies.files.iter().map(|f| f.file.storage.charge()).sum();
            if total > charge.bytes() {
                charge.grow(total - charge.bytes())?;
            } else {
                charge.release_part(charge.bytes() - total);
            }
            return self
                .apply(Mutation::Graft {
                    dst,
                    subtree: copies,
                    charge,
                })
                .map(drop);
        }
    }

    /// New, unlinked and uncharged nodes holding copies of the files of
    /// `plan` (found below `src`; the copies go to `dst`), each source read
    /// under its read lock. `None` if a source was unlinked since the
    /// snapshot `plan` came from: its data is gone.
    fn copy_files(
        &self,
        src: &NormPath,
        dst: &NormPath,
        plan: Subtree<FileRef>,
    ) -> Result<Option<Subtree<FileRef>>> {
        /// Why copying stopped.
        enum Stop {
            Unlinked,
            Failed(Error),
        }
        let config = self.core().storage;
        let timeout = self.core().default_lock_timeout;
        let copied = plan.try_map_files(|source| {
            if source.lock.read(timeout).is_err() {
                return Err(Stop::Failed(would_block(src, timeout)));
            }
            let hold = ReadHold(source);
            if hold.0.is_unlinked() {
                return Err(Stop::Unlinked);
            }
            let content = hold.0.content(dst.as_str()).map_err(Stop::Failed)?;
            drop(hold);
            let storage = FileStorage::from_bytes(config, content)
                .map_err(|e| Stop::Failed(Error::from_storage(dst.as_str(), e)))?;
            Ok(FileNode::new(NewFile::with_storage(storage)))
        });
        match copied {
            Ok(copies) => Ok(Some(copies)),
            Err(Stop::Unlinked) => Ok(None),
            Err(Stop::Failed(e)) => Err(e),
        }
    }

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
        let config = self.core().storage;
        let mut files = Vec::with_capacity(entries.len());
        for (path, data) in entries {
            let storage = FileStorage::from_bytes(config, data)
                .map_err(|e| Error::from_storage(path.as_str(), e))?;
            files.push((path, FileNode::new(NewFile::with_storage(storage))));
        }
        match self.apply(Mutation::Import {
            files,
            dirs,
            on_file,
            prepaid,
        })? {
            Outcome::Imported(n) => Ok(n),
            _ => Ok(0),
        }
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
                    OnFileExists::Replace => old_charge += f.storage.charge(),
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

    // ----- reading the tree -----

    /// Names in the directory, sorted bytewise.
    pub fn listdir(&self, path: &str) -> Result<Vec<String>> {
        let path = parse(path)?;
        Ok(self.snapshot().list_dir(&path)?)
    }

    /// Whether anything is at `path` (false for invalid paths).
    pub fn exists(&self, path: &str) -> bool {
        NormPath::parse(path).is_ok_and(|p| self.snapshot().get(&p).is_some())
    }

    /// Whether a directory is at `path`.
    pub fn is_dir(&self, path: &str) -> bool {
        NormPath::parse(path).is_ok_and(|p| self.is_dir_at(&p))
    }

    fn is_dir_at(&self, path: &NormPath) -> bool {
        matches!(self.snapshot().get(path), Some(NodeRef::Dir { .. }))
    }

    /// Whether a file is at `path`.
    pub fn is_file(&self, path: &str) -> bool {
        NormPath::parse(path)
            .is_ok_and(|p| matches!(self.snapshot().get(&p), Some(NodeRef::File(_))))
    }

    /// Walks the tree below `path` top-down, yielding `(dir, dir names, file
    /// names)` with names sorted. It walks one snapshot: concurrent changes
    /// are not seen, and what it yields is consistent.
    pub fn walk(
        &self,
        path: &str,
    ) -> Result<impl Iterator<Item = (String, Vec<String>, Vec<String>)>> {
        let path = parse(path)?;
        Ok(dmemfs_core_tree::walk(
            self.inner.core.published.load_full(),
            &path,
        )?)
    }

    /// Paths matching `pattern` (`*`, `**`, `?`, `[seq]`), sorted, each once,
    /// from one snapshot.
    pub fn glob(&self, pattern: &str) -> Result<Vec<String>> {
        Ok(self.snapshot().glob(pattern)?)
    }

    /// Metadata of a file or directory.
    pub fn stat(&self, path: &str) -> Result<Metadata> {
        let path = parse(path)?;
        let snapshot = self.snapshot();
        Ok(match snapshot.lookup(&path)? {
            NodeRef::Dir { node, .. } => Metadata {
                size: 0,
                created_at: node.created_at(),
                modified_at: node.modified_at(),
                generation: 0,
                is_dir: true,
            },
            NodeRef::File(f) => Metadata {
                size: f.len(),
                created_at: f.created_at(),
                modified_at: f.modified_at(),
                generation: f.generation(),
                is_dir: false,
            },
        })
    }

    /// Filesystem-wide figures.
    pub fn stats(&self) -> FsStats {
        let core = self.core();
        let snapshot = self.snapshot();
        let used = core.ledger.used();
        let quota = core.ledger.limit();
        FsStats {
            used_bytes: used,
            quota_bytes: quota,
            free_bytes: quota.saturating_sub(used),
            file_count: snapshot.file_count(),
            dir_count: snapshot.dir_count(),
            chunk_count: core.ledger.chunk_count(),
            overhead_per_chunk_estimate: core.storage.chunk_overhead,
        }
    }

    /// A file's length.
    pub fn get_size(&self, path: &str) -> Result<u64> {
        let path = parse(path)?;
        Ok(lookup_file(&self.snapshot(), &path)?.len())
    }

    // ----- content -----

    /// A file's content, taken under its read lock; zero-copy when stored in
    /// one piece. `Some(max)` refuses (`InvalidInput`) a file longer than `max`.
    pub fn export_bytes(&self, path: &str, max_size: Option<u64>) -> Result<Bytes> {
        let path = parse(path)?;
        let hold = self.read_locked(&path)?;
        let size = hold.0.storage.len();
        if let Some(max) = max_size {
            if size > max {
                return Err(Error::invalid(
                    path.as_str(),
                    format!("file size {size} exceeds max_size {max}"),
                ));
            }
        }
        hold.0.content(path.as_str())
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
        let hold = self.read_locked(path)?;
        let content = hold.0.content(path.as_str())?;
        drop(hold);
        try_to_vec(path, content)
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
        loop {
            match lookup_file(&self.snapshot(), &path) {
                Ok(file) => {
                    let timeout = self.core().default_lock_timeout;
                    if file.lock.write(timeout).is_err() {
                        return Err(would_block(&path, timeout));
                    }
                    let handle = FileHandle::new(
                        Arc::clone(self.core()),
                        file,
                        path.to_string(),
                        OpenMode::Write,
                    );
                    if !self.still_linked(&path, handle.node()) {
                        continue;
                    }
                    return handle.replace_content(data);
                }
                Err(Error::NotFound { .. }) => {
                    let charge = self.reserve_for(data.len() as u64)?;
                    let content = copy_to_bytes(&path, data)?;
                    let written = !data.is_empty();
                    let file = self.new_node(&path, content, false, written)?;
                    match self.apply(Mutation::CreateFile {
                        path: path.clone(),
                        file,
                        charge,
                        on_exists: OnExists::Report,
                    })? {
                        Outcome::Done | Outcome::Imported(_) => return Ok(()),
                        Outcome::Exists => continue,
                    }
                }
                Err(e) => return Err(e),
            }
        }
    }
}

/// A read lock on a file, given back on drop.
struct ReadHold(FileRef);

impl Drop for ReadHold {
    fn drop(&mut self) {
        self.0.lock.unlock_read();
    }
}

fn parse(path: &str) -> Result<NormPath> {
    Ok(NormPath::parse(path)?)
}

/// The file at `path` in `tree`: `IsADirectory` for a directory.
fn lookup_file(tree: &Tree<FileRef>, path: &NormPath) -> Result<FileRef> {
    match tree.lookup(path)? {
        NodeRef::File(f) => Ok(Arc::clone(f)),
        NodeRef::Dir { .. } => Err(Error::IsADirectory {
            path: path.to_string(),
        }),
    }
}

pub(crate) fn would_block(path: &NormPath, timeout: Option<Duration>) -> Error {
    Error::WouldBlock {
        path: path.to_string(),
        timeout: timeout.unwrap_or(Duration::MAX),
    }
}

fn zeros(path: &NormPath, len: u64) -> Result<Bytes> {
    zeros_for(path.as_str(), len)
}

/// `len` zero bytes for the file at `path`, or `OutOfMemory` instead of an abort.
pub(crate) fn zeros_for(path: &str, len: u64) -> Result<Bytes> {
    let oom = || Error::OutOfMemory {
        path: path.to_string(),
        bytes: len,
    };
    let n = usize::try_from(len).map_err(|_| oom())?;
    let mut v: Vec<u8> = Vec::new();
    v.try_reserve_exact(n).map_err(|_| oom())?;
    v.resize(n, 0);
    Ok(Bytes::from(v))
}

/// `content` as a `Vec`: its own memory when nothing else holds it, else a
/// copy, or `OutOfMemory` instead of an abort.
fn try_to_vec(path: &NormPath, content: Bytes) -> Result<Vec<u8>> {
    let content = match content.try_into_mut() {
        Ok(unique) => return Ok(unique.into()),
        Err(shared) => shared,
    };
    let mut v: Vec<u8> = Vec::new();
    v.try_reserve_exact(content.len())
        .map_err(|_| Error::OutOfMemory {
            path: path.to_string(),
            bytes: content.len() as u64,
        })?;
    v.extend_from_slice(&content);
    Ok(v)
}

fn copy_to_bytes(path: &NormPath, data: &[u8]) -> Result<Bytes> {
    copy_to_bytes_for(path.as_str(), data)
}

/// `data` copied into a new `Bytes`, or `OutOfMemory` instead of an abort.
pub(crate) fn copy_to_bytes_for(path: &str, data: &[u8]) -> Result<Bytes> {
    let mut v: Vec<u8> = Vec::new();
    v.try_reserve_exact(data.len())
        .map_err(|_| Error::OutOfMemory {
            path: path.to_string(),
            bytes: data.len() as u64,
        })?;
    v.extend_from_slice(data);
    Ok(Bytes::from(v))
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn a_tree_copy_from_a_snapshot_naming_a_removed_file_starts_over() {
        for concurrency in [Concurrency::Actor, Concurrency::GlobalLock] {
            let fs = MemoryFileSystem::builder()
                .concurrency(concurrency)
                .build()
                .expect("filesystem");
            fs.mkdir("/d", false).expect("mkdir");
            fs.write("/d/a", b"kept").expect("write");
            fs.write("/d/b", b"removed").expect("write");
            let (src, dst) = (parse("/d").expect("path"), parse("/e").expect("path"));
            let plan = fs.snapshot().subtree(&src).expect("dir");
            fs.remove("/d/b").expect("remove");
            // The plan names /d/b, whose data is gone: no copy is made.
            assert!(fs.copy_files(&src, &dst, plan).expect("no error").is_none());
            fs.copy_tree("/d", "/e")
                .expect("copy from a newer snapshot");
            assert_eq!(fs.listdir("/e").expect("dir"), ["a"]);
            assert_eq!(fs.read("/e/a").expect("read"), b"kept");
        }
    }
}
