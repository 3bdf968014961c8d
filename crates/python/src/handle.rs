//! `MemoryFileHandle`: D-MemFS's binary file handle (an `io.RawIOBase`)
//! over an engine [`FileHandle`].
//!
//! The engine handle sits in a mutex, so the Python object is `Sync` and
//! sound when threads share it without a GIL (D-MemFS calls sharing a handle
//! unsafe; here it is only unordered). The mutex is taken with
//! [`lock_detached`], so a thread holding it may detach (for a large copy)
//! without risk of deadlock.

use std::io::{Read, Seek, SeekFrom};

use dmemfs::{FileHandle, OpenMode};
use parking_lot::{Mutex, MutexGuard};
use pyo3::exceptions::{PyResourceWarning, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyList, PyMemoryView, PySlice};
use pyo3::PyTypeInfo;

use crate::errors::{closed_file, to_py_err, UnsupportedOperation};
use crate::guard_warnings::{emit_pending, CallScope};
use crate::payload::{new_bytes, to_bytes, LARGE_COPY};
use crate::wait::lock_detached;

/// How much `readline` looks at per step.
const LINE_STEP: usize = 8 * 1024;

/// An open engine handle and what the binding knows about its file.
struct Open {
    handle: FileHandle,
    /// Whether a write not at the end may still promote the file from
    /// sequential to random-access storage (copying it whole, so such a
    /// write runs detached). Promotion is one-way and happens on the first
    /// such write, so after one this is false.
    may_promote: bool,
}

/// D-MemFS's `MemoryFileHandle`: registered as an `io.RawIOBase`.
#[pyclass(name = "MemoryFileHandle", module = "dmemfs", frozen, weakref)]
pub struct PyHandle {
    /// `None` once closed.
    slot: Mutex<Option<Open>>,
    mode: OpenMode,
    path: String,
    /// The filesystem's guard warns: emit its warnings after writes.
    warn_guard: bool,
}

impl PyHandle {
    pub(crate) fn new(
        handle: FileHandle,
        mode: OpenMode,
        may_promote: bool,
        warn_guard: bool,
    ) -> Self {
        PyHandle {
            path: handle.path().to_owned(),
            slot: Mutex::new(Some(Open {
                handle,
                may_promote: may_promote && mode != OpenMode::Append,
            })),
            mode,
            warn_guard,
        }
    }

    /// The slot, waiting for another thread's call on this handle detached.
    fn lock(&self, py: Python<'_>) -> MutexGuard<'_, Option<Open>> {
        lock_detached(py, &self.slot)
    }

    fn need_readable(&self) -> PyResult<()> {
        if self.mode.is_readable() {
            Ok(())
        } else {
            Err(UnsupportedOperation::new_err(format!(
                "not readable in mode '{}'",
                self.mode
            )))
        }
    }

    fn need_writable(&self) -> PyResult<()> {
        if self.mode.is_writable() {
            Ok(())
        } else {
            Err(UnsupportedOperation::new_err(format!(
                "not writable in mode '{}'",
                self.mode
            )))
        }
    }

    /// Runs `f` on the open handle, or `ValueError` if closed.
    fn with_open<T>(
        &self,
        py: Python<'_>,
        f: impl FnOnce(&mut Open) -> PyResult<T>,
    ) -> PyResult<T> {
        let mut slot = self.lock(py);
        match slot.as_mut() {
            Some(open) => f(open),
            None => Err(closed_file()),
        }
    }

    /// Emits the memory guard's warnings of the call that just returned.
    fn finish<T>(&self, py: Python<'_>, result: PyResult<T>) -> PyResult<T> {
        if self.warn_guard {
            emit_pending(py)?;
        }
        result
    }

    /// Up to `size` bytes (all that remain if negative) from the cursor.
    fn read_at_cursor<'py>(&self, py: Python<'py>, size: i64) -> PyResult<Bound<'py, PyBytes>> {
        self.with_open(py, |open| {
            self.need_readable()?;
            let h = &mut open.handle;
            let remaining = h.size().saturating_sub(h.tell());
            let want = match u64::try_from(size) {
                Ok(n) => n.min(remaining),
                Err(_) => remaining,
            };
            let want = usize::try_from(want).map_err(|_| {
                pyo3::exceptions::PyMemoryError::new_err(format!(
                    "cannot read {want} bytes of {} at once",
                    self.path
                ))
            })?;
            new_bytes(py, want, |buf| read_fully(h, buf))
        })
    }
}

/// Reads into `buf` until it is full or the file ends; the bytes read.
fn read_fully(h: &mut FileHandle, buf: &mut [u8]) -> usize {
    let mut done = 0;
    while done < buf.len() {
        match h.read(&mut buf[done..]) {
            Ok(0) | Err(_) => break,
            Ok(n) => done += n,
        }
    }
    done
}

#[pymethods]
impl PyHandle {
    /// Up to `size` bytes from the cursor; all that remain if `size` is
    /// negative or None. `b""` at the end.
    #[pyo3(signature = (size = -1))]
    fn read<'py>(&self, py: Python<'py>, size: Option<i64>) -> PyResult<Bound<'py, PyBytes>> {
        self.read_at_cursor(py, size.unwrap_or(-1))
    }

    /// Everything from the cursor to the end.
    fn readall<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyBytes>> {
        self.read_at_cursor(py, -1)
    }

    /// Reads into a writable buffer; the number of bytes read.
    fn readinto(&self, py: Python<'_>, buffer: &Bound<'_, PyAny>) -> PyResult<usize> {
        let view = PyMemoryView::from(buffer)?.call_method1("cast", ("B",))?;
        let len = i64::try_from(view.len()?).unwrap_or(i64::MAX);
        let data = self.read_at_cursor(py, len)?;
        let n = data.as_bytes().len();
        let end = isize::try_from(n).unwrap_or(isize::MAX);
        view.set_item(PySlice::new(py, 0, end, 1), data)?;
        Ok(n)
    }

    /// One line (up to and including `\n`), at most `size` bytes if given.
    #[pyo3(signature = (size = -1))]
    fn readline<'py>(&self, py: Python<'py>, size: Option<i64>) -> PyResult<Bound<'py, PyBytes>> {
        let limit = size.and_then(|s| usize::try_from(s).ok());
        self.with_open(py, |open| {
            self.need_readable()?;
            let h = &mut open.handle;
            let mut line: Vec<u8> = Vec::new();
            loop {
                let room = limit.map_or(LINE_STEP, |l| (l - line.len()).min(LINE_STEP));
                if room == 0 {
                    break;
                }
                let chunk = h.read_bytes(room).map_err(|e| to_py_err(py, e))?;
                if chunk.is_empty() {
                    break;
                }
                if let Some(i) = chunk.iter().position(|&b| b == b'\n') {
                    line.extend_from_slice(&chunk[..=i]);
                    let back = (chunk.len() - i - 1) as i64;
                    h.seek(SeekFrom::Current(-back))
                        .map_err(|e| PyValueError::new_err(e.to_string()))?;
                    break;
                }
                line.extend_from_slice(&chunk);
            }
            Ok(PyBytes::new(py, &line))
        })
    }

    /// The remaining lines; stops after the line that reaches `hint` bytes
    /// in total when `hint` is positive.
    #[pyo3(signature = (hint = -1))]
    fn readlines<'py>(&self, py: Python<'py>, hint: Option<i64>) -> PyResult<Bound<'py, PyList>> {
        let hint = hint.filter(|&h| h > 0);
        let lines = PyList::empty(py);
        let mut total = 0i64;
        loop {
            let line = self.readline(py, None)?;
            let n = line.as_bytes().len();
            if n == 0 {
                break;
            }
            lines.append(line)?;
            total = total.saturating_add(n as i64);
            if hint.is_some_and(|h| total >= h) {
                break;
            }
        }
        Ok(lines)
    }

    /// Writes a bytes-like object at the cursor (at the end in "ab"); the
    /// number of bytes written. Refused whole if it exceeds the quota.
    fn write(&self, py: Python<'_>, data: &Bound<'_, PyAny>) -> PyResult<usize> {
        let result = self.with_open(py, |open| {
            self.need_writable()?;
            let data = to_bytes(data)?;
            let promotes = open.may_promote && open.handle.tell() != open.handle.size();
            if promotes {
                open.may_promote = false;
            }
            let h = &mut open.handle;
            let written = if promotes || data.len() >= LARGE_COPY || self.warn_guard {
                let _scope = self.warn_guard.then(CallScope::enter);
                py.detach(|| h.write_bytes(data))
            } else {
                h.write_bytes(data)
            };
            written.map_err(|e| to_py_err(py, e))
        });
        self.finish(py, result)
    }

    /// Writes each bytes-like object of `lines`.
    fn writelines(&self, py: Python<'_>, lines: &Bound<'_, PyAny>) -> PyResult<()> {
        for line in lines.try_iter()? {
            self.write(py, &line?)?;
        }
        Ok(())
    }

    /// Moves the cursor (whence 0: from the start, 1: from the cursor, 2:
    /// from the end, not past it); the new position.
    #[pyo3(signature = (offset, whence = 0))]
    fn seek(&self, py: Python<'_>, offset: i64, whence: i32) -> PyResult<u64> {
        self.with_open(py, |open| {
            let target = match whence {
                0 => match u64::try_from(offset) {
                    Ok(n) => SeekFrom::Start(n),
                    Err(_) => {
                        return Err(PyValueError::new_err(format!(
                            "negative seek position {offset}"
                        )))
                    }
                },
                1 => SeekFrom::Current(offset),
                2 if offset > 0 => {
                    return Err(PyValueError::new_err(
                        "Seeking past end-of-file (SEEK_END with positive offset) \
                         is not supported in MFS.",
                    ))
                }
                2 => SeekFrom::End(offset),
                other => {
                    return Err(PyValueError::new_err(format!(
                        "Invalid whence value: {other}. Must be 0, 1, or 2."
                    )))
                }
            };
            open.handle
                .seek(target)
                .map_err(|e| PyValueError::new_err(e.to_string()))
        })
    }

    /// The cursor position.
    fn tell(&self, py: Python<'_>) -> PyResult<u64> {
        self.with_open(py, |open| Ok(open.handle.tell()))
    }

    /// Cuts or extends (with zeros) the file to `size`, or to the cursor;
    /// the new size.
    #[pyo3(signature = (size = None))]
    fn truncate(&self, py: Python<'_>, size: Option<i64>) -> PyResult<u64> {
        let result = self.with_open(py, |open| {
            self.need_writable()?;
            let size = match size.map(u64::try_from) {
                None => None,
                Some(Ok(n)) => Some(n),
                Some(Err(_)) => return Err(PyValueError::new_err("truncate size must be >= 0")),
            };
            let h = &mut open.handle;
            let _scope = self.warn_guard.then(CallScope::enter);
            // Extending allocates zeros and shrinking sequential storage
            // copies what stays: both may be large.
            py.detach(|| h.truncate(size)).map_err(|e| to_py_err(py, e))
        });
        self.finish(py, result)
    }

    /// Nothing to flush: writes are stored when `write` returns.
    fn flush(&self, py: Python<'_>) -> PyResult<()> {
        self.with_open(py, |_| Ok(()))
    }

    fn readable(&self, py: Python<'_>) -> PyResult<bool> {
        self.with_open(py, |_| Ok(self.mode.is_readable()))
    }

    fn writable(&self, py: Python<'_>) -> PyResult<bool> {
        self.with_open(py, |_| Ok(self.mode.is_writable()))
    }

    fn seekable(&self, py: Python<'_>) -> PyResult<bool> {
        self.with_open(py, |_| Ok(true))
    }

    fn isatty(&self, py: Python<'_>) -> PyResult<bool> {
        self.with_open(py, |_| Ok(false))
    }

    /// No OS file descriptor: `io.UnsupportedOperation`.
    fn fileno(&self) -> PyResult<i32> {
        Err(UnsupportedOperation::new_err("fileno"))
    }

    /// Releases the file's lock; closing again does nothing.
    fn close(&self, py: Python<'_>) {
        let open = self.lock(py).take();
        drop(open);
    }

    #[getter]
    fn closed(&self, py: Python<'_>) -> bool {
        self.lock(py).is_none()
    }

    /// The normalized path the file was opened at.
    #[getter]
    fn name(&self) -> &str {
        &self.path
    }

    /// The mode string given to `open`.
    #[getter]
    fn mode(&self) -> &'static str {
        self.mode.as_str()
    }

    fn __enter__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    #[pyo3(signature = (*_args))]
    fn __exit__(&self, py: Python<'_>, _args: &Bound<'_, pyo3::types::PyTuple>) -> bool {
        self.close(py);
        false
    }

    fn __iter__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    fn __next__<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyBytes>>> {
        let line = self.readline(py, None)?;
        Ok((!line.as_bytes().is_empty()).then_some(line))
    }

    fn __repr__(&self) -> String {
        format!(
            "<dmemfs.MemoryFileHandle name={:?} mode={:?}>",
            self.path,
            self.mode.as_str()
        )
    }
}

impl Drop for PyHandle {
    /// An unclosed handle warns as D-MemFS's does (`ResourceWarning`), then
    /// releases its lock.
    fn drop(&mut self) {
        if self.slot.get_mut().take().is_none() {
            return;
        }
        let path = &self.path;
        Python::try_attach(|py| {
            let message = std::ffi::CString::new(format!(
                "MFS MemoryFileHandle was not closed properly: {path}. \
                 Always use 'with mfs.open(...) as f:' to ensure cleanup."
            ))
            .unwrap_or_default();
            // Dealloc may run while an exception is being raised: keep it.
            let pending = PyErr::take(py);
            let category = PyResourceWarning::type_object(py);
            if let Err(e) = PyErr::warn(py, &category, &message, 1) {
                e.write_unraisable(py, None);
            }
            if let Some(pending) = pending {
                pending.restore(py);
            }
        });
    }
}
