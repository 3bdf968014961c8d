//! One buffer or pages for random-access file data? The layout decision,
//! measured side by side on the operations random-access files see: growth
//! by appends, in-place overwrites at random offsets, and whole-file reads.
//!
//! `OneBuffer` is what `RandomAccessBuffer` stores (a `Vec<u8>`); `Pages`
//! is the alternative (fixed 64 KiB pages, so growth never moves old data).
//! Run: `cargo bench -p dmemfs-storage-backends --bench random_access_layout`.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};

const PAGE: usize = 64 * 1024;

trait Layout: Default {
    fn write_at(&mut self, offset: usize, data: &[u8]);
    fn read_all(&self, out: &mut Vec<u8>);
}

#[derive(Default)]
struct OneBuffer(Vec<u8>);

impl Layout for OneBuffer {
    fn write_at(&mut self, offset: usize, data: &[u8]) {
        let end = offset + data.len();
        if end > self.0.len() {
            self.0.resize(end, 0);
        }
        self.0[offset..end].copy_from_slice(data);
    }

    fn read_all(&self, out: &mut Vec<u8>) {
        out.clear();
        out.extend_from_slice(&self.0);
    }
}

#[derive(Default)]
struct Pages {
    pages: Vec<Box<[u8]>>,
    len: usize,
}

impl Layout for Pages {
    fn write_at(&mut self, offset: usize, data: &[u8]) {
        let end = offset + data.len();
        while self.pages.len() * PAGE < end {
            self.pages.push(vec![0u8; PAGE].into_boxed_slice());
        }
        let mut at = offset;
        let mut rest = data;
        while !rest.is_empty() {
            let (page, within) = (at / PAGE, at % PAGE);
            let n = rest.len().min(PAGE - within);
            self.pages[page][within..within + n].copy_from_slice(&rest[..n]);
            at += n;
            rest = &rest[n..];
        }
        self.len = self.len.max(end);
    }

    fn read_all(&self, out: &mut Vec<u8>) {
        out.clear();
        let mut left = self.len;
        for page in &self.pages {
            let n = left.min(PAGE);
            out.extend_from_slice(&page[..n]);
            left -= n;
        }
    }
}

const FILE: usize = 16 << 20;

fn filled<L: Layout>() -> L {
    let mut file = L::default();
    let piece = vec![1u8; PAGE];
    for i in 0..FILE / PAGE {
        file.write_at(i * PAGE, &piece);
    }
    file
}

fn grow<L: Layout>(piece: &[u8]) -> L {
    let mut file = L::default();
    let mut at = 0;
    while at < FILE {
        file.write_at(at, piece);
        at += piece.len();
    }
    file
}

fn overwrite<L: Layout>(file: &mut L, piece: &[u8], count: usize) {
    // A fixed linear congruential sequence: the same offsets for both.
    let mut x: u64 = 0x2545_F491_4F6C_DD1D;
    for _ in 0..count {
        x = x
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let offset = (x >> 16) as usize % (FILE - piece.len());
        file.write_at(offset, piece);
    }
}

fn layouts(c: &mut Criterion) {
    for piece_len in [4 * 1024, 64 * 1024] {
        let piece = vec![7u8; piece_len];
        let mut group = c.benchmark_group(format!("grow_16MiB_by_{}KiB", piece_len / 1024));
        group.throughput(Throughput::Bytes(FILE as u64));
        group.bench_function("one_buffer", |b| {
            b.iter(|| black_box(grow::<OneBuffer>(&piece)))
        });
        group.bench_function("pages_64KiB", |b| {
            b.iter(|| black_box(grow::<Pages>(&piece)))
        });
        group.finish();
    }

    let mut group = c.benchmark_group("overwrite_1000_at_random");
    for piece_len in [64usize, 4 * 1024] {
        let piece = vec![9u8; piece_len];
        let mut one: OneBuffer = filled();
        let mut paged: Pages = filled();
        group.bench_with_input(BenchmarkId::new("one_buffer", piece_len), &piece, |b, p| {
            b.iter(|| overwrite(&mut one, p, 1000))
        });
        group.bench_with_input(
            BenchmarkId::new("pages_64KiB", piece_len),
            &piece,
            |b, p| b.iter(|| overwrite(&mut paged, p, 1000)),
        );
    }
    group.finish();

    let mut group = c.benchmark_group("read_all_16MiB");
    group.throughput(Throughput::Bytes(FILE as u64));
    let one: OneBuffer = filled();
    let paged: Pages = filled();
    let mut out = Vec::with_capacity(FILE);
    group.bench_function("one_buffer", |b| b.iter(|| one.read_all(&mut out)));
    group.bench_function("pages_64KiB", |b| b.iter(|| paged.read_all(&mut out)));
    group.finish();
}

criterion_group!(benches, layouts);
criterion_main!(benches);
