//! The byte quota of a dmemfs filesystem, kept as an atomic ledger.
//!
//! Every byte a file stores is charged to one [`QuotaLedger`]. A write first
//! takes a [`QuotaReservation`] (a compare-and-swap on the ledger, so it fails
//! with [`QuotaError::Exceeded`] before anything is allocated), then either
//! commits it once the bytes are stored or lets it drop, which gives the bytes
//! back. The ledger never goes above its limit, whatever the interleaving.
//!
//! [`NodeCounter`] does the same for the number of files and directories
//! (`max_nodes`).
//!
//! The [`memory_guard`] module checks that the quota is backed by memory the
//! process can really get; a ledger built with a [`GrowthGuard`] consults it
//! before it grows.
//!
//! This crate knows nothing of files or trees; the crates above it decide what
//! a stored byte costs.

#![forbid(unsafe_code)]

mod error;
mod ledger;
pub mod memory_guard;
mod nodes;
mod sync;

pub use error::QuotaError;
pub use ledger::{QuotaLedger, QuotaReservation};
pub use memory_guard::{
    GrowthGuard, GuardAction, MemoryGuard, MemorySource, SystemMemory, DEFAULT_GUARD_INTERVAL,
};
pub use nodes::NodeCounter;
