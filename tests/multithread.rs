//! Many threads on one filesystem: no lost files, no torn reads, an exact
//! ledger afterwards, concurrent mkdir / CreateNew races, snapshot readers
//! (walk, glob) during mutation, and the quota under contention.

#![allow(missing_docs)]

#[macro_use]
mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::io::{ErrorKind, Read, Write};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Barrier};
use std::thread;
use std::time::Instant;

use common::*;
use dmemfs::OpenMode;

const THREADS: usize = 8;
const SHARED: usize = 4;

both_strategies!(
    mt_own_files_and_shared_files_no_loss_no_torn_reads,
    mt_concurrent_mkdir_same_path_exist_ok,
    mt_concurrent_create_new_exactly_one_wins,
    mt_concurrent_rename_exactly_one_wins,
    mt_concurrent_appends_are_whole_records,
    mt_walk_and_glob_are_consistent_snapshots,
    mt_a_slow_walk_sees_one_tree_across_many_publications,
    mt_quota_holds_under_contention,
);

/// A self-checking version: "tag|len|" followed by filler derived from tag.
fn version(tag: &str, len: usize) -> Vec<u8> {
    let header = format!("{tag}|{len}|");
    assert!(len > header.len());
    let seed: usize = tag.bytes().map(usize::from).sum();
    let mut v = header.into_bytes();
    let start = v.len();
    v.extend((start..len).map(|i| ((seed + i * 7) % 251) as u8));
    v
}

/// Checks that `data` is exactly one complete version; returns its tag.
#[track_caller]
fn check_version(data: &[u8]) -> String {
    let text_end = data
        .iter()
        .enumerate()
        .filter(|(_, b)| **b == b'|')
        .nth(1)
        .map(|(i, _)| i)
        .unwrap_or_else(|| panic!("torn or empty read: {} bytes, no header", data.len()));
    let header = std::str::from_utf8(&data[..text_end]).expect("utf-8 header");
    let (tag, len) = header.split_once('|').expect("header");
    let len: usize = len.parse().expect("header length");
    assert_eq!(data.len(), len, "torn read of version {tag}");
    assert!(
        data == version(tag, len).as_slice(),
        "torn read of version {tag}"
    );
    tag.to_string()
}

fn own_content(t: usize, i: usize) -> Vec<u8> {
    format!("thread {t} file {i};")
        .repeat(1 + (t * 7 + i * 3) % 40)
        .into_bytes()
}

fn mt_own_files_and_shared_files_no_loss_no_torn_reads(ctx: Ctx) {
    const ITER: usize = 40;
    let fs = ctx.fs();
    fs.mkdir("/shared", false).unwrap();
    for k in 0..SHARED {
        fs.write(
            format!("/shared/s{k}").as_str(),
            version(&format!("init{k}"), 500),
        )
        .unwrap();
    }
    let barrier = Arc::new(Barrier::new(THREADS));
    let workers: Vec<_> = (0..THREADS)
        .map(|t| {
            let fs = fs.clone();
            let barrier = Arc::clone(&barrier);
            thread::spawn(move || {
                let dir = format!("/t{t}");
                fs.mkdir(&format!("{dir}/sub"), false).unwrap();
                let mut model: BTreeMap<String, Vec<u8>> = BTreeMap::new();
                let mut seen_versions = 0usize;
                barrier.wait();
                for i in 0..ITER {
                    // Own files: create, read back, rename, move, remove.
                    let p = format!("{dir}/f{i}");
                    let data = own_content(t, i);
                    let mut h = fs.open(&p, OpenMode::Write).unwrap();
                    assert_eq!(h.write(&data).unwrap(), data.len());
                    h.close().unwrap();
                    assert_eq!(fs.read(&p).unwrap(), data, "{p}");
                    model.insert(p.clone(), data);
                    if i % 3 == 0 {
                        let q = format!("{dir}/g{i}");
                        fs.rename(&p, &q).unwrap();
                        let d = model.remove(&p).unwrap();
                        model.insert(q, d);
                    } else if i % 7 == 1 {
                        let q = format!("{dir}/sub/deeper/h{i}");
                        fs.move_path(&p, &q).unwrap();
                        let d = model.remove(&p).unwrap();
                        model.insert(q, d);
                    }
                    if i % 5 == 4 {
                        let victim = model.keys().next().cloned().unwrap();
                        fs.remove(&victim).unwrap();
                        model.remove(&victim);
                        assert!(!fs.exists(&victim));
                    }
                    // Shared files: write one complete version in ONE call.
                    let k = (t + i) % SHARED;
                    let tag = format!("t{t}i{i}");
                    let v = version(&tag, 200 + (t * 131 + i * 37) % 3000);
                    let mut w = fs
                        .open_with(&format!("/shared/s{k}"), OpenMode::Write, patient())
                        .unwrap();
                    assert_eq!(w.write(&v).unwrap(), v.len());
                    drop(w);
                    // Read another shared file through a handle and directly.
                    let k2 = (t + 2 * i + 1) % SHARED;
                    let mut r = fs
                        .open_with(&format!("/shared/s{k2}"), OpenMode::Read, patient())
                        .unwrap();
                    let mut got = Vec::new();
                    r.read_to_end(&mut got).unwrap();
                    drop(r);
                    check_version(&got);
                    check_version(&fs.read(&format!("/shared/s{k}")).unwrap());
                    seen_versions += 2;
                }
                (model, seen_versions)
            })
        })
        .collect();
    let mut models = Vec::new();
    for w in workers {
        let (model, seen) = w.join().expect("worker thread");
        assert_eq!(seen, 2 * ITER);
        models.push(model);
    }
    // No lost files: every file a thread believes exists does, with its
    // bytes, and nothing else is there.
    let mut expected_used = 0u64;
    for (t, model) in models.iter().enumerate() {
        let dir = format!("/t{t}");
        let present: BTreeMap<String, dmemfs::Bytes> = fs.export_tree(&dir, false).unwrap();
        let present_keys: BTreeSet<&String> = present.keys().collect();
        let model_keys: BTreeSet<&String> = model.keys().collect();
        assert_eq!(present_keys, model_keys, "files of thread {t}");
        for (p, data) in model {
            assert!(&present[p][..] == data.as_slice(), "content of {p}");
            assert!(fs.is_file(p));
            expected_used += data.len() as u64 + OVERHEAD;
        }
    }
    for k in 0..SHARED {
        let data = fs.read(&format!("/shared/s{k}")).unwrap();
        check_version(&data);
        expected_used += data.len() as u64 + OVERHEAD;
    }
    // Every stored file was written in one piece: the ledger is exact.
    let s = fs.stats();
    assert_eq!(s.used_bytes, expected_used);
    let file_total: usize = models.iter().map(|m| m.len()).sum::<usize>() + SHARED;
    assert_eq!(s.file_count, file_total as u64);
    // Cleanup.
    for t in 0..THREADS {
        fs.rmtree(&format!("/t{t}")).unwrap();
    }
    fs.rmtree("/shared").unwrap();
    let s = fs.stats();
    assert_eq!(s.used_bytes, 0);
    assert_eq!(s.file_count, 0);
    assert_eq!(s.dir_count, 0);
}

fn mt_concurrent_mkdir_same_path_exist_ok(ctx: Ctx) {
    let fs = ctx.fs();
    for round in 0..10 {
        let path = format!("/r{round}/x/y/z");
        let barrier = Arc::new(Barrier::new(THREADS));
        let results: Vec<_> = (0..THREADS)
            .map(|_| {
                let fs = fs.clone();
                let path = path.clone();
                let barrier = Arc::clone(&barrier);
                thread::spawn(move || {
                    barrier.wait();
                    fs.mkdir(&path, true)
                })
            })
            .collect::<Vec<_>>()
            .into_iter()
            .map(|h| h.join().unwrap())
            .collect();
        for r in results {
            r.expect("mkdir with exist_ok succeeds in every thread");
        }
        assert!(fs.is_dir(&path));
        assert_eq!(fs.listdir(&format!("/r{round}")).unwrap(), vec!["x"]);
        assert_eq!(fs.listdir(&format!("/r{round}/x/y")).unwrap(), vec!["z"]);
    }
    assert_eq!(fs.stats().dir_count, 10 * 4);
}

fn mt_concurrent_create_new_exactly_one_wins(ctx: Ctx) {
    let fs = ctx.fs();
    for round in 0..20 {
        let path = format!("/race{round}");
        let barrier = Arc::new(Barrier::new(THREADS));
        let handles: Vec<_> = (0..THREADS)
            .map(|t| {
                let fs = fs.clone();
                let path = path.clone();
                let barrier = Arc::clone(&barrier);
                thread::spawn(move || {
                    barrier.wait();
                    match fs.open_with(&path, OpenMode::CreateNew, patient()) {
                        Ok(mut h) => {
                            h.write_all(format!("winner {t}").as_bytes()).unwrap();
                            Ok(t)
                        }
                        Err(e) => Err(e.kind()),
                    }
                })
            })
            .collect();
        let results: Vec<Result<usize, ErrorKind>> =
            handles.into_iter().map(|h| h.join().unwrap()).collect();
        let winners: Vec<usize> = results.iter().filter_map(|r| r.ok()).collect();
        assert_eq!(winners.len(), 1, "exactly one CreateNew wins: {results:?}");
        for r in &results {
            if let Err(k) = r {
                assert_eq!(*k, ErrorKind::AlreadyExists, "{results:?}");
            }
        }
        assert_eq!(
            fs.read_to_string(&path).unwrap(),
            format!("winner {}", winners[0])
        );
    }
    assert_eq!(fs.stats().file_count, 20);
}

fn mt_concurrent_rename_exactly_one_wins(ctx: Ctx) {
    let fs = ctx.fs();
    for round in 0..20 {
        let src = format!("/src{round}");
        fs.write(src.as_str(), format!("payload {round}")).unwrap();
        let barrier = Arc::new(Barrier::new(THREADS));
        let handles: Vec<_> = (0..THREADS)
            .map(|t| {
                let fs = fs.clone();
                let src = src.clone();
                let barrier = Arc::clone(&barrier);
                thread::spawn(move || {
                    barrier.wait();
                    fs.rename(&src, &format!("/dst{round}-{t}"))
                        .map(|()| t)
                        .map_err(|e| e.kind())
                })
            })
            .collect();
        let results: Vec<Result<usize, ErrorKind>> =
            handles.into_iter().map(|h| h.join().unwrap()).collect();
        let winners: Vec<usize> = results.iter().filter_map(|r| r.ok()).collect();
        assert_eq!(winners.len(), 1, "exactly one rename wins: {results:?}");
        for r in &results {
            if let Err(k) = r {
                assert_eq!(*k, ErrorKind::NotFound, "{results:?}");
            }
        }
        assert!(!fs.exists(&src));
        let dst = format!("/dst{round}-{}", winners[0]);
        assert_eq!(fs.read_to_string(&dst).unwrap(), format!("payload {round}"));
    }
    let s = fs.stats();
    assert_eq!(s.file_count, 20);
    let expected: u64 = (0..20)
        .map(|r: u64| format!("payload {r}").len() as u64 + OVERHEAD)
        .sum();
    assert_eq!(s.used_bytes, expected);
}

fn mt_concurrent_appends_are_whole_records(ctx: Ctx) {
    const RECORDS: usize = 20;
    const LEN: usize = 100;
    let fs = ctx.fs();
    fs.write("/journal", b"").unwrap();
    let barrier = Arc::new(Barrier::new(THREADS));
    let handles: Vec<_> = (0..THREADS)
        .map(|t| {
            let fs = fs.clone();
            let barrier = Arc::clone(&barrier);
            thread::spawn(move || {
                barrier.wait();
                for r in 0..RECORDS {
                    let mut rec = format!("[t{t} r{r:02}]").into_bytes();
                    rec.resize(LEN - 1, b'a' + t as u8);
                    rec.push(b'\n');
                    let mut h = fs
                        .open_with("/journal", OpenMode::Append, patient())
                        .unwrap();
                    assert_eq!(h.write(&rec).unwrap(), LEN);
                }
            })
        })
        .collect();
    for h in handles {
        h.join().expect("appender");
    }
    let data = fs.read("/journal").unwrap();
    assert_eq!(data.len(), THREADS * RECORDS * LEN);
    let mut next = [0usize; THREADS];
    for rec in data.chunks(LEN) {
        let text = std::str::from_utf8(rec).expect("whole records");
        let close = text.find(']').expect("record header");
        let (t, r) = text[2..close].split_once(" r").expect("header fields");
        let t: usize = t.parse().unwrap();
        let r: usize = r.parse().unwrap();
        assert_eq!(r, next[t], "records of one thread stay in order");
        next[t] += 1;
        assert!(rec[close + 1..LEN - 1].iter().all(|&b| b == b'a' + t as u8));
        assert_eq!(rec[LEN - 1], b'\n');
    }
    assert!(next.iter().all(|&n| n == RECORDS));
    let s = fs.stats();
    assert_eq!(
        s.used_bytes,
        (THREADS * RECORDS * LEN) as u64 + (THREADS * RECORDS) as u64 * OVERHEAD
    );
    assert_eq!(s.chunk_count, (THREADS * RECORDS) as u64);
}

fn mt_walk_and_glob_are_consistent_snapshots(ctx: Ctx) {
    let fs = ctx.fs();
    fs.mkdir("/m/a", false).unwrap();
    fs.mkdir("/m/b", false).unwrap();
    fs.mkdir("/m/c", false).unwrap();
    fs.write("/m/a/token", b"t").unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let moves = Arc::new(AtomicUsize::new(0));
    let mover = {
        let fs = fs.clone();
        let stop = Arc::clone(&stop);
        let moves = Arc::clone(&moves);
        thread::spawn(move || {
            let mut at_a = true;
            let mut n = 0usize;
            while !stop.load(Ordering::Relaxed) {
                let (from, to) = if at_a {
                    ("/m/a/token", "/m/b/token")
                } else {
                    ("/m/b/token", "/m/a/token")
                };
                fs.rename(from, to).unwrap();
                at_a = !at_a;
                // Churn elsewhere: create and remove directories and files.
                let tmp = format!("/m/c/tmp{}", n % 5);
                if fs.exists(&tmp) {
                    fs.rmtree(&tmp).unwrap();
                } else {
                    fs.mkdir(&format!("{tmp}/inner"), false).unwrap();
                    fs.write(format!("{tmp}/inner/file").as_str(), b"x")
                        .unwrap();
                }
                n += 1;
                moves.fetch_add(1, Ordering::Relaxed);
            }
        })
    };
    let start = Instant::now();
    let mut iterations = 0usize;
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        while iterations < 100 || moves.load(Ordering::Relaxed) < 200 {
            assert!(start.elapsed() < DEADLINE, "mover made no progress");
            let tokens = fs.glob("/m/*/token").unwrap();
            assert_eq!(tokens.len(), 1, "glob snapshot: {tokens:?}");
            let all = fs.glob("/m/**").unwrap();
            assert!(strictly_sorted(&all), "glob sorted and unique: {all:?}");
            assert_eq!(
                all.iter().filter(|p| p.ends_with("/token")).count(),
                1,
                "{all:?}"
            );
            let walked: Vec<(String, Vec<String>, Vec<String>)> = fs.walk("/m").unwrap().collect();
            let mut token_count = 0;
            let mut dirs_seen = BTreeSet::new();
            for (d, sub, files) in &walked {
                assert!(strictly_sorted(sub), "{d}: {sub:?}");
                assert!(strictly_sorted(files), "{d}: {files:?}");
                if d != "/m" {
                    let parent = &d[..d.rfind('/').unwrap()];
                    assert!(dirs_seen.contains(parent), "top-down: {d}");
                }
                dirs_seen.insert(d.clone());
                token_count += files.iter().filter(|f| *f == "token").count();
            }
            assert_eq!(token_count, 1, "walk snapshot: {walked:?}");
            iterations += 1;
        }
    }));
    stop.store(true, Ordering::Relaxed);
    mover.join().expect("mover thread");
    if let Err(p) = result {
        std::panic::resume_unwind(p);
    }
    assert_eq!(fs.glob("/m/*/token").unwrap().len(), 1);
}

/// Readers walk slowly (yielding between directories) while a mover
/// shuttles files one by one between two large directories and creates and
/// removes others: every walk, one snapshot held across many publications,
/// must count every shuttled file exactly once. The writer edits its trees
/// in place (twin trees): were it ever to edit a tree a walk still held,
/// a walk would count a moved file twice or not at all.
fn mt_a_slow_walk_sees_one_tree_across_many_publications(ctx: Ctx) {
    const FILES: usize = 24;
    let fs = ctx.fs();
    for dir in ["/w/a", "/w/b", "/w/c"] {
        fs.mkdir(dir, false).unwrap();
    }
    for i in 0..FILES {
        fs.write(format!("/w/a/f{i:02}").as_str(), b"x").unwrap();
    }
    let stop = Arc::new(AtomicBool::new(false));
    let moves = Arc::new(AtomicUsize::new(0));
    let mover = {
        let fs = fs.clone();
        let stop = Arc::clone(&stop);
        let moves = Arc::clone(&moves);
        thread::spawn(move || {
            let mut n = 0usize;
            while !stop.load(Ordering::Relaxed) {
                let name = format!("f{:02}", n % FILES);
                let (from, to) = if (n / FILES) % 2 == 0 {
                    ("a", "b")
                } else {
                    ("b", "a")
                };
                fs.rename(&format!("/w/{from}/{name}"), &format!("/w/{to}/{name}"))
                    .unwrap();
                let tmp = format!("/w/c/t{}", n % 12);
                if fs.exists(&tmp) {
                    fs.remove(&tmp).unwrap();
                } else {
                    fs.write(tmp.as_str(), b"y").unwrap();
                }
                n += 1;
                moves.fetch_add(1, Ordering::Relaxed);
            }
        })
    };
    let start = Instant::now();
    let walkers: Vec<_> = (0..2)
        .map(|_| {
            let fs = fs.clone();
            let moves = Arc::clone(&moves);
            thread::spawn(move || {
                let mut walks = 0usize;
                while walks < 100 || moves.load(Ordering::Relaxed) < 2_000 {
                    assert!(start.elapsed() < DEADLINE, "no progress");
                    let mut shuttled = 0;
                    for (dir, _, files) in fs.walk("/w").unwrap() {
                        if dir == "/w/a" || dir == "/w/b" {
                            shuttled += files.len();
                        }
                        thread::yield_now();
                    }
                    assert_eq!(shuttled, FILES, "one walk counted every file once");
                    walks += 1;
                }
            })
        })
        .collect();
    let results: Vec<_> = walkers.into_iter().map(thread::JoinHandle::join).collect();
    stop.store(true, Ordering::Relaxed);
    mover.join().expect("mover thread");
    for result in results {
        if let Err(p) = result {
            std::panic::resume_unwind(p);
        }
    }
}

fn mt_quota_holds_under_contention(ctx: Ctx) {
    const QUOTA: u64 = 50_000;
    let fs = ctx.fs_quota(QUOTA);
    let barrier = Arc::new(Barrier::new(THREADS));
    let workers: Vec<_> = (0..THREADS)
        .map(|t| {
            let fs = fs.clone();
            let barrier = Arc::clone(&barrier);
            thread::spawn(move || {
                fs.mkdir(&format!("/q{t}"), false).unwrap();
                barrier.wait();
                let mut refused = 0;
                for i in 0..60 {
                    let p = format!("/q{t}/f{i}");
                    let len = 200 + (t * 97 + i * 31) % 1500;
                    match fs.write(p.as_str(), vec![t as u8; len]) {
                        Ok(()) => {}
                        Err(e) => {
                            assert!(e.is_quota(), "{e:?}");
                            assert_eq!(e.kind(), ErrorKind::QuotaExceeded);
                            assert!(!fs.exists(&p), "a refused write leaves nothing");
                            refused += 1;
                        }
                    }
                    let s = fs.stats();
                    assert!(s.used_bytes <= QUOTA, "{s:?}");
                    // Free some room now and then.
                    if i % 4 == 3 {
                        let victim = format!("/q{t}/f{}", i - 2);
                        if fs.exists(&victim) {
                            fs.remove(&victim).unwrap();
                        }
                    }
                }
                refused
            })
        })
        .collect();
    let refused: usize = workers.into_iter().map(|w| w.join().unwrap()).sum();
    assert!(refused > 0, "the quota was reached at some point");
    let files = fs.export_tree("/", false).unwrap();
    let expected: u64 = files.values().map(|b| b.len() as u64 + OVERHEAD).sum();
    let s = fs.stats();
    assert_eq!(s.used_bytes, expected, "the ledger matches what is stored");
    assert!(s.used_bytes <= QUOTA);
    assert_eq!(s.file_count, files.len() as u64);
    for (p, b) in &files {
        let t: u8 = p[2..p.find("/f").unwrap()].parse().unwrap();
        assert!(b.iter().all(|&x| x == t), "{p}");
    }
    for t in 0..THREADS {
        fs.rmtree(&format!("/q{t}")).unwrap();
    }
    assert_eq!(fs.stats().used_bytes, 0);
    assert_eq!(fs.stats().file_count, 0);
}
