//! What every model shares.

use std::ops::Deref;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use loom::cell::UnsafeCell;
use loom::sync::{Condvar, Mutex, MutexGuard};

/// Preemptions per execution when `LOOM_MAX_PREEMPTIONS` is not set, as in
/// CI: every model finishes within a second in release mode.
const DEFAULT_PREEMPTIONS: usize = 3;

/// No timeout: wait for the lock forever.
pub const FOREVER: Option<Duration> = None;
/// Try once, do not wait.
pub const TRY: Option<Duration> = Some(Duration::ZERO);
/// A timeout the model clock reaches only when a model advances it.
pub const ONE_SECOND: Duration = Duration::from_secs(1);

/// Runs `model` under loom in every interleaving within the preemption bound
/// (`LOOM_MAX_PREEMPTIONS`, or 3), and prints how many it explored and how
/// long that took (shown with `--nocapture`).
pub fn check<F>(model: F)
where
    F: Fn() + Sync + Send + 'static,
{
    let mut builder = loom::model::Builder::new();
    if builder.preemption_bound.is_none() {
        builder.preemption_bound = Some(DEFAULT_PREEMPTIONS);
    }
    let executions = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&executions);
    let started = Instant::now();
    builder.check(move || {
        counter.fetch_add(1, Ordering::Relaxed);
        model();
    });
    eprintln!(
        "{}: {} executions in {:.2?}",
        std::thread::current().name().unwrap_or("model"),
        executions.load(Ordering::Relaxed),
        started.elapsed()
    );
}

/// Spins (yielding to loom) until `condition` holds.
pub fn spin_until(mut condition: impl FnMut() -> bool) {
    while !condition() {
        loom::thread::yield_now();
    }
}

/// Data a lock guards: any access not ordered by the lock against a write
/// is a causality violation loom reports.
pub struct Guarded(UnsafeCell<u32>);

// SAFETY: the cell is touched only under the lock the model checks, and loom
// reports any access the lock does not order.
unsafe impl Sync for Guarded {}

impl Guarded {
    pub fn new() -> Self {
        Guarded(UnsafeCell::new(0))
    }

    /// Called with the write lock held.
    pub fn write(&self) {
        // SAFETY: only while holding the write lock, which the model checks.
        self.0.with_mut(|p| unsafe { *p += 1 });
    }

    /// Called with a read (or the write) lock held.
    pub fn read(&self) -> u32 {
        // SAFETY: only while holding a lock, which the model checks.
        self.0.with(|p| unsafe { *p })
    }
}

/// The skeleton of every lock the lock models build to fail (each file's
/// `BrokenLock`, and `file_lock.rs`'s `FastPathLock`): state under a mutex,
/// a condvar readers wait on and one writers and the relinker wait on, as
/// in `FileLock`'s slow path. The locks deref to it.
pub struct CondvarLock<S> {
    state: Mutex<S>,
    pub readers_cv: Condvar,
    pub writers_cv: Condvar,
}

impl<S: Default> CondvarLock<S> {
    pub fn new() -> Self {
        CondvarLock {
            state: Mutex::default(),
            readers_cv: Condvar::new(),
            writers_cv: Condvar::new(),
        }
    }
}

impl<S> CondvarLock<S> {
    pub fn lock(&self) -> MutexGuard<'_, S> {
        self.state.lock().expect("not poisoned")
    }
}

/// A hand-written copy of a lock's protocol over [`CondvarLock`], broken
/// where `defect` says: each model names its state and its defects, and
/// writes the copy's methods on `BrokenLock<State, Defect>`.
pub struct BrokenLock<S, D> {
    base: CondvarLock<S>,
    pub defect: D,
}

impl<S: Default, D> BrokenLock<S, D> {
    pub fn new(defect: D) -> Self {
        BrokenLock {
            base: CondvarLock::new(),
            defect,
        }
    }
}

impl<S, D> Deref for BrokenLock<S, D> {
    type Target = CondvarLock<S>;

    fn deref(&self) -> &CondvarLock<S> {
        &self.base
    }
}
