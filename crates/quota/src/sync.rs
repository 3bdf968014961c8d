//! The synchronization primitives this crate uses: `std`'s in production and
//! `loom`'s when built with `--cfg loom`, so the loom models check the same code
//! that ships. Code in this crate reaches atomics and `Arc` only through this
//! module.
//!
//! `Arc` stays `std`'s in both builds: the ledger is handed out as
//! `Arc<QuotaLedger>` and `QuotaLedger::reserve` takes `self: &Arc<Self>`,
//! which loom's `Arc` cannot be (it is not a method receiver). Sharing the
//! ledger is not part of the protocol the models check; its atomics are.

pub(crate) use std::sync::Arc;

#[cfg(loom)]
pub(crate) use loom::sync::atomic::{AtomicBool, AtomicU64, Ordering};

#[cfg(not(loom))]
pub(crate) use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
