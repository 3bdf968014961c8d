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
//! # Representation: one word, and a slow path for waiting
//! Who holds the lock is one atomic word ([`Word`]): the exclusive holder's
//! kind, the shared holds of handles and of transient readers, and two
//! bits: `WAITING` (someone waits) and `RELINKER_WAITING`. Taking a hold
//! when nobody waits is one CAS on the word and giving it back one RMW, so
//! the read path writes the lock's line twice (the mutex it replaces
//! wrote it four times) and makes no syscall. Who *waits* is kept under a
//! mutex ([`Waiters`]), with a condvar for readers and one for writers and
//! the relinker; only a hold that must wait, and a release that sees
//! `WAITING`, take it.
//!
//! Invariants:
//! - in the word: an exclusive holder implies no shared hold, so while the
//!   relinker holds the lock the count bits hold its nesting depth instead
//!   (at least 1), which only the relinker changes;
//! - `WAITING` is set exactly while [`Waiters`] counts someone or
//!   `RELINKER_WAITING` is set, outside the mutex's critical sections (only
//!   they change either bit): a waiter sets it (an RMW) before its last look at
//!   the word and sleeps without letting the mutex go in between, and the
//!   last waiter to leave clears it. A release is an RMW on the word, so it
//!   comes before that bit is set (and the waiter's last look sees it) or
//!   after (and it sees `WAITING`, takes the mutex, which the waiter holds
//!   until it sleeps, and notifies): no wake-up is lost;
//! - while `WAITING` is set no fast path takes a hold, so a waiting writer
//!   or relinker keeps new holders out (they check, under the mutex,
//!   whether a writer or the relinker waits); a release with `WAITING` clear
//!   notifies nobody.
//!
//! Who calls: the holds of `super::hold` (handles through
//! `FileReadHold`/`FileWriteHold`, transient readers and writers, and the
//! tree writer through [`File::relink`](super::File::relink)). The loom
//! models in `loom-tests/` call it directly; only under `cfg(loom)` is it
//! reachable from outside this crate.

use std::time::Duration;

use crate::sync::{
    lock, wait, wait_timeout, AtomicU64, Condvar, Instant, Mutex, MutexGuard, Ordering,
};

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

/// One value of the lock word. Bits 0-1: the exclusive holder (0 none,
/// then handle, transient, relinker); bit 2: `WAITING`; bit 3:
/// `RELINKER_WAITING` (changed only under the waiters' mutex, and only with
/// `WAITING` set); the bits above
/// count: without an exclusive holder, two 30-bit counts of shared holds
/// (transient readers' and handles'); while the relinker holds the lock,
/// its nesting depth (no shared hold can exist then).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Word(u64);

impl Word {
    const EXCLUSIVE: u64 = 0b11;
    const WAITING: u64 = 1 << 2;
    const RELINKER_WAITING: u64 = 1 << 3;
    const COUNT_BITS: u32 = 30;
    const COUNT_MAX: u64 = (1 << Self::COUNT_BITS) - 1;
    const TRANSIENT_SHIFT: u32 = 4;
    const HANDLES_SHIFT: u32 = Self::TRANSIENT_SHIFT + Self::COUNT_BITS;
    /// One nested hold of the relinker, in the count bits.
    const ONE_RELINK: u64 = 1 << Self::TRANSIENT_SHIFT;
    /// The relinker's first hold: the kind and a depth of one.
    const RELINKER_ONCE: u64 = 3 | Self::ONE_RELINK;

    /// The word's bits for `holder` holding the lock exclusively.
    fn exclusive_bits(holder: Exclusive) -> u64 {
        match holder {
            Exclusive::Handle => 1,
            Exclusive::Transient => 2,
            Exclusive::Relinker => 3,
        }
    }

    fn count_shift(holder: Holder) -> u32 {
        match holder {
            Holder::Handle => Self::HANDLES_SHIFT,
            Holder::Transient => Self::TRANSIENT_SHIFT,
        }
    }

    /// What one shared hold of `holder` adds to the word.
    fn one_reader(holder: Holder) -> u64 {
        1 << Self::count_shift(holder)
    }

    /// The relinker's nested holds, if it holds the lock.
    fn relink_depth(self) -> u64 {
        if self.exclusive() == Some(Exclusive::Relinker) {
            self.0 >> Self::TRANSIENT_SHIFT
        } else {
            0
        }
    }

    fn exclusive(self) -> Option<Exclusive> {
        match self.0 & Self::EXCLUSIVE {
            0 => None,
            1 => Some(Exclusive::Handle),
            2 => Some(Exclusive::Transient),
            _ => Some(Exclusive::Relinker),
        }
    }

    fn waiting(self) -> bool {
        self.0 & Self::WAITING != 0
    }

    /// The relinker waits in `relink`; no new hold is taken meanwhile.
    fn relinker_waiting(self) -> bool {
        self.0 & Self::RELINKER_WAITING != 0
    }

    /// Shared holds of `holder`.
    fn readers(self, holder: Holder) -> u32 {
        // At most COUNT_MAX, which fits.
        ((self.0 >> Self::count_shift(holder)) & Self::COUNT_MAX) as u32
    }

    /// Whether any shared hold exists (only without an exclusive holder
    /// do the count bits count readers).
    fn has_readers(self) -> bool {
        self.exclusive().is_none()
            && (self.readers(Holder::Handle) > 0 || self.readers(Holder::Transient) > 0)
    }

    /// Nobody holds the lock (someone may wait).
    fn is_free(self) -> bool {
        self.exclusive().is_none() && !self.has_readers()
    }

    /// Whether the word can count one more shared hold of `holder`; when it
    /// cannot (a billion holds), the reader waits for one to go.
    fn has_room_for(self, holder: Holder) -> bool {
        u64::from(self.readers(holder)) < Self::COUNT_MAX
    }

    /// A reader may take its hold without looking at the waiters: nobody
    /// holds the lock exclusively and nobody waits.
    fn open_to_fast_readers(self, holder: Holder) -> bool {
        self.0 & (Self::EXCLUSIVE | Self::WAITING) == 0 && self.has_room_for(holder)
    }
}

/// Who waits for the lock, under [`FileLock::waiters`]; whether the
/// relinker waits is a bit of the word (`RELINKER_WAITING`), which keeps the
/// lock, and so a file, within the allocator's fast bins.
#[derive(Debug, Default)]
struct Waiters {
    /// Threads inside `read` that found the lock closed and have not yet
    /// taken or given it up.
    readers: u32,
    /// The same for `write`.
    writers: u32,
}

/// What a caller of the slow path wants.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Want {
    Read(Holder),
    Write(Holder),
    Relink,
}

/// The outcome of one look at the word under the waiters' mutex.
enum Attempt {
    Taken,
    Busy,
    Wait,
}

/// Why the slow path gave up.
enum Refusal {
    TimedOut,
    Busy,
}

/// A writer-preferring reader/writer lock whose holds are not scoped
/// guards: the holds of `super::hold` own them and give them back on drop.
#[derive(Debug)]
#[cfg_attr(loom, visibility::make(pub))]
pub(crate) struct FileLock {
    /// The holders and whether anyone waits: see [`Word`].
    word: AtomicU64,
    waiters: Mutex<Waiters>,
    readers_cv: Condvar,
    /// Writers wait here, and so does the relinker.
    writers_cv: Condvar,
}

impl Default for FileLock {
    fn default() -> Self {
        Self::with_word(Word(0))
    }
}

/// The lock was not acquired within the timeout.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LockTimedOut;

/// A handle holds the file: the relinker may not take it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Busy;

impl FileLock {
    fn with_word(word: Word) -> Self {
        FileLock {
            word: AtomicU64::new(word.0),
            waiters: Mutex::new(Waiters::default()),
            readers_cv: Condvar::new(),
            writers_cv: Condvar::new(),
        }
    }

    /// A lock already held exclusively by a handle: a file created for a
    /// write handle is published locked, so no reader sees it before its
    /// creator writes.
    #[cfg_attr(loom, visibility::make(pub))]
    pub(crate) fn new_handle_write_locked() -> Self {
        Self::with_word(Word(Word::exclusive_bits(Exclusive::Handle)))
    }

    /// Takes a shared hold for `holder`.
    #[cfg_attr(loom, visibility::make(pub))]
    pub(crate) fn read(
        &self,
        holder: Holder,
        timeout: Option<Duration>,
    ) -> Result<(), LockTimedOut> {
        let one = Word::one_reader(holder);
        // Guess the lock is free: then this CAS is the only access.
        let mut seen = 0;
        loop {
            match self
                .word
                .compare_exchange(seen, seen + one, Ordering::Acquire, Ordering::Relaxed)
            {
                Ok(_) => return Ok(()),
                Err(now) if Word(now).open_to_fast_readers(holder) => seen = now,
                Err(_) => break,
            }
        }
        self.acquire_slow(Want::Read(holder), timeout)
            .map_err(|_| LockTimedOut)
    }

    /// Takes the exclusive hold for `holder`.
    #[cfg_attr(loom, visibility::make(pub))]
    pub(crate) fn write(
        &self,
        holder: Holder,
        timeout: Option<Duration>,
    ) -> Result<(), LockTimedOut> {
        let mine = Word::exclusive_bits(holder.into());
        if self
            .word
            .compare_exchange(0, mine, Ordering::Acquire, Ordering::Relaxed)
            .is_ok()
        {
            return Ok(());
        }
        self.acquire_slow(Want::Write(holder), timeout)
            .map_err(|_| LockTimedOut)
    }

    /// The relinker's hold: nested in its own if it holds the lock already,
    /// [`Busy`] at once if a handle holds it, else taken once the transient
    /// holders (if any) have let go. See the module documentation for why
    /// that wait cannot deadlock.
    #[cfg_attr(loom, visibility::make(pub))]
    pub(crate) fn relink(&self) -> Result<(), Busy> {
        match self.word.compare_exchange(
            0,
            Word::RELINKER_ONCE,
            Ordering::Acquire,
            Ordering::Relaxed,
        ) {
            Ok(_) => Ok(()),
            // Only the relinker calls this, so the relinker holding the
            // lock is this caller holding it.
            Err(now) if Word(now).exclusive() == Some(Exclusive::Relinker) => {
                self.nest_relink();
                Ok(())
            }
            Err(_) => self.acquire_slow(Want::Relink, None).map_err(|_| Busy),
        }
    }

    /// One more nested hold for the relinker, which holds the lock.
    fn nest_relink(&self) {
        self.word.fetch_add(Word::ONE_RELINK, Ordering::Relaxed);
    }

    /// Gives back a shared hold `holder` took.
    #[cfg_attr(loom, visibility::make(pub))]
    pub(crate) fn unlock_read(&self, holder: Holder) {
        let before = Word(
            self.word
                .fetch_sub(Word::one_reader(holder), Ordering::Release),
        );
        debug_assert!(before.readers(holder) > 0, "unlock_read without a reader");
        self.wake_if_waiting(before);
    }

    /// Gives back the exclusive hold `holder` took.
    #[cfg_attr(loom, visibility::make(pub))]
    pub(crate) fn unlock_write(&self, holder: Holder) {
        self.release_exclusive(holder.into());
    }

    /// Gives back one of the relinker's nested holds; the last one releases
    /// the lock.
    #[cfg_attr(loom, visibility::make(pub))]
    pub(crate) fn unlock_relink(&self) {
        // Only the relinker changes its depth, so the depth read here is
        // the one the RMW below changes.
        let depth = Word(self.word.load(Ordering::Relaxed)).relink_depth();
        debug_assert!(depth > 0, "unlock_relink without the relinker");
        if depth > 1 {
            self.word.fetch_sub(Word::ONE_RELINK, Ordering::Relaxed);
        } else {
            self.release_exclusive(Exclusive::Relinker);
        }
    }

    /// Clears the exclusive holder (and the relinker's depth: every bit but
    /// `WAITING`, since no shared hold exists) and wakes whoever waited.
    fn release_exclusive(&self, holder: Exclusive) {
        let before = Word(
            self.word
                .fetch_and(Word::WAITING | Word::RELINKER_WAITING, Ordering::Release),
        );
        debug_assert_eq!(
            before.exclusive(),
            Some(holder),
            "an exclusive release without that holder"
        );
        self.wake_if_waiting(before);
    }

    /// After a release whose word was `before`: if anyone waited then, the
    /// slow path decides whom to wake.
    fn wake_if_waiting(&self, before: Word) {
        if before.waiting() {
            self.wake(&lock(&self.waiters));
        }
    }

    /// The slow path of every hold: under the waiters' mutex, look at the
    /// word; if the hold must wait, count this caller as a waiter (setting
    /// `WAITING` before looking again) and sleep until a release or the
    /// deadline. `timeout` as in [`FileLock::read`]; `Busy` only for
    /// [`Want::Relink`].
    fn acquire_slow(&self, want: Want, timeout: Option<Duration>) -> Result<(), Refusal> {
        let deadline = Deadline::after(timeout);
        let mut waiters = lock(&self.waiters);
        let mut registered = false;
        let outcome = loop {
            match self.try_take(want, &waiters) {
                Attempt::Taken => break Ok(()),
                Attempt::Busy => {
                    // While the relinker waits no handle takes a hold, so
                    // it is refused only before it first waits.
                    debug_assert!(!registered, "a waiting relinker became busy");
                    break Err(Refusal::Busy);
                }
                Attempt::Wait if deadline.is_immediate() => break Err(Refusal::TimedOut),
                Attempt::Wait if !registered => {
                    // The bit before the next look: a release after that
                    // look sees it and wakes this waiter.
                    self.register(want, &mut waiters);
                    registered = true;
                }
                Attempt::Wait => {
                    let cv = match want {
                        Want::Read(_) => &self.readers_cv,
                        Want::Write(_) | Want::Relink => &self.writers_cv,
                    };
                    match deadline.wait(cv, waiters) {
                        Ok(next) => waiters = next,
                        Err(next) => {
                            waiters = next;
                            break Err(Refusal::TimedOut);
                        }
                    }
                }
            }
        };
        if registered {
            self.unregister(want, &mut waiters);
            if matches!(outcome, Err(Refusal::TimedOut)) {
                // Readers queued behind a writer that gave up may go now.
                self.wake(&waiters);
            }
        }
        outcome
    }

    /// Counts a caller of the slow path among the waiters and sets the
    /// bits that send fast paths to the slow path.
    fn register(&self, want: Want, waiters: &mut Waiters) {
        let bits = match want {
            Want::Read(_) => {
                waiters.readers += 1;
                Word::WAITING
            }
            Want::Write(_) => {
                waiters.writers += 1;
                Word::WAITING
            }
            Want::Relink => Word::WAITING | Word::RELINKER_WAITING,
        };
        self.word.fetch_or(bits, Ordering::AcqRel);
    }

    /// Undoes [`FileLock::register`] once the caller has taken the hold or
    /// given up; the last waiter to go clears `WAITING`.
    fn unregister(&self, want: Want, waiters: &mut Waiters) {
        let mut clear = 0;
        match want {
            Want::Read(_) => waiters.readers = waiters.readers.saturating_sub(1),
            Want::Write(_) => waiters.writers = waiters.writers.saturating_sub(1),
            Want::Relink => clear |= Word::RELINKER_WAITING,
        }
        let relinker_stays =
            want != Want::Relink && Word(self.word.load(Ordering::Relaxed)).relinker_waiting();
        if waiters.readers == 0 && waiters.writers == 0 && !relinker_stays {
            clear |= Word::WAITING;
        }
        if clear != 0 {
            self.word.fetch_and(!clear, Ordering::AcqRel);
        }
    }

    /// One look at the word for `want`, given who waits; takes the hold if
    /// it may (a CAS, retried while only the counts it does not depend on
    /// change).
    fn try_take(&self, want: Want, waiters: &Waiters) -> Attempt {
        let mut seen = Word(self.word.load(Ordering::Relaxed));
        loop {
            let next = match want {
                Want::Read(holder) => {
                    if seen.exclusive().is_some()
                        || waiters.writers > 0
                        || seen.relinker_waiting()
                        || !seen.has_room_for(holder)
                    {
                        return Attempt::Wait;
                    }
                    seen.0 + Word::one_reader(holder)
                }
                Want::Write(holder) => {
                    if !seen.is_free() || seen.relinker_waiting() {
                        return Attempt::Wait;
                    }
                    seen.0 | Word::exclusive_bits(holder.into())
                }
                Want::Relink => match seen.exclusive() {
                    Some(Exclusive::Relinker) => {
                        self.nest_relink();
                        return Attempt::Taken;
                    }
                    Some(Exclusive::Handle) => return Attempt::Busy,
                    _ if seen.readers(Holder::Handle) > 0 => return Attempt::Busy,
                    _ if !seen.is_free() => return Attempt::Wait,
                    _ => seen.0 | Word::RELINKER_ONCE,
                },
            };
            match self
                .word
                .compare_exchange(seen.0, next, Ordering::AcqRel, Ordering::Relaxed)
            {
                Ok(_) => return Attempt::Taken,
                Err(now) => seen = Word(now),
            }
        }
    }

    /// Lets in whoever may go now, given `waiters` (held): once nobody
    /// holds the lock, the relinker if it waits (it shares `writers_cv` with
    /// writers, who would only wait again, so all are woken), else one
    /// writer; while no writer or relinker waits and nobody holds it
    /// exclusively, every waiting reader. Nobody (no syscall) otherwise.
    fn wake(&self, waiters: &Waiters) {
        let word = Word(self.word.load(Ordering::Acquire));
        if word.exclusive().is_some() {
            // Its release wakes them.
        } else if word.relinker_waiting() {
            if word.is_free() {
                self.writers_cv.notify_all();
            }
        } else if waiters.writers > 0 {
            if word.is_free() {
                self.writers_cv.notify_one();
            }
        } else if waiters.readers > 0 {
            self.readers_cv.notify_all();
        }
    }

    /// Who holds the lock now.
    #[cfg_attr(loom, visibility::make(pub))]
    pub(crate) fn holds(&self) -> Holds {
        let word = Word(self.word.load(Ordering::Acquire));
        match word.exclusive() {
            Some(Exclusive::Handle) => Holds::Exclusive(Holder::Handle),
            Some(Exclusive::Transient) => Holds::Exclusive(Holder::Transient),
            Some(Exclusive::Relinker) => Holds::Relinker,
            None if !word.has_readers() => Holds::None,
            None => Holds::Shared {
                handles: word.readers(Holder::Handle),
                transient: word.readers(Holder::Transient),
            },
        }
    }

    /// Threads waiting in [`FileLock::write`] now.
    #[cfg(any(test, loom))]
    #[cfg_attr(loom, visibility::make(pub))]
    pub(crate) fn writers_waiting(&self) -> u32 {
        lock(&self.waiters).writers
    }

    /// Whether the relinker waits in [`FileLock::relink`] now.
    #[cfg(any(test, loom))]
    #[cfg_attr(loom, visibility::make(pub))]
    pub(crate) fn relinker_waiting(&self) -> bool {
        Word(self.word.load(Ordering::Acquire)).relinker_waiting()
    }

    /// What the OS does when timed waits' deadlines pass: wakes every waiter
    /// so each re-checks its deadline against the (model) clock. Taken under
    /// the waiters' lock, so a waiter between its deadline check and its
    /// wait cannot miss it. Loom models call it after advancing the clock.
    #[cfg(loom)]
    pub fn wake_timed_waiters(&self) {
        let _waiters = lock(&self.waiters);
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

    /// Waits on `cv` once. Returns the guard, or the guard as an error when
    /// the deadline has passed (without waiting); spurious wake-ups are
    /// fine because every caller loops on its condition.
    fn wait<'a, T>(
        &self,
        cv: &Condvar,
        guard: MutexGuard<'a, T>,
    ) -> Result<MutexGuard<'a, T>, MutexGuard<'a, T>> {
        if self.immediate {
            return Err(guard);
        }
        match self.at {
            None => Ok(wait(cv, guard)),
            Some(at) => {
                let now = Instant::now();
                if now >= at {
                    return Err(guard);
                }
                Ok(wait_timeout(cv, guard, at - now))
            }
        }
    }
}

#[cfg(all(test, not(loom)))]
mod tests;
