//! Where structural mutations are applied: by one writer thread fed through a
//! channel ([`Concurrency::Actor`]) or inline under one lock
//! ([`Concurrency::GlobalLock`]). Both run the same [`TreeWriter`], so the
//! two strategies differ only in how a mutation reaches it.

mod actor;
mod mutation;
pub(crate) mod reply;
mod request;
mod undo;
mod working_tree;
mod writer;

pub(crate) use mutation::{Created, Mutation, OnExists, OnFileExists, Outcome};
pub(crate) use request::{Answer, Imported, Request};
pub(crate) use writer::TreeWriter;

use crate::sync::{lock, Arc, Mutex};
use crate::{Concurrency, FsCore, Result};

/// The applier of one filesystem's structural mutations.
#[derive(Debug)]
pub(crate) enum Engine {
    Actor(actor::ActorEngine),
    GlobalLock(Mutex<TreeWriter>),
}

impl Engine {
    pub(crate) fn start(core: Arc<FsCore>, concurrency: Concurrency) -> Result<Engine> {
        let writer = TreeWriter::new(core);
        match concurrency {
            Concurrency::GlobalLock => Ok(Engine::GlobalLock(Mutex::new(writer))),
            Concurrency::Actor => Ok(Engine::Actor(actor::ActorEngine::spawn(writer)?)),
        }
    }

    /// Applies `mutation` and returns once its result is published: a caller
    /// always sees its own change in the next snapshot it loads.
    pub(crate) fn apply(&self, mutation: Mutation) -> Result<Outcome> {
        match self {
            Engine::Actor(actor) => actor.call(mutation),
            Engine::GlobalLock(writer) => {
                // A panic escaping here poisons the lock, which `lock`
                // ignores: the writer is left consistent.
                let mut writer = lock(writer);
                writer.before_mutation();
                let outcome = writer.apply_caught(mutation);
                writer.publish();
                outcome
            }
        }
    }
}
