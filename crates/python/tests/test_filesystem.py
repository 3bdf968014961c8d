"""MemoryFileSystem: every method and keyword of D-MemFS 0.4.1's API."""

from __future__ import annotations

import io
import time

import pytest

import dmemfs
from dmemfs import MemoryFileSystem, MFSNodeLimitExceededError, MFSQuotaExceededError


def write(mfs: MemoryFileSystem, path: str, data: bytes) -> None:
    with mfs.open(path, "wb") as f:
        f.write(data)


def read(mfs: MemoryFileSystem, path: str) -> bytes:
    with mfs.open(path, "rb") as f:
        return f.read()


def test_public_names_and_version():
    for name in dmemfs.__all__:
        assert hasattr(dmemfs, name), name
    assert dmemfs.__version__.count(".") == 2
    assert dmemfs.MemoryFileSystem.__module__ == "dmemfs"


def test_constructor_keywords_and_positional_order():
    # D-MemFS's positional order: max_quota, chunk_overhead_override,
    # promotion_hard_limit, max_nodes, default_storage, default_lock_timeout,
    # memory_guard, memory_guard_action, memory_guard_interval.
    mfs = MemoryFileSystem(4096, 16, 1024, 10, "sequential", None, "none", "warn", 1.0)
    s = mfs.stats()
    assert s["quota_bytes"] == 4096
    assert s["overhead_per_chunk_estimate"] == 16
    write(mfs, "/a", b"abc")
    assert mfs.stats()["used_bytes"] == 3 + 16


def test_defaults():
    s = MemoryFileSystem().stats()
    assert s["quota_bytes"] == 256 * 1024 * 1024
    assert s["overhead_per_chunk_estimate"] == 128
    assert s["dir_count"] == 1 and s["file_count"] == 0


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"default_storage": "ram"}, "Invalid default_storage"),
        ({"memory_guard": "always"}, "Invalid memory_guard"),
        ({"memory_guard_action": "ignore"}, "Invalid memory_guard_action"),
        ({"max_quota": -1}, "max_quota"),
        ({"default_lock_timeout": float("nan")}, "default_lock_timeout"),
        ({"concurrency": "threads"}, "Invalid concurrency"),
    ],
)
def test_constructor_rejects_bad_values(kwargs, message):
    with pytest.raises(ValueError, match=message):
        MemoryFileSystem(**kwargs)


def test_mkdir_listdir_exists():
    mfs = MemoryFileSystem()
    mfs.mkdir("/a/b/c")  # parents are created
    assert mfs.is_dir("/a/b") and mfs.exists("/a/b/c") and not mfs.is_file("/a")
    with pytest.raises(FileExistsError):
        mfs.mkdir("/a/b")
    mfs.mkdir("/a/b", exist_ok=True)
    write(mfs, "/a/z.bin", b"")
    write(mfs, "/a/m.bin", b"")
    assert mfs.listdir("/a") == ["b", "m.bin", "z.bin"]
    with pytest.raises(FileNotFoundError):
        mfs.listdir("/nope")
    with pytest.raises(NotADirectoryError):
        mfs.listdir("/a/z.bin")
    with pytest.raises(FileExistsError):
        mfs.mkdir("/a/z.bin", exist_ok=True)
    assert mfs.exists("/../escape") is False  # invalid paths are just absent


def test_paths_are_normalized():
    mfs = MemoryFileSystem()
    mfs.mkdir("data")
    write(mfs, "\\data\\.\\x\\..//f.bin", b"1")
    assert mfs.listdir("/data") == ["f.bin"]
    assert read(mfs, "/data/f.bin/") == b"1"
    with pytest.raises(ValueError):
        mfs.open("/../f.bin", "wb")


def test_remove_and_rmtree_release_quota():
    mfs = MemoryFileSystem(max_quota=10_000)
    mfs.mkdir("/d/e")
    write(mfs, "/d/e/f", b"x" * 1000)
    write(mfs, "/g", b"y" * 500)
    mfs.remove("/g")
    with pytest.raises(FileNotFoundError):
        mfs.remove("/g")
    with pytest.raises(IsADirectoryError):
        mfs.remove("/d")
    with pytest.raises(NotADirectoryError):
        mfs.rmtree("/d/e/f")
    mfs.rmtree("/d")
    s = mfs.stats()
    assert s["used_bytes"] == 0 and s["dir_count"] == 1 and s["file_count"] == 0
    with pytest.raises(ValueError):
        mfs.rmtree("/")


def test_open_files_block_structure_changes():
    mfs = MemoryFileSystem()
    mfs.mkdir("/d")
    write(mfs, "/d/f", b"x")
    with mfs.open("/d/f", "rb"):
        for op in (
            lambda: mfs.remove("/d/f"),
            lambda: mfs.rmtree("/d"),
            lambda: mfs.rename("/d", "/e"),
            lambda: mfs.move("/d/f", "/g"),
            lambda: mfs.import_tree({"/d/f": b"new"}),
        ):
            with pytest.raises(BlockingIOError):
                op()
    assert read(mfs, "/d/f") == b"x"


def test_rename_and_move():
    mfs = MemoryFileSystem()
    mfs.mkdir("/a")
    write(mfs, "/a/f", b"data")
    created = mfs.stat("/a/f")["created_at"]
    mfs.rename("/a/f", "/a/g")
    assert mfs.listdir("/a") == ["g"] and mfs.stat("/a/g")["created_at"] == created
    with pytest.raises(FileNotFoundError):
        mfs.rename("/a/g", "/missing/g")  # rename does not create parents
    mfs.move("/a/g", "/x/y/g")  # move does
    assert read(mfs, "/x/y/g") == b"data"
    write(mfs, "/h", b"")
    with pytest.raises(FileExistsError):
        mfs.rename("/h", "/x/y/g")
    with pytest.raises(FileNotFoundError):
        mfs.move("/nope", "/z")
    with pytest.raises(ValueError):
        mfs.rename("/", "/r")


def test_copy_and_copy_tree():
    mfs = MemoryFileSystem(max_quota=4096)
    mfs.mkdir("/src/sub")
    write(mfs, "/src/a", b"aaa")
    write(mfs, "/src/sub/b", b"bbb")
    mfs.copy("/src/a", "/a2")
    assert read(mfs, "/a2") == b"aaa"
    assert mfs.stat("/a2")["generation"] == 1  # a copy counts as written
    with pytest.raises(FileExistsError):
        mfs.copy("/src/a", "/a2")
    with pytest.raises(IsADirectoryError):
        mfs.copy("/src", "/dir-copy")
    mfs.copy_tree("/src", "/dst")
    assert mfs.export_tree("/dst") == {"/dst/a": b"aaa", "/dst/sub/b": b"bbb"}
    with pytest.raises(NotADirectoryError):
        mfs.copy_tree("/src/a", "/x")
    with pytest.raises(FileNotFoundError):
        mfs.copy_tree("/src", "/nope/dst")


def test_copy_tree_over_quota_changes_nothing():
    mfs = MemoryFileSystem(max_quota=2 * (100 + 128) - 1)
    mfs.mkdir("/src")
    write(mfs, "/src/f", b"x" * 100)
    before = mfs.stats()
    with pytest.raises(MFSQuotaExceededError):
        mfs.copy_tree("/src", "/dst")
    assert mfs.stats() == before and not mfs.exists("/dst")


def test_walk_and_glob():
    mfs = MemoryFileSystem()
    mfs.mkdir("/a/b")
    write(mfs, "/a/1.txt", b"")
    write(mfs, "/a/b/2.txt", b"")
    write(mfs, "/top.py", b"")
    assert list(mfs.walk()) == [("/", ["a"], ["top.py"]), ("/a", ["b"], ["1.txt"]), ("/a/b", [], ["2.txt"])]
    assert mfs.glob("/**/*.txt") == ["/a/1.txt", "/a/b/2.txt"]
    assert mfs.glob("*.py") == ["/top.py"]
    assert mfs.glob("/a/?.txt") == ["/a/1.txt"]
    walker = mfs.walk("/missing")  # a generator in D-MemFS: raises on next()
    with pytest.raises(FileNotFoundError):
        next(walker)
    with pytest.raises(NotADirectoryError):
        list(mfs.walk("/top.py"))


def test_stat_and_stats():
    mfs = MemoryFileSystem(max_quota=1 << 20)
    before = time.time()
    write(mfs, "/f", b"12345")
    st = mfs.stat("/f")
    assert set(st) == {"size", "created_at", "modified_at", "generation", "is_dir"}
    assert st["size"] == 5 and st["is_dir"] is False and st["generation"] == 1
    assert before - 1 <= st["created_at"] <= st["modified_at"] <= time.time() + 1
    mfs.mkdir("/d")
    assert mfs.stat("/d")["size"] == 0 and mfs.stat("/d")["generation"] == 0
    assert mfs.stat("/d")["is_dir"] is True
    s = mfs.stats()
    assert s["used_bytes"] == 5 + 128 and s["chunk_count"] == 1
    assert s["free_bytes"] == s["quota_bytes"] - s["used_bytes"]
    assert s["dir_count"] == 2 and s["file_count"] == 1  # the root counts
    assert mfs.get_size("/f") == 5
    with pytest.raises(IsADirectoryError):
        mfs.get_size("/d")
    with pytest.raises(FileNotFoundError):
        mfs.stat("/nope")


def test_exports_and_import():
    mfs = MemoryFileSystem()
    mfs.import_tree({"/in/a.bin": b"A", "/in/deep/b.bin": bytearray(b"B"), "/c": memoryview(b"C")})
    assert mfs.export_tree() == {"/in/a.bin": b"A", "/in/deep/b.bin": b"B", "/c": b"C"}
    assert mfs.export_tree(only_dirty=True) == {}  # imports start clean
    write(mfs, "/in/a.bin", b"AA")
    assert mfs.export_tree("/in", only_dirty=True) == {"/in/a.bin": b"AA"}
    assert dict(mfs.iter_export_tree(prefix="/in")) == {"/in/a.bin": b"AA", "/in/deep/b.bin": b"B"}
    assert mfs.export_tree("/missing") == {}
    bio = mfs.export_as_bytesio("/c")
    assert isinstance(bio, io.BytesIO) and bio.read() == b"C"
    with pytest.raises(ValueError):
        mfs.export_as_bytesio("/in/a.bin", max_size=1)
    assert mfs.export_as_bytesio("/in/a.bin", max_size=2).getvalue() == b"AA"
    mfs.import_tree({})
    with pytest.raises(TypeError):
        mfs.import_tree({"/x": "text is not bytes"})


def test_import_tree_is_all_or_nothing():
    mfs = MemoryFileSystem(max_quota=1000)
    write(mfs, "/keep", b"old")
    before = mfs.stats()
    with pytest.raises(MFSQuotaExceededError):
        mfs.import_tree({"/keep": b"new", "/big": b"x" * 2000})
    assert read(mfs, "/keep") == b"old" and not mfs.exists("/big")
    assert mfs.stats() == before


def test_iter_export_tree_skips_files_removed_meanwhile():
    mfs = MemoryFileSystem()
    mfs.import_tree({"/a": b"1", "/b": b"2", "/c": b"3"})
    it = mfs.iter_export_tree()
    assert next(it) == ("/a", b"1")
    mfs.remove("/b")
    assert list(it) == [("/c", b"3")]


def test_quota_error_carries_numbers():
    mfs = MemoryFileSystem(max_quota=100, chunk_overhead_override=10)
    with mfs.open("/f", "wb") as f:
        with pytest.raises(MFSQuotaExceededError) as info:
            f.write(b"x" * 95)
        assert (info.value.requested, info.value.available) == (105, 100)
        assert f.write(b"x" * 90) == 90  # the refused write stored nothing
    assert isinstance(info.value, OSError)


def test_node_limit_counts_the_root():
    mfs = MemoryFileSystem(max_nodes=3)
    mfs.open("/a", "wb").close()
    mfs.mkdir("/d")
    with pytest.raises(MFSNodeLimitExceededError) as info:
        mfs.open("/c", "wb")
    assert (info.value.current, info.value.limit) == (3, 3)
    assert isinstance(info.value, MFSQuotaExceededError)
    with pytest.raises(MFSNodeLimitExceededError):
        MemoryFileSystem(max_nodes=0)


def test_exception_classes_match_d_memfs():
    assert issubclass(MFSQuotaExceededError, OSError)
    assert issubclass(MFSNodeLimitExceededError, MFSQuotaExceededError)
    e = MFSQuotaExceededError(requested=10, available=3)
    assert str(e) == "MFS quota exceeded: requested 10 bytes, only 3 bytes available."
    n = MFSNodeLimitExceededError(current=5, limit=5)
    assert (n.requested, n.available) == (6, 0)
    assert str(n) == "MFS node limit exceeded: current 5 nodes, limit is 5."


def test_lock_timeout_and_default():
    mfs = MemoryFileSystem(default_lock_timeout=0.0)
    write(mfs, "/f", b"x")
    with mfs.open("/f", "wb"):
        with pytest.raises(BlockingIOError):
            mfs.open("/f", "rb")
        with pytest.raises(BlockingIOError):
            mfs.open("/f", "rb", lock_timeout=0.01)
    with mfs.open("/f", "rb"), mfs.open("/f", "rb"):
        pass  # readers share


def test_storage_kinds():
    seq = MemoryFileSystem(default_storage="sequential")
    write(seq, "/f", b"abc")
    with seq.open("/f", "r+b") as f:
        with pytest.raises(io.UnsupportedOperation):
            f.write(b"X")  # sequential storage only appends
        f.seek(3)
        f.write(b"d")
    assert read(seq, "/f") == b"abcd"
    ra = MemoryFileSystem(default_storage="random_access")
    write(ra, "/f", b"abc")
    assert ra.stats()["used_bytes"] == 3 and ra.stats()["chunk_count"] == 0
    limited = MemoryFileSystem(promotion_hard_limit=2)
    write(limited, "/f", b"abc")
    with limited.open("/f", "r+b") as f:
        with pytest.raises(io.UnsupportedOperation):
            f.write(b"X")  # promotion of a 3-byte file is over the limit


# A quota no machine has: the guard always finds memory short.
HUGE_QUOTA = 1 << 62


def test_memory_guard_init_warns_or_raises():
    with pytest.warns(ResourceWarning, match="available memory"):
        MemoryFileSystem(max_quota=HUGE_QUOTA, memory_guard="init")
    with pytest.raises(MemoryError):
        MemoryFileSystem(max_quota=HUGE_QUOTA, memory_guard="init", memory_guard_action="raise")


def test_memory_guard_per_write_warns_before_growth():
    with pytest.warns(ResourceWarning):
        mfs = MemoryFileSystem(max_quota=HUGE_QUOTA, memory_guard="per_write", memory_guard_interval=0)
    with pytest.warns(ResourceWarning), pytest.raises(MemoryError):
        mfs.open("/huge", "wb", preallocate=1 << 50)  # the allocation then fails
    with mfs.open("/f", "wb") as f:
        with pytest.warns(ResourceWarning), pytest.raises(MemoryError):
            f.truncate(1 << 50)
        f.write(b"small")
    assert mfs.stats()["used_bytes"] == 5 + 128
