//! The byte ledger and its reservations.
//!
//! Invariant: `used <= limit` at every instant, and `used` equals the bytes
//! charged to stored data plus the bytes of live reservations. Any thread may
//! reserve, commit or release; the ledger takes no lock.

use std::sync::Arc;

use crate::sync::{AtomicU64, Ordering};
use crate::{GrowthGuard, QuotaError};

/// The atomic byte ledger of one filesystem.
///
/// It also counts stored chunks, because the chunk count is what the
/// per-chunk overhead is charged on; the count is a statistic and takes part
/// in no limit.
///
/// A ledger may carry a [`GrowthGuard`] (the per-write memory guard): every
/// growth that the quota allows is then also checked against the memory
/// available, and may fail with [`QuotaError::MemoryGuard`].
#[derive(Debug)]
pub struct QuotaLedger {
    limit: u64,
    used: AtomicU64,
    chunks: AtomicU64,
    guard: Option<GrowthGuard>,
}

impl QuotaLedger {
    /// A ledger with `limit` bytes, none used.
    pub fn new(limit: u64) -> Arc<Self> {
        Self::with_guard(limit, None)
    }

    /// A ledger with `limit` bytes, none used, that consults `guard` (if
    /// any) before every growth.
    pub fn with_guard(limit: u64, guard: Option<GrowthGuard>) -> Arc<Self> {
        Arc::new(Self {
            limit,
            used: AtomicU64::new(0),
            chunks: AtomicU64::new(0),
            guard,
        })
    }

    /// The memory guard consulted on growth, if any.
    pub fn memory_guard(&self) -> Option<&GrowthGuard> {
        self.guard.as_ref()
    }

    /// The configured limit in bytes.
    pub fn limit(&self) -> u64 {
        self.limit
    }

    /// Bytes charged now, reservations included.
    pub fn used(&self) -> u64 {
        self.used.load(Ordering::Acquire)
    }

    /// Bytes that a reservation could take now.
    pub fn available(&self) -> u64 {
        self.limit.saturating_sub(self.used())
    }

    /// Takes `bytes` from the free quota, or fails without changing anything.
    /// With a memory guard set to raise, it also fails with
    /// [`QuotaError::MemoryGuard`] when the memory is short.
    ///
    /// A reservation of zero bytes always succeeds (and is never guarded). The bytes stay taken until
    /// the reservation is committed (they become charged to stored data) or
    /// dropped (they are given back).
    pub fn reserve(self: &Arc<Self>, bytes: u64) -> Result<QuotaReservation, QuotaError> {
        if bytes > 0 {
            self.take(bytes)?;
        }
        Ok(QuotaReservation {
            ledger: Arc::clone(self),
            bytes,
        })
    }

    /// Charges `bytes` without a reservation object: for callers that must
    /// check and charge in one step and keep no guard (the writer of a tree
    /// applying an import, for example). Fails like [`QuotaLedger::reserve`].
    pub fn charge(&self, bytes: u64) -> Result<(), QuotaError> {
        if bytes == 0 {
            return Ok(());
        }
        self.take(bytes)
    }

    fn take(&self, bytes: u64) -> Result<(), QuotaError> {
        let mut used = self.used.load(Ordering::Relaxed);
        if let Some(guard) = &self.guard {
            // The quota's refusal comes first: it is exact, the guard's
            // figure is an estimate.
            let available = self.limit.saturating_sub(used);
            if bytes > available {
                return Err(QuotaError::Exceeded {
                    requested: bytes,
                    available,
                });
            }
            guard.check(bytes, used)?;
        }
        loop {
            let available = self.limit.saturating_sub(used);
            if bytes > available {
                return Err(QuotaError::Exceeded {
                    requested: bytes,
                    available,
                });
            }
            match self.used.compare_exchange_weak(
                used,
                used + bytes,
                Ordering::AcqRel,
                Ordering::Relaxed,
            ) {
                Ok(_) => return Ok(()),
                Err(now) => used = now,
            }
        }
    }

    /// Gives back `bytes` that stored data no longer occupies.
    ///
    /// Releasing more than is charged is a bug in the caller; the ledger
    /// clamps at zero rather than wrapping, and debug builds panic.
    pub fn release(&self, bytes: u64) {
        if bytes == 0 {
            return;
        }
        let before = self.used.fetch_sub(bytes, Ordering::AcqRel);
        if before < bytes {
            // Undo the wrap; only a caller bug gets here.
            self.used.fetch_add(bytes - before, Ordering::AcqRel);
            debug_assert!(false, "quota released {bytes} bytes with {before} charged");
        }
    }

    /// Chunks stored now, over all files.
    pub fn chunk_count(&self) -> u64 {
        self.chunks.load(Ordering::Relaxed)
    }

    /// Records `n` more stored chunks.
    pub fn add_chunks(&self, n: u64) {
        if n > 0 {
            self.chunks.fetch_add(n, Ordering::Relaxed);
        }
    }

    /// Records `n` fewer stored chunks.
    pub fn remove_chunks(&self, n: u64) {
        if n > 0 {
            let before = self.chunks.fetch_sub(n, Ordering::Relaxed);
            debug_assert!(before >= n, "removed {n} chunks with {before} counted");
        }
    }
}

/// Bytes taken from a [`QuotaLedger`] and not yet charged to stored data.
///
/// Dropping it gives the bytes back; [`QuotaReservation::commit`] keeps them
/// charged. It owns a handle on its ledger, so it may travel to another
/// thread (the tree writer commits what a caller reserved).
#[derive(Debug)]
#[must_use = "a reservation dropped at once gives its bytes straight back"]
pub struct QuotaReservation {
    ledger: Arc<QuotaLedger>,
    bytes: u64,
}

impl QuotaReservation {
    /// Bytes held by this reservation.
    pub fn bytes(&self) -> u64 {
        self.bytes
    }

    /// The ledger the bytes were taken from.
    pub fn ledger(&self) -> &Arc<QuotaLedger> {
        &self.ledger
    }

    /// Keeps all the bytes charged: the data they pay for is stored.
    pub fn commit(mut self) {
        self.bytes = 0;
    }

    /// Keeps `bytes` of the reservation charged and holds on to the rest.
    /// Committing more than is held commits all of it.
    pub fn commit_part(&mut self, bytes: u64) {
        self.bytes -= bytes.min(self.bytes);
    }

    /// Takes `bytes` more from the free quota into this reservation, or
    /// fails like [`QuotaLedger::reserve`] without changing anything.
    pub fn grow(&mut self, bytes: u64) -> Result<(), QuotaError> {
        if bytes > 0 {
            self.ledger.take(bytes)?;
            self.bytes += bytes;
        }
        Ok(())
    }

    /// Gives back `bytes` of the reservation now and holds on to the rest.
    pub fn release_part(&mut self, bytes: u64) {
        let n = bytes.min(self.bytes);
        self.bytes -= n;
        self.ledger.release(n);
    }
}

impl Drop for QuotaReservation {
    fn drop(&mut self) {
        self.ledger.release(self.bytes);
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn reserve_within_limit_then_drop_returns_everything() {
        let ledger = QuotaLedger::new(100);
        let r = ledger.reserve(60).expect("fits");
        assert_eq!(ledger.used(), 60);
        assert_eq!(ledger.available(), 40);
        drop(r);
        assert_eq!(ledger.used(), 0);
    }

    #[test]
    fn reserve_over_limit_fails_with_numbers_and_changes_nothing() {
        let ledger = QuotaLedger::new(100);
        let _held = ledger.reserve(70).expect("fits");
        let err = ledger.reserve(31).expect_err("does not fit");
        assert_eq!(
            err,
            QuotaError::Exceeded {
                requested: 31,
                available: 30
            }
        );
        assert_eq!(ledger.used(), 70);
    }

    #[test]
    fn commit_keeps_the_charge_and_release_gives_it_back() {
        let ledger = QuotaLedger::new(100);
        ledger.reserve(40).expect("fits").commit();
        assert_eq!(ledger.used(), 40);
        ledger.release(40);
        assert_eq!(ledger.used(), 0);
    }

    #[test]
    fn partial_commit_and_release() {
        let ledger = QuotaLedger::new(100);
        let mut r = ledger.reserve(50).expect("fits");
        r.commit_part(20);
        r.release_part(10);
        assert_eq!(r.bytes(), 20);
        assert_eq!(ledger.used(), 40);
        drop(r);
        assert_eq!(ledger.used(), 20);
    }

    #[test]
    fn a_reservation_grows_within_the_limit_and_gives_it_all_back() {
        let ledger = QuotaLedger::new(100);
        let mut r = ledger.reserve(50).expect("fits");
        r.grow(30).expect("fits");
        assert_eq!((r.bytes(), ledger.used()), (80, 80));
        assert_eq!(
            r.grow(21),
            Err(QuotaError::Exceeded {
                requested: 21,
                available: 20
            })
        );
        assert_eq!((r.bytes(), ledger.used()), (80, 80));
        r.grow(0).expect("nothing to take");
        drop(r);
        assert_eq!(ledger.used(), 0);
    }

    #[test]
    fn zero_byte_reservation_succeeds_even_when_full() {
        let ledger = QuotaLedger::new(0);
        assert!(ledger.reserve(0).is_ok());
        assert!(ledger.charge(0).is_ok());
        assert!(ledger.reserve(1).is_err());
    }

    #[test]
    fn concurrent_reservations_never_exceed_the_limit() {
        let ledger = QuotaLedger::new(1000);
        let granted: u64 = std::thread::scope(|s| {
            let handles: Vec<_> = (0..8)
                .map(|_| {
                    let ledger = &ledger;
                    s.spawn(move || {
                        let mut n = 0;
                        for _ in 0..1000 {
                            if let Ok(r) = ledger.reserve(7) {
                                r.commit();
                                n += 7;
                            }
                        }
                        n
                    })
                })
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().expect("no panic"))
                .sum()
        });
        assert_eq!(granted, ledger.used());
        assert!(ledger.used() <= 1000);
        assert!(ledger.available() < 7);
    }

    #[test]
    fn a_guarded_ledger_refuses_growth_the_memory_cannot_back() {
        use crate::{GuardAction, MemorySource};
        use std::time::Duration;

        #[derive(Debug)]
        struct Fixed(u64);
        impl MemorySource for Fixed {
            fn available_bytes(&self) -> Option<u64> {
                Some(self.0)
            }
        }

        let guard = GrowthGuard::new(
            Arc::new(Fixed(100)),
            GuardAction::Raise,
            Duration::from_secs(3600),
        );
        let ledger = QuotaLedger::with_guard(1000, Some(guard));
        assert!(ledger.memory_guard().is_some());
        ledger.reserve(60).expect("memory for 60").commit();
        // 40 bytes of memory left by the estimate.
        assert_eq!(
            ledger.charge(41),
            Err(QuotaError::MemoryGuard {
                requested: 41,
                available: 40
            })
        );
        assert_eq!(ledger.used(), 60);
        // The quota's refusal wins when both apply.
        assert!(matches!(
            ledger.reserve(5000),
            Err(QuotaError::Exceeded { .. })
        ));
        // Zero bytes is never guarded; giving back makes room again.
        assert!(ledger.charge(0).is_ok());
        ledger.release(60);
        assert!(ledger.charge(100).is_ok());
    }

    #[test]
    fn chunk_counter_adds_and_removes() {
        let ledger = QuotaLedger::new(10);
        ledger.add_chunks(3);
        ledger.remove_chunks(2);
        assert_eq!(ledger.chunk_count(), 1);
    }
}
