//! Failure injection for tests (feature `fault-injection`, off by default).
//! Not part of the public API: the workspace's tests use it to prove that a
//! panic inside an operation, or the death of the writer thread, leaves the
//! filesystem consistent and never hangs a caller.
//!
//! Each point is armed per filesystem and fires once.

use crate::sync::{AtomicBool, Ordering};
use crate::{FsCore, MemoryFileSystem};

/// The armed injection points of one filesystem.
#[derive(Debug, Default)]
pub(crate) struct Faults {
    panic_in_mutation: AtomicBool,
    kill_writer: AtomicBool,
}

/// The next structural mutation (create, mkdir, remove, rmtree, rename,
/// move, copy, copy_tree, import_tree) panics inside the writer after it has
/// been fully planned — tree changed in its working copy, file locks taken,
/// quota and nodes reserved — and just before it commits. The caller gets
/// [`crate::Error::Internal`] and nothing changes.
pub fn panic_on_next_mutation(fs: &MemoryFileSystem) {
    fs.core()
        .faults
        .panic_in_mutation
        .store(true, Ordering::SeqCst);
}

/// The writer panics outside any catch before its next mutation. With
/// [`crate::Concurrency::Actor`] the writer thread dies with every request
/// it had received; with [`crate::Concurrency::GlobalLock`] the panic
/// unwinds into the caller, poisoning the global lock.
pub fn kill_writer_on_next_mutation(fs: &MemoryFileSystem) {
    fs.core().faults.kill_writer.store(true, Ordering::SeqCst);
}

fn fire(flag: &AtomicBool) -> bool {
    flag.load(Ordering::Relaxed) && flag.swap(false, Ordering::SeqCst)
}

/// Called by the writer between planning and committing a mutation.
pub(crate) fn mutation_planned(core: &FsCore) {
    if fire(&core.faults.panic_in_mutation) {
        panic!("dmemfs fault injection: a mutation panicked before committing");
    }
}

/// Called by the writer before it applies a batch (outside any catch).
pub(crate) fn before_mutation(core: &FsCore) {
    if fire(&core.faults.kill_writer) {
        panic!("dmemfs fault injection: the writer was killed");
    }
}
