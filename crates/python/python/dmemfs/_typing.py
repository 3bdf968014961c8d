"""The dictionaries ``stat()`` and ``stats()`` return."""

from __future__ import annotations

from typing import TypedDict


class MFSStats(TypedDict):
    """``MemoryFileSystem.stats()``: quota and node figures.

    ``dir_count`` includes the root directory; ``chunk_count`` counts the
    chunks of sequential storage; ``overhead_per_chunk_estimate`` is the
    quota charge per chunk.
    """

    used_bytes: int
    quota_bytes: int
    free_bytes: int
    file_count: int
    dir_count: int
    chunk_count: int
    overhead_per_chunk_estimate: int


class MFSStatResult(TypedDict):
    """``MemoryFileSystem.stat(path)``: times are ``time.time()`` seconds;
    directories have size 0 and generation 0."""

    size: int
    created_at: float
    modified_at: float
    generation: int
    is_dir: bool
