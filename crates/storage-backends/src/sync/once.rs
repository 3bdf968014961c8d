//! [`OnceLock`]: a cell set at most once, then read without a lock.
//!
//! Production builds use `std::sync::OnceLock`. Its contract, the one this
//! crate relies on: `set` stores a value if none is stored yet and otherwise
//! returns its argument (a `set` that loses a race waits for the winner), and
//! a `get` that returns the value sees everything the setting thread wrote
//! before its `set`; a `get` that comes before any `set` is visible returns
//! `None`.
//!
//! loom has no `OnceLock`, so loom builds pair a std `OnceLock`, which holds
//! the value, with a loom `AtomicBool` that says whether the value is
//! visible: `set` stores the flag with `Release` after storing the value, and
//! `get` returns the value only when it loads the flag `true` with `Acquire`.
//! The substitution assumes what loom guarantees: every thread of a model runs
//! on one OS thread and switches only at loom operations, so the std cell's
//! own synchronization is never contended and is invisible to the model,
//! while the flag carries exactly the release/acquire edge std's `OnceLock`
//! gives. A `get` the model schedules before the flag is visible returns
//! `None`, as a real `get` may before the `set` reaches it.

#[cfg(not(loom))]
pub(crate) use std::sync::OnceLock;

#[cfg(loom)]
pub(crate) use model::OnceLock;

#[cfg(loom)]
mod model {
    use std::fmt;

    use loom::sync::atomic::{AtomicBool, Ordering};

    /// A set-once cell; see the module documentation.
    pub(crate) struct OnceLock<T> {
        value: std::sync::OnceLock<T>,
        visible: AtomicBool,
    }

    impl<T> OnceLock<T> {
        /// An empty cell.
        pub(crate) fn new() -> Self {
            OnceLock {
                value: std::sync::OnceLock::new(),
                visible: AtomicBool::new(false),
            }
        }

        /// The value, if it is set and its setting is visible to this thread.
        pub(crate) fn get(&self) -> Option<&T> {
            if self.visible.load(Ordering::Acquire) {
                self.value.get()
            } else {
                None
            }
        }

        /// Stores `value` unless a value is already stored; then returns it.
        pub(crate) fn set(&self, value: T) -> Result<(), T> {
            match self.value.set(value) {
                Ok(()) => {
                    self.visible.store(true, Ordering::Release);
                    Ok(())
                }
                Err(value) => {
                    // Like std's, a losing `set` returns once the winner's
                    // value is in place.
                    while !self.visible.load(Ordering::Acquire) {
                        loom::thread::yield_now();
                    }
                    Err(value)
                }
            }
        }
    }

    impl<T> From<T> for OnceLock<T> {
        fn from(value: T) -> Self {
            OnceLock {
                value: std::sync::OnceLock::from(value),
                visible: AtomicBool::new(true),
            }
        }
    }

    impl<T: fmt::Debug> fmt::Debug for OnceLock<T> {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.debug_tuple("OnceLock").field(&self.get()).finish()
        }
    }
}
