//! dmemfs against its peers on D-MemFS's benchmark cases (issue 13): each
//! case on dmemfs (`Concurrency::Actor` and `Concurrency::GlobalLock`),
//! `vfs::MemoryFS`, `std::fs` on tmpfs, and two floors (a `RwLock<HashMap>`
//! and a `DashMap` from path to `Arc<Vec<u8>>`). The cases live in
//! `peer_cases/`, shared with `examples/peer_cases.rs` (callgrind).
//!
//! Run (five minutes or so on two cores):
//! `cargo bench --bench peers -- --warm-up-time 1 --measurement-time 3 --sample-size 10`
//!
//! Single-thread cases report the time of one whole case (new subject, the
//! case, drop). Contention reports operations per second (criterion's
//! throughput); before measuring it, each contention benchmark runs a
//! separate pass that times every operation and prints read and write
//! latency percentiles, also written to
//! `target/criterion/contention_<n>_threads/<subject>/latency.txt`.
//! Compare figures of one run with each other: the machines are noisy.

use std::fs;
use std::io;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use criterion::measurement::WallTime;
use criterion::{
    criterion_group, criterion_main, BenchmarkGroup, Criterion, SamplingMode, Throughput,
};

#[path = "peer_cases/mod.rs"]
mod peer_cases;

use peer_cases::cases::Case;
use peer_cases::contention::{ContentionPlan, Observer, OpKind, Tally, Unobserved};
use peer_cases::kind::{SubjectKind, UseSubject};
use peer_cases::subject::Subject;

/// Thread counts of the contention case.
const THREADS: [usize; 3] = [1, 2, 4];
/// Operations per thread in the latency pass: 10,000 of them writes, so the
/// writers' p99.9 rests on ten samples per thread.
const LATENCY_OPS_PER_THREAD: u64 = 100_000;

fn single_thread_cases(c: &mut Criterion) {
    for case in Case::ALL {
        let plan = case.plan();
        let mut group = c.benchmark_group(case.name());
        // Every iteration is a whole case of a millisecond or more.
        group.sampling_mode(SamplingMode::Flat);
        for kind in SubjectKind::ALL {
            group.bench_function(kind.name(), |b| {
                b.iter(|| {
                    kind.build(&plan)
                        .unwrap_or_else(|e| panic!("{} on {}: {e}", case.name(), kind.name()))
                })
            });
        }
        group.finish();
    }
}

fn contention(c: &mut Criterion) {
    for threads in THREADS {
        let plan = ContentionPlan::new(threads);
        let group_name = format!("contention_{threads}_threads");
        let mut group = c.benchmark_group(&group_name);
        group.throughput(Throughput::Elements(1));
        for kind in SubjectKind::ALL {
            let bench = ContentionBench {
                group: &mut group,
                group_name: &group_name,
                plan: &plan,
                kind,
            };
            kind.build(bench)
                .unwrap_or_else(|e| panic!("{group_name} on {}: {e}", kind.name()));
        }
        group.finish();
    }
}

/// One subject's contention benchmark, on one populated subject.
struct ContentionBench<'a, 'c> {
    group: &'a mut BenchmarkGroup<'c, WallTime>,
    group_name: &'a str,
    plan: &'a ContentionPlan,
    kind: SubjectKind,
}

impl UseSubject for ContentionBench<'_, '_> {
    type Output = ();

    fn with<S: Subject>(self, fs: S) -> io::Result<()> {
        let ContentionBench {
            group,
            group_name,
            plan,
            kind,
        } = self;
        plan.populate(&fs)?;
        let threads = plan.threads();
        let mut cursors = vec![0; threads];
        let mut latency_reported = false;
        let mut failure = None;
        group.bench_function(kind.name(), |b| {
            // Runs once per benchmark that the command line selects.
            if !latency_reported {
                latency_reported = true;
                if let Err(e) = report_latency(&fs, plan, group_name, kind) {
                    failure.get_or_insert(e);
                }
            }
            b.iter_custom(|ops| {
                let mut observers: Vec<_> = (0..threads).map(|_| Unobserved).collect();
                match plan.run(&fs, ops, &mut cursors, &mut observers) {
                    Ok((elapsed, _)) => elapsed,
                    Err(e) => {
                        failure.get_or_insert(e);
                        Duration::ZERO
                    }
                }
            })
        });
        failure.map_or(Ok(()), Err)
    }
}

/// Times every operation of its thread.
#[derive(Default)]
struct LatencyLog {
    reads: Vec<u64>,
    writes: Vec<u64>,
}

impl Observer for LatencyLog {
    fn observe<T>(&mut self, kind: OpKind, op: impl FnOnce() -> T) -> T {
        let start = Instant::now();
        let result = op();
        let nanos = u64::try_from(start.elapsed().as_nanos()).unwrap_or(u64::MAX);
        match kind {
            OpKind::Read => self.reads.push(nanos),
            OpKind::Write => self.writes.push(nanos),
        }
        result
    }
}

/// Nearest-rank percentiles of operation latencies, in nanoseconds.
struct Percentiles {
    count: usize,
    p50: u64,
    p99: u64,
    p999: u64,
    max: u64,
}

impl Percentiles {
    /// `None` for no samples.
    fn of(mut nanos: Vec<u64>) -> Option<Self> {
        nanos.sort_unstable();
        let max = *nanos.last()?;
        let rank = |q: f64| {
            let rank = (q * nanos.len() as f64).ceil() as usize;
            nanos[rank.clamp(1, nanos.len()) - 1]
        };
        Some(Percentiles {
            count: nanos.len(),
            p50: rank(0.5),
            p99: rank(0.99),
            p999: rank(0.999),
            max,
        })
    }
}

impl std::fmt::Display for Percentiles {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let us = |ns: u64| ns as f64 / 1000.0;
        write!(
            f,
            "n={} p50={:.2}µs p99={:.2}µs p999={:.2}µs max={:.2}µs",
            self.count,
            us(self.p50),
            us(self.p99),
            us(self.p999),
            us(self.max)
        )
    }
}

/// The latency pass: `LATENCY_OPS_PER_THREAD` timed operations per thread.
fn report_latency<S: Subject>(
    fs: &S,
    plan: &ContentionPlan,
    group_name: &str,
    kind: SubjectKind,
) -> io::Result<()> {
    let threads = plan.threads();
    let mut cursors = vec![0; threads];
    let mut logs: Vec<LatencyLog> = (0..threads).map(|_| LatencyLog::default()).collect();
    let ops = LATENCY_OPS_PER_THREAD * threads as u64;
    let (elapsed, tally) = plan.run(fs, ops, &mut cursors, &mut logs)?;
    let (reads, writes): (Vec<_>, Vec<_>) = logs.into_iter().map(|l| (l.reads, l.writes)).unzip();
    let line = |all: Vec<Vec<u64>>| {
        Percentiles::of(all.concat()).map_or_else(|| "none".to_owned(), |p| p.to_string())
    };
    let report = format!(
        "{group_name}/{}: {:.0} kops/s with a clock read per op; {}\n  reads:  {}\n  writes: {}\n",
        kind.name(),
        tally.ops() as f64 / elapsed.as_secs_f64() / 1000.0,
        describe(&tally),
        line(reads),
        line(writes),
    );
    print!("{report}");
    let dir = criterion_home().join(group_name).join(kind.name());
    fs::create_dir_all(&dir)?;
    fs::write(dir.join("latency.txt"), report)
}

fn describe(tally: &Tally) -> String {
    format!(
        "{} reads ({} found no file), {} writes ({} removes refused as busy, {} found no file)",
        tally.reads + tally.missed_reads,
        tally.missed_reads,
        tally.writes,
        tally.busy_removes,
        tally.missing_removes
    )
}

/// Where criterion writes its reports (its own rule, less `cargo metadata`).
fn criterion_home() -> PathBuf {
    if let Some(home) = std::env::var_os("CRITERION_HOME") {
        PathBuf::from(home)
    } else if let Some(target) = std::env::var_os("CARGO_TARGET_DIR") {
        PathBuf::from(target).join("criterion")
    } else {
        PathBuf::from("target/criterion")
    }
}

criterion_group!(benches, single_thread_cases, contention);
criterion_main!(benches);
