"""Where dmemfs deliberately differs from D-MemFS (see the README's list)."""

from __future__ import annotations

import pytest

from dmemfs import MemoryFileSystem


def test_directory_moved_into_itself_is_refused():
    # D-MemFS detaches the directory and loses the subtree.
    mfs = MemoryFileSystem()
    mfs.mkdir("/a/b")
    for op in (mfs.move, mfs.rename):
        with pytest.raises(ValueError):
            op("/a", "/a/b/c")
    assert mfs.is_dir("/a/b")


def test_nul_in_a_name_is_refused():
    mfs = MemoryFileSystem()
    with pytest.raises(ValueError):
        mfs.mkdir("/a\0b")
    with pytest.raises(ValueError):
        mfs.open("/f\0", "wb")
    assert mfs.exists("/f\0") is False
    assert mfs.listdir("/") == []


def test_preallocate_on_a_read_only_open_is_refused():
    # D-MemFS grows a file it only read-locked.
    mfs = MemoryFileSystem()
    with mfs.open("/f", "wb") as f:
        f.write(b"abc")
    with pytest.raises(ValueError):
        mfs.open("/f", "rb", preallocate=10)
    assert mfs.get_size("/f") == 3
    with mfs.open("/f", "wb", lock_timeout=0):
        pass  # no lock was left behind


def test_listdir_is_sorted():
    # D-MemFS lists in creation order.
    mfs = MemoryFileSystem()
    for name in ("zeta", "alpha", "Mid"):
        mfs.mkdir("/" + name)
    assert mfs.listdir("/") == ["Mid", "alpha", "zeta"]
    assert [d for d, _, _ in mfs.walk()] == ["/", "/Mid", "/alpha", "/zeta"]


def test_walk_sees_one_snapshot():
    # D-MemFS's walk reads each directory when it gets there.
    mfs = MemoryFileSystem()
    mfs.mkdir("/a/b")
    walker = mfs.walk("/")
    assert next(walker) == ("/", ["a"], [])
    mfs.rmtree("/a")
    mfs.mkdir("/later")
    assert [d for d, _, _ in walker] == ["/a", "/a/b"]


def test_a_file_in_the_way_is_reported_as_d_memfs_does():
    mfs = MemoryFileSystem()
    with mfs.open("/f", "wb") as h:
        h.write(b"x")
    with pytest.raises(FileExistsError):
        mfs.mkdir("/f/sub")
    with pytest.raises(FileExistsError):
        mfs.import_tree({"/f/sub/g": b"1"})
    with pytest.raises(FileNotFoundError):
        mfs.open("/f/g", "wb")
    with pytest.raises(FileNotFoundError):
        mfs.stat("/f/g")
    with pytest.raises(FileNotFoundError):
        mfs.listdir("/f/g")
    with pytest.raises(NotADirectoryError):
        mfs.listdir("/f")
    assert mfs.export_tree("/f/g") == {}
    assert list(mfs.iter_export_tree("/f/g")) == []
