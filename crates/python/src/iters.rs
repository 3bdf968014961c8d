//! The lazy iterators of `walk` and `iter_export_tree`.
//!
//! D-MemFS's are generator functions, so a bad path raises on the first
//! `next()`, not at the call: [`WalkIter`] keeps the error until then.

use dmemfs::{Error, ExportIter};
use parking_lot::Mutex;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyList, PyString, PyTuple};

use crate::errors::to_py_err;
use crate::payload::to_py_bytes;
use crate::wait::lock_detached;

type DirEntries = Box<dyn Iterator<Item = (String, Vec<String>, Vec<String>)> + Send>;

enum WalkState {
    Failed(Error),
    Walking(DirEntries),
    Done,
}

/// `walk()`'s iterator: `(dirpath, dirnames, filenames)` top-down, from one
/// snapshot of the tree.
#[pyclass(name = "_WalkIterator", module = "dmemfs", frozen)]
pub struct WalkIter {
    state: Mutex<WalkState>,
}

impl WalkIter {
    /// Yields `walk`'s entries, or raises its error on the first `next()`.
    pub(crate) fn new(walk: dmemfs::Result<DirEntries>) -> Self {
        WalkIter {
            state: Mutex::new(match walk {
                Ok(entries) => WalkState::Walking(entries),
                Err(e) => WalkState::Failed(e),
            }),
        }
    }
}

#[pymethods]
impl WalkIter {
    fn __iter__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    fn __next__<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyTuple>>> {
        let mut state = lock_detached(py, &self.state);
        match std::mem::replace(&mut *state, WalkState::Done) {
            WalkState::Failed(e) => Err(to_py_err(py, e)),
            WalkState::Done => Ok(None),
            WalkState::Walking(mut entries) => match entries.next() {
                None => Ok(None),
                Some((dir, dirs, files)) => {
                    *state = WalkState::Walking(entries);
                    let item = (
                        PyString::new(py, &dir),
                        PyList::new(py, dirs)?,
                        PyList::new(py, files)?,
                    );
                    Ok(Some(PyTuple::new(
                        py,
                        [item.0.into_any(), item.1.into_any(), item.2.into_any()],
                    )?))
                }
            },
        }
    }
}

/// `iter_export_tree()`'s iterator: `(path, bytes)` per file, each read
/// under its read lock when reached.
#[pyclass(name = "_ExportIterator", module = "dmemfs", frozen)]
pub struct ExportIterPy {
    files: Mutex<Option<ExportIter>>,
}

impl ExportIterPy {
    /// Over `files`; `None` yields nothing.
    pub(crate) fn new(files: Option<ExportIter>) -> Self {
        ExportIterPy {
            files: Mutex::new(files),
        }
    }
}

#[pymethods]
impl ExportIterPy {
    fn __iter__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    fn __next__<'py>(
        &self,
        py: Python<'py>,
    ) -> PyResult<Option<(Bound<'py, PyString>, Bound<'py, PyBytes>)>> {
        let mut slot = lock_detached(py, &self.files);
        let Some(files) = slot.as_mut() else {
            return Ok(None);
        };
        // Waits for the file's read lock.
        match py.detach(|| files.next()) {
            Some((path, content)) => {
                Ok(Some((PyString::new(py, &path), to_py_bytes(py, &content)?)))
            }
            None => {
                let error = files.take_error();
                *slot = None;
                match error {
                    Some(e) => Err(to_py_err(py, e)),
                    None => Ok(None),
                }
            }
        }
    }
}
