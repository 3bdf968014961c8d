//! The messages a caller sends to the tree writer.

use dmemfs_core_tree::{NormPath, Subtree};
use dmemfs_quota::QuotaReservation;

use crate::fs_core::FileRef;

/// One structural change. Everything that can be prepared without the tree
/// (reading sources, building file nodes, reserving quota) is prepared by the
/// caller, so the writer only checks and links.
#[derive(Debug)]
pub(crate) enum Mutation {
    /// Link a new file. `charge` pays for its content and is committed only
    /// if the file is linked.
    CreateFile {
        path: NormPath,
        file: FileRef,
        charge: QuotaReservation,
        on_exists: OnExists,
    },
    /// Create a directory and its missing parents.
    Mkdir { path: NormPath, exist_ok: bool },
    /// Unlink a file that nobody holds open.
    Remove { path: NormPath },
    /// Unlink a directory and everything below it, if no file below is open.
    RemoveTree { path: NormPath },
    /// Move a file or directory; `create_parents` makes `dst`'s missing parents.
    Rename {
        src: NormPath,
        dst: NormPath,
        create_parents: bool,
    },
    /// Link a copied directory tree at `dst`, paid for by `charge`.
    Graft {
        dst: NormPath,
        subtree: Subtree<FileRef>,
        charge: QuotaReservation,
    },
    /// Create every directory in `dirs` (and its parents), then link every
    /// file (creating parents; an existing file is replaced if it is not
    /// open, kept, or an error, as `on_file` says), all or nothing. The
    /// caller reserved `prepaid` for the net change in quota it estimated
    /// before building the files; the writer settles it to the exact net
    /// change (taking more, or giving some back).
    Import {
        files: Vec<(NormPath, FileRef)>,
        dirs: Vec<NormPath>,
        on_file: OnFileExists,
        prepaid: QuotaReservation,
    },
}

/// What `Import` does with a file that already exists at a path it imports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum OnFileExists {
    /// Replace it (`import_tree`).
    Replace,
    /// Keep it and leave the imported file out.
    Keep,
    /// Fail with `AlreadyExists`, changing nothing.
    Fail,
}

impl Mutation {
    /// The operation's name, for [`crate::Error::Internal`].
    pub(crate) fn name(&self) -> &'static str {
        match self {
            Mutation::CreateFile { .. } => "create file",
            Mutation::Mkdir { .. } => "mkdir",
            Mutation::Remove { .. } => "remove",
            Mutation::RemoveTree { .. } => "rmtree",
            Mutation::Rename { .. } => "rename",
            Mutation::Graft { .. } => "copy_tree",
            Mutation::Import { .. } => "import_tree",
        }
    }
}

/// What `CreateFile` does when something is already at the path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum OnExists {
    /// Fail with `AlreadyExists`.
    Fail,
    /// Succeed with [`Created::Exists`] when a file is there, so the caller
    /// can open it instead.
    Report,
}

/// What the writer answers a mutation with: the answer of its own kind (see
/// [`super::Request`], which gives each caller only the answer its mutation
/// can get).
#[derive(Debug)]
pub(crate) enum Outcome {
    /// What every mutation but `CreateFile` and `Import` answers.
    Done,
    /// What `CreateFile` did.
    Created(Created),
    /// `Import` linked this many files.
    Imported(u64),
}

/// What `CreateFile` did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Created {
    /// The file is linked at its path.
    Linked,
    /// With [`OnExists::Report`]: a file was at the path already, and the new
    /// one was not linked.
    Exists,
}
