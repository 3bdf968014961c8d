//! The memory guard: a check that the byte quota is backed by memory the
//! process can really get.
//!
//! The quota is a logical limit; nothing stops it being set above what the
//! machine or the container can hold, and then the kernel's OOM killer, not
//! a `QuotaExceeded`, ends the process. The guard compares growth against a
//! [`MemorySource`]:
//!
//! - [`MemoryGuard::Init`] compares the quota with the available memory once,
//!   when the filesystem is built ([`check_init`]).
//! - [`MemoryGuard::PerWrite`] does that too, then checks every growth of the
//!   ledger (a reservation or charge of more than zero bytes) against the
//!   figure sampled at most once per `interval` ([`GrowthGuard`]).
//!
//! On a violation [`GuardAction::Warn`] logs a warning through the `log`
//! facade (at most once per sample) and lets the operation go on;
//! [`GuardAction::Raise`] refuses it with [`QuotaError::MemoryGuard`] before
//! anything is allocated.
//!
//! Between two samples the guard does not trust the old figure blindly: it
//! subtracts what the ledger has grown since the sample, so a burst of writes
//! inside one interval is still caught (D-MemFS compares each write with the
//! cached figure alone).

mod system;

pub use system::SystemMemory;

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::sync::{AtomicBool, AtomicU64, Ordering};
use crate::QuotaError;

/// D-MemFS's default `memory_guard_interval`: one second.
pub const DEFAULT_GUARD_INTERVAL: Duration = Duration::from_secs(1);

/// When the available memory is checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum MemoryGuard {
    /// Never (the default): no cost at all.
    #[default]
    None,
    /// Once, when the filesystem is built: the quota must fit in the memory
    /// available then.
    Init,
    /// When the filesystem is built, and before every growth of the ledger,
    /// querying the system at most once per `interval` and using the cached
    /// figure in between.
    PerWrite {
        /// The least time between two queries of the [`MemorySource`].
        interval: Duration,
    },
}

impl MemoryGuard {
    /// [`MemoryGuard::PerWrite`] with [`DEFAULT_GUARD_INTERVAL`].
    pub fn per_write() -> Self {
        MemoryGuard::PerWrite {
            interval: DEFAULT_GUARD_INTERVAL,
        }
    }
}

/// What the guard does when memory is short.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum GuardAction {
    /// Log a warning (`log::warn!`, target `dmemfs_quota::memory_guard`)
    /// and let the operation go on (the default, as in D-MemFS).
    #[default]
    Warn,
    /// Refuse the operation with [`QuotaError::MemoryGuard`].
    Raise,
}

/// Where the guard learns how much memory the process can still use.
///
/// [`SystemMemory`] is the default. Implement it to feed the guard another
/// figure, a fixed one in tests for example.
pub trait MemorySource: Send + Sync + fmt::Debug {
    /// Bytes of memory this process can still allocate, or `None` when that
    /// cannot be told (the guard then lets everything through).
    fn available_bytes(&self) -> Option<u64>;
}

/// The build-time check of [`MemoryGuard::Init`] and
/// [`MemoryGuard::PerWrite`]: a quota larger than the available memory is a
/// violation. Does nothing for [`MemoryGuard::None`].
pub fn check_init(
    mode: MemoryGuard,
    action: GuardAction,
    source: &dyn MemorySource,
    quota: u64,
) -> Result<(), QuotaError> {
    if mode == MemoryGuard::None {
        return Ok(());
    }
    match source.available_bytes() {
        Some(available) if quota > available => violation(
            action,
            quota,
            available,
            format_args!(
                "max_quota ({quota} bytes) exceeds the available memory ({available} bytes): \
                 the process may run out of memory before the quota is reached"
            ),
        ),
        _ => Ok(()),
    }
}

fn violation(
    action: GuardAction,
    requested: u64,
    available: u64,
    message: fmt::Arguments<'_>,
) -> Result<(), QuotaError> {
    match action {
        GuardAction::Raise => Err(QuotaError::MemoryGuard {
            requested,
            available,
        }),
        GuardAction::Warn => {
            log::warn!(target: "dmemfs_quota::memory_guard", "{message}");
            Ok(())
        }
    }
}

/// `available` when the source could not tell.
const UNKNOWN: u64 = u64::MAX;

/// The per-growth check of [`MemoryGuard::PerWrite`], consulted by the
/// ledger before it grows.
///
/// The hot path takes no lock: one clock read compared with an atomic
/// deadline, then two atomic loads. When the deadline has passed, the one
/// thread that wins a compare-and-swap on it queries the source and stores
/// the new figure; every other thread goes on with the cached one.
pub struct GrowthGuard {
    source: Arc<dyn MemorySource>,
    action: GuardAction,
    interval_nanos: u64,
    epoch: Instant,
    /// Nanoseconds after `epoch` at which the next sample is due.
    next_due: AtomicU64,
    /// The last sampled figure, or [`UNKNOWN`].
    available: AtomicU64,
    /// The ledger's `used` when the figure was sampled.
    used_at_sample: AtomicU64,
    /// Set once a warning was logged for the current sample.
    warned: AtomicBool,
}

impl fmt::Debug for GrowthGuard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GrowthGuard")
            .field("source", &self.source)
            .field("action", &self.action)
            .field("interval", &Duration::from_nanos(self.interval_nanos))
            .field("available", &self.cached_available())
            .finish_non_exhaustive()
    }
}

impl GrowthGuard {
    /// A guard querying `source` at most once per `interval`. It takes its
    /// first sample at the first growth it checks.
    pub fn new(source: Arc<dyn MemorySource>, action: GuardAction, interval: Duration) -> Self {
        GrowthGuard {
            source,
            action,
            interval_nanos: u64::try_from(interval.as_nanos()).unwrap_or(u64::MAX),
            epoch: Instant::now(),
            next_due: AtomicU64::new(0),
            available: AtomicU64::new(UNKNOWN),
            used_at_sample: AtomicU64::new(0),
            warned: AtomicBool::new(false),
        }
    }

    /// The action taken on a violation.
    pub fn action(&self) -> GuardAction {
        self.action
    }

    /// The figure of the last sample (`None` before the first sample, or if
    /// the source could not tell).
    pub fn cached_available(&self) -> Option<u64> {
        match self.available.load(Ordering::Acquire) {
            UNKNOWN => None,
            n => Some(n),
        }
    }

    /// Checks that `bytes` more can be stored, the ledger being at `used`.
    /// With [`GuardAction::Raise`] a shortfall is
    /// [`QuotaError::MemoryGuard`]; with [`GuardAction::Warn`] it is logged
    /// (once per sample) and `Ok`.
    pub fn check(&self, bytes: u64, used: u64) -> Result<(), QuotaError> {
        self.refresh_if_due(used);
        let sampled = self.available.load(Ordering::Acquire);
        if sampled == UNKNOWN {
            return Ok(());
        }
        // The ledger's growth since the sample has come out of that memory.
        let grown = used.saturating_sub(self.used_at_sample.load(Ordering::Acquire));
        let available = sampled.saturating_sub(grown);
        if bytes <= available {
            return Ok(());
        }
        match self.action {
            GuardAction::Raise => Err(QuotaError::MemoryGuard {
                requested: bytes,
                available,
            }),
            GuardAction::Warn => {
                if !self.warned.swap(true, Ordering::Relaxed) {
                    log::warn!(
                        target: "dmemfs_quota::memory_guard",
                        "a write of {bytes} bytes was requested but only {available} bytes \
                         of memory are available"
                    );
                }
                Ok(())
            }
        }
    }

    fn refresh_if_due(&self, used: u64) {
        let now = u64::try_from(self.epoch.elapsed().as_nanos()).unwrap_or(u64::MAX);
        let due = self.next_due.load(Ordering::Relaxed);
        if now < due {
            return;
        }
        // Only the thread that moves the deadline samples.
        if self
            .next_due
            .compare_exchange(
                due,
                now.saturating_add(self.interval_nanos),
                Ordering::AcqRel,
                Ordering::Relaxed,
            )
            .is_ok()
        {
            self.sample(used);
        }
    }

    fn sample(&self, used: u64) {
        let available = self.source.available_bytes().unwrap_or(UNKNOWN);
        self.used_at_sample.store(used, Ordering::Release);
        self.available.store(available, Ordering::Release);
        self.warned.store(false, Ordering::Relaxed);
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    /// A settable figure that counts how often it is asked.
    #[derive(Debug, Default)]
    struct Fake {
        bytes: AtomicU64,
        unknown: AtomicBool,
        queries: AtomicU64,
    }

    impl Fake {
        fn new(bytes: u64) -> Arc<Self> {
            let f = Fake::default();
            f.bytes.store(bytes, Ordering::SeqCst);
            Arc::new(f)
        }
        fn set(&self, bytes: u64) {
            self.bytes.store(bytes, Ordering::SeqCst);
        }
        fn queries(&self) -> u64 {
            self.queries.load(Ordering::SeqCst)
        }
    }

    impl MemorySource for Fake {
        fn available_bytes(&self) -> Option<u64> {
            self.queries.fetch_add(1, Ordering::SeqCst);
            if self.unknown.load(Ordering::SeqCst) {
                None
            } else {
                Some(self.bytes.load(Ordering::SeqCst))
            }
        }
    }

    const LONG: Duration = Duration::from_secs(3600);

    #[test]
    fn init_check_raises_only_when_the_quota_does_not_fit() {
        let src = Fake::new(1000);
        let raise = GuardAction::Raise;
        assert!(check_init(MemoryGuard::Init, raise, &*src, 1000).is_ok());
        assert_eq!(
            check_init(MemoryGuard::Init, raise, &*src, 1001),
            Err(QuotaError::MemoryGuard {
                requested: 1001,
                available: 1000
            })
        );
        assert!(check_init(MemoryGuard::per_write(), raise, &*src, 1001).is_err());
        assert!(check_init(MemoryGuard::Init, GuardAction::Warn, &*src, 1001).is_ok());
        // None never asks the source.
        let before = src.queries();
        assert!(check_init(MemoryGuard::None, raise, &*src, u64::MAX).is_ok());
        assert_eq!(src.queries(), before);
    }

    #[test]
    fn unknown_memory_lets_everything_through() {
        let src = Fake::new(0);
        src.unknown.store(true, Ordering::SeqCst);
        assert!(check_init(MemoryGuard::Init, GuardAction::Raise, &*src, u64::MAX).is_ok());
        let g = GrowthGuard::new(src, GuardAction::Raise, LONG);
        assert_eq!(g.cached_available(), None);
        assert!(g.check(u64::MAX, 0).is_ok());
        assert_eq!(g.cached_available(), None);
    }

    #[test]
    fn growth_is_checked_against_the_cached_figure_less_the_growth_since() {
        let src = Fake::new(1000);
        let g = GrowthGuard::new(src.clone(), GuardAction::Raise, LONG);
        // Nothing is asked before the first growth.
        assert_eq!(src.queries(), 0);
        assert!(g.check(1000, 0).is_ok());
        assert_eq!(g.cached_available(), Some(1000));
        assert_eq!(
            g.check(1001, 0),
            Err(QuotaError::MemoryGuard {
                requested: 1001,
                available: 1000
            })
        );
        // 600 bytes charged since the sample leave 400.
        assert!(g.check(400, 600).is_ok());
        assert_eq!(
            g.check(401, 600),
            Err(QuotaError::MemoryGuard {
                requested: 401,
                available: 400
            })
        );
        // Within the interval the source is not asked again.
        src.set(0);
        assert!(g.check(10, 0).is_ok());
        assert_eq!(src.queries(), 1);
    }

    #[test]
    fn the_source_is_asked_again_once_the_interval_has_passed() {
        let src = Fake::new(1000);
        let g = GrowthGuard::new(src.clone(), GuardAction::Raise, Duration::from_millis(20));
        assert!(g.check(11, 0).is_ok());
        src.set(10);
        std::thread::sleep(Duration::from_millis(40));
        assert!(g.check(11, 0).is_err());
        assert_eq!(src.queries(), 2);
        assert_eq!(g.cached_available(), Some(10));
    }

    #[test]
    fn zero_interval_asks_every_time() {
        let src = Fake::new(1000);
        let g = GrowthGuard::new(src.clone(), GuardAction::Raise, Duration::ZERO);
        for _ in 0..5 {
            assert!(g.check(1, 0).is_ok());
        }
        assert_eq!(src.queries(), 5);
    }

    #[test]
    fn warn_lets_the_growth_through() {
        let src = Fake::new(10);
        let g = GrowthGuard::new(src, GuardAction::Warn, LONG);
        assert_eq!(g.action(), GuardAction::Warn);
        assert!(g.check(11, 0).is_ok());
        assert!(g.check(11, 0).is_ok());
    }

    #[test]
    fn concurrent_checks_sample_at_most_once_per_interval() {
        let src = Fake::new(u64::MAX - 1);
        let g = GrowthGuard::new(src.clone(), GuardAction::Raise, LONG);
        std::thread::scope(|s| {
            for _ in 0..4 {
                s.spawn(|| {
                    for _ in 0..10_000 {
                        assert!(g.check(1, 0).is_ok());
                    }
                });
            }
        });
        assert_eq!(src.queries(), 1);
    }
}
