//! Taking a binding mutex without blocking while attached.
//!
//! A thread that blocks on a mutex while attached to the interpreter can
//! deadlock with the mutex's holder if that holder detached (for a long
//! copy or an engine wait) and now waits to attach again; under free
//! threading it also stalls the interpreter's stop-the-world pauses. So
//! every binding mutex is taken through [`lock_detached`]: tried attached,
//! waited for detached.

use parking_lot::{Mutex, MutexGuard};
use pyo3::Python;

/// `mutex`, locked; waits for another holder with the interpreter released.
pub(crate) fn lock_detached<'a, T: Send>(py: Python<'_>, mutex: &'a Mutex<T>) -> MutexGuard<'a, T> {
    loop {
        if let Some(guard) = mutex.try_lock() {
            return guard;
        }
        py.detach(|| drop(mutex.lock()));
    }
}
