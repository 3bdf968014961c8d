//! Error types of the tree.
//!
//! Invariant: every error names the path (or pattern) it is about, as the
//! caller wrote it after normalization, so a message is useful on its own
//! without the call that produced it.
//!
//! Who may call: the tree's modules build these errors; users match on
//! them (the api crate turns them into its own error type).

use thiserror::Error;

/// Why a string is not a valid path.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum PathError {
    /// The path contains a NUL byte, which no component may hold.
    #[error("path contains a NUL byte: {path:?}")]
    Nul {
        /// The path as given.
        path: String,
    },
    /// A `..` component would climb above the root.
    #[error("path escapes the root directory: {path}")]
    EscapesRoot {
        /// The path as given.
        path: String,
    },
}

/// Why a tree operation failed. A failed mutation leaves the tree unchanged.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum TreeError {
    /// Nothing exists at the path.
    #[error("no such file or directory: {path}")]
    NotFound {
        /// The path that was looked for.
        path: String,
    },
    /// Something already exists at the path.
    #[error("file exists: {path}")]
    AlreadyExists {
        /// The path that is taken.
        path: String,
    },
    /// A directory was needed but the path is a file.
    #[error("not a directory: {path}")]
    NotADirectory {
        /// The path (often a prefix of the one asked for) that is a file.
        path: String,
    },
    /// A file was needed but the path is a directory.
    #[error("is a directory: {path}")]
    IsADirectory {
        /// The path that is a directory.
        path: String,
    },
    /// A directory cannot be moved to itself or below itself.
    #[error("cannot move {src} into its own subtree: {dst}")]
    IntoOwnSubtree {
        /// The directory being moved.
        src: String,
        /// The destination, which lies inside `src`.
        dst: String,
    },
    /// The operation cannot be applied to the root directory.
    #[error("operation not permitted on the root directory: {path}")]
    RootNotAllowed {
        /// The path given (always the root).
        path: String,
    },
    /// The path (or glob pattern) could not be normalized.
    #[error(transparent)]
    InvalidPath(#[from] PathError),
    /// A glob pattern component could not be compiled.
    #[error("invalid glob pattern {pattern:?}: {reason}")]
    InvalidPattern {
        /// The pattern as given.
        pattern: String,
        /// What is wrong with it.
        reason: String,
    },
}

impl TreeError {
    pub(crate) fn not_found(path: &str) -> Self {
        TreeError::NotFound {
            path: path.to_owned(),
        }
    }

    pub(crate) fn already_exists(path: &str) -> Self {
        TreeError::AlreadyExists {
            path: path.to_owned(),
        }
    }

    pub(crate) fn not_a_directory(path: &str) -> Self {
        TreeError::NotADirectory {
            path: path.to_owned(),
        }
    }

    pub(crate) fn is_a_directory(path: &str) -> Self {
        TreeError::IsADirectory {
            path: path.to_owned(),
        }
    }

    pub(crate) fn root_not_allowed() -> Self {
        TreeError::RootNotAllowed {
            path: "/".to_owned(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_name_the_path() {
        assert_eq!(
            TreeError::not_found("/a/b").to_string(),
            "no such file or directory: /a/b"
        );
        assert_eq!(
            TreeError::not_a_directory("/f").to_string(),
            "not a directory: /f"
        );
        let nul = PathError::Nul {
            path: "a\0b".to_owned(),
        };
        assert_eq!(nul.to_string(), r#"path contains a NUL byte: "a\0b""#);
        let wrapped = TreeError::from(PathError::EscapesRoot {
            path: "/..".to_owned(),
        });
        assert_eq!(wrapped.to_string(), "path escapes the root directory: /..");
    }
}
