//! The synchronization primitives of this crate. Those every dmemfs crate
//! shares (locks, atomics, the published tree, the poison-ignoring `lock`
//! and `wait`) are `dmemfs_storage_backends::sync`'s, written once there
//! with the one rule for what changes under `cfg(loom)` (among it: `Arc` is
//! std's in every build); this module re-exports them, so code in this crate
//! reaches them only through here. What only this crate needs lives here,
//! under the same rule: the writer actor's thread and the parking of a
//! caller waiting for its reply ([`thread`]), the yield-then-block budget of
//! those waits ([`Backoff`]) and the writer's request channel ([`channel`]).
//!
//! Where a dependency is not loom-aware (`crossbeam-channel`) the protocol
//! sits behind a narrow type, [`channel`], whose loom build keeps the same
//! contract with loom primitives and says what its substitution assumes.

mod backoff;
pub(crate) mod channel;

pub(crate) use backoff::Backoff;
pub(crate) use dmemfs_storage_backends::sync::{
    lock, AtomicBool, AtomicU8, Guard, Mutex, Ordering, Published,
};

pub(crate) use std::sync::Arc;

/// Threads: the writer actor's, and parking a caller that waits for a reply.
pub(crate) mod thread {
    #[cfg(loom)]
    pub(crate) use loom::thread::{current, park, Builder, JoinHandle, Thread};
    #[cfg(not(loom))]
    pub(crate) use std::thread::{current, park, yield_now, Builder, JoinHandle, Thread};
}
