//! One case of `benches/peers.rs` on one subject, outside criterion: for
//! instruction counts (`scripts/callgrind_peers.sh` runs it under callgrind)
//! and for `perf`.
//!
//! ```text
//! peer_cases <case> <subject> <runs>
//! peer_cases contention <subject> <ops per thread> [threads]
//! ```
//!
//! A case runs `runs` times, each on a new subject, and prints the fastest
//! run, the median and the slowest (issue 13 asks ten runs of small_files_rw on the actor
//! to stay within 1.5x of each other). Contention populates one
//! subject, then runs the mix (untimed per operation). Cases: small_files_rw,
//! stream_write_read, random_access_rw, large_stream, many_files_random_read,
//! deep_tree_read. Subjects: actor, global_lock, vfs_memoryfs, std_fs_tmpfs,
//! rwlock_hashmap, dashmap.

use std::error::Error;
use std::io;
use std::time::{Duration, Instant};

#[path = "../benches/peer_cases/mod.rs"]
mod peer_cases;

use peer_cases::cases::Case;
use peer_cases::contention::{ContentionPlan, Tally, Unobserved};
use peer_cases::kind::{SubjectKind, UseSubject};
use peer_cases::subject::Subject;

fn main() -> Result<(), Box<dyn Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [case, subject, count, rest @ ..] = args.as_slice() else {
        return Err(
            "usage: peer_cases <case|contention> <subject> <runs|ops per thread> [threads]".into(),
        );
    };
    let kind = SubjectKind::ALL
        .into_iter()
        .find(|k| k.name() == subject)
        .ok_or_else(|| {
            let names: Vec<_> = SubjectKind::ALL.iter().map(|k| k.name()).collect();
            format!("unknown subject {subject:?}; one of {}", names.join(", "))
        })?;
    let count: u64 = count.parse()?;
    if case == "contention" {
        let threads: usize = rest.first().map_or(Ok(1), |t| t.parse())?;
        let plan = ContentionPlan::new(threads);
        let (elapsed, tally) = kind.build(ContentionRun {
            plan: &plan,
            ops: count * threads as u64,
        })?;
        println!(
            "contention on {}, {threads} thread(s): {} ops in {elapsed:?} ({:.0} kops/s); \
             {} reads ({} found no file), {} writes ({} busy removes, {} missing removes)",
            kind.name(),
            tally.ops(),
            tally.ops() as f64 / elapsed.as_secs_f64() / 1000.0,
            tally.reads + tally.missed_reads,
            tally.missed_reads,
            tally.writes,
            tally.busy_removes,
            tally.missing_removes,
        );
    } else {
        let case = Case::ALL
            .into_iter()
            .find(|c| c.name() == case)
            .ok_or_else(|| {
                let names: Vec<_> = Case::ALL.iter().map(|c| c.name()).collect();
                format!(
                    "unknown case {case:?}; one of {}, contention",
                    names.join(", ")
                )
            })?;
        let plan = case.plan();
        let mut times = Vec::with_capacity(usize::try_from(count)?);
        for _ in 0..count {
            let start = Instant::now();
            kind.build(&plan)?;
            times.push(start.elapsed());
        }
        let total: Duration = times.iter().sum();
        print!(
            "{} on {}: {count} run(s) in {total:?}",
            case.name(),
            kind.name()
        );
        times.sort_unstable();
        if let (Some(fastest), Some(slowest)) = (times.first(), times.last()) {
            print!(
                "; fastest {fastest:?}, median {:?}, slowest {slowest:?} ({:.2}x the fastest)",
                times[times.len() / 2],
                slowest.as_secs_f64() / fastest.as_secs_f64()
            );
        }
        println!();
    }
    Ok(())
}

/// Populates the subject, then runs `ops` operations of the mix on it.
struct ContentionRun<'a> {
    plan: &'a ContentionPlan,
    ops: u64,
}

impl UseSubject for ContentionRun<'_> {
    type Output = (Duration, Tally);

    fn with<S: Subject>(self, fs: S) -> io::Result<(Duration, Tally)> {
        self.plan.populate(&fs)?;
        let threads = self.plan.threads();
        let mut cursors = vec![0; threads];
        let mut observers: Vec<_> = (0..threads).map(|_| Unobserved).collect();
        self.plan.run(&fs, self.ops, &mut cursors, &mut observers)
    }
}
