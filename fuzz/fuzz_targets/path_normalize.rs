//! Fuzzes path normalization: `NormPath::parse` against a plain reference,
//! and the filesystem's path-taking operations on arbitrary strings.
#![no_main]

use std::sync::OnceLock;

use dmemfs::{Concurrency, MemoryFileSystem};
use libfuzzer_sys::fuzz_target;

#[path = "../../tests/common/fuzz_checks.rs"]
mod fuzz_checks;

fn fs() -> &'static MemoryFileSystem {
    static FS: OnceLock<MemoryFileSystem> = OnceLock::new();
    FS.get_or_init(|| {
        let fs = MemoryFileSystem::builder()
            .concurrency(Concurrency::GlobalLock)
            .build()
            .expect("build");
        fs.mkdir("/a/b", false).expect("mkdir");
        fs.write("/a/f", b"x").expect("write");
        fs
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(raw) = std::str::from_utf8(data) else {
        return;
    };
    fuzz_checks::check_path(raw);
    let fs = fs();
    let valid = fuzz_checks::reference_norm(raw).is_some();
    match fs.stat(raw) {
        Err(e) if e.kind() == std::io::ErrorKind::InvalidInput => assert!(!valid, "{raw:?}"),
        _ => assert!(valid, "{raw:?} accepted"),
    }
    if !valid {
        assert!(!fs.exists(raw));
        assert!(fs.listdir(raw).is_err());
    }
});
