//! Fuzzes glob parsing and matching on a small tree whose names hold
//! glob metacharacters. The first byte repeats the rest, up to 140 KB
//! (past 131,070, the longest `?` run of issue 11, and twice 64 KiB), so
//! patterns reach past the length limits (4096 bytes per
//! wildcard component, 64 KiB in all): `Ok` or `InvalidPattern`, never a
//! panic. The rest, read as a component on its first line and names on the
//! others, is also matched against the plain reference fnmatch.
#![no_main]

use std::sync::OnceLock;

use dmemfs_core_tree::Tree;
use libfuzzer_sys::fuzz_target;

#[path = "../../tests/common/fuzz_checks.rs"]
mod fuzz_checks;

/// The most bytes a repeated pattern may have, to keep iterations fast.
const MAX_REPEATED_BYTES: usize = 140_000;

fuzz_target!(|data: &[u8]| {
    static TREE: OnceLock<Tree<u32>> = OnceLock::new();
    let Some((&repeat, rest)) = data.split_first() else {
        return;
    };
    let Ok(pattern) = std::str::from_utf8(rest) else {
        return;
    };
    let tree = TREE.get_or_init(fuzz_checks::sample_tree);
    fuzz_checks::check_glob(tree, pattern);
    if repeat > 0 && !pattern.is_empty() {
        let times = (usize::from(repeat) * 1024).min(MAX_REPEATED_BYTES / pattern.len());
        if times > 1 {
            fuzz_checks::check_glob(tree, &pattern.repeat(times));
        }
    }
    let mut lines = pattern.split('\n');
    if let Some(component) = lines.next() {
        let names: Vec<String> = lines.map(str::to_owned).collect();
        fuzz_checks::check_name_matching(component, &names);
    }
});
