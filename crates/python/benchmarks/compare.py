"""dmemfs vs D-MemFS, side by side, on D-MemFS's benchmark workloads.

Both packages are imported as ``dmemfs``, so each runs in its own
interpreter: this script starts itself once per implementation (``--worker``)
with the Python of the environment that has it installed, gathers the
timings and prints one table with the ratio D-MemFS time / dmemfs time
(above 1: dmemfs is faster).

    python compare.py --ours VENV_A/bin/python --theirs VENV_B/bin/python

Workloads (the cases of D-MemFS's benchmarks/compare_backends.py, same
sizes by default): small files (300 x 4 KiB written then read), a 16 MiB
stream in 64 KiB writes read back whole, random access (16 MiB written,
then 256 seeks + 64 KiB overwrites, read back), a 512 MiB stream in 1 MiB
pieces, many files (10,000 x 4 KiB written, 5,000 random reads), a deep tree
(50 levels, 1,000 reads of a 1 KiB file at the bottom), and 8 Python threads
on one filesystem (each writes and reads back 200 files of 16 KiB of its own
and reads one shared 64 KiB file after each).
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable

KIB = 1024
MIB = 1024 * KIB


def small_files(fs_cls, count: int = 300, size: int = 4 * KIB) -> None:
    fs = fs_cls(max_quota=1024 * MIB)
    fs.mkdir("/bench")
    payload = b"x" * size
    for i in range(count):
        with fs.open(f"/bench/f{i:05d}.bin", "wb") as f:
            f.write(payload)
    got = 0
    for i in range(count):
        with fs.open(f"/bench/f{i:05d}.bin", "rb") as f:
            got += len(f.read())
    assert got == count * size


def stream(fs_cls, total: int = 16 * MIB, chunk: int = 64 * KIB) -> None:
    fs = fs_cls(max_quota=1024 * MIB)
    piece = b"y" * chunk
    with fs.open("/stream.bin", "wb") as f:
        for _ in range(total // chunk):
            f.write(piece)
    with fs.open("/stream.bin", "rb") as f:
        assert len(f.read()) == total


def random_access(fs_cls, total: int = 16 * MIB, chunk: int = 64 * KIB) -> None:
    fs = fs_cls(max_quota=1024 * MIB)
    piece = b"z" * chunk
    loops = total // chunk
    with fs.open("/random.bin", "wb") as f:
        for _ in range(loops):
            f.write(piece)
    positions = random.Random(42)
    with fs.open("/random.bin", "r+b") as f:
        for _ in range(loops):
            f.seek(positions.randint(0, total - chunk))
            f.write(piece)
    with fs.open("/random.bin", "rb") as f:
        assert len(f.read()) == total


def large_stream(fs_cls, total: int = 512 * MIB, chunk: int = 1 * MIB) -> None:
    fs = fs_cls(max_quota=total * 3)
    piece = b"L" * chunk
    with fs.open("/large.bin", "wb") as f:
        for _ in range(total // chunk):
            f.write(piece)
    got = 0
    with fs.open("/large.bin", "rb") as f:
        while data := f.read(chunk):
            got += len(data)
    assert got == total


def many_files(fs_cls, count: int = 10_000, size: int = 4 * KIB) -> None:
    fs = fs_cls(max_quota=2048 * MIB)
    payload = b"m" * size
    for i in range(count):
        with fs.open(f"/f{i:06d}.bin", "wb") as f:
            f.write(payload)
    picks = random.Random(42)
    got = 0
    for _ in range(count // 2):
        with fs.open(f"/f{picks.randint(0, count - 1):06d}.bin", "rb") as f:
            got += len(f.read())
    assert got == count // 2 * size


def deep_tree(fs_cls, depth: int = 50, reads: int = 1000) -> None:
    fs = fs_cls(max_quota=1024 * MIB)
    parts = [f"d{i}" for i in range(depth)]
    for level in range(1, depth + 1):
        fs.mkdir("/" + "/".join(parts[:level]), exist_ok=True)
    path = "/" + "/".join(parts) + "/file.bin"
    with fs.open(path, "wb") as f:
        f.write(b"d" * KIB)
    got = 0
    for _ in range(reads):
        with fs.open(path, "rb") as f:
            got += len(f.read())
    assert got == reads * KIB


def threads8(fs_cls, threads: int = 8, files: int = 200, size: int = 16 * KIB) -> None:
    fs = fs_cls(max_quota=1024 * MIB, default_lock_timeout=None)
    with fs.open("/shared.bin", "wb") as f:
        f.write(b"s" * 64 * KIB)
    start = threading.Barrier(threads)
    failures: list[BaseException] = []

    def work(t: int) -> None:
        try:
            start.wait()
            fs.mkdir(f"/t{t}")
            payload = bytes([t]) * size
            for i in range(files):
                with fs.open(f"/t{t}/f{i}", "wb") as f:
                    f.write(payload)
                with fs.open(f"/t{t}/f{i}", "rb") as f:
                    assert f.read() == payload
                with fs.open("/shared.bin", "rb") as f:
                    assert len(f.read()) == 64 * KIB
        except BaseException as e:  # re-raised in the main thread
            failures.append(e)

    workers = [threading.Thread(target=work, args=(t,)) for t in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    if failures:
        raise failures[0]


CASES: dict[str, Callable[..., None]] = {
    "small_files_rw": small_files,
    "stream_write_read": stream,
    "random_access_rw": random_access,
    "large_stream_write_read": large_stream,
    "many_files_random_read": many_files,
    "deep_tree_read": deep_tree,
    "threads8_rw": threads8,
}


def worker(cases: list[str], repeat: int) -> None:
    """Times each case `repeat` times (after one warm-up) with the `dmemfs`
    this interpreter imports; prints JSON."""
    import dmemfs

    out: dict[str, object] = {"version": getattr(dmemfs, "__version__", "?"), "seconds": {}}
    for name in cases:
        case = CASES[name]
        case(dmemfs.MemoryFileSystem)
        runs = []
        for _ in range(repeat):
            begin = time.perf_counter()
            case(dmemfs.MemoryFileSystem)
            runs.append(time.perf_counter() - begin)
        out["seconds"][name] = runs  # type: ignore[index]
    print(json.dumps(out))


def run_worker(python: str, cases: list[str], repeat: int) -> dict:
    cmd = [python, __file__, "--worker", "--repeat", str(repeat), "--cases", *cases]
    done = subprocess.run(cmd, check=True, capture_output=True, text=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--ours", help="Python with dmemfs-python installed")
    parser.add_argument("--theirs", help="Python with D-MemFS installed")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--cases", nargs="+", default=list(CASES), choices=list(CASES))
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args.cases, args.repeat)
        return
    if not (args.ours and args.theirs):
        parser.error("--ours and --theirs are required")
    # Interleaved per case, so a slow spell of the machine hits both.
    ours: dict[str, list[float]] = {}
    theirs: dict[str, list[float]] = {}
    versions = {}
    for case in args.cases:
        a = run_worker(args.ours, [case], args.repeat)
        b = run_worker(args.theirs, [case], args.repeat)
        versions = {"ours": a["version"], "theirs": b["version"]}
        ours[case] = a["seconds"][case]
        theirs[case] = b["seconds"][case]
    print(f"dmemfs-python {versions['ours']} vs D-MemFS {versions['theirs']}; "
          f"median of {args.repeat} runs after a warm-up, milliseconds")
    print()
    print("| case | D-MemFS (ms) | dmemfs (ms) | D-MemFS / dmemfs |")
    print("|---|---:|---:|---:|")
    for case in args.cases:
        t = statistics.median(theirs[case]) * 1000
        o = statistics.median(ours[case]) * 1000
        print(f"| {case} | {t:,.1f} | {o:,.1f} | {t / o:.2f}x |")


if __name__ == "__main__":
    main()
