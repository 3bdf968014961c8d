//! The single-thread cases of D-MemFS's `benchmarks/compare_backends.py`,
//! with the sizes of issue 13. Each run starts from a new, empty subject and
//! ends by dropping it, as each Python case makes and discards its own
//! filesystem. Paths, payloads and random choices are made before the run
//! (seeded, so every subject sees the same sequence), and each run checks
//! the number of bytes it read back, as the Python cases do.

use std::io::{self, Read, Seek, SeekFrom, Write};

use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};

use super::kind::UseSubject;
use super::subject::{read_file, write_file, Subject};

/// The seed of every random choice (D-MemFS's benchmark uses 42).
pub const SEED: u64 = 42;

const KIB: usize = 1024;
const MIB: usize = 1024 * KIB;

/// The seeded generator for one stream of choices: the same `stream` gives
/// the same sequence on every subject and every run.
pub fn seeded_rng(stream: u64) -> StdRng {
    StdRng::seed_from_u64(SEED.wrapping_add(stream))
}

/// A single-thread case.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Case {
    /// 300 files of 4 KiB written in `/bench`, then each read whole.
    SmallFiles,
    /// 16 MiB written in 64 KiB chunks, then read whole.
    Stream,
    /// 16 MiB written in 64 KiB chunks, 256 overwrites of 64 KiB at random
    /// offsets through one handle, then read whole.
    RandomAccess,
    /// 128 MiB written in 1 MiB chunks, then read in 1 MiB chunks.
    LargeStream,
    /// 10,000 files of 4 KiB in the root, then 5,000 reads of random ones.
    ManyFiles,
    /// 50 nested directories, a 1 KiB file at the bottom, read 1,000 times.
    DeepTree,
}

impl Case {
    /// All cases, in the order tables show them.
    pub const ALL: [Case; 6] = [
        Case::SmallFiles,
        Case::Stream,
        Case::RandomAccess,
        Case::LargeStream,
        Case::ManyFiles,
        Case::DeepTree,
    ];

    /// D-MemFS's name for the case.
    pub fn name(self) -> &'static str {
        match self {
            Case::SmallFiles => "small_files_rw",
            Case::Stream => "stream_write_read",
            Case::RandomAccess => "random_access_rw",
            Case::LargeStream => "large_stream",
            Case::ManyFiles => "many_files_random_read",
            Case::DeepTree => "deep_tree_read",
        }
    }

    /// The paths, payloads and random choices of one run.
    pub fn plan(self) -> CasePlan {
        match self {
            Case::SmallFiles => CasePlan::SmallFiles(Files::new("/bench/f", 5, 300, 4 * KIB, b'x')),
            Case::Stream => CasePlan::Stream(Stream::new("/stream.bin", 16 * MIB, 64 * KIB, b'y')),
            Case::RandomAccess => {
                let stream = Stream::new("/random.bin", 16 * MIB, 64 * KIB, b'z');
                let mut rng = seeded_rng(0);
                let last = (stream.total() - stream.chunk.len()) as u64;
                let offsets = (0..stream.chunks)
                    .map(|_| rng.random_range(0..=last))
                    .collect();
                CasePlan::RandomAccess(stream, offsets)
            }
            Case::LargeStream => {
                CasePlan::LargeStream(Stream::new("/large.bin", 128 * MIB, MIB, b'L'))
            }
            Case::ManyFiles => {
                let files = Files::new("/f", 6, 10_000, 4 * KIB, b'm');
                let mut rng = seeded_rng(0);
                let reads = (0..files.paths.len() / 2)
                    .map(|_| rng.random_range(0..files.paths.len()))
                    .collect();
                CasePlan::ManyFiles(files, reads)
            }
            Case::DeepTree => {
                let mut dirs: Vec<String> = Vec::with_capacity(50);
                for level in 0..50 {
                    let parent = dirs.last().map_or("", String::as_str);
                    dirs.push(format!("{parent}/d{level}"));
                }
                let file = format!("{}/file.bin", dirs.last().map_or("", String::as_str));
                CasePlan::DeepTree {
                    dirs,
                    file,
                    payload: vec![b'd'; KIB],
                    reads: 1_000,
                }
            }
        }
    }
}

/// Files named `<prefix><index, zero-padded>.bin`, all with one payload.
pub struct Files {
    paths: Vec<String>,
    payload: Vec<u8>,
}

impl Files {
    fn new(prefix: &str, digits: usize, count: usize, size: usize, fill: u8) -> Self {
        Files {
            paths: (0..count)
                .map(|i| format!("{prefix}{i:0digits$}.bin"))
                .collect(),
            payload: vec![fill; size],
        }
    }

    fn write_all<S: Subject>(&self, fs: &S) -> io::Result<()> {
        self.paths
            .iter()
            .try_for_each(|path| write_file(fs, path, &self.payload))
    }
}

/// One file written as `chunks` copies of `chunk`.
pub struct Stream {
    path: &'static str,
    chunk: Vec<u8>,
    chunks: usize,
}

impl Stream {
    fn new(path: &'static str, total: usize, chunk: usize, fill: u8) -> Self {
        Stream {
            path,
            chunk: vec![fill; chunk],
            chunks: total / chunk,
        }
    }

    fn total(&self) -> usize {
        self.chunk.len() * self.chunks
    }

    fn write<S: Subject>(&self, fs: &S) -> io::Result<()> {
        let mut writer = fs.create(self.path)?;
        for _ in 0..self.chunks {
            writer.write_all(&self.chunk)?;
        }
        fs.close(writer)
    }
}

/// One run of a case, prepared.
pub enum CasePlan {
    /// See [`Case::SmallFiles`].
    SmallFiles(Files),
    /// See [`Case::Stream`].
    Stream(Stream),
    /// See [`Case::RandomAccess`]; the offsets of the overwrites.
    RandomAccess(Stream, Vec<u64>),
    /// See [`Case::LargeStream`].
    LargeStream(Stream),
    /// See [`Case::ManyFiles`]; the indices of the files read.
    ManyFiles(Files, Vec<usize>),
    /// See [`Case::DeepTree`].
    DeepTree {
        /// Each level's path, top first.
        dirs: Vec<String>,
        /// The file at the bottom.
        file: String,
        /// Its content.
        payload: Vec<u8>,
        /// How many times it is read.
        reads: usize,
    },
}

/// A run that read back another number of bytes than it wrote.
fn check_read(case: &str, read: usize, expected: usize) -> io::Result<()> {
    if read == expected {
        Ok(())
    } else {
        Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!("{case}: read {read} bytes, expected {expected}"),
        ))
    }
}

impl CasePlan {
    /// Runs the case once on `fs`, which starts empty.
    pub fn run<S: Subject>(&self, fs: &S) -> io::Result<()> {
        match self {
            CasePlan::SmallFiles(files) => {
                fs.mkdir("/bench")?;
                files.write_all(fs)?;
                let mut read = 0;
                for path in &files.paths {
                    read += read_file(fs, path)?.len();
                }
                check_read("small_files", read, files.paths.len() * files.payload.len())
            }
            CasePlan::Stream(stream) => {
                stream.write(fs)?;
                check_read("stream", read_file(fs, stream.path)?.len(), stream.total())
            }
            CasePlan::RandomAccess(stream, offsets) => {
                stream.write(fs)?;
                let mut writer = fs.update(stream.path)?;
                for &offset in offsets {
                    writer.seek(SeekFrom::Start(offset))?;
                    writer.write_all(&stream.chunk)?;
                }
                fs.close(writer)?;
                check_read(
                    "random_access",
                    read_file(fs, stream.path)?.len(),
                    stream.total(),
                )
            }
            CasePlan::LargeStream(stream) => {
                stream.write(fs)?;
                let mut reader = fs.open_read(stream.path)?;
                let mut buf = vec![0; stream.chunk.len()];
                let mut read = 0;
                loop {
                    match reader.read(&mut buf)? {
                        0 => break,
                        n => read += n,
                    }
                }
                check_read("large_stream", read, stream.total())
            }
            CasePlan::ManyFiles(files, reads) => {
                files.write_all(fs)?;
                let mut read = 0;
                for &index in reads {
                    read += read_file(fs, &files.paths[index])?.len();
                }
                check_read("many_files", read, reads.len() * files.payload.len())
            }
            CasePlan::DeepTree {
                dirs,
                file,
                payload,
                reads,
            } => {
                for dir in dirs {
                    fs.mkdir(dir)?;
                }
                write_file(fs, file, payload)?;
                let mut read = 0;
                for _ in 0..*reads {
                    read += read_file(fs, file)?.len();
                }
                check_read("deep_tree", read, reads * payload.len())
            }
        }
    }
}

/// Running a plan on a subject built for it.
impl UseSubject for &CasePlan {
    type Output = ();

    fn with<S: Subject>(self, subject: S) -> io::Result<()> {
        self.run(&subject)
    }
}
