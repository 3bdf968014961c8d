//! Random-access files hold their bytes in pieces (growth fills one up to
//! 1 MiB; chunks of 16 KiB or more adopted as they are when an `Auto` file
//! is promoted).
//! Seeded random overwrites, extensions past the end and cuts, on files
//! written in chunks on both sides of those sizes, must read back exactly
//! as a plain `Vec` model says, and a read taken before a write must keep
//! what it read.

#![allow(missing_docs)]

#[macro_use]
mod common;

use std::io::{Read, Seek, SeekFrom, Write};

use common::*;
use dmemfs::{Bytes, OpenMode, StorageKind};
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};

const KIB: usize = 1024;
const MIB: usize = 1024 * KIB;

both_strategies!(random_writes_match_a_plain_buffer);

/// Chunk sizes around the adoption threshold and the piece size.
const CHUNKS: [usize; 6] = [100, 16 * KIB - 1, 16 * KIB, 64 * KIB, MIB, MIB + 3];

fn random_writes_match_a_plain_buffer(ctx: Ctx) {
    for kind in [StorageKind::Auto, StorageKind::RandomAccess] {
        let fs = ctx.fs_with(|b| b.default_storage(kind).max_quota(1 << 30));
        let mut rng = StdRng::seed_from_u64(13);
        let mut model = Vec::new();
        let mut h = fs.open("/f", OpenMode::Write).unwrap();
        for i in 0..24 {
            let n = CHUNKS[i % CHUNKS.len()];
            let chunk = vec![i as u8; n];
            h.write_bytes(Bytes::from(chunk.clone())).unwrap();
            model.extend_from_slice(&chunk);
        }
        h.close().unwrap();
        let before = fs.export_bytes("/f", None).unwrap();
        let mut h = fs.open("/f", OpenMode::ReadWrite).unwrap();
        for step in 0..200u32 {
            let len = model.len();
            match rng.random_range(0..10) {
                // A cut, or an extension with zeros.
                0 => {
                    let size = rng.random_range(0..=len + MIB);
                    h.truncate(Some(size as u64)).unwrap();
                    model.resize(size, 0);
                }
                // A write from anywhere up to past the end.
                _ => {
                    let offset = rng.random_range(0..=len + 2 * KIB);
                    let n = CHUNKS[rng.random_range(0..CHUNKS.len())] + step as usize % 7;
                    let data = vec![(step % 251) as u8 + 1; n];
                    h.seek(SeekFrom::Start(offset as u64)).unwrap();
                    h.write_all(&data).unwrap();
                    if model.len() < offset + n {
                        model.resize(offset + n, 0);
                    }
                    model[offset..offset + n].copy_from_slice(&data);
                }
            }
            if step % 20 == 0 {
                // Through the handle: it holds the file's write lock.
                let mut got = Vec::new();
                h.seek(SeekFrom::Start(0)).unwrap();
                h.read_to_end(&mut got).unwrap();
                assert!(got == model, "{kind:?}, step {step}");
            }
        }
        h.close().unwrap();
        assert!(fs.read("/f").unwrap() == model, "{kind:?} at the end");
        assert_eq!(fs.get_size("/f").unwrap(), model.len() as u64);
        assert!(
            before.iter().zip(0..).all(|(&b, i)| b == chunk_byte(i)),
            "{kind:?}: bytes read before the writes changed"
        );
    }
}

/// The byte the first writes put at `offset`.
fn chunk_byte(offset: usize) -> u8 {
    let mut start = 0;
    for i in 0..24 {
        start += CHUNKS[i % CHUNKS.len()];
        if offset < start {
            return i as u8;
        }
    }
    panic!("offset {offset} past the first writes")
}
