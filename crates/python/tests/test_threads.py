"""Threads: eight Python threads on one filesystem; waits release the GIL;
a handle shared between threads stays sound."""

from __future__ import annotations

import threading

import pytest

from dmemfs import MemoryFileSystem

THREADS = 8


def run_threads(target, n=THREADS):
    errors: list[BaseException] = []
    start = threading.Barrier(n)

    def worker(i):
        try:
            start.wait()
            target(i)
        except BaseException as e:  # reported below
            errors.append(e)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []


@pytest.mark.parametrize("concurrency", ["global_lock", "actor"])
def test_eight_threads_mixed_operations(concurrency):
    mfs = MemoryFileSystem(max_quota=64 << 20, concurrency=concurrency)
    mfs.mkdir("/shared")
    with mfs.open("/shared/common", "wb") as f:
        f.write(b"c" * 10_000)

    def work(i):
        base = f"/t{i}"
        mfs.mkdir(base)
        for n in range(100):
            path = f"{base}/f{n}"
            payload = bytes([i]) * (n + 1) * 37
            with mfs.open(path, "wb") as f:
                f.write(payload[:1000])
                f.write(payload[1000:])
            with mfs.open(path, "rb") as f:
                assert f.read() == payload
            with mfs.open("/shared/common", "rb") as f:
                assert f.read() == b"c" * 10_000
            if n % 10 == 0:
                mfs.rename(path, path + ".old")
                mfs.copy(path + ".old", path)
                mfs.remove(path + ".old")
            with mfs.open(f"/shared/log{i % 2}", "ab", lock_timeout=None) as f:
                f.write(b"%d:%d\n" % (i, n))
        assert len(mfs.listdir(base)) == 100

    run_threads(work)
    stats = mfs.stats()
    assert stats["file_count"] == THREADS * 100 + 3
    log = b"".join(mfs.export_as_bytesio(f"/shared/log{k}").getvalue() for k in (0, 1))
    assert sorted(log.splitlines()) == sorted(b"%d:%d" % (i, n) for i in range(THREADS) for n in range(100))
    # The ledger holds exactly what the files are charged.
    expected = sum(len(v) for v in mfs.export_tree().values())
    assert stats["used_bytes"] >= expected


@pytest.mark.parametrize("concurrency", ["global_lock", "actor"])
def test_eight_threads_contend_for_one_file(concurrency):
    mfs = MemoryFileSystem(default_lock_timeout=None, concurrency=concurrency)
    with mfs.open("/counter", "wb") as f:
        f.write(b"0")

    def bump(_):
        for _ in range(50):
            with mfs.open("/counter", "r+b") as f:
                value = int(f.read())
                f.seek(0)
                f.write(str(value + 1).encode())

    run_threads(bump)
    with mfs.open("/counter", "rb") as f:
        assert int(f.read()) == THREADS * 50


def test_a_wait_for_a_lock_lets_other_threads_run():
    # The opener waits for the lock with the GIL released, so this thread
    # can run Python and close the holder; were the GIL held, the opener
    # would time out (BlockingIOError) instead.
    mfs = MemoryFileSystem()
    holder = mfs.open("/f", "wb")
    holder.write(b"first")
    started = threading.Event()
    got: list[bytes] = []

    def opener():
        started.set()
        with mfs.open("/f", "rb", lock_timeout=20.0) as f:
            got.append(f.read())

    t = threading.Thread(target=opener)
    t.start()
    started.wait()
    total = sum(len(mfs.listdir("/")) for _ in range(1000))
    holder.close()
    t.join()
    assert total == 1000 and got == [b"first"]


def test_one_handle_shared_by_eight_threads_is_sound():
    # D-MemFS calls sharing a handle unsafe; here calls are serialized: no
    # byte is lost or torn, only their order is the threads'.
    mfs = MemoryFileSystem()
    f = mfs.open("/shared", "ab")

    def write(i):
        for _ in range(200):
            f.write(bytes([65 + i]) * 100)

    run_threads(write)
    f.close()
    with mfs.open("/shared", "rb") as r:
        data = r.read()
    assert len(data) == THREADS * 200 * 100
    chunks = [data[k : k + 100] for k in range(0, len(data), 100)]
    assert all(c == c[:1] * 100 for c in chunks)
    assert sorted(set(chunks)) == [bytes([65 + i]) * 100 for i in range(THREADS)]
