//! D-MemFS's benchmark cases (its `benchmarks/compare_backends.py`, at the
//! sizes of issue 13) and a read-heavy contention mix, each written once
//! against [`subject::Subject`] and run on dmemfs and on its peers.
//!
//! Shared through `#[path]` by `benches/peers.rs` (criterion, wall time) and
//! `examples/peer_cases.rs` (one case on one subject, for callgrind), so both
//! measure the same code. No subject is told which case runs: the cases use
//! only the trait's operations, with the paths and sizes below.

pub mod cases;
pub mod contention;
pub mod dmemfs_subject;
pub mod floor;
pub mod kind;
pub mod std_fs_subject;
pub mod subject;
pub mod vfs_subject;
