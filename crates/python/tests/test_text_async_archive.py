"""MFSTextHandle, the async wrappers and archive extraction."""

from __future__ import annotations

import asyncio
import io
import tarfile
import zipfile

import pytest

import dmemfs
from dmemfs import MemoryFileSystem, MFSTextHandle, expand_archive, expand_archive_streaming


def test_text_handle_round_trip():
    mfs = MemoryFileSystem()
    with mfs.open("/t", "wb") as f:
        th = MFSTextHandle(f, encoding="utf-8")
        assert th.write("こんにちは\r\n") == 7
        th.write("b\rc\nlast")
        assert (th.encoding, th.errors) == ("utf-8", "strict")
    with mfs.open("/t", "rb") as f:
        th = MFSTextHandle(f)
        assert th.read(2) == "こん"
        assert f.tell() == 6  # bufferless: exactly the bytes of two characters
        assert th.readline() == "にちは\r\n"
        assert list(th) == ["b\r", "c\n", "last"]
        assert th.read() == ""
    with mfs.open("/t", "rb") as f, MFSTextHandle(f) as th:
        assert th.read().endswith("last")
    assert f.closed


def test_text_handle_limit_and_encoding():
    mfs = MemoryFileSystem()
    with mfs.open("/t", "wb") as f:
        MFSTextHandle(f, encoding="latin-1").write("abcdé\n")
    with mfs.open("/t", "rb") as f:
        th = MFSTextHandle(f, encoding="latin-1")
        assert th.readline(3) == "abc"
        assert th.read(-1) == "dé\n"
    with mfs.open("/t", "rb") as f:
        with pytest.raises(UnicodeDecodeError):
            MFSTextHandle(f, encoding="utf-8").read()


def test_async_file_system():
    async def scenario():
        afs = dmemfs.AsyncMemoryFileSystem(max_quota=1 << 20, default_lock_timeout=5.0)
        await afs.mkdir("/a")
        async with await afs.open("/a/f.bin", "wb") as f:
            assert await f.write(b"data") == 4
            assert await f.writable() and not await f.readable() and await f.seekable()
            await f.flush()
            assert await f.tell() == 4
        async with await afs.open("/a/f.bin", "r+b") as f:
            assert await f.read(2) == b"da"
            assert await f.seek(0, 2) == 4
            assert await f.truncate(3) == 3
        assert f.closed
        await afs.copy("/a/f.bin", "/a/g.bin")
        await afs.copy_tree("/a", "/b")
        await afs.rename("/b", "/c")
        await afs.move("/c/g.bin", "/d/g.bin")
        await afs.import_tree({"/e": b"E"})
        assert await afs.exists("/e") and await afs.is_file("/e") and await afs.is_dir("/a")
        assert await afs.listdir("/a") == ["f.bin", "g.bin"]
        assert (await afs.stat("/e"))["size"] == 1 and await afs.get_size("/a/f.bin") == 3
        assert (await afs.stats())["file_count"] == 5
        assert (await afs.export_as_bytesio("/e")).read() == b"E"
        assert (await afs.export_tree("/d")) == {"/d/g.bin": b"dat"}
        assert await afs.glob("/**/g.bin") == ["/a/g.bin", "/d/g.bin"]
        assert (await afs.walk("/d")) == [("/d", [], ["g.bin"])]
        await afs.remove("/e")
        await afs.rmtree("/c")
        return sorted(await afs.listdir("/"))

    assert asyncio.run(scenario()) == ["a", "d"]


def test_async_classes_load_lazily():
    dmemfs.__dict__.pop("AsyncMemoryFileSystem", None)
    assert dmemfs.AsyncMemoryFileSystem.__name__ == "AsyncMemoryFileSystem"
    assert dmemfs.AsyncMemoryFileHandle.__name__ == "AsyncMemoryFileHandle"
    with pytest.raises(AttributeError):
        dmemfs.NoSuchName


def zip_bytes(entries: dict[str, bytes]) -> io.BytesIO:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name, data in entries.items():
            z.writestr(name, data)
    buf.seek(0)
    return buf


def tar_bytes(entries: dict[str, bytes]) -> io.BytesIO:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as t:
        for name, data in entries.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            t.addfile(info, io.BytesIO(data))
    buf.seek(0)
    return buf


def test_expand_archive_sanitizes_and_is_atomic():
    mfs = MemoryFileSystem(max_quota=10_000)
    expand_archive(mfs, zip_bytes({"a/b.txt": b"B", "../../evil": b"E", "/abs/c": b"C"}), "/out")
    assert mfs.export_tree() == {"/out/a/b.txt": b"B", "/out/evil": b"E", "/out/abs/c": b"C"}
    with pytest.raises(FileExistsError):
        expand_archive(mfs, tar_bytes({"a/b.txt": b"again", "new": b"N"}), "/out")
    assert not mfs.exists("/out/new")
    with pytest.warns(UserWarning):
        expand_archive(mfs, tar_bytes({"a/b.txt": b"again"}), "/out", on_conflict="overwrite")
    assert mfs.export_tree("/out/a") == {"/out/a/b.txt": b"again"}
    with pytest.raises(ValueError):
        expand_archive(mfs, io.BytesIO(b"not an archive"))
    with pytest.raises(ValueError):
        expand_archive(mfs, zip_bytes({}), on_conflict="skip")


def test_expand_archive_streaming_counts_writes():
    mfs = MemoryFileSystem()
    mfs.import_tree({"/x/keep": b"old"})
    n = expand_archive_streaming(mfs, zip_bytes({"keep": b"new", "d/e": b"E"}), "/x", on_conflict="skip")
    assert n == 1 and mfs.export_tree("/x") == {"/x/keep": b"old", "/x/d/e": b"E"}
    mfs.mkdir("/y/dir")
    with pytest.raises(IsADirectoryError):
        expand_archive_streaming(mfs, zip_bytes({"dir": b"?"}), "/y")


def test_custom_adapter():
    class Pairs(dmemfs.ArchiveAdapter):
        def __init__(self, pairs):
            self.pairs = pairs

        def members(self):
            yield from self.pairs

        @classmethod
        def _can_handle_impl(cls, source):
            raise RuntimeError("never asked")

    mfs = MemoryFileSystem()
    expand_archive(mfs, "ignored", adapter=Pairs([("p/q", b"Q")]))
    assert mfs.export_tree() == {"/p/q": b"Q"}
    assert Pairs.can_handle(io.BytesIO(b"")) is False  # errors mean "no"
