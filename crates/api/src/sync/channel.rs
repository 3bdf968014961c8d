//! The writer actor's request channel: one sender (the filesystem, shared by
//! its clones), one receiver (the writer thread), first in first out, with a
//! doorbell that knows whether the receiver sleeps.
//!
//! Its contract, the one the actor relies on:
//! - [`Sender::send`] queues the value, or returns it if the receiver is
//!   gone, and says whether the receiver was asleep (so this send woke it,
//!   and it needs the scheduler before it can answer);
//! - [`Receiver::try_recv`] takes the oldest value, or says the channel is
//!   empty, or that it is empty and the sender is gone;
//! - [`Receiver::recv`] waits for a value: awake (yielding its core between
//!   looks) for at most the given budget, then parked until a send rings;
//!   `None` once the sender is gone with nothing queued;
//! - a parked receiver is unparked by the send that finds it asleep, and
//!   only by that one: a send to an awake receiver makes no system call;
//! - dropping the receiver drops every queued value, so a reply slot inside
//!   one is closed and its caller stops waiting;
//! - a value sent happens-before the receive that takes it.
//!
//! The queue is an unbounded `crossbeam-channel`, used only through its
//! non-blocking operations (send, try_recv, disconnection); waiting is ours,
//! so that a sender learns whether it had to wake the receiver. The doorbell
//! is a Dekker-style handshake on one atomic, `asleep`:
//! - the receiver swaps `asleep` to `true`, looks at the queue once more,
//!   and parks only if it is still empty;
//! - a sender pushes, then swaps `asleep` to `false`, and unparks the
//!   receiver only if it was `true`.
//!
//! Both swaps are read-modify-writes of one location, so they are totally
//! ordered: if the receiver's comes first, the sender reads `true` and
//! unparks; if the sender's comes first, the receiver's swap reads from it
//! (acquire after release), so the push happens-before the receiver's look,
//! which finds the value. Either way no value waits behind a parked
//! receiver. Dropping the sender rings the same way after disconnecting.
//!
//! `crossbeam-channel` is not loom-aware, so loom builds substitute a queue
//! behind a loom `Mutex` with the same non-blocking contract; the doorbell
//! and the waiting are this very code in both builds. The substitution
//! assumes crossbeam's operations are linearizable and give the
//! send-to-receive happens-before edge, as its documentation states.

use std::cell::Cell;
use std::time::Duration;

use crate::sync::thread::{self, Thread};
use crate::sync::{lock, Arc, AtomicBool, Mutex, Ordering};

/// Why [`Receiver::try_recv`] returned nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(loom, visibility::make(pub))]
pub(crate) enum TryRecvError {
    /// Nothing is queued now.
    Empty,
    /// Nothing is queued and the sender is gone.
    Disconnected,
}

/// How [`Receiver::recv`] got its value: what the writer's idle policy
/// learns from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(loom, visibility::make(pub))]
pub(crate) enum Arrival {
    /// Already queued when asked.
    Queued,
    /// Came while the receiver stayed awake, this long after it started
    /// waiting.
    WhileAwake(Duration),
    /// Came while it was parked (or about to park), this long after it
    /// started waiting (the wake-up included).
    WhileAsleep(Duration),
}

/// The receiver's side of the handshake, shared with the sender.
struct Doorbell {
    /// The receiver is parked, or about to park: the next send must unpark it.
    asleep: AtomicBool,
    /// The receiving thread, registered before it first sets `asleep`; read
    /// only by a sender that found it asleep.
    sleeper: Mutex<Option<Thread>>,
}

impl Doorbell {
    /// Marks the receiver awake and unparks it if it was asleep; `true` if
    /// it was.
    fn ring(&self) -> bool {
        if !self.asleep.swap(false, Ordering::AcqRel) {
            return false;
        }
        // Registered before `asleep` was set, which the swap acquired.
        if let Some(sleeper) = lock(&self.sleeper).as_ref() {
            sleeper.unpark();
        }
        true
    }
}

/// The sending end.
#[cfg_attr(loom, visibility::make(pub))]
pub(crate) struct Sender<T> {
    /// `None` only inside `drop`, which disconnects before it rings.
    queue: Option<queue::Sender<T>>,
    bell: Arc<Doorbell>,
}

/// The receiving end; belongs to the thread that calls [`Receiver::recv`],
/// and stays on it once it has waited (senders unpark that thread).
#[cfg_attr(loom, visibility::make(pub))]
pub(crate) struct Receiver<T> {
    queue: queue::Receiver<T>,
    bell: Arc<Doorbell>,
    /// This thread is in `bell.sleeper`: registering takes the lock a
    /// ringing sender holds while it unparks, so it is done once.
    registered: Cell<bool>,
}

/// A new, empty channel.
#[cfg_attr(loom, visibility::make(pub))]
pub(crate) fn channel<T>() -> (Sender<T>, Receiver<T>) {
    let (tx, rx) = queue::unbounded();
    let bell = Arc::new(Doorbell {
        asleep: AtomicBool::new(false),
        sleeper: Mutex::new(None),
    });
    (
        Sender {
            queue: Some(tx),
            bell: Arc::clone(&bell),
        },
        Receiver {
            queue: rx,
            bell,
            registered: Cell::new(false),
        },
    )
}

impl<T> Sender<T> {
    /// Queues `value` and returns whether the receiver was asleep (this send
    /// woke it); gives `value` back if the receiver is gone.
    #[cfg_attr(loom, visibility::make(pub))]
    pub(crate) fn send(&self, value: T) -> Result<bool, T> {
        match &self.queue {
            Some(queue) => queue.send(value)?,
            None => return Err(value),
        }
        Ok(self.bell.ring())
    }
}

impl<T> Drop for Sender<T> {
    fn drop(&mut self) {
        // Disconnect first: the woken receiver must find the channel closed.
        drop(self.queue.take());
        self.bell.ring();
    }
}

impl<T> Receiver<T> {
    /// The oldest queued value, without waiting.
    #[cfg_attr(loom, visibility::make(pub))]
    pub(crate) fn try_recv(&self) -> Result<T, TryRecvError> {
        self.queue.try_recv()
    }

    /// The oldest queued value, waiting for one: awake for at most
    /// `awake_for`, then parked until a send rings. `None` once the sender
    /// is gone and nothing is queued.
    #[cfg_attr(loom, visibility::make(pub))]
    pub(crate) fn recv(&self, awake_for: Duration) -> Option<(T, Arrival)> {
        match self.try_recv() {
            Ok(value) => return Some((value, Arrival::Queued)),
            Err(TryRecvError::Disconnected) => return None,
            Err(TryRecvError::Empty) => {}
        }
        let waiting = Stopwatch::start();
        if let Some(found) = self.stay_awake(awake_for, &waiting) {
            return found.map(|value| (value, Arrival::WhileAwake(waiting.elapsed())));
        }
        self.register();
        loop {
            self.bell.asleep.swap(true, Ordering::AcqRel);
            match self.try_recv() {
                Ok(value) => {
                    // Senders from now on need not unpark; one that already
                    // did leaves a stale token, which only makes a later
                    // park return at once. A swap, not a store: with every
                    // write to `asleep` a read-modify-write, each reads the
                    // latest, which is what the handshake's argument (and
                    // loom, which otherwise lets a later swap read a value
                    // this store has overwritten) relies on.
                    self.bell.asleep.swap(false, Ordering::AcqRel);
                    return Some((value, Arrival::WhileAsleep(waiting.elapsed())));
                }
                Err(TryRecvError::Disconnected) => return None,
                Err(TryRecvError::Empty) => self.sleep(),
            }
        }
    }

    /// Parks until a sender has rung (`asleep` is `false` again). The flag,
    /// not the park token, says whether to wake: a ring meant for a value
    /// already taken may clear `asleep` while its unpark lands before the
    /// park (a stale token) or, under loom, while this thread waits for the
    /// queue's lock (loom then drops the token); either way the next sender
    /// finds `asleep` clear and would not unpark, so the receiver must look
    /// again instead of sleeping on. A wake-up with `asleep` still set
    /// (spurious, or a stale token) sleeps again.
    fn sleep(&self) {
        while self.bell.asleep.load(Ordering::Acquire) {
            thread::park();
        }
    }

    /// Looks at the queue, yielding the core between looks, until a value
    /// or disconnection comes (`Some`) or `budget` has passed (`None`).
    /// Yielding, not spinning: the thread that will send may be waiting for
    /// this very core, and when no one is, a yield returns at once. Loom
    /// builds never stay awake: it re-checks what the sleeping path checks
    /// too, so it adds interleavings but no behaviour.
    fn stay_awake(&self, budget: Duration, waiting: &Stopwatch) -> Option<Option<T>> {
        #[cfg(not(loom))]
        while waiting.elapsed() < budget {
            thread::yield_now();
            match self.try_recv() {
                Ok(value) => return Some(Some(value)),
                Err(TryRecvError::Disconnected) => return Some(None),
                Err(TryRecvError::Empty) => {}
            }
        }
        let _ = (budget, waiting);
        None
    }

    /// Tells senders which thread to unpark, before it first sleeps. The
    /// receiver stays on one thread (it is `Send`, not `Sync`, and the
    /// writer never hands it on).
    fn register(&self) {
        if !self.registered.replace(true) {
            *lock(&self.bell.sleeper) = Some(thread::current());
        }
    }
}

/// The time since a wait started; always zero under loom, which has no
/// clock a model could move here.
struct Stopwatch {
    #[cfg(not(loom))]
    start: std::time::Instant,
}

impl Stopwatch {
    fn start() -> Self {
        Stopwatch {
            #[cfg(not(loom))]
            start: std::time::Instant::now(),
        }
    }

    fn elapsed(&self) -> Duration {
        #[cfg(not(loom))]
        {
            self.start.elapsed()
        }
        #[cfg(loom)]
        {
            Duration::ZERO
        }
    }
}

impl<T> std::fmt::Debug for Sender<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Sender { .. }")
    }
}

impl<T> std::fmt::Debug for Receiver<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Receiver { .. }")
    }
}

/// The queue under the doorbell: `crossbeam-channel`, non-blocking use only.
#[cfg(not(loom))]
mod queue {
    use super::TryRecvError;

    pub(super) struct Sender<T>(crossbeam_channel::Sender<T>);
    pub(super) struct Receiver<T>(crossbeam_channel::Receiver<T>);

    pub(super) fn unbounded<T>() -> (Sender<T>, Receiver<T>) {
        let (tx, rx) = crossbeam_channel::unbounded();
        (Sender(tx), Receiver(rx))
    }

    impl<T> Sender<T> {
        pub(super) fn send(&self, value: T) -> Result<(), T> {
            self.0.send(value).map_err(|e| e.into_inner())
        }
    }

    impl<T> Receiver<T> {
        pub(super) fn try_recv(&self) -> Result<T, TryRecvError> {
            self.0.try_recv().map_err(|e| match e {
                crossbeam_channel::TryRecvError::Empty => TryRecvError::Empty,
                crossbeam_channel::TryRecvError::Disconnected => TryRecvError::Disconnected,
            })
        }
    }
}

/// The loom stand-in for the queue: the same non-blocking contract behind
/// a loom `Mutex`.
#[cfg(loom)]
mod queue {
    use std::collections::VecDeque;

    use super::TryRecvError;
    // std's `Arc`, like the rest of this crate: sharing the two ends is not
    // part of the protocol, and loom aborts (rather than failing the model)
    // when a loom `Arc` is dropped while it unwinds a deadlocked execution.
    use crate::sync::{lock, Arc, Mutex};

    struct State<T> {
        queue: VecDeque<T>,
        sender: bool,
        receiver: bool,
    }

    pub(super) struct Sender<T>(Arc<Mutex<State<T>>>);
    pub(super) struct Receiver<T>(Arc<Mutex<State<T>>>);

    pub(super) fn unbounded<T>() -> (Sender<T>, Receiver<T>) {
        let shared = Arc::new(Mutex::new(State {
            queue: VecDeque::new(),
            sender: true,
            receiver: true,
        }));
        (Sender(Arc::clone(&shared)), Receiver(shared))
    }

    impl<T> Sender<T> {
        pub(super) fn send(&self, value: T) -> Result<(), T> {
            let mut s = lock(&self.0);
            if !s.receiver {
                return Err(value);
            }
            s.queue.push_back(value);
            Ok(())
        }
    }

    impl<T> Drop for Sender<T> {
        fn drop(&mut self) {
            lock(&self.0).sender = false;
        }
    }

    impl<T> Receiver<T> {
        pub(super) fn try_recv(&self) -> Result<T, TryRecvError> {
            let mut s = lock(&self.0);
            match s.queue.pop_front() {
                Some(value) => Ok(value),
                None if s.sender => Err(TryRecvError::Empty),
                None => Err(TryRecvError::Disconnected),
            }
        }
    }

    impl<T> Drop for Receiver<T> {
        fn drop(&mut self) {
            let queued = {
                let mut s = lock(&self.0);
                s.receiver = false;
                std::mem::take(&mut s.queue)
            };
            // Dropped unlocked: a queued value may close a reply slot.
            drop(queued);
        }
    }
}
