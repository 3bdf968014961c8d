//! End-to-end scenarios from D-MemFS's documented use cases: ETL staging,
//! archive-like trees, SQLite-snapshot-like blobs, CI debug export and a
//! quota-limited restricted environment.

#![allow(missing_docs)]

#[macro_use]
mod common;

use std::collections::BTreeMap;
use std::io::{ErrorKind, Read, Seek, SeekFrom, Write};
use std::thread;

use common::*;
use dmemfs::{Bytes, Error, MemoryFileSystem, OpenMode};

both_strategies!(
    scenario_etl_staging_multithreaded,
    scenario_archive_like_tree,
    scenario_sqlite_snapshot_blob,
    scenario_ci_debug_export,
    scenario_quota_limited_restricted_environment,
);

fn csv_for(i: usize) -> String {
    let mut s = String::from("id,name,value\n");
    for row in 0..50 {
        s.push_str(&format!("{row},item-{i}-{row},{}\n", row * i));
    }
    s
}

fn transform(raw: &str) -> String {
    raw.lines()
        .skip(1)
        .map(|l| l.to_uppercase())
        .collect::<Vec<_>>()
        .join("\n")
}

fn scenario_etl_staging_multithreaded(ctx: Ctx) {
    const FILES: usize = 24;
    const WORKERS: usize = 4;
    let fs = ctx.fs_quota(16 * 1024 * 1024);
    fs.mkdir("/raw", false).unwrap();
    fs.mkdir("/processed", false).unwrap();
    fs.mkdir("/output", false).unwrap();
    for i in 0..FILES {
        let mut h = fs
            .open(&format!("/raw/data{i:02}.csv"), OpenMode::Write)
            .unwrap();
        h.write_all(csv_for(i).as_bytes()).unwrap();
    }
    assert_eq!(fs.listdir("/raw").unwrap().len(), FILES);

    let workers: Vec<_> = (0..WORKERS)
        .map(|w| {
            let fs = fs.clone();
            thread::spawn(move || {
                let mut done = Vec::new();
                for i in (w..FILES).step_by(WORKERS) {
                    let name = format!("data{i:02}.csv");
                    let mut r = fs
                        .open_with(&format!("/raw/{name}"), OpenMode::Read, patient())
                        .unwrap();
                    let mut raw = String::new();
                    r.read_to_string(&mut raw).unwrap();
                    drop(r);
                    let out = transform(&raw);
                    let mut h = fs
                        .open_with(&format!("/processed/{name}"), OpenMode::Write, patient())
                        .unwrap();
                    h.write_all(out.as_bytes()).unwrap();
                    h.close().unwrap();
                    // Each worker appends its line count to a shared summary.
                    let mut s = fs
                        .open_with("/output/summary.txt", OpenMode::Append, patient())
                        .unwrap();
                    s.write_all(format!("{name}:{}\n", out.lines().count()).as_bytes())
                        .unwrap();
                    done.push(name);
                }
                done
            })
        })
        .collect();
    let mut processed: Vec<String> = workers
        .into_iter()
        .flat_map(|t| t.join().expect("worker"))
        .collect();
    processed.sort();
    assert_eq!(processed, fs.listdir("/processed").unwrap());
    assert_eq!(processed.len(), FILES);
    for i in 0..FILES {
        let got = fs
            .read_to_string(&format!("/processed/data{i:02}.csv"))
            .unwrap();
        assert_eq!(got, transform(&csv_for(i)));
    }
    let summary = fs.read_to_string("/output/summary.txt").unwrap();
    let mut lines: Vec<&str> = summary.lines().collect();
    lines.sort();
    assert_eq!(lines.len(), FILES);
    for (i, l) in lines.iter().enumerate() {
        assert_eq!(*l, format!("data{i:02}.csv:50"));
    }
    // Cleanup of the staging areas; only the output stays charged.
    fs.rmtree("/raw").unwrap();
    fs.rmtree("/processed").unwrap();
    let s = fs.stats();
    assert_eq!(s.file_count, 1);
    assert_eq!(s.dir_count, 1);
    assert_eq!(s.used_bytes, summary.len() as u64 + FILES as u64 * OVERHEAD);
    fs.rmtree("/output").unwrap();
    assert_eq!(used(&fs), 0);
    assert_eq!(fs.stats().file_count, 0);
}

fn scenario_archive_like_tree(ctx: Ctx) {
    let fs = ctx.fs();
    let mut archive: BTreeMap<String, Bytes> = BTreeMap::new();
    archive.insert(
        "/archive/doc1.bin".into(),
        Bytes::from_static(b"Document 1"),
    );
    archive.insert(
        "/archive/doc2.bin".into(),
        Bytes::from_static(b"Document 2"),
    );
    archive.insert(
        "/archive/sub/doc3.bin".into(),
        Bytes::from_static(b"Document 3"),
    );
    archive.insert(
        "/archive/sub/deeper/blob.bin".into(),
        Bytes::from(pseudo_random(10_000, 3)),
    );
    archive.insert("/archive/empty.bin".into(), Bytes::new());
    fs.import_tree(archive.clone()).unwrap();
    assert_eq!(
        fs.listdir("/archive").unwrap(),
        vec!["doc1.bin", "doc2.bin", "empty.bin", "sub"]
    );
    assert_eq!(
        fs.listdir("/archive/sub").unwrap(),
        vec!["deeper", "doc3.bin"]
    );
    assert_eq!(fs.export_tree("/archive", false).unwrap(), archive);
    let streamed: BTreeMap<String, Bytes> =
        fs.iter_export_tree("/archive", false).unwrap().collect();
    assert_eq!(streamed, archive);
    // Freshly extracted files are clean.
    assert!(fs.export_tree("/archive", true).unwrap().is_empty());
    assert_eq!(
        fs.glob("/archive/**/*.bin").unwrap(),
        archive.keys().cloned().collect::<Vec<_>>()
    );
    // Modify one file: it becomes the only dirty one.
    let mut h = fs.open("/archive/doc2.bin", OpenMode::Append).unwrap();
    h.write_all(b" (edited)").unwrap();
    drop(h);
    let dirty = fs.export_tree("/archive", true).unwrap();
    assert_eq!(dirty.len(), 1);
    assert_eq!(&dirty["/archive/doc2.bin"][..], b"Document 2 (edited)");
    // Re-extracting over it (all or nothing) restores it.
    fs.import_tree(archive.clone()).unwrap();
    assert_eq!(fs.export_tree("/", false).unwrap(), archive);
    let expected_used: u64 = archive
        .values()
        .filter(|b| !b.is_empty())
        .map(|b| b.len() as u64 + OVERHEAD)
        .sum();
    assert_eq!(used(&fs), expected_used);
    fs.rmtree("/archive").unwrap();
    assert_eq!(used(&fs), 0);
}

fn scenario_sqlite_snapshot_blob(ctx: Ctx) {
    const PAGE: usize = 4096;
    const PAGES: usize = 16;
    let fs = ctx.fs();
    let db = pseudo_random(PAGE * PAGES, 42);
    // "Serialize" into the filesystem page by page.
    let mut h = fs.open("/snapshot.db", OpenMode::Write).unwrap();
    for page in db.chunks(PAGE) {
        assert_eq!(h.write(page).unwrap(), PAGE);
    }
    h.close().unwrap();
    assert_eq!(used(&fs), (PAGE * PAGES) as u64 + PAGES as u64 * OVERHEAD);
    // "Deserialize": read it back whole.
    let mut r = fs.open("/snapshot.db", OpenMode::Read).unwrap();
    let mut restored = Vec::new();
    r.read_to_end(&mut restored).unwrap();
    drop(r);
    assert!(restored == db, "byte-identical snapshot");
    assert!(&fs.export_bytes("/snapshot.db", None).unwrap()[..] == db.as_slice());
    // Fixture reuse: copy the master for a test, update pages in place.
    fs.copy("/snapshot.db", "/test1.db").unwrap();
    let mut model = db.clone();
    let mut w = fs.open("/test1.db", OpenMode::ReadWrite).unwrap();
    for (n, page) in [3usize, 0, 15, 7].into_iter().enumerate() {
        let new_page = pseudo_random(PAGE, 100 + n as u64);
        w.seek(SeekFrom::Start((page * PAGE) as u64)).unwrap();
        w.write_all(&new_page).unwrap();
        model[page * PAGE..(page + 1) * PAGE].copy_from_slice(&new_page);
    }
    // Read a page back through the same handle.
    w.seek(SeekFrom::Start((7 * PAGE) as u64)).unwrap();
    let mut page7 = vec![0u8; PAGE];
    w.read_exact(&mut page7).unwrap();
    assert!(page7 == model[7 * PAGE..8 * PAGE]);
    drop(w);
    assert!(fs.read("/test1.db").unwrap() == model);
    assert!(
        fs.read("/snapshot.db").unwrap() == db,
        "the master is untouched"
    );
    // The promoted copy is charged its size alone.
    assert_eq!(
        used(&fs),
        2 * (PAGE * PAGES) as u64 + PAGES as u64 * OVERHEAD
    );
    fs.remove("/test1.db").unwrap();
    fs.remove("/snapshot.db").unwrap();
    assert_eq!(used(&fs), 0);
}

fn run_fake_test_suite(fs: &MemoryFileSystem, run: &str, fail: bool) {
    fs.mkdir(&format!("/ci/{run}/logs"), false).unwrap();
    fs.mkdir(&format!("/ci/{run}/artifacts"), false).unwrap();
    for t in 0..5 {
        let log = format!("/ci/{run}/logs/test{t}.log");
        let mut h = fs.open(&log, OpenMode::Append).unwrap();
        writeln!(h, "running test {t}").unwrap();
        if fail && t == 3 {
            writeln!(h, "FAILED: assertion").unwrap();
        } else {
            writeln!(h, "ok").unwrap();
        }
    }
    fs.write(
        format!("/ci/{run}/artifacts/report.json").as_str(),
        format!("{{\"run\":\"{run}\",\"failed\":{fail}}}"),
    )
    .unwrap();
}

fn scenario_ci_debug_export(ctx: Ctx) {
    let fs = ctx.fs();
    run_fake_test_suite(&fs, "run1", false);
    run_fake_test_suite(&fs, "run10", true);
    // A test failed in run10: export exactly its state for post-mortem.
    let failed = fs.export_tree("/ci/run10", false).unwrap();
    assert_eq!(failed.len(), 6);
    assert!(failed.keys().all(|k| k.starts_with("/ci/run10/")));
    assert_eq!(
        &failed["/ci/run10/logs/test3.log"][..],
        b"running test 3\nFAILED: assertion\n"
    );
    assert_eq!(
        &failed["/ci/run10/artifacts/report.json"][..],
        br#"{"run":"run10","failed":true}"#
    );
    // Only what changed since the last export: nothing was imported, so all
    // written files are dirty.
    assert_eq!(fs.export_tree("/ci/run10", true).unwrap(), failed);
    // Logs only.
    let logs = fs.export_tree("/ci/run10/logs", false).unwrap();
    assert_eq!(logs.len(), 5);
    // The whole CI area streams the same content.
    let all: BTreeMap<String, Bytes> = fs.iter_export_tree("/ci", false).unwrap().collect();
    assert_eq!(all.len(), 12);
    assert_eq!(all, fs.export_tree("/", false).unwrap());
    // Load the export into a fresh filesystem to inspect it.
    let inspect = ctx.fs();
    inspect.import_tree(failed.clone()).unwrap();
    assert_eq!(inspect.export_tree("/", false).unwrap(), failed);
    assert!(inspect
        .read_to_string("/ci/run10/logs/test3.log")
        .unwrap()
        .contains("FAILED"));
    fs.rmtree("/ci").unwrap();
    assert_eq!(used(&fs), 0);
}

fn scenario_quota_limited_restricted_environment(ctx: Ctx) {
    const QUOTA: u64 = 4096;
    let fs = ctx.fs_quota(QUOTA);
    fs.mkdir("/work", false).unwrap();
    let mut stored = Vec::new();
    let mut refused = None;
    for i in 0..10 {
        let path = format!("/work/part{i}");
        let mut h = fs.open(&path, OpenMode::Write).unwrap();
        match h.write_bytes(Bytes::from(vec![i as u8; 1000])) {
            Ok(n) => {
                assert_eq!(n, 1000);
                stored.push(path);
            }
            Err(e) => {
                refused = Some(e);
                drop(h);
                fs.remove(&path).unwrap();
                break;
            }
        }
    }
    // 3 × 1128 = 3384 fit; the 4th needs 1128 with 712 left.
    assert_eq!(stored.len(), 3);
    match refused {
        Some(Error::QuotaExceeded {
            requested,
            available,
            ..
        }) => assert_eq!((requested, available), (1000 + OVERHEAD, QUOTA - 3 * 1128)),
        other => panic!("expected QuotaExceeded, got {other:?}"),
    }
    assert_eq!(used(&fs), 3 * 1128);
    // The failure was clean: the data stored so far is intact.
    for (i, p) in stored.iter().enumerate() {
        assert_eq!(fs.read(p).unwrap(), vec![i as u8; 1000]);
    }
    // Convenience writes fail cleanly too, without leaving anything.
    let e = expect_kind(
        fs.write("/work/big", vec![0u8; 800]),
        ErrorKind::QuotaExceeded,
    );
    assert!(e.is_quota());
    assert!(!fs.exists("/work/big"));
    // Deleting frees room.
    fs.remove("/work/part0").unwrap();
    assert_eq!(fs.stats().free_bytes, QUOTA - 2 * 1128);
    fs.write("/work/big", vec![9u8; 1500]).unwrap();
    assert_eq!(used(&fs), 2 * 1128 + 1500 + OVERHEAD);
    assert_eq!(fs.stats().free_bytes, QUOTA - used(&fs));
    // Small appends keep working until the edge, then fail whole.
    let mut log = fs.open("/work/log", OpenMode::Append).unwrap();
    let mut appended = 0u64;
    loop {
        match log.write(&[b'.'; 10]) {
            Ok(n) => {
                assert_eq!(n, 10);
                appended += 10;
            }
            Err(e) => {
                assert_eq!(e.kind(), ErrorKind::QuotaExceeded);
                break;
            }
        }
    }
    drop(log);
    assert_eq!(fs.get_size("/work/log").unwrap(), appended);
    assert!(fs.stats().free_bytes < 10 + OVERHEAD);
    fs.rmtree("/work").unwrap();
    assert_eq!(used(&fs), 0);
    assert_eq!(fs.stats().free_bytes, QUOTA);
}
