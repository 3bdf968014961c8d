//! [`Backoff`]: how a thread that expects its event within microseconds
//! waits for it: spinning, then yielding, then blocking.
//!
//! Waking a blocked thread costs about as much as a short reply takes, so the
//! writer and its callers stay awake for a while first. Production builds
//! measure that while with the clock. Loom builds skip the budget and block
//! at once: spinning and yielding only re-check the same state the caller
//! re-checks after every wake-up, so they add interleavings to explore but no
//! behaviour, while the blocking path is the one that can lose a wake-up.

use std::time::Duration;

/// A budget of spinning, then yielding, before a wait blocks.
pub(crate) struct Backoff {
    #[cfg(not(loom))]
    start: std::time::Instant,
    #[cfg(not(loom))]
    spin_for: Duration,
    #[cfg(not(loom))]
    yield_for: Duration,
    #[cfg(not(loom))]
    spins: u32,
}

impl Backoff {
    /// Spin (`spins` spin-loop hints a turn) until `spin_for` has passed,
    /// then yield until `yield_for` has.
    pub(crate) fn new(spin_for: Duration, yield_for: Duration, spins: u32) -> Self {
        #[cfg(not(loom))]
        {
            Backoff {
                start: std::time::Instant::now(),
                spin_for,
                yield_for,
                spins,
            }
        }
        #[cfg(loom)]
        {
            let _ = (spin_for, yield_for, spins);
            Backoff {}
        }
    }

    /// Spins or yields once and returns `true` while the budget lasts;
    /// `false` once the caller should block.
    pub(crate) fn snooze(&self) -> bool {
        #[cfg(not(loom))]
        {
            let waited = self.start.elapsed();
            if waited < self.spin_for {
                for _ in 0..self.spins {
                    std::hint::spin_loop();
                }
                true
            } else if waited < self.yield_for {
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
