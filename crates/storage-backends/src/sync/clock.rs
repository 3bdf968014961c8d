//! [`Instant`]: the clock lock timeouts are measured on.
//!
//! Production builds use `std::time::Instant`. loom does not model time (its
//! `Condvar::wait_timeout` never times out), so loom builds use a logical
//! clock that starts at zero in every execution and moves only when a model
//! calls [`advance`]. A model makes a timeout happen by advancing the clock
//! and then waking the timed waiters (`FileLock::wake_timed_waiters`), as the
//! OS does when a timed wait's deadline passes; loom then explores every
//! place the expiry can fall relative to the other threads.

#[cfg(not(loom))]
pub use std::time::Instant;

#[cfg(loom)]
pub use model::{advance, Instant};

#[cfg(loom)]
mod model {
    use std::ops::Sub;
    use std::time::Duration;

    use loom::sync::atomic::{AtomicU64, Ordering};

    loom::lazy_static! {
        /// Nanoseconds since the execution began.
        static ref NOW: AtomicU64 = AtomicU64::new(0);
    }

    /// A point on the model clock.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
    pub struct Instant(Duration);

    impl Instant {
        /// The model clock's current time.
        pub fn now() -> Self {
            Instant(Duration::from_nanos(NOW.load(Ordering::SeqCst)))
        }

        /// `self + d`, or `None` if it cannot be represented.
        pub fn checked_add(&self, d: Duration) -> Option<Self> {
            self.0.checked_add(d).map(Instant)
        }
    }

    impl Sub for Instant {
        type Output = Duration;

        fn sub(self, earlier: Instant) -> Duration {
            self.0.saturating_sub(earlier.0)
        }
    }

    /// Moves the model clock forward by `by`.
    pub fn advance(by: Duration) {
        let nanos = u64::try_from(by.as_nanos()).unwrap_or(u64::MAX);
        let _ = NOW.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |now| {
            Some(now.saturating_add(nanos))
        });
    }
}
