//! [`expand_archive`] (all or nothing) and [`expand_archive_streaming`]
//! (entry by entry).

use std::collections::{HashMap, HashSet};
use std::io::{self, Read, Seek};

use bytes::Bytes;
use dmemfs_core_tree::{NodeRef, NormPath};
use dmemfs_storage_backends::FileStorage;

use super::{
    invalid_archive, target, ArchiveEntry, ArchiveOptions, OnConflict, ReadSeek, Target, Trap,
};
use crate::engine::OnFileExists;
use crate::{Error, FileHandle, MemoryFileSystem, OpenMode, Result};

/// The piece size of streaming expansion (one stored chunk each).
const CHUNK: usize = 64 * 1024;

/// Expands the archive read from `reader` below `dest`, all or nothing:
/// on any error the filesystem is left as it was. Returns how many files
/// were written (files skipped by [`OnConflict::Skip`] are not counted).
///
/// The format is detected from the first bytes unless the options set one.
/// `dest` and the directories of the archive are created; an entry that
/// appears twice is written once, with its last content.
///
/// Entries are read into memory, then written in one step through the same
/// path as [`MemoryFileSystem::import_tree`]. Reading is bounded by the
/// quota: as soon as the entries read so far (with their quota overhead)
/// would not fit in the free quota (plus what the files they replace are
/// charged), reading stops with [`Error::QuotaExceeded`], so a zip bomb
/// never makes it allocate more than the quota has free.
///
/// # Errors
/// [`Error::UnsafeArchiveEntry`] for an absolute name, a `..` escaping
/// `dest`, a link, a device or another special entry;
/// [`Error::InvalidArchive`] for an unrecognized, corrupt or truncated
/// archive or an entry whose data differs from its declared size;
/// [`Error::AlreadyExists`] for a file that exists with
/// [`OnConflict::Error`]; [`Error::QuotaExceeded`],
/// [`Error::NodeLimitExceeded`], [`Error::MemoryGuard`]; [`Error::Io`] if
/// `reader` fails; [`Error::NotADirectory`] if `dest` is a file.
pub fn expand_archive<R: Read + Seek>(
    fs: &MemoryFileSystem,
    mut reader: R,
    dest: &str,
    options: ArchiveOptions,
) -> Result<u64> {
    let dest = NormPath::parse(dest)?;
    check_dest(fs, &dest)?;
    let source: &mut dyn ReadSeek = &mut reader;
    let adapter = options.choose(source)?;
    let format = adapter.name().to_owned();
    let mut plan = Plan::new(fs, options.on_conflict);
    let mut trap = Trap::new(source);
    adapter
        .read_entries(&mut trap, &mut |entry| plan.add(&dest, &format, entry))
        .map_err(|e| trap.explain(e))?;
    plan.import(dest)
}

/// Expands the archive read from `reader` below `dest`, writing each file
/// through a handle as its entry is read, holding one 64 KiB piece at a time.
/// Returns how many files were written.
///
/// Directories are created as they are met. A file entry that would not fit
/// (its declared size against the free quota) is refused before its file is
/// touched; one whose data fails part-way (quota, memory guard, corrupt data)
/// is removed, so no partial file is left — with [`OnConflict::Overwrite`] the
/// file it was replacing is then gone too. An entry that appears twice is
/// written twice, the last one staying.
///
/// # Errors
/// An [`ExpandError`]: the error (as for [`expand_archive`]) together with
/// the files written before it, which stay.
pub fn expand_archive_streaming<R: Read + Seek>(
    fs: &MemoryFileSystem,
    mut reader: R,
    dest: &str,
    options: ArchiveOptions,
) -> std::result::Result<u64, ExpandError> {
    let mut written = Written::default();
    match stream(fs, &mut reader, dest, &options, &mut written) {
        Ok(()) => Ok(written.paths.len() as u64),
        Err(error) => Err(ExpandError {
            written: written.paths.len() as u64,
            written_paths: written.paths,
            error,
        }),
    }
}

/// What [`expand_archive_streaming`] returns on failure: the error, and the
/// files written before it (complete; they stay in the filesystem).
///
/// `?` converts it into [`Error`] (dropping the count) or
/// [`std::io::Error`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{error} (archive expansion stopped after writing {written} files)")]
pub struct ExpandError {
    /// Files written before the error.
    pub written: u64,
    /// Their paths, in the order they were written.
    pub written_paths: Vec<String>,
    /// Why expansion stopped.
    pub error: Error,
}

impl ExpandError {
    /// The error's [`std::io::ErrorKind`].
    pub fn kind(&self) -> io::ErrorKind {
        self.error.kind()
    }
}

impl From<ExpandError> for Error {
    fn from(e: ExpandError) -> Self {
        e.error
    }
}

impl From<ExpandError> for io::Error {
    fn from(e: ExpandError) -> Self {
        io::Error::new(e.kind(), e)
    }
}

/// `dest` must be a directory or not exist yet.
fn check_dest(fs: &MemoryFileSystem, dest: &NormPath) -> Result<()> {
    match fs.snapshot().lookup(dest) {
        Ok(NodeRef::File(_)) => Err(Error::NotADirectory {
            path: dest.to_string(),
        }),
        Ok(NodeRef::Dir { .. }) => Ok(()),
        Err(dmemfs_core_tree::TreeError::NotFound { .. }) => Ok(()),
        Err(e) => Err(e.into()),
    }
}

/// The quota charge of the file at `path`, if a file is there;
/// `IsADirectory` if a directory is.
fn existing_charge(fs: &MemoryFileSystem, path: &NormPath) -> Result<Option<u64>> {
    match fs.snapshot().lookup(path) {
        Ok(NodeRef::File(f)) => Ok(Some(f.storage().charge())),
        Ok(NodeRef::Dir { .. }) => Err(Error::IsADirectory {
            path: path.to_string(),
        }),
        Err(_) => Ok(None),
    }
}

fn conflict_policy(c: OnConflict) -> OnFileExists {
    match c {
        OnConflict::Error => OnFileExists::Fail,
        OnConflict::Skip => OnFileExists::Keep,
        OnConflict::Overwrite => OnFileExists::Replace,
    }
}

fn size_mismatch(format: &str, name: &str, read: u64, declared: u64) -> Error {
    invalid_archive(
        format,
        format!("entry {name:?} holds {read} bytes but declares {declared}"),
    )
}

fn too_long(format: &str, name: &str, declared: u64) -> Error {
    invalid_archive(
        format,
        format!("entry {name:?} holds more than the {declared} bytes it declares"),
    )
}

/// The files and directories an atomic expansion will import.
struct Plan<'a> {
    fs: &'a MemoryFileSystem,
    on_conflict: OnConflict,
    /// Free quota at the start plus the charge of the files to be replaced.
    budget: u64,
    /// What the planned files will be charged.
    charge: u64,
    files: Vec<(NormPath, Bytes)>,
    index: HashMap<NormPath, usize>,
    replaced: HashSet<NormPath>,
    dirs: Vec<NormPath>,
    dir_set: HashSet<NormPath>,
}

impl<'a> Plan<'a> {
    fn new(fs: &'a MemoryFileSystem, on_conflict: OnConflict) -> Self {
        Plan {
            fs,
            on_conflict,
            budget: fs.core().ledger.available(),
            charge: 0,
            files: Vec::new(),
            index: HashMap::new(),
            replaced: HashSet::new(),
            dirs: Vec::new(),
            dir_set: HashSet::new(),
        }
    }

    fn charge_for(&self, len: u64) -> u64 {
        FileStorage::charge_for(self.fs.core().storage, len)
    }

    fn add(&mut self, dest: &NormPath, format: &str, entry: ArchiveEntry<'_>) -> Result<()> {
        let ArchiveEntry {
            name,
            kind,
            size,
            reader,
        } = entry;
        let path = match target(dest, &name, &kind)? {
            Target::Nothing => return Ok(()),
            Target::Dir(path) => {
                if self.dir_set.insert(path.clone()) {
                    self.dirs.push(path);
                }
                return Ok(());
            }
            Target::File(path) => path,
        };
        let previous = self.index.get(&path).copied();
        if previous.is_none() {
            if let Some(old) = existing_charge(self.fs, &path)? {
                match self.on_conflict {
                    OnConflict::Error => {
                        return Err(Error::AlreadyExists {
                            path: path.to_string(),
                        })
                    }
                    OnConflict::Skip => return Ok(()),
                    OnConflict::Overwrite => {
                        if self.replaced.insert(path.clone()) {
                            self.budget = self.budget.saturating_add(old);
                        }
                    }
                }
            }
        }
        // What the other planned files are charged, and the room left.
        let others =
            self.charge - previous.map_or(0, |i| self.charge_for(self.files[i].1.len() as u64));
        let room = self.budget.saturating_sub(others);
        let overhead = self.charge_for(1) - 1;
        let max_len = room.saturating_sub(overhead);
        let over = |len: u64| Error::QuotaExceeded {
            requested: others.saturating_add(self.charge_for(len)),
            available: self.budget,
        };
        if let Some(declared) = size {
            if declared > max_len {
                return Err(over(declared));
            }
        }
        // A declared size bounds the read too: more data than that is a
        // lie, found after reading one byte past it.
        let bound = size.map_or(max_len, |declared| declared.min(max_len));
        let data = match read_bounded(reader, bound, size, format, &path)? {
            Bounded::Data(data) => data,
            Bounded::Over(_) if size.is_some() => {
                return Err(too_long(format, &name, bound));
            }
            Bounded::Over(n) => return Err(over(n)),
        };
        let len = data.len() as u64;
        if let Some(declared) = size {
            if len != declared {
                return Err(size_mismatch(format, &name, len, declared));
            }
        }
        self.charge = others + self.charge_for(len);
        let data = Bytes::from(data);
        match previous {
            Some(i) => self.files[i].1 = data,
            None => {
                self.index.insert(path.clone(), self.files.len());
                self.files.push((path, data));
            }
        }
        Ok(())
    }

    fn import(mut self, dest: NormPath) -> Result<u64> {
        if !dest.is_root() {
            self.dirs.insert(0, dest);
        }
        self.fs
            .import_batch(self.files, self.dirs, conflict_policy(self.on_conflict))
    }
}

enum Bounded {
    Data(Vec<u8>),
    /// More than the limit: at least this many bytes.
    Over(u64),
}

/// Reads `reader` to its end, unless it holds more than `max` bytes. Never
/// holds more than `max + 1` bytes of capacity, and returns the data in a
/// buffer of its own size.
fn read_bounded(
    reader: &mut dyn Read,
    max: u64,
    declared: Option<u64>,
    format: &str,
    path: &NormPath,
) -> Result<Bounded> {
    let limit = max.saturating_add(1);
    let cap_limit = usize::try_from(limit).unwrap_or(usize::MAX);
    let oom = |bytes: usize| Error::OutOfMemory {
        path: path.to_string(),
        bytes: bytes as u64,
    };
    let mut data: Vec<u8> = Vec::new();
    if let Some(declared) = declared {
        let want = usize::try_from(declared)
            .unwrap_or(usize::MAX)
            .min(cap_limit);
        data.try_reserve_exact(want).map_err(|_| oom(want))?;
    }
    let mut taken = reader.take(limit);
    let mut piece = vec![0u8; CHUNK.min(cap_limit)];
    loop {
        let n = match taken.read(&mut piece) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(invalid_archive(format, e)),
        };
        if data.capacity() - data.len() < n {
            let need = data.len() + n;
            let grown = data.capacity().saturating_mul(2).max(need).min(cap_limit);
            data.try_reserve_exact(grown - data.len())
                .map_err(|_| oom(grown))?;
        }
        data.extend_from_slice(&piece[..n]);
    }
    if data.len() as u64 > max {
        return Ok(Bounded::Over(data.len() as u64));
    }
    if data.capacity() > data.len() {
        // Grown without a declared size: the buffer becomes the stored
        // file, which must not keep memory the quota does not charge.
        let mut fitted: Vec<u8> = Vec::new();
        fitted
            .try_reserve_exact(data.len())
            .map_err(|_| oom(data.len()))?;
        fitted.extend_from_slice(&data);
        data = fitted;
    }
    Ok(Bounded::Data(data))
}

/// The files a streaming expansion has written.
#[derive(Default)]
struct Written {
    paths: Vec<String>,
    set: HashSet<NormPath>,
}

impl Written {
    fn add(&mut self, path: &NormPath) {
        if self.set.insert(path.clone()) {
            self.paths.push(path.to_string());
        }
    }

    fn forget(&mut self, path: &NormPath) {
        if self.set.remove(path) {
            self.paths.retain(|p| p != path.as_str());
        }
    }
}

fn stream(
    fs: &MemoryFileSystem,
    reader: &mut dyn ReadSeek,
    dest: &str,
    options: &ArchiveOptions,
    written: &mut Written,
) -> Result<()> {
    let dest = NormPath::parse(dest)?;
    check_dest(fs, &dest)?;
    let adapter = options.choose(reader)?;
    let format = adapter.name().to_owned();
    if !dest.is_root() {
        fs.mkdir(dest.as_str(), true)?;
    }
    let mut trap = Trap::new(reader);
    adapter
        .read_entries(&mut trap, &mut |entry| {
            stream_entry(fs, &dest, &format, options.on_conflict, entry, written)
        })
        .map_err(|e| trap.explain(e))
}

fn stream_entry(
    fs: &MemoryFileSystem,
    dest: &NormPath,
    format: &str,
    on_conflict: OnConflict,
    entry: ArchiveEntry<'_>,
    written: &mut Written,
) -> Result<()> {
    let ArchiveEntry {
        name,
        kind,
        size,
        reader,
    } = entry;
    let path = match target(dest, &name, &kind)? {
        Target::Nothing => return Ok(()),
        Target::Dir(path) => return fs.mkdir(path.as_str(), true),
        Target::File(path) => path,
    };
    let old = existing_charge(fs, &path)?;
    if old.is_some() && !written.set.contains(&path) {
        match on_conflict {
            OnConflict::Error => {
                return Err(Error::AlreadyExists {
                    path: path.to_string(),
                })
            }
            OnConflict::Skip => return Ok(()),
            OnConflict::Overwrite => {}
        }
    }
    if let Some(declared) = size {
        // Refuse what cannot fit before the file is touched.
        let config = fs.core().storage;
        let overhead = FileStorage::charge_for(config, 1) - 1;
        let pieces = declared.div_ceil(CHUNK as u64);
        let need = declared.saturating_add(overhead.saturating_mul(pieces));
        let room = fs
            .core()
            .ledger
            .available()
            .saturating_add(old.unwrap_or(0));
        if need > room {
            return Err(Error::QuotaExceeded {
                requested: need,
                available: room,
            });
        }
    }
    if let Some(parent) = path.parent() {
        fs.mkdir(parent.as_str(), true)?;
    }
    let mode = if old.is_some() {
        OpenMode::Write
    } else {
        OpenMode::CreateNew
    };
    let mut handle = match fs.open(path.as_str(), mode) {
        Err(Error::AlreadyExists { .. }) if on_conflict == OnConflict::Skip => return Ok(()),
        other => other?,
    };
    let result = copy_entry(reader, &mut handle, format, &name, size).and_then(|()| handle.close());
    if let Err(e) = result {
        // No partial file stays.
        let _ = fs.remove(path.as_str());
        written.forget(&path);
        return Err(e);
    }
    written.add(&path);
    Ok(())
}

/// Copies an entry's data into `handle` in [`CHUNK`] pieces, checking it
/// against the declared size.
fn copy_entry(
    reader: &mut dyn Read,
    handle: &mut FileHandle,
    format: &str,
    name: &str,
    declared: Option<u64>,
) -> Result<()> {
    let mut piece = vec![0u8; CHUNK];
    let mut total = 0u64;
    loop {
        let mut filled = 0;
        while filled < CHUNK {
            match reader.read(&mut piece[filled..]) {
                Ok(0) => break,
                Ok(n) => filled += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(invalid_archive(format, e)),
            }
        }
        if filled == 0 {
            break;
        }
        total += filled as u64;
        if let Some(declared) = declared {
            if total > declared {
                return Err(too_long(format, name, declared));
            }
        }
        handle.write_slice(&piece[..filled])?;
        if filled < CHUNK {
            break;
        }
    }
    match declared {
        Some(declared) if declared != total => Err(size_mismatch(format, name, total, declared)),
        _ => Ok(()),
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn data_of_undeclared_size_keeps_no_spare_capacity() {
        let path = NormPath::parse("/f").expect("path");
        let source = vec![1u8; 100_000];
        let mut reader: &[u8] = &source;
        match read_bounded(&mut reader, 1 << 20, None, "test", &path).expect("read") {
            Bounded::Data(data) => {
                assert_eq!(data.len(), 100_000);
                assert_eq!(data.capacity(), 100_000, "what the quota charges");
            }
            Bounded::Over(n) => panic!("{n} bytes are within the bound"),
        }
    }
}
