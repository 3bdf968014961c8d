//! The memory guard's warnings as Python `ResourceWarning`s.
//!
//! With `memory_guard_action="warn"` the engine logs its warning through the
//! `log` facade (target `dmemfs_quota::memory_guard`) and goes on. This
//! module installs a logger that keeps those messages; a filesystem whose
//! guard warns calls [`emit_pending`] when an operation returns, attached,
//! so the warning is raised in the thread and at the call that caused it
//! (D-MemFS raises it there too). A message logged on a thread that is not
//! running a binding call (the engine's writer thread) is kept in a small
//! shared queue and emitted by the next such call.

use std::cell::RefCell;
use std::ffi::CString;

use log::{Level, LevelFilter, Log, Metadata, Record};
use parking_lot::Mutex;
use pyo3::exceptions::PyResourceWarning;
use pyo3::prelude::*;
use pyo3::PyTypeInfo;

/// The log target of the engine's memory guard.
const GUARD_TARGET: &str = "dmemfs_quota::memory_guard";

/// The most messages kept from threads outside a binding call; older ones
/// beyond it are dropped (they repeat the same condition).
const SHARED_CAPACITY: usize = 16;

thread_local! {
    /// Messages logged by this thread since its last [`emit_pending`].
    static LOCAL: RefCell<Vec<String>> = const { RefCell::new(Vec::new()) };
    /// Whether this thread is inside a binding call (so [`emit_pending`] will run on it).
    static IN_CALL: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

static SHARED: Mutex<Vec<String>> = Mutex::new(Vec::new());

struct GuardLogger;

impl Log for GuardLogger {
    fn enabled(&self, metadata: &Metadata<'_>) -> bool {
        metadata.level() <= Level::Warn && metadata.target() == GUARD_TARGET
    }

    fn log(&self, record: &Record<'_>) {
        if !self.enabled(record.metadata()) {
            return;
        }
        let message = record.args().to_string();
        if IN_CALL.with(|c| c.get()) {
            LOCAL.with(|l| l.borrow_mut().push(message));
        } else {
            let mut shared = SHARED.lock();
            if shared.len() < SHARED_CAPACITY {
                shared.push(message);
            }
        }
    }

    fn flush(&self) {}
}

static LOGGER: GuardLogger = GuardLogger;

/// Installs the logger once per process. If another logger was installed
/// first (impossible unless this module's `log` is shared), warnings are
/// not turned into Python warnings.
pub(crate) fn install() {
    if log::set_logger(&LOGGER).is_ok() {
        log::set_max_level(LevelFilter::Warn);
    }
}

/// Marks the current thread as running a binding call of a warning guard
/// until the returned value is dropped.
pub(crate) struct CallScope {
    outer: bool,
}

impl CallScope {
    pub(crate) fn enter() -> Self {
        CallScope {
            outer: IN_CALL.with(|c| c.replace(true)),
        }
    }
}

impl Drop for CallScope {
    fn drop(&mut self) {
        IN_CALL.with(|c| c.set(self.outer));
    }
}

/// Raises the guard's pending messages as `ResourceWarning`s. An error
/// comes back when a warnings filter turns them into exceptions.
pub(crate) fn emit_pending(py: Python<'_>) -> PyResult<()> {
    let mut messages = LOCAL.with(|l| std::mem::take(&mut *l.borrow_mut()));
    messages.append(&mut SHARED.lock());
    if messages.is_empty() {
        return Ok(());
    }
    let category = PyResourceWarning::type_object(py);
    for message in messages {
        // The engine's messages hold no NUL; drop any rather than fail.
        let text = CString::new(message.replace('\0', "")).unwrap_or_default();
        PyErr::warn(py, &category, &text, 2)?;
    }
    Ok(())
}
