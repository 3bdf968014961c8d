//! Model 4: the actor handshake (`crates/api/src/engine/reply.rs`, the
//! request channel's doorbell `crates/api/src/sync/channel.rs`, and the
//! engine in `crates/api/src/engine/actor.rs`).
//!
//! Properties:
//! - a request's reply is never lost: two callers send requests to an actor
//!   that batches them the way the writer thread does (take what is queued,
//!   sleeping when there is nothing, apply, then reply to each) and each gets
//!   its own answer; a lost wake-up, of the writer or of a caller, would
//!   leave a thread parked forever, which loom reports as a deadlock;
//! - a reply slot serves round after round: a caller that reuses its slot for
//!   a second request gets the second answer, whatever the first round's
//!   wake-up left behind;
//! - a sleeping receiver of the request channel is woken by every send that
//!   finds it asleep (two callers wait for their echoes), and ends when the
//!   sender is dropped: the doorbell's handshake (the receiver says it
//!   sleeps, looks once more, then parks; a sender pushes, then rings) loses
//!   no wake-up and no shutdown;
//! - when the actor side is dropped, a waiting caller gets an error, not a
//!   hang: whether the actor dies before the request is sent (the send
//!   fails), after it is queued (dropping the receiver drops the request and
//!   closes its reply slot) or after taking it (the reply sender is dropped);
//! - the whole engine: two threads `mkdir` through a real
//!   `MemoryFileSystem` with the actor writer (a loom thread, the real
//!   doorbell over the loom stand-in queue, the real thread-local reply
//!   slots and publication), both
//!   succeed and both directories are visible; dropping the filesystem stops
//!   and joins the writer.
//!
//! `BrokenSlot` is a copy of the reply slot and `BrokenLine` a copy of the
//! doorbell's handshake, each with one chosen defect; the
//! `broken_*` tests run the same models on them and expect loom to fail them.
//! Threads share state through std's `Arc` (see `file_lock.rs` for why).

use std::collections::VecDeque;
use std::mem::ManuallyDrop;
use std::sync::Arc;
use std::time::Duration;

use dmemfs::loom_exports::{channel, Receiver, ReplySender, ReplySlot, Sender, TryRecvError, Wait};
use dmemfs::{Concurrency, MemoryFileSystem};
use loom::sync::atomic::{AtomicBool, AtomicU8, Ordering};
use loom::sync::Mutex;
use loom::thread::{self, Thread};

use crate::common::check;

/// What the models need of a reusable reply slot.
pub trait Slot: 'static {
    type Sender: SlotSender + Send + 'static;
    /// A slot waited on by the current thread.
    fn new() -> Self;
    /// Starts a round.
    fn arm(&self) -> Self::Sender;
    /// The round's reply, or `None` if its sender was dropped without one.
    fn wait(&self) -> Option<u32>;
}

/// The writer's end of a [`Slot`] round.
pub trait SlotSender {
    fn send(self, value: u32);
}

impl Slot for ReplySlot<u32> {
    type Sender = ReplySender<u32>;
    fn new() -> Self {
        ReplySlot::new()
    }
    fn arm(&self) -> ReplySender<u32> {
        ReplySlot::arm(self)
    }
    fn wait(&self) -> Option<u32> {
        // Loom builds never spin (see `Backoff`): this parks at once.
        ReplySlot::wait(self, Wait::PARK)
    }
}

impl SlotSender for ReplySender<u32> {
    fn send(self, value: u32) {
        ReplySender::send(self, value);
    }
}

/// A request: a number to double, and where to reply.
type Request<S> = (u32, <S as Slot>::Sender);

/// The writer thread's loop, minus the tree: wait for a request (sleeping
/// when there is none), take whatever else is queued, apply the batch, then
/// reply to each.
fn actor<S: Slot>(requests: Receiver<Request<S>>) {
    // Dropped by hand at the end, never while unwinding: when this thread
    // is the one that finds a (deliberate) deadlock, loom unwinds it and
    // aborts the process if a destructor then takes a loom lock.
    let requests = ManuallyDrop::new(requests);
    while let Some((first, _)) = requests.recv(Duration::ZERO) {
        let mut batch = vec![first];
        while let Ok(next) = requests.try_recv() {
            batch.push(next);
        }
        let results: Vec<_> = batch.drain(..).map(|(x, reply)| (reply, x * 2)).collect();
        for (reply, result) in results {
            reply.send(result);
        }
    }
    drop(ManuallyDrop::into_inner(requests));
}

/// Sends `x` through `slot` and waits for the answer.
fn ask<S: Slot>(tx: &Sender<Request<S>>, slot: &S, x: u32) -> Option<u32> {
    assert!(tx.send((x, slot.arm())).is_ok(), "the actor is running");
    slot.wait()
}

/// Two callers, one actor: every reply arrives, to the caller that asked.
fn replies_are_never_lost<S: Slot>() {
    check(|| {
        let (tx, rx) = channel::<Request<S>>();
        let actor = thread::spawn(move || actor::<S>(rx));
        let tx = Arc::new(tx);
        let caller = {
            let tx = Arc::clone(&tx);
            thread::spawn(move || ask(&tx, &S::new(), 1))
        };
        assert_eq!(ask(&tx, &S::new(), 2), Some(4), "a reply was lost");
        assert_eq!(caller.join().expect("caller"), Some(2), "a reply was lost");
        drop(tx);
        actor.join().expect("actor");
    });
}

/// One caller, two rounds on one slot: the second round is answered too
/// (a stale wake-up of the first round must not end the second's wait).
fn a_slot_is_reused<S: Slot>() {
    check(|| {
        let (tx, rx) = channel::<Request<S>>();
        let actor = thread::spawn(move || actor::<S>(rx));
        let slot = S::new();
        assert_eq!(ask(&tx, &slot, 1), Some(2), "first round");
        assert_eq!(ask(&tx, &slot, 3), Some(6), "second round");
        drop(tx);
        actor.join().expect("actor");
    });
}

/// The actor takes at most one request, then dies without replying: the
/// caller gets an error (a failed send or a closed slot), never a hang.
fn a_dead_actor_fails_its_callers<S: Slot>() {
    check(|| {
        let (tx, rx) = channel::<Request<S>>();
        let actor = thread::spawn(move || {
            // Dies holding whatever it took (its reply senders drop), or
            // before anything came: the receiver drops with what is queued.
            drop(rx);
        });
        let slot = S::new();
        let outcome = match tx.send((1, slot.arm())) {
            Err(_) => None,
            Ok(_) => slot.wait(),
        };
        assert_eq!(outcome, None, "a dead actor replied");
        actor.join().expect("actor");
    });
}

/// A request to a line model's receiver: a number to echo, and where to.
type Echo = (u32, ReplySender<u32>);

/// What the line model needs of a request channel.
pub trait Line: Sized + Send + 'static {
    type Tx: Send + Sync + 'static;
    fn new() -> (Self::Tx, Self);
    fn send(tx: &Self::Tx, value: Echo);
    /// The oldest request, sleeping until there is one; `None` once the
    /// sender is gone.
    fn recv(&self) -> Option<Echo>;
}

impl Line for Receiver<Echo> {
    type Tx = Sender<Echo>;
    fn new() -> (Sender<Echo>, Self) {
        channel()
    }
    fn send(tx: &Sender<Echo>, value: Echo) {
        assert!(tx.send(value).is_ok(), "the receiver is alive");
    }
    fn recv(&self) -> Option<Echo> {
        Receiver::recv(self, Duration::ZERO).map(|(value, _)| value)
    }
}

/// Two callers each send a request and wait for its echo from a receiver
/// that sleeps whenever the line is empty: a send that fails to wake it
/// leaves everyone parked.
fn a_sleeping_receiver_is_woken<L: Line>() {
    check(|| {
        let (tx, rx) = L::new();
        let receiver = thread::spawn(move || {
            // Not dropped while unwinding: see `actor`.
            let rx = ManuallyDrop::new(rx);
            while let Some((x, reply)) = rx.recv() {
                reply.send(x);
            }
            drop(ManuallyDrop::into_inner(rx));
        });
        let echo = |tx: &L::Tx, x: u32| {
            let slot = ReplySlot::new();
            L::send(tx, (x, slot.arm()));
            slot.wait(Wait::PARK)
        };
        let tx = Arc::new(tx);
        let other = {
            let tx = Arc::clone(&tx);
            thread::spawn(move || echo(&tx, 1))
        };
        assert_eq!(echo(&tx, 2), Some(2), "a request was not answered");
        assert_eq!(
            other.join().expect("caller"),
            Some(1),
            "a request was not answered"
        );
        drop(tx);
        receiver.join().expect("receiver");
    });
}

#[test]
fn a_reply_is_never_lost() {
    replies_are_never_lost::<ReplySlot<u32>>();
}

#[test]
fn a_reply_slot_serves_round_after_round() {
    a_slot_is_reused::<ReplySlot<u32>>();
}

#[test]
fn a_caller_of_a_dropped_actor_gets_an_error_not_a_hang() {
    a_dead_actor_fails_its_callers::<ReplySlot<u32>>();
}

#[test]
fn a_sleeping_request_channel_is_woken_by_every_send() {
    a_sleeping_receiver_is_woken::<Receiver<Echo>>();
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
    replies_are_never_lost::<BrokenSlot<{ UNPARK_BEFORE_STORE }>>();
}

#[test]
#[should_panic(expected = "deadlock")]
fn broken_slot_that_looks_before_it_publishes_is_caught() {
    replies_are_never_lost::<BrokenSlot<{ LOAD_THEN_STORE }>>();
}

#[test]
#[should_panic(expected = "deadlock")]
fn broken_slot_whose_dropped_sender_does_not_close_is_caught() {
    a_dead_actor_fails_its_callers::<BrokenSlot<{ DROP_LEAVES_OPEN }>>();
}

#[test]
#[should_panic(expected = "deadlock")]
fn broken_doorbell_that_sleeps_without_looking_again_is_caught() {
    a_sleeping_receiver_is_woken::<BrokenLine<{ NO_SECOND_LOOK }>>();
}

#[test]
#[should_panic(expected = "deadlock")]
fn broken_doorbell_that_rings_before_pushing_is_caught() {
    a_sleeping_receiver_is_woken::<BrokenLine<{ RING_BEFORE_PUSH }>>();
}

/// `BrokenSlot` defects (a const parameter, so each is its own type).
const UNPARK_BEFORE_STORE: u8 = 0;
const LOAD_THEN_STORE: u8 = 1;
const DROP_LEAVES_OPEN: u8 = 2;

const IDLE: u8 = 0;
const EMPTY: u8 = 1;
const PARKED: u8 = 2;
const FULL: u8 = 3;
const CLOSED: u8 = 4;

/// The reply slot line for line, except where `DEFECT` says:
/// `UNPARK_BEFORE_STORE` wakes a parked caller before the state says `FULL`,
/// so the caller can consume the wake-up, still see `PARKED` and park for
/// good; `LOAD_THEN_STORE` reads the state, then stores `FULL`, and unparks
/// if what it read was `PARKED`: a caller that parks between the two is
/// never woken; `DROP_LEAVES_OPEN` lets a dropped sender leave the state
/// `EMPTY`, so the caller of a dead actor parks for good.
struct SlotState {
    state: AtomicU8,
    value: Mutex<Option<u32>>,
    waiter: Thread,
}

struct BrokenSlot<const DEFECT: u8> {
    slot: Arc<SlotState>,
}

struct BrokenSender<const DEFECT: u8> {
    slot: Arc<SlotState>,
    sent: bool,
}

impl<const DEFECT: u8> Slot for BrokenSlot<DEFECT> {
    type Sender = BrokenSender<DEFECT>;

    fn new() -> Self {
        BrokenSlot {
            slot: Arc::new(SlotState {
                state: AtomicU8::new(IDLE),
                value: Mutex::new(None),
                waiter: thread::current(),
            }),
        }
    }

    fn arm(&self) -> BrokenSender<DEFECT> {
        self.slot.state.store(EMPTY, Ordering::Relaxed);
        BrokenSender {
            slot: Arc::clone(&self.slot),
            sent: false,
        }
    }

    fn wait(&self) -> Option<u32> {
        let s = &self.slot;
        loop {
            match s.state.load(Ordering::Acquire) {
                FULL => {
                    s.state.store(IDLE, Ordering::Relaxed);
                    return s.value.lock().expect("not poisoned").take();
                }
                CLOSED => {
                    s.state.store(IDLE, Ordering::Relaxed);
                    return None;
                }
                PARKED => thread::park(),
                _ => {
                    if s.state
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

impl<const DEFECT: u8> BrokenSender<DEFECT> {
    fn finish(&self, state: u8) {
        let s = &self.slot;
        match DEFECT {
            UNPARK_BEFORE_STORE => {
                if s.state.load(Ordering::Acquire) == PARKED {
                    s.waiter.unpark();
                }
                s.state.store(state, Ordering::Release);
            }
            LOAD_THEN_STORE => {
                let was = s.state.load(Ordering::Acquire);
                s.state.store(state, Ordering::Release);
                if was == PARKED {
                    s.waiter.unpark();
                }
            }
            _ => {
                if s.state.swap(state, Ordering::AcqRel) == PARKED {
                    s.waiter.unpark();
                }
            }
        }
    }
}

impl<const DEFECT: u8> SlotSender for BrokenSender<DEFECT> {
    fn send(mut self, value: u32) {
        *self.slot.value.lock().expect("not poisoned") = Some(value);
        self.sent = true;
        self.finish(FULL);
    }
}

impl<const DEFECT: u8> Drop for BrokenSender<DEFECT> {
    fn drop(&mut self) {
        if self.sent || DEFECT == DROP_LEAVES_OPEN || std::thread::panicking() {
            return;
        }
        self.finish(CLOSED);
    }
}

/// `BrokenLine` defects.
const NO_SECOND_LOOK: u8 = 0;
const RING_BEFORE_PUSH: u8 = 1;

/// The request channel's doorbell line for line (over a queue like the
/// loom stand-in's), except where `DEFECT` says: `NO_SECOND_LOOK` finds the
/// queue empty, then says it is asleep and parks without looking again, so a
/// send between the look and the swap leaves its value behind a parked
/// receiver; `RING_BEFORE_PUSH` rings before it pushes, so the receiver can
/// wake, find nothing, and park again before the value arrives.
struct BrokenLine<const DEFECT: u8>(Arc<LineState>);

struct BrokenLineTx<const DEFECT: u8>(Arc<LineState>);

struct LineState {
    queue: Mutex<(VecDeque<Echo>, bool)>,
    asleep: AtomicBool,
    receiver: Mutex<Option<Thread>>,
}

impl LineState {
    fn try_recv(&self) -> Result<Echo, TryRecvError> {
        let mut q = self.queue.lock().expect("not poisoned");
        match q.0.pop_front() {
            Some(value) => Ok(value),
            None if q.1 => Err(TryRecvError::Empty),
            None => Err(TryRecvError::Disconnected),
        }
    }

    fn sleep(&self) {
        while self.asleep.load(Ordering::Acquire) {
            thread::park();
        }
    }

    fn ring(&self) {
        if self.asleep.swap(false, Ordering::AcqRel) {
            if let Some(receiver) = self.receiver.lock().expect("not poisoned").as_ref() {
                receiver.unpark();
            }
        }
    }
}

impl<const DEFECT: u8> Line for BrokenLine<DEFECT> {
    type Tx = BrokenLineTx<DEFECT>;

    fn new() -> (BrokenLineTx<DEFECT>, Self) {
        let state = Arc::new(LineState {
            queue: Mutex::new((VecDeque::new(), true)),
            asleep: AtomicBool::new(false),
            receiver: Mutex::new(None),
        });
        (BrokenLineTx(Arc::clone(&state)), BrokenLine(state))
    }

    fn send(tx: &BrokenLineTx<DEFECT>, value: Echo) {
        if DEFECT == RING_BEFORE_PUSH {
            tx.0.ring();
        }
        tx.0.queue.lock().expect("not poisoned").0.push_back(value);
        if DEFECT != RING_BEFORE_PUSH {
            tx.0.ring();
        }
    }

    fn recv(&self) -> Option<Echo> {
        let s = &self.0;
        match s.try_recv() {
            Ok(value) => return Some(value),
            Err(TryRecvError::Disconnected) => return None,
            Err(TryRecvError::Empty) => {}
        }
        *s.receiver.lock().expect("not poisoned") = Some(thread::current());
        loop {
            if DEFECT == NO_SECOND_LOOK {
                match s.try_recv() {
                    Ok(value) => return Some(value),
                    Err(TryRecvError::Disconnected) => return None,
                    Err(TryRecvError::Empty) => {}
                }
                s.asleep.swap(true, Ordering::AcqRel);
                s.sleep();
                continue;
            }
            s.asleep.swap(true, Ordering::AcqRel);
            match s.try_recv() {
                Ok(value) => {
                    s.asleep.swap(false, Ordering::AcqRel);
                    return Some(value);
                }
                Err(TryRecvError::Disconnected) => return None,
                Err(TryRecvError::Empty) => s.sleep(),
            }
        }
    }
}

impl<const DEFECT: u8> Drop for BrokenLineTx<DEFECT> {
    fn drop(&mut self) {
        self.0.queue.lock().expect("not poisoned").1 = false;
        self.0.ring();
    }
}
