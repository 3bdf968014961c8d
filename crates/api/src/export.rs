//! [`ExportIter`]: the lazy `iter_export_tree`.

use std::time::Duration;

use bytes::Bytes;

use crate::node::FileRef;
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
}

impl Iterator for ExportIter {
    type Item = (String, Bytes);

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            let (path, file) = self.files.next()?;
            if file.is_unlinked() {
                continue;
            }
            if file.lock.read(self.timeout).is_err() {
                self.error = Some(Error::WouldBlock {
                    path,
                    timeout: self.timeout.unwrap_or(Duration::MAX),
                });
                self.files = Vec::new().into_iter();
                return None;
            }
            let content = (!file.is_unlinked()).then(|| file.content(&path));
            file.lock.unlock_read();
            match content {
                Some(Ok(content)) => return Some((path, content)),
                Some(Err(e)) => {
                    self.error = Some(e);
                    self.files = Vec::new().into_iter();
                    return None;
                }
                None => {}
            }
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (0, Some(self.files.len()))
    }
}
