//! Model 4: the actor handshake (`crates/api/src/engine/reply.rs` and the
//! request channel, `crates/api/src/sync/channel.rs`).
//!
//! Properties:
//! - a request's reply is never lost: two callers send requests to an actor
//!   that batches them the way the writer thread does (take what is queued,
//!   apply, then reply to each) and each gets its own answer; a lost
//!   wake-up would leave a caller parked forever, which loom reports as a
//!   deadlock;
//! - when the actor side is dropped, a waiting caller gets an error, not a
//!   hang: whether the actor dies before the request is sent (the send
//!   fails), after it is queued (dropping the receiver drops the request and
//!   closes its reply slot) or after taking it (the reply sender is dropped);
//! - the whole engine: two threads `mkdir` through a real
//!   `MemoryFileSystem` with the actor writer (a loom thread, the loom
//!   channel, the real reply slot and publication), both succeed and both
//!   directories are visible; dropping the filesystem stops and joins the
//!   writer.
//!
//! `BrokenSlot` is a copy of the reply slot with one chosen defect; the
//! `broken_*` tests run the same models on it and expect loom to fail them.
//! Threads share state through std's `Arc` (see `file_lock.rs` for why).

use std::sync::Arc;

use dmemfs::loom_exports::{
    channel, reply_slot, Receiver, ReplyReceiver, ReplySender, TryRecvError,
};
use dmemfs::{Concurrency, MemoryFileSystem};
use loom::sync::atomic::{AtomicU8, Ordering};
use loom::sync::Mutex;
use loom::thread::{self, Thread};

use crate::common::check;

/// What the models need of a one-shot reply slot.
pub trait Slot: Send + 'static {
    type Sender: SlotSender<Self::Value> + Send + 'static;
    type Value;
    /// A slot waited on by the current thread.
    fn new() -> (Self::Sender, Self);
    /// The reply, or `None` if the sender was dropped without one.
    fn recv(self) -> Option<Self::Value>;
}

/// The writer's end of a [`Slot`].
pub trait SlotSender<T> {
    fn send(self, value: T);
}

impl Slot for ReplyReceiver<u32> {
    type Sender = ReplySender<u32>;
    type Value = u32;
    fn new() -> (ReplySender<u32>, Self) {
        reply_slot()
    }
    fn recv(self) -> Option<u32> {
        ReplyReceiver::recv(self, true)
    }
}

impl SlotSender<u32> for ReplySender<u32> {
    fn send(self, value: u32) {
        ReplySender::send(self, value);
    }
}

/// A request: a number to double, and where to reply.
type Request<S> = (u32, <S as Slot>::Sender);

/// The writer thread's loop, minus the tree: wait for a request, take
/// whatever else is queued, apply the batch, then reply to each.
fn actor<S: Slot<Value = u32>>(requests: Receiver<Request<S>>) {
    while let Some(first) = requests.recv() {
        let mut batch = vec![first];
        while let Ok(next) = requests.try_recv() {
            batch.push(next);
        }
        let results: Vec<_> = batch.into_iter().map(|(x, reply)| (reply, x * 2)).collect();
        for (reply, result) in results {
            reply.send(result);
        }
    }
}

/// Two callers, one actor: every reply arrives, to the caller that asked.
fn replies_are_never_lost<S: Slot<Value = u32>>() {
    check(|| {
        let (tx, rx) = channel::<Request<S>>();
        let actor = thread::spawn(move || actor::<S>(rx));
        let tx = Arc::new(tx);
        let caller = {
            let tx = Arc::clone(&tx);
            thread::spawn(move || {
                let (reply, answer) = S::new();
                assert!(tx.send((1, reply)).is_ok(), "the actor is running");
                answer.recv()
            })
        };
        let (reply, answer) = S::new();
        assert!(tx.send((2, reply)).is_ok(), "the actor is running");
        assert_eq!(answer.recv(), Some(4), "a reply was lost");
        assert_eq!(caller.join().expect("caller"), Some(2), "a reply was lost");
        drop(tx);
        actor.join().expect("actor");
    });
}

/// The actor takes at most one request, then dies without replying: the
/// caller gets an error (a failed send or a closed slot), never a hang.
fn a_dead_actor_fails_its_callers<S: Slot<Value = u32>>() {
    check(|| {
        let (tx, rx) = channel::<Request<S>>();
        let actor = thread::spawn(move || {
            match rx.try_recv() {
                // Dies holding the request: its reply sender drops.
                Ok(request) => drop(request),
                Err(TryRecvError::Empty | TryRecvError::Disconnected) => {}
            }
            // Dies: the receiver drops with whatever is still queued.
            drop(rx);
        });
        let (reply, answer) = S::new();
        let outcome = match tx.send((1, reply)) {
            Err(_) => None,
            Ok(()) => answer.recv(),
        };
        assert_eq!(outcome, None, "a dead actor replied");
        actor.join().expect("actor");
    });
}

#[test]
fn a_reply_is_never_lost() {
    replies_are_never_lost::<ReplyReceiver<u32>>();
}

#[test]
fn a_caller_of_a_dropped_actor_gets_an_error_not_a_hang() {
    a_dead_actor_fails_its_callers::<ReplyReceiver<u32>>();
}

#[test]
fn the_actor_engine_applies_and_answers_every_request() {
    check(|| {
        let fs = MemoryFileSystem::builder()
            .concurrency(Concurrency::Actor)
            .build()
            .expect("writer thread");
        let other = {
            let fs = fs.clone();
            thread::spawn(move || fs.mkdir("/a", false))
        };
        fs.mkdir("/b", false).expect("mkdir /b");
        other.join().expect("no panic").expect("mkdir /a");
        assert_eq!(fs.listdir("/").expect("root"), ["a", "b"]);
        // The last clone: stops the writer thread and joins it.
        drop(fs);
    });
}

#[test]
#[should_panic(expected = "deadlock")]
fn broken_slot_that_wakes_before_publishing_is_caught() {
    replies_are_never_lost::<BrokenReceiver<{ UNPARK_BEFORE_STORE }>>();
}

#[test]
#[should_panic(expected = "deadlock")]
fn broken_slot_whose_dropped_sender_does_not_close_is_caught() {
    a_dead_actor_fails_its_callers::<BrokenReceiver<{ DROP_LEAVES_OPEN }>>();
}

/// `BrokenSlot` defects (a const parameter, so each is its own type).
const UNPARK_BEFORE_STORE: u8 = 0;
const DROP_LEAVES_OPEN: u8 = 1;

const EMPTY: u8 = 0;
const FULL: u8 = 1;
const CLOSED: u8 = 2;

/// The reply slot line for line, except where `DEFECT` says:
/// `UNPARK_BEFORE_STORE` wakes the caller before the state says `FULL`, so
/// the caller can consume the wake-up, see `EMPTY` and park for good;
/// `DROP_LEAVES_OPEN` lets a dropped sender leave the state `EMPTY`, so the
/// caller of a dead actor parks for good.
struct BrokenSlot {
    state: AtomicU8,
    value: Mutex<Option<u32>>,
    waiter: Thread,
}

struct BrokenSender<const DEFECT: u8> {
    slot: Arc<BrokenSlot>,
    sent: bool,
}

struct BrokenReceiver<const DEFECT: u8> {
    slot: Arc<BrokenSlot>,
}

impl<const DEFECT: u8> Slot for BrokenReceiver<DEFECT> {
    type Sender = BrokenSender<DEFECT>;
    type Value = u32;

    fn new() -> (BrokenSender<DEFECT>, Self) {
        let slot = Arc::new(BrokenSlot {
            state: AtomicU8::new(EMPTY),
            value: Mutex::new(None),
            waiter: thread::current(),
        });
        (
            BrokenSender {
                slot: Arc::clone(&slot),
                sent: false,
            },
            BrokenReceiver { slot },
        )
    }

    fn recv(self) -> Option<u32> {
        loop {
            match self.slot.state.load(Ordering::Acquire) {
                FULL => return self.slot.value.lock().expect("not poisoned").take(),
                CLOSED => return None,
                _ => thread::park(),
            }
        }
    }
}

impl<const DEFECT: u8> SlotSender<u32> for BrokenSender<DEFECT> {
    fn send(mut self, value: u32) {
        *self.slot.value.lock().expect("not poisoned") = Some(value);
        self.sent = true;
        if DEFECT == UNPARK_BEFORE_STORE {
            self.slot.waiter.unpark();
            self.slot.state.store(FULL, Ordering::Release);
        } else {
            self.slot.state.store(FULL, Ordering::Release);
            self.slot.waiter.unpark();
        }
    }
}

impl<const DEFECT: u8> Drop for BrokenSender<DEFECT> {
    fn drop(&mut self) {
        if self.sent || DEFECT == DROP_LEAVES_OPEN || std::thread::panicking() {
            return;
        }
        self.slot.state.store(CLOSED, Ordering::Release);
        self.slot.waiter.unpark();
    }
}
