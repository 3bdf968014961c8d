//! [`SystemMemory`]: the memory a Linux process can still use, container
//! limits included.
//!
//! Why files and not the `sysinfo` crate: the figure needed is two or three
//! numbers from `/proc` and `/sys/fs/cgroup`, read about once a second. `sysinfo`
//! would bring a large dependency tree for that, refreshes far more than it
//! needs, and its cgroup support does not walk the process's own cgroup
//! hierarchy. Reading the files directly also keeps the source testable: every
//! path is taken below a root directory, which tests point at a fake tree.
//! Outside Linux the files do not exist, the figure is unknown, and the guard
//! lets everything through.

use std::fs;
use std::path::{Path, PathBuf};

use super::MemorySource;

/// A cgroup v1 limit at or above this is "no limit" (the kernel reports
/// `PAGE_COUNTER_MAX` pages, about 2^63 bytes).
const V1_UNLIMITED: u64 = 1 << 60;

/// The memory this process can still use, as the system reports it.
///
/// `available_bytes` is the smaller of:
/// - the headroom of the process's memory cgroup, when a limit applies:
///   for each limited cgroup from the process's own up to the root of the
///   hierarchy, the limit minus the usage (less its reclaimable inactive
///   page cache); cgroup v2 (`memory.max`, `memory.current`) or v1
///   (`memory.limit_in_bytes`, `memory.usage_in_bytes`), found through
///   `/proc/self/cgroup`;
/// - the host's `MemAvailable` from `/proc/meminfo` (`MemFree` if the
///   kernel is too old to report it).
///
/// Either missing leaves the other; both missing is `None` (unknown).
#[derive(Debug, Clone)]
pub struct SystemMemory {
    root: PathBuf,
}

impl Default for SystemMemory {
    fn default() -> Self {
        Self::new()
    }
}

impl SystemMemory {
    /// Reads the running system (`/proc`, `/sys/fs/cgroup`).
    pub fn new() -> Self {
        Self::with_root("/")
    }

    /// Reads the files below `root` instead of `/`: `root/proc/meminfo`,
    /// `root/proc/self/cgroup`, `root/sys/fs/cgroup/...`. For tests.
    pub fn with_root(root: impl Into<PathBuf>) -> Self {
        SystemMemory { root: root.into() }
    }

    /// The host's available memory (`MemAvailable`), if reported.
    pub fn host_available(&self) -> Option<u64> {
        let meminfo = fs::read_to_string(self.root.join("proc/meminfo")).ok()?;
        meminfo_field(&meminfo, "MemAvailable").or_else(|| meminfo_field(&meminfo, "MemFree"))
    }

    fn host_total(&self) -> Option<u64> {
        let meminfo = fs::read_to_string(self.root.join("proc/meminfo")).ok()?;
        meminfo_field(&meminfo, "MemTotal")
    }

    /// The headroom left by the memory cgroups that limit this process, or
    /// `None` when none does (or there are no cgroups to read).
    pub fn cgroup_available(&self) -> Option<u64> {
        let cgroup_root = self.root.join("sys/fs/cgroup");
        let membership = fs::read_to_string(self.root.join("proc/self/cgroup")).unwrap_or_default();
        let mut v1_path = None;
        let mut v2_path = None;
        for line in membership.lines() {
            let mut parts = line.splitn(3, ':');
            let (Some(id), Some(controllers), Some(path)) =
                (parts.next(), parts.next(), parts.next())
            else {
                continue;
            };
            if id == "0" && controllers.is_empty() {
                v2_path = Some(path.to_owned());
            } else if controllers.split(',').any(|c| c == "memory") {
                v1_path = Some(path.to_owned());
            }
        }
        // A memory controller on v1 (a hybrid host) wins: a controller is
        // attached to one hierarchy only.
        let v1_mount = cgroup_root.join("memory");
        if v1_path.is_some() || (v2_path.is_none() && v1_mount.is_dir()) {
            let total = self.host_total();
            return headroom(&v1_mount, v1_path.as_deref().unwrap_or("/"), |dir| {
                v1_headroom(dir, total)
            });
        }
        headroom(&cgroup_root, v2_path.as_deref().unwrap_or("/"), v2_headroom)
    }
}

impl MemorySource for SystemMemory {
    fn available_bytes(&self) -> Option<u64> {
        match (self.cgroup_available(), self.host_available()) {
            (Some(c), Some(h)) => Some(c.min(h)),
            (c, h) => c.or(h),
        }
    }
}

/// The smallest headroom of the limited cgroups from `mount/path` up to
/// `mount`. If the process's cgroup is not visible there (a cgroup namespace
/// whose paths do not match the mount), the mount root alone is read.
fn headroom(mount: &Path, path: &str, level: impl Fn(&Path) -> Option<u64>) -> Option<u64> {
    let relative = path.trim_start_matches('/');
    let mut dir = mount.join(relative);
    if relative.split('/').any(|c| c == "..") || !dir.is_dir() {
        dir = mount.to_path_buf();
    }
    let mut least: Option<u64> = None;
    loop {
        if let Some(room) = level(&dir) {
            least = Some(least.map_or(room, |l| l.min(room)));
        }
        if dir == mount {
            return least;
        }
        match dir.parent() {
            Some(parent) if parent.starts_with(mount) => dir = parent.to_path_buf(),
            _ => return least,
        }
    }
}

/// Headroom of one cgroup v2 directory; `None` if it sets no limit.
fn v2_headroom(dir: &Path) -> Option<u64> {
    let max = read_trimmed(&dir.join("memory.max"))?;
    if max == "max" {
        return None;
    }
    let limit: u64 = max.parse().ok()?;
    let usage: u64 = read_trimmed(&dir.join("memory.current"))
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let reclaimable = stat_field(dir, "inactive_file").unwrap_or(0);
    Some(limit.saturating_sub(usage.saturating_sub(reclaimable)))
}

/// Headroom of one cgroup v1 memory directory; `None` if it sets no limit
/// (the kernel's "unlimited", or a limit at or above the host's RAM).
fn v1_headroom(dir: &Path, host_total: Option<u64>) -> Option<u64> {
    let limit: u64 = read_trimmed(&dir.join("memory.limit_in_bytes"))?
        .parse()
        .ok()?;
    if limit >= V1_UNLIMITED || host_total.is_some_and(|t| limit >= t) {
        return None;
    }
    let usage: u64 = read_trimmed(&dir.join("memory.usage_in_bytes"))
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let reclaimable = stat_field(dir, "total_inactive_file")
        .or_else(|| stat_field(dir, "inactive_file"))
        .unwrap_or(0);
    Some(limit.saturating_sub(usage.saturating_sub(reclaimable)))
}

fn read_trimmed(path: &Path) -> Option<String> {
    fs::read_to_string(path).ok().map(|s| s.trim().to_owned())
}

/// A `name value` line of a cgroup's `memory.stat`.
fn stat_field(dir: &Path, name: &str) -> Option<u64> {
    let stat = fs::read_to_string(dir.join("memory.stat")).ok()?;
    stat.lines().find_map(|line| {
        let (key, value) = line.split_once(' ')?;
        (key == name).then(|| value.trim().parse().ok())?
    })
}

/// A `Name:   1234 kB` line of `/proc/meminfo`, in bytes.
fn meminfo_field(meminfo: &str, name: &str) -> Option<u64> {
    meminfo.lines().find_map(|line| {
        let (key, rest) = line.split_once(':')?;
        if key != name {
            return None;
        }
        let mut words = rest.split_whitespace();
        let n: u64 = words.next()?.parse().ok()?;
        match words.next() {
            Some("kB") => n.checked_mul(1024),
            None => Some(n),
            Some(_) => None,
        }
    })
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    /// A fake root directory, removed on drop.
    struct FakeRoot(PathBuf);

    impl FakeRoot {
        fn new(name: &str) -> Self {
            let dir = std::env::temp_dir().join(format!(
                "dmemfs-quota-{name}-{}-{:?}",
                std::process::id(),
                std::thread::current().id()
            ));
            let _ = fs::remove_dir_all(&dir);
            fs::create_dir_all(&dir).expect("create the fake root");
            FakeRoot(dir)
        }

        fn file(&self, path: &str, content: &str) -> &Self {
            let p = self.0.join(path);
            fs::create_dir_all(p.parent().expect("a parent")).expect("create parents");
            fs::write(p, content).expect("write a fake file");
            self
        }

        fn source(&self) -> SystemMemory {
            SystemMemory::with_root(&self.0)
        }
    }

    impl Drop for FakeRoot {
        fn drop(&mut self) {
            let _ = fs::remove_dir_all(&self.0);
        }
    }

    const MEMINFO: &str =
        "MemTotal:       16384 kB\nMemFree:         2048 kB\nMemAvailable:    8192 kB\n";

    #[test]
    fn host_figure_from_meminfo() {
        let root = FakeRoot::new("host");
        root.file("proc/meminfo", MEMINFO);
        let src = root.source();
        assert_eq!(src.host_available(), Some(8192 * 1024));
        assert_eq!(src.cgroup_available(), None);
        assert_eq!(src.available_bytes(), Some(8192 * 1024));
    }

    #[test]
    fn memfree_when_memavailable_is_missing() {
        let root = FakeRoot::new("memfree");
        root.file("proc/meminfo", "MemTotal: 100 kB\nMemFree: 7 kB\n");
        assert_eq!(root.source().available_bytes(), Some(7 * 1024));
    }

    #[test]
    fn nothing_readable_is_unknown() {
        let root = FakeRoot::new("empty");
        assert_eq!(root.source().available_bytes(), None);
    }

    #[test]
    fn cgroup_v2_limit_minus_usage_wins_over_a_larger_host_figure() {
        let root = FakeRoot::new("v2");
        root.file("proc/meminfo", MEMINFO)
            .file("proc/self/cgroup", "0::/app\n")
            .file("sys/fs/cgroup/memory.max", "max\n")
            .file("sys/fs/cgroup/app/memory.max", "1000000\n")
            .file("sys/fs/cgroup/app/memory.current", "400000\n")
            .file(
                "sys/fs/cgroup/app/memory.stat",
                "anon 1\ninactive_file 100000\n",
            );
        let src = root.source();
        // 1_000_000 - (400_000 - 100_000) reclaimable.
        assert_eq!(src.cgroup_available(), Some(700_000));
        assert_eq!(src.available_bytes(), Some(700_000));
    }

    #[test]
    fn cgroup_v2_the_tightest_ancestor_counts() {
        let root = FakeRoot::new("v2nested");
        root.file("proc/self/cgroup", "0::/a/b\n")
            .file("sys/fs/cgroup/a/memory.max", "5000\n")
            .file("sys/fs/cgroup/a/memory.current", "4000\n")
            .file("sys/fs/cgroup/a/b/memory.max", "max\n")
            .file("sys/fs/cgroup/a/b/memory.current", "10\n");
        assert_eq!(root.source().available_bytes(), Some(1000));
    }

    #[test]
    fn cgroup_v2_unlimited_falls_back_to_the_host() {
        let root = FakeRoot::new("v2max");
        root.file("proc/meminfo", MEMINFO)
            .file("proc/self/cgroup", "0::/\n")
            .file("sys/fs/cgroup/memory.max", "max\n")
            .file("sys/fs/cgroup/memory.current", "123\n");
        assert_eq!(root.source().cgroup_available(), None);
        assert_eq!(root.source().available_bytes(), Some(8192 * 1024));
    }

    #[test]
    fn cgroup_v2_path_not_visible_reads_the_mount_root() {
        let root = FakeRoot::new("v2ns");
        root.file("proc/self/cgroup", "0::/elsewhere/x\n")
            .file("sys/fs/cgroup/memory.max", "3000\n")
            .file("sys/fs/cgroup/memory.current", "1000\n");
        assert_eq!(root.source().available_bytes(), Some(2000));
    }

    #[test]
    fn cgroup_v1_limit_minus_usage() {
        let root = FakeRoot::new("v1");
        root.file("proc/meminfo", MEMINFO)
            .file("proc/self/cgroup", "4:memory:/docker/abc\n0::/\n")
            .file(
                "sys/fs/cgroup/memory/memory.limit_in_bytes",
                "9223372036854771712\n",
            )
            .file(
                "sys/fs/cgroup/memory/docker/abc/memory.limit_in_bytes",
                "2000000\n",
            )
            .file(
                "sys/fs/cgroup/memory/docker/abc/memory.usage_in_bytes",
                "1500000\n",
            )
            .file(
                "sys/fs/cgroup/memory/docker/abc/memory.stat",
                "inactive_file 5\ntotal_inactive_file 500000\n",
            );
        assert_eq!(root.source().available_bytes(), Some(1_000_000));
    }

    #[test]
    fn cgroup_v1_limit_above_the_host_is_no_limit() {
        let root = FakeRoot::new("v1big");
        root.file("proc/meminfo", MEMINFO)
            .file("proc/self/cgroup", "4:memory:/\n")
            .file(
                "sys/fs/cgroup/memory/memory.limit_in_bytes",
                "99999999999\n",
            )
            .file("sys/fs/cgroup/memory/memory.usage_in_bytes", "1\n");
        assert_eq!(root.source().cgroup_available(), None);
        assert_eq!(root.source().available_bytes(), Some(8192 * 1024));
    }

    #[test]
    fn usage_above_the_limit_is_zero_headroom() {
        let root = FakeRoot::new("over");
        root.file("proc/self/cgroup", "0::/\n")
            .file("sys/fs/cgroup/memory.max", "100\n")
            .file("sys/fs/cgroup/memory.current", "500\n");
        assert_eq!(root.source().available_bytes(), Some(0));
    }

    #[test]
    fn the_real_system_answers_without_panicking() {
        let _ = SystemMemory::new().available_bytes();
    }
}
