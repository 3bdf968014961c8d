//! The subjects by name, and the one place that builds each.

use std::io;

use dashmap::DashMap;
use dmemfs::Concurrency;

use super::dmemfs_subject::Dmemfs;
use super::floor::{Content, Floor, RwLockHashMap};
use super::std_fs_subject::StdFs;
use super::subject::Subject;
use super::vfs_subject::VfsMemory;

/// Every subject the cases run on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SubjectKind {
    /// dmemfs with `Concurrency::Actor`.
    Actor,
    /// dmemfs with `Concurrency::GlobalLock`.
    GlobalLock,
    /// `vfs::MemoryFS`.
    VfsMemory,
    /// `std::fs` in a fresh directory on tmpfs (`/dev/shm`).
    StdFs,
    /// The `RwLock<HashMap<String, Arc<Vec<u8>>>>` floor.
    RwLockHashMap,
    /// The `DashMap<String, Arc<Vec<u8>>>` floor.
    DashMap,
}

/// What to do with a freshly built subject; generic, so every subject runs
/// the same code without dynamic dispatch.
pub trait UseSubject {
    /// What the use gives back.
    type Output;
    /// Uses `subject`, which is dropped when this returns.
    fn with<S: Subject>(self, subject: S) -> io::Result<Self::Output>;
}

impl SubjectKind {
    /// All subjects, in the order tables show them.
    pub const ALL: [SubjectKind; 6] = [
        SubjectKind::Actor,
        SubjectKind::GlobalLock,
        SubjectKind::VfsMemory,
        SubjectKind::StdFs,
        SubjectKind::RwLockHashMap,
        SubjectKind::DashMap,
    ];

    /// The name benchmarks and the command line use.
    pub fn name(self) -> &'static str {
        match self {
            SubjectKind::Actor => "actor",
            SubjectKind::GlobalLock => "global_lock",
            SubjectKind::VfsMemory => "vfs_memoryfs",
            SubjectKind::StdFs => "std_fs_tmpfs",
            SubjectKind::RwLockHashMap => "rwlock_hashmap",
            SubjectKind::DashMap => "dashmap",
        }
    }

    /// Builds a new, empty subject of this kind and hands it to `use_`.
    pub fn build<U: UseSubject>(self, use_: U) -> io::Result<U::Output> {
        match self {
            SubjectKind::Actor => use_.with(Dmemfs::new(Concurrency::Actor)?),
            SubjectKind::GlobalLock => use_.with(Dmemfs::new(Concurrency::GlobalLock)?),
            SubjectKind::VfsMemory => use_.with(VfsMemory::new()),
            SubjectKind::StdFs => use_.with(StdFs::new()?),
            SubjectKind::RwLockHashMap => use_.with(Floor::<RwLockHashMap>::default()),
            SubjectKind::DashMap => use_.with(Floor::<DashMap<String, Content>>::default()),
        }
    }
}
