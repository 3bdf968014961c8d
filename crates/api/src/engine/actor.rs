//! The writer thread of [`crate::Concurrency::Actor`].
//!
//! Callers send a [`Request`] on the request channel (a `crossbeam-channel`,
//! behind `crate::sync::channel`) and wait on its one-shot reply slot. The
//! thread takes every request already queued, applies them in order,
//! publishes the tree once for the whole batch, releases the file locks the
//! batch took, and only then replies — so each caller's next snapshot load
//! sees its change.
//!
//! Between batches the thread spins briefly (a caller doing create → write →
//! create sends its next request within microseconds, and waking a parked
//! thread costs more than that), then yields, then parks in `recv`: an idle
//! filesystem burns no core.
//!
//! A mutation that panics is caught inside the writer and answered with
//! `Error::Internal`; the thread goes on. The thread ends when every sender
//! is gone (the last `MemoryFileSystem` clone dropped); `ActorEngine`'s drop
//! joins it. If the thread ever dies anyway, its receiver (with every queued
//! request) and every pending reply sender drop with it, so pending callers
//! get `EngineStopped` instead of waiting forever, and later ones get it from
//! the closed channel.

use std::time::Duration;

use super::reply::{reply_slot, ReplySender};
use super::{Mutation, Outcome, TreeWriter};
use crate::sync::channel::{self, Receiver, Sender, TryRecvError};
use crate::sync::thread::{self, JoinHandle};
use crate::sync::Backoff;
use crate::sync::{AtomicUsize, Ordering};
use crate::{Error, Result};

/// Most requests applied under one publication: bounds the latency a batch
/// adds to its first caller.
const MAX_BATCH: usize = 256;
/// Pure spinning before yielding, then yielding before parking.
const SPIN_FOR: Duration = Duration::from_micros(20);
const YIELD_FOR: Duration = Duration::from_micros(50);
/// Spin-loop hints between two looks at the channel while spinning.
const SPINS: u32 = 32;

struct Request {
    mutation: Mutation,
    reply: ReplySender<Result<Outcome>>,
}

/// The caller's side of the writer thread.
#[derive(Debug)]
pub(crate) struct ActorEngine {
    requests: Option<Sender<Request>>,
    thread: Option<JoinHandle<()>>,
    /// Callers waiting for a reply now.
    waiting: AtomicUsize,
    /// Callers that may spin at once: one core stays for the writer.
    spinners: usize,
}

impl ActorEngine {
    pub(crate) fn spawn(writer: TreeWriter) -> Result<Self> {
        let (tx, rx) = channel::channel();
        let thread = thread::Builder::new()
            .name("dmemfs-writer".into())
            .spawn(move || run(writer, rx))
            .map_err(Error::writer_spawn)?;
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        Ok(ActorEngine {
            requests: Some(tx),
            thread: Some(thread),
            waiting: AtomicUsize::new(0),
            spinners: cores.saturating_sub(1),
        })
    }

    /// Sends `mutation` to the writer and waits for its published result.
    pub(crate) fn call(&self, mutation: Mutation) -> Result<Outcome> {
        let (reply, answer) = reply_slot();
        let requests = self.requests.as_ref().ok_or(Error::EngineStopped)?;
        requests
            .send(Request { mutation, reply })
            .map_err(|_| Error::EngineStopped)?;
        // Spinning callers beyond the spare cores would only steal the
        // writer's core, so those yield from the start.
        let waiting = self.waiting.fetch_add(1, Ordering::Relaxed);
        let reply = answer.recv(waiting < self.spinners);
        self.waiting.fetch_sub(1, Ordering::Relaxed);
        reply.ok_or(Error::EngineStopped)?
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
    while let Some(first) = next_request(&requests) {
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

/// Waits for the next request: spin, then yield, then park. `None` once
/// every sender is gone.
fn next_request(requests: &Receiver<Request>) -> Option<Request> {
    let backoff = Backoff::new(SPIN_FOR, YIELD_FOR, SPINS);
    loop {
        match requests.try_recv() {
            Ok(request) => return Some(request),
            Err(TryRecvError::Disconnected) => return None,
            Err(TryRecvError::Empty) => {}
        }
        if !backoff.snooze() {
            return requests.recv();
        }
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
                let (reply, answer) = reply_slot();
                let sent = tx.send(Request {
                    mutation: mkdir(&format!("/q{i}")),
                    reply,
                });
                assert!(sent.is_ok(), "the receiver is alive");
                answer
            })
            .collect();
        let thread = std::thread::spawn(move || run(writer, rx));
        assert!(thread.join().is_err(), "the writer thread died");
        for answer in answers {
            assert!(
                answer.recv(false).is_none(),
                "a pending caller gets no reply"
            );
        }
        let (reply, _answer) = reply_slot();
        assert!(tx
            .send(Request {
                mutation: mkdir("/late"),
                reply
            })
            .is_err());
        assert!(!fs.exists("/q0"), "nothing was applied");
    }
}
