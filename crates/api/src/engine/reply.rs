//! The one-shot reply of a writer request.
//!
//! The caller waits for it: first spinning, then yielding, then parked. A
//! reply usually comes within a few microseconds, while parking and being
//! woken costs the same again on each side, so the caller stays awake for a
//! while before it parks.
//!
//! Invariant: `state` goes from `EMPTY` to `FULL` (the value is in `value`)
//! or to `CLOSED` (the sender was dropped without replying: the writer thread
//! is gone), exactly once, and the waiter is unparked after that change, so a
//! parked caller is always woken. A caller never waits on a dropped sender.
//!
//! The types are `pub(crate)`, and `pub` only under `cfg(loom)`, where
//! `loom_exports` hands them to the loom models.

use std::time::Duration;

use crate::sync::thread::{self, Thread};
use crate::sync::{lock, Arc, AtomicU8, Backoff, Mutex, Ordering};

const EMPTY: u8 = 0;
const FULL: u8 = 1;
const CLOSED: u8 = 2;

/// Spin this long, then yield until `YIELD_FOR`, then park.
const SPIN_FOR: Duration = Duration::from_micros(20);
const YIELD_FOR: Duration = Duration::from_micros(100);
/// Spin-loop hints between two looks at the state while spinning.
const SPINS: u32 = 16;

struct Slot<T> {
    state: AtomicU8,
    value: Mutex<Option<T>>,
    waiter: Thread,
}

/// The writer's end: reply once, or drop to tell the caller there will be
/// no reply.
#[cfg_attr(loom, visibility::make(pub))]
pub(crate) struct ReplySender<T> {
    slot: Arc<Slot<T>>,
    sent: bool,
}

/// The caller's end; must be created on the thread that waits.
#[cfg_attr(loom, visibility::make(pub))]
pub(crate) struct ReplyReceiver<T> {
    slot: Arc<Slot<T>>,
}

/// A slot whose receiver will be waited on by the current thread.
#[cfg_attr(loom, visibility::make(pub))]
pub(crate) fn reply_slot<T>() -> (ReplySender<T>, ReplyReceiver<T>) {
    let slot = Arc::new(Slot {
        state: AtomicU8::new(EMPTY),
        value: Mutex::new(None),
        waiter: thread::current(),
    });
    (
        ReplySender {
            slot: Arc::clone(&slot),
            sent: false,
        },
        ReplyReceiver { slot },
    )
}

impl<T> ReplySender<T> {
    /// Replies with `value` and wakes the caller.
    #[cfg_attr(loom, visibility::make(pub))]
    pub(crate) fn send(mut self, value: T) {
        *lock(&self.slot.value) = Some(value);
        self.sent = true;
        self.slot.state.store(FULL, Ordering::Release);
        self.slot.waiter.unpark();
    }
}

impl<T> Drop for ReplySender<T> {
    fn drop(&mut self) {
        if !self.sent {
            self.slot.state.store(CLOSED, Ordering::Release);
            self.slot.waiter.unpark();
        }
    }
}

impl<T> ReplyReceiver<T> {
    /// The reply, or `None` if the sender was dropped without one. `spin`
    /// says whether a core is free to spin on; without one the caller yields
    /// at once, leaving the core to the thread that will reply.
    #[cfg_attr(loom, visibility::make(pub))]
    pub(crate) fn recv(self, spin: bool) -> Option<T> {
        let spin_for = if spin { SPIN_FOR } else { Duration::ZERO };
        let backoff = Backoff::new(spin_for, YIELD_FOR, SPINS);
        loop {
            match self.slot.state.load(Ordering::Acquire) {
                FULL => return lock(&self.slot.value).take(),
                CLOSED => return None,
                _ => {}
            }
            if !backoff.snooze() {
                // A stale unpark token only makes this return early; the
                // loop re-checks the state.
                thread::park();
            }
        }
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use std::thread;

    #[test]
    fn a_reply_from_another_thread_arrives() {
        let (tx, rx) = reply_slot::<u32>();
        let sender = thread::spawn(move || tx.send(7));
        assert_eq!(rx.recv(true), Some(7));
        sender.join().expect("no panic");
    }

    #[test]
    fn a_dropped_sender_ends_the_wait() {
        let (tx, rx) = reply_slot::<u32>();
        let sender = thread::spawn(move || drop(tx));
        assert_eq!(rx.recv(false), None);
        sender.join().expect("no panic");
    }

    #[test]
    fn a_late_reply_wakes_a_parked_receiver() {
        let (tx, rx) = reply_slot::<u32>();
        let (ready_tx, ready_rx) = std::sync::mpsc::channel();
        let sender = thread::spawn(move || {
            // Reply only after the receiver has had time to reach park().
            ready_rx.recv().expect("signal");
            thread::sleep(Duration::from_millis(5));
            tx.send(9);
        });
        ready_tx.send(()).expect("signal");
        assert_eq!(rx.recv(true), Some(9));
        sender.join().expect("no panic");
    }
}
