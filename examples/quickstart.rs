//! A tour of dmemfs: files and directories, handles, the quota, whole-tree
//! operations, snapshots, archives and the memory guard. Every line it
//! prints says what it shows.
//!
//! The tour runs twice, once per [`Concurrency`] strategy. They differ only
//! in who applies structural changes (create, mkdir, remove, rename, copy):
//! `Actor` sends them to one writer thread, `GlobalLock` applies them on the
//! calling thread under one lock. Both must print the same thing.
//!
//! Run: `cargo run --release --example quickstart`

use std::io::{Read, Seek, SeekFrom, Write};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use dmemfs::archive::{expand_archive_streaming, export_archive, ArchiveFormat, ArchiveOptions};
use dmemfs::{
    Concurrency, GuardAction, MemoryFileSystem, MemoryGuard, MemorySource, OpenMode, SystemMemory,
};

type TourResult = Result<(), Box<dyn std::error::Error>>;

const KIB: u64 = 1 << 10;
const MIB: u64 = 1 << 20;

fn main() -> TourResult {
    tour(&mut std::io::stdout().lock())
}

/// The whole tour, printed to `out`, once per strategy.
fn tour(out: &mut dyn Write) -> TourResult {
    match SystemMemory::new().available_bytes() {
        Some(bytes) => writeln!(
            out,
            "for the memory guard (below), this machine reports {} MiB available to this \
             process (its cgroup limit or the host's MemAvailable)",
            bytes / MIB
        )?,
        None => writeln!(out, "this machine does not say how much memory it has free")?,
    }

    for strategy in [Concurrency::Actor, Concurrency::GlobalLock] {
        writeln!(
            out,
            "==== Concurrency::{strategy:?}: {}",
            describe(strategy)
        )?;
        let fs = MemoryFileSystem::builder()
            .max_quota(MIB)
            .concurrency(strategy)
            .build()?;
        writeln!(out, "a filesystem with a 1 MiB quota")?;
        files_and_handles(out, &fs)?;
        quota(out, &fs)?;
        trees_and_snapshots(out, &fs)?;
        archives(out, &fs)?;
        ledger(out, &fs)?;
        memory_guard(out, strategy)?;
        writeln!(out)?;
    }
    Ok(())
}

fn describe(strategy: Concurrency) -> &'static str {
    match strategy {
        Concurrency::Actor => "structural changes go to one writer thread",
        Concurrency::GlobalLock => "structural changes run on the caller, under one lock",
        _ => "another strategy",
    }
}

fn files_and_handles(out: &mut dyn Write, fs: &MemoryFileSystem) -> TourResult {
    writeln!(out, "\n-- files and handles")?;
    fs.mkdir("/data/raw", false)?;
    fs.write("/data/raw/hello.txt", "hello, dmemfs")?;
    writeln!(
        out,
        "wrote /data/raw/hello.txt, read back {:?}",
        fs.read_to_string("/data/raw/hello.txt")?
    )?;

    // A handle holds the file's lock until it is dropped.
    let mut log = fs.open("/data/raw/log.txt", OpenMode::Append)?;
    for i in 0..3 {
        writeln!(log, "entry {i}")?;
    }
    drop(log);
    let mut log = fs.open("/data/raw/log.txt", OpenMode::ReadWrite)?;
    log.seek(SeekFrom::Start(8))?; // the start of the second line
    log.write_all(b"ENTRY")?;
    log.seek(SeekFrom::Start(0))?;
    let mut text = String::new();
    log.read_to_string(&mut text)?;
    drop(log);
    writeln!(
        out,
        "appended 3 lines to /data/raw/log.txt, then overwrote the second line's first word \
         in place (a write that is not an append moves the file to random-access storage):"
    )?;
    for line in text.lines() {
        writeln!(out, "    {line}")?;
    }
    Ok(())
}

fn quota(out: &mut dyn Write, fs: &MemoryFileSystem) -> TourResult {
    writeln!(out, "\n-- the quota")?;
    match fs.write("/data/too_big.bin", vec![0u8; 2 * MIB as usize]) {
        Err(e) if e.is_quota() => {
            writeln!(
                out,
                "a 2 MiB write was refused before anything was allocated; the error says: {e}"
            )?;
            writeln!(
                out,
                "(it requested the data plus {} bytes of bookkeeping for the chunk it would \
                 be stored in)",
                fs.stats().overhead_per_chunk_estimate
            )?;
        }
        Err(e) => return Err(e.into()),
        Ok(()) => return Err("a 2 MiB write fit a 1 MiB quota".into()),
    }
    writeln!(
        out,
        "nothing was left behind: /data/too_big.bin exists = {}",
        fs.exists("/data/too_big.bin")
    )?;
    Ok(())
}

fn trees_and_snapshots(out: &mut dyn Write, fs: &MemoryFileSystem) -> TourResult {
    writeln!(
        out,
        "\n-- whole trees (each call all or nothing) and snapshots"
    )?;
    fs.import_tree([
        ("/archive/a.txt", &b"first"[..]),
        ("/archive/sub/b.txt", &b"second"[..]),
    ])?;
    fs.copy_tree("/archive", "/backup")?;
    fs.move_path("/backup/sub", "/elsewhere/deep/sub")?;
    writeln!(
        out,
        "imported /archive, copied it to /backup, moved /backup/sub to /elsewhere/deep/sub; \
         glob(\"/**/*.txt\") finds {:?}",
        fs.glob("/**/*.txt")?
    )?;

    // A walk reads the snapshot published when it started: it sees one
    // consistent tree whatever happens meanwhile.
    let walk = fs.walk("/")?;
    fs.rmtree("/elsewhere")?;
    writeln!(
        out,
        "started a walk of /, then removed /elsewhere; the walk still shows the tree as it was:"
    )?;
    for (dir, dirs, files) in walk {
        writeln!(out, "    {dir}: directories {dirs:?}, files {files:?}")?;
    }
    writeln!(out, "while a new listing of / shows {:?}", fs.listdir("/")?)?;
    Ok(())
}

fn archives(out: &mut dyn Write, fs: &MemoryFileSystem) -> TourResult {
    writeln!(out, "\n-- archives")?;
    let mut zip = std::io::Cursor::new(Vec::new());
    let exported = export_archive(fs, "/archive", &mut zip, ArchiveFormat::Zip)?;
    let zip_len = zip.get_ref().len();
    zip.set_position(0);
    let expanded = expand_archive_streaming(fs, zip, "/unzipped", ArchiveOptions::new())?;
    writeln!(
        out,
        "exported /archive as a {zip_len}-byte zip ({exported} files) and expanded it into \
         /unzipped ({expanded} files): {:?}",
        fs.glob("/unzipped/**")?
    )?;
    Ok(())
}

/// What the quota counts: every byte of data, plus a fixed charge for each
/// chunk a sequential file keeps.
fn ledger(out: &mut dyn Write, fs: &MemoryFileSystem) -> TourResult {
    writeln!(out, "\n-- what the quota counts")?;
    let stats = fs.stats();
    let mut data = 0;
    for (dir, _, files) in fs.walk("/")? {
        for name in files {
            data += fs.get_size(&format!("{}/{name}", dir.trim_end_matches('/')))?;
        }
    }
    let overhead = stats.overhead_per_chunk_estimate;
    writeln!(
        out,
        "{} files and {} directories; {} of {} quota bytes used = {data} bytes of file data \
         + {} chunks x {overhead} bytes",
        stats.file_count, stats.dir_count, stats.used_bytes, stats.quota_bytes, stats.chunk_count,
    )?;
    writeln!(
        out,
        "(a sequential file stores each write as a chunk, charged {overhead} bytes of \
         bookkeeping; a random-access file, like log.txt above, is one buffer and pays none)"
    )?;
    if stats.used_bytes != data + stats.chunk_count * overhead {
        return Err("the ledger does not add up".into());
    }
    for top in fs.listdir("/")? {
        fs.rmtree(&top)?;
    }
    writeln!(
        out,
        "removed everything: {} bytes used",
        fs.stats().used_bytes
    )?;
    Ok(())
}

/// A memory figure the tour sets, so the guard's behaviour shows the same
/// on every machine.
#[derive(Debug)]
struct PretendMemory(AtomicU64);

impl MemorySource for PretendMemory {
    fn available_bytes(&self) -> Option<u64> {
        Some(self.0.load(Ordering::Relaxed))
    }
}

fn memory_guard(out: &mut dyn Write, strategy: Concurrency) -> TourResult {
    writeln!(
        out,
        "\n-- the memory guard (checks the quota, and optionally each growth, against free memory)"
    )?;
    let memory = Arc::new(PretendMemory(AtomicU64::new(512 * KIB)));
    let build = |memory: Arc<PretendMemory>| {
        MemoryFileSystem::builder()
            .max_quota(MIB)
            .concurrency(strategy)
            .memory_guard(MemoryGuard::PerWrite {
                interval: Duration::ZERO,
            })
            .memory_guard_action(GuardAction::Raise)
            .memory_source(memory)
            .build()
    };
    match build(Arc::clone(&memory)) {
        Err(e) => writeln!(
            out,
            "with 512 KiB free, building a 1 MiB filesystem is refused: {e}"
        )?,
        Ok(_) => return Err("the guard let a 1 MiB quota through with 512 KiB free".into()),
    }

    memory.0.store(64 * MIB, Ordering::Relaxed);
    let fs = build(Arc::clone(&memory))?;
    fs.write("/small.bin", vec![1u8; 16 * KIB as usize])?;
    writeln!(
        out,
        "with 64 MiB free it builds, and a 16 KiB write succeeds"
    )?;
    memory.0.store(16 * KIB, Ordering::Relaxed);
    match fs.write("/big.bin", vec![1u8; 32 * KIB as usize]) {
        Err(e) => writeln!(
            out,
            "memory dropped to 16 KiB: a 32 KiB write is refused though the quota has room: {e}"
        )?,
        Ok(()) => return Err("the guard let 32 KiB through with 16 KiB free".into()),
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Both strategies must tell the same story, and every section of the
    /// tour must say something (no placeholder, no silent section).
    #[test]
    fn the_tour_prints_the_same_on_both_strategies_and_every_section() {
        let mut out = Vec::new();
        tour(&mut out).expect("the tour runs");
        let text = String::from_utf8(out).expect("the tour prints text");
        let mut runs = text.split("==== Concurrency::").skip(1);
        let actor = runs.next().expect("an Actor run");
        let global = runs.next().expect("a GlobalLock run");
        let body = |run: &str| run.split_once('\n').map(|(_, b)| b.to_owned());
        assert_eq!(body(actor), body(global), "the strategies differ:\n{text}");
        for section in [
            "-- files and handles",
            "-- the quota",
            "-- whole trees",
            "-- archives",
            "-- what the quota counts",
            "-- the memory guard",
            "the walk still shows the tree as it was",
            "a 32 KiB write is refused",
        ] {
            assert!(text.contains(section), "no {section:?} in:\n{text}");
        }
        assert!(!text.contains('#'), "a placeholder-like '#' in:\n{text}");
    }
}
