//! A fixed workload for profiling the structural-mutation path.
//!
//! Instruction counts, which are stable under machine noise:
//!
//! ```text
//! cargo build --release --example mutation_profile
//! valgrind --tool=callgrind target/release/examples/mutation_profile global_lock 20000
//! callgrind_annotate callgrind.out.<pid> | head -40
//! ```
//!
//! Wall time and context switches with several threads:
//! `perf stat -e context-switches target/release/examples/mutation_profile actor 20000 4`
//!
//! Each iteration writes a small file, reads it back and removes it; each
//! thread works in its own directory.

use std::time::Instant;

use dmemfs::{Concurrency, MemoryFileSystem};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let strategy = match args.next().as_deref() {
        Some("actor") => Concurrency::Actor,
        _ => Concurrency::GlobalLock,
    };
    let iterations: u64 = args.next().map_or(Ok(10_000), |n| n.parse())?;
    let threads: u64 = args.next().map_or(Ok(1), |n| n.parse())?;
    let fs = MemoryFileSystem::builder().concurrency(strategy).build()?;
    let start = Instant::now();
    std::thread::scope(|s| -> Result<(), dmemfs::Error> {
        let workers: Vec<_> = (0..threads)
            .map(|t| {
                let fs = &fs;
                s.spawn(move || -> Result<(), dmemfs::Error> {
                    let dir = format!("/jobs{t}");
                    fs.mkdir(&dir, false)?;
                    let path = format!("{dir}/scratch.bin");
                    let payload = [7u8; 64];
                    for _ in 0..iterations {
                        fs.write(&path, payload)?;
                        let back = fs.read(&path)?;
                        assert_eq!(back.len(), payload.len());
                        fs.remove(&path)?;
                    }
                    Ok(())
                })
            })
            .collect();
        for w in workers {
            w.join().expect("worker panicked")?;
        }
        Ok(())
    })?;
    let elapsed = start.elapsed();
    let ops = iterations * threads;
    println!(
        "{strategy:?}, {threads} thread(s): {ops} iterations in {elapsed:?}, {:?} per iteration (wall)",
        elapsed / u32::try_from(ops).unwrap_or(u32::MAX)
    );
    Ok(())
}
