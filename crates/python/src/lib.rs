//! Python bindings of dmemfs: the `dmemfs._native` extension module behind
//! the `dmemfs` Python package, a drop-in for D-MemFS 0.4.1.
//!
//! The package (`python/dmemfs/`) re-exports `fs::PyFs` as
//! `MemoryFileSystem` and `handle::PyHandle` as `MemoryFileHandle`; its
//! pure-Python parts (exceptions, `MFSTextHandle`, the async wrappers, the
//! archive helpers, the pytest plugin) build on them.
//!
//! Threads: every call that can wait or copy much releases the interpreter,
//! and the classes are `Sync` (handles keep the engine handle in a mutex),
//! so the module declares free-threaded support.

mod config;
mod errors;
mod fs;
mod guard_warnings;
mod handle;
mod iters;
mod payload;
mod through_file;
mod wait;

use pyo3::prelude::*;

/// The extension module `dmemfs._native`.
#[pymodule(gil_used = false)]
#[pyo3(name = "_native")]
fn native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    guard_warnings::install();
    m.add_class::<fs::PyFs>()?;
    m.add_class::<handle::PyHandle>()?;
    m.add_class::<iters::WalkIter>()?;
    m.add_class::<iters::ExportIterPy>()?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
