//! `vfs::MemoryFS` (crate `vfs` 0.13): the in-memory filesystem Rust users
//! reach for first.

use std::io;

use vfs::error::VfsErrorKind;
use vfs::{FileSystem, MemoryFS, SeekAndRead, SeekAndWrite, VfsError};

use super::subject::Subject;

/// A `vfs::MemoryFS`, used through its `FileSystem` trait.
pub struct VfsMemory(MemoryFS);

impl VfsMemory {
    /// A new, empty filesystem.
    pub fn new() -> Self {
        VfsMemory(MemoryFS::new())
    }
}

/// Keeps "not found" recognisable; the message carries the rest.
fn io_error(err: VfsError) -> io::Error {
    let kind = match err.kind() {
        VfsErrorKind::FileNotFound => io::ErrorKind::NotFound,
        VfsErrorKind::IoError(inner) => inner.kind(),
        _ => io::ErrorKind::Other,
    };
    io::Error::new(kind, err.to_string())
}

impl Subject for VfsMemory {
    type Writer<'a> = Box<dyn SeekAndWrite + Send>;
    type Reader<'a> = Box<dyn SeekAndRead + Send>;

    fn create(&self, path: &str) -> io::Result<Self::Writer<'_>> {
        self.0.create_file(path).map_err(io_error)
    }

    /// `append_file` copies the content into a seekable buffer that replaces
    /// the file when dropped: vfs's only way to write in place.
    fn update(&self, path: &str) -> io::Result<Self::Writer<'_>> {
        self.0.append_file(path).map_err(io_error)
    }

    fn open_read(&self, path: &str) -> io::Result<Self::Reader<'_>> {
        self.0.open_file(path).map_err(io_error)
    }

    /// Dropping the writer stores its content, as a vfs user closes a file.
    fn close(&self, writer: Self::Writer<'_>) -> io::Result<()> {
        drop(writer);
        Ok(())
    }

    fn mkdir(&self, path: &str) -> io::Result<()> {
        self.0.create_dir(path).map_err(io_error)
    }

    fn remove(&self, path: &str) -> io::Result<()> {
        self.0.remove_file(path).map_err(io_error)
    }
}
