//! [`Backoff`]: how a thread that expects its event within microseconds
//! waits for it: awake, yielding its core between looks, then blocking.
//!
//! Waking a blocked thread costs about as much as a short reply takes, so a
//! caller stays awake for a while first. It yields rather than spins: the
//! thread that will answer may be waiting for this very core (two cores
//! shared with other work often leave both ends of a hand-off on one), and
//! when no one is, a yield returns at once. Production builds measure the
//! while with the clock. Loom builds skip the budget and block at once:
//! yielding only re-checks the same state the caller re-checks after every
//! wake-up, so it adds interleavings to explore but no behaviour, while the
//! blocking path is the one that can lose a wake-up.

use std::time::Duration;

/// A budget of yielding before a wait blocks.
pub(crate) struct Backoff {
    #[cfg(not(loom))]
    start: std::time::Instant,
    #[cfg(not(loom))]
    yield_for: Duration,
}

impl Backoff {
    /// Yield until `yield_for` has passed.
    pub(crate) fn new(yield_for: Duration) -> Self {
        #[cfg(not(loom))]
        {
            Backoff {
                start: std::time::Instant::now(),
                yield_for,
            }
        }
        #[cfg(loom)]
        {
            let _ = yield_for;
            Backoff {}
        }
    }

    /// Yields once and returns `true` while the budget lasts; `false` once
    /// the caller should block.
    pub(crate) fn snooze(&self) -> bool {
        #[cfg(not(loom))]
        {
            if self.start.elapsed() < self.yield_for {
                super::thread::yield_now();
                true
            } else {
                false
            }
        }
        #[cfg(loom)]
        {
            false
        }
    }
}
