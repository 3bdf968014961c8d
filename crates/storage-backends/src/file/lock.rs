//! The per-file reader/writer lock behind [`FileReadHold`] and
//! [`FileWriteHold`](super::FileWriteHold).
//!
//! Many readers or one writer. Writer-preferring: once a writer waits, new
//! readers wait behind it, so a stream of readers cannot starve a writer (a
//! stream of writers can delay readers; each writer still gets the file in
//! arrival-independent turns). A timeout of zero tries once; `None` waits
//! forever; otherwise the caller waits up to the timeout.
//!
//! The lock records who holds it, because the tree writer (the *relinker*,
//! which moves and unlinks files) treats holders differently:
//! - a handle ([`Holder::Handle`]) holds the file for as long as its user
//!   keeps it open: the relinker never waits for one, and fails at once
//!   with [`Busy`] (`ResourceBusy` to the user), so a user may hold a handle
//!   while waiting for the tree writer;
//! - a transient holder ([`Holder::Transient`]: a read or a replace of the
//!   content without a handle) holds it for one copy: the relinker waits for
//!   it, so a read racing a rename is not refused as busy;
//! - the relinker itself takes the exclusive hold with [`FileLock::relink`],
//!   re-entrantly (every mutation of its batch takes its own nested hold),
//!   and keeps it until its batch is published.
//!
//! Waiting for transient holders is safe because of this invariant, which
//! every transient hold site keeps: **a transient holder never waits for
//! anything while it holds the lock** (not for the tree writer, not for
//! another file's lock); it copies bytes and lets go. While the relinker
//! waits, every new hold of any kind waits too, so neither a stream of
//! transient readers nor a handle opened meanwhile can keep it waiting or
//! make it busy; a handle opening then waits for the relinker's release, as
//! it would have if the relinker had come first.
//!
//! Invariants (under `state`): an exclusive holder implies `shared == 0`;
//! `handle_shared <= shared`; `relink_depth > 0` exactly while the relinker
//! holds the lock; `writers_waiting` counts threads inside `write` that have
//! not yet taken or given up the lock, `readers_waiting` is set whenever a
//! reader may wait on `readers_cv`, and `relinker_waiting` is set only
//! while the relinker waits in `relink`. Every change that can let a waiter in
//! notifies it, so no wake-up is lost; a release with nobody waiting
//! notifies nobody (a notify is a syscall).
//!
//! Who calls: the holds of `super::hold` (handles through
//! `FileReadHold`/`FileWriteHold`, transient readers and writers, and the
//! tree writer through [`File::relink`](super::File::relink)). The loom
//! models in `loom-tests/` call it directly; only under `cfg(loom)` is it
//! reachable from outside this crate.

use std::time::Duration;

use crate::sync::{lock, wait, wait_timeout, Condvar, Instant, Mutex, MutexGuard};

/// Who takes a read or write hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Holder {
    /// An open file handle, kept as long as its user likes: the tree writer
    /// is refused ([`Busy`]) and never waits for it.
    Handle,
    /// A read or replace of the content without a handle, held for one copy
    /// and never while waiting for anything: the tree writer waits for it.
    Transient,
}

/// Who holds the lock exclusively.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Exclusive {
    Handle,
    Transient,
    Relinker,
}

impl From<Holder> for Exclusive {
    fn from(holder: Holder) -> Self {
        match holder {
            Holder::Handle => Exclusive::Handle,
            Holder::Transient => Exclusive::Transient,
        }
    }
}

#[derive(Debug, Default)]
struct LockState {
    /// Shared holds, of any holder.
    shared: u32,
    /// The shared holds that handles have.
    handle_shared: u32,
    exclusive: Option<Exclusive>,
    /// The relinker's nested holds while it holds the lock.
    relink_depth: u32,
    /// Set by a reader before it waits, cleared by the notify that wakes
    /// every waiting reader (each sets it again if it waits again): a
    /// release notifies readers only if some may wait, since every notify
    /// of std's futex condvar is a syscall. A flag, not a count, so the
    /// state (and a file) stays within the allocator's fast bins.
    readers_waiting: bool,
    writers_waiting: u32,
    relinker_waiting: bool,
}

impl LockState {
    /// Whether a new hold must wait: someone holds it exclusively, or the
    /// relinker waits for the transient holders to leave.
    fn closed_to_writers(&self) -> bool {
        self.exclusive.is_some() || self.shared > 0 || self.relinker_waiting
    }

    fn closed_to_readers(&self) -> bool {
        self.exclusive.is_some() || self.writers_waiting > 0 || self.relinker_waiting
    }

    /// Wakes every reader waiting on `readers_cv`, if any may wait.
    fn wake_readers(&mut self, readers_cv: &Condvar) {
        if std::mem::take(&mut self.readers_waiting) {
            readers_cv.notify_all();
        }
    }
}

/// A writer-preferring reader/writer lock whose holds are not scoped
/// guards: the holds of `super::hold` own them and give them back on drop.
#[derive(Debug, Default)]
#[cfg_attr(loom, visibility::make(pub))]
pub(crate) struct FileLock {
    state: Mutex<LockState>,
    readers_cv: Condvar,
    /// Writers wait here, and so does the relinker.
    writers_cv: Condvar,
}

/// The lock was not acquired within the timeout.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LockTimedOut;

/// A handle holds the file: the relinker may not take it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Busy;

impl FileLock {
    /// A lock already held exclusively by a handle: a file created for a
    /// write handle is published locked, so no reader sees it before its
    /// creator writes.
    #[cfg_attr(loom, visibility::make(pub))]
    pub(crate) fn new_handle_write_locked() -> Self {
        Self {
            state: Mutex::new(LockState {
                exclusive: Some(Exclusive::Handle),
                ..LockState::default()
            }),
            ..Self::default()
        }
    }

    /// Takes a shared hold for `holder`.
    #[cfg_attr(loom, visibility::make(pub))]
    pub(crate) fn read(
        &self,
        holder: Holder,
        timeout: Option<Duration>,
    ) -> Result<(), LockTimedOut> {
        let deadline = Deadline::after(timeout);
        let mut s = lock(&self.state);
        while s.closed_to_readers() {
            if !deadline.is_immediate() {
                s.readers_waiting = true;
            }
            s = deadline.wait(&self.readers_cv, s)?;
        }
        s.shared += 1;
        if holder == Holder::Handle {
            s.handle_shared += 1;
        }
        Ok(())
    }

    /// Takes the exclusive hold for `holder`.
    #[cfg_attr(loom, visibility::make(pub))]
    pub(crate) fn write(
        &self,
        holder: Holder,
        timeout: Option<Duration>,
    ) -> Result<(), LockTimedOut> {
        let deadline = Deadline::after(timeout);
        let mut s = lock(&self.state);
        if !s.closed_to_writers() {
            s.exclusive = Some(holder.into());
            return Ok(());
        }
        if deadline.is_immediate() {
            return Err(LockTimedOut);
        }
        s.writers_waiting += 1;
        while s.closed_to_writers() {
            match deadline.wait(&self.writers_cv, s) {
                Ok(next) => s = next,
                Err(LockTimedOut) => {
                    let mut s = lock(&self.state);
                    s.writers_waiting -= 1;
                    if s.writers_waiting == 0 && s.exclusive.is_none() {
                        // Readers queued behind this writer may go now.
                        s.wake_readers(&self.readers_cv);
                    }
                    return Err(LockTimedOut);
                }
            }
        }
        s.writers_waiting -= 1;
        s.exclusive = Some(holder.into());
        Ok(())
    }

    /// The relinker's hold: nested in its own if it holds the lock already,
    /// [`Busy`] at once if a handle holds it, else taken once the transient
    /// holders (if any) have let go. See the module documentation for why
    /// that wait cannot deadlock.
    #[cfg_attr(loom, visibility::make(pub))]
    pub(crate) fn relink(&self) -> Result<(), Busy> {
        let mut s = lock(&self.state);
        loop {
            let handle_holds = s.handle_shared > 0 || s.exclusive == Some(Exclusive::Handle);
            if s.exclusive == Some(Exclusive::Relinker) {
                s.relink_depth += 1;
                return Ok(());
            } else if handle_holds {
                // Only possible before the first wait: while the relinker
                // waits, no new hold is taken.
                debug_assert!(!s.relinker_waiting);
                return Err(Busy);
            } else if s.exclusive.is_none() && s.shared == 0 {
                s.relinker_waiting = false;
                s.exclusive = Some(Exclusive::Relinker);
                s.relink_depth = 1;
                return Ok(());
            }
            s.relinker_waiting = true;
            s = wait(&self.writers_cv, s);
        }
    }

    /// Gives back a shared hold `holder` took.
    #[cfg_attr(loom, visibility::make(pub))]
    pub(crate) fn unlock_read(&self, holder: Holder) {
        let mut s = lock(&self.state);
        debug_assert!(s.shared > 0, "unlock_read without a reader");
        s.shared = s.shared.saturating_sub(1);
        if holder == Holder::Handle {
            debug_assert!(s.handle_shared > 0, "a handle's unlock_read without one");
            s.handle_shared = s.handle_shared.saturating_sub(1);
        }
        if s.shared == 0 {
            self.wake_after_release(&mut s);
        }
    }

    /// Gives back the exclusive hold `holder` took.
    #[cfg_attr(loom, visibility::make(pub))]
    pub(crate) fn unlock_write(&self, holder: Holder) {
        let mut s = lock(&self.state);
        debug_assert_eq!(
            s.exclusive,
            Some(holder.into()),
            "unlock_write without the writer"
        );
        s.exclusive = None;
        self.wake_after_release(&mut s);
    }

    /// Gives back one of the relinker's nested holds; the last one releases
    /// the lock.
    #[cfg_attr(loom, visibility::make(pub))]
    pub(crate) fn unlock_relink(&self) {
        let mut s = lock(&self.state);
        debug_assert_eq!(
            s.exclusive,
            Some(Exclusive::Relinker),
            "unlock_relink without the relinker"
        );
        s.relink_depth = s.relink_depth.saturating_sub(1);
        if s.relink_depth == 0 {
            s.exclusive = None;
            self.wake_after_release(&mut s);
        }
    }

    /// Lets the next waiter in once nobody holds the lock: the relinker if
    /// it waits (it may share `writers_cv` with writers, who would only wait
    /// again, so all are woken), else one writer, else every reader, and
    /// nobody (no syscall) when nobody waits.
    fn wake_after_release(&self, s: &mut LockState) {
        if s.relinker_waiting {
            self.writers_cv.notify_all();
        } else if s.writers_waiting > 0 {
            self.writers_cv.notify_one();
        } else {
            s.wake_readers(&self.readers_cv);
        }
    }

    /// Who holds the lock now.
    #[cfg_attr(loom, visibility::make(pub))]
    pub(crate) fn holds(&self) -> Holds {
        let s = lock(&self.state);
        match s.exclusive {
            Some(Exclusive::Handle) => Holds::Exclusive(Holder::Handle),
            Some(Exclusive::Transient) => Holds::Exclusive(Holder::Transient),
            Some(Exclusive::Relinker) => Holds::Relinker,
            None if s.shared == 0 => Holds::None,
            None => Holds::Shared {
                handles: s.handle_shared,
                transient: s.shared - s.handle_shared,
            },
        }
    }

    /// Threads waiting in [`FileLock::write`] now.
    #[cfg(any(test, loom))]
    #[cfg_attr(loom, visibility::make(pub))]
    pub(crate) fn writers_waiting(&self) -> u32 {
        lock(&self.state).writers_waiting
    }

    /// Whether the relinker waits in [`FileLock::relink`] now.
    #[cfg(any(test, loom))]
    #[cfg_attr(loom, visibility::make(pub))]
    pub(crate) fn relinker_waiting(&self) -> bool {
        lock(&self.state).relinker_waiting
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

/// Who holds a file's lock at one instant; for diagnostics and tests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Holds {
    /// Nobody.
    None,
    /// Readers: so many handles, so many transient readers.
    Shared {
        /// Shared holds of handles.
        handles: u32,
        /// Shared holds without a handle.
        transient: u32,
    },
    /// One writer.
    Exclusive(Holder),
    /// The tree writer, which is moving or unlinking the file.
    Relinker,
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
mod tests;
