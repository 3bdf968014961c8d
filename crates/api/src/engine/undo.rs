//! The undo log of the mutation the writer is planning: what it reserved,
//! counted and took outside the tree, given back if the plan is dropped
//! (on an error, or a panic unwinding), made permanent by [`Undo::commit`].
//!
//! Who calls: `super::writer` alone, one mutation at a time.

use dmemfs_core_tree::NormPath;
use dmemfs_quota::QuotaReservation;
use dmemfs_storage_backends::{Busy, FileWriteHold};

use crate::fs_core::FileRef;
use crate::{Error, FsCore, Result};

/// The side effects of a planned mutation on state outside the tree. Until
/// [`Undo::commit`], dropping it undoes what the plan reserved: the
/// reservations give their bytes back, added nodes are uncounted, and the
/// holds the plan took are given back (a hold nested in one an earlier
/// mutation of the batch took leaves that one held).
pub(super) struct Undo<'a> {
    /// Borrowed, not shared: a mutation's log lives within one `apply`.
    core: &'a FsCore,
    /// Counted by the plan; uncounted on drop unless committed.
    pub(super) nodes_added: u64,
    pub(super) nodes_removed: u64,
    /// Reserved by the caller or the plan; committed with the plan.
    pub(super) charges: Vec<QuotaReservation>,
    pub(super) release: u64,
    pub(super) chunks_added: u64,
    pub(super) chunks_removed: u64,
    /// The relinker's holds on files the plan moves.
    moved: Vec<FileWriteHold>,
    /// The relinker's holds on files leaving the tree; `true` gives their
    /// charge back (imports settle replaced files through their net charge
    /// instead). Committing hands them to the writer, which frees their data
    /// when it publishes.
    unlinked: Vec<(FileWriteHold, bool)>,
}

/// Emptied buffers of committed logs, reused so that a mutation allocates
/// none for its bookkeeping.
#[derive(Default)]
pub(super) struct Spare {
    charges: Vec<QuotaReservation>,
    moved: Vec<FileWriteHold>,
    unlinked: Vec<(FileWriteHold, bool)>,
}

impl<'a> Undo<'a> {
    /// An empty log recorded into `spare`'s (empty) buffers.
    pub(super) fn new(core: &'a FsCore, spare: &mut Spare) -> Self {
        let charges = std::mem::take(&mut spare.charges);
        let moved = std::mem::take(&mut spare.moved);
        let unlinked = std::mem::take(&mut spare.unlinked);
        debug_assert!(charges.is_empty() && moved.is_empty() && unlinked.is_empty());
        Undo {
            core,
            nodes_added: 0,
            nodes_removed: 0,
            charges,
            release: 0,
            chunks_added: 0,
            chunks_removed: 0,
            moved,
            unlinked,
        }
    }

    /// Holds `file`, which the plan moves, until the batch is published.
    pub(super) fn hold_moved(&mut self, file: &FileRef, path: &NormPath) -> Result<()> {
        self.moved.push(relink(file, path)?);
        Ok(())
    }

    /// Holds `file`, which leaves the tree, until the batch is published;
    /// `discharge` gives its whole charge back when the plan commits.
    pub(super) fn unlink(
        &mut self,
        file: &FileRef,
        path: &NormPath,
        discharge: bool,
    ) -> Result<()> {
        self.unlinked.push((relink(file, path)?, discharge));
        Ok(())
    }

    /// Makes the side effects; straight-line code that cannot fail. Moves
    /// the holds to the batch's `held` (moved files) and `unlinked` (files
    /// whose data goes at publication), and the emptied buffers to `spare`.
    pub(super) fn commit(
        mut self,
        held: &mut Vec<FileWriteHold>,
        unlinked: &mut Vec<FileWriteHold>,
        spare: &mut Spare,
    ) {
        self.nodes_added = 0;
        let core = self.core;
        core.nodes.remove(self.nodes_removed);
        for charge in self.charges.drain(..) {
            charge.commit();
        }
        let ledger = &core.ledger;
        ledger.release(self.release);
        ledger.add_chunks(self.chunks_added);
        ledger.remove_chunks(self.chunks_removed);
        held.append(&mut self.moved);
        for (hold, discharge) in self.unlinked.drain(..) {
            if discharge {
                hold.discharge_from(ledger);
            }
            unlinked.push(hold);
        }
        spare.charges = std::mem::take(&mut self.charges);
        spare.moved = std::mem::take(&mut self.moved);
        spare.unlinked = std::mem::take(&mut self.unlinked);
    }
}

impl Drop for Undo<'_> {
    fn drop(&mut self) {
        self.core.nodes.remove(self.nodes_added);
    }
}

/// The relinker's hold on `file`: `ResourceBusy` naming `path` when a
/// handle has the file.
fn relink(file: &FileRef, path: &NormPath) -> Result<FileWriteHold> {
    file.relink().map_err(|Busy| Error::ResourceBusy {
        path: path.to_string(),
    })
}
