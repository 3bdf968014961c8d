//! The read-heavy mix of issue 13 on one shared subject: 2,000 files of
//! 4 KiB; each operation picks a file at random, and 90% of operations open,
//! read and close it, 10% write it: half of those replace it (open for
//! writing, write, close), half remove it and create it again. Every thread
//! has its own seeded sequence of operations, the same on every subject.

use std::io;
use std::sync::Barrier;
use std::thread;
use std::time::{Duration, Instant};

use rand::RngExt;

use super::cases::seeded_rng;
use super::subject::{read_file, write_file, Subject};

/// How many files the operations pick from.
pub const FILES: usize = 2_000;
/// The size of every file.
pub const FILE_SIZE: usize = 4 * 1024;
/// Out of 100 operations, how many write.
pub const WRITE_PERCENT: u32 = 10;
/// The length of each thread's sequence; runs longer than this go round it
/// again.
const SEQUENCE_LEN: usize = 1 << 16;
/// The directory the files are in.
const DIR: &str = "/contention";

#[derive(Clone, Copy, Debug)]
enum Op {
    Read(usize),
    Replace(usize),
    Recreate(usize),
}

/// Whether an operation reads or writes, for whoever observes it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OpKind {
    /// Open, read whole, close.
    Read,
    /// Replace, or remove and create again.
    Write,
}

/// Sees each operation run, e.g. to time it.
pub trait Observer: Send {
    /// Runs `op`, an operation of `kind`, and returns its result.
    fn observe<T>(&mut self, kind: OpKind, op: impl FnOnce() -> T) -> T;
}

/// Runs operations and sees nothing: the throughput runs.
pub struct Unobserved;

impl Observer for Unobserved {
    fn observe<T>(&mut self, _kind: OpKind, op: impl FnOnce() -> T) -> T {
        op()
    }
}

/// What a run did. Under concurrency a read may find its file removed by a
/// writer that has not yet created it again, and a remove may find the file
/// open (`ResourceBusy`, dmemfs) or already removed; such a write still
/// creates the file again.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Tally {
    /// Reads that read the file.
    pub reads: u64,
    /// Reads that found no file.
    pub missed_reads: u64,
    /// Writes, all of which created or replaced their file.
    pub writes: u64,
    /// Removes refused because the file was open.
    pub busy_removes: u64,
    /// Removes that found the file already removed.
    pub missing_removes: u64,
}

impl Tally {
    fn add(&mut self, other: Tally) {
        self.reads += other.reads;
        self.missed_reads += other.missed_reads;
        self.writes += other.writes;
        self.busy_removes += other.busy_removes;
        self.missing_removes += other.missing_removes;
    }

    /// All operations run.
    pub fn ops(&self) -> u64 {
        self.reads + self.missed_reads + self.writes
    }
}

/// The files and each thread's operations.
pub struct ContentionPlan {
    paths: Vec<String>,
    payload: Vec<u8>,
    sequences: Vec<Vec<Op>>,
}

/// How a remove ended, when it did not fail.
enum Removed {
    Done,
    Busy,
    Missing,
}

impl ContentionPlan {
    /// A plan for `threads` threads.
    pub fn new(threads: usize) -> Self {
        let sequences = (0..threads)
            .map(|thread| {
                let mut rng = seeded_rng(thread as u64);
                (0..SEQUENCE_LEN)
                    .map(|_| {
                        let file = rng.random_range(0..FILES);
                        if rng.random_range(0..100) >= WRITE_PERCENT {
                            Op::Read(file)
                        } else if rng.random_bool(0.5) {
                            Op::Replace(file)
                        } else {
                            Op::Recreate(file)
                        }
                    })
                    .collect()
            })
            .collect();
        ContentionPlan {
            paths: (0..FILES).map(|i| format!("{DIR}/f{i:04}.bin")).collect(),
            payload: vec![b'c'; FILE_SIZE],
            sequences,
        }
    }

    /// How many threads run the operations.
    pub fn threads(&self) -> usize {
        self.sequences.len()
    }

    /// Creates the files on an empty `fs`.
    pub fn populate<S: Subject>(&self, fs: &S) -> io::Result<()> {
        fs.mkdir(DIR)?;
        self.paths
            .iter()
            .try_for_each(|path| write_file(fs, path, &self.payload))
    }

    /// Runs `ops` operations on the populated `fs`, spread evenly over the
    /// threads; thread `t` goes on from `cursors[t]` in its sequence (moved
    /// past what it ran) and shows each operation to `observers[t]`. Gives
    /// the wall time from when all threads are ready to when the last ends.
    pub fn run<S: Subject, O: Observer>(
        &self,
        fs: &S,
        ops: u64,
        cursors: &mut [usize],
        observers: &mut [O],
    ) -> io::Result<(Duration, Tally)> {
        let threads = self.threads();
        assert!(cursors.len() == threads && observers.len() == threads);
        let shares: Vec<u64> = (0..threads as u64)
            .map(|t| ops / threads as u64 + u64::from(t < ops % threads as u64))
            .collect();
        let ready = Barrier::new(threads + 1);
        let (elapsed, tallies) = thread::scope(|scope| {
            let workers: Vec<_> = self
                .sequences
                .iter()
                .zip(cursors.iter())
                .zip(observers.iter_mut())
                .zip(&shares)
                .map(|(((sequence, &cursor), observer), &share)| {
                    let ready = &ready;
                    scope.spawn(move || {
                        ready.wait();
                        self.run_thread(fs, sequence, cursor, share, observer)
                    })
                })
                .collect();
            ready.wait();
            let start = Instant::now();
            let tallies: Vec<_> = workers.into_iter().map(|w| w.join()).collect();
            (start.elapsed(), tallies)
        });
        let mut total = Tally::default();
        for tally in tallies {
            total.add(tally.map_err(|_| io::Error::other("a contention thread panicked"))??);
        }
        for (cursor, share) in cursors.iter_mut().zip(shares) {
            *cursor = (*cursor + share as usize) % SEQUENCE_LEN;
        }
        Ok((elapsed, total))
    }

    fn run_thread<S: Subject, O: Observer>(
        &self,
        fs: &S,
        sequence: &[Op],
        start: usize,
        count: u64,
        observer: &mut O,
    ) -> io::Result<Tally> {
        let mut tally = Tally::default();
        for op in sequence.iter().cycle().skip(start).take(count as usize) {
            match *op {
                Op::Read(file) => {
                    match observer.observe(OpKind::Read, || read_file(fs, &self.paths[file])) {
                        Ok(_) => tally.reads += 1,
                        Err(e) if e.kind() == io::ErrorKind::NotFound => tally.missed_reads += 1,
                        Err(e) => return Err(e),
                    }
                }
                Op::Replace(file) => {
                    observer.observe(OpKind::Write, || {
                        write_file(fs, &self.paths[file], &self.payload)
                    })?;
                    tally.writes += 1;
                }
                Op::Recreate(file) => {
                    let removed = observer.observe(OpKind::Write, || {
                        let path = &self.paths[file];
                        let removed = match fs.remove(path) {
                            Ok(()) => Removed::Done,
                            Err(e) if e.kind() == io::ErrorKind::ResourceBusy => Removed::Busy,
                            Err(e) if e.kind() == io::ErrorKind::NotFound => Removed::Missing,
                            Err(e) => return Err(e),
                        };
                        write_file(fs, path, &self.payload)?;
                        Ok(removed)
                    })?;
                    tally.writes += 1;
                    match removed {
                        Removed::Done => {}
                        Removed::Busy => tally.busy_removes += 1,
                        Removed::Missing => tally.missing_removes += 1,
                    }
                }
            }
        }
        Ok(tally)
    }
}
