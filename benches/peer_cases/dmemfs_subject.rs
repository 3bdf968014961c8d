//! dmemfs itself, under one concurrency strategy.

use std::io;

use dmemfs::{Concurrency, FileHandle, MemoryFileSystem, OpenMode};

use super::subject::Subject;

/// Room for every case (the largest holds 128 MiB), as D-MemFS's benchmark
/// gives its filesystem 1 GiB.
const QUOTA: u64 = 1 << 30;

/// A dmemfs filesystem with a 1 GiB quota and otherwise default settings.
pub struct Dmemfs(MemoryFileSystem);

impl Dmemfs {
    /// A new, empty filesystem using `strategy`.
    pub fn new(strategy: Concurrency) -> io::Result<Self> {
        let fs = MemoryFileSystem::builder()
            .concurrency(strategy)
            .max_quota(QUOTA)
            .build()?;
        Ok(Dmemfs(fs))
    }
}

impl Subject for Dmemfs {
    type Writer<'a> = FileHandle;
    type Reader<'a> = FileHandle;

    fn create(&self, path: &str) -> io::Result<FileHandle> {
        Ok(self.0.open(path, OpenMode::Write)?)
    }

    fn update(&self, path: &str) -> io::Result<FileHandle> {
        Ok(self.0.open(path, OpenMode::ReadWrite)?)
    }

    fn open_read(&self, path: &str) -> io::Result<FileHandle> {
        Ok(self.0.open(path, OpenMode::Read)?)
    }

    fn close(&self, writer: FileHandle) -> io::Result<()> {
        Ok(writer.close()?)
    }

    fn mkdir(&self, path: &str) -> io::Result<()> {
        Ok(self.0.mkdir(path, false)?)
    }

    fn remove(&self, path: &str) -> io::Result<()> {
        Ok(self.0.remove(path)?)
    }
}
