//! The synchronization primitives this crate uses: `std`'s in production and
//! `loom`'s when built with `--cfg loom`, so a loom model checks the same code
//! that ships.
//!
//! Invariant: code in this crate reaches `Arc`, `Mutex`, `RwLock`, atomics,
//! the once-cell of a chunk slot and the published state of a file only
//! through this module, so substituting a primitive is a change here alone.
//! Where a dependency is not loom-aware (`arc-swap`; std's `OnceLock`, which
//! loom lacks) the protocol sits behind a narrow type, [`Published`] and
//! [`OnceLock`], whose loom build keeps the same contract with loom
//! primitives; each says what its substitution assumes. Lock poisoning is
//! handled here too: the state behind every lock of this crate is left
//! consistent at each point a panic could unwind from, so a poisoned lock is
//! simply taken over.

mod once;
mod published;

pub(crate) use once::OnceLock;
pub(crate) use published::Published;

#[cfg(loom)]
pub(crate) use loom::sync::atomic::{AtomicU64, Ordering};
#[cfg(loom)]
pub(crate) use loom::sync::{Arc, Mutex, MutexGuard, RwLock, RwLockReadGuard, RwLockWriteGuard};

#[cfg(not(loom))]
pub(crate) use std::sync::atomic::{AtomicU64, Ordering};
#[cfg(not(loom))]
pub(crate) use std::sync::{Arc, Mutex, MutexGuard, RwLock, RwLockReadGuard, RwLockWriteGuard};

/// `std`'s `Arc` in every build, for values shared with crates that are not
/// loom-aware: the quota ledger is handed out as a std `Arc<QuotaLedger>`.
pub(crate) use std::sync::Arc as StdArc;

use std::sync::PoisonError;

/// Locks `mutex`, taking it over if a panicking holder poisoned it.
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Read-locks `lock`, taking it over if it was poisoned.
pub(crate) fn read<T>(lock: &RwLock<T>) -> RwLockReadGuard<'_, T> {
    lock.read().unwrap_or_else(PoisonError::into_inner)
}

/// Write-locks `lock`, taking it over if it was poisoned.
pub(crate) fn write<T>(lock: &RwLock<T>) -> RwLockWriteGuard<'_, T> {
    lock.write().unwrap_or_else(PoisonError::into_inner)
}
