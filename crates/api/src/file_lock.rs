//! The per-file reader/writer lock that file handles hold.
//!
//! Many readers or one writer. Writer-preferring: once a writer waits, new
//! readers wait behind it, so a stream of readers cannot starve a writer (a
//! stream of writers can delay readers; each writer still gets the file in
//! arrival-independent turns). A timeout of zero tries once; `None` waits
//! forever; otherwise the caller waits up to the timeout.
//!
//! Invariant (under `state`): `writer` implies `readers == 0`; `writers_waiting`
//! counts threads inside `write` that have not yet taken or given up the lock.
//! Every change that can let a waiter in notifies it, so no wake-up is lost.
//!
//! Who calls: handles (acquire with a timeout) and the tree writer, which only
//! ever uses `try_write` so it never blocks on a file.
//!
//! The type and its methods are `pub` only so that `loom_exports` can hand
//! them to the loom models; the module is private, so in normal builds they
//! are reachable from this crate alone.

use std::time::Duration;

use crate::sync::{lock, wait, wait_timeout, Condvar, Instant, Mutex, MutexGuard};

#[derive(Debug, Default)]
struct LockState {
    readers: u32,
    writer: bool,
    writers_waiting: u32,
}

/// A writer-preferring reader/writer lock whose holds are not scoped guards:
/// a handle takes it when opened and gives it back when closed.
#[derive(Debug, Default)]
pub struct FileLock {
    state: Mutex<LockState>,
    readers_cv: Condvar,
    writers_cv: Condvar,
}

/// The lock was not acquired within the timeout.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LockTimedOut;

impl FileLock {
    /// A lock already held by one writer: a file created for a write handle
    /// is published locked, so no reader sees it before its creator writes.
    pub fn new_write_locked() -> Self {
        Self {
            state: Mutex::new(LockState {
                writer: true,
                ..LockState::default()
            }),
            ..Self::default()
        }
    }

    /// Takes a shared hold.
    pub fn read(&self, timeout: Option<Duration>) -> Result<(), LockTimedOut> {
        let deadline = Deadline::after(timeout);
        let mut s = lock(&self.state);
        while s.writer || s.writers_waiting > 0 {
            s = deadline.wait(&self.readers_cv, s)?;
        }
        s.readers += 1;
        Ok(())
    }

    /// Takes the exclusive hold.
    pub fn write(&self, timeout: Option<Duration>) -> Result<(), LockTimedOut> {
        let deadline = Deadline::after(timeout);
        let mut s = lock(&self.state);
        if !s.writer && s.readers == 0 {
            s.writer = true;
            return Ok(());
        }
        if deadline.is_immediate() {
            return Err(LockTimedOut);
        }
        s.writers_waiting += 1;
        while s.writer || s.readers > 0 {
            match deadline.wait(&self.writers_cv, s) {
                Ok(next) => s = next,
                Err(LockTimedOut) => {
                    let mut s = lock(&self.state);
                    s.writers_waiting -= 1;
                    if s.writers_waiting == 0 && !s.writer {
                        // Readers queued behind this writer may go now.
                        self.readers_cv.notify_all();
                    }
                    return Err(LockTimedOut);
                }
            }
        }
        s.writers_waiting -= 1;
        s.writer = true;
        Ok(())
    }

    /// Takes the exclusive hold if nobody holds the lock, without waiting.
    pub fn try_write(&self) -> bool {
        let mut s = lock(&self.state);
        if s.writer || s.readers > 0 {
            return false;
        }
        s.writer = true;
        true
    }

    /// Gives back a shared hold.
    pub fn unlock_read(&self) {
        let mut s = lock(&self.state);
        debug_assert!(s.readers > 0, "unlock_read without a reader");
        s.readers = s.readers.saturating_sub(1);
        if s.readers == 0 && s.writers_waiting > 0 {
            self.writers_cv.notify_one();
        }
    }

    /// Gives back the exclusive hold.
    pub fn unlock_write(&self) {
        let mut s = lock(&self.state);
        debug_assert!(s.writer, "unlock_write without the writer");
        s.writer = false;
        if s.writers_waiting > 0 {
            self.writers_cv.notify_one();
        } else {
            self.readers_cv.notify_all();
        }
    }

    /// Whether anyone holds the lock now.
    #[cfg(any(test, loom))]
    pub fn is_locked(&self) -> bool {
        let s = lock(&self.state);
        s.writer || s.readers > 0
    }

    /// Threads waiting in [`FileLock::write`] now.
    #[cfg(loom)]
    pub fn writers_waiting(&self) -> u32 {
        lock(&self.state).writers_waiting
    }

    /// What the OS does when timed waits' deadlines pass: wakes every waiter
    /// so each re-checks its deadline against the (model) clock. Taken under
    /// the state lock, so a waiter between its deadline check and its wait
    /// cannot miss it. Loom models call it after advancing the clock.
    #[cfg(loom)]
    pub fn wake_timed_waiters(&self) {
        let _s = lock(&self.state);
        self.readers_cv.notify_all();
        self.writers_cv.notify_all();
    }
}

/// When a wait gives up. `None` inside means never (no timeout, or one too
/// large to add to the clock, such as `Duration::MAX`).
#[derive(Clone, Copy)]
struct Deadline {
    at: Option<Instant>,
    immediate: bool,
}

impl Deadline {
    fn after(timeout: Option<Duration>) -> Self {
        match timeout {
            Some(t) if t.is_zero() => Deadline {
                at: None,
                immediate: true,
            },
            Some(t) => Deadline {
                at: Instant::now().checked_add(t),
                immediate: false,
            },
            None => Deadline {
                at: None,
                immediate: false,
            },
        }
    }

    fn is_immediate(&self) -> bool {
        self.immediate
    }

    /// Waits on `cv` once. Returns the guard, or `LockTimedOut` (with the
    /// mutex released) when the deadline has passed; spurious wake-ups are
    /// fine because every caller loops on its condition.
    fn wait<'a, T>(
        &self,
        cv: &Condvar,
        guard: MutexGuard<'a, T>,
    ) -> Result<MutexGuard<'a, T>, LockTimedOut> {
        if self.immediate {
            return Err(LockTimedOut);
        }
        match self.at {
            None => Ok(wait(cv, guard)),
            Some(at) => {
                let now = Instant::now();
                if now >= at {
                    return Err(LockTimedOut);
                }
                Ok(wait_timeout(cv, guard, at - now))
            }
        }
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use std::sync::Arc;

    const ZERO: Option<Duration> = Some(Duration::ZERO);

    #[test]
    fn readers_share_and_exclude_writers() {
        let l = FileLock::default();
        l.read(ZERO).expect("free");
        l.read(ZERO).expect("shared");
        assert_eq!(l.write(ZERO), Err(LockTimedOut));
        assert!(!l.try_write());
        l.unlock_read();
        l.unlock_read();
        assert!(!l.is_locked());
        assert!(l.try_write());
        assert_eq!(l.read(ZERO), Err(LockTimedOut));
        l.unlock_write();
        assert!(!l.is_locked());
    }

    #[test]
    fn a_timed_wait_gives_up_and_leaves_the_lock_usable() {
        let l = FileLock::new_write_locked();
        assert_eq!(l.read(Some(Duration::from_millis(20))), Err(LockTimedOut));
        assert_eq!(l.write(Some(Duration::from_millis(20))), Err(LockTimedOut));
        l.unlock_write();
        l.read(ZERO)
            .expect("free again: the timed-out writer left no trace");
        l.unlock_read();
    }

    #[test]
    fn a_huge_timeout_means_wait_forever_not_overflow() {
        let l = Arc::new(FileLock::new_write_locked());
        let waiter = {
            let l = Arc::clone(&l);
            std::thread::spawn(move || l.read(Some(Duration::MAX)))
        };
        l.unlock_write();
        assert_eq!(waiter.join().expect("no panic"), Ok(()));
    }

    #[test]
    fn a_waiting_writer_blocks_new_readers_then_gets_the_lock() {
        let l = Arc::new(FileLock::default());
        l.read(ZERO).expect("free");
        let writer = {
            let l = Arc::clone(&l);
            std::thread::spawn(move || l.write(None))
        };
        // Once the writer waits, a new reader must be refused.
        let deadline = Instant::now() + Duration::from_secs(20);
        while l.read(ZERO).is_ok() {
            l.unlock_read();
            assert!(Instant::now() < deadline, "writer never started waiting");
            std::thread::yield_now();
        }
        l.unlock_read();
        assert_eq!(writer.join().expect("no panic"), Ok(()));
        assert!(l.is_locked());
        l.unlock_write();
    }

    #[test]
    fn a_writer_timing_out_wakes_readers_queued_behind_it() {
        let l = Arc::new(FileLock::default());
        l.read(ZERO).expect("free");
        let writer = {
            let l = Arc::clone(&l);
            std::thread::spawn(move || l.write(Some(Duration::from_millis(100))))
        };
        let deadline = Instant::now() + Duration::from_secs(20);
        while l.read(ZERO).is_ok() {
            l.unlock_read();
            assert!(Instant::now() < deadline, "writer never started waiting");
            std::thread::yield_now();
        }
        // A reader now queues behind the waiting writer and must be let in
        // when the writer gives up, without any unlock happening.
        let reader = {
            let l = Arc::clone(&l);
            std::thread::spawn(move || l.read(None))
        };
        assert_eq!(writer.join().expect("no panic"), Err(LockTimedOut));
        assert_eq!(reader.join().expect("no panic"), Ok(()));
        l.unlock_read();
        l.unlock_read();
        assert!(!l.is_locked());
    }
}
