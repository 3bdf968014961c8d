//! Typed requests: each structural mutation paired with the one answer it
//! can get, so a caller never matches answers of other mutations.
//!
//! The writer and the actor's channel carry the untyped [`Mutation`] and
//! [`Outcome`]; [`Request`] binds each mutation's constructor to its answer
//! type, and [`Engine::run`] takes that answer out of the writer's reply, a
//! match the compiler sees through (no cost over matching by hand).

use std::marker::PhantomData;

use dmemfs_core_tree::{NormPath, Subtree};
use dmemfs_quota::QuotaReservation;

use super::{Created, Engine, Mutation, OnExists, OnFileExists, Outcome};
use crate::fs_core::FileRef;
use crate::{Error, Result};

/// A mutation whose answer is an `O`.
#[derive(Debug)]
pub(crate) struct Request<O> {
    mutation: Mutation,
    answer: PhantomData<fn() -> O>,
}

/// An answer a mutation can get, taken out of the writer's [`Outcome`].
pub(crate) trait Answer: Sized {
    /// The answer in `outcome`; `None` only if the writer answered with
    /// another kind, which it never does.
    fn from_outcome(outcome: Outcome) -> Option<Self>;
}

impl Answer for () {
    fn from_outcome(outcome: Outcome) -> Option<Self> {
        matches!(outcome, Outcome::Done).then_some(())
    }
}

impl Answer for Created {
    fn from_outcome(outcome: Outcome) -> Option<Self> {
        match outcome {
            Outcome::Created(created) => Some(created),
            _ => None,
        }
    }
}

/// How many files an import linked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Imported(pub(crate) u64);

impl Answer for Imported {
    fn from_outcome(outcome: Outcome) -> Option<Self> {
        match outcome {
            Outcome::Imported(n) => Some(Imported(n)),
            _ => None,
        }
    }
}

impl<O> Request<O> {
    fn new(mutation: Mutation) -> Self {
        Request {
            mutation,
            answer: PhantomData,
        }
    }
}

impl Request<Created> {
    /// Link the new `file` at `path`, paid for by `charge` (committed only
    /// if the file is linked); see [`OnExists`] for a path already taken.
    pub(crate) fn create_file(
        path: NormPath,
        file: FileRef,
        charge: QuotaReservation,
        on_exists: OnExists,
    ) -> Self {
        Self::new(Mutation::CreateFile {
            path,
            file,
            charge,
            on_exists,
        })
    }
}

impl Request<()> {
    /// Create the directory `path` and its missing parents.
    pub(crate) fn mkdir(path: NormPath, exist_ok: bool) -> Self {
        Self::new(Mutation::Mkdir { path, exist_ok })
    }

    /// Unlink the file at `path`, which no handle may hold.
    pub(crate) fn remove(path: NormPath) -> Self {
        Self::new(Mutation::Remove { path })
    }

    /// Unlink the directory at `path` and everything below it.
    pub(crate) fn remove_tree(path: NormPath) -> Self {
        Self::new(Mutation::RemoveTree { path })
    }

    /// Move `src` to `dst`, making `dst`'s missing parents if asked.
    pub(crate) fn rename(src: NormPath, dst: NormPath, create_parents: bool) -> Self {
        Self::new(Mutation::Rename {
            src,
            dst,
            create_parents,
        })
    }

    /// Link the copied `subtree` at `dst`, paid for by `charge`.
    pub(crate) fn graft(
        dst: NormPath,
        subtree: Subtree<FileRef>,
        charge: QuotaReservation,
    ) -> Self {
        Self::new(Mutation::Graft {
            dst,
            subtree,
            charge,
        })
    }
}

impl Request<Imported> {
    /// Create `dirs`, then link `files`, all or nothing; see
    /// [`Mutation::Import`].
    pub(crate) fn import(
        files: Vec<(NormPath, FileRef)>,
        dirs: Vec<NormPath>,
        on_file: OnFileExists,
        prepaid: QuotaReservation,
    ) -> Self {
        Self::new(Mutation::Import {
            files,
            dirs,
            on_file,
            prepaid,
        })
    }
}

impl Engine {
    /// Applies `request` like [`Engine::apply`] and returns its answer.
    pub(crate) fn run<O: Answer>(&self, request: Request<O>) -> Result<O> {
        let operation = request.mutation.name();
        let outcome = self.apply(request.mutation)?;
        O::from_outcome(outcome).ok_or_else(|| Error::Internal {
            operation: operation.to_owned(),
        })
    }
}
