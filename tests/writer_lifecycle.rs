//! The writer thread's lifetime. One test in its own binary, so no other
//! test starts or stops writer threads while it counts them.

use std::io::Read;

use dmemfs::{Concurrency, MemoryFileSystem, OpenMode};

/// Threads of this process named `dmemfs-writer`, from /proc/self/task.
fn writer_threads() -> usize {
    std::fs::read_dir("/proc/self/task")
        .expect("procfs")
        .filter_map(|t| t.ok())
        .filter(|t| {
            std::fs::read_to_string(t.path().join("comm"))
                .is_ok_and(|name| name.trim() == "dmemfs-writer")
        })
        .count()
}

#[test]
#[cfg_attr(not(target_os = "linux"), ignore = "counts threads through procfs")]
fn the_last_clone_dropped_stops_the_writer_thread_and_handles_live_on() {
    assert_eq!(writer_threads(), 0);

    let fs = MemoryFileSystem::new();
    // A thread names itself when it first runs; the reply to this write
    // proves the writer has run.
    fs.write("/kept.bin", b"data").expect("write");
    assert_eq!(writer_threads(), 1, "an actor filesystem has one writer");
    let clone = fs.clone();
    let mut handle = fs.open("/kept.bin", OpenMode::Read).expect("open");

    drop(fs);
    assert_eq!(writer_threads(), 1, "a clone keeps the writer alive");
    clone
        .mkdir("/still-works", false)
        .expect("mkdir via the clone");

    drop(clone);
    // The drop joins the thread: it is gone now, not eventually.
    assert_eq!(writer_threads(), 0, "the last drop stopped the writer");
    let mut buf = Vec::new();
    handle.read_to_end(&mut buf).expect("read");
    assert_eq!(buf, b"data", "an open handle outlives its filesystem");
    drop(handle);

    let inline = MemoryFileSystem::builder()
        .concurrency(Concurrency::GlobalLock)
        .build()
        .expect("build");
    inline.write("/x", b"y").expect("write");
    assert_eq!(writer_threads(), 0, "GlobalLock starts no thread");
}
