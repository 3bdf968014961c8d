//! Moving file content between Python objects and the engine's `Bytes`.
//!
//! `bytes` are immutable, so the engine may keep the caller's object itself
//! (no copy; an append to sequential storage stores it as a chunk).
//! `bytearray` and `memoryview` can change under us, so they are copied once,
//! attached, as D-MemFS's `bytes(data)` does. Content going out is copied
//! into a new `bytes`; a large copy runs detached (nobody else can see the
//! new object yet, so that is sound without the interpreter).

use bytes::Bytes;
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::pybacked::PyBackedBytes;
use pyo3::types::{PyByteArray, PyBytes, PyMemoryView};

/// Copies at least this long run with the interpreter released; shorter
/// ones are cheaper than giving it up and taking it back.
pub(crate) const LARGE_COPY: usize = 64 * 1024;

/// A bytes-like object (`bytes`, `bytearray`, `memoryview`) as `Bytes`,
/// sharing a `bytes` object's memory; `TypeError` for anything else (as
/// D-MemFS).
pub(crate) fn to_bytes(data: &Bound<'_, PyAny>) -> PyResult<Bytes> {
    if let Ok(b) = data.cast::<PyBytes>() {
        return Ok(Bytes::from_owner(PyBackedBytes::from(b.clone())));
    }
    if let Ok(b) = data.cast::<PyByteArray>() {
        return Ok(Bytes::from_owner(PyBackedBytes::from(b.clone())));
    }
    if data.is_instance_of::<PyMemoryView>() {
        // `bytes(view)` copies any layout into one contiguous object.
        let copied = data
            .py()
            .get_type::<PyBytes>()
            .call1((data,))?
            .cast_into::<PyBytes>()?;
        return Ok(Bytes::from_owner(PyBackedBytes::from(copied)));
    }
    Err(PyTypeError::new_err(format!(
        "a bytes-like object is required, not '{}'",
        data.get_type().name()?
    )))
}

/// A new `bytes` of up to `len` bytes, filled by `fill`, which returns how
/// many it wrote; detached when `len` is large.
pub(crate) fn new_bytes<'py, F>(
    py: Python<'py>,
    len: usize,
    fill: F,
) -> PyResult<Bound<'py, PyBytes>>
where
    F: FnOnce(&mut [u8]) -> usize + Send,
{
    let mut filled = 0;
    let bytes = PyBytes::new_with(py, len, |buf| {
        filled = if len >= LARGE_COPY {
            py.detach(|| fill(buf))
        } else {
            fill(buf)
        };
        Ok(())
    })?;
    if filled == len {
        Ok(bytes)
    } else {
        // The content was shorter than promised (the handle was moved by
        // another thread meanwhile): keep what was read.
        Ok(PyBytes::new(py, &bytes.as_bytes()[..filled]))
    }
}

/// `content` as a new `bytes`.
pub(crate) fn to_py_bytes<'py>(py: Python<'py>, content: &Bytes) -> PyResult<Bound<'py, PyBytes>> {
    new_bytes(py, content.len(), |buf| {
        buf.copy_from_slice(content);
        buf.len()
    })
}
