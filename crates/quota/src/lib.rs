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
//! This crate knows nothing of files or trees; the crates above it decide what
//! a stored byte costs.

mod error;
mod ledger;
mod nodes;
mod sync;

pub use error::QuotaError;
pub use ledger::{QuotaLedger, QuotaReservation};
pub use nodes::NodeCounter;
