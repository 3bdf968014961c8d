/// Why the ledger or the node counter refused a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum QuotaError {
    /// A reservation asked for more bytes than the ledger has free.
    #[error("quota exceeded: requested {requested} bytes, {available} bytes available")]
    Exceeded {
        /// Bytes the refused reservation asked for.
        requested: u64,
        /// Bytes that were free when it was refused.
        available: u64,
    },
    /// Creating nodes would take the node count past its limit.
    #[error("node limit exceeded: {current} nodes exist, the limit is {limit}")]
    NodeLimitExceeded {
        /// Nodes that existed when the request was refused.
        current: u64,
        /// The configured limit.
        limit: u64,
    },
    /// The memory guard refused the growth: the memory the process can still
    /// use is smaller than what was asked for (or, at build time, than the
    /// quota).
    #[error("memory guard: {requested} bytes requested, {available} bytes of memory available")]
    MemoryGuard {
        /// Bytes the refused growth asked for (the quota, at build time).
        requested: u64,
        /// Bytes of memory the guard counted as available.
        available: u64,
    },
}
