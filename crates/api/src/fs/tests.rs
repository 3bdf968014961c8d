//! Tests of the facade's internals; its behaviour is tested through the
//! public API in the workspace's `tests/`.

use super::*;
use crate::Concurrency;

#[test]
fn a_tree_copy_from_a_snapshot_naming_a_removed_file_starts_over() {
    for concurrency in [Concurrency::Actor, Concurrency::GlobalLock] {
        let fs = MemoryFileSystem::builder()
            .concurrency(concurrency)
            .build()
            .expect("filesystem");
        fs.mkdir("/d", false).expect("mkdir");
        fs.write("/d/a", b"kept").expect("write");
        fs.write("/d/b", b"removed").expect("write");
        let (src, dst) = (parse("/d").expect("path"), parse("/e").expect("path"));
        let plan = fs.snapshot().subtree(&src).expect("dir");
        fs.remove("/d/b").expect("remove");
        // The plan names /d/b, whose data is gone: no copy is made.
        assert!(fs.copy_files(&src, &dst, plan).expect("no error").is_none());
        fs.copy_tree("/d", "/e")
            .expect("copy from a newer snapshot");
        assert_eq!(fs.listdir("/e").expect("dir"), ["a"]);
        assert_eq!(fs.read("/e/a").expect("read"), b"kept");
    }
}
