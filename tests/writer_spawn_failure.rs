//! A filesystem whose writer thread cannot be started fails to build with
//! `Error::WriterSpawn`, keeping the spawn's `std::io::Error` as its source.
//!
//! The spawn is made to fail for real: `RUST_MIN_STACK` (std's default
//! stack size for new threads, read once, at the process's first spawn)
//! asks for a 2^60-byte stack, more than any address space can map, so
//! `pthread_create` refuses. That needs a process whose first thread spawn
//! is the writer's, hence no test harness (`harness = false`): `main` runs
//! on the main thread and spawns nothing before the filesystem does.

use std::error::Error as _;
use std::io;

use dmemfs::{Concurrency, Error, MemoryFileSystem};

fn main() {
    // Single-threaded here: nothing can read the environment concurrently.
    std::env::set_var("RUST_MIN_STACK", (1u64 << 60).to_string());

    let e = match MemoryFileSystem::builder()
        .concurrency(Concurrency::Actor)
        .build()
    {
        Ok(_) => panic!("a writer thread with a 2^60-byte stack was started"),
        Err(e) => e,
    };
    assert!(matches!(e, Error::WriterSpawn { .. }), "{e:?}");
    let source = e.source().and_then(|s| s.downcast_ref::<io::Error>());
    let Some(spawn) = source else {
        panic!("the source of {e:?} is not the spawn's io::Error");
    };
    assert_eq!(e.kind(), spawn.kind(), "kind() is the spawn's");
    assert!(
        e.to_string()
            .starts_with("cannot start the filesystem's writer thread: "),
        "{e}"
    );
    assert!(e.to_string().ends_with(&spawn.to_string()), "{e}");

    // The global-lock strategy needs no thread and still builds.
    let fs = match MemoryFileSystem::builder()
        .concurrency(Concurrency::GlobalLock)
        .build()
    {
        Ok(fs) => fs,
        Err(e) => panic!("global lock: {e}"),
    };
    if let Err(e) = fs.write("/f", b"works") {
        panic!("global lock: {e}");
    }
    println!("writer_spawn_failure: ok ({e})");
}
