//! The writer's working tree and its twin: left-right publication.
//!
//! A persistent tree shared with a published snapshot is edited by copying
//! the nodes on the edited path (and freeing the replaced ones once the
//! snapshot goes): most of a create's cost. So the writer keeps two trees.
//! It edits one in place while readers see the other; publishing moves the
//! edited tree into `published`, and the tree the swap hands back, once no
//! reader holds it, is brought up to date by replaying the batch's journal
//! on it, in place again, and becomes the next working tree. Neither tree
//! copies a node while no reader or snapshot holds it.
//!
//! Invariants:
//! - the working tree is reachable by no reader: readers only reach what
//!   `published` held, and the working tree is either a tree the swap handed
//!   back with no other holder (`Arc::get_mut` succeeded, see
//!   `Published::swap`) or, when a reader still held that one, the published
//!   tree itself, which the first edit copies (`Arc::make_mut`) as a
//!   persistent tree is copied: in O(1), sharing every node until it is
//!   edited;
//! - the journal holds every step made to the working tree since it was
//!   last equal to the published tree, so replaying it on the tree handed
//!   back by the next swap (equal to the published one when it was
//!   published) makes that tree equal to the working tree;
//! - an edit given up is rolled back in place and its undoing steps stay in
//!   the journal, so the replay does what the working tree went through.
//!
//! Who may call: the [`TreeWriter`](super::writer::TreeWriter) only, which
//! is the single writer of `published`.

use std::fmt;

use dmemfs_core_tree::{Journal, JournalMark, Journaled, Tree};

use crate::fs_core::FileRef;
use crate::sync::{Arc, Published};

/// The tree the writer edits, and the journal of its edits since it was
/// last equal to the published tree.
pub(crate) struct WorkingTree {
    tree: Arc<Tree<FileRef>>,
    journal: Journal<FileRef>,
}

impl fmt::Debug for WorkingTree {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WorkingTree")
            .field("files", &self.tree.file_count())
            .field("dirs", &self.tree.dir_count())
            .field("journal", &self.journal.len())
            .finish()
    }
}

impl WorkingTree {
    /// Starts from the published tree, shared until the first edit.
    pub(crate) fn new(published: &Published<Tree<FileRef>>) -> Self {
        WorkingTree {
            tree: published.load_full(),
            journal: Journal::new(),
        }
    }

    /// The working tree as edited so far.
    pub(crate) fn tree(&self) -> &Tree<FileRef> {
        &self.tree
    }

    /// The working tree, to edit: each step is made in place (unless a
    /// snapshot still shares the node) and journaled.
    pub(crate) fn edit(&mut self) -> Journaled<'_, FileRef> {
        Arc::make_mut(&mut self.tree).journaled(&mut self.journal)
    }

    /// The point to roll back to if the next edit is given up.
    pub(crate) fn mark(&self) -> JournalMark {
        self.journal.mark()
    }

    /// Undoes every step made since `mark`.
    pub(crate) fn roll_back(&mut self, mark: JournalMark) {
        if self.journal.mark() != mark {
            Arc::make_mut(&mut self.tree).roll_back(&mut self.journal, mark);
        }
    }

    /// Publishes the working tree if any step was made since the last
    /// publication, then makes the tree it replaces the working tree,
    /// replayed up to date, if no reader holds it any more; else works on
    /// from the published tree.
    pub(crate) fn publish(&mut self, published: &Published<Tree<FileRef>>) {
        if self.journal.is_empty() {
            return;
        }
        let mut previous = published.swap(Arc::clone(&self.tree));
        let caught_up = match Arc::get_mut(&mut previous) {
            Some(twin) => twin.replay(&mut self.journal),
            None => false,
        };
        if caught_up {
            self.tree = previous;
        } else {
            // A reader holds the previous tree (or it was no twin: a broken
            // invariant, but one this recovers from): the next edit copies
            // the published tree.
            self.journal.clear();
        }
    }
}
