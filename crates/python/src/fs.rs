//! `MemoryFileSystem`: D-MemFS's filesystem class over the engine's
//! [`MemoryFileSystem`].
//!
//! Every call that can wait (a file lock, the writer's reply) or copy much
//! runs detached from the interpreter ([`PyFs::run`]); lookups in the
//! published snapshot (`exists`, `stat`, `listdir`, ...) never wait and run
//! attached ([`PyFs::map_err`] only).

use std::time::{SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use dmemfs::{MemoryFileSystem, OpenMode, OpenOptions};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PyString};

use crate::config::{non_negative, seconds, FsConfig};
use crate::errors::{root_refused, to_py_err};
use crate::guard_warnings::{emit_pending, CallScope};
use crate::handle::PyHandle;
use crate::iters::{ExportIterPy, WalkIter};
use crate::payload::{to_bytes, to_py_bytes};
use crate::through_file::{as_missing, as_taken, is_through_file, unless_file};

/// D-MemFS's default quota: 256 MiB.
const DEFAULT_MAX_QUOTA: i128 = 256 * 1024 * 1024;

/// An in-process filesystem with a hard byte quota (D-MemFS's API).
#[pyclass(
    name = "MemoryFileSystem",
    module = "dmemfs",
    subclass,
    frozen,
    weakref
)]
pub struct PyFs {
    fs: MemoryFileSystem,
    /// The memory guard warns: turn its log lines into `ResourceWarning`s.
    warn_guard: bool,
    /// New files start `Auto`, so a write not at the end may promote one.
    auto_storage: bool,
}

impl PyFs {
    /// Runs `op` detached, then raises the guard's warnings and maps the error.
    fn run<T: Send>(
        &self,
        py: Python<'_>,
        op: impl FnOnce(&MemoryFileSystem) -> dmemfs::Result<T> + Send,
    ) -> PyResult<T> {
        let result = self.call(py, op)?;
        self.map_err(py, result)
    }

    /// Runs `op` detached and raises the guard's warnings; the engine's
    /// result, for callers that map some errors first.
    fn call<T: Send>(
        &self,
        py: Python<'_>,
        op: impl FnOnce(&MemoryFileSystem) -> dmemfs::Result<T> + Send,
    ) -> PyResult<dmemfs::Result<T>> {
        let fs = &self.fs;
        let result = {
            let _scope = self.warn_guard.then(CallScope::enter);
            py.detach(|| op(fs))
        };
        if self.warn_guard {
            emit_pending(py)?;
        }
        Ok(result)
    }

    fn map_err<T>(&self, py: Python<'_>, result: dmemfs::Result<T>) -> PyResult<T> {
        result.map_err(|e| to_py_err(py, e))
    }

    /// A path through a file is missing in D-MemFS, unless `path` itself
    /// is a file where a directory was needed.
    fn unless_file(&self, err: dmemfs::Error, path: &str) -> dmemfs::Error {
        unless_file(err, path, || self.fs.is_file(path))
    }

    /// For two-path operations (rename, copy): the missing one is `src` if
    /// it does not exist, else `dst`'s parent.
    fn missing_end(&self, err: dmemfs::Error, src: &str, dst: &str) -> dmemfs::Error {
        as_missing(err, if self.fs.exists(src) { dst } else { src })
    }
}

/// Seconds since the epoch, as `time.time()` gives them.
fn epoch_seconds(t: SystemTime) -> f64 {
    match t.duration_since(UNIX_EPOCH) {
        Ok(d) => d.as_secs_f64(),
        Err(before) => -before.duration().as_secs_f64(),
    }
}

#[pymethods]
impl PyFs {
    #[new]
    #[pyo3(signature = (
        max_quota = DEFAULT_MAX_QUOTA,
        chunk_overhead_override = None,
        promotion_hard_limit = None,
        max_nodes = None,
        default_storage = "auto",
        default_lock_timeout = Some(30.0),
        memory_guard = "none",
        memory_guard_action = "warn",
        memory_guard_interval = 1.0,
        *,
        concurrency = "global_lock",
    ))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        py: Python<'_>,
        max_quota: i128,
        chunk_overhead_override: Option<i128>,
        promotion_hard_limit: Option<i128>,
        max_nodes: Option<i128>,
        default_storage: &str,
        default_lock_timeout: Option<f64>,
        memory_guard: &str,
        memory_guard_action: &str,
        memory_guard_interval: f64,
        concurrency: &str,
    ) -> PyResult<Self> {
        let checked = FsConfig {
            max_quota,
            chunk_overhead_override,
            promotion_hard_limit,
            max_nodes,
            default_storage,
            default_lock_timeout,
            memory_guard,
            memory_guard_action,
            memory_guard_interval,
            concurrency,
        }
        .check()?;
        if checked.no_room_for_root {
            // D-MemFS's max_nodes=0 refuses the root itself.
            return Err(root_refused(py));
        }
        let auto_storage = default_storage == "auto";
        let builder = checked.builder;
        let built = {
            let _scope = checked.warn_guard.then(CallScope::enter);
            py.detach(|| builder.build())
        };
        if checked.warn_guard {
            emit_pending(py)?;
        }
        Ok(PyFs {
            fs: built.map_err(|e| to_py_err(py, e))?,
            warn_guard: checked.warn_guard,
            auto_storage,
        })
    }

    /// Opens a file in a binary mode ("rb", "wb", "ab", "r+b", "xb"),
    /// waiting up to `lock_timeout` seconds (None: the filesystem's
    /// default) for its lock; `preallocate` grows it with zeros.
    #[pyo3(signature = (path, mode = "rb", preallocate = 0, lock_timeout = None))]
    fn open(
        &self,
        py: Python<'_>,
        path: &str,
        mode: &str,
        preallocate: i128,
        lock_timeout: Option<f64>,
    ) -> PyResult<PyHandle> {
        let mode: OpenMode = mode.parse().map_err(|_| {
            PyValueError::new_err(format!(
                "Invalid mode '{mode}'. MFS supports binary modes only: \
                 {{'rb', 'wb', 'ab', 'r+b', 'xb'}}"
            ))
        })?;
        if mode == OpenMode::Read && preallocate > 0 {
            // Deliberately stricter than D-MemFS, which grows a file it only
            // read-locked: the engine refuses this too (InvalidInput).
            return Err(PyValueError::new_err(format!(
                "preallocate={preallocate} on a read-only open of {path:?}: open it writable to grow it"
            )));
        }
        let mut opts = OpenOptions::new();
        // D-MemFS ignores a preallocation that is not positive.
        if preallocate > 0 {
            opts = opts.preallocate(non_negative("preallocate", preallocate)?);
        }
        if let Some(t) = lock_timeout {
            opts = opts.lock_timeout(seconds("lock_timeout", t)?);
        }
        let opened = self.call(py, |fs| fs.open_with(path, mode, opts))?;
        let handle = self.map_err(py, opened.map_err(|e| as_missing(e, path)))?;
        Ok(PyHandle::new(
            handle,
            mode,
            self.auto_storage,
            self.warn_guard,
        ))
    }

    /// Creates a directory and its missing parents.
    #[pyo3(signature = (path, exist_ok = false))]
    fn mkdir(&self, py: Python<'_>, path: &str, exist_ok: bool) -> PyResult<()> {
        let made = self.call(py, |fs| fs.mkdir(path, exist_ok))?;
        self.map_err(py, made.map_err(as_taken))
    }

    /// Renames a file or directory; `dst`'s parent must exist.
    fn rename(&self, py: Python<'_>, src: &str, dst: &str) -> PyResult<()> {
        let renamed = self.call(py, |fs| fs.rename(src, dst))?;
        self.map_err(py, renamed.map_err(|e| self.missing_end(e, src, dst)))
    }

    /// Moves a file or directory, creating `dst`'s missing parents.
    #[pyo3(name = "move")]
    fn move_path(&self, py: Python<'_>, src: &str, dst: &str) -> PyResult<()> {
        let moved = self.call(py, |fs| fs.move_path(src, dst))?;
        let moved = moved.map_err(|e| {
            if self.fs.exists(src) {
                // Only dst's parents can be in the way.
                as_taken(e)
            } else {
                as_missing(e, src)
            }
        });
        self.map_err(py, moved)
    }

    /// Removes a file.
    fn remove(&self, py: Python<'_>, path: &str) -> PyResult<()> {
        let removed = self.call(py, |fs| fs.remove(path))?;
        self.map_err(py, removed.map_err(|e| as_missing(e, path)))
    }

    /// Removes a directory and everything below it.
    fn rmtree(&self, py: Python<'_>, path: &str) -> PyResult<()> {
        let removed = self.call(py, |fs| fs.rmtree(path))?;
        self.map_err(py, removed.map_err(|e| self.unless_file(e, path)))
    }

    /// Names in a directory, sorted.
    fn listdir(&self, py: Python<'_>, path: &str) -> PyResult<Vec<String>> {
        self.map_err(
            py,
            self.fs.listdir(path).map_err(|e| self.unless_file(e, path)),
        )
    }

    /// Whether anything is at `path` (False for invalid paths).
    fn exists(&self, path: &str) -> bool {
        self.fs.exists(path)
    }

    /// Whether a directory is at `path`.
    fn is_dir(&self, path: &str) -> bool {
        self.fs.is_dir(path)
    }

    /// Whether a file is at `path`.
    fn is_file(&self, path: &str) -> bool {
        self.fs.is_file(path)
    }

    /// `MFSStatResult`: size, created_at, modified_at, generation, is_dir.
    fn stat<'py>(&self, py: Python<'py>, path: &str) -> PyResult<Bound<'py, PyDict>> {
        let meta = self.map_err(py, self.fs.stat(path).map_err(|e| as_missing(e, path)))?;
        let dict = PyDict::new(py);
        dict.set_item("size", meta.size)?;
        dict.set_item("created_at", epoch_seconds(meta.created_at))?;
        dict.set_item("modified_at", epoch_seconds(meta.modified_at))?;
        dict.set_item("generation", meta.generation)?;
        dict.set_item("is_dir", meta.is_dir)?;
        Ok(dict)
    }

    /// `MFSStats`: the quota and node figures.
    fn stats<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let s = self.fs.stats();
        let dict = PyDict::new(py);
        dict.set_item("used_bytes", s.used_bytes)?;
        dict.set_item("quota_bytes", s.quota_bytes)?;
        dict.set_item("free_bytes", s.free_bytes)?;
        dict.set_item("file_count", s.file_count)?;
        // D-MemFS counts the root directory.
        dict.set_item("dir_count", s.dir_count + 1)?;
        dict.set_item("chunk_count", s.chunk_count)?;
        dict.set_item("overhead_per_chunk_estimate", s.overhead_per_chunk_estimate)?;
        Ok(dict)
    }

    /// A file's size in bytes.
    fn get_size(&self, py: Python<'_>, path: &str) -> PyResult<u64> {
        self.map_err(py, self.fs.get_size(path).map_err(|e| as_missing(e, path)))
    }

    /// A copy of a file's content in an `io.BytesIO`; `ValueError` if it is
    /// longer than `max_size`.
    #[pyo3(signature = (path, max_size = None))]
    fn export_as_bytesio<'py>(
        &self,
        py: Python<'py>,
        path: &str,
        max_size: Option<i128>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let limit = max_size.map(|m| u64::try_from(m).unwrap_or(0));
        let exported = self.call(py, |fs| fs.export_bytes(path, limit))?;
        let content = self.map_err(py, exported.map_err(|e| as_missing(e, path)))?;
        if max_size.is_some_and(|m| m < 0) {
            // D-MemFS's `size > max_size` holds for every file then.
            return Err(PyValueError::new_err(format!(
                "File size {} exceeds max_size={}.",
                content.len(),
                max_size.unwrap_or_default()
            )));
        }
        let data = to_py_bytes(py, &content)?;
        py.import("io")?.getattr("BytesIO")?.call1((data,))
    }

    /// `{path: bytes}` of every file at or below `prefix`; `only_dirty`
    /// keeps the files written since they were made or imported.
    #[pyo3(signature = (prefix = "/", only_dirty = false))]
    fn export_tree<'py>(
        &self,
        py: Python<'py>,
        prefix: &str,
        only_dirty: bool,
    ) -> PyResult<Bound<'py, PyDict>> {
        let files = match self.call(py, |fs| fs.export_tree(prefix, only_dirty))? {
            // D-MemFS exports nothing below a path that passes through a file.
            Err(e) if is_through_file(&e) => Default::default(),
            other => self.map_err(py, other)?,
        };
        let dict = PyDict::new(py);
        for (path, content) in files {
            dict.set_item(PyString::new(py, &path), to_py_bytes(py, &content)?)?;
        }
        Ok(dict)
    }

    /// Like `export_tree`, lazily: `(path, bytes)` pairs, each file read
    /// when reached; files removed meanwhile are skipped.
    #[pyo3(signature = (prefix = "/", only_dirty = false))]
    fn iter_export_tree(
        &self,
        py: Python<'_>,
        prefix: &str,
        only_dirty: bool,
    ) -> PyResult<ExportIterPy> {
        let files = match self.fs.iter_export_tree(prefix, only_dirty) {
            // D-MemFS exports nothing below a path that passes through a file.
            Err(e) if is_through_file(&e) => None,
            other => Some(self.map_err(py, other)?),
        };
        Ok(ExportIterPy::new(files))
    }

    /// Writes every `{path: bytes-like}` entry, creating parents and
    /// replacing files, all or nothing.
    fn import_tree(&self, py: Python<'_>, tree: &Bound<'_, PyAny>) -> PyResult<()> {
        let mut entries: Vec<(String, Bytes)> = Vec::new();
        for item in tree.call_method0("items")?.try_iter()? {
            let (path, data): (String, Bound<'_, PyAny>) = item?.extract()?;
            entries.push((path, to_bytes(&data)?));
        }
        if entries.is_empty() {
            return Ok(());
        }
        let imported = self.call(py, |fs| fs.import_tree(entries))?;
        // D-MemFS creates the parents as directories: a file in the way is taken.
        self.map_err(py, imported.map_err(as_taken))
    }

    /// Copies a file; `dst` must not exist.
    fn copy(&self, py: Python<'_>, src: &str, dst: &str) -> PyResult<()> {
        let copied = self.call(py, |fs| fs.copy(src, dst))?;
        self.map_err(py, copied.map_err(|e| self.missing_end(e, src, dst)))
    }

    /// Copies a directory tree, all or nothing; `dst` must not exist.
    fn copy_tree(&self, py: Python<'_>, src: &str, dst: &str) -> PyResult<()> {
        let copied = self.call(py, |fs| fs.copy_tree(src, dst))?;
        let copied = copied.map_err(|e| {
            if self.fs.is_file(src) {
                e
            } else {
                self.missing_end(e, src, dst)
            }
        });
        self.map_err(py, copied)
    }

    /// `(dirpath, dirnames, filenames)` top-down from `path`, from one
    /// snapshot of the tree.
    #[pyo3(signature = (path = "/"))]
    fn walk(&self, path: &str) -> WalkIter {
        WalkIter::new(
            self.fs
                .walk(path)
                .map(|w| Box::new(w) as Box<dyn Iterator<Item = _> + Send>)
                .map_err(|e| self.unless_file(e, path)),
        )
    }

    /// Paths matching `pattern` (`*`, `**`, `?`, `[seq]`), sorted.
    fn glob<'py>(&self, py: Python<'py>, pattern: &str) -> PyResult<Bound<'py, PyList>> {
        let found = self.run(py, |fs| fs.glob(pattern))?;
        PyList::new(py, found)
    }

    fn __repr__(&self) -> String {
        let s = self.fs.stats();
        format!(
            "<dmemfs.MemoryFileSystem used={} quota={} files={} dirs={}>",
            s.used_bytes,
            s.quota_bytes,
            s.file_count,
            s.dir_count + 1
        )
    }
}
