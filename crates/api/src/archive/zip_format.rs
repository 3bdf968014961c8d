//! zip, through the `zip` crate (stored and deflated entries).

use std::io::{self, Read, Write};
use std::time::{SystemTime, UNIX_EPOCH};

use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, DateTime, ZipArchive, ZipWriter};

use super::{invalid_archive, ArchiveAdapter, ArchiveEntry, EntryKind, ExportItem, ReadSeek};
use crate::{Error, Result};

/// The longest symbolic-link target read (to name it in the refusal).
const MAX_LINK_TARGET: u64 = 4096;

/// zip archives: stored and deflated entries; encrypted entries and other
/// compression methods are [`Error::InvalidArchive`](crate::Error::InvalidArchive).
/// Written archives deflate every file and stream (no seeking needed).
#[derive(Debug, Clone, Copy, Default)]
pub struct ZipAdapter;

impl ArchiveAdapter for ZipAdapter {
    fn name(&self) -> &str {
        "zip"
    }

    fn detect(&self, head: &[u8]) -> bool {
        head.starts_with(b"PK\x03\x04") || head.starts_with(b"PK\x05\x06")
    }

    fn read_entries(
        &self,
        source: &mut dyn ReadSeek,
        visit: &mut dyn FnMut(ArchiveEntry<'_>) -> Result<()>,
    ) -> Result<()> {
        let bad = |e: zip::result::ZipError| invalid_archive("zip", e);
        let mut archive = ZipArchive::new(source).map_err(bad)?;
        for index in 0..archive.len() {
            let mut file = archive.by_index(index).map_err(bad)?;
            let name = file.name().to_owned();
            let kind = match file.unix_mode().map(|m| m & 0o170_000) {
                Some(0o120_000) => {
                    let mut target = Vec::new();
                    (&mut file)
                        .take(MAX_LINK_TARGET)
                        .read_to_end(&mut target)
                        .map_err(|e| invalid_archive("zip", e))?;
                    EntryKind::Symlink {
                        target: String::from_utf8_lossy(&target).into_owned(),
                    }
                }
                Some(0o040_000) => EntryKind::Directory,
                Some(0) | Some(0o100_000) | None if file.is_dir() => EntryKind::Directory,
                Some(0) | Some(0o100_000) | None => EntryKind::File,
                Some(0o020_000) => other("character device"),
                Some(0o060_000) => other("block device"),
                Some(0o010_000) => other("FIFO"),
                Some(0o140_000) => other("socket"),
                Some(t) => other(&format!("unix file type {t:o}")),
            };
            let size = matches!(kind, EntryKind::File).then(|| file.size());
            visit(ArchiveEntry {
                name,
                kind,
                size,
                reader: &mut file,
            })?;
        }
        Ok(())
    }

    fn write_archive(
        &self,
        sink: &mut dyn Write,
        items: &mut dyn Iterator<Item = ExportItem>,
    ) -> Result<()> {
        let bad = |e: zip::result::ZipError| match e {
            zip::result::ZipError::Io(e) => Error::io(e),
            e => Error::io(io::Error::other(e)),
        };
        let mut zip = ZipWriter::new_stream(DiscardAfterFailure {
            inner: sink,
            failed: false,
        });
        for item in items {
            match item {
                ExportItem::Directory { path, modified } => {
                    let options = SimpleFileOptions::default()
                        .unix_permissions(0o755)
                        .last_modified_time(dos_time(modified));
                    zip.add_directory(path, options).map_err(bad)?;
                }
                ExportItem::File {
                    path,
                    data,
                    modified,
                } => {
                    let options = SimpleFileOptions::default()
                        .compression_method(CompressionMethod::Deflated)
                        .unix_permissions(0o644)
                        .last_modified_time(dos_time(modified))
                        .large_file(data.len() as u64 >= u64::from(u32::MAX));
                    zip.start_file(path, options).map_err(bad)?;
                    zip.write_all(&data).map_err(Error::io)?;
                }
            }
        }
        zip.finish().map_err(bad)?;
        Ok(())
    }
}

/// Passes writes through until one fails, then swallows the rest. The
/// failure itself reaches the caller through the zip writer; swallowing
/// afterwards keeps the zip writer's `Drop`, which finalizes the archive and
/// prints to stderr if that fails, quiet.
struct DiscardAfterFailure<'a> {
    inner: &'a mut dyn Write,
    failed: bool,
}

impl Write for DiscardAfterFailure<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.failed {
            return Ok(buf.len());
        }
        let r = self.inner.write(buf);
        if matches!(&r, Err(e) if e.kind() != io::ErrorKind::Interrupted) {
            self.failed = true;
        }
        r
    }

    fn flush(&mut self) -> io::Result<()> {
        if self.failed {
            return Ok(());
        }
        self.inner.flush()
    }
}

fn other(description: &str) -> EntryKind {
    EntryKind::Other {
        description: description.to_owned(),
    }
}

/// `t` as a zip (MS-DOS) timestamp, UTC, clamped to 1980..=2107.
fn dos_time(t: SystemTime) -> DateTime {
    let secs = t.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    let days = secs / 86_400;
    let rem = secs % 86_400;
    let (y, m, d) = civil_from_days(days);
    let year = y.clamp(1980, 2107);
    let (m, d) = if year == y {
        (m, d)
    } else if y < 1980 {
        (1, 1)
    } else {
        (12, 31)
    };
    DateTime::from_date_and_time(
        year as u16,
        m as u8,
        d as u8,
        (rem / 3600) as u8,
        (rem / 60 % 60) as u8,
        (rem % 60) as u8,
    )
    .unwrap_or_default()
}

/// The proleptic Gregorian date `days` after 1970-01-01 (H. Hinnant's
/// algorithm).
fn civil_from_days(days: u64) -> (u64, u64, u64) {
    let z = days + 719_468;
    let era = z / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + u64::from(m <= 2);
    (y, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn civil_dates() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(19_723), (2024, 1, 1));
        assert_eq!(civil_from_days(19_782), (2024, 2, 29));
        assert_eq!(civil_from_days(11_016), (2000, 2, 29));
    }

    #[test]
    fn dos_times_are_clamped() {
        let t = UNIX_EPOCH + Duration::from_secs(19_782 * 86_400 + 3600 + 120 + 30);
        let dt = dos_time(t);
        assert_eq!(
            (
                dt.year(),
                dt.month(),
                dt.day(),
                dt.hour(),
                dt.minute(),
                dt.second()
            ),
            (2024, 2, 29, 1, 2, 30)
        );
        assert_eq!(dos_time(UNIX_EPOCH).year(), 1980);
    }
}
