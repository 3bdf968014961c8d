//! The writer's working tree and its twin: left-right publication.
//!
//! A persistent tree shared with a published snapshot is edited by copying
//! the nodes on the edited path (and freeing the replaced ones once the
//! snapshot goes): most of a create's cost in a large directory. So the
//! writer keeps two trees. It edits one in place while readers see the
//! other; publishing swaps the edited tree into `published`, and the tree
//! the swap hands back becomes the *twin*: as soon as no reader holds it
//! (`Arc::get_mut`, tried right after the swap and again at the start of
//! each mutation), the journal of the steps it lacks is replayed on it, in
//! place too, and it becomes the working tree. Until then the writer edits
//! a copy of the published tree, copying nodes as it edits them (as a
//! persistent tree is edited); the twin waits, with the journal growing, up
//! to [`JOURNAL_LIMIT`] (its steps and the entries they hold). Nodes the
//! twins still share (at the start, and those a copy edited) are copied on
//! their first edit in each twin, after which each twin edits its own in
//! place.
//!
//! Invariants:
//! - the working tree is reachable by no reader: readers only reach what
//!   `published` held, and the working tree is either a twin no one else
//!   held (`Arc::get_mut` succeeded) or, until the first edit after a
//!   publication, the published tree itself, which that edit copies
//!   (`Arc::make_mut`, O(1) for a persistent tree);
//! - `journal` holds the steps made to the working tree since it was equal
//!   to the twin; without a twin, since the last publication. The steps
//!   since the last publication start at `published_at`, so when the twin
//!   catches up, the steps before are forgotten and the rest are what the
//!   tree that the next publication hands back will lack;
//! - a mutation given up is rolled back in place and its steps are
//!   forgotten, so they neither reach the twin nor keep alive what they
//!   held (the files a failed import meant to link);
//! - no reader's thread frees a twin: a twin given up (its journal too long)
//!   is kept in `retired` and freed here once no reader holds it. What a
//!   reader may free, when it lets go of the last snapshot it held, is a
//!   tree that shares all but one batch's edits with the working tree, as
//!   before twin trees.
//!
//! Who may call: the [`TreeWriter`](super::writer::TreeWriter) only, which
//! is the single writer of `published`.

use std::fmt;

use dmemfs_core_tree::{Journal, JournalMark, Journaled, Tree};

use crate::fs_core::FileRef;
use crate::sync::{Arc, Published};

/// The most the journal may hold for a twin that a reader still holds
/// (its [`weight`](Journal::weight): steps, and the entries of the
/// directories they added or dropped), before the writer gives that twin up
/// and takes the next one: a long `walk` can hold a snapshot for as long as
/// it likes, and the journal must not grow with it, nor keep alive more
/// than a bounded number of entries (file records) the tree no longer
/// holds.
pub(crate) const JOURNAL_LIMIT: usize = 1 << 14;

/// The tree the writer edits, its twin, and the journal between them.
pub(crate) struct WorkingTree {
    tree: Arc<Tree<FileRef>>,
    journal: Journal<FileRef>,
    published_at: JournalMark,
    twin: Option<Arc<Tree<FileRef>>>,
    retired: Vec<Arc<Tree<FileRef>>>,
    /// Whether a mutation committed a change since the last publication.
    changed: bool,
}

impl fmt::Debug for WorkingTree {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WorkingTree")
            .field("files", &self.tree.file_count())
            .field("dirs", &self.tree.dir_count())
            .field("journal", &self.journal.len())
            .field("twin", &self.twin.is_some())
            .field("retired", &self.retired.len())
            .finish()
    }
}

impl WorkingTree {
    /// Starts from the published tree, shared until the first edit.
    pub(crate) fn new(published: &Published<Tree<FileRef>>) -> Self {
        let journal = Journal::new();
        WorkingTree {
            tree: published.load_full(),
            published_at: journal.mark(),
            journal,
            twin: None,
            retired: Vec::new(),
            changed: false,
        }
    }

    /// The working tree as edited so far.
    pub(crate) fn tree(&self) -> &Tree<FileRef> {
        &self.tree
    }

    /// Starts a mutation: takes the twin as the working tree if no reader
    /// holds it any more, and returns the point to roll back to if the
    /// mutation is given up.
    pub(crate) fn begin(&mut self) -> JournalMark {
        self.free_retired();
        self.catch_up();
        self.journal.mark()
    }

    /// The working tree, to edit: each step is made in place (unless a
    /// snapshot still shares the node) and journaled.
    pub(crate) fn edit(&mut self) -> Journaled<'_, FileRef> {
        Arc::make_mut(&mut self.tree).journaled(&mut self.journal)
    }

    /// Ends the mutation begun at `mark`, which committed.
    pub(crate) fn commit(&mut self, mark: JournalMark) {
        self.changed |= self.journal.mark() != mark;
    }

    /// Undoes every step made since `mark` (the mutation begun there was
    /// given up).
    pub(crate) fn roll_back(&mut self, mark: JournalMark) {
        if self.journal.mark() != mark {
            Arc::make_mut(&mut self.tree).roll_back(&mut self.journal, mark);
        }
    }

    /// Publishes the working tree if a mutation changed it since the last
    /// publication, keeping the tree the swap hands back as the twin (or,
    /// when an older twin still waits for a reader, letting it go: it
    /// shares all but this batch's edits with the working tree).
    pub(crate) fn publish(&mut self, published: &Published<Tree<FileRef>>) {
        self.free_retired();
        if !self.changed {
            return;
        }
        self.changed = false;
        let previous = published.swap(Arc::clone(&self.tree));
        if self.twin.is_none() {
            // The journal holds what `previous` lacks: the steps since it
            // was published.
            self.twin = Some(previous);
        } else if self.journal.weight() > JOURNAL_LIMIT {
            // Give the waiting twin up for `previous`, which lacks only the
            // steps since the last publication.
            self.retired.extend(self.twin.replace(previous));
            self.journal.forget_before(self.published_at);
        }
        self.published_at = self.journal.mark();
        // Mostly no reader holds the twin by now: catch it up at once, so
        // the journal lets go of the files the batch unlinked before the
        // writer frees their data.
        self.catch_up();
    }

    /// Frees, on this thread, the twins given up earlier that readers have
    /// let go of.
    fn free_retired(&mut self) {
        self.retired.retain(|tree| Arc::strong_count(tree) > 1);
    }

    /// Makes the twin the working tree, replayed up to date, if no reader
    /// holds it.
    fn catch_up(&mut self) {
        let Some(twin) = self.twin.as_mut().and_then(Arc::get_mut) else {
            return;
        };
        let caught_up = twin.replay_and_forget_before(&mut self.journal, self.published_at);
        let twin = self.twin.take();
        if let (true, Some(twin)) = (caught_up, twin) {
            // The tree dropped here is the published one (a count) or a
            // copy of it made while the twin was held (this batch's edits).
            self.tree = twin;
        }
        // Either way the journal now holds only what the tree the next
        // publication hands back lacks. (A replay that failed would be a
        // broken invariant of the journal; the twin, which no one else
        // held, is dropped and the writer goes on from its working tree.)
        self.published_at = self.journal.first_mark();
    }
}

#[cfg(all(test, not(loom)))]
mod tests;
