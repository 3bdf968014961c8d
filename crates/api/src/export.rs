//! [`ExportIter`]: the lazy `iter_export_tree`.

use std::time::Duration;

use bytes::Bytes;
use dmemfs_storage_backends::Holder;

use crate::fs_core::FileRef;
use crate::Error;

/// Yields `(path, content)` for each file listed when the export began,
/// reading each under its read lock when reached; holds no lock between
/// items. Files removed meanwhile are skipped. If a lock is not acquired
/// within the timeout, iteration ends and [`ExportIter::take_error`] returns
/// the `WouldBlock` error.
#[derive(Debug)]
pub struct ExportIter {
    files: std::vec::IntoIter<(String, FileRef)>,
    timeout: Option<Duration>,
    error: Option<Error>,
}

impl ExportIter {
    pub(crate) fn new(files: Vec<(String, FileRef)>, timeout: Option<Duration>) -> Self {
        ExportIter {
            files: files.into_iter(),
            timeout,
            error: None,
        }
    }

    /// The error that ended the iteration early, if any.
    pub fn take_error(&mut self) -> Option<Error> {
        self.error.take()
    }

    /// Files not yet reached.
    pub fn remaining(&self) -> usize {
        self.files.len()
    }

    /// Ends the iteration with `error`.
    fn stop(&mut self, error: Error) -> Option<(String, Bytes)> {
        self.error = Some(error);
        self.files = Vec::new().into_iter();
        None
    }
}

impl Iterator for ExportIter {
    type Item = (String, Bytes);

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            let (path, file) = self.files.next()?;
            if file.is_unlinked() {
                continue;
            }
            // A transient hold, given back before the next item.
            let hold = match file.read_borrowed_linked(Holder::Transient, self.timeout) {
                Ok(Some(hold)) => hold,
                Ok(None) => continue,
                Err(_) => {
                    let timeout = self.timeout.unwrap_or(Duration::MAX);
                    return self.stop(Error::WouldBlock { path, timeout });
                }
            };
            match hold.storage().try_to_bytes() {
                Ok(content) => return Some((path, content)),
                Err(e) => return self.stop(Error::from_storage(&path, e)),
            }
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (0, Some(self.files.len()))
    }
}
