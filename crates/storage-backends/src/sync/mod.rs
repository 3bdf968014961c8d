//! The synchronization primitives of the dmemfs crates, each written once:
//! `std`'s in production and `loom`'s when built with `--cfg loom`, so a
//! loom model checks the code that ships. This crate and `dmemfs` reach
//! locks, atomics, the published state of a file or a tree, and the clock
//! lock timeouts read only through here (`dmemfs` adds what it alone needs:
//! threads, the spin-then-block budget of its waits and the writer's request
//! channel). Not meant for users of the filesystem.
//!
//! # What changes under `cfg(loom)`: one rule
//! Atomics, `Mutex`, `Condvar` and `RwLock` are loom's; where the production
//! type is not loom-aware, a narrow stand-in keeps its contract with loom
//! primitives and says what its substitution assumes: [`Published`]
//! (`arc-swap`), the set-once cell of a chunk slot (std's `OnceLock`) and
//! [`Instant`] (loom models no time). **`Arc` is std's in every build**:
//! shared ownership is in no modeled protocol. The models check who may
//! touch shared state and when (locks, atomics, publication); a reference
//! count is not such a protocol, and values cross into crates that are not
//! loom-aware (the tree, `bytes`). Where a model needs to know that memory
//! is freed (retired chunk lists), it checks it directly, with data that
//! reports its own drop. `dmemfs-quota`, a leaf crate, keeps its own atomics
//! under the same rule.
//!
//! # Poisoning
//! Every critical section of these crates leaves its state consistent at
//! each point a panic could unwind from, so a panic elsewhere must not make
//! the filesystem unusable: [`lock`], [`read()`], [`write()`] and the waits take
//! a poisoned lock over.

mod clock;
mod once;
mod published;

#[cfg(loom)]
pub use clock::advance as advance_clock;
pub use clock::Instant;
pub(crate) use once::OnceLock;
pub use published::{Guard, Published};

#[cfg(loom)]
pub use loom::sync::atomic::{AtomicBool, AtomicU64, AtomicU8, AtomicUsize, Ordering};
#[cfg(loom)]
pub use loom::sync::{Condvar, Mutex, MutexGuard, RwLock, RwLockReadGuard, RwLockWriteGuard};

#[cfg(not(loom))]
pub use std::sync::atomic::{AtomicBool, AtomicU64, AtomicU8, AtomicUsize, Ordering};
#[cfg(not(loom))]
pub use std::sync::{Condvar, Mutex, MutexGuard, RwLock, RwLockReadGuard, RwLockWriteGuard};

use std::sync::PoisonError;
use std::time::Duration;

/// Locks `mutex`, taking it over if a panicking holder poisoned it.
pub fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Read-locks `lock`, taking it over if it was poisoned.
pub fn read<T>(lock: &RwLock<T>) -> RwLockReadGuard<'_, T> {
    lock.read().unwrap_or_else(PoisonError::into_inner)
}

/// Write-locks `lock`, taking it over if it was poisoned.
pub fn write<T>(lock: &RwLock<T>) -> RwLockWriteGuard<'_, T> {
    lock.write().unwrap_or_else(PoisonError::into_inner)
}

/// Waits on `cv` once (it may wake spuriously), taking the lock over if it
/// was poisoned meanwhile.
pub fn wait<'a, T>(cv: &Condvar, guard: MutexGuard<'a, T>) -> MutexGuard<'a, T> {
    cv.wait(guard).unwrap_or_else(PoisonError::into_inner)
}

/// Waits on `cv` once for at most `timeout` (it may wake early), taking the
/// lock over like [`wait`]. Under loom the wait does not time out by
/// itself, since loom models no time (see [`Instant`]).
pub fn wait_timeout<'a, T>(
    cv: &Condvar,
    guard: MutexGuard<'a, T>,
    timeout: Duration,
) -> MutexGuard<'a, T> {
    cv.wait_timeout(guard, timeout)
        .unwrap_or_else(PoisonError::into_inner)
        .0
}
