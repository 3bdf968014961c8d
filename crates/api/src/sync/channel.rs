//! The writer actor's request channel: one sender (the filesystem), one
//! receiver (the writer thread), first in first out.
//!
//! Its contract, the one the actor relies on:
//! - `send` queues the value, or returns it if the receiver is gone;
//! - `try_recv` takes the oldest value, or says the channel is empty, or
//!   that it is empty and the sender is gone;
//! - `recv` blocks until a value comes (and takes it) or the sender is gone
//!   with nothing queued (`None`);
//! - dropping the receiver drops every queued value, so a reply slot inside
//!   one is closed and its caller stops waiting;
//! - a value sent happens-before the receive that takes it.
//!
//! Production builds use an unbounded `crossbeam-channel`, which keeps that
//! contract (dropping its last receiver discards what is queued).
//! `crossbeam-channel` is not loom-aware, so loom builds substitute a queue
//! behind a loom `Mutex` and `Condvar` with the same contract. The
//! substitution assumes crossbeam's operations are linearizable and give the
//! send-to-receive happens-before edge, as its documentation states; it does
//! not model crossbeam's lock-free internals, which crossbeam's own tests
//! cover.

/// Why [`Receiver::try_recv`] returned nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(loom, visibility::make(pub))]
pub(crate) enum TryRecvError {
    /// Nothing is queued now.
    Empty,
    /// Nothing is queued and the sender is gone.
    Disconnected,
}

#[cfg(not(loom))]
pub(crate) use std_channel::{channel, Receiver, Sender};

#[cfg(loom)]
pub use loom_channel::{channel, Receiver, Sender};

#[cfg(not(loom))]
mod std_channel {
    use std::fmt;

    use super::TryRecvError;

    /// The sending end.
    pub(crate) struct Sender<T>(crossbeam_channel::Sender<T>);

    /// The receiving end.
    pub(crate) struct Receiver<T>(crossbeam_channel::Receiver<T>);

    /// A new, empty channel.
    pub(crate) fn channel<T>() -> (Sender<T>, Receiver<T>) {
        let (tx, rx) = crossbeam_channel::unbounded();
        (Sender(tx), Receiver(rx))
    }

    impl<T> Sender<T> {
        /// Queues `value`, or gives it back if the receiver is gone.
        pub(crate) fn send(&self, value: T) -> Result<(), T> {
            self.0.send(value).map_err(|e| e.into_inner())
        }
    }

    impl<T> Receiver<T> {
        /// The oldest queued value, without waiting.
        pub(crate) fn try_recv(&self) -> Result<T, TryRecvError> {
            self.0.try_recv().map_err(|e| match e {
                crossbeam_channel::TryRecvError::Empty => TryRecvError::Empty,
                crossbeam_channel::TryRecvError::Disconnected => TryRecvError::Disconnected,
            })
        }

        /// The oldest queued value, waiting for one; `None` once the sender
        /// is gone and nothing is queued.
        pub(crate) fn recv(&self) -> Option<T> {
            self.0.recv().ok()
        }
    }

    impl<T> fmt::Debug for Sender<T> {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("Sender { .. }")
        }
    }

    impl<T> fmt::Debug for Receiver<T> {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("Receiver { .. }")
        }
    }
}

#[cfg(loom)]
mod loom_channel {
    use std::collections::VecDeque;
    use std::fmt;

    use loom::sync::{Condvar, Mutex};

    use super::TryRecvError;
    // std's `Arc`, like the rest of this crate: sharing the two ends is not
    // part of the protocol, and loom aborts (rather than failing the model)
    // when a loom `Arc` is dropped while it unwinds a deadlocked execution.
    use crate::sync::{lock, wait, Arc};

    struct State<T> {
        queue: VecDeque<T>,
        sender: bool,
        receiver: bool,
    }

    struct Shared<T> {
        state: Mutex<State<T>>,
        ready: Condvar,
    }

    /// The sending end.
    pub struct Sender<T>(Arc<Shared<T>>);

    /// The receiving end.
    pub struct Receiver<T>(Arc<Shared<T>>);

    /// A new, empty channel.
    pub fn channel<T>() -> (Sender<T>, Receiver<T>) {
        let shared = Arc::new(Shared {
            state: Mutex::new(State {
                queue: VecDeque::new(),
                sender: true,
                receiver: true,
            }),
            ready: Condvar::new(),
        });
        (Sender(Arc::clone(&shared)), Receiver(shared))
    }

    impl<T> Sender<T> {
        /// Queues `value`, or gives it back if the receiver is gone.
        pub fn send(&self, value: T) -> Result<(), T> {
            let mut s = lock(&self.0.state);
            if !s.receiver {
                return Err(value);
            }
            s.queue.push_back(value);
            self.0.ready.notify_one();
            Ok(())
        }
    }

    impl<T> Drop for Sender<T> {
        fn drop(&mut self) {
            lock(&self.0.state).sender = false;
            self.0.ready.notify_one();
        }
    }

    impl<T> Receiver<T> {
        /// The oldest queued value, without waiting.
        pub fn try_recv(&self) -> Result<T, TryRecvError> {
            let mut s = lock(&self.0.state);
            match s.queue.pop_front() {
                Some(value) => Ok(value),
                None if s.sender => Err(TryRecvError::Empty),
                None => Err(TryRecvError::Disconnected),
            }
        }

        /// The oldest queued value, waiting for one; `None` once the sender
        /// is gone and nothing is queued.
        pub fn recv(&self) -> Option<T> {
            let mut s = lock(&self.0.state);
            loop {
                if let Some(value) = s.queue.pop_front() {
                    return Some(value);
                }
                if !s.sender {
                    return None;
                }
                s = wait(&self.0.ready, s);
            }
        }
    }

    impl<T> Drop for Receiver<T> {
        fn drop(&mut self) {
            let queued = {
                let mut s = lock(&self.0.state);
                s.receiver = false;
                std::mem::take(&mut s.queue)
            };
            // Dropped unlocked: a queued value may close a reply slot.
            drop(queued);
        }
    }

    impl<T> fmt::Debug for Sender<T> {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("Sender { .. }")
        }
    }

    impl<T> fmt::Debug for Receiver<T> {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("Receiver { .. }")
        }
    }
}
