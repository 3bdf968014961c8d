//! The writer thread of [`crate::Concurrency::Actor`].
//!
//! Callers send a [`Request`] on the request channel (a `crossbeam-channel`
//! with a doorbell, `crate::sync::channel`) and wait on their thread's reply
//! slot. The thread takes every request already queued, applies them in
//! order, publishes the tree once for the whole batch, releases the file
//! locks the batch took, and only then replies — so each caller's next
//! snapshot load sees its change.
//!
//! Waiting, on both sides, is chosen to waste neither a core nor a wake-up
//! (see [`IdlePolicy`] and [`ActorEngine::call`]): the writer stays awake
//! between batches only while requests have been coming close together, and
//! parks at once otherwise; a caller stays awake for its reply, up to
//! [`CALLER_WAIT`] if its send found the writer awake (the send says so) and
//! up to [`WOKEN_WRITER_WAIT`] if the send had to wake it, then parks.
//! Staying awake means yielding in a loop, not spinning: on a busy machine
//! the caller and the writer often share one core, and a spin would hold the
//! core the other side needs to answer, while a yield hands it over and
//! returns at once when no one else wants it. Each side wakes the other only
//! if that one sleeps, and a round trip allocates nothing (each thread reuses
//! one reply slot). An idle filesystem burns no core.
//!
//! A mutation that panics is caught inside the writer and answered with
//! `Error::Internal`; the thread goes on. The thread ends when every sender
//! is gone (the last `MemoryFileSystem` clone dropped); `ActorEngine`'s drop
//! joins it. If the thread ever dies anyway, its receiver (with every queued
//! request) and every pending reply sender drop with it, so pending callers
//! get `EngineStopped` instead of waiting forever, and later ones get it from
//! the closed channel.

use std::time::Duration;

use super::reply::{ReplySender, ReplySlot, Wait};
use super::{Mutation, Outcome, TreeWriter};
use crate::sync::channel::{self, Arrival, Receiver, Sender};
use crate::sync::thread::{self, JoinHandle};
use crate::{Error, Result};

/// Most requests applied under one publication: bounds the latency a batch
/// adds to its first caller.
const MAX_BATCH: usize = 256;
/// The longest the writer stays awake for a next request; past it, parking
/// and being woken costs less.
const MAX_AWAKE: Duration = Duration::from_micros(20);
/// The shortest wait while requests come close together: about what a
/// caller takes between two mutations of a small-file loop.
const MIN_AWAKE: Duration = Duration::from_micros(2);
/// How a caller waits for an awake writer: yielding its core (to the
/// writer, if they share one) until this long has passed, then parked.
const CALLER_WAIT: Wait = Wait {
    yield_for: Duration::from_micros(100),
};
/// How a caller waits for a writer its send woke: yielding its core through
/// the writer's wake-up (a parked thread typically runs again within tens of
/// microseconds), then parked. Parking at once would make the reply wake
/// the caller too: two wake-ups per request instead of one, and with them
/// the caller's own wake-up latency.
const WOKEN_WRITER_WAIT: Wait = Wait {
    yield_for: Duration::from_micros(50),
};

struct Request {
    mutation: Mutation,
    reply: ReplySender<Result<Outcome>>,
}

type Slot = ReplySlot<Result<Outcome>>;

// Each thread's reply slot, armed for each of its requests: a thread waits
// for one reply at a time (a call returns only with its reply).
#[cfg(not(loom))]
std::thread_local! {
    static SLOT: Slot = Slot::new();
}
#[cfg(loom)]
loom::thread_local! {
    static SLOT: Slot = Slot::new();
}

/// The caller's side of the writer thread.
#[derive(Debug)]
pub(crate) struct ActorEngine {
    requests: Option<Sender<Request>>,
    thread: Option<JoinHandle<()>>,
}

impl ActorEngine {
    pub(crate) fn spawn(writer: TreeWriter) -> Result<Self> {
        let (tx, rx) = channel::channel();
        let thread = thread::Builder::new()
            .name("dmemfs-writer".into())
            .spawn(move || run(writer, rx))
            .map_err(Error::writer_spawn)?;
        Ok(ActorEngine {
            requests: Some(tx),
            thread: Some(thread),
        })
    }

    /// Sends `mutation` to the writer and waits for its published result.
    pub(crate) fn call(&self, mutation: Mutation) -> Result<Outcome> {
        // A thread past its thread-locals' destruction (a handle dropped by
        // another thread-local's destructor) uses a slot of its own.
        let mut mutation = Some(mutation);
        SLOT.try_with(|slot| self.call_with(slot, &mut mutation))
            .unwrap_or_else(|_| self.call_with(&Slot::new(), &mut mutation))
    }

    /// `call` through `slot`, taking the mutation out of `mutation` (a thread
    /// that cannot reach its thread-local slot gets its mutation back).
    fn call_with(&self, slot: &Slot, mutation: &mut Option<Mutation>) -> Result<Outcome> {
        let requests = self.requests.as_ref().ok_or(Error::EngineStopped)?;
        let mutation = mutation.take().ok_or(Error::EngineStopped)?;
        let reply = slot.arm();
        let writer_was_asleep = requests
            .send(Request { mutation, reply })
            .map_err(|_| Error::EngineStopped)?;
        // An awake writer answers within microseconds; one we had to wake
        // needs the scheduler first.
        let how = if writer_was_asleep {
            WOKEN_WRITER_WAIT
        } else {
            CALLER_WAIT
        };
        slot.wait(how).ok_or(Error::EngineStopped)?
    }
}

impl Drop for ActorEngine {
    fn drop(&mut self) {
        // Closing the channel ends the thread's loop once the queue is empty.
        self.requests = None;
        if let Some(handle) = self.thread.take() {
            if handle.thread().id() != thread::current().id() {
                let _ = handle.join();
            }
        }
    }
}

fn run(mut writer: TreeWriter, requests: Receiver<Request>) {
    let mut batch: Vec<Request> = Vec::with_capacity(MAX_BATCH);
    let mut results: Vec<(ReplySender<Result<Outcome>>, Result<Outcome>)> =
        Vec::with_capacity(MAX_BATCH);
    let mut idle = IdlePolicy::default();
    while let Some((first, arrival)) = requests.recv(idle.awake_budget()) {
        idle.record(arrival);
        batch.push(first);
        while batch.len() < MAX_BATCH {
            match requests.try_recv() {
                Ok(request) => batch.push(request),
                Err(_) => break,
            }
        }
        // Outside any catch: a test can make the thread die here, before
        // the batch changes anything.
        writer.before_mutation();
        for Request { mutation, reply } in batch.drain(..) {
            results.push((reply, writer.apply_caught(mutation)));
        }
        writer.publish();
        for (reply, result) in results.drain(..) {
            reply.send(result);
        }
    }
}

/// How long the writer stays awake (yielding in a loop) for its next
/// request before it parks.
///
/// Staying awake pays only when the next request comes sooner than a
/// wake-up would take, and on a machine with few cores every microsecond
/// awake is taken from the callers' reads. So the writer keeps an average of
/// the recent gaps between a batch's end and the next request, and stays
/// awake about twice that (within [`MIN_AWAKE`, `MAX_AWAKE`]) while it is
/// short, and not at all once it is longer than `MAX_AWAKE`.
#[derive(Debug, Default)]
struct IdlePolicy {
    /// Exponential average (weight 1/4) of the recent gaps, each capped at
    /// twice `MAX_AWAKE` so that one long idle spell is forgotten after a few
    /// quick requests.
    average_gap: Duration,
}

impl IdlePolicy {
    fn awake_budget(&self) -> Duration {
        if self.average_gap >= MAX_AWAKE {
            Duration::ZERO
        } else {
            (self.average_gap * 2).clamp(MIN_AWAKE, MAX_AWAKE)
        }
    }

    fn record(&mut self, arrival: Arrival) {
        let gap = match arrival {
            Arrival::Queued => Duration::ZERO,
            Arrival::WhileAwake(gap) | Arrival::WhileAsleep(gap) => gap,
        };
        self.average_gap = (self.average_gap * 3 + gap.min(MAX_AWAKE * 2)) / 4;
    }
}

#[cfg(all(test, not(loom), feature = "fault-injection"))]
mod tests {
    use std::sync::Arc;

    use dmemfs_core_tree::NormPath;

    use super::*;
    use crate::MemoryFileSystem;

    fn mkdir(path: &str) -> Mutation {
        Mutation::Mkdir {
            path: NormPath::parse(path).expect("valid path"),
            exist_ok: false,
        }
    }

    #[test]
    fn a_dying_writer_fails_every_pending_request_and_later_sends() {
        let fs = MemoryFileSystem::new();
        let writer = TreeWriter::new(Arc::clone(fs.core()));
        crate::fault::kill_writer_on_next_mutation(&fs);
        let (tx, rx) = channel::channel();
        // Queued before the thread starts, so all are pending when it dies:
        // some in its first batch, the rest still in the channel.
        let answers: Vec<_> = (0..MAX_BATCH + 10)
            .map(|i| {
                let slot = Slot::new();
                let sent = tx.send(Request {
                    mutation: mkdir(&format!("/q{i}")),
                    reply: slot.arm(),
                });
                assert!(sent.is_ok(), "the receiver is alive");
                slot
            })
            .collect();
        let thread = std::thread::spawn(move || run(writer, rx));
        assert!(thread.join().is_err(), "the writer thread died");
        for answer in answers {
            assert!(
                answer.wait(Wait::PARK).is_none(),
                "a pending caller gets no reply"
            );
        }
        let slot = Slot::new();
        assert!(tx
            .send(Request {
                mutation: mkdir("/late"),
                reply: slot.arm(),
            })
            .is_err());
        assert!(!fs.exists("/q0"), "nothing was applied");
    }
}

#[cfg(all(test, not(loom)))]
mod idle_policy_tests {
    use super::*;

    const US: Duration = Duration::from_micros(1);

    #[test]
    fn requests_close_together_keep_the_writer_awake() {
        let mut idle = IdlePolicy::default();
        for _ in 0..8 {
            idle.record(Arrival::WhileAwake(3 * US));
        }
        let budget = idle.awake_budget();
        assert!(
            (MIN_AWAKE..=MAX_AWAKE).contains(&budget) && budget >= 3 * US,
            "awake about twice the gap: {budget:?}"
        );
    }

    #[test]
    fn requests_far_apart_make_the_writer_park_at_once() {
        let mut idle = IdlePolicy::default();
        for _ in 0..8 {
            idle.record(Arrival::WhileAsleep(100 * US));
        }
        assert_eq!(idle.awake_budget(), Duration::ZERO);
    }

    #[test]
    fn a_long_idle_spell_is_forgotten_after_a_few_quick_requests() {
        let mut idle = IdlePolicy::default();
        for _ in 0..8 {
            idle.record(Arrival::WhileAsleep(Duration::from_secs(3600)));
        }
        assert_eq!(idle.awake_budget(), Duration::ZERO);
        let quick = (1..=8)
            .find(|_| {
                idle.record(Arrival::Queued);
                idle.awake_budget() > Duration::ZERO
            })
            .expect("awake again within eight requests");
        assert!(quick <= 4, "took {quick} requests");
    }
}
