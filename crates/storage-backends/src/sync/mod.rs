//! The synchronization primitives this crate uses: `std`'s in production and
//! `loom`'s (where loom has them) when built with `--cfg loom`, so a loom
//! model checks the same code that ships.
//!
//! Invariant: code in this crate reaches `Arc`, `Mutex`, `RwLock`, atomics,
//! `OnceLock` and `ArcSwap` only through this module, so substituting a
//! primitive is a change here alone. Lock poisoning is handled here too: the
//! state behind every lock of this crate is left consistent at each point a
//! panic could unwind from, so a poisoned lock is simply taken over.

#[cfg(loom)]
pub(crate) use loom::sync::atomic::{AtomicU64, Ordering};
#[cfg(loom)]
pub(crate) use loom::sync::{Arc, Mutex, MutexGuard, RwLock, RwLockReadGuard, RwLockWriteGuard};

#[cfg(not(loom))]
pub(crate) use std::sync::atomic::{AtomicU64, Ordering};
#[cfg(not(loom))]
pub(crate) use std::sync::{Arc, Mutex, MutexGuard, RwLock, RwLockReadGuard, RwLockWriteGuard};

// TODO(loom): loom has no `OnceLock`, so both builds use std's and a loom model
// does not yet explore the setting of a chunk slot. Substitute a loom-aware
// once-cell here when one is written.
pub(crate) use std::sync::OnceLock;

// TODO(loom): arc-swap has no loom support; it is built on std's `Arc` in every
// build, which is why the published state is held in a `SwapArc` rather than
// in this module's `Arc` (the two are the same type without loom).
pub(crate) use arc_swap::ArcSwap;
pub(crate) use std::sync::Arc as SwapArc;

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
