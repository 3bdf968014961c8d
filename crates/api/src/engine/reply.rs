//! The reply of a writer request: a slot the waiting thread owns and reuses
//! for each of its requests, so a round trip allocates nothing.
//!
//! A round: the caller [`ReplySlot::arm`]s the slot, which gives the one
//! [`ReplySender`] of that round to put in the request, then
//! [`ReplySlot::wait`]s. How it waits is the caller's choice ([`Wait`]): a
//! reply from an awake writer comes within microseconds, while parking and
//! being woken costs that much again on each side, so the caller yields in a
//! loop for a while (handing its core to the writer if they share one),
//! and so does the caller of a writer that must first be woken (for about
//! the scheduler's wake-up of the writer: parking at once would make the
//! reply wake the caller too).
//!
//! Invariant: in a round `state` goes from `EMPTY` (armed) possibly to
//! `PARKED` (the waiter is parked or about to be; only the waiter moves it
//! there) and then, exactly once and by the round's sender, to `FULL` (the
//! value is in `value`) or `CLOSED` (the sender was dropped without replying:
//! the writer thread is gone). The sender unparks the waiter exactly when it
//! replaces `PARKED`, so a parked waiter is always woken and an awake one
//! costs the writer no system call. The waiter returns only after that last
//! change, so the round's sender is gone before the next round arms the slot.
//!
//! The types are `pub(crate)`, and `pub` only under `cfg(loom)`, where
//! `loom_exports` hands them to the loom models.

use std::time::Duration;

use crate::sync::thread::{self, Thread};
use crate::sync::{lock, Arc, AtomicU8, Backoff, Mutex, Ordering};

/// No round in progress: the last reply was taken (or none was ever asked).
const IDLE: u8 = 0;
const EMPTY: u8 = 1;
const PARKED: u8 = 2;
const FULL: u8 = 3;
const CLOSED: u8 = 4;

struct Slot<T> {
    state: AtomicU8,
    value: Mutex<Option<T>>,
    waiter: Thread,
}

/// How the waiter spends the time before the reply comes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(loom, visibility::make(pub))]
pub(crate) struct Wait {
    /// Yield the core (look, yield, look again) until this long has passed,
    /// then park.
    pub(crate) yield_for: Duration,
}

impl Wait {
    /// Park at once: what the tests and the loom models (whose waits never
    /// stay awake anyway) use; the actor's callers always stay awake first.
    #[cfg(any(test, loom))]
    #[cfg_attr(loom, visibility::make(pub))]
    pub(crate) const PARK: Wait = Wait {
        yield_for: Duration::ZERO,
    };
}

/// A reply slot, owned by the one thread that waits on it.
#[cfg_attr(loom, visibility::make(pub))]
pub(crate) struct ReplySlot<T> {
    slot: Arc<Slot<T>>,
}

/// The writer's end of one round: reply once, or drop to tell the waiter
/// there will be no reply.
#[cfg_attr(loom, visibility::make(pub))]
pub(crate) struct ReplySender<T> {
    slot: Arc<Slot<T>>,
    sent: bool,
}

impl<T> ReplySlot<T> {
    /// A slot that the current thread will wait on.
    #[allow(clippy::new_without_default)] // tied to the current thread
    #[cfg_attr(loom, visibility::make(pub))]
    pub(crate) fn new() -> Self {
        ReplySlot {
            slot: Arc::new(Slot {
                state: AtomicU8::new(IDLE),
                value: Mutex::new(None),
                waiter: thread::current(),
            }),
        }
    }

    /// Starts a round and returns its sender. Call only between rounds: the
    /// previous round's [`ReplySlot::wait`] has returned, or its sender came
    /// back undelivered and was dropped.
    #[cfg_attr(loom, visibility::make(pub))]
    pub(crate) fn arm(&self) -> ReplySender<T> {
        // Relaxed: the sender reaches the writer through the request
        // channel, whose send happens-before the receive that takes it, so
        // this store is ordered before anything the writer does.
        self.slot.state.store(EMPTY, Ordering::Relaxed);
        ReplySender {
            slot: Arc::clone(&self.slot),
            sent: false,
        }
    }

    /// Waits for this round's reply; `None` if its sender was dropped
    /// without one.
    #[cfg_attr(loom, visibility::make(pub))]
    pub(crate) fn wait(&self, how: Wait) -> Option<T> {
        let backoff = Backoff::new(how.yield_for);
        loop {
            match self.slot.state.load(Ordering::Acquire) {
                FULL => {
                    self.slot.state.store(IDLE, Ordering::Relaxed);
                    return lock(&self.slot.value).take();
                }
                CLOSED => {
                    self.slot.state.store(IDLE, Ordering::Relaxed);
                    return None;
                }
                // Woken with no reply yet (spuriously, or by a stale token
                // of an earlier round): sleep again.
                PARKED => thread::park(),
                _ => {
                    if !backoff.snooze()
                        && self
                            .slot
                            .state
                            .compare_exchange(EMPTY, PARKED, Ordering::Acquire, Ordering::Acquire)
                            .is_ok()
                    {
                        thread::park();
                    }
                }
            }
        }
    }
}

impl<T> ReplySender<T> {
    /// Replies with `value`, waking the waiter if it sleeps.
    #[cfg_attr(loom, visibility::make(pub))]
    pub(crate) fn send(mut self, value: T) {
        *lock(&self.slot.value) = Some(value);
        self.sent = true;
        self.finish(FULL);
    }

    fn finish(&self, state: u8) {
        if self.slot.state.swap(state, Ordering::AcqRel) == PARKED {
            self.slot.waiter.unpark();
        }
    }
}

impl<T> Drop for ReplySender<T> {
    fn drop(&mut self) {
        if !self.sent {
            self.finish(CLOSED);
        }
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use std::thread;

    const AWAKE: Wait = Wait {
        yield_for: Duration::from_micros(100),
    };

    #[test]
    fn a_reply_from_another_thread_arrives() {
        let slot = ReplySlot::<u32>::new();
        let tx = slot.arm();
        let sender = thread::spawn(move || tx.send(7));
        assert_eq!(slot.wait(AWAKE), Some(7));
        sender.join().expect("no panic");
    }

    #[test]
    fn a_dropped_sender_ends_the_wait() {
        let slot = ReplySlot::<u32>::new();
        let tx = slot.arm();
        let sender = thread::spawn(move || drop(tx));
        assert_eq!(slot.wait(Wait::PARK), None);
        sender.join().expect("no panic");
    }

    #[test]
    fn a_late_reply_wakes_a_parked_receiver() {
        let slot = ReplySlot::<u32>::new();
        let tx = slot.arm();
        let (ready_tx, ready_rx) = std::sync::mpsc::channel();
        let sender = thread::spawn(move || {
            // Reply only after the receiver has had time to reach park().
            ready_rx.recv().expect("signal");
            thread::sleep(Duration::from_millis(5));
            tx.send(9);
        });
        ready_tx.send(()).expect("signal");
        assert_eq!(slot.wait(AWAKE), Some(9));
        sender.join().expect("no panic");
    }

    #[test]
    fn a_slot_serves_round_after_round() {
        let slot = ReplySlot::<u32>::new();
        for round in 0..1_000 {
            let tx = slot.arm();
            let sender = thread::spawn(move || tx.send(round));
            let how = if round % 2 == 0 { AWAKE } else { Wait::PARK };
            assert_eq!(slot.wait(how), Some(round));
            sender.join().expect("no panic");
        }
        // A round whose sender was dropped leaves the slot reusable too.
        drop(slot.arm());
        assert_eq!(slot.wait(Wait::PARK), None);
        let tx = slot.arm();
        tx.send(5);
        assert_eq!(slot.wait(Wait::PARK), Some(5));
    }
}
