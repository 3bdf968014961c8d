//! Archives: expanding tar, tar.gz and zip archives into a filesystem, and
//! exporting a subtree as one (D-MemFS's `expand_archive`,
//! `expand_archive_streaming` and `ArchiveAdapter`).
//!
//! ```
//! use std::io::Cursor;
//! use dmemfs::archive::{expand_archive, export_archive, ArchiveFormat, ArchiveOptions};
//! use dmemfs::MemoryFileSystem;
//!
//! let src = MemoryFileSystem::new();
//! src.mkdir("/site/css", false)?;
//! src.write("/site/index.html", "<h1>hi</h1>")?;
//! src.write("/site/css/main.css", "h1 { color: red }")?;
//! let mut zip = Cursor::new(Vec::new());
//! export_archive(&src, "/site", &mut zip, ArchiveFormat::Zip)?;
//!
//! let fs = MemoryFileSystem::builder().max_quota(1 << 20).build()?;
//! zip.set_position(0);
//! let files = expand_archive(&fs, zip, "/www", ArchiveOptions::new())?;
//! assert_eq!(files, 2);
//! assert_eq!(fs.read_to_string("/www/css/main.css")?, "h1 { color: red }");
//! # Ok::<(), dmemfs::Error>(())
//! ```
//!
//! # Safety of expansion
//! Every entry's name is checked before anything is read: absolute names,
//! names whose `..` climbs above the destination, symbolic and hard links,
//! devices, FIFOs and sparse files are refused with
//! [`Error::UnsafeArchiveEntry`]. Content is read in bounded steps: the
//! atomic [`expand_archive`] never holds more than the quota has free, the
//! streaming [`expand_archive_streaming`] holds one 64 KiB piece at a time,
//! so a zip bomb meets the quota, not the allocator. A declared size that
//! differs from the data, a corrupt or truncated stream, an encrypted or
//! unsupported entry is [`Error::InvalidArchive`].

mod expand;
mod tar_format;
mod write;
mod zip_format;

use std::fmt;
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::sync::Arc;
use std::time::SystemTime;

use bytes::Bytes;
use dmemfs_core_tree::NormPath;

use crate::{Error, Result};

pub use crate::error::UnsafeEntry;
pub use expand::{expand_archive, expand_archive_streaming, ExpandError};
pub use tar_format::{TarAdapter, TarGzAdapter};
pub use write::{export_archive, export_archive_with};
pub use zip_format::ZipAdapter;

/// A source an archive can be read from: `Read + Seek` (zip's directory is
/// at its end). `File`, `Cursor<Vec<u8>>` and `Cursor<&[u8]>` are sources.
pub trait ReadSeek: Read + Seek {}

impl<T: Read + Seek + ?Sized> ReadSeek for T {}

/// What an archive entry is.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum EntryKind {
    /// A regular file.
    File,
    /// A directory.
    Directory,
    /// A symbolic link (always refused).
    Symlink {
        /// What it points at.
        target: String,
    },
    /// A hard link (always refused).
    HardLink {
        /// What it points at.
        target: String,
    },
    /// Anything else: a device, FIFO, sparse file... (always refused).
    Other {
        /// What it is, for the error message.
        description: String,
    },
}

/// One entry as an [`ArchiveAdapter`] hands it over.
pub struct ArchiveEntry<'a> {
    /// The name as the archive stores it, not yet checked (`/` or `\`
    /// separated).
    pub name: String,
    /// What the entry is.
    pub kind: EntryKind,
    /// The content's size as the archive declares it, if it does. Expansion
    /// refuses an entry whose data turns out to be of another size.
    pub size: Option<u64>,
    /// The content (read nothing from it for anything but a file).
    pub reader: &'a mut dyn Read,
}

impl fmt::Debug for ArchiveEntry<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ArchiveEntry")
            .field("name", &self.name)
            .field("kind", &self.kind)
            .field("size", &self.size)
            .finish_non_exhaustive()
    }
}

/// One node written by [`export_archive`], paths relative to the exported
/// prefix, `/`-separated, with no leading `/`.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum ExportItem {
    /// A directory (every directory below the prefix, empty ones included,
    /// comes before the files).
    Directory {
        /// Its path.
        path: String,
        /// Its modification time.
        modified: SystemTime,
    },
    /// A file.
    File {
        /// Its path.
        path: String,
        /// Its content.
        data: Bytes,
        /// Its modification time.
        modified: SystemTime,
    },
}

/// An archive format: how to recognize it, read it and (optionally) write
/// it. [`TarAdapter`], [`TarGzAdapter`] and [`ZipAdapter`] are the built-in
/// ones; implement it for other formats and pass it with
/// [`ArchiveOptions::adapter`] or [`ArchiveOptions::register`].
///
/// The adapter only decodes: it hands every entry, names unchecked, to
/// `visit`, and the expansion functions do every safety check, so an adapter
/// cannot make expansion unsafe.
pub trait ArchiveAdapter: Send + Sync + fmt::Debug {
    /// A short name for messages (`"tar"`, `"zip"`).
    fn name(&self) -> &str;

    /// Whether `head`, the first bytes of a source (up to 512, fewer if the
    /// source is shorter), starts an archive of this format.
    fn detect(&self, head: &[u8]) -> bool;

    /// Reads `source` from its current position and hands each entry to
    /// `visit`, in archive order. An error from `visit` must be returned
    /// as it is (expansion stops there); a decoding failure is best
    /// reported as [`Error::InvalidArchive`].
    fn read_entries(
        &self,
        source: &mut dyn ReadSeek,
        visit: &mut dyn FnMut(ArchiveEntry<'_>) -> Result<()>,
    ) -> Result<()>;

    /// Writes `items` as an archive to `sink`. By default the adapter
    /// cannot write: [`Error::Unsupported`].
    fn write_archive(
        &self,
        sink: &mut dyn Write,
        items: &mut dyn Iterator<Item = ExportItem>,
    ) -> Result<()> {
        let _ = (sink, items);
        Err(Error::unsupported(
            String::new(),
            format!("the {} archive adapter cannot write archives", self.name()),
        ))
    }
}

/// The built-in archive formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ArchiveFormat {
    /// POSIX/GNU tar, uncompressed ([`TarAdapter`]).
    Tar,
    /// tar compressed with gzip ([`TarGzAdapter`]).
    TarGz,
    /// zip, stored or deflated entries ([`ZipAdapter`]).
    Zip,
}

impl ArchiveFormat {
    /// The adapter that reads and writes this format.
    pub fn adapter(self) -> Arc<dyn ArchiveAdapter> {
        match self {
            ArchiveFormat::Tar => Arc::new(TarAdapter),
            ArchiveFormat::TarGz => Arc::new(TarGzAdapter),
            ArchiveFormat::Zip => Arc::new(ZipAdapter),
        }
    }

    /// The built-in format `head` (the first bytes of a source) starts, by
    /// magic bytes: zip's `PK\3\4`, gzip's `1f 8b`, tar's `ustar` at offset
    /// 257 or a valid header checksum.
    pub fn detect(head: &[u8]) -> Option<ArchiveFormat> {
        [ArchiveFormat::Zip, ArchiveFormat::TarGz, ArchiveFormat::Tar]
            .into_iter()
            .find(|f| f.adapter().detect(head))
    }
}

/// What expansion does with a file that already exists at an entry's path.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OnConflict {
    /// Fail with `AlreadyExists` (the default). [`expand_archive`] then
    /// writes nothing at all.
    #[default]
    Error,
    /// Keep the existing file and leave the entry out.
    Skip,
    /// Replace the existing file.
    Overwrite,
}

/// Settings of [`expand_archive`] and [`expand_archive_streaming`].
#[derive(Debug, Clone, Default)]
pub struct ArchiveOptions {
    on_conflict: OnConflict,
    adapter: Option<Arc<dyn ArchiveAdapter>>,
    extra: Vec<Arc<dyn ArchiveAdapter>>,
}

impl ArchiveOptions {
    /// Defaults: [`OnConflict::Error`], format detected from the data.
    pub fn new() -> Self {
        Self::default()
    }

    /// What to do with files that exist already.
    pub fn on_conflict(mut self, on_conflict: OnConflict) -> Self {
        self.on_conflict = on_conflict;
        self
    }

    /// Read the source as `format`, without detection.
    pub fn format(self, format: ArchiveFormat) -> Self {
        self.adapter(format.adapter())
    }

    /// Read the source with `adapter`, without detection.
    pub fn adapter(mut self, adapter: Arc<dyn ArchiveAdapter>) -> Self {
        self.adapter = Some(adapter);
        self
    }

    /// Adds `adapter` to the ones format detection tries (before the
    /// built-in ones), for sources whose format is not set.
    pub fn register(mut self, adapter: Arc<dyn ArchiveAdapter>) -> Self {
        self.extra.push(adapter);
        self
    }

    /// The configured conflict policy.
    pub fn conflict_policy(&self) -> OnConflict {
        self.on_conflict
    }

    /// The adapter to read `source` with: the one set, or the first whose
    /// `detect` accepts the source's first bytes. Leaves `source` where it
    /// was.
    fn choose(&self, source: &mut dyn ReadSeek) -> Result<Arc<dyn ArchiveAdapter>> {
        if let Some(adapter) = &self.adapter {
            return Ok(Arc::clone(adapter));
        }
        let head = peek(source).map_err(Error::io)?;
        let builtin = [ArchiveFormat::Zip, ArchiveFormat::TarGz, ArchiveFormat::Tar]
            .into_iter()
            .map(ArchiveFormat::adapter);
        self.extra
            .iter()
            .cloned()
            .chain(builtin)
            .find(|a| a.detect(&head))
            .ok_or_else(|| Error::InvalidArchive {
                format: "unknown".into(),
                reason: "the data is not a tar, tar.gz or zip archive (nor one a registered adapter detects)"
                    .into(),
            })
    }
}

/// Up to 512 bytes from `source`'s position; the position is restored.
fn peek(source: &mut dyn ReadSeek) -> io::Result<Vec<u8>> {
    let start = source.stream_position()?;
    let mut head = Vec::with_capacity(512);
    source.take(512).read_to_end(&mut head)?;
    source.seek(SeekFrom::Start(start))?;
    Ok(head)
}

/// Where an entry goes.
enum Target {
    /// Nothing to do (a directory entry naming the destination itself).
    Nothing,
    Dir(NormPath),
    File(NormPath),
}

fn refuse(name: &str, reason: UnsafeEntry) -> Error {
    Error::UnsafeArchiveEntry {
        entry: name.to_owned(),
        reason,
    }
}

/// Checks an entry and resolves it below `dest`.
fn target(dest: &NormPath, name: &str, kind: &EntryKind) -> Result<Target> {
    let is_dir = match kind {
        EntryKind::File => false,
        EntryKind::Directory => true,
        EntryKind::Symlink { target } => {
            return Err(refuse(
                name,
                UnsafeEntry::Symlink {
                    target: target.clone(),
                },
            ))
        }
        EntryKind::HardLink { target } => {
            return Err(refuse(
                name,
                UnsafeEntry::HardLink {
                    target: target.clone(),
                },
            ))
        }
        EntryKind::Other { description } => {
            return Err(refuse(
                name,
                UnsafeEntry::Special {
                    description: description.clone(),
                },
            ))
        }
    };
    let components = relative_components(name)?;
    if components.is_empty() {
        return if is_dir {
            Ok(Target::Nothing)
        } else {
            Err(refuse(
                name,
                UnsafeEntry::InvalidName {
                    reason: "a file entry names the destination itself".into(),
                },
            ))
        };
    }
    let path = components.iter().fold(dest.clone(), |p, c| p.join(c));
    Ok(if is_dir {
        Target::Dir(path)
    } else {
        Target::File(path)
    })
}

/// The components of an entry name relative to the destination, `.` and
/// `..` resolved; refuses absolute names and names that climb out.
fn relative_components(name: &str) -> Result<Vec<&str>> {
    let invalid = |reason: &str| {
        refuse(
            name,
            UnsafeEntry::InvalidName {
                reason: reason.into(),
            },
        )
    };
    if name.is_empty() {
        return Err(invalid("empty name"));
    }
    if name.contains('\0') {
        return Err(invalid("NUL byte in the name"));
    }
    let bytes = name.as_bytes();
    let drive = bytes.len() >= 2
        && bytes[0].is_ascii_alphabetic()
        && bytes[1] == b':'
        && bytes.get(2).is_none_or(|b| *b == b'/' || *b == b'\\');
    if bytes[0] == b'/' || bytes[0] == b'\\' || drive {
        return Err(refuse(name, UnsafeEntry::AbsolutePath));
    }
    let mut out: Vec<&str> = Vec::new();
    for component in name.split(['/', '\\']) {
        match component {
            "" | "." => {}
            ".." => {
                if out.pop().is_none() {
                    return Err(refuse(name, UnsafeEntry::EscapesDestination));
                }
            }
            c => out.push(c),
        }
    }
    Ok(out)
}

/// A source wrapper remembering the first error the source itself
/// returned, so decoding failures caused by it are reported as
/// [`Error::Io`] rather than as a bad archive.
struct Trap<'a> {
    inner: &'a mut dyn ReadSeek,
    error: Option<Error>,
}

impl<'a> Trap<'a> {
    fn new(inner: &'a mut dyn ReadSeek) -> Self {
        Trap { inner, error: None }
    }

    fn note<T>(&mut self, r: io::Result<T>) -> io::Result<T> {
        match r {
            Err(e) if self.error.is_none() && e.kind() != io::ErrorKind::Interrupted => {
                // The decoder gets a copy saying the same; the original,
                // with whatever it wraps, becomes the source of the
                // `Error::Io` reported.
                let copy = io::Error::new(e.kind(), e.to_string());
                self.error = Some(Error::io(e));
                Err(copy)
            }
            r => r,
        }
    }

    /// `err`, or the source's own failure if `err` is a decoding failure
    /// that followed one.
    fn explain(&mut self, err: Error) -> Error {
        match (err, self.error.take()) {
            (Error::InvalidArchive { .. }, Some(io)) => io,
            (err, _) => err,
        }
    }
}

impl Read for Trap<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let r = self.inner.read(buf);
        self.note(r)
    }
}

impl Seek for Trap<'_> {
    fn seek(&mut self, pos: SeekFrom) -> io::Result<u64> {
        let r = self.inner.seek(pos);
        self.note(r)
    }
}

/// [`Error::InvalidArchive`] for `format`.
pub(crate) fn invalid_archive(format: &str, reason: impl fmt::Display) -> Error {
    Error::InvalidArchive {
        format: format.to_owned(),
        reason: reason.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rel(name: &str) -> Result<Vec<&str>> {
        relative_components(name)
    }

    #[test]
    fn names_are_resolved_below_the_destination() {
        assert_eq!(rel("a/b.txt").expect("ok"), ["a", "b.txt"]);
        assert_eq!(rel("./a//b/").expect("ok"), ["a", "b"]);
        assert_eq!(rel("a/../b").expect("ok"), ["b"]);
        assert_eq!(rel("a\\b").expect("ok"), ["a", "b"]);
        assert_eq!(rel("c:d").expect("not a drive"), ["c:d"]);
        assert!(rel(".").expect("ok").is_empty());
    }

    #[test]
    fn escapes_are_refused() {
        let reason = |name: &str| match rel(name) {
            Err(Error::UnsafeArchiveEntry { reason, .. }) => reason,
            other => panic!("{name}: {other:?}"),
        };
        assert_eq!(reason("/etc/passwd"), UnsafeEntry::AbsolutePath);
        assert_eq!(reason("\\evil"), UnsafeEntry::AbsolutePath);
        assert_eq!(reason("C:/x"), UnsafeEntry::AbsolutePath);
        assert_eq!(reason("C:"), UnsafeEntry::AbsolutePath);
        assert_eq!(reason("../x"), UnsafeEntry::EscapesDestination);
        assert_eq!(reason("a/../../x"), UnsafeEntry::EscapesDestination);
        assert_eq!(reason("a\\..\\..\\x"), UnsafeEntry::EscapesDestination);
        assert!(matches!(reason(""), UnsafeEntry::InvalidName { .. }));
        assert!(matches!(reason("a\0b"), UnsafeEntry::InvalidName { .. }));
    }

    #[test]
    fn detection_by_magic_bytes() {
        assert_eq!(
            ArchiveFormat::detect(b"PK\x03\x04rest"),
            Some(ArchiveFormat::Zip)
        );
        assert_eq!(
            ArchiveFormat::detect(b"PK\x05\x06"),
            Some(ArchiveFormat::Zip)
        );
        assert_eq!(
            ArchiveFormat::detect(&[0x1f, 0x8b, 8, 0]),
            Some(ArchiveFormat::TarGz)
        );
        assert_eq!(ArchiveFormat::detect(b"hello"), None);
        assert_eq!(ArchiveFormat::detect(&[0u8; 512]), Some(ArchiveFormat::Tar));
        assert_eq!(ArchiveFormat::detect(&[1u8; 512]), None);
    }
}
