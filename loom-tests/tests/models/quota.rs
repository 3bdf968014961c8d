//! Model 2: the quota ledger (`crates/quota/src/ledger.rs`).
//!
//! Properties, each a model run on the real `QuotaLedger` (whose atomics are
//! loom's under `--cfg loom`):
//! - concurrent reservations never take more than the limit, whatever the
//!   interleaving, and as many fit as the limit allows;
//! - a reservation dropped, partly committed or partly released gives back
//!   exactly what it still held, and the ledger returns to zero once every
//!   charge is released.
//!
//! `BrokenLedger` is a copy of the ledger with one chosen defect; the
//! `broken_*` tests run the same models on it and expect them to fail.

use std::sync::Arc;
use std::thread::panicking;

use dmemfs_quota::{QuotaLedger, QuotaReservation};
use loom::sync::atomic::{AtomicU64, Ordering};
use loom::thread;

use crate::common::check;

const LIMIT: u64 = 10;

/// What the models need of a ledger.
pub trait Ledger: Send + Sync + 'static {
    type Reservation: Reservation;
    fn reserve(self: &Arc<Self>, bytes: u64) -> Option<Self::Reservation>;
    fn release(&self, bytes: u64);
    fn used(&self) -> u64;
}

/// What the models need of a reservation; dropping it gives back what it
/// holds.
pub trait Reservation: Send + 'static {
    fn commit_part(&mut self, bytes: u64);
    fn release_part(&mut self, bytes: u64);
}

impl Ledger for QuotaLedger {
    type Reservation = QuotaReservation;
    fn reserve(self: &Arc<Self>, bytes: u64) -> Option<QuotaReservation> {
        QuotaLedger::reserve(self, bytes).ok()
    }
    fn release(&self, bytes: u64) {
        QuotaLedger::release(self, bytes);
    }
    fn used(&self) -> u64 {
        QuotaLedger::used(self)
    }
}

impl Reservation for QuotaReservation {
    fn commit_part(&mut self, bytes: u64) {
        QuotaReservation::commit_part(self, bytes);
    }
    fn release_part(&mut self, bytes: u64) {
        QuotaReservation::release_part(self, bytes);
    }
}

/// Three threads reserve 6, 6 and 4 bytes of 10 and keep what they get until
/// the main thread has looked: the grants never add up to more than the
/// limit and the ledger shows exactly the grants. In every order exactly one
/// 6 and the 4 fit, so the limit is used to the byte. Then everything is
/// dropped and the ledger is back at zero.
fn reservations_never_exceed_the_limit<L: Ledger>(make: fn(u64) -> Arc<L>) {
    check(move || {
        let ledger = make(LIMIT);
        let threads: Vec<_> = [6u64, 6, 4]
            .into_iter()
            .map(|bytes| {
                let ledger = Arc::clone(&ledger);
                thread::spawn(move || {
                    let got = ledger.reserve(bytes);
                    assert!(ledger.used() <= LIMIT, "the ledger went over its limit");
                    got.map(|r| (bytes, r))
                })
            })
            .collect();
        let held: Vec<(u64, L::Reservation)> = threads
            .into_iter()
            .filter_map(|t| t.join().expect("no panic"))
            .collect();
        let granted: u64 = held.iter().map(|(bytes, _)| bytes).sum();
        assert!(
            granted <= LIMIT,
            "reservations of {granted} bytes went over its limit of {LIMIT}"
        );
        assert_eq!(
            ledger.used(),
            granted,
            "the ledger disagrees with the grants"
        );
        assert_eq!(granted, LIMIT, "room was refused although it was free");
        drop(held);
        assert_eq!(ledger.used(), 0, "dropped reservations did not give back");
    });
}

/// One thread reserves 5, gives back 2, commits 1 and drops the rest; another
/// reserves 4 and drops it; the main thread charges and releases. Whatever
/// the interleaving, the ledger ends holding the one committed byte, and at
/// zero once that is released.
fn drops_give_back_exactly_what_they_held<L: Ledger>(make: fn(u64) -> Arc<L>) {
    check(move || {
        let ledger = make(LIMIT);
        let partial = {
            let ledger = Arc::clone(&ledger);
            thread::spawn(move || {
                if let Some(mut r) = ledger.reserve(5) {
                    r.release_part(2);
                    r.commit_part(1);
                    // Dropped holding 2.
                    true
                } else {
                    false
                }
            })
        };
        let whole = {
            let ledger = Arc::clone(&ledger);
            thread::spawn(move || ledger.reserve(4).is_some())
        };
        let charged = ledger.reserve(1).is_some_and(|r| {
            drop(r);
            true
        });
        let partial_ran = partial.join().expect("no panic");
        let whole_ran = whole.join().expect("no panic");
        assert!(
            partial_ran && whole_ran && charged,
            "room was refused although it was free"
        );
        assert_eq!(
            ledger.used(),
            1,
            "the ledger does not hold exactly the committed byte"
        );
        ledger.release(1);
        assert_eq!(ledger.used(), 0);
    });
}

#[test]
fn concurrent_reservations_never_exceed_the_limit() {
    reservations_never_exceed_the_limit(QuotaLedger::new);
}

#[test]
fn dropped_reservations_return_exactly_what_they_took() {
    drops_give_back_exactly_what_they_held(QuotaLedger::new);
}

#[test]
#[should_panic(expected = "went over its limit")]
fn broken_check_then_add_ledger_is_caught() {
    reservations_never_exceed_the_limit(|limit| BrokenLedger::new(limit, Defect::CheckThenAdd));
}

#[test]
#[should_panic(expected = "does not hold exactly the committed byte")]
fn broken_drop_that_returns_the_original_size_is_caught() {
    drops_give_back_exactly_what_they_held(|limit| {
        BrokenLedger::new(limit, Defect::DropReturnsOriginalSize)
    });
}

/// The one thing `BrokenLedger` does wrong.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Defect {
    /// `reserve` loads, checks, then adds: two reservations can both pass
    /// the check.
    CheckThenAdd,
    /// A dropped reservation gives back the bytes it was taken with, not
    /// what it still holds.
    DropReturnsOriginalSize,
}

/// `QuotaLedger` as it was before the fix it would need, per `defect`.
struct BrokenLedger {
    limit: u64,
    used: AtomicU64,
    defect: Defect,
}

impl BrokenLedger {
    fn new(limit: u64, defect: Defect) -> Arc<Self> {
        Arc::new(BrokenLedger {
            limit,
            used: AtomicU64::new(0),
            defect,
        })
    }
}

struct BrokenReservation {
    ledger: Arc<BrokenLedger>,
    bytes: u64,
    taken: u64,
}

impl Ledger for BrokenLedger {
    type Reservation = BrokenReservation;

    fn reserve(self: &Arc<Self>, bytes: u64) -> Option<BrokenReservation> {
        if self.defect == Defect::CheckThenAdd {
            if bytes > self.limit.saturating_sub(self.used.load(Ordering::Acquire)) {
                return None;
            }
            self.used.fetch_add(bytes, Ordering::AcqRel);
        } else {
            let mut used = self.used.load(Ordering::Relaxed);
            loop {
                if bytes > self.limit.saturating_sub(used) {
                    return None;
                }
                match self.used.compare_exchange_weak(
                    used,
                    used + bytes,
                    Ordering::AcqRel,
                    Ordering::Relaxed,
                ) {
                    Ok(_) => break,
                    Err(now) => used = now,
                }
            }
        }
        Some(BrokenReservation {
            ledger: Arc::clone(self),
            bytes,
            taken: bytes,
        })
    }

    fn release(&self, bytes: u64) {
        // Clamped, like the real ledger, so a defect shows as a wrong total
        // rather than a wrapped one.
        let _ = self
            .used
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |used| {
                Some(used.saturating_sub(bytes))
            });
    }

    fn used(&self) -> u64 {
        self.used.load(Ordering::Acquire)
    }
}

impl Reservation for BrokenReservation {
    fn commit_part(&mut self, bytes: u64) {
        self.bytes -= bytes.min(self.bytes);
    }

    fn release_part(&mut self, bytes: u64) {
        let n = bytes.min(self.bytes);
        self.bytes -= n;
        self.ledger.release(n);
    }
}

impl Drop for BrokenReservation {
    fn drop(&mut self) {
        if panicking() {
            return;
        }
        let bytes = match self.ledger.defect {
            Defect::DropReturnsOriginalSize => self.taken,
            Defect::CheckThenAdd => self.bytes,
        };
        self.ledger.release(bytes);
    }
}
