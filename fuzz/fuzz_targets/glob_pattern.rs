//! Fuzzes glob parsing and matching on a small tree whose names hold
//! glob metacharacters.
#![no_main]

use std::sync::OnceLock;

use dmemfs_core_tree::Tree;
use libfuzzer_sys::fuzz_target;

#[path = "../../tests/common/fuzz_checks.rs"]
mod fuzz_checks;

fuzz_target!(|data: &[u8]| {
    static TREE: OnceLock<Tree<u32>> = OnceLock::new();
    let Ok(pattern) = std::str::from_utf8(data) else {
        return;
    };
    fuzz_checks::check_glob(TREE.get_or_init(fuzz_checks::sample_tree), pattern);
});
