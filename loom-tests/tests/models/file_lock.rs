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
//!   so a stream of readers cannot starve the writer;
//! - the hand-over from the fast path to the slow one: a release (one RMW
//!   on the lock word, no mutex) racing a waiter's registration (setting
//!   `WAITING` under the mutex) never leaves the waiter asleep, whichever
//!   comes first.
//!
//! `BrokenLock` is a mutex-only reader/writer lock with `FileLock`'s waiting
//! rules and one chosen defect; `FastPathLock` is `FileLock`'s fast/slow
//! split for one kind of holder, correct or with the defect the hand-over
//! must not have. The `broken_*` tests run the same models on them and
//! expect loom to fail them.
//!
//! Threads share state through std's `Arc`, not loom's: when loom reports a
//! deadlock it unwinds the blocked threads outside the execution, where
//! dropping a loom `Arc` aborts the process instead of failing the test.

use std::sync::Arc;
use std::time::Duration;

use dmemfs_storage_backends::loom_exports::FileLock;
use dmemfs_storage_backends::sync::{advance_clock, Instant as ModelInstant};
use dmemfs_storage_backends::{Holder, Holds};
use loom::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use loom::sync::{Condvar, MutexGuard};
use loom::thread;

use crate::common::{check, spin_until, CondvarLock, Guarded, FOREVER, ONE_SECOND, TRY};

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

/// The main thread holds the lock (exclusively if `holder_writes`); one
/// thread asks for the other kind of hold and waits. Loom places the main
/// thread's release before, between and after each step of the waiter's
/// slow path: the waiter always gets the lock, and never with the holder.
fn release_racing_a_waiters_registration<L: RwProtocol>(make: fn() -> L, holder_writes: bool) {
    check(move || {
        let lock = Arc::new(make());
        let data = Arc::new(Guarded::new());
        assert!(if holder_writes {
            lock.write(TRY)
        } else {
            lock.read(TRY)
        });
        let waiter = {
            let (lock, data) = (Arc::clone(&lock), Arc::clone(&data));
            thread::spawn(move || {
                if holder_writes {
                    assert!(lock.read(FOREVER));
                    data.read();
                    lock.unlock_read();
                } else {
                    assert!(lock.write(FOREVER));
                    data.write();
                    lock.unlock_write();
                }
            })
        };
        if holder_writes {
            data.write();
            lock.unlock_write();
        } else {
            data.read();
            lock.unlock_read();
        }
        waiter.join().expect("waiter");
        assert!(!lock.is_locked(), "a hold was never given back");
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
fn a_writers_release_racing_a_readers_registration_wakes_it() {
    release_racing_a_waiters_registration(FileLock::default, true);
    release_racing_a_waiters_registration(|| FastPathLock::new(true), true);
}

#[test]
fn a_readers_release_racing_a_writers_registration_wakes_it() {
    release_racing_a_waiters_registration(FileLock::default, false);
    release_racing_a_waiters_registration(|| FastPathLock::new(true), false);
}

#[test]
#[should_panic(expected = "deadlock")]
fn broken_reader_that_registers_after_its_last_look_is_caught() {
    release_racing_a_waiters_registration(|| FastPathLock::new(false), true);
}

#[test]
#[should_panic(expected = "deadlock")]
fn broken_writer_that_registers_after_its_last_look_is_caught() {
    release_racing_a_waiters_registration(|| FastPathLock::new(false), false);
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

/// `FileLock`'s rules on a mutex alone, except where `defect` says.
type BrokenLock = crate::common::BrokenLock<State, Defect>;

impl BrokenLock {
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

/// `FastPathLock`'s word: the writer, `WAITING`, then the readers.
const WRITER: u64 = 1;
const WAITING: u64 = 2;
const ONE_READER: u64 = 4;

/// Who waits for a `FastPathLock`.
#[derive(Default)]
struct FastWaiters {
    readers: u32,
    writers: u32,
}

/// `FileLock`'s split for one kind of holder, without timed waits (a
/// timeout other than zero waits forever): an uncontended hold is one CAS
/// on `word`, a release one RMW that takes the mutex only if `WAITING` was
/// set; a hold that must wait counts itself under the mutex and sets
/// `WAITING`. With `look_after_registering`, it then looks at the word once
/// more before it sleeps, as `FileLock` does; without, it sleeps on the
/// look it took before, and a release between that look and the bit wakes
/// nobody.
struct FastPathLock {
    word: AtomicU64,
    slow: CondvarLock<FastWaiters>,
    look_after_registering: bool,
}

impl FastPathLock {
    fn new(look_after_registering: bool) -> Self {
        FastPathLock {
            word: AtomicU64::new(0),
            slow: CondvarLock::new(),
            look_after_registering,
        }
    }

    /// One look at the word under the mutex; takes the hold if it may.
    fn try_take(&self, write: bool, waiters: &FastWaiters) -> bool {
        let mut seen = self.word.load(Ordering::Relaxed);
        loop {
            let held = seen & !WAITING;
            let (closed, next) = if write {
                (held != 0, seen | WRITER)
            } else {
                (seen & WRITER != 0 || waiters.writers > 0, seen + ONE_READER)
            };
            if closed {
                return false;
            }
            match self
                .word
                .compare_exchange(seen, next, Ordering::AcqRel, Ordering::Relaxed)
            {
                Ok(_) => return true,
                Err(now) => seen = now,
            }
        }
    }

    fn acquire(&self, write: bool, timeout: Option<Duration>) -> bool {
        let fast = if write {
            self.word
                .compare_exchange(0, WRITER, Ordering::Acquire, Ordering::Relaxed)
                .is_ok()
        } else {
            let seen = self.word.load(Ordering::Relaxed);
            seen & (WRITER | WAITING) == 0
                && self
                    .word
                    .compare_exchange(
                        seen,
                        seen + ONE_READER,
                        Ordering::Acquire,
                        Ordering::Relaxed,
                    )
                    .is_ok()
        };
        if fast {
            return true;
        }
        let mut waiters = self.slow.lock();
        let mut registered = false;
        loop {
            if self.try_take(write, &waiters) {
                break;
            }
            if timeout == TRY {
                return false;
            }
            if !registered {
                if write {
                    waiters.writers += 1;
                } else {
                    waiters.readers += 1;
                }
                self.word.fetch_or(WAITING, Ordering::AcqRel);
                registered = true;
                if self.look_after_registering {
                    continue;
                }
            }
            let cv = if write {
                &self.slow.writers_cv
            } else {
                &self.slow.readers_cv
            };
            waiters = cv.wait(waiters).expect("not poisoned");
        }
        if registered {
            if write {
                waiters.writers -= 1;
            } else {
                waiters.readers -= 1;
            }
            if waiters.readers == 0 && waiters.writers == 0 {
                self.word.fetch_and(!WAITING, Ordering::AcqRel);
            }
        }
        true
    }

    /// After a release whose word was `before`: wakes whoever may go.
    fn wake_if_waiting(&self, before: u64) {
        if before & WAITING == 0 {
            return;
        }
        let waiters = self.slow.lock();
        let now = self.word.load(Ordering::Acquire);
        if now & WRITER != 0 {
            return;
        }
        if waiters.writers > 0 {
            if now & !WAITING == 0 {
                self.slow.writers_cv.notify_one();
            }
        } else if waiters.readers > 0 {
            self.slow.readers_cv.notify_all();
        }
    }
}

impl RwProtocol for FastPathLock {
    fn read(&self, timeout: Option<Duration>) -> bool {
        self.acquire(false, timeout)
    }
    fn write(&self, timeout: Option<Duration>) -> bool {
        self.acquire(true, timeout)
    }
    fn try_write(&self) -> bool {
        self.acquire(true, TRY)
    }
    fn unlock_read(&self) {
        let before = self.word.fetch_sub(ONE_READER, Ordering::Release);
        self.wake_if_waiting(before);
    }
    fn unlock_write(&self) {
        let before = self.word.fetch_and(!WRITER, Ordering::Release);
        self.wake_if_waiting(before);
    }
    fn is_locked(&self) -> bool {
        self.word.load(Ordering::Acquire) & !WAITING != 0
    }
    fn writers_waiting(&self) -> u32 {
        self.slow.lock().writers
    }
    fn wake_timed_waiters(&self) {
        let _waiters = self.slow.lock();
        self.slow.readers_cv.notify_all();
        self.slow.writers_cv.notify_all();
    }
}
