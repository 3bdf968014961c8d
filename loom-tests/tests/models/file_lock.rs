//! Model 1: the per-file reader/writer lock
//! (`crates/storage-backends/src/file/lock.rs`), between holders of one kind
//! (the tree writer's hold, which tells kinds apart, is `relink.rs`'s).
//!
//! Properties, each a model run on the real `FileLock`:
//! - mutual exclusion: a writer never holds the lock with anyone else (the
//!   guarded cell is a loom `UnsafeCell`, so two holders at once are a
//!   causality violation), and the try and zero-timeout paths return;
//! - no lost wake-up: every thread blocked without a timeout gets the lock
//!   (a lost wake-up leaves one blocked forever, which loom reports as a
//!   deadlock);
//! - timeouts return, and a writer that gives up lets the readers queued
//!   behind it in;
//! - writer preference: once a writer waits, a new reader waits behind it,
//!   so a stream of readers cannot starve the writer.
//!
//! `BrokenLock` is a copy of `FileLock` with one chosen defect; the
//! `broken_*` tests run the same models on it and expect loom to fail them.
//!
//! Threads share state through std's `Arc`, not loom's: when loom reports a
//! deadlock it unwinds the blocked threads outside the execution, where
//! dropping a loom `Arc` aborts the process instead of failing the test.

use std::sync::Arc;
use std::time::Duration;

use dmemfs_storage_backends::loom_exports::FileLock;
use dmemfs_storage_backends::sync::{advance_clock, Instant as ModelInstant};
use dmemfs_storage_backends::{Holder, Holds};
use loom::sync::atomic::{AtomicBool, Ordering};
use loom::sync::{Condvar, Mutex, MutexGuard};
use loom::thread;

use crate::common::{check, spin_until, Guarded, FOREVER, ONE_SECOND, TRY};

/// What the models need of a reader/writer lock; `true` means acquired.
pub trait RwProtocol: Send + Sync + 'static {
    fn read(&self, timeout: Option<Duration>) -> bool;
    fn write(&self, timeout: Option<Duration>) -> bool;
    fn try_write(&self) -> bool;
    fn unlock_read(&self);
    fn unlock_write(&self);
    fn is_locked(&self) -> bool;
    fn writers_waiting(&self) -> u32;
    fn wake_timed_waiters(&self);
}

/// The real lock, every hold taken as a transient one (the kind matters
/// only to the tree writer); `try_write` is a write with a zero timeout.
impl RwProtocol for FileLock {
    fn read(&self, timeout: Option<Duration>) -> bool {
        FileLock::read(self, Holder::Transient, timeout).is_ok()
    }
    fn write(&self, timeout: Option<Duration>) -> bool {
        FileLock::write(self, Holder::Transient, timeout).is_ok()
    }
    fn try_write(&self) -> bool {
        FileLock::write(self, Holder::Transient, TRY).is_ok()
    }
    fn unlock_read(&self) {
        FileLock::unlock_read(self, Holder::Transient);
    }
    fn unlock_write(&self) {
        FileLock::unlock_write(self, Holder::Transient);
    }
    fn is_locked(&self) -> bool {
        FileLock::holds(self) != Holds::None
    }
    fn writers_waiting(&self) -> u32 {
        FileLock::writers_waiting(self)
    }
    fn wake_timed_waiters(&self) {
        FileLock::wake_timed_waiters(self);
    }
}

/// A blocking writer, a blocking reader and the main thread's try-lock and
/// zero-timeout attempts: never two holders where one is a writer, and the
/// non-blocking paths return.
fn mutual_exclusion<L: RwProtocol>(make: fn() -> L) {
    check(move || {
        let lock = Arc::new(make());
        let data = Arc::new(Guarded::new());
        let writer = {
            let (lock, data) = (Arc::clone(&lock), Arc::clone(&data));
            thread::spawn(move || {
                assert!(lock.write(FOREVER), "a wait without timeout gave up");
                data.write();
                lock.unlock_write();
            })
        };
        let reader = {
            let (lock, data) = (Arc::clone(&lock), Arc::clone(&data));
            thread::spawn(move || {
                assert!(lock.read(FOREVER), "a wait without timeout gave up");
                let seen = data.read();
                lock.unlock_read();
                seen
            })
        };
        if lock.try_write() {
            data.write();
            lock.unlock_write();
        }
        if lock.write(TRY) {
            data.write();
            lock.unlock_write();
        }
        if lock.read(TRY) {
            data.read();
            lock.unlock_read();
        }
        writer.join().expect("writer");
        assert!(reader.join().expect("reader") <= 3);
        assert!(!lock.is_locked(), "a hold was never given back");
    });
}

/// Two blocking writers and a blocking reader: every one gets the lock.
fn no_lost_wakeup<L: RwProtocol>(make: fn() -> L) {
    check(move || {
        let lock = Arc::new(make());
        let writers: Vec<_> = (0..2)
            .map(|_| {
                let lock = Arc::clone(&lock);
                thread::spawn(move || {
                    assert!(lock.write(FOREVER));
                    lock.unlock_write();
                })
            })
            .collect();
        assert!(lock.read(FOREVER));
        lock.unlock_read();
        for w in writers {
            w.join().expect("writer");
        }
        assert!(!lock.is_locked());
    });
}

/// The main thread holds a read lock throughout; a writer waits with a
/// timeout and a reader queues without one. When the writer's deadline
/// passes it must give up, and the reader queued behind it must get in
/// although nobody unlocks anything.
fn timed_out_writer_lets_readers_in<L: RwProtocol>(make: fn() -> L) {
    check(move || {
        let lock = Arc::new(make());
        assert!(lock.read(TRY));
        let writer = {
            let lock = Arc::clone(&lock);
            thread::spawn(move || lock.write(Some(ONE_SECOND)))
        };
        let reader = {
            let lock = Arc::clone(&lock);
            thread::spawn(move || {
                assert!(lock.read(FOREVER), "a wait without timeout gave up");
                lock.unlock_read();
            })
        };
        // The writer's deadline passes once it waits: the OS's timer.
        spin_until(|| lock.writers_waiting() > 0);
        advance_clock(ONE_SECOND);
        lock.wake_timed_waiters();
        assert!(
            !writer.join().expect("writer"),
            "the writer got the lock while a reader held it"
        );
        reader.join().expect("reader");
        lock.unlock_read();
        assert!(!lock.is_locked());
    });
}

/// A writer holds the lock; a reader with a timeout gives up and leaves no
/// trace, and a try-write returns at once.
fn timed_out_reader_returns<L: RwProtocol>(make: fn() -> L) {
    check(move || {
        let lock = Arc::new(make());
        let reader_done = Arc::new(AtomicBool::new(false));
        assert!(lock.write(TRY));
        let reader = {
            let (lock, done) = (Arc::clone(&lock), Arc::clone(&reader_done));
            thread::spawn(move || {
                let got = lock.read(Some(ONE_SECOND));
                done.store(true, Ordering::SeqCst);
                got
            })
        };
        assert!(!lock.try_write());
        // The OS's timer: it ticks until the reader's deadline has passed,
        // wherever the reader took its deadline.
        spin_until(|| {
            advance_clock(ONE_SECOND);
            lock.wake_timed_waiters();
            reader_done.load(Ordering::SeqCst)
        });
        let got = reader.join().expect("reader");
        assert!(!got, "a reader got in while the writer held the lock");
        lock.unlock_write();
        assert!(!lock.is_locked());
    });
}

/// The main thread holds a read lock until a writer waits; from then on a
/// new reader must wait behind the writer: a try-read fails, and a blocking
/// reader that arrives after the writer started waiting gets in only after
/// the writer has had the lock.
fn writer_preference<L: RwProtocol>(make: fn() -> L) {
    check(move || {
        let lock = Arc::new(make());
        let writer_done = Arc::new(AtomicBool::new(false));
        assert!(lock.read(TRY));
        let writer = {
            let (lock, done) = (Arc::clone(&lock), Arc::clone(&writer_done));
            thread::spawn(move || {
                assert!(lock.write(FOREVER));
                done.store(true, Ordering::SeqCst);
                lock.unlock_write();
            })
        };
        spin_until(|| lock.writers_waiting() > 0);
        // From here on every new reader is late.
        let late_reader = {
            let (lock, done) = (Arc::clone(&lock), Arc::clone(&writer_done));
            thread::spawn(move || {
                assert!(lock.read(FOREVER));
                assert!(
                    done.load(Ordering::SeqCst),
                    "a late reader got in ahead of a waiting writer"
                );
                lock.unlock_read();
            })
        };
        let jumped = lock.read(TRY);
        if jumped {
            lock.unlock_read();
        }
        assert!(!jumped, "a new reader got in ahead of a waiting writer");
        lock.unlock_read();
        writer.join().expect("writer");
        late_reader.join().expect("reader");
        assert!(!lock.is_locked());
    });
}

#[test]
fn mutual_exclusion_and_try_paths() {
    mutual_exclusion(FileLock::default);
}

#[test]
fn no_wakeup_is_lost() {
    no_lost_wakeup(FileLock::default);
}

#[test]
fn a_timed_out_writer_returns_and_lets_queued_readers_in() {
    timed_out_writer_lets_readers_in(FileLock::default);
}

#[test]
fn a_timed_out_reader_returns() {
    timed_out_reader_returns(FileLock::default);
}

#[test]
fn a_waiting_writer_is_not_starved_by_readers() {
    writer_preference(FileLock::default);
}

#[test]
#[should_panic(expected = "Causality violation")]
fn broken_try_write_that_ignores_readers_is_caught() {
    mutual_exclusion(|| BrokenLock::new(Defect::TryWriteIgnoresReaders));
}

#[test]
#[should_panic(expected = "deadlock")]
fn broken_unlock_read_that_forgets_waiting_writers_is_caught() {
    no_lost_wakeup(|| BrokenLock::new(Defect::UnlockReadWakesNobody));
}

#[test]
#[should_panic(expected = "deadlock")]
fn broken_timeout_that_strands_queued_readers_is_caught() {
    timed_out_writer_lets_readers_in(|| BrokenLock::new(Defect::TimeoutWakesNobody));
}

#[test]
#[should_panic(expected = "ahead of a waiting writer")]
fn broken_lock_without_writer_preference_is_caught() {
    writer_preference(|| BrokenLock::new(Defect::ReadersIgnoreWaitingWriters));
}

/// The one thing `BrokenLock` does wrong.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Defect {
    /// `try_write` checks only for a writer (mutual exclusion).
    TryWriteIgnoresReaders,
    /// `unlock_read` never notifies a waiting writer (lost wake-up).
    UnlockReadWakesNobody,
    /// A writer that times out does not wake the readers queued behind it.
    TimeoutWakesNobody,
    /// `read` waits only for a holding writer, not a waiting one (starvation).
    ReadersIgnoreWaitingWriters,
}

#[derive(Default)]
struct State {
    readers: u32,
    writer: bool,
    writers_waiting: u32,
}

/// `FileLock` line for line, except where `defect` says.
struct BrokenLock {
    state: Mutex<State>,
    readers_cv: Condvar,
    writers_cv: Condvar,
    defect: Defect,
}

impl BrokenLock {
    fn new(defect: Defect) -> Self {
        BrokenLock {
            state: Mutex::default(),
            readers_cv: Condvar::new(),
            writers_cv: Condvar::new(),
            defect,
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().expect("not poisoned")
    }

    /// `Deadline::wait`: `None` is the guard back, or the deadline passed.
    fn wait<'a>(
        &self,
        deadline: Option<ModelInstant>,
        cv: &Condvar,
        guard: MutexGuard<'a, State>,
    ) -> Option<MutexGuard<'a, State>> {
        match deadline {
            None => Some(cv.wait(guard).expect("not poisoned")),
            Some(at) if ModelInstant::now() >= at => None,
            Some(_) => Some(cv.wait(guard).expect("not poisoned")),
        }
    }
}

fn deadline(timeout: Option<Duration>) -> Option<ModelInstant> {
    timeout.and_then(|t| ModelInstant::now().checked_add(t))
}

impl RwProtocol for BrokenLock {
    fn read(&self, timeout: Option<Duration>) -> bool {
        let immediate = timeout == TRY;
        let at = deadline(timeout);
        let mut s = self.lock();
        while s.writer
            || (s.writers_waiting > 0 && self.defect != Defect::ReadersIgnoreWaitingWriters)
        {
            if immediate {
                return false;
            }
            match self.wait(at, &self.readers_cv, s) {
                Some(next) => s = next,
                None => return false,
            }
        }
        s.readers += 1;
        true
    }

    fn write(&self, timeout: Option<Duration>) -> bool {
        let at = deadline(timeout);
        let mut s = self.lock();
        if !s.writer && s.readers == 0 {
            s.writer = true;
            return true;
        }
        if timeout == TRY {
            return false;
        }
        s.writers_waiting += 1;
        while s.writer || s.readers > 0 {
            match self.wait(at, &self.writers_cv, s) {
                Some(next) => s = next,
                None => {
                    let mut s = self.lock();
                    s.writers_waiting -= 1;
                    if s.writers_waiting == 0
                        && !s.writer
                        && self.defect != Defect::TimeoutWakesNobody
                    {
                        self.readers_cv.notify_all();
                    }
                    return false;
                }
            }
        }
        s.writers_waiting -= 1;
        s.writer = true;
        true
    }

    fn try_write(&self) -> bool {
        let mut s = self.lock();
        if s.writer || (s.readers > 0 && self.defect != Defect::TryWriteIgnoresReaders) {
            return false;
        }
        s.writer = true;
        true
    }

    fn unlock_read(&self) {
        let mut s = self.lock();
        s.readers -= 1;
        if s.readers == 0 && s.writers_waiting > 0 && self.defect != Defect::UnlockReadWakesNobody {
            self.writers_cv.notify_one();
        }
    }

    fn unlock_write(&self) {
        let mut s = self.lock();
        s.writer = false;
        if s.writers_waiting > 0 {
            self.writers_cv.notify_one();
        } else {
            self.readers_cv.notify_all();
        }
    }

    fn is_locked(&self) -> bool {
        let s = self.lock();
        s.writer || s.readers > 0
    }

    fn writers_waiting(&self) -> u32 {
        self.lock().writers_waiting
    }

    fn wake_timed_waiters(&self) {
        let _s = self.lock();
        self.readers_cv.notify_all();
        self.writers_cv.notify_all();
    }
}
