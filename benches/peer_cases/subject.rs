//! The operations the cases are written in: what a program does with files,
//! one handle at a time.

use std::io::{self, Read, Seek, Write};

/// A filesystem under measurement. Paths are absolute and `/`-separated;
/// every case creates a directory only below an existing one.
pub trait Subject: Sync {
    /// A handle open for writing.
    type Writer<'a>: Write + Seek
    where
        Self: 'a;
    /// A handle open for reading.
    type Reader<'a>: Read
    where
        Self: 'a;

    /// Opens `path` for writing, creating it or emptying it (Python's `"wb"`).
    fn create(&self, path: &str) -> io::Result<Self::Writer<'_>>;
    /// Opens the existing file `path` for writing in place, keeping its
    /// content (Python's `"r+b"`).
    fn update(&self, path: &str) -> io::Result<Self::Writer<'_>>;
    /// Opens `path` for reading (Python's `"rb"`).
    fn open_read(&self, path: &str) -> io::Result<Self::Reader<'_>>;
    /// Closes a writer: later opens see what it wrote.
    fn close(&self, writer: Self::Writer<'_>) -> io::Result<()>;
    /// Creates the directory `path`, whose parent exists.
    fn mkdir(&self, path: &str) -> io::Result<()>;
    /// Removes the file `path`.
    fn remove(&self, path: &str) -> io::Result<()>;
}

/// Creates or empties `path` and writes `data` through one handle.
pub fn write_file<S: Subject>(fs: &S, path: &str, data: &[u8]) -> io::Result<()> {
    let mut writer = fs.create(path)?;
    writer.write_all(data)?;
    fs.close(writer)
}

/// Reads all of `path` into a new buffer through one handle, as Python's
/// `f.read()` returns new bytes.
pub fn read_file<S: Subject>(fs: &S, path: &str) -> io::Result<Vec<u8>> {
    let mut reader = fs.open_read(path)?;
    let mut content = Vec::new();
    reader.read_to_end(&mut content)?;
    Ok(content)
}
