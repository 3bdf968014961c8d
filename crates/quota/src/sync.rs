//! The atomics this crate uses: `std`'s in production and `loom`'s when
//! built with `--cfg loom`, so the loom models check the same code that
//! ships. Code in this crate reaches atomics only through this module.
//!
//! This crate is a leaf (it depends on no other dmemfs crate), so it keeps
//! this small facade of its own; the other primitives of the workspace live
//! once, in `dmemfs_storage_backends::sync`, under the same rule for what
//! changes under `cfg(loom)`: atomics are loom's, `Arc` is std's in every
//! build. Shared ownership is in no modeled protocol (the ledger is handed
//! out as `Arc<QuotaLedger>`, and `QuotaLedger::reserve` takes
//! `self: &Arc<Self>`); the ledger's atomics are.

#[cfg(loom)]
pub(crate) use loom::sync::atomic::{AtomicBool, AtomicU64, Ordering};

#[cfg(not(loom))]
pub(crate) use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
