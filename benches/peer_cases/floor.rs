//! The floors: a map from full path to shared content, the least work any
//! in-memory filesystem can do (no directories, no quota, no file locks).
//! Content is an `Arc<Vec<u8>>` so a reader keeps what it opened while a
//! writer replaces it, as dmemfs's snapshots do.

use std::collections::HashMap;
use std::io::{self, Cursor, Seek, SeekFrom, Write};
use std::sync::{Arc, PoisonError, RwLock};

use dashmap::DashMap;

use super::subject::Subject;

/// The content of one file, shared between the map and its readers.
pub type Content = Arc<Vec<u8>>;

/// A concurrent map from path to content.
pub trait PathMap: Default + Sync {
    /// The content stored at `path`.
    fn get(&self, path: &str) -> Option<Content>;
    /// Stores `content` at `path`, replacing what was there.
    fn insert(&self, path: String, content: Content);
    /// Removes `path`; whether it was there.
    fn remove(&self, path: &str) -> bool;
}

/// One lock around a `HashMap`: the floor of issue 13.
pub type RwLockHashMap = RwLock<HashMap<String, Content>>;

impl PathMap for RwLockHashMap {
    fn get(&self, path: &str) -> Option<Content> {
        // No code here panics while holding the lock, so a poisoned lock
        // still guards a consistent map.
        let map = self.read().unwrap_or_else(PoisonError::into_inner);
        map.get(path).cloned()
    }

    fn insert(&self, path: String, content: Content) {
        let mut map = self.write().unwrap_or_else(PoisonError::into_inner);
        map.insert(path, content);
    }

    fn remove(&self, path: &str) -> bool {
        let mut map = self.write().unwrap_or_else(PoisonError::into_inner);
        map.remove(path).is_some()
    }
}

impl PathMap for DashMap<String, Content> {
    fn get(&self, path: &str) -> Option<Content> {
        DashMap::get(self, path).map(|entry| Arc::clone(entry.value()))
    }

    fn insert(&self, path: String, content: Content) {
        DashMap::insert(self, path, content);
    }

    fn remove(&self, path: &str) -> bool {
        DashMap::remove(self, path).is_some()
    }
}

/// A floor over the map `M`. Directories are not kept: `mkdir` does nothing
/// and a file may be created anywhere.
#[derive(Default)]
pub struct Floor<M> {
    files: M,
}

/// A file being written: a private buffer stored at its path by
/// [`Subject::close`] (dropped unclosed, it stores nothing).
pub struct FloorWriter {
    path: String,
    content: Cursor<Vec<u8>>,
}

impl Write for FloorWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.content.write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Seek for FloorWriter {
    fn seek(&mut self, pos: SeekFrom) -> io::Result<u64> {
        self.content.seek(pos)
    }
}

/// Lets `Cursor` read shared content (`Arc<Vec<u8>>` derefs to `Vec`, not
/// to a slice, so `Cursor<Content>` would not read).
pub struct SharedContent(Content);

impl AsRef<[u8]> for SharedContent {
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}

fn not_found(path: &str) -> io::Error {
    io::Error::new(io::ErrorKind::NotFound, format!("no file at {path}"))
}

impl<M: PathMap> Subject for Floor<M> {
    type Writer<'a>
        = FloorWriter
    where
        Self: 'a;
    type Reader<'a>
        = Cursor<SharedContent>
    where
        Self: 'a;

    fn create(&self, path: &str) -> io::Result<FloorWriter> {
        Ok(FloorWriter {
            path: path.to_owned(),
            content: Cursor::new(Vec::new()),
        })
    }

    /// Copies the content: readers may hold the stored one.
    fn update(&self, path: &str) -> io::Result<FloorWriter> {
        let content = self.files.get(path).ok_or_else(|| not_found(path))?;
        Ok(FloorWriter {
            path: path.to_owned(),
            content: Cursor::new(content.as_ref().clone()),
        })
    }

    fn open_read(&self, path: &str) -> io::Result<Cursor<SharedContent>> {
        let content = self.files.get(path).ok_or_else(|| not_found(path))?;
        Ok(Cursor::new(SharedContent(content)))
    }

    fn close(&self, writer: FloorWriter) -> io::Result<()> {
        self.files
            .insert(writer.path, Arc::new(writer.content.into_inner()));
        Ok(())
    }

    fn mkdir(&self, _path: &str) -> io::Result<()> {
        Ok(())
    }

    fn remove(&self, path: &str) -> io::Result<()> {
        if self.files.remove(path) {
            Ok(())
        } else {
            Err(not_found(path))
        }
    }
}
