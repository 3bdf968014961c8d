//! A fixed workload for profiling the structural-mutation path with
//! instruction counts, which are stable under machine noise:
//!
//! ```text
//! cargo build --release --example mutation_profile
//! valgrind --tool=callgrind target/release/examples/mutation_profile global_lock 20000
//! callgrind_annotate callgrind.out.<pid> | head -40
//! ```
//!
//! Each iteration writes a small file, reads it back and removes it.

use dmemfs::{Concurrency, MemoryFileSystem};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let strategy = match args.next().as_deref() {
        Some("actor") => Concurrency::Actor,
        _ => Concurrency::GlobalLock,
    };
    let iterations: u64 = args.next().map_or(Ok(10_000), |n| n.parse())?;
    let fs = MemoryFileSystem::builder().concurrency(strategy).build()?;
    fs.mkdir("/jobs", false)?;
    let payload = [7u8; 64];
    for _ in 0..iterations {
        fs.write("/jobs/scratch.bin", payload)?;
        let back = fs.read("/jobs/scratch.bin")?;
        assert_eq!(back.len(), payload.len());
        fs.remove("/jobs/scratch.bin")?;
    }
    println!("{iterations} iterations on {strategy:?}: {:?}", fs.stats());
    Ok(())
}
