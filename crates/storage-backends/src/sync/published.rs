//! [`Published`]: a value one writer replaces and many readers load without
//! a lock, each load seeing one complete version (a file's data, a tree
//! snapshot).
//!
//! Production builds use `arc-swap`'s `ArcSwap`. Its contract, the one the
//! dmemfs crates rely on: `load` and `store` are linearizable (a load returns
//! the value of the latest store ordered before it, or the initial value), a
//! load sees everything the storing thread wrote before its `store`, and a
//! loaded version stays alive while it is held, whatever is stored later;
//! a replaced version is freed when its last holder lets go. And (for
//! [`Published::swap`]) once a swap returns, every reader still holding the
//! version it replaced holds a counted reference to it, so the replaced
//! `Arc`'s count says whether anyone can still read it. arc-swap states
//! this in its design notes rather than its API docs: `swap` waits for
//! readers (`wait_for_readers`, which pays every debt on the old pointer
//! with `SeqCst` operations) before it returns the old `Arc`, and its API
//! lets safe code call `Arc::get_mut` on that `Arc` and write through it,
//! which would be unsound otherwise.
//!
//! `arc-swap` is not loom-aware, so loom builds substitute a loom
//! `Mutex<Arc<T>>` (std's `Arc`, as everywhere: see the module above). The
//! substitution assumes exactly the contract above: a mutex-protected swap
//! is linearizable, and its unlock/lock pair gives the same happens-before
//! edge from a store to a later load. It does not model arc-swap's internals
//! (its debt lists and hazard slots), which arc-swap's own tests cover; a
//! loom model checks the protocols built on top of it, such as an open
//! re-checking the snapshot after taking a file's lock.

use std::sync::Arc;

/// A published value; see the module documentation for the contract.
pub struct Published<T> {
    #[cfg(not(loom))]
    cell: arc_swap::ArcSwap<T>,
    #[cfg(loom)]
    cell: loom::sync::Mutex<Arc<T>>,
}

/// What [`Published::load`] returns: derefs to the loaded `Arc<T>`.
#[cfg(not(loom))]
pub type Guard<T> = arc_swap::Guard<Arc<T>>;

/// What [`Published::load`] returns: derefs to the loaded `Arc<T>`.
#[cfg(loom)]
pub struct Guard<T>(Arc<T>);

#[cfg(loom)]
impl<T> std::ops::Deref for Guard<T> {
    type Target = Arc<T>;

    fn deref(&self) -> &Arc<T> {
        &self.0
    }
}

impl<T> Published<T> {
    /// Publishes `value` as the first version.
    pub fn new(value: Arc<T>) -> Self {
        Published {
            #[cfg(not(loom))]
            cell: arc_swap::ArcSwap::new(value),
            #[cfg(loom)]
            cell: loom::sync::Mutex::new(value),
        }
    }

    /// Publishes `value` as the first version.
    pub fn from_pointee(value: T) -> Self {
        Self::new(Arc::new(value))
    }

    /// The current version, for a short look (cheaper than
    /// [`Published::load_full`] in production builds).
    pub fn load(&self) -> Guard<T> {
        #[cfg(not(loom))]
        {
            self.cell.load()
        }
        #[cfg(loom)]
        {
            Guard(self.load_full())
        }
    }

    /// The current version, to keep.
    pub fn load_full(&self) -> Arc<T> {
        #[cfg(not(loom))]
        {
            self.cell.load_full()
        }
        #[cfg(loom)]
        {
            Arc::clone(&super::lock(&self.cell))
        }
    }

    /// Makes `value` the current version; the previous one is freed when its
    /// last reader lets go.
    pub fn store(&self, value: Arc<T>) {
        #[cfg(not(loom))]
        {
            self.cell.store(value);
        }
        #[cfg(loom)]
        {
            // Drop the old version after unlocking, as arc-swap holds
            // nothing while a version is freed.
            let old = std::mem::replace(&mut *super::lock(&self.cell), value);
            drop(old);
        }
    }

    /// [`Published::store`], handing back the version it replaces. Once
    /// this returns, every reader still holding that version holds a
    /// counted reference to it (arc-swap pays its debts before a swap
    /// returns), so an `Arc::get_mut` on it that succeeds proves no reader
    /// can reach it any more: the caller may change it in place.
    pub fn swap(&self, value: Arc<T>) -> Arc<T> {
        #[cfg(not(loom))]
        {
            self.cell.swap(value)
        }
        #[cfg(loom)]
        {
            std::mem::replace(&mut *super::lock(&self.cell), value)
        }
    }
}
