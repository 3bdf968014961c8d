//! [`Published`]: a value one writer replaces and many readers load without a
//! lock, each load seeing one complete version.
//!
//! Production builds use `arc-swap`'s `ArcSwap`. Its contract, the one this
//! crate relies on: `load` and `store` are linearizable (a load returns the
//! value of the latest store ordered before it, or the initial value), a load
//! sees everything the storing thread wrote before its `store`, and a loaded
//! `Arc` keeps its version alive after later stores, which free a version when
//! its last holder lets go.
//!
//! `arc-swap` is not loom-aware, so loom builds substitute a loom
//! `Mutex<Arc<T>>`. The substitution assumes exactly the contract above: a
//! mutex-protected swap is linearizable, its unlock/lock pair gives the same
//! happens-before edge from a store to a later load, and the loaded (loom)
//! `Arc` keeps the version alive and lets loom check that every retired
//! version is freed. It does not model arc-swap's internals (its debt lists
//! and hazard slots), which arc-swap's own tests cover; a loom model checks
//! the protocols built on top of it.

use super::Arc;

/// A published value; see the module documentation for the contract.
pub(crate) struct Published<T> {
    #[cfg(not(loom))]
    cell: arc_swap::ArcSwap<T>,
    #[cfg(loom)]
    cell: loom::sync::Mutex<Arc<T>>,
}

/// What [`Published::load`] returns: derefs to the loaded `Arc<T>`.
#[cfg(not(loom))]
pub(crate) type Guard<T> = arc_swap::Guard<Arc<T>>;

/// What [`Published::load`] returns: derefs to the loaded `Arc<T>`.
#[cfg(loom)]
pub(crate) struct Guard<T>(Arc<T>);

#[cfg(loom)]
impl<T> std::ops::Deref for Guard<T> {
    type Target = Arc<T>;

    fn deref(&self) -> &Arc<T> {
        &self.0
    }
}

impl<T> Published<T> {
    /// Publishes `value` as the first version.
    pub(crate) fn new(value: Arc<T>) -> Self {
        Published {
            #[cfg(not(loom))]
            cell: arc_swap::ArcSwap::new(value),
            #[cfg(loom)]
            cell: loom::sync::Mutex::new(value),
        }
    }

    /// The current version, for a short look (cheaper than
    /// [`Published::load_full`] in production builds).
    pub(crate) fn load(&self) -> Guard<T> {
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
    pub(crate) fn load_full(&self) -> Arc<T> {
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
    pub(crate) fn store(&self, value: Arc<T>) {
        #[cfg(not(loom))]
        {
            self.cell.store(value);
        }
        #[cfg(loom)]
        {
            // Drop the old version after unlocking, as arc-swap does not
            // hold anything while a version is freed.
            let old = std::mem::replace(&mut *super::lock(&self.cell), value);
            drop(old);
        }
    }
}
