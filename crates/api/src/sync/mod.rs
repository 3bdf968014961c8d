//! The synchronization primitives of this crate: `std`'s in production and
//! `loom`'s when built with `--cfg loom`, so a loom model checks the code that
//! ships. Code in this crate reaches locks, atomics, threads, the clock its
//! lock timeouts read, the spin-then-block budget of its waits ([`Backoff`]),
//! the published tree and the writer's request channel only through here.
//!
//! Where a dependency is not loom-aware (`arc-swap`, `crossbeam-channel`) the
//! protocol sits behind a narrow type, [`Published`] and [`channel`], whose
//! loom build keeps the same contract with loom primitives; each says what
//! its substitution assumes.
//!
//! `Arc` stays `std`'s in both builds: the tree (`dmemfs-core-tree`, not
//! loom-aware) and the quota ledger hold and hand out std `Arc`s. Shared
//! ownership is not part of any protocol the models check.

mod backoff;
pub(crate) mod channel;
pub(crate) mod clock;
pub(crate) mod published;

pub(crate) use backoff::Backoff;
pub(crate) use clock::Instant;
pub(crate) use published::{Guard, Published};

pub(crate) use std::sync::Arc;

#[cfg(loom)]
pub(crate) use loom::sync::atomic::{AtomicBool, AtomicU64, AtomicU8, AtomicUsize, Ordering};
#[cfg(loom)]
pub(crate) use loom::sync::{Condvar, Mutex, MutexGuard};

#[cfg(not(loom))]
pub(crate) use std::sync::atomic::{AtomicBool, AtomicU64, AtomicU8, AtomicUsize, Ordering};
#[cfg(not(loom))]
pub(crate) use std::sync::{Condvar, Mutex, MutexGuard};

/// Threads: the writer actor's, and parking a caller that waits for a reply.
pub(crate) mod thread {
    #[cfg(loom)]
    pub(crate) use loom::thread::{current, park, Builder, JoinHandle, Thread};
    #[cfg(not(loom))]
    pub(crate) use std::thread::{current, park, yield_now, Builder, JoinHandle, Thread};
}

/// Locks `mutex`, ignoring poisoning: every critical section in this crate
/// leaves its state consistent before anything in it can panic, so a panic
/// elsewhere must not make the filesystem unusable.
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Waits on `cv` once (it may wake spuriously), ignoring poisoning like
/// [`lock`].
pub(crate) fn wait<'a, T>(cv: &Condvar, guard: MutexGuard<'a, T>) -> MutexGuard<'a, T> {
    cv.wait(guard)
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Waits on `cv` once for at most `timeout` (it may wake early), ignoring
/// poisoning like [`lock`]. Under loom the wait does not time out by itself,
/// since loom models no time (see [`clock`]).
pub(crate) fn wait_timeout<'a, T>(
    cv: &Condvar,
    guard: MutexGuard<'a, T>,
    timeout: std::time::Duration,
) -> MutexGuard<'a, T> {
    cv.wait_timeout(guard, timeout)
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .0
}
