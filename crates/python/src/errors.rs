//! Engine errors as the Python exceptions D-MemFS raises.
//!
//! The quota exceptions are the classes of `dmemfs._exceptions` (pure
//! Python, D-MemFS's constructors and attributes); the rest are built-ins.
//! Messages are the engine's, which name the path and the numbers.

use dmemfs::Error;
use pyo3::exceptions::{
    PyBlockingIOError, PyFileExistsError, PyFileNotFoundError, PyIsADirectoryError, PyMemoryError,
    PyNotADirectoryError, PyOSError, PyRuntimeError, PyValueError,
};
use pyo3::sync::PyOnceLock;
use pyo3::types::PyType;
use pyo3::{import_exception, prelude::*};

import_exception!(io, UnsupportedOperation);

static QUOTA_ERROR: PyOnceLock<Py<PyType>> = PyOnceLock::new();
static NODE_LIMIT_ERROR: PyOnceLock<Py<PyType>> = PyOnceLock::new();

const EXCEPTIONS_MODULE: &str = "dmemfs._exceptions";

/// The exception D-MemFS raises for `err`. Needs the interpreter for the
/// quota classes; call it attached.
pub(crate) fn to_py_err(py: Python<'_>, err: Error) -> PyErr {
    match err {
        Error::QuotaExceeded {
            requested,
            available,
        } => quota_error(
            py,
            &QUOTA_ERROR,
            "MFSQuotaExceededError",
            requested,
            available,
        ),
        // D-MemFS counts the root as a node: its `current` and `limit` are
        // one more than the engine's.
        Error::NodeLimitExceeded { current, limit } => quota_error(
            py,
            &NODE_LIMIT_ERROR,
            "MFSNodeLimitExceededError",
            current.saturating_add(1),
            limit.saturating_add(1),
        ),
        Error::NotFound { .. } => PyFileNotFoundError::new_err(err.to_string()),
        Error::AlreadyExists { .. } => PyFileExistsError::new_err(err.to_string()),
        Error::IsADirectory { .. } => PyIsADirectoryError::new_err(err.to_string()),
        Error::NotADirectory { .. } => PyNotADirectoryError::new_err(err.to_string()),
        // A lock timeout and an open file in the way are both
        // BlockingIOError in D-MemFS.
        Error::WouldBlock { .. } | Error::ResourceBusy { .. } => {
            PyBlockingIOError::new_err(err.to_string())
        }
        Error::Unsupported { .. } => UnsupportedOperation::new_err(err.to_string()),
        Error::InvalidInput { .. }
        | Error::InvalidData { .. }
        | Error::UnsafeArchiveEntry { .. }
        | Error::InvalidArchive { .. } => PyValueError::new_err(err.to_string()),
        // D-MemFS's memory guard with action "raise" raises MemoryError, as
        // does a failed allocation.
        Error::OutOfMemory { .. } | Error::MemoryGuard { .. } => {
            PyMemoryError::new_err(err.to_string())
        }
        Error::Io { .. } => PyOSError::new_err(err.to_string()),
        _ => PyRuntimeError::new_err(err.to_string()),
    }
}

/// An instance of D-MemFS's `class_name(a, b)`; a `RuntimeError` naming the
/// numbers if the class cannot be imported (a broken installation).
fn quota_error(
    py: Python<'_>,
    cell: &PyOnceLock<Py<PyType>>,
    class_name: &str,
    a: u64,
    b: u64,
) -> PyErr {
    let made = cell
        .import(py, EXCEPTIONS_MODULE, class_name)
        .and_then(|class| class.call1((a, b)));
    match made {
        Ok(instance) => PyErr::from_value(instance),
        Err(e) => e,
    }
}

/// D-MemFS's error for `max_nodes=0`: the root itself does not fit.
pub(crate) fn root_refused(py: Python<'_>) -> PyErr {
    quota_error(py, &NODE_LIMIT_ERROR, "MFSNodeLimitExceededError", 0, 0)
}

/// `ValueError` for a closed handle, with io's wording.
pub(crate) fn closed_file() -> PyErr {
    PyValueError::new_err("I/O operation on closed file.")
}
