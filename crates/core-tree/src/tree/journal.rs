//! Steps and the journal: every change an edit makes to a tree is one of
//! four steps (link a name in a directory, unlink it, add a directory, drop
//! one), made here and nowhere else. A step keeps the tree's counts, and an
//! editor that journals appends each step it makes to a [`Journal`], so
//! that
//! - the steps after a [`JournalMark`] can be undone ([`Tree::roll_back`]),
//!   which lets an owner edit its tree in place and still give up an edit
//!   that fails halfway, instead of editing a copy;
//! - a second tree that was equal to the first when the journal began
//!   becomes equal to it again by replaying the journal ([`Tree::replay`]),
//!   in place: the writer's twin trees (one published to readers while the
//!   other is edited) stay equal this way, and neither copies a node while
//!   no reader holds it.
//!
//! Invariant: a journal holds the steps made to one tree, oldest first,
//! except those a roll-back undid (it forgets them: the tree then holds
//! what it held before them, and hands out directory ids in the order it
//! would have, see [`Tree::roll_back`]), so replaying it from an equal
//! start gives an equal tree: the same names under the same directories,
//! and the same directory ids handed out in the same order.
//!
//! Who may call: the tree's edits (`edit`, `subtree`) make steps through
//! their [`Editor`]; the tree's owner holds the journal.

use std::sync::Arc;

use super::name_map::SharedLeaf;
use super::{DirId, DirNode, Entry, Name, Tree};

/// The steps a journaling editor made to one tree, oldest first (see the
/// module documentation).
#[derive(Debug)]
pub struct Journal<F> {
    steps: Vec<Step<F>>,
    /// What the steps hold: one per step, plus the entries of each
    /// directory an `AddDir` or `DropDir` holds (see [`Journal::weight`]).
    weight: usize,
}

/// A point in a [`Journal`] to roll back to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct JournalMark(usize);

/// One change of a tree, with what it replaced so that it can be undone.
#[derive(Clone, Debug)]
pub(super) enum Step<F> {
    /// `name` in `dir` now holds `entry`, and held `old`; in a large
    /// directory, `leaf` is the entry's leaf, for a twin to share.
    Link {
        dir: DirId,
        name: Name,
        entry: Entry<F>,
        old: Option<Entry<F>>,
        leaf: Option<SharedLeaf<F>>,
    },
    /// `name` in `dir`, which held `old`, was taken out.
    Unlink {
        dir: DirId,
        name: Name,
        old: Entry<F>,
    },
    /// The directory `node` was stored under `id`.
    AddDir { id: DirId, node: DirNode<F> },
    /// The directory `node` under `id` was taken out of the tree.
    DropDir { id: DirId, node: Arc<DirNode<F>> },
}

impl<F> Default for Journal<F> {
    fn default() -> Self {
        Journal {
            steps: Vec::new(),
            weight: 0,
        }
    }
}

impl<F> Journal<F> {
    /// An empty journal.
    pub fn new() -> Self {
        Self::default()
    }

    /// Whether no step was recorded since the journal began or was cleared.
    pub fn is_empty(&self) -> bool {
        self.steps.is_empty()
    }

    /// How many steps it holds.
    pub fn len(&self) -> usize {
        self.steps.len()
    }

    /// How much the steps hold: one per step, plus one per entry of each
    /// directory a step added or dropped (a `copy_tree` of a directory of
    /// a thousand files is two steps holding a thousand entries). A bound
    /// on it bounds what a journal keeps alive.
    pub fn weight(&self) -> usize {
        self.weight
    }

    /// The current end of the journal, to roll back to.
    pub fn mark(&self) -> JournalMark {
        JournalMark(self.steps.len())
    }

    /// Forgets every step, as [`forget_before`](Self::forget_before) the
    /// end does.
    pub fn clear(&mut self) {
        self.forget_before(self.mark());
    }

    /// The mark of the journal's first step (of its end when empty).
    pub fn first_mark(&self) -> JournalMark {
        JournalMark(0)
    }

    /// Forgets the steps before `mark` (a tree that replays the journal
    /// from now on starts where `mark` was), dropping what they kept alive:
    /// replaced entries, dropped directories. Marks taken before are
    /// meaningless afterwards: the step that was at `mark` is now at
    /// [`first_mark`](Self::first_mark). An emptied journal keeps memory for at most
    /// [`RETAINED_STEPS`] steps, so one huge batch does not hold memory for
    /// the writer's whole life.
    pub fn forget_before(&mut self, mark: JournalMark) {
        let forgotten: usize = self
            .steps
            .drain(..mark.0.min(self.steps.len()))
            .map(|step| step.weight())
            .sum();
        self.weight -= forgotten;
        self.give_back_memory_if_empty();
    }

    /// Keeps room for at most [`RETAINED_STEPS`] steps once the journal is
    /// empty.
    fn give_back_memory_if_empty(&mut self) {
        if self.steps.is_empty() {
            self.steps.shrink_to(RETAINED_STEPS);
        }
    }
}

/// The most steps an emptied journal keeps room for.
pub const RETAINED_STEPS: usize = 1024;

/// Where an editor's steps go: a journal, or nowhere.
pub(super) trait Record<F> {
    /// Whether steps are recorded; when `false`, building a step's record
    /// compiles away.
    const ON: bool;

    fn push(&mut self, step: Step<F>);
}

/// Edits made without a journal, as by the tree's own methods.
pub(super) struct Unrecorded;

impl<F> Record<F> for Unrecorded {
    const ON: bool = false;

    fn push(&mut self, _: Step<F>) {}
}

impl<F> Record<F> for &mut Journal<F> {
    const ON: bool = true;

    fn push(&mut self, step: Step<F>) {
        self.weight += step.weight();
        self.steps.push(step);
    }
}

/// A tree being edited, and where its steps are recorded.
pub(super) struct Editor<'t, F, R> {
    pub(super) tree: &'t mut Tree<F>,
    record: R,
}

impl<'t, F: Clone, R: Record<F>> Editor<'t, F, R> {
    pub(super) fn new(tree: &'t mut Tree<F>, record: R) -> Self {
        Editor { tree, record }
    }

    /// Stores `entry` under `name` in `dir`, returning the entry it
    /// replaced.
    pub(super) fn link(&mut self, dir: DirId, name: Name, entry: Entry<F>) -> Option<Entry<F>> {
        self.link_from(dir, name, entry, None)
    }

    /// [`link`](Self::link), placing the entry in `leaf` (made by a twin's
    /// directory) when this directory is large too.
    fn link_from(
        &mut self,
        dir: DirId,
        name: Name,
        entry: Entry<F>,
        leaf: Option<SharedLeaf<F>>,
    ) -> Option<Entry<F>> {
        let adds_file = is_file(Some(&entry));
        let tree = &mut *self.tree;
        let (old, recorded) = if R::ON {
            let record = (name.clone(), entry.clone());
            let (old, leaf) = tree
                .dirs
                .get_mut(dir.0)
                .map(|node| node.children.insert_shared(name, entry, &tree.seed))
                .unwrap_or_else(|| super::missing_dir(dir));
            (old, Some((record, leaf)))
        } else {
            let node = match tree.dirs.get_mut(dir.0) {
                Some(node) => node,
                None => super::missing_dir(dir),
            };
            (
                node.children.insert_from(name, entry, leaf, &tree.seed),
                None,
            )
        };
        tree.file_count = tree.file_count + u64::from(adds_file) - u64::from(is_file(old.as_ref()));
        if let Some(((name, entry), leaf)) = recorded {
            let old = old.clone();
            self.record.push(Step::Link {
                dir,
                name,
                entry,
                old,
                leaf,
            });
        }
        old
    }

    /// Takes the entry named `name` out of `dir`.
    pub(super) fn unlink(&mut self, dir: DirId, name: &str) -> Option<Entry<F>> {
        let old = self.tree.node_mut(dir).children.remove(name)?;
        self.tree.file_count -= u64::from(is_file(Some(&old)));
        if R::ON {
            self.record.push(Step::Unlink {
                dir,
                name: Name::from(name),
                old: old.clone(),
            });
        }
        Some(old)
    }

    /// Stores the new directory `node` (which no entry names yet) and
    /// returns its id.
    pub(super) fn add_dir(&mut self, node: DirNode<F>) -> DirId {
        let files = files_in(&node);
        let record = R::ON.then(|| node.clone());
        let id = DirId(self.tree.dirs.insert(node));
        self.tree.dir_count += 1;
        self.tree.file_count += files;
        if let Some(node) = record {
            self.record.push(Step::AddDir { id, node });
        }
        id
    }

    /// Takes the directory `id` (which no entry names any more) out of the
    /// tree, with the files it holds.
    pub(super) fn drop_dir(&mut self, id: DirId) -> Option<Arc<DirNode<F>>> {
        let node = self.tree.dirs.remove(id.0)?;
        self.tree.dir_count -= 1;
        self.tree.file_count -= files_in(&node);
        if R::ON {
            self.record.push(Step::DropDir {
                id,
                node: Arc::clone(&node),
            });
        }
        Some(node)
    }
}

impl<F> Step<F> {
    /// What the step holds, as [`Journal::weight`] counts it.
    fn weight(&self) -> usize {
        match self {
            Step::Link { .. } | Step::Unlink { .. } => 1,
            Step::AddDir { node, .. } => 1 + node.len(),
            Step::DropDir { node, .. } => 1 + node.len(),
        }
    }
}

impl<F: Clone> Step<F> {
    /// What makes this step again.
    fn redo(&self) -> Action<F> {
        self.clone().into_redo()
    }

    /// [`redo`](Self::redo) of a step no longer needed, moved rather than
    /// copied.
    fn into_redo(self) -> Action<F> {
        match self {
            Step::Link {
                dir,
                name,
                entry,
                leaf,
                ..
            } => Action::Link(dir, name, entry, leaf),
            Step::Unlink { dir, name, .. } => Action::Unlink(dir, name),
            Step::AddDir { id, node } => Action::AddDir(id, node),
            Step::DropDir { id, .. } => Action::DropDir(id),
        }
    }

    /// What undoes this step.
    fn undo(&self) -> Action<F> {
        match self {
            Step::Link {
                dir,
                name,
                old: Some(old),
                ..
            }
            | Step::Unlink { dir, name, old } => {
                Action::Link(*dir, name.clone(), old.clone(), None)
            }
            Step::Link {
                dir,
                name,
                old: None,
                ..
            } => Action::Unlink(*dir, name.clone()),
            Step::AddDir { id, .. } => Action::DropDir(*id),
            Step::DropDir { id, node } => Action::AddDir(*id, DirNode::clone(node)),
        }
    }
}

/// A step to make: its kind and what it needs, without what it replaced.
enum Action<F> {
    /// Link, in the twin's leaf if there is one.
    Link(DirId, Name, Entry<F>, Option<SharedLeaf<F>>),
    Unlink(DirId, Name),
    /// Add the directory, which must get this id.
    AddDir(DirId, DirNode<F>),
    DropDir(DirId),
}

impl<F: Clone> Tree<F> {
    /// Undoes every step `journal` recorded after `mark`, newest first, and
    /// forgets them, so a twin replaying the journal never makes them (nor
    /// keeps alive what they held). The tree then holds what it held at
    /// `mark`, and hands out directory ids in the order it would have then:
    /// ids are freed and handed out last in, first out, so the ids the
    /// undone steps took come back in the order they were taken, and
    /// before any id never handed out, as they would have been.
    ///
    /// `journal` must be this tree's, as [`Journal`] says; `mark` one of its
    /// marks.
    pub fn roll_back(&mut self, journal: &mut Journal<F>, mark: JournalMark) {
        let start = mark.0.min(journal.steps.len());
        let mut editor = Editor::new(self, Unrecorded);
        for step in journal.steps.drain(start..).rev() {
            journal.weight -= step.weight();
            // Each undo meets the state its step left (later steps are
            // undone already), so it always applies.
            let undone = editor.make(step.undo());
            debug_assert!(undone, "an undo did not apply: not this tree's journal");
        }
    }

    /// Makes the steps of `journal` on this tree, oldest first. This tree
    /// must be equal to the journaled tree as it was when `journal` began
    /// (or was last cut by [`Journal::forget_before`]), as the writer's twin
    /// is (see the module documentation); it then ends equal to the
    /// journaled tree as it is now.
    ///
    /// Returns `false` if a step could not be made as recorded (a directory
    /// got another id, or a name or directory was missing): the trees were
    /// not equal, and this one is now unusable.
    #[must_use]
    pub fn replay(&mut self, journal: &Journal<F>) -> bool {
        let mut editor = Editor::new(self, Unrecorded);
        journal.steps.iter().all(|step| editor.make(step.redo()))
    }

    /// [`replay`](Self::replay), then [`Journal::forget_before`] `mark`: the
    /// steps to forget are moved into this tree rather than copied.
    #[must_use]
    pub fn replay_and_forget_before(
        &mut self,
        journal: &mut Journal<F>,
        mark: JournalMark,
    ) -> bool {
        let mut editor = Editor::new(self, Unrecorded);
        let mut done = true;
        if mark.0 >= journal.steps.len() {
            // The usual case, every step forgotten: one drain, no tail.
            journal.weight = 0;
            for step in journal.steps.drain(..) {
                done = done && editor.make(step.into_redo());
            }
            journal.give_back_memory_if_empty();
        } else {
            for step in journal.steps.drain(..mark.0) {
                journal.weight -= step.weight();
                done = done && editor.make(step.into_redo());
            }
            done = done && journal.steps.iter().all(|step| editor.make(step.redo()));
        }
        done
    }
}

impl<F: Clone, R: Record<F>> Editor<'_, F, R> {
    /// Makes `action`; `false` if it could not be made as asked.
    fn make(&mut self, action: Action<F>) -> bool {
        match action {
            Action::Link(dir, name, entry, leaf) => {
                if self.tree.dir(dir).is_none() {
                    return false;
                }
                self.link_from(dir, name, entry, leaf);
                true
            }
            Action::Unlink(dir, name) => {
                self.tree.dir(dir).is_some() && self.unlink(dir, &name).is_some()
            }
            Action::AddDir(id, node) => self.add_dir(node) == id,
            Action::DropDir(id) => self.drop_dir(id).is_some(),
        }
    }
}

/// Whether `entry` is a file.
fn is_file<F>(entry: Option<&Entry<F>>) -> bool {
    matches!(entry, Some(Entry::File(_)))
}

/// How many files `node` holds directly.
fn files_in<F>(node: &DirNode<F>) -> u64 {
    node.children
        .iter_unordered()
        .filter(|(_, entry)| is_file(Some(entry)))
        .count() as u64
}
