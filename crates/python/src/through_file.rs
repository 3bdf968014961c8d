//! D-MemFS's errors for a path that passes through a file (`/f/x` where
//! `/f` is a file).
//!
//! The engine reports `NotADirectory` naming the file in the way. D-MemFS
//! treats such a path as missing (`FileNotFoundError`) when it looks it up
//! or creates a file there, and as taken (`FileExistsError`) when it creates
//! directories along it; `NotADirectoryError` is only for a path that *is*
//! a file where a directory is needed (`listdir("/f")`). The binding maps
//! the engine's error per operation with these helpers.

use dmemfs::Error;

/// `NotADirectory` on the way to `path` as `NotFound { path }`.
pub(crate) fn as_missing(err: Error, path: &str) -> Error {
    match err {
        Error::NotADirectory { .. } => Error::NotFound {
            path: path.to_owned(),
        },
        other => other,
    }
}

/// `NotADirectory` as `AlreadyExists`, naming the file in the way.
pub(crate) fn as_taken(err: Error) -> Error {
    match err {
        Error::NotADirectory { path } => Error::AlreadyExists { path },
        other => other,
    }
}

/// For operations on a directory at `path`: `NotADirectory` stays when
/// `path` itself is a file (`path_is_file`), and is `NotFound` otherwise.
pub(crate) fn unless_file(err: Error, path: &str, path_is_file: impl FnOnce() -> bool) -> Error {
    match err {
        Error::NotADirectory { .. } if path_is_file() => err,
        other => as_missing(other, path),
    }
}

/// Whether `err` says the path passes through a file.
pub(crate) fn is_through_file(err: &Error) -> bool {
    matches!(err, Error::NotADirectory { .. })
}
