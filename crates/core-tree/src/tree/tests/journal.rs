//! The journal: roll-back restores a tree, and replay keeps twins equal,
//! directory ids included, through seeded histories of every edit.

use std::mem;

use crate::path::NormPath;

use super::super::{DirId, Journal, NodeRef, Tree};
use super::{p, sample, shape};

/// Every directory's path and id, sorted by path: the part of a tree that
/// `shape` leaves out and a replay must reproduce.
fn dir_ids(tree: &Tree<u32>) -> Vec<(String, DirId)> {
    let mut ids: Vec<(String, DirId)> = tree
        .glob("/**")
        .expect("valid pattern")
        .into_iter()
        .filter_map(|path| match tree.lookup(&p(&path)) {
            Ok(NodeRef::Dir { id, .. }) => Some((path, id)),
            _ => None,
        })
        .collect();
    ids.sort();
    ids
}

/// A small deterministic generator (xorshift64), so a failure repeats.
struct Dice(u64);

impl Dice {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }

    /// A path of one to three components: the first of 16 names, so the
    /// root often grows past a small directory's 8 entries (and shrinks
    /// back), the others of 4, so edits often meet each other's names.
    fn path(&mut self) -> NormPath {
        let depth = 1 + self.below(3);
        let mut path = String::new();
        for level in 0..depth {
            let names = if level == 0 { 16 } else { 4 };
            path.push('/');
            path.push(char::from(b'a' + self.below(names) as u8));
        }
        p(&path)
    }
}

/// One edit chosen by `dice`, made through `edit` (journaled or not): the
/// same dice state makes the same edit on any tree.
fn random_edit(dice: &mut Dice, value: u32, edit: &mut dyn FnMut(Edit)) {
    let edit_kind = dice.below(8);
    let (a, b) = (dice.path(), dice.path());
    let create_parents = dice.below(2) == 0;
    edit(match edit_kind {
        0 | 1 => Edit::InsertFile(a, value),
        2 => Edit::ReplaceFile(a, value),
        3 => Edit::CreateDirAll(a),
        4 => Edit::RemoveFile(a),
        5 => Edit::RemoveDirAll(a),
        6 => Edit::Rename(a, b, create_parents),
        _ => Edit::Graft(a, b),
    });
}

enum Edit {
    InsertFile(NormPath, u32),
    ReplaceFile(NormPath, u32),
    CreateDirAll(NormPath),
    RemoveFile(NormPath),
    RemoveDirAll(NormPath),
    Rename(NormPath, NormPath, bool),
    Graft(NormPath, NormPath),
}

/// Makes `edit` on `tree`, recording in `journal` when given one; the
/// result, reduced to whether it succeeded.
fn make(tree: &mut Tree<u32>, journal: Option<&mut Journal<u32>>, edit: &Edit) -> bool {
    let graft_plan = match edit {
        Edit::Graft(src, _) => tree.subtree(src).ok(),
        _ => None,
    };
    // One body for `Tree` and `Journaled`, which have the same edits.
    macro_rules! make_on {
        ($tree:expr) => {
            match edit {
                Edit::InsertFile(at, v) => $tree.insert_file(at, *v).is_ok(),
                Edit::ReplaceFile(at, v) => $tree.replace_file(at, *v).is_ok(),
                Edit::CreateDirAll(at) => $tree.create_dir_all(at).is_ok(),
                Edit::RemoveFile(at) => $tree.remove_file(at).is_ok(),
                Edit::RemoveDirAll(at) => $tree.remove_dir_all(at).is_ok(),
                Edit::Rename(src, dst, parents) => $tree.rename(src, dst, *parents).is_ok(),
                Edit::Graft(_, dst) => {
                    graft_plan.is_some_and(|plan| $tree.graft(dst, plan).is_ok())
                }
            }
        };
    }
    match journal {
        Some(journal) => make_on!(tree.journaled(journal)),
        None => make_on!(tree),
    }
}

/// The writer's protocol in miniature: edit one twin with a journal, give
/// some groups of edits up by rolling back, and every few edits replay the
/// journal on the other twin and swap their roles. A model edited without
/// a journal (and restored from a copy where the twin rolls back) says what
/// the twins must hold; the twins must also agree on every directory id.
#[test]
fn twins_stay_equal_through_roll_backs_and_replays() {
    let (mut succeeded, mut rolled_back, mut replays) = (0, 0, 0);
    for seed in 1..=40u64 {
        let mut dice = Dice(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
        let mut working = sample();
        let mut twin = working.clone();
        let mut model = working.clone();
        let mut journal = Journal::new();
        for round in 0..60u32 {
            let mark = journal.mark();
            let model_before = model.clone();
            let group = 1 + dice.below(3);
            for step in 0..group {
                let value = round * 10 + step as u32;
                random_edit(&mut dice, value, &mut |edit| {
                    let done = make(&mut working, Some(&mut journal), &edit);
                    assert_eq!(make(&mut model, None, &edit), done, "seed {seed}");
                    succeeded += u32::from(done);
                });
            }
            if dice.below(4) == 0 {
                working.roll_back(&mut journal, mark);
                model = model_before;
                rolled_back += 1;
            }
            assert_eq!(shape(&working), shape(&model), "seed {seed} round {round}");
            if dice.below(3) == 0 {
                let end = journal.mark();
                assert!(
                    twin.replay_and_forget_before(&mut journal, end),
                    "seed {seed}"
                );
                assert!(journal.is_empty());
                assert_eq!(shape(&twin), shape(&working), "seed {seed} round {round}");
                assert_eq!(dir_ids(&twin), dir_ids(&working), "seed {seed}");
                mem::swap(&mut working, &mut twin);
                replays += 1;
            }
        }
    }
    // The histories did what they are for: many edits took, and both
    // roll-backs and replays happened often.
    assert!(succeeded > 800 && rolled_back > 400 && replays > 600);
}

/// A roll-back gives back what the rolled-back edits took, counts and all,
/// and a directory created after it gets the id it gets on a twin that
/// replays the whole journal.
#[test]
fn roll_back_restores_and_replay_follows_it() {
    let mut tree = sample();
    let mut twin = tree.clone();
    let before = shape(&tree);
    let mut journal = Journal::new();
    let mark = journal.mark();
    {
        let mut edit = tree.journaled(&mut journal);
        edit.create_dir_all(&p("/n/o/q")).expect("fresh");
        edit.remove_dir_all(&p("/a")).expect("present");
        assert_eq!(edit.replace_file(&p("/f"), 70), Ok(7));
        edit.rename(&p("/e"), &p("/n/e2"), false).expect("free");
        edit.insert_file(&p("/n/o/file"), 9).expect("fresh");
    }
    assert_ne!(shape(&tree), before);
    tree.roll_back(&mut journal, mark);
    assert_eq!(shape(&tree), before);
    tree.journaled(&mut journal)
        .create_dir_all(&p("/after/roll/back"))
        .expect("fresh");
    assert!(twin.replay(&journal));
    assert_eq!(shape(&twin), shape(&tree));
    assert_eq!(dir_ids(&twin), dir_ids(&tree));
}

/// An edit that fails records nothing; a replay onto a tree that is not the
/// journaled tree's twin says so instead of panicking.
#[test]
fn failures_record_nothing_and_a_stranger_refuses_the_replay() {
    let mut tree = sample();
    let mut journal = Journal::new();
    let mut edit = tree.journaled(&mut journal);
    assert!(edit.insert_file(&p("/f"), 1).is_err());
    assert!(edit.create_dir_all(&p("/f/under")).is_err());
    assert!(edit.rename(&p("/a"), &p("/a/b/inside"), true).is_err());
    assert!(journal.is_empty());

    tree.journaled(&mut journal)
        .remove_dir_all(&p("/a/b"))
        .expect("present");
    let mut stranger: Tree<u32> = Tree::new();
    assert!(!stranger.replay(&journal));
}

/// Twins hash names alike (a copy keeps its tree's seed), so an entry added
/// to a large directory and replayed on the twin sits in one leaf that both
/// point to, while a later replacement in one twin leaves the other's
/// entry as it was until its own replay.
#[test]
fn twins_share_the_leaves_of_large_directories() {
    let mut tree: Tree<u32> = Tree::new();
    tree.create_dir(&p("/wide")).expect("fresh");
    for i in 0..20 {
        tree.insert_file(&p(&format!("/wide/f{i}")), i)
            .expect("fresh");
    }
    let mut twin = tree.clone();
    let mut journal = Journal::new();
    tree.journaled(&mut journal)
        .insert_file(&p("/wide/new"), 99)
        .expect("fresh");
    assert!(twin.replay(&journal));
    journal.clear();
    let entry = |tree: &Tree<u32>| {
        let NodeRef::Dir { node, .. } = tree.lookup(&p("/wide")).expect("a directory") else {
            panic!("/wide is a directory");
        };
        std::ptr::from_ref(node.get("new").expect("replayed"))
    };
    assert_eq!(entry(&tree), entry(&twin), "one leaf for both twins");

    tree.journaled(&mut journal)
        .replace_file(&p("/wide/new"), 100)
        .expect("present");
    assert_eq!(super::file_at(&twin, "/wide/new"), 99);
    assert_eq!(super::file_at(&tree, "/wide/new"), 100);
    assert!(twin.replay(&journal));
    assert_eq!(super::file_at(&twin, "/wide/new"), 100);
}

/// A twin that already made the steps before a mark replays only those
/// after it, once the journal forgets the rest: how the writer keeps a
/// journal across publications.
#[test]
fn forgetting_a_prefix_leaves_the_steps_a_later_twin_needs() {
    let mut tree = sample();
    let mut journal = Journal::new();
    tree.journaled(&mut journal)
        .create_dir_all(&p("/x/y"))
        .expect("fresh");
    let mut twin = tree.clone();
    let mut late_twin = sample();
    let published = journal.mark();
    tree.journaled(&mut journal)
        .insert_file(&p("/x/y/z"), 5)
        .expect("fresh");
    tree.journaled(&mut journal)
        .remove_dir_all(&p("/a"))
        .expect("present");
    // A twin built apart (another seed: leaves are copied, not shared)
    // that lacks every step replays them all and keeps those since
    // the mark: the file's link; the unlink of /a and the drops of /a and
    // /a/b.
    assert!(late_twin.replay_and_forget_before(&mut journal, published));
    assert_eq!(shape(&late_twin), shape(&tree));
    assert_eq!(dir_ids(&late_twin), dir_ids(&tree));
    assert_eq!(journal.len(), 4);
    assert!(twin.replay(&journal));
    assert_eq!(shape(&twin), shape(&tree));
    assert_eq!(dir_ids(&twin), dir_ids(&tree));
}

/// A journal's weight counts a step, and the entries of a directory it
/// added or dropped: what the steps keep alive.
#[test]
fn the_weight_counts_the_entries_a_step_holds() {
    let mut tree = sample();
    let mut journal = Journal::new();
    let plan = tree.subtree(&p("/a")).expect("a directory");
    tree.journaled(&mut journal)
        .graft(&p("/copy"), plan)
        .expect("a free name");
    // /copy (2 entries: b, x.txt) and /copy/b (1 entry) added, /copy linked.
    assert_eq!((journal.len(), journal.weight()), (3, 3 + 3));
    let mark = journal.mark();
    tree.journaled(&mut journal)
        .remove_dir_all(&p("/copy"))
        .expect("present");
    assert_eq!(journal.weight(), 6 + 6);
    tree.roll_back(&mut journal, mark);
    assert_eq!((journal.len(), journal.weight()), (3, 6));
    journal.forget_before(journal.mark());
    assert_eq!((journal.len(), journal.weight()), (0, 0));
}
