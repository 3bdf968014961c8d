//! The loom models; see the crate documentation for what each checks and how
//! to run them. Everything here is compiled only with `--cfg loom`.

#[cfg(not(loom))]
#[test]
fn models_run_only_with_cfg_loom() {
    // Run them with: RUSTFLAGS="--cfg loom" cargo test -p loom-tests --release
    // (see the crate documentation and the README).
}

#[cfg(loom)]
mod actor;
#[cfg(loom)]
mod chunk_list;
#[cfg(loom)]
mod common;
#[cfg(loom)]
mod file_lock;
#[cfg(loom)]
mod open_remove;
#[cfg(loom)]
mod quota;
#[cfg(loom)]
mod relink;
#[cfg(loom)]
mod twin;
