//! Model-based property tests: random sequences of every API operation run
//! on a filesystem and on a reference model written for clarity (a map of
//! paths to bytes, a set of directories, per-file chunk lists), and after
//! every step the two must agree on the result (Ok with the same value, or
//! the same error variant), the tree, every file's bytes, generation and
//! dirty flag, and the quota ledger (`used_bytes` is what the charging rules
//! give for the files now stored).
//!
//! Runs on both `Concurrency` values and all three `StorageKind`s. The case
//! count per combination is `DMEMFS_PROPTEST_CASES` (default below); failing
//! seeds are kept in `model_based.proptest-regressions`.

#![allow(missing_docs)]

use std::collections::{BTreeMap, BTreeSet};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::time::Duration;

use dmemfs::{Bytes, Concurrency, Error, MemoryFileSystem, OpenMode, OpenOptions, StorageKind};
use proptest::prelude::*;
use proptest::test_runner::Config;

/// Cases per (concurrency, storage) combination unless
/// `DMEMFS_PROPTEST_CASES` says otherwise.
const DEFAULT_CASES: u32 = 1000;

fn config() -> Config {
    let cases = std::env::var("DMEMFS_PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(DEFAULT_CASES);
    Config {
        cases,
        ..Config::default()
    }
}

// ---------------------------------------------------------------------------
// Results and errors, compared between the filesystem and the model
// ---------------------------------------------------------------------------

/// An error compared by variant.
type E = &'static str;

fn class(e: &Error) -> E {
    match e {
        Error::QuotaExceeded { .. } => "QuotaExceeded",
        Error::NodeLimitExceeded { .. } => "NodeLimitExceeded",
        Error::NotFound { .. } => "NotFound",
        Error::AlreadyExists { .. } => "AlreadyExists",
        Error::IsADirectory { .. } => "IsADirectory",
        Error::NotADirectory { .. } => "NotADirectory",
        Error::WouldBlock { .. } => "WouldBlock",
        Error::ResourceBusy { .. } => "ResourceBusy",
        Error::Unsupported { .. } => "Unsupported",
        Error::InvalidInput { .. } => "InvalidInput",
        Error::InvalidData { .. } => "InvalidData",
        Error::OutOfMemory { .. } => "OutOfMemory",
        Error::EngineStopped => "EngineStopped",
        Error::Internal { .. } => "Internal",
        _ => "other",
    }
}

fn io_class(e: &io::Error) -> E {
    e.get_ref()
        .and_then(|inner| inner.downcast_ref::<Error>())
        .map_or("not a dmemfs error", class)
}

type WalkOut = Vec<(String, Vec<String>, Vec<String>)>;

/// What an operation returned.
#[derive(Debug, PartialEq, Eq)]
enum Out {
    Unit,
    Bytes(Vec<u8>),
    Names(Vec<String>),
    /// size, generation, is_dir
    Stat(u64, u64, bool),
    Num(u64),
    Probe(bool, bool, bool),
    Files(BTreeMap<String, Vec<u8>>),
    Walk(WalkOut),
    /// Each step of a handle session: the open, then each handle operation.
    Steps(Vec<R>),
}

type R = Result<Out, E>;

fn fs_r<T>(r: dmemfs::Result<T>, f: impl FnOnce(T) -> Out) -> R {
    r.map(f).map_err(|e| class(&e))
}

fn io_r<T>(r: io::Result<T>, f: impl FnOnce(T) -> Out) -> R {
    r.map(f).map_err(|e| io_class(&e))
}

// ---------------------------------------------------------------------------
// Generated operations
// ---------------------------------------------------------------------------

/// A path: components from a small alphabet, written in one of several
/// styles, some of them invalid; or (`pick`) one of the nodes that exist
/// when the step runs, so operations on existing files and directories are
/// frequent.
#[derive(Clone, Debug)]
struct P {
    comps: Vec<u8>,
    style: u8,
    pick: Option<u8>,
}

const NAMES: [&str; 3] = ["a", "b", "c"];

impl P {
    fn render(&self, m: &Model) -> String {
        if let Some(k) = self.pick {
            let nodes: Vec<&String> = m
                .dirs
                .iter()
                .filter(|d| d.as_str() != "/")
                .chain(m.files.keys())
                .collect();
            return match nodes.len() {
                0 => "/".to_owned(),
                n => nodes[k as usize % n].clone(),
            };
        }
        let names: Vec<&str> = self.comps.iter().map(|&c| NAMES[c as usize]).collect();
        let plain = format!("/{}", names.join("/"));
        match self.style {
            // Valid spellings of the same path.
            0..=5 => plain,
            6 => names.join("/"),
            7 => format!("{plain}/"),
            8 => plain.replace('/', "\\"),
            9 => format!("/./{}//", names.join("//")),
            10 => format!("/zz/..{plain}"),
            // Invalid: climbs above the root, or holds NUL.
            11 => format!("/..{plain}"),
            12 => format!("{plain}\0x"),
            _ => String::new(),
        }
    }
}

fn path() -> impl Strategy<Value = P> {
    let comps = prop_oneof![
        1 => prop::collection::vec(0u8..3, 0..=0),
        6 => prop::collection::vec(0u8..3, 1..=1),
        4 => prop::collection::vec(0u8..3, 2..=2),
        1 => prop::collection::vec(0u8..3, 3..=3),
    ];
    let generated =
        (comps, prop_oneof![12 => 0u8..=10, 1 => 11u8..=13]).prop_map(|(comps, style)| P {
            comps,
            style,
            pick: None,
        });
    let picked = any::<u8>().prop_map(|k| P {
        comps: Vec::new(),
        style: 0,
        pick: Some(k),
    });
    prop_oneof![3 => generated, 2 => picked]
}

/// Content: `Len` bytes, or just what fits in the free quota (plus `delta`).
#[derive(Clone, Debug)]
enum Data {
    Len(usize, u8),
    Fill(i8, u8),
}

fn data() -> impl Strategy<Value = Data> {
    prop_oneof![
        6 => (0usize..48, any::<u8>()).prop_map(|(n, s)| Data::Len(n, s)),
        2 => (48usize..700, any::<u8>()).prop_map(|(n, s)| Data::Len(n, s)),
        1 => (-2i8..=2, any::<u8>()).prop_map(|(d, s)| Data::Fill(d, s)),
    ]
}

fn bytes_of(len: usize, seed: u8) -> Vec<u8> {
    (0..len)
        .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed))
        .collect()
}

#[derive(Clone, Debug)]
enum HOp {
    Write(Data),
    WriteBytes(Data),
    Read(usize),
    ReadBytes(usize),
    Seek(SeekFrom),
    Truncate(Option<u64>),
    Tell,
}

fn hop() -> impl Strategy<Value = HOp> {
    let seek = prop_oneof![
        4 => (0u64..80).prop_map(SeekFrom::Start),
        1 => prop::sample::select(vec![1u64 << 40, u64::MAX, i64::MAX as u64]).prop_map(SeekFrom::Start),
        3 => (-30i64..30).prop_map(SeekFrom::Current),
        1 => prop::sample::select(vec![i64::MIN, i64::MAX]).prop_map(SeekFrom::Current),
        3 => (-30i64..=3).prop_map(SeekFrom::End),
    ];
    let truncate = prop_oneof![
        2 => Just(None),
        4 => (0u64..100).prop_map(Some),
        1 => prop::sample::select(vec![1u64 << 40, u64::MAX]).prop_map(Some),
    ];
    prop_oneof![
        5 => data().prop_map(HOp::Write),
        2 => data().prop_map(HOp::WriteBytes),
        3 => (0usize..64).prop_map(HOp::Read),
        1 => (0usize..64).prop_map(HOp::ReadBytes),
        4 => seek.prop_map(HOp::Seek),
        2 => truncate.prop_map(HOp::Truncate),
        1 => Just(HOp::Tell),
    ]
}

fn mode() -> impl Strategy<Value = OpenMode> {
    prop::sample::select(vec![
        OpenMode::Read,
        OpenMode::Write,
        OpenMode::Append,
        OpenMode::ReadWrite,
        OpenMode::CreateNew,
    ])
}

fn prealloc() -> impl Strategy<Value = u64> {
    prop_oneof![6 => Just(0u64), 2 => 1u64..200, 1 => Just(1u64 << 40)]
}

#[derive(Clone, Debug)]
enum Op {
    Write(P, Data),
    Mkdir(P, bool),
    Remove(P),
    Rmtree(P),
    Rename(P, P, bool),
    Copy(P, P),
    CopyTree(P, P),
    Import(Vec<(P, Data)>),
    Read(P),
    ReadToString(P),
    ExportBytes(P, Option<u64>),
    ExportTree(P, bool),
    Listdir(P),
    Stat(P),
    GetSize(P),
    Probe(P),
    Walk(P),
    Glob(String),
    /// Open, run the handle operations, close.
    Session(P, OpenMode, u64, Vec<HOp>),
    /// Open into a slot kept across steps (closing what was there).
    Hold(usize, P, OpenMode),
    /// Run handle operations on a held handle (nothing if the slot is empty).
    OnHeld(usize, Vec<HOp>),
    Close(usize),
}

fn glob_pattern() -> impl Strategy<Value = String> {
    let comp = prop::sample::select(vec![
        "a", "b", "c", "*", "?", "[ab]", "[!a]", "**", "a*", "*c", "[a",
    ]);
    (prop::collection::vec(comp, 1..=3), any::<bool>()).prop_map(|(comps, absolute)| {
        let joined = comps.join("/");
        if absolute {
            format!("/{joined}")
        } else {
            joined
        }
    })
}

fn op() -> impl Strategy<Value = Op> {
    let hops = || prop::collection::vec(hop(), 0..6);
    prop_oneof![
        8 => (path(), data()).prop_map(|(p, d)| Op::Write(p, d)),
        5 => (path(), any::<bool>()).prop_map(|(p, e)| Op::Mkdir(p, e)),
        3 => path().prop_map(Op::Remove),
        2 => path().prop_map(Op::Rmtree),
        4 => (path(), path(), any::<bool>()).prop_map(|(s, d, c)| Op::Rename(s, d, c)),
        2 => (path(), path()).prop_map(|(s, d)| Op::Copy(s, d)),
        2 => (path(), path()).prop_map(|(s, d)| Op::CopyTree(s, d)),
        2 => prop::collection::vec((path(), data()), 0..4).prop_map(Op::Import),
        2 => path().prop_map(Op::Read),
        1 => path().prop_map(Op::ReadToString),
        1 => (path(), prop::option::of(0u64..64)).prop_map(|(p, m)| Op::ExportBytes(p, m)),
        1 => (path(), any::<bool>()).prop_map(|(p, d)| Op::ExportTree(p, d)),
        1 => path().prop_map(Op::Listdir),
        1 => path().prop_map(Op::Stat),
        1 => path().prop_map(Op::GetSize),
        1 => path().prop_map(Op::Probe),
        1 => path().prop_map(Op::Walk),
        2 => glob_pattern().prop_map(Op::Glob),
        8 => (path(), mode(), prealloc(), hops()).prop_map(|(p, m, a, h)| Op::Session(p, m, a, h)),
        2 => (0usize..2, path(), mode()).prop_map(|(s, p, m)| Op::Hold(s, p, m)),
        3 => (0usize..2, hops()).prop_map(|(s, h)| Op::OnHeld(s, h)),
        1 => (0usize..2).prop_map(Op::Close),
    ]
}

// ---------------------------------------------------------------------------
// Configuration of one case
// ---------------------------------------------------------------------------

#[derive(Clone, Copy, Debug)]
struct Cfg {
    concurrency: Concurrency,
    kind: StorageKind,
    quota: u64,
    overhead: u64,
    max_nodes: Option<u64>,
    promotion_limit: u64,
}

fn cfg(concurrency: Concurrency, kind: StorageKind) -> impl Strategy<Value = Cfg> {
    (
        prop::sample::select(vec![3000u64, 20_000]),
        prop::sample::select(vec![0u64, 16, 128]),
        prop::option::weighted(0.3, 4u64..14),
        prop::sample::select(vec![64u64, 1 << 20]),
    )
        .prop_map(move |(quota, overhead, max_nodes, promotion_limit)| Cfg {
            concurrency,
            kind,
            quota,
            overhead,
            max_nodes,
            promotion_limit,
        })
}

fn build(cfg: &Cfg) -> MemoryFileSystem {
    let mut b = MemoryFileSystem::builder()
        .concurrency(cfg.concurrency)
        .default_storage(cfg.kind)
        .max_quota(cfg.quota)
        .chunk_overhead(cfg.overhead)
        .promotion_hard_limit(cfg.promotion_limit)
        // Waiting for a lock held by another slot would never end: fail at once.
        .default_lock_timeout(Some(Duration::ZERO));
    if let Some(n) = cfg.max_nodes {
        b = b.max_nodes(n);
    }
    b.build().expect("build the filesystem under test")
}

// ---------------------------------------------------------------------------
// The reference model
// ---------------------------------------------------------------------------

#[derive(Clone, Debug)]
struct MFile {
    data: Vec<u8>,
    /// Lengths of the stored chunks while sequential.
    chunks: Vec<u64>,
    random: bool,
    generation: u64,
    dirty: bool,
}

impl MFile {
    fn len(&self) -> u64 {
        self.data.len() as u64
    }

    /// A write or truncation.
    fn touched(&mut self) {
        self.generation += 1;
        self.dirty = true;
    }
}

#[derive(Clone, Debug)]
struct MHandle {
    path: String,
    mode: OpenMode,
    cursor: u64,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Node {
    Dir,
    File,
}

const MAX_BUFFER: u64 = isize::MAX as u64;

#[derive(Clone, Debug)]
struct Model {
    cfg: Cfg,
    /// Every directory, the root `/` included.
    dirs: BTreeSet<String>,
    files: BTreeMap<String, MFile>,
    held: [Option<MHandle>; 2],
}

/// The model's own normalization: split on `/` and `\`, drop empty and `.`,
/// `..` pops (and may not climb above the root); NUL is invalid.
fn norm(raw: &str) -> Result<String, E> {
    if raw.contains('\0') {
        return Err("InvalidInput");
    }
    let mut parts: Vec<&str> = Vec::new();
    for c in raw.split(['/', '\\']) {
        match c {
            "" | "." => {}
            ".." => {
                if parts.pop().is_none() {
                    return Err("InvalidInput");
                }
            }
            name => parts.push(name),
        }
    }
    Ok(format!("/{}", parts.join("/")))
}

fn parent_of(p: &str) -> String {
    match p.rfind('/') {
        Some(0) | None => "/".to_owned(),
        Some(i) => p[..i].to_owned(),
    }
}

/// Whether `p` lies strictly below `dir`.
fn below(dir: &str, p: &str) -> bool {
    if dir == "/" {
        p != "/"
    } else {
        p.len() > dir.len() && p.starts_with(dir) && p.as_bytes()[dir.len()] == b'/'
    }
}

/// The prefixes of `p` from the top: `/a`, `/a/b`, ... (none for the root).
fn prefixes(p: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    for comp in p.split('/').filter(|c| !c.is_empty()) {
        cur.push('/');
        cur.push_str(comp);
        out.push(cur.clone());
    }
    out
}

fn writable(mode: OpenMode) -> bool {
    mode != OpenMode::Read
}

fn readable(mode: OpenMode) -> bool {
    matches!(mode, OpenMode::Read | OpenMode::ReadWrite)
}

impl Model {
    fn new(cfg: Cfg) -> Self {
        Model {
            cfg,
            dirs: BTreeSet::from(["/".to_owned()]),
            files: BTreeMap::new(),
            held: [None, None],
        }
    }

    // ----- the ledger -----

    fn charge(&self, f: &MFile) -> u64 {
        if f.random {
            f.len()
        } else {
            f.len() + self.cfg.overhead * f.chunks.len() as u64
        }
    }

    fn used(&self) -> u64 {
        self.files.values().map(|f| self.charge(f)).sum()
    }

    fn free(&self) -> u64 {
        self.cfg.quota - self.used()
    }

    fn starts_sequential(&self) -> bool {
        self.cfg.kind != StorageKind::RandomAccess
    }

    /// What a file stored in one piece (write, copy, import) is charged.
    fn charge_for(&self, len: u64) -> u64 {
        if self.starts_sequential() && len > 0 {
            len + self.cfg.overhead
        } else {
            len
        }
    }

    /// A file stored in one piece.
    fn one_piece(&self, data: Vec<u8>, generation: u64, dirty: bool) -> MFile {
        let sequential = self.starts_sequential();
        MFile {
            chunks: if sequential && !data.is_empty() {
                vec![data.len() as u64]
            } else {
                Vec::new()
            },
            random: !sequential,
            data,
            generation,
            dirty,
        }
    }

    fn quota(&self, need: u64) -> Result<(), E> {
        if need > self.free() {
            Err("QuotaExceeded")
        } else {
            Ok(())
        }
    }

    fn node_count(&self) -> u64 {
        (self.files.len() + self.dirs.len() - 1) as u64
    }

    fn nodes(&self, added: u64) -> Result<(), E> {
        match self.cfg.max_nodes {
            Some(limit) if added > 0 && self.node_count() + added > limit => {
                Err("NodeLimitExceeded")
            }
            _ => Ok(()),
        }
    }

    fn resolve(&self, d: &Data) -> Vec<u8> {
        match *d {
            Data::Len(n, seed) => bytes_of(n, seed),
            Data::Fill(delta, seed) => {
                let room = self.free().saturating_sub(if self.starts_sequential() {
                    self.cfg.overhead
                } else {
                    0
                });
                let n = (room as i64 + i64::from(delta)).max(0) as usize;
                bytes_of(n, seed)
            }
        }
    }

    // ----- locks held by the slots -----

    fn holders<'a>(&'a self, p: &'a str) -> impl Iterator<Item = &'a MHandle> + 'a {
        self.held.iter().flatten().filter(move |h| h.path == p)
    }

    /// A read lock on `p` would be refused.
    fn write_held(&self, p: &str) -> bool {
        self.holders(p).any(|h| writable(h.mode))
    }

    /// A write lock on `p` would be refused.
    fn any_held(&self, p: &str) -> bool {
        self.holders(p).next().is_some()
    }

    /// Some file at or below `p` is open.
    fn busy_at_or_below(&self, p: &str) -> bool {
        self.held
            .iter()
            .flatten()
            .any(|h| h.path == p || below(p, &h.path))
    }

    // ----- the tree -----

    fn lookup(&self, p: &str) -> Result<Node, E> {
        for q in prefixes(p) {
            if self.files.contains_key(&q) {
                return if q.len() == p.len() {
                    Ok(Node::File)
                } else {
                    Err("NotADirectory")
                };
            }
            if !self.dirs.contains(&q) {
                return Err("NotFound");
            }
        }
        Ok(Node::Dir)
    }

    fn lookup_file(&self, p: &str) -> Result<(), E> {
        match self.lookup(p)? {
            Node::File => Ok(()),
            Node::Dir => Err("IsADirectory"),
        }
    }

    fn dir_at(&self, p: &str) -> Result<(), E> {
        match self.lookup(p)? {
            Node::Dir => Ok(()),
            Node::File => Err("NotADirectory"),
        }
    }

    /// Checks that a new entry can be linked at `p` (its parent is a
    /// directory and nothing is there).
    fn can_link(&self, p: &str) -> Result<(), E> {
        if p == "/" {
            return Err("InvalidInput");
        }
        self.dir_at(&parent_of(p))?;
        if self.lookup(p).is_ok() {
            return Err("AlreadyExists");
        }
        Ok(())
    }

    /// The directories `mkdir -p p` would create (p's missing prefixes).
    fn missing_dirs(&self, p: &str) -> Vec<String> {
        prefixes(p)
            .into_iter()
            .filter(|q| !self.dirs.contains(q))
            .collect()
    }

    fn children(&self, dir: &str) -> Vec<(String, Node)> {
        let mut out: Vec<(String, Node)> = self
            .dirs
            .iter()
            .filter(|d| d.as_str() != "/" && parent_of(d) == dir)
            .map(|d| (d.clone(), Node::Dir))
            .chain(
                self.files
                    .keys()
                    .filter(|f| parent_of(f) == dir)
                    .map(|f| (f.clone(), Node::File)),
            )
            .collect();
        out.sort_by(|a, b| a.0.cmp(&b.0));
        out
    }

    fn name(p: &str) -> String {
        p.rsplit('/').next().unwrap_or_default().to_owned()
    }

    fn files_below(&self, dir: &str) -> Vec<String> {
        self.files
            .keys()
            .filter(|f| below(dir, f))
            .cloned()
            .collect()
    }

    fn dirs_below(&self, dir: &str) -> Vec<String> {
        self.dirs
            .iter()
            .filter(|d| below(dir, d))
            .cloned()
            .collect()
    }

    /// Moves everything at `src` (and below) to `dst`.
    fn relink(&mut self, src: &str, dst: &str) {
        let moved = |p: &str| format!("{dst}{}", &p[src.len()..]);
        let files: Vec<String> = self
            .files
            .keys()
            .filter(|f| f.as_str() == src || below(src, f))
            .cloned()
            .collect();
        for f in files {
            let file = self.files.remove(&f).expect("listed");
            self.files.insert(moved(&f), file);
        }
        let dirs: Vec<String> = self
            .dirs
            .iter()
            .filter(|d| d.as_str() == src || below(src, d))
            .cloned()
            .collect();
        for d in dirs {
            self.dirs.remove(&d);
            self.dirs.insert(moved(&d));
        }
    }

    // ----- filesystem operations -----

    fn write(&mut self, raw: &str, data: Vec<u8>) -> R {
        let p = norm(raw)?;
        let len = data.len() as u64;
        match self.lookup(&p) {
            Ok(Node::File) => {
                if self.any_held(&p) {
                    return Err("WouldBlock");
                }
                let old = &self.files[&p];
                let new_charge = if old.random {
                    len
                } else {
                    self.charge_for(len)
                };
                self.quota(new_charge.saturating_sub(self.charge(old)))?;
                let f = self.files.get_mut(&p).expect("file");
                f.chunks = if f.random || len == 0 {
                    Vec::new()
                } else {
                    vec![len]
                };
                f.data = data;
                f.touched();
                Ok(Out::Unit)
            }
            Ok(Node::Dir) => Err("IsADirectory"),
            Err("NotFound") => {
                self.quota(self.charge_for(len))?;
                self.can_link(&p)?;
                self.nodes(1)?;
                let written = len > 0;
                let f = self.one_piece(data, u64::from(written), written);
                self.files.insert(p, f);
                Ok(Out::Unit)
            }
            Err(e) => Err(e),
        }
    }

    fn mkdir(&mut self, raw: &str, exist_ok: bool) -> R {
        let p = norm(raw)?;
        match self.lookup(&p) {
            Ok(Node::Dir) if exist_ok => Ok(Out::Unit),
            Ok(_) => Err("AlreadyExists"),
            Err("NotFound") => {
                let missing = self.missing_dirs(&p);
                self.nodes(missing.len() as u64)?;
                self.dirs.extend(missing);
                Ok(Out::Unit)
            }
            Err(e) => Err(e),
        }
    }

    fn remove(&mut self, raw: &str) -> R {
        let p = norm(raw)?;
        self.lookup_file(&p)?;
        if self.any_held(&p) {
            return Err("ResourceBusy");
        }
        self.files.remove(&p);
        Ok(Out::Unit)
    }

    fn rmtree(&mut self, raw: &str) -> R {
        let p = norm(raw)?;
        if p == "/" {
            return Err("InvalidInput");
        }
        self.dir_at(&p)?;
        if self.busy_at_or_below(&p) {
            return Err("ResourceBusy");
        }
        for f in self.files_below(&p) {
            self.files.remove(&f);
        }
        for d in self.dirs_below(&p) {
            self.dirs.remove(&d);
        }
        self.dirs.remove(&p);
        Ok(Out::Unit)
    }

    fn rename(&mut self, src: &str, dst: &str, create_parents: bool) -> R {
        let src = norm(src)?;
        let dst = norm(dst)?;
        if src == "/" {
            return Err("InvalidInput");
        }
        self.lookup(&src)?;
        if dst == src {
            return Err("AlreadyExists");
        }
        if below(&src, &dst) {
            return Err("InvalidInput");
        }
        if dst == "/" {
            return Err("AlreadyExists");
        }
        let mut first_missing = None;
        for q in prefixes(&dst) {
            if self.files.contains_key(&q) {
                return Err(if q == dst {
                    "AlreadyExists"
                } else {
                    "NotADirectory"
                });
            }
            if !self.dirs.contains(&q) {
                first_missing = Some(q);
                break;
            }
        }
        let Some(first_missing) = first_missing else {
            return Err("AlreadyExists");
        };
        let parent = parent_of(&dst);
        let created = if first_missing == dst {
            Vec::new()
        } else if !create_parents {
            return Err("NotFound");
        } else {
            self.missing_dirs(&parent)
        };
        if self.busy_at_or_below(&src) {
            return Err("ResourceBusy");
        }
        self.nodes(created.len() as u64)?;
        self.dirs.extend(created);
        self.relink(&src, &dst);
        Ok(Out::Unit)
    }

    fn copy(&mut self, src: &str, dst: &str) -> R {
        let src = norm(src)?;
        let dst = norm(dst)?;
        self.lookup_file(&src)?;
        if self.write_held(&src) {
            return Err("WouldBlock");
        }
        if self.lookup(&dst).is_ok() {
            return Err("AlreadyExists");
        }
        let data = self.files[&src].data.clone();
        self.quota(self.charge_for(data.len() as u64))?;
        self.can_link(&dst)?;
        self.nodes(1)?;
        let written = !data.is_empty();
        let f = self.one_piece(data, u64::from(written), true);
        self.files.insert(dst, f);
        Ok(Out::Unit)
    }

    fn copy_tree(&mut self, src: &str, dst: &str) -> R {
        let src = norm(src)?;
        let dst = norm(dst)?;
        self.dir_at(&src)?;
        if self.lookup(&dst).is_ok() {
            return Err("AlreadyExists");
        }
        let files = self.files_below(&src);
        let dirs = self.dirs_below(&src);
        let estimate: u64 = files
            .iter()
            .map(|f| self.charge_for(self.files[f].len()))
            .sum();
        self.quota(estimate)?;
        self.nodes((1 + dirs.len() + files.len()) as u64)?;
        if files.iter().any(|f| self.write_held(f)) {
            return Err("WouldBlock");
        }
        self.can_link(&dst)?;
        let moved = |p: &str| {
            if src == "/" {
                format!("{dst}{p}")
            } else {
                format!("{dst}{}", &p[src.len()..])
            }
        };
        for d in dirs {
            self.dirs.insert(moved(&d));
        }
        self.dirs.insert(dst.clone());
        for f in files {
            let copy = self.one_piece(self.files[&f].data.clone(), 0, false);
            self.files.insert(moved(&f), copy);
        }
        Ok(Out::Unit)
    }

    fn import(&mut self, items: Vec<(String, Vec<u8>)>) -> R {
        let mut entries: Vec<(String, Vec<u8>)> = Vec::new();
        for (raw, data) in items {
            let p = norm(&raw)?;
            if p == "/" {
                return Err("InvalidInput");
            }
            match entries.iter_mut().find(|(q, _)| *q == p) {
                Some(entry) => entry.1 = data,
                None => entries.push((p, data)),
            }
        }
        if entries.is_empty() {
            return Ok(Out::Unit);
        }
        let new_charge: u64 = entries
            .iter()
            .map(|(_, d)| self.charge_for(d.len() as u64))
            .sum();
        let old_charge: u64 = entries
            .iter()
            .filter_map(|(p, _)| self.files.get(p))
            .map(|f| self.charge(f))
            .sum();
        if new_charge > old_charge {
            self.quota(new_charge - old_charge)?;
        }
        let mut next = self.clone();
        for (p, data) in entries {
            match next.lookup(&p) {
                Ok(Node::Dir) => return Err("IsADirectory"),
                Ok(Node::File) => {
                    if self.any_held(&p) {
                        return Err("ResourceBusy");
                    }
                }
                Err("NotFound") => {
                    let missing = next.missing_dirs(&parent_of(&p));
                    next.dirs.extend(missing);
                }
                Err(e) => return Err(e),
            }
            let f = self.one_piece(data, 0, false);
            next.files.insert(p, f);
        }
        let added = next.node_count().saturating_sub(self.node_count());
        self.nodes(added)?;
        *self = next;
        Ok(Out::Unit)
    }

    fn read(&self, raw: &str) -> Result<Vec<u8>, E> {
        let p = norm(raw)?;
        self.lookup_file(&p)?;
        if self.write_held(&p) {
            return Err("WouldBlock");
        }
        Ok(self.files[&p].data.clone())
    }

    fn read_to_string(&self, raw: &str) -> R {
        let data = self.read(raw)?;
        String::from_utf8(data)
            .map(|s| Out::Bytes(s.into_bytes()))
            .map_err(|_| "InvalidData")
    }

    fn export_bytes(&self, raw: &str, max: Option<u64>) -> R {
        let data = self.read(raw)?;
        if max.is_some_and(|m| data.len() as u64 > m) {
            return Err("InvalidInput");
        }
        Ok(Out::Bytes(data))
    }

    fn export_tree(&self, raw: &str, only_dirty: bool) -> R {
        let p = norm(raw)?;
        let listed: Vec<String> = match self.lookup(&p) {
            Err("NotFound") => Vec::new(),
            Err(e) => return Err(e),
            Ok(Node::File) => vec![p],
            Ok(Node::Dir) => self.files_below(&p),
        };
        let mut out = BTreeMap::new();
        for f in listed {
            if only_dirty && !self.files[&f].dirty {
                continue;
            }
            if self.write_held(&f) {
                return Err("WouldBlock");
            }
            out.insert(f.clone(), self.files[&f].data.clone());
        }
        Ok(Out::Files(out))
    }

    fn listdir(&self, raw: &str) -> R {
        let p = norm(raw)?;
        self.dir_at(&p)?;
        let mut names: Vec<String> = self
            .children(&p)
            .into_iter()
            .map(|(c, _)| Self::name(&c))
            .collect();
        names.sort();
        Ok(Out::Names(names))
    }

    fn stat(&self, raw: &str) -> R {
        let p = norm(raw)?;
        Ok(match self.lookup(&p)? {
            Node::Dir => Out::Stat(0, 0, true),
            Node::File => {
                let f = &self.files[&p];
                Out::Stat(f.len(), f.generation, false)
            }
        })
    }

    fn get_size(&self, raw: &str) -> R {
        let p = norm(raw)?;
        self.lookup_file(&p)?;
        Ok(Out::Num(self.files[&p].len()))
    }

    fn probe(&self, raw: &str) -> Out {
        let Ok(p) = norm(raw) else {
            return Out::Probe(false, false, false);
        };
        let node = self.lookup(&p).ok();
        Out::Probe(
            node.is_some(),
            node == Some(Node::Dir),
            node == Some(Node::File),
        )
    }

    fn walk_from(&self, dir: &str, out: &mut WalkOut) {
        let children = self.children(dir);
        let mut dirs = Vec::new();
        let mut files = Vec::new();
        for (c, n) in &children {
            match n {
                Node::Dir => dirs.push(Self::name(c)),
                Node::File => files.push(Self::name(c)),
            }
        }
        out.push((dir.to_owned(), dirs, files));
        for (c, n) in children {
            if n == Node::Dir {
                self.walk_from(&c, out);
            }
        }
    }

    fn walk(&self, raw: &str) -> R {
        let p = norm(raw)?;
        self.dir_at(&p)?;
        let mut out = Vec::new();
        self.walk_from(&p, &mut out);
        Ok(Out::Walk(out))
    }

    fn glob(&self, pattern: &str) -> R {
        let p = norm(pattern)?;
        let steps: Vec<&str> = p.split('/').filter(|c| !c.is_empty()).collect();
        let mut found = BTreeSet::new();
        if !steps.is_empty() {
            self.glob_from("/", &steps, &mut found);
        }
        Ok(Out::Names(found.into_iter().collect()))
    }

    fn glob_from(&self, dir: &str, steps: &[&str], found: &mut BTreeSet<String>) {
        let last = steps.len() == 1;
        if steps[0] == "**" {
            if last {
                found.extend(self.files_below(dir));
                found.extend(self.dirs_below(dir));
            } else {
                self.glob_from(dir, &steps[1..], found);
                for (c, n) in self.children(dir) {
                    if n == Node::Dir {
                        self.glob_from(&c, steps, found);
                    }
                }
            }
            return;
        }
        let pattern: Vec<char> = steps[0].chars().collect();
        for (c, n) in self.children(dir) {
            let name: Vec<char> = Self::name(&c).chars().collect();
            if !name_matches(&pattern, &name) {
                continue;
            }
            if last {
                found.insert(c);
            } else if n == Node::Dir {
                self.glob_from(&c, &steps[1..], found);
            }
        }
    }

    // ----- handles -----

    fn open(&mut self, raw: &str, mode: OpenMode, preallocate: u64) -> Result<MHandle, E> {
        let p = norm(raw)?;
        if mode == OpenMode::Read && preallocate > 0 {
            return Err("InvalidInput");
        }
        match self.lookup(&p) {
            Ok(Node::File) => {
                if mode == OpenMode::CreateNew {
                    return Err("AlreadyExists");
                }
                let refused = if writable(mode) {
                    self.any_held(&p)
                } else {
                    self.write_held(&p)
                };
                if refused {
                    return Err("WouldBlock");
                }
                let len = self.files[&p].len();
                let mut h = MHandle {
                    path: p.clone(),
                    mode,
                    cursor: if mode == OpenMode::Append { len } else { 0 },
                };
                if mode == OpenMode::Write && preallocate > 0 {
                    // Truncation and preallocation are one replacement: a
                    // refusal leaves the old content.
                    let old = &self.files[&p];
                    let new_charge = if old.random {
                        preallocate
                    } else {
                        self.charge_for(preallocate)
                    };
                    self.quota(new_charge.saturating_sub(self.charge(old)))?;
                    let f = self.files.get_mut(&p).expect("file");
                    f.chunks = if f.random {
                        Vec::new()
                    } else {
                        vec![preallocate]
                    };
                    f.data = vec![0; preallocate as usize];
                    f.touched();
                    return Ok(h);
                }
                if mode == OpenMode::Write {
                    self.cut(&p, 0);
                    self.files.get_mut(&p).expect("file").touched();
                }
                let len = self.files[&p].len();
                if preallocate > len {
                    // Refused by the quota before anything is allocated.
                    self.quota(preallocate - len)?;
                    let zeros = vec![0u8; (preallocate - len) as usize];
                    let cursor = h.cursor;
                    h.cursor = len;
                    let mut as_write = MHandle {
                        mode: OpenMode::ReadWrite,
                        ..h.clone()
                    };
                    self.handle_write(&mut as_write, &zeros)?;
                    h.cursor = cursor;
                }
                Ok(h)
            }
            Ok(Node::Dir) => Err("IsADirectory"),
            Err("NotFound")
                if matches!(
                    mode,
                    OpenMode::Write | OpenMode::Append | OpenMode::CreateNew
                ) =>
            {
                self.quota(self.charge_for(preallocate))?;
                self.can_link(&p)?;
                self.nodes(1)?;
                let written = preallocate > 0;
                let f = self.one_piece(vec![0; preallocate as usize], u64::from(written), written);
                self.files.insert(p.clone(), f);
                Ok(MHandle {
                    path: p,
                    mode,
                    cursor: if mode == OpenMode::Append {
                        preallocate
                    } else {
                        0
                    },
                })
            }
            Err(e) => Err(e),
        }
    }

    /// Shrinks the file at `p` to `size` bytes (`size` <= its length).
    fn cut(&mut self, p: &str, size: u64) {
        let f = self.files.get_mut(p).expect("file");
        f.data.truncate(size as usize);
        if !f.random {
            let mut kept = Vec::new();
            let mut start = 0;
            for &c in &f.chunks {
                if start >= size {
                    break;
                }
                kept.push(c.min(size - start));
                start += c;
            }
            f.chunks = kept;
        }
    }

    fn handle_write(&mut self, h: &mut MHandle, data: &[u8]) -> Result<usize, E> {
        if !writable(h.mode) {
            return Err("Unsupported");
        }
        let n = data.len() as u64;
        if n == 0 {
            return Ok(0);
        }
        let f = &self.files[&h.path];
        let len = f.len();
        let offset = if h.mode == OpenMode::Append {
            len
        } else {
            h.cursor
        };
        let end = offset.checked_add(n).ok_or("InvalidInput")?;
        let random = f.random;
        if !random && offset == len {
            self.quota(n + self.cfg.overhead)?;
            let f = self.files.get_mut(&h.path).expect("file");
            f.data.extend_from_slice(data);
            f.chunks.push(n);
        } else {
            if !random {
                if self.cfg.kind == StorageKind::Sequential {
                    return Err("Unsupported");
                }
                if len > self.cfg.promotion_limit {
                    return Err("Unsupported");
                }
                // Promotion: room for a second copy of the file.
                self.quota(end.max(len))?;
            } else {
                self.quota(end.saturating_sub(len))?;
            }
            if end > MAX_BUFFER {
                return Err("InvalidInput");
            }
            let f = self.files.get_mut(&h.path).expect("file");
            f.random = true;
            f.chunks.clear();
            if end > len {
                f.data.resize(end as usize, 0);
            }
            f.data[offset as usize..end as usize].copy_from_slice(data);
        }
        h.cursor = end;
        self.files.get_mut(&h.path).expect("file").touched();
        Ok(n as usize)
    }

    fn handle_read(&self, h: &mut MHandle, max: usize) -> Result<Vec<u8>, E> {
        if !readable(h.mode) {
            return Err("Unsupported");
        }
        let data = &self.files[&h.path].data;
        let start = (h.cursor.min(data.len() as u64)) as usize;
        let end = (start + max).min(data.len());
        h.cursor += (end - start) as u64;
        Ok(data[start..end].to_vec())
    }

    fn handle_seek(&self, h: &mut MHandle, pos: SeekFrom) -> Result<u64, E> {
        let len = self.files[&h.path].len();
        let target = match pos {
            SeekFrom::Start(n) => Some(n),
            SeekFrom::Current(d) => h.cursor.checked_add_signed(d),
            SeekFrom::End(d) if d > 0 => None,
            SeekFrom::End(d) => len.checked_add_signed(d),
        };
        let t = target.ok_or("InvalidInput")?;
        h.cursor = t;
        Ok(t)
    }

    fn handle_truncate(&mut self, h: &mut MHandle, size: Option<u64>) -> Result<u64, E> {
        if !writable(h.mode) {
            return Err("Unsupported");
        }
        let target = size.unwrap_or(h.cursor);
        let f = &self.files[&h.path];
        let len = f.len();
        if target > len {
            let grow = target - len;
            if f.random {
                self.quota(grow)?;
            } else {
                self.quota(grow.saturating_add(self.cfg.overhead))?;
            }
            if grow > MAX_BUFFER || target > MAX_BUFFER {
                return Err("InvalidInput");
            }
            let f = self.files.get_mut(&h.path).expect("file");
            f.data.resize(target as usize, 0);
            if !f.random {
                f.chunks.push(grow);
            }
        } else if target < len {
            self.cut(&h.path.clone(), target);
        }
        h.cursor = h.cursor.min(target);
        if target != len {
            self.files.get_mut(&h.path).expect("file").touched();
        }
        Ok(target)
    }
}

/// `*`, `?`, `[set]` and `[!set]` against one name.
fn name_matches(p: &[char], n: &[char]) -> bool {
    match p.first() {
        None => n.is_empty(),
        Some('*') => (0..=n.len()).any(|k| name_matches(&p[1..], &n[k..])),
        Some('?') => !n.is_empty() && name_matches(&p[1..], &n[1..]),
        Some('[') => {
            // As in fnmatch, a `[` that nothing closes is itself.
            let Some(close) = p.iter().position(|&c| c == ']') else {
                return n.first() == Some(&'[') && name_matches(&p[1..], &n[1..]);
            };
            let (negate, set) = match p.get(1) {
                Some('!') => (true, &p[2..close]),
                _ => (false, &p[1..close]),
            };
            match n.first() {
                Some(c) if set.contains(c) != negate => name_matches(&p[close + 1..], &n[1..]),
                _ => false,
            }
        }
        Some(c) => n.first() == Some(c) && name_matches(&p[1..], &n[1..]),
    }
}

// ---------------------------------------------------------------------------
// Running a step on both sides
// ---------------------------------------------------------------------------

struct World {
    fs: MemoryFileSystem,
    model: Model,
    held: [Option<(dmemfs::FileHandle, MHandle)>; 2],
}

fn run_hop(fs_h: &mut dmemfs::FileHandle, m: &mut Model, mh: &mut MHandle, op: &HOp) -> (R, R) {
    match op {
        HOp::Write(d) | HOp::WriteBytes(d) => {
            let data = m.resolve(d);
            let got = if matches!(op, HOp::Write(_)) {
                io_r(fs_h.write(&data), |n| Out::Num(n as u64))
            } else {
                fs_r(fs_h.write_bytes(Bytes::from(data.clone())), |n| {
                    Out::Num(n as u64)
                })
            };
            let want = m.handle_write(mh, &data).map(|n| Out::Num(n as u64));
            (got, want)
        }
        HOp::Read(n) => {
            let mut buf = vec![0u8; *n];
            let got = io_r(fs_h.read(&mut buf), |k| Out::Bytes(buf[..k].to_vec()));
            (got, m.handle_read(mh, *n).map(Out::Bytes))
        }
        HOp::ReadBytes(n) => {
            let got = fs_r(fs_h.read_bytes(*n), |b| Out::Bytes(b.to_vec()));
            (got, m.handle_read(mh, *n).map(Out::Bytes))
        }
        HOp::Seek(pos) => {
            let got = io_r(fs_h.seek(*pos), Out::Num);
            (got, m.handle_seek(mh, *pos).map(Out::Num))
        }
        HOp::Truncate(size) => {
            let got = fs_r(fs_h.truncate(*size), Out::Num);
            (got, m.handle_truncate(mh, *size).map(Out::Num))
        }
        HOp::Tell => (Ok(Out::Num(fs_h.tell())), Ok(Out::Num(mh.cursor))),
    }
}

/// Runs the handle operations on both sides; after each, the cursors agree.
fn run_hops(
    fs_h: &mut dmemfs::FileHandle,
    m: &mut Model,
    mh: &mut MHandle,
    hops: &[HOp],
    got: &mut Vec<R>,
    want: &mut Vec<R>,
) {
    for op in hops {
        let (g, w) = run_hop(fs_h, m, mh, op);
        got.push(g);
        want.push(w);
        got.push(Ok(Out::Num(fs_h.tell())));
        want.push(Ok(Out::Num(mh.cursor)));
    }
}

fn open_both(
    w: &mut World,
    p: &P,
    mode: OpenMode,
    preallocate: u64,
) -> (R, R, Option<(dmemfs::FileHandle, MHandle)>) {
    let raw = p.render(&w.model);
    let opts = OpenOptions::new().preallocate(preallocate);
    let got = w.fs.open_with(&raw, mode, opts);
    let want = w.model.open(&raw, mode, preallocate);
    match (got, want) {
        (Ok(h), Ok(mh)) => {
            let same = h.path() == mh.path
                && h.is_readable() == readable(mode)
                && h.is_writable() == writable(mode)
                && h.tell() == mh.cursor;
            (
                Ok(Out::Probe(same, true, true)),
                Ok(Out::Probe(true, true, true)),
                Some((h, mh)),
            )
        }
        (got, want) => (
            got.map(|_| Out::Unit).map_err(|e| class(&e)),
            want.map(|_| Out::Unit),
            None,
        ),
    }
}

fn step(w: &mut World, op: &Op) -> (R, R) {
    let fs = w.fs.clone();
    let m = &mut w.model;
    match op {
        Op::Write(p, d) => {
            let data = m.resolve(d);
            let raw = p.render(m);
            (
                fs_r(fs.write(&raw, &data), |()| Out::Unit),
                m.write(&raw, data),
            )
        }
        Op::Mkdir(p, exist_ok) => {
            let raw = p.render(m);
            (
                fs_r(fs.mkdir(&raw, *exist_ok), |()| Out::Unit),
                m.mkdir(&raw, *exist_ok),
            )
        }
        Op::Remove(p) => {
            let raw = p.render(m);
            (fs_r(fs.remove(&raw), |()| Out::Unit), m.remove(&raw))
        }
        Op::Rmtree(p) => {
            let raw = p.render(m);
            (fs_r(fs.rmtree(&raw), |()| Out::Unit), m.rmtree(&raw))
        }
        Op::Rename(s, d, create_parents) => {
            let (s, d) = (s.render(m), d.render(m));
            let got = if *create_parents {
                fs.move_path(&s, &d)
            } else {
                fs.rename(&s, &d)
            };
            (fs_r(got, |()| Out::Unit), m.rename(&s, &d, *create_parents))
        }
        Op::Copy(s, d) => {
            let (s, d) = (s.render(m), d.render(m));
            (fs_r(fs.copy(&s, &d), |()| Out::Unit), m.copy(&s, &d))
        }
        Op::CopyTree(s, d) => {
            let (s, d) = (s.render(m), d.render(m));
            (
                fs_r(fs.copy_tree(&s, &d), |()| Out::Unit),
                m.copy_tree(&s, &d),
            )
        }
        Op::Import(items) => {
            let items: Vec<(String, Vec<u8>)> = items
                .iter()
                .map(|(p, d)| (p.render(m), m.resolve(d)))
                .collect();
            let got = fs.import_tree(items.clone());
            (fs_r(got, |()| Out::Unit), m.import(items))
        }
        Op::Read(p) => {
            let raw = p.render(m);
            (
                fs_r(fs.read(&raw), Out::Bytes),
                m.read(&raw).map(Out::Bytes),
            )
        }
        Op::ReadToString(p) => {
            let raw = p.render(m);
            (
                fs_r(fs.read_to_string(&raw), |s| Out::Bytes(s.into_bytes())),
                m.read_to_string(&raw),
            )
        }
        Op::ExportBytes(p, max) => {
            let raw = p.render(m);
            (
                fs_r(fs.export_bytes(&raw, *max), |b| Out::Bytes(b.to_vec())),
                m.export_bytes(&raw, *max),
            )
        }
        Op::ExportTree(p, only_dirty) => {
            let raw = p.render(m);
            let got = fs_r(fs.export_tree(&raw, *only_dirty), |map| {
                Out::Files(map.into_iter().map(|(k, v)| (k, v.to_vec())).collect())
            });
            (got, m.export_tree(&raw, *only_dirty))
        }
        Op::Listdir(p) => {
            let raw = p.render(m);
            (fs_r(fs.listdir(&raw), Out::Names), m.listdir(&raw))
        }
        Op::Stat(p) => {
            let raw = p.render(m);
            (
                fs_r(fs.stat(&raw), |s| Out::Stat(s.size, s.generation, s.is_dir)),
                m.stat(&raw),
            )
        }
        Op::GetSize(p) => {
            let raw = p.render(m);
            (fs_r(fs.get_size(&raw), Out::Num), m.get_size(&raw))
        }
        Op::Probe(p) => {
            let raw = p.render(m);
            (
                Ok(Out::Probe(
                    fs.exists(&raw),
                    fs.is_dir(&raw),
                    fs.is_file(&raw),
                )),
                Ok(m.probe(&raw)),
            )
        }
        Op::Walk(p) => {
            let raw = p.render(m);
            (
                fs_r(fs.walk(&raw), |it| Out::Walk(it.collect())),
                m.walk(&raw),
            )
        }
        Op::Glob(pattern) => (fs_r(fs.glob(pattern), Out::Names), m.glob(pattern)),
        Op::Session(p, mode, preallocate, hops) => {
            let (g, wnt, opened) = open_both(w, p, *mode, *preallocate);
            let mut got = vec![g];
            let mut want = vec![wnt];
            if let Some((mut h, mut mh)) = opened {
                run_hops(&mut h, &mut w.model, &mut mh, hops, &mut got, &mut want);
                got.push(fs_r(h.close(), |()| Out::Unit));
                want.push(Ok(Out::Unit));
            }
            (Ok(Out::Steps(got)), Ok(Out::Steps(want)))
        }
        Op::Hold(slot, p, mode) => {
            close_slot(w, *slot);
            let (g, wnt, opened) = open_both(w, p, *mode, 0);
            if let Some((h, mh)) = opened {
                w.model.held[*slot] = Some(mh.clone());
                w.held[*slot] = Some((h, mh));
            }
            (g, wnt)
        }
        Op::OnHeld(slot, hops) => {
            let mut got = Vec::new();
            let mut want = Vec::new();
            if let Some((mut h, mut mh)) = w.held[*slot].take() {
                run_hops(&mut h, &mut w.model, &mut mh, hops, &mut got, &mut want);
                w.model.held[*slot] = Some(mh.clone());
                w.held[*slot] = Some((h, mh));
            }
            (Ok(Out::Steps(got)), Ok(Out::Steps(want)))
        }
        Op::Close(slot) => {
            close_slot(w, *slot);
            (Ok(Out::Unit), Ok(Out::Unit))
        }
    }
}

fn close_slot(w: &mut World, slot: usize) {
    w.held[slot] = None;
    w.model.held[slot] = None;
}

/// Everything observable agrees between the filesystem and the model.
fn check_state(w: &World) -> Result<(), TestCaseError> {
    let (fs, m) = (&w.fs, &w.model);
    let stats = fs.stats();
    prop_assert_eq!(
        stats.used_bytes,
        m.used(),
        "used_bytes vs the charging rules"
    );
    prop_assert_eq!(stats.quota_bytes, m.cfg.quota);
    prop_assert_eq!(stats.free_bytes, m.free());
    prop_assert_eq!(stats.file_count, m.files.len() as u64);
    prop_assert_eq!(stats.dir_count, m.dirs.len() as u64 - 1);
    let chunks: u64 = m
        .files
        .values()
        .filter(|f| !f.random)
        .map(|f| f.chunks.len() as u64)
        .sum();
    prop_assert_eq!(stats.chunk_count, chunks, "chunk_count");
    let walked: WalkOut = fs.walk("/").expect("walk the root").collect();
    let mut expected = Vec::new();
    m.walk_from("/", &mut expected);
    prop_assert_eq!(walked, expected, "tree");
    for (p, f) in &m.files {
        let st = fs.stat(p).expect("stat a file the model has");
        prop_assert_eq!(
            (st.size, st.generation, st.is_dir),
            (f.len(), f.generation, false),
            "stat of {}",
            p
        );
        if !m.write_held(p) {
            let bytes = fs.read(p).expect("read a file the model has");
            prop_assert!(bytes == f.data, "content of {}", p);
        }
    }
    if m.held.iter().flatten().all(|h| !writable(h.mode)) {
        let dirty: BTreeSet<String> = fs
            .export_tree("/", true)
            .expect("export the dirty files")
            .into_keys()
            .collect();
        let want: BTreeSet<String> = m
            .files
            .iter()
            .filter(|(_, f)| f.dirty)
            .map(|(p, _)| p.clone())
            .collect();
        prop_assert_eq!(dirty, want, "dirty files");
    }
    Ok(())
}

fn run_case(cfg: Cfg, ops: Vec<Op>) -> Result<(), TestCaseError> {
    let mut w = World {
        fs: build(&cfg),
        model: Model::new(cfg),
        held: [None, None],
    };
    for (i, op) in ops.iter().enumerate() {
        let (got, want) = step(&mut w, op);
        prop_assert_eq!(got, want, "step {}: {:?}", i, op);
        check_state(&w).map_err(|e| TestCaseError::fail(format!("after step {i} {op:?}: {e}")))?;
    }
    // Closing everything and removing everything returns the ledger to zero.
    w.held = [None, None];
    for name in w.fs.listdir("/").expect("list the root") {
        let p = format!("/{name}");
        if w.fs.is_dir(&p) {
            w.fs.rmtree(&p).expect("rmtree");
        } else {
            w.fs.remove(&p).expect("remove");
        }
    }
    prop_assert_eq!(w.fs.stats().used_bytes, 0);
    prop_assert_eq!(w.fs.stats().chunk_count, 0);
    Ok(())
}

fn ops() -> impl Strategy<Value = Vec<Op>> {
    prop::collection::vec(op(), 1..60)
}

macro_rules! model_tests {
    ($($name:ident: $concurrency:expr, $kind:expr;)+) => {
        proptest! {
            #![proptest_config(config())]
            $(
                #[test]
                fn $name(cfg in cfg($concurrency, $kind), ops in ops()) {
                    run_case(cfg, ops)?;
                }
            )+
        }
    };
}

model_tests! {
    model_actor_auto: Concurrency::Actor, StorageKind::Auto;
    model_actor_sequential: Concurrency::Actor, StorageKind::Sequential;
    model_actor_random_access: Concurrency::Actor, StorageKind::RandomAccess;
    model_global_lock_auto: Concurrency::GlobalLock, StorageKind::Auto;
    model_global_lock_sequential: Concurrency::GlobalLock, StorageKind::Sequential;
    model_global_lock_random_access: Concurrency::GlobalLock, StorageKind::RandomAccess;
}
