//! Tests of [`FileStorage`], by topic, and the helpers they share.

use dmemfs_quota::{QuotaError, QuotaLedger};

use super::*;
use crate::StorageKind;

const OVERHEAD: u64 = 128;

/// Every storage kind a file may be configured with.
const ALL_KINDS: [StorageKind; 3] = [
    StorageKind::Auto,
    StorageKind::Sequential,
    StorageKind::RandomAccess,
];

impl FileStorage {
    /// The whole content, for tests of small files.
    fn to_bytes(&self) -> Bytes {
        self.try_to_bytes().expect("a test file is small")
    }

    fn read(&self, offset: u64, max: usize) -> Bytes {
        self.read_bytes(offset, max).expect("a test file is small")
    }
}

fn cfg(kind: StorageKind) -> StorageConfig {
    StorageConfig {
        kind,
        ..StorageConfig::default()
    }
}

/// The ledger holds exactly what `storages` say they cost.
fn assert_ledger(ledger: &QuotaLedger, storages: &[&FileStorage]) {
    let used: u64 = storages.iter().map(|s| s.charge()).sum();
    let chunks: u64 = storages.iter().map(|s| s.chunk_count()).sum();
    assert_eq!(ledger.used(), used, "ledger bytes vs charge");
    assert_eq!(ledger.chunk_count(), chunks, "ledger chunks vs storage");
}

/// A recognisable byte for each file offset.
fn pat(i: u64) -> u8 {
    (i % 251) as u8
}

fn pattern(start: u64, len: u64) -> Vec<u8> {
    (start..start + len).map(pat).collect()
}

fn is_pattern(bytes: &[u8]) -> bool {
    bytes.iter().enumerate().all(|(i, b)| *b == pat(i as u64))
}

/// Content, length and ledger of `s` are as recorded.
fn unchanged(s: &FileStorage, ledger: &QuotaLedger, content: &[u8], used: u64, chunks: u64) {
    assert_eq!(&s.to_bytes()[..], content);
    assert_eq!(s.len(), content.len() as u64);
    assert_eq!(ledger.used(), used);
    assert_eq!(ledger.chunk_count(), chunks);
}

mod ledger;
mod racing;
mod reads;
mod refusals;
