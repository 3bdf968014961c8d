//! A fixed workload for profiling writes of content (no structural change
//! inside the loop), as instruction counts:
//!
//! ```text
//! cargo build --release --example write_profile
//! valgrind --tool=callgrind target/release/examples/write_profile append 20000
//! ```
//!
//! Workloads (each on one file, created before the loop):
//! - `append`: a `Write` handle appends 64 bytes per iteration;
//! - `overwrite`: a `ReadWrite` handle on a random-access file (the
//!   filesystem's default kind for this workload) writes 64 bytes at offset
//!   0 per iteration;
//! - `replace`: `MemoryFileSystem::write` replaces the file's 64 bytes;
//! - `preallocate`: a `Write` open with a 4 KiB preallocation, then close.

use std::io::{Seek, SeekFrom, Write};

use dmemfs::{Concurrency, MemoryFileSystem, OpenMode, OpenOptions, StorageKind};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let workload = args.next().unwrap_or_else(|| "append".to_owned());
    let iterations: u64 = args.next().map_or(Ok(10_000), |n| n.parse())?;
    let kind = if workload == "overwrite" {
        StorageKind::RandomAccess
    } else {
        StorageKind::Auto
    };
    let fs = MemoryFileSystem::builder()
        .concurrency(Concurrency::GlobalLock)
        .default_storage(kind)
        .max_quota(1 << 30)
        .build()?;
    let payload = [7u8; 64];
    fs.write("/f", payload)?;
    match workload.as_str() {
        "append" => {
            let mut f = fs.open("/f", OpenMode::Append)?;
            for _ in 0..iterations {
                f.write_all(&payload)?;
            }
        }
        "overwrite" => {
            let mut f = fs.open("/f", OpenMode::ReadWrite)?;
            for _ in 0..iterations {
                f.seek(SeekFrom::Start(0))?;
                f.write_all(&payload)?;
            }
        }
        "replace" => {
            for _ in 0..iterations {
                fs.write("/f", payload)?;
            }
        }
        "preallocate" => {
            let opts = OpenOptions::new().preallocate(4096);
            for _ in 0..iterations {
                drop(fs.open_with("/f", OpenMode::Write, opts)?);
            }
        }
        other => return Err(format!("unknown workload {other:?}").into()),
    }
    println!(
        "{workload}: {iterations} iterations, {} bytes used",
        fs.stats().used_bytes
    );
    Ok(())
}
