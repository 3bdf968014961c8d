//! tar and tar.gz, through the `tar` and `flate2` crates.
//!
//! Entries are read in the `tar` crate's raw mode and GNU long names and PAX
//! extension headers are applied here, because the crate's own handling reads
//! such a header whole, however large it claims to be: a compressed archive
//! could then make it allocate without bound. Here an extension header is
//! limited to [`MAX_EXTENSION`] bytes.

use std::io::{self, Read, Write};
use std::time::{SystemTime, UNIX_EPOCH};

use flate2::read::MultiGzDecoder;
use flate2::write::GzEncoder;
use flate2::Compression;
use tar::{EntryType, Header, PaxExtensions};

use super::{invalid_archive, ArchiveAdapter, ArchiveEntry, EntryKind, ExportItem, ReadSeek};
use crate::{Error, Result};

/// The largest GNU long-name or PAX extension header accepted.
pub(crate) const MAX_EXTENSION: u64 = 1 << 20;

/// Uncompressed tar (POSIX ustar, GNU and PAX extensions).
#[derive(Debug, Clone, Copy, Default)]
pub struct TarAdapter;

/// tar compressed with gzip (`.tar.gz`, `.tgz`); concatenated gzip members
/// are read as one stream.
#[derive(Debug, Clone, Copy, Default)]
pub struct TarGzAdapter;

impl ArchiveAdapter for TarAdapter {
    fn name(&self) -> &str {
        "tar"
    }

    fn detect(&self, head: &[u8]) -> bool {
        is_tar_header(head)
    }

    fn read_entries(
        &self,
        source: &mut dyn ReadSeek,
        visit: &mut dyn FnMut(ArchiveEntry<'_>) -> Result<()>,
    ) -> Result<()> {
        read_tar(source, "tar", visit)
    }

    fn write_archive(
        &self,
        sink: &mut dyn Write,
        items: &mut dyn Iterator<Item = ExportItem>,
    ) -> Result<()> {
        write_tar(sink, items)?;
        Ok(())
    }
}

impl ArchiveAdapter for TarGzAdapter {
    fn name(&self) -> &str {
        "tar.gz"
    }

    fn detect(&self, head: &[u8]) -> bool {
        head.starts_with(&[0x1f, 0x8b])
    }

    fn read_entries(
        &self,
        source: &mut dyn ReadSeek,
        visit: &mut dyn FnMut(ArchiveEntry<'_>) -> Result<()>,
    ) -> Result<()> {
        read_tar(MultiGzDecoder::new(source), "tar.gz", visit)
    }

    fn write_archive(
        &self,
        sink: &mut dyn Write,
        items: &mut dyn Iterator<Item = ExportItem>,
    ) -> Result<()> {
        let gz = write_tar(GzEncoder::new(sink, Compression::default()), items)?;
        gz.finish().map_err(Error::io)?;
        Ok(())
    }
}

/// A tar header: `ustar` magic at 257, an all-zero block (an empty
/// archive), or a pre-POSIX header whose checksum is right.
fn is_tar_header(head: &[u8]) -> bool {
    if head.len() < 512 {
        return false;
    }
    if &head[257..262] == b"ustar" || head[..512].iter().all(|b| *b == 0) {
        return true;
    }
    let stored = std::str::from_utf8(&head[148..156])
        .ok()
        .map(|s| s.trim_matches(|c: char| c == '\0' || c == ' '))
        .and_then(|s| u32::from_str_radix(s, 8).ok());
    let sum: u32 = head[..148]
        .iter()
        .chain(&head[156..512])
        .map(|b| u32::from(*b))
        .sum::<u32>()
        + 8 * u32::from(b' ');
    stored == Some(sum)
}

fn read_tar<R: Read>(
    reader: R,
    format: &str,
    visit: &mut dyn FnMut(ArchiveEntry<'_>) -> Result<()>,
) -> Result<()> {
    let bad = |e: io::Error| invalid_archive(format, e);
    let mut archive = tar::Archive::new(reader);
    let entries = archive.entries().map_err(bad)?.raw(true);
    let mut long_name: Option<Vec<u8>> = None;
    let mut long_link: Option<Vec<u8>> = None;
    let mut pax: Option<Vec<u8>> = None;
    for entry in entries {
        let mut entry = entry.map_err(bad)?;
        let entry_type = entry.header().entry_type();
        let slot = match entry_type {
            EntryType::GNULongName => Some(&mut long_name),
            EntryType::GNULongLink => Some(&mut long_link),
            EntryType::XHeader => Some(&mut pax),
            EntryType::XGlobalHeader => None,
            _ => {
                let (name, kind, size) = describe(
                    &entry,
                    long_name.take(),
                    long_link.take(),
                    pax.take(),
                    format,
                )?;
                visit(ArchiveEntry {
                    name,
                    kind,
                    size,
                    reader: &mut entry,
                })?;
                continue;
            }
        };
        let size = entry.size();
        if size > MAX_EXTENSION {
            return Err(invalid_archive(
                format,
                format!(
                    "an extension header of {size} bytes (at most {MAX_EXTENSION} are accepted)"
                ),
            ));
        }
        let mut data = Vec::with_capacity(size as usize);
        entry.read_to_end(&mut data).map_err(bad)?;
        if let Some(slot) = slot {
            if slot.is_some() {
                return Err(invalid_archive(
                    format,
                    "two extension headers of one kind for one entry",
                ));
            }
            *slot = Some(data);
        }
    }
    if long_name.is_some() || long_link.is_some() || pax.is_some() {
        return Err(invalid_archive(
            format,
            "an extension header with no entry after it",
        ));
    }
    Ok(())
}

/// The name, kind and size of a (non-extension) entry, extensions applied.
fn describe<R: Read>(
    entry: &tar::Entry<'_, R>,
    long_name: Option<Vec<u8>>,
    long_link: Option<Vec<u8>>,
    pax: Option<Vec<u8>>,
    format: &str,
) -> Result<(String, EntryKind, Option<u64>)> {
    let header = entry.header();
    let pax_value = |key: &[u8]| -> Option<Vec<u8>> {
        let pax = pax.as_deref()?;
        PaxExtensions::new(pax)
            .filter_map(|e| e.ok())
            .filter(|e| e.key_bytes() == key)
            .last()
            .map(|e| e.value_bytes().to_vec())
    };
    if let Some(size) = pax_value(b"size") {
        let declared = std::str::from_utf8(&size)
            .ok()
            .and_then(|s| s.parse::<u64>().ok());
        if declared != Some(entry.size()) {
            return Err(invalid_archive(
                format,
                "a PAX size that differs from the header's size (entries of 8 GiB or more) is not supported",
            ));
        }
    }
    let name = long_name
        .map(trim_nul)
        .or_else(|| pax_value(b"path"))
        .unwrap_or_else(|| header.path_bytes().into_owned());
    let name = String::from_utf8(name).map_err(|e| {
        super::refuse(
            &String::from_utf8_lossy(e.as_bytes()),
            crate::UnsafeEntry::InvalidName {
                reason: "not UTF-8".into(),
            },
        )
    })?;
    let link = || {
        let bytes = long_link
            .clone()
            .map(trim_nul)
            .or_else(|| pax_value(b"linkpath"))
            .or_else(|| header.link_name_bytes().map(|b| b.into_owned()))
            .unwrap_or_default();
        String::from_utf8_lossy(&bytes).into_owned()
    };
    let kind = match header.entry_type() {
        EntryType::Regular | EntryType::Continuous if name.ends_with('/') => EntryKind::Directory,
        EntryType::Regular | EntryType::Continuous => EntryKind::File,
        EntryType::Directory => EntryKind::Directory,
        EntryType::Symlink => EntryKind::Symlink { target: link() },
        EntryType::Link => EntryKind::HardLink { target: link() },
        EntryType::Char => other("character device"),
        EntryType::Block => other("block device"),
        EntryType::Fifo => other("FIFO"),
        EntryType::GNUSparse => other("GNU sparse file"),
        t => other(&format!("tar entry type {:?}", char::from(t.as_byte()))),
    };
    let size = matches!(kind, EntryKind::File).then(|| entry.size());
    Ok((name, kind, size))
}

fn other(description: &str) -> EntryKind {
    EntryKind::Other {
        description: description.to_owned(),
    }
}

fn trim_nul(mut bytes: Vec<u8>) -> Vec<u8> {
    while bytes.last() == Some(&0) {
        bytes.pop();
    }
    bytes
}

/// Writes `items` as a GNU tar (long names as GNU extensions) and returns
/// the sink, finished.
fn write_tar<W: Write>(sink: W, items: &mut dyn Iterator<Item = ExportItem>) -> Result<W> {
    let mut builder = tar::Builder::new(sink);
    for item in items {
        let mut header = Header::new_gnu();
        match item {
            ExportItem::Directory { path, modified } => {
                header.set_entry_type(EntryType::Directory);
                header.set_mode(0o755);
                header.set_size(0);
                header.set_mtime(unix_seconds(modified));
                builder
                    .append_data(&mut header, format!("{path}/"), io::empty())
                    .map_err(Error::io)?;
            }
            ExportItem::File {
                path,
                data,
                modified,
            } => {
                header.set_entry_type(EntryType::Regular);
                header.set_mode(0o644);
                header.set_size(data.len() as u64);
                header.set_mtime(unix_seconds(modified));
                builder
                    .append_data(&mut header, &path, &data[..])
                    .map_err(Error::io)?;
            }
        }
    }
    builder.into_inner().map_err(Error::io)
}

fn unix_seconds(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}
