"""MemoryFileHandle: the io.RawIOBase interface, modes and cursor rules."""

from __future__ import annotations

import gc
import io
import warnings

import pytest

from dmemfs import MemoryFileHandle, MemoryFileSystem


@pytest.fixture
def fs() -> MemoryFileSystem:
    mfs = MemoryFileSystem(max_quota=1 << 20)
    with mfs.open("/f", "wb") as f:
        f.write(b"hello world")
    return mfs


def test_is_a_raw_io_object(fs):
    with fs.open("/f", "rb") as f:
        assert isinstance(f, MemoryFileHandle)
        assert isinstance(f, io.RawIOBase) and isinstance(f, io.IOBase)
        assert f.readable() and f.seekable() and not f.writable() and not f.isatty()
        assert f.name == "/f" and f.mode == "rb" and f.closed is False
        with pytest.raises(io.UnsupportedOperation):
            f.fileno()
    assert f.closed is True


def test_read_seek_tell(fs):
    with fs.open("/f", "rb") as f:
        assert f.read(5) == b"hello" and f.tell() == 5
        assert f.seek(1, 1) == 6 and f.read() == b"world"
        assert f.read() == b"" and f.read(3) == b""
        assert f.seek(-5, 2) == 6 and f.readall() == b"world"
        assert f.seek(100) == 100 and f.read() == b""  # past the end is allowed
        f.seek(0)
        assert f.read(None) == b"hello world"
        for bad in ((-1, 0), (1, 2), (0, 3), (-200, 1)):
            with pytest.raises(ValueError):
                f.seek(*bad)
        assert f.tell() == 11  # refused seeks leave the cursor


def test_readinto_readline_iteration(fs):
    with fs.open("/g", "wb") as f:
        f.writelines([b"one\n", bytearray(b"two\n"), memoryview(b"three")])
    with fs.open("/g", "rb") as f:
        buf = bytearray(2)
        assert f.readinto(buf) == 2 and buf == b"on"
        assert f.readline() == b"e\n"
        assert f.readline(2) == b"tw"
        assert list(f) == [b"o\n", b"three"]
    with fs.open("/g", "rb") as f:
        assert f.readlines() == [b"one\n", b"two\n", b"three"]
    with fs.open("/g", "rb") as f:
        assert f.readlines(5) == [b"one\n", b"two\n"]
    with fs.open("/g", "rb") as f:
        assert io.BufferedReader(f).read() == b"one\ntwo\nthree"


def test_long_lines_and_large_reads(fs):
    line = b"x" * 100_000 + b"\n"
    with fs.open("/big", "wb") as f:
        f.write(line * 3)  # a large write, detached
    with fs.open("/big", "rb") as f:
        assert f.readline() == line
        assert f.read(150_000) == line + b"x" * 49_999
        assert f.tell() == 250_001


def test_modes(fs):
    with fs.open("/f", "ab") as f:
        f.seek(0)
        f.write(b"!")  # append mode writes at the end whatever the cursor
        assert f.tell() == 12
        with pytest.raises(io.UnsupportedOperation):
            f.read()
    with fs.open("/f", "r+b") as f:
        f.seek(6)
        f.write(b"W")
        assert f.read() == b"orld!"
    with fs.open("/f", "rb") as f:
        assert f.read() == b"hello World!"
        with pytest.raises(io.UnsupportedOperation):
            f.write(b"x")
        with pytest.raises(io.UnsupportedOperation):
            f.truncate(0)
    with pytest.raises(FileExistsError):
        fs.open("/f", "xb")
    with fs.open("/new", "xb") as f:
        f.write(b"n")
    with pytest.raises(FileNotFoundError):
        fs.open("/nope", "r+b")
    with pytest.raises(ValueError, match="Invalid mode"):
        fs.open("/f", "r")
    with pytest.raises(IsADirectoryError):
        fs.open("/", "rb")
    with fs.open("/f", "wb") as f:  # truncates
        assert f.tell() == 0
    assert fs.get_size("/f") == 0


def test_write_accepts_only_bytes_like(fs):
    with fs.open("/w", "wb") as f:
        assert f.write(b"ab") == 2
        assert f.write(bytearray(b"cd")) == 2
        assert f.write(memoryview(b"xef")[1:]) == 2
        with pytest.raises(TypeError):
            f.write("text")
    with fs.open("/w", "rb") as f:
        assert f.read() == b"abcdef"


def test_seek_past_end_then_write_fills_zeros(fs):
    with fs.open("/f", "r+b") as f:
        f.seek(13)
        f.write(b"Z")
    with fs.open("/f", "rb") as f:
        assert f.read() == b"hello world\0\0Z"


def test_truncate(fs):
    with fs.open("/f", "r+b") as f:
        f.seek(8)
        assert f.truncate(3) == 3 and f.tell() == 3
        assert f.truncate() == 3
        assert f.truncate(6) == 6
        with pytest.raises(ValueError):
            f.truncate(-1)
    with fs.open("/f", "rb") as f:
        assert f.read() == b"hel\0\0\0"


def test_preallocate(fs):
    with fs.open("/p", "wb", preallocate=1000) as f:
        assert f.tell() == 0
        assert fs.stats()["used_bytes"] >= 1000
    assert fs.get_size("/p") == 1000
    with fs.open("/p", "ab", preallocate=10):  # smaller than the file: nothing
        pass
    assert fs.get_size("/p") == 1000
    with fs.open("/p", "wb", preallocate=-5):  # D-MemFS ignores non-positive
        pass
    assert fs.get_size("/p") == 0


def test_closed_handle_raises_value_error(fs):
    f = fs.open("/f", "rb")
    f.close()
    f.close()  # idempotent
    for op in (f.read, f.tell, f.flush, f.readable, f.writable, f.seekable, lambda: f.seek(0)):
        with pytest.raises(ValueError):
            op()
    with fs.open("/f", "wb"):
        pass  # the lock was released


def test_unclosed_handle_warns_and_releases(fs):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        f = fs.open("/f", "wb")
        del f
        gc.collect()
    assert any(issubclass(w.category, ResourceWarning) for w in caught)
    with fs.open("/f", "wb", lock_timeout=0):
        pass
