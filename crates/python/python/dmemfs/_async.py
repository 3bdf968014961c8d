"""Async wrappers: each call runs the synchronous one in a worker thread
(``asyncio.to_thread``), so a wait for a file lock or for the engine never
blocks the event loop. The native calls release the GIL while they wait,
so the worker threads do not hold up the loop's thread either.
"""

from __future__ import annotations

import asyncio
import io
from typing import Any

from ._native import MemoryFileHandle, MemoryFileSystem
from ._typing import MFSStatResult, MFSStats


class AsyncMemoryFileHandle:
    """An open file for ``async`` code; ``async with`` closes it."""

    def __init__(self, handle: MemoryFileHandle) -> None:
        self._handle = handle

    async def read(self, size: int = -1) -> bytes:
        return await asyncio.to_thread(self._handle.read, size)

    async def readinto(self, buffer: Any) -> int:
        return await asyncio.to_thread(self._handle.readinto, buffer)

    async def write(self, data: bytes | bytearray | memoryview) -> int:
        return await asyncio.to_thread(self._handle.write, data)

    async def seek(self, offset: int, whence: int = 0) -> int:
        return await asyncio.to_thread(self._handle.seek, offset, whence)

    async def tell(self) -> int:
        return await asyncio.to_thread(self._handle.tell)

    async def truncate(self, size: int | None = None) -> int:
        return await asyncio.to_thread(self._handle.truncate, size)

    async def flush(self) -> None:
        await asyncio.to_thread(self._handle.flush)

    async def readable(self) -> bool:
        return await asyncio.to_thread(self._handle.readable)

    async def writable(self) -> bool:
        return await asyncio.to_thread(self._handle.writable)

    async def seekable(self) -> bool:
        return await asyncio.to_thread(self._handle.seekable)

    async def close(self) -> None:
        await asyncio.to_thread(self._handle.close)

    @property
    def closed(self) -> bool:
        return self._handle.closed

    async def __aenter__(self) -> AsyncMemoryFileHandle:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()


class AsyncMemoryFileSystem:
    """``MemoryFileSystem`` for ``async`` code: the same constructor
    keywords, every method a coroutine. ``walk`` returns a list."""

    def __init__(
        self,
        max_quota: int = 256 * 1024 * 1024,
        chunk_overhead_override: int | None = None,
        promotion_hard_limit: int | None = None,
        max_nodes: int | None = None,
        default_storage: str = "auto",
        default_lock_timeout: float | None = 30.0,
        memory_guard: str = "none",
        memory_guard_action: str = "warn",
        memory_guard_interval: float = 1.0,
        *,
        concurrency: str = "global_lock",
    ) -> None:
        self._sync = MemoryFileSystem(
            max_quota=max_quota,
            chunk_overhead_override=chunk_overhead_override,
            promotion_hard_limit=promotion_hard_limit,
            max_nodes=max_nodes,
            default_storage=default_storage,
            default_lock_timeout=default_lock_timeout,
            memory_guard=memory_guard,
            memory_guard_action=memory_guard_action,
            memory_guard_interval=memory_guard_interval,
            concurrency=concurrency,
        )

    @property
    def sync(self) -> MemoryFileSystem:
        """The same filesystem, blocking API."""
        return self._sync

    async def open(
        self,
        path: str,
        mode: str = "rb",
        preallocate: int = 0,
        lock_timeout: float | None = None,
    ) -> AsyncMemoryFileHandle:
        handle = await asyncio.to_thread(self._sync.open, path, mode, preallocate, lock_timeout)
        return AsyncMemoryFileHandle(handle)

    async def mkdir(self, path: str, exist_ok: bool = False) -> None:
        await asyncio.to_thread(self._sync.mkdir, path, exist_ok)

    async def rename(self, src: str, dst: str) -> None:
        await asyncio.to_thread(self._sync.rename, src, dst)

    async def move(self, src: str, dst: str) -> None:
        await asyncio.to_thread(self._sync.move, src, dst)

    async def remove(self, path: str) -> None:
        await asyncio.to_thread(self._sync.remove, path)

    async def rmtree(self, path: str) -> None:
        await asyncio.to_thread(self._sync.rmtree, path)

    async def listdir(self, path: str) -> list[str]:
        return await asyncio.to_thread(self._sync.listdir, path)

    async def exists(self, path: str) -> bool:
        return await asyncio.to_thread(self._sync.exists, path)

    async def is_dir(self, path: str) -> bool:
        return await asyncio.to_thread(self._sync.is_dir, path)

    async def is_file(self, path: str) -> bool:
        return await asyncio.to_thread(self._sync.is_file, path)

    async def stat(self, path: str) -> MFSStatResult:
        return await asyncio.to_thread(self._sync.stat, path)

    async def stats(self) -> MFSStats:
        return await asyncio.to_thread(self._sync.stats)

    async def get_size(self, path: str) -> int:
        return await asyncio.to_thread(self._sync.get_size, path)

    async def export_as_bytesio(self, path: str, max_size: int | None = None) -> io.BytesIO:
        return await asyncio.to_thread(self._sync.export_as_bytesio, path, max_size)

    async def export_tree(self, prefix: str = "/", only_dirty: bool = False) -> dict[str, bytes]:
        return await asyncio.to_thread(self._sync.export_tree, prefix, only_dirty)

    async def import_tree(self, tree: dict[str, bytes]) -> None:
        await asyncio.to_thread(self._sync.import_tree, tree)

    async def copy(self, src: str, dst: str) -> None:
        await asyncio.to_thread(self._sync.copy, src, dst)

    async def copy_tree(self, src: str, dst: str) -> None:
        await asyncio.to_thread(self._sync.copy_tree, src, dst)

    async def walk(self, path: str = "/") -> list[tuple[str, list[str], list[str]]]:
        return await asyncio.to_thread(lambda: list(self._sync.walk(path)))

    async def glob(self, pattern: str) -> list[str]:
        return await asyncio.to_thread(self._sync.glob, pattern)
