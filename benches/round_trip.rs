//! The cost of a structural mutation under each concurrency strategy, next to
//! a `Mutex<HashMap>` doing the same work: the floor any design is held to.
//!
//! Run: `cargo bench --bench round_trip`. Compare the lines of one run with
//! each other (the machines are noisy); the ratios are what matter.

use std::collections::HashMap;
use std::hint::black_box;
use std::io::{Read, Write};
use std::sync::Mutex;
use std::time::Instant;

use criterion::{criterion_group, criterion_main, Criterion};
use dmemfs::{Concurrency, MemoryFileSystem, OpenMode};

const STRATEGIES: [(&str, Concurrency); 2] = [
    ("actor", Concurrency::Actor),
    ("global_lock", Concurrency::GlobalLock),
];
const PAYLOAD: &[u8] = &[7u8; 64];

fn filesystem(c: Concurrency) -> MemoryFileSystem {
    MemoryFileSystem::builder()
        .concurrency(c)
        .build()
        .expect("filesystem")
}

/// Two renames per iteration: two writer round trips with the least work
/// inside them.
fn rename_pair(c: &mut Criterion) {
    let mut group = c.benchmark_group("rename_pair");
    for (name, strategy) in STRATEGIES {
        let fs = filesystem(strategy);
        fs.write("/a", PAYLOAD).expect("write");
        group.bench_function(name, |b| {
            b.iter(|| {
                fs.rename("/a", "/b").expect("rename");
                fs.rename("/b", "/a").expect("rename back");
            })
        });
    }
    group.finish();
}

/// Create a small file, read it back, remove it: what a job scheduler's
/// scratch files do all day.
fn small_file(c: &mut Criterion) {
    let mut group = c.benchmark_group("small_file_write_read_remove");
    for (name, strategy) in STRATEGIES {
        let fs = filesystem(strategy);
        fs.mkdir("/jobs", false).expect("mkdir");
        group.bench_function(name, |b| {
            b.iter(|| {
                fs.write("/jobs/scratch.bin", PAYLOAD).expect("write");
                black_box(fs.read("/jobs/scratch.bin").expect("read"));
                fs.remove("/jobs/scratch.bin").expect("remove");
            })
        });
    }
    let map: Mutex<HashMap<String, Vec<u8>>> = Mutex::new(HashMap::new());
    group.bench_function("mutex_hashmap_baseline", |b| {
        b.iter(|| {
            map.lock()
                .expect("lock")
                .insert("/jobs/scratch.bin".to_owned(), PAYLOAD.to_vec());
            black_box(map.lock().expect("lock").get("/jobs/scratch.bin").cloned());
            map.lock().expect("lock").remove("/jobs/scratch.bin");
        })
    });
    group.finish();
}

/// The same through handles: open(Write) creates, write, close,
/// open(Read), read, close, remove.
fn small_file_handles(c: &mut Criterion) {
    let mut group = c.benchmark_group("small_file_handles");
    for (name, strategy) in STRATEGIES {
        let fs = filesystem(strategy);
        let mut buf = Vec::with_capacity(PAYLOAD.len());
        group.bench_function(name, |b| {
            b.iter(|| {
                let mut f = fs.open("/scratch.bin", OpenMode::Write).expect("open w");
                f.write_all(PAYLOAD).expect("write");
                drop(f);
                let mut f = fs.open("/scratch.bin", OpenMode::Read).expect("open r");
                buf.clear();
                f.read_to_end(&mut buf).expect("read");
                drop(f);
                fs.remove("/scratch.bin").expect("remove");
            })
        });
    }
    group.finish();
}

/// Four threads each creating, reading and removing their own small files
/// at once: the global lock convoys, the writer thread batches. Reported as
/// wall time per operation (one write + read + remove) over all threads.
fn contended(c: &mut Criterion) {
    const THREADS: u64 = 4;
    let mut group = c.benchmark_group("contended_4_threads_write_read_remove");
    for (name, strategy) in STRATEGIES {
        let fs = filesystem(strategy);
        for t in 0..THREADS {
            fs.mkdir(&format!("/t{t}"), false).expect("mkdir");
        }
        group.bench_function(name, |b| {
            b.iter_custom(|iters| {
                let per_thread = iters.div_ceil(THREADS);
                let start = Instant::now();
                std::thread::scope(|s| {
                    for t in 0..THREADS {
                        let fs = &fs;
                        s.spawn(move || {
                            let path = format!("/t{t}/scratch.bin");
                            for _ in 0..per_thread {
                                fs.write(&path, PAYLOAD).expect("write");
                                black_box(fs.read(&path).expect("read"));
                                fs.remove(&path).expect("remove");
                            }
                        });
                    }
                });
                // `iters` operations ran in this wall time, so criterion's
                // per-iteration figure is the inverse of the throughput.
                start.elapsed()
            })
        });
    }
    group.finish();
}

criterion_group!(
    benches,
    rename_pair,
    small_file,
    small_file_handles,
    contended
);
criterion_main!(benches);
