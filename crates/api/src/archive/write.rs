//! [`export_archive`]: a subtree written as an archive.

use std::io::Write;
use std::time::SystemTime;

use dmemfs_core_tree::NormPath;

use super::{ArchiveAdapter, ArchiveFormat, ExportItem};
use crate::{Error, MemoryFileSystem, Result};

/// Writes every file and directory at or below `prefix` to `writer` as a
/// `format` archive, with paths relative to `prefix` (a file `prefix` is
/// written under its own name). Returns how many files it wrote.
///
/// The inverse of [`expand_archive`](super::expand_archive): expanding the
/// result into an empty directory gives the same tree, empty directories
/// included. Directories come first, then the files, sorted; each file is
/// read under its read lock when reached, as
/// [`MemoryFileSystem::iter_export_tree`] does, so files removed meanwhile
/// are left out. `writer` needs no `Seek` (zip is written streaming).
///
/// # Errors
/// `NotFound` if `prefix` does not exist; `WouldBlock` if a file's lock is
/// not had within the default timeout; [`Error::Io`](crate::Error::Io) if
/// `writer` fails. On error `writer` holds an incomplete archive.
pub fn export_archive<W: Write>(
    fs: &MemoryFileSystem,
    prefix: &str,
    writer: W,
    format: ArchiveFormat,
) -> Result<u64> {
    export_archive_with(fs, prefix, writer, &*format.adapter())
}

/// [`export_archive`] with any adapter that can write.
pub fn export_archive_with<W: Write>(
    fs: &MemoryFileSystem,
    prefix: &str,
    mut writer: W,
    adapter: &dyn ArchiveAdapter,
) -> Result<u64> {
    let prefix = NormPath::parse(prefix)?;
    let top = fs.stat(prefix.as_str())?;
    let relative = |full: &str| -> String {
        if !top.is_dir {
            prefix.file_name().unwrap_or_default().to_owned()
        } else if prefix.is_root() {
            full[1..].to_owned()
        } else {
            full.get(prefix.as_str().len() + 1..)
                .unwrap_or_default()
                .to_owned()
        }
    };
    let modified = |path: &str| {
        fs.stat(path)
            .map_or_else(|_| SystemTime::now(), |m| m.modified_at)
    };
    let mut dirs = Vec::new();
    if top.is_dir {
        for (dir, _, _) in fs.walk(prefix.as_str())? {
            if dir != prefix.as_str() {
                dirs.push(ExportItem::Directory {
                    path: relative(&dir),
                    modified: modified(&dir),
                });
            }
        }
    }
    let mut files = fs.iter_export_tree(prefix.as_str(), false)?;
    let mut count = 0u64;
    let written = {
        let mut file_items = files.by_ref().map(|(path, data)| {
            count += 1;
            ExportItem::File {
                modified: modified(&path),
                path: relative(&path),
                data,
            }
        });
        let mut items = dirs.into_iter().chain(&mut file_items);
        adapter.write_archive(&mut writer, &mut items)
    };
    written?;
    if let Some(e) = files.take_error() {
        return Err(e);
    }
    writer.flush().map_err(Error::io)?;
    Ok(count)
}
