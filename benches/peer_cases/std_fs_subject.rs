//! The kernel's tmpfs through `std::fs`: what an in-process filesystem must
//! beat to be worth having.

use std::fs::{self, File, OpenOptions};
use std::io;
use std::path::Path;

use tempfile::TempDir;

use super::subject::Subject;

/// Where tmpfs is mounted on Linux; elsewhere the system's temp dir stands in.
const SHM: &str = "/dev/shm";

/// A fresh directory under `/dev/shm` (under the system temp dir where there
/// is none), removed with everything in it on drop.
pub struct StdFs {
    root: String,
    _dir: TempDir,
}

impl StdFs {
    /// Makes the directory the cases' paths are taken from.
    pub fn new() -> io::Result<Self> {
        let mut builder = tempfile::Builder::new();
        builder.prefix("dmemfs-peers-");
        let dir = if Path::new(SHM).is_dir() {
            builder.tempdir_in(SHM)?
        } else {
            builder.tempdir()?
        };
        let root = dir
            .path()
            .to_str()
            .ok_or_else(|| io::Error::other("temp dir path is not UTF-8"))?
            .to_owned();
        Ok(StdFs { root, _dir: dir })
    }

    /// Where the case's absolute `path` lies on the real filesystem.
    fn real(&self, path: &str) -> String {
        let mut real = String::with_capacity(self.root.len() + path.len());
        real.push_str(&self.root);
        real.push_str(path);
        real
    }
}

impl Subject for StdFs {
    type Writer<'a> = File;
    type Reader<'a> = File;

    fn create(&self, path: &str) -> io::Result<File> {
        File::create(self.real(path))
    }

    fn update(&self, path: &str) -> io::Result<File> {
        OpenOptions::new().write(true).open(self.real(path))
    }

    fn open_read(&self, path: &str) -> io::Result<File> {
        File::open(self.real(path))
    }

    /// Closing a `File` flushes nothing to a device: no fsync, as in Python.
    fn close(&self, writer: File) -> io::Result<()> {
        drop(writer);
        Ok(())
    }

    fn mkdir(&self, path: &str) -> io::Result<()> {
        fs::create_dir(self.real(path))
    }

    fn remove(&self, path: &str) -> io::Result<()> {
        fs::remove_file(self.real(path))
    }
}
