//! Model 6: the tree writer's hold on a file (the *relinker*'s, taken by
//! `File::relink` before a rename or removal; `FileLock::relink` in
//! `crates/storage-backends/src/file/lock.rs`) against the holders the lock
//! tells apart.
//!
//! Properties, each a model run on the real `FileLock`:
//! - the relinker waits out a transient holder (a read or replace without a
//!   handle) and is never refused: `ResourceBusy` means a handle is open,
//!   and nothing else; the guarded cell shows the two never overlap;
//! - the relinker never waits for a handle: while a handle keeps the file
//!   (until the relinker has answered), it is refused at once;
//! - no wake-up is lost between a transient reader leaving, a handle writer
//!   waiting and the relinker waiting (a lost one is a deadlock loom reports).
//!
//! `BrokenLock` is a copy of the lock's relinker paths with one chosen
//! defect; the `broken_*` tests run the same models on it and expect them to
//! fail. The end-to-end version (a real filesystem's read racing a rename)
//! is in `open_remove.rs`.

use std::sync::Arc;

use dmemfs_storage_backends::loom_exports::FileLock;
use dmemfs_storage_backends::{Holder, Holds};
use loom::sync::atomic::{AtomicBool, Ordering};
use loom::thread;

use crate::common::{check, spin_until, Guarded, FOREVER};

/// What the models need of a lock that knows its holders. `true` means
/// acquired (for `relink`: not refused as busy).
pub trait RelinkProtocol: Send + Sync + 'static {
    fn read(&self, holder: Holder) -> bool;
    fn write(&self, holder: Holder) -> bool;
    fn relink(&self) -> bool;
    fn unlock_read(&self, holder: Holder);
    fn unlock_write(&self, holder: Holder);
    fn unlock_relink(&self);
    fn is_free(&self) -> bool;
}

impl RelinkProtocol for FileLock {
    fn read(&self, holder: Holder) -> bool {
        FileLock::read(self, holder, FOREVER).is_ok()
    }
    fn write(&self, holder: Holder) -> bool {
        FileLock::write(self, holder, FOREVER).is_ok()
    }
    fn relink(&self) -> bool {
        FileLock::relink(self).is_ok()
    }
    fn unlock_read(&self, holder: Holder) {
        FileLock::unlock_read(self, holder);
    }
    fn unlock_write(&self, holder: Holder) {
        FileLock::unlock_write(self, holder);
    }
    fn unlock_relink(&self) {
        FileLock::unlock_relink(self);
    }
    fn is_free(&self) -> bool {
        FileLock::holds(self) == Holds::None
    }
}

/// A transient reader (or writer) on one thread, the relinker on the main
/// one: the relinker is never refused and never overlaps the holder.
fn relinker_waits_out_transient_holders<L: RelinkProtocol>(make: fn() -> L, writes: bool) {
    check(move || {
        let lock = Arc::new(make());
        let data = Arc::new(Guarded::new());
        let holder = {
            let (lock, data) = (Arc::clone(&lock), Arc::clone(&data));
            thread::spawn(move || {
                if writes {
                    assert!(lock.write(Holder::Transient));
                    data.write();
                    lock.unlock_write(Holder::Transient);
                } else {
                    assert!(lock.read(Holder::Transient));
                    data.read();
                    lock.unlock_read(Holder::Transient);
                }
            })
        };
        assert!(
            lock.relink(),
            "the relinker was refused by a transient holder"
        );
        data.write();
        lock.unlock_relink();
        holder.join().expect("holder");
        assert!(lock.is_free(), "a hold was never given back");
    });
}

/// A handle keeps the file until the relinker has answered: the relinker
/// must answer without waiting for it (waiting would deadlock the model),
/// and is refused if the handle got the file first.
fn relinker_never_waits_for_a_handle<L: RelinkProtocol>(make: fn() -> L) {
    check(move || {
        let lock = Arc::new(make());
        let data = Arc::new(Guarded::new());
        let answered = Arc::new(AtomicBool::new(false));
        let handle = {
            let (lock, data, answered) =
                (Arc::clone(&lock), Arc::clone(&data), Arc::clone(&answered));
            thread::spawn(move || {
                assert!(lock.read(Holder::Handle));
                data.read();
                spin_until(|| answered.load(Ordering::SeqCst));
                lock.unlock_read(Holder::Handle);
            })
        };
        let took = lock.relink();
        answered.store(true, Ordering::SeqCst);
        if took {
            data.write();
            lock.unlock_relink();
        }
        handle.join().expect("handle");
        assert!(lock.is_free(), "a hold was never given back");
    });
}

/// A transient reader holds the file; a handle writer and the relinker
/// arrive: whoever the reader's release wakes, every thread finishes.
fn no_wakeup_is_lost<L: RelinkProtocol>(make: fn() -> L) {
    check(move || {
        let lock = Arc::new(make());
        let data = Arc::new(Guarded::new());
        assert!(lock.read(Holder::Transient));
        let writer = {
            let (lock, data) = (Arc::clone(&lock), Arc::clone(&data));
            thread::spawn(move || {
                assert!(lock.write(Holder::Handle));
                data.write();
                lock.unlock_write(Holder::Handle);
            })
        };
        let relinker = {
            let (lock, data) = (Arc::clone(&lock), Arc::clone(&data));
            thread::spawn(move || {
                if lock.relink() {
                    data.write();
                    lock.unlock_relink();
                }
            })
        };
        data.read();
        lock.unlock_read(Holder::Transient);
        writer.join().expect("writer");
        relinker.join().expect("relinker");
        assert!(lock.is_free(), "a hold was never given back");
    });
}

#[test]
fn the_relinker_waits_out_a_transient_reader_and_is_never_busy() {
    relinker_waits_out_transient_holders(FileLock::default, false);
}

#[test]
fn the_relinker_waits_out_a_transient_writer_and_is_never_busy() {
    relinker_waits_out_transient_holders(FileLock::default, true);
}

#[test]
fn the_relinker_never_waits_for_a_handle() {
    relinker_never_waits_for_a_handle(FileLock::default);
}

#[test]
fn no_wakeup_is_lost_between_a_reader_a_waiting_handle_and_the_relinker() {
    no_wakeup_is_lost(FileLock::default);
}

#[test]
#[should_panic(expected = "refused by a transient holder")]
fn broken_relinker_busy_on_transient_holders_is_caught() {
    relinker_waits_out_transient_holders(|| BrokenLock::new(Defect::BusyOnAnyHolder), false);
}

#[test]
#[should_panic]
fn broken_relinker_waiting_for_handles_is_caught() {
    relinker_never_waits_for_a_handle(|| BrokenLock::new(Defect::WaitsForHandles));
}

#[test]
#[should_panic(expected = "deadlock")]
fn broken_release_that_wakes_one_waiter_is_caught() {
    no_wakeup_is_lost(|| BrokenLock::new(Defect::ReleaseWakesOne));
}

/// The one thing `BrokenLock` does wrong.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Defect {
    /// The relinker is refused by any holder, as a plain try-lock is.
    BusyOnAnyHolder,
    /// The relinker waits for handles too.
    WaitsForHandles,
    /// A release wakes one thread waiting on the writers' condvar, which
    /// may be a handle writer rather than the relinker.
    ReleaseWakesOne,
}

#[derive(Default)]
struct State {
    shared: u32,
    handle_shared: u32,
    /// 0: free; 1: a handle; 2: a transient writer; 3: the relinker.
    exclusive: u8,
    writers_waiting: u32,
    relinker_waiting: bool,
}

const FREE: u8 = 0;
const RELINKER: u8 = 3;

fn exclusive(holder: Holder) -> u8 {
    match holder {
        Holder::Handle => 1,
        Holder::Transient => 2,
    }
}

/// `FileLock`'s waits without timeouts, line for line, except where
/// `defect` says.
type BrokenLock = crate::common::BrokenLock<State, Defect>;

impl BrokenLock {
    fn wake_after_release(&self, s: &State) {
        if s.relinker_waiting {
            if self.defect == Defect::ReleaseWakesOne {
                self.writers_cv.notify_one();
            } else {
                self.writers_cv.notify_all();
            }
        } else if s.writers_waiting > 0 {
            self.writers_cv.notify_one();
        } else {
            self.readers_cv.notify_all();
        }
    }
}

impl RelinkProtocol for BrokenLock {
    fn read(&self, holder: Holder) -> bool {
        let mut s = self.lock();
        while s.exclusive != FREE || s.writers_waiting > 0 || s.relinker_waiting {
            s = self.readers_cv.wait(s).expect("not poisoned");
        }
        s.shared += 1;
        if holder == Holder::Handle {
            s.handle_shared += 1;
        }
        true
    }

    fn write(&self, holder: Holder) -> bool {
        let mut s = self.lock();
        if s.exclusive == FREE && s.shared == 0 && !s.relinker_waiting {
            s.exclusive = exclusive(holder);
            return true;
        }
        s.writers_waiting += 1;
        while s.exclusive != FREE || s.shared > 0 || s.relinker_waiting {
            s = self.writers_cv.wait(s).expect("not poisoned");
        }
        s.writers_waiting -= 1;
        s.exclusive = exclusive(holder);
        true
    }

    fn relink(&self) -> bool {
        let mut s = self.lock();
        loop {
            let handle_holds = s.handle_shared > 0 || s.exclusive == exclusive(Holder::Handle);
            let held = s.exclusive != FREE || s.shared > 0;
            if s.exclusive == RELINKER {
                return true;
            } else if (handle_holds && self.defect != Defect::WaitsForHandles)
                || (held && self.defect == Defect::BusyOnAnyHolder)
            {
                return false;
            } else if !held {
                s.relinker_waiting = false;
                s.exclusive = RELINKER;
                return true;
            }
            s.relinker_waiting = true;
            s = self.writers_cv.wait(s).expect("not poisoned");
        }
    }

    fn unlock_read(&self, holder: Holder) {
        let mut s = self.lock();
        s.shared -= 1;
        if holder == Holder::Handle {
            s.handle_shared -= 1;
        }
        if s.shared == 0 {
            self.wake_after_release(&s);
        }
    }

    fn unlock_write(&self, _holder: Holder) {
        let mut s = self.lock();
        s.exclusive = FREE;
        self.wake_after_release(&s);
    }

    fn unlock_relink(&self) {
        let mut s = self.lock();
        s.exclusive = FREE;
        self.wake_after_release(&s);
    }

    fn is_free(&self) -> bool {
        let s = self.lock();
        s.exclusive == FREE && s.shared == 0
    }
}
