//! A tour of dmemfs: files, directories, the quota, handles, snapshots,
//! archives and the memory guard.
//!
//! Run: `cargo run --release --example quickstart`

use std::io::{Read, Seek, SeekFrom, Write};

use dmemfs::archive::{expand_archive_streaming, export_archive, ArchiveFormat, ArchiveOptions};
use dmemfs::{Concurrency, GuardAction, MemoryFileSystem, MemoryGuard, OpenMode};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    for strategy in [Concurrency::Actor, Concurrency::GlobalLock] {
        println!("== {strategy:?}");
        tour(strategy)?;
    }
    Ok(())
}

fn tour(strategy: Concurrency) -> Result<(), Box<dyn std::error::Error>> {
    // The memory guard refuses growth the machine (or container) cannot
    // back; 1 MiB fits anywhere this runs.
    let fs = MemoryFileSystem::builder()
        .max_quota(1 << 20)
        .concurrency(strategy)
        .memory_guard(MemoryGuard::per_write())
        .memory_guard_action(GuardAction::Raise)
        .build()?;

    fs.mkdir("/data/raw", false)?;
    fs.write("/data/raw/hello.txt", "hello, dmemfs")?;
    println!("read back: {}", fs.read_to_string("/data/raw/hello.txt")?);

    // Handles: std::io traits, a per-file lock held until drop.
    let mut f = fs.open("/data/raw/log.bin", OpenMode::Append)?;
    for i in 0..3 {
        writeln!(f, "line {i}")?;
    }
    drop(f);
    let mut f = fs.open("/data/raw/log.bin", OpenMode::ReadWrite)?;
    f.seek(SeekFrom::Start(5))?;
    f.write_all(b"#")?; // a non-append write: the file is promoted to random access
    f.seek(SeekFrom::Start(0))?;
    let mut text = String::new();
    f.read_to_string(&mut text)?;
    drop(f);
    println!("log after an in-place write:\n{text}");

    // The quota refuses a write before allocating it.
    match fs.write("/data/too_big.bin", vec![0u8; 2 << 20]) {
        Err(e) => println!("refused as expected: {e} (kind {:?})", e.kind()),
        Ok(()) => return Err("a 2 MiB write fit a 1 MiB quota".into()),
    }

    // Whole-tree operations, all or nothing.
    fs.import_tree([
        ("/archive/a.txt", &b"first"[..]),
        ("/archive/sub/b.txt", &b"second"[..]),
    ])?;
    fs.copy_tree("/archive", "/backup")?;
    fs.move_path("/backup/sub", "/elsewhere/deep/sub")?;
    println!("glob /**/*.txt: {:?}", fs.glob("/**/*.txt")?);
    for (dir, dirs, files) in fs.walk("/")? {
        println!("  {dir}: dirs {dirs:?} files {files:?}");
    }

    // Archives: export a subtree as a zip, expand it back elsewhere.
    let mut zip = std::io::Cursor::new(Vec::new());
    let exported = export_archive(&fs, "/archive", &mut zip, ArchiveFormat::Zip)?;
    zip.set_position(0);
    let expanded = expand_archive_streaming(&fs, zip, "/unzipped", ArchiveOptions::new())?;
    println!(
        "zip round trip: {exported} files exported, {expanded} expanded: {:?}",
        fs.glob("/unzipped/**")?
    );

    let stats = fs.stats();
    println!(
        "{} files, {} dirs, {} of {} bytes used ({} chunks)",
        stats.file_count, stats.dir_count, stats.used_bytes, stats.quota_bytes, stats.chunk_count
    );
    for top in fs.listdir("/")? {
        fs.rmtree(&top)?;
    }
    assert_eq!(fs.stats().used_bytes, 0, "the ledger returns to zero");
    println!("cleaned up: ledger back at 0");
    Ok(())
}
