//! The node counter behind `max_nodes`.
//!
//! Invariant: `count <= limit` when a limit is set. Only the single tree
//! writer adds nodes, but anyone may read the count, so it is atomic.

use crate::sync::{AtomicU64, Ordering};
use crate::QuotaError;

/// Counts files and directories (never the root) against an optional limit.
#[derive(Debug)]
pub struct NodeCounter {
    limit: Option<u64>,
    count: AtomicU64,
}

impl NodeCounter {
    /// A counter at zero; `None` means no limit.
    pub fn new(limit: Option<u64>) -> Self {
        Self {
            limit,
            count: AtomicU64::new(0),
        }
    }

    /// The configured limit.
    pub fn limit(&self) -> Option<u64> {
        self.limit
    }

    /// Nodes counted now.
    pub fn count(&self) -> u64 {
        self.count.load(Ordering::Acquire)
    }

    /// Fails with [`QuotaError::NodeLimitExceeded`] if `n` more nodes would
    /// pass the limit; changes nothing either way.
    pub fn check(&self, n: u64) -> Result<(), QuotaError> {
        match self.limit {
            Some(limit) => {
                let current = self.count();
                if current.saturating_add(n) > limit {
                    Err(QuotaError::NodeLimitExceeded { current, limit })
                } else {
                    Ok(())
                }
            }
            None => Ok(()),
        }
    }

    /// Counts `n` more nodes if the limit allows it.
    pub fn add(&self, n: u64) -> Result<(), QuotaError> {
        if n == 0 {
            return Ok(());
        }
        let mut current = self.count.load(Ordering::Relaxed);
        loop {
            if let Some(limit) = self.limit {
                if current.saturating_add(n) > limit {
                    return Err(QuotaError::NodeLimitExceeded { current, limit });
                }
            }
            match self.count.compare_exchange_weak(
                current,
                current + n,
                Ordering::AcqRel,
                Ordering::Relaxed,
            ) {
                Ok(_) => return Ok(()),
                Err(now) => current = now,
            }
        }
    }

    /// Counts `n` fewer nodes.
    pub fn remove(&self, n: u64) {
        if n > 0 {
            let before = self.count.fetch_sub(n, Ordering::AcqRel);
            debug_assert!(before >= n, "removed {n} nodes with {before} counted");
        }
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn limit_refuses_with_current_count() {
        let c = NodeCounter::new(Some(2));
        c.add(2).expect("fits");
        assert_eq!(
            c.add(1),
            Err(QuotaError::NodeLimitExceeded {
                current: 2,
                limit: 2
            })
        );
        assert!(c.check(1).is_err());
        c.remove(1);
        assert!(c.check(1).is_ok());
        assert_eq!(c.count(), 1);
    }

    #[test]
    fn zero_limit_refuses_the_first_node() {
        let c = NodeCounter::new(Some(0));
        assert!(c.add(1).is_err());
        assert!(c.add(0).is_ok());
    }

    #[test]
    fn no_limit_never_refuses() {
        let c = NodeCounter::new(None);
        c.add(u64::MAX / 2).expect("no limit");
        assert!(c.check(1).is_ok());
    }
}
