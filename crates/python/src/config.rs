//! D-MemFS's constructor keywords and timeouts, checked and turned into an
//! [`FsBuilder`].
//!
//! Validation follows D-MemFS's order and wording (`Invalid default_storage
//! value`, `Invalid memory_guard_action`, `Invalid memory_guard`), so code
//! matching those messages keeps working.

use std::time::Duration;

use dmemfs::{Concurrency, FsBuilder, GuardAction, MemoryFileSystem, MemoryGuard, StorageKind};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;

/// What the Python constructor was given.
pub(crate) struct FsConfig<'a> {
    pub max_quota: i128,
    pub chunk_overhead_override: Option<i128>,
    pub promotion_hard_limit: Option<i128>,
    pub max_nodes: Option<i128>,
    pub default_storage: &'a str,
    pub default_lock_timeout: Option<f64>,
    pub memory_guard: &'a str,
    pub memory_guard_action: &'a str,
    pub memory_guard_interval: f64,
    /// How the engine applies structural changes (not in D-MemFS):
    /// "global_lock" (the default here: Python callers are few and the
    /// calling thread applies its change at once, see BENCHMARKS.md) or
    /// "actor" (the engine's writer thread).
    pub concurrency: &'a str,
}

/// The checked configuration: a builder, and whether the guard warns (the
/// binding then turns the engine's log lines into `ResourceWarning`s).
pub(crate) struct Checked {
    pub builder: FsBuilder,
    pub warn_guard: bool,
    /// D-MemFS's `max_nodes=0`: not even the root fits.
    pub no_room_for_root: bool,
}

impl FsConfig<'_> {
    pub(crate) fn check(&self) -> PyResult<Checked> {
        let storage = match self.default_storage {
            "auto" => StorageKind::Auto,
            "sequential" => StorageKind::Sequential,
            "random_access" => StorageKind::RandomAccess,
            other => {
                return Err(PyValueError::new_err(format!(
                    "Invalid default_storage value: {other:?}. \
                     Expected 'auto', 'sequential', or 'random_access'."
                )))
            }
        };
        let action = match self.memory_guard_action {
            "warn" => GuardAction::Warn,
            "raise" => GuardAction::Raise,
            other => {
                return Err(PyValueError::new_err(format!(
                    "Invalid memory_guard_action: {other:?}. Expected 'warn' or 'raise'."
                )))
            }
        };
        let guard = match self.memory_guard {
            "none" => MemoryGuard::None,
            "init" => MemoryGuard::Init,
            "per_write" => MemoryGuard::PerWrite {
                interval: seconds("memory_guard_interval", self.memory_guard_interval)?,
            },
            other => {
                return Err(PyValueError::new_err(format!(
                    "Invalid memory_guard: {other:?}. Expected 'none', 'init', or 'per_write'."
                )))
            }
        };
        let concurrency = match self.concurrency {
            "global_lock" => Concurrency::GlobalLock,
            "actor" => Concurrency::Actor,
            other => {
                return Err(PyValueError::new_err(format!(
                    "Invalid concurrency: {other:?}. Expected 'global_lock' or 'actor'."
                )))
            }
        };
        let mut builder = MemoryFileSystem::builder()
            .concurrency(concurrency)
            .max_quota(non_negative("max_quota", self.max_quota)?)
            .default_storage(storage)
            .default_lock_timeout(optional_timeout(
                "default_lock_timeout",
                self.default_lock_timeout,
            )?)
            .memory_guard(guard)
            .memory_guard_action(action);
        if let Some(bytes) = self.chunk_overhead_override {
            builder = builder.chunk_overhead(non_negative("chunk_overhead_override", bytes)?);
        }
        if let Some(bytes) = self.promotion_hard_limit {
            builder = builder.promotion_hard_limit(non_negative("promotion_hard_limit", bytes)?);
        }
        let mut no_room_for_root = false;
        if let Some(nodes) = self.max_nodes {
            // D-MemFS counts the root; the engine does not.
            match non_negative("max_nodes", nodes)?.checked_sub(1) {
                Some(others) => builder = builder.max_nodes(others),
                None => no_room_for_root = true,
            }
        }
        Ok(Checked {
            builder,
            warn_guard: guard != MemoryGuard::None && action == GuardAction::Warn,
            no_room_for_root,
        })
    }
}

/// `value` as a `u64`, or `ValueError` naming the keyword.
pub(crate) fn non_negative(name: &str, value: i128) -> PyResult<u64> {
    u64::try_from(value).map_err(|_| {
        PyValueError::new_err(format!(
            "{name} must be between 0 and {}, got {value}",
            u64::MAX
        ))
    })
}

/// Seconds as a duration: negative means zero (D-MemFS's deadline is then
/// already past), too large for a `Duration` means forever.
pub(crate) fn seconds(name: &str, secs: f64) -> PyResult<Duration> {
    if secs.is_nan() {
        return Err(PyValueError::new_err(format!(
            "{name} must be a number, got nan"
        )));
    }
    Ok(Duration::try_from_secs_f64(secs.max(0.0)).unwrap_or(Duration::MAX))
}

/// D-MemFS's `float | None` timeouts: `None` waits forever.
pub(crate) fn optional_timeout(name: &str, secs: Option<f64>) -> PyResult<Option<Duration>> {
    secs.map(|s| seconds(name, s)).transpose()
}
