"""dmemfs: D-MemFS's API (``from dmemfs import MemoryFileSystem``) on the
dmemfs engine, a Rust in-process filesystem with a hard byte quota.

``MemoryFileSystem`` and ``MemoryFileHandle`` are native (``dmemfs._native``)
and release the GIL whenever they wait or copy much; the module supports
free-threaded Python. The differences from D-MemFS are listed in the
package README.
"""

from __future__ import annotations

import io as _io
from typing import TYPE_CHECKING, Any

from ._archive import ArchiveAdapter, expand_archive, expand_archive_streaming
from ._exceptions import MFSNodeLimitExceededError, MFSQuotaExceededError
from ._native import MemoryFileHandle, MemoryFileSystem, __version__
from ._text import MFSTextHandle
from ._typing import MFSStatResult, MFSStats

if TYPE_CHECKING:
    from ._async import AsyncMemoryFileHandle, AsyncMemoryFileSystem

# The handle implements the whole RawIOBase interface natively.
_io.RawIOBase.register(MemoryFileHandle)


def __getattr__(name: str) -> Any:
    # The async wrappers import asyncio: load them when first asked for.
    if name in ("AsyncMemoryFileSystem", "AsyncMemoryFileHandle"):
        from . import _async

        globals()["AsyncMemoryFileSystem"] = _async.AsyncMemoryFileSystem
        globals()["AsyncMemoryFileHandle"] = _async.AsyncMemoryFileHandle
        return globals()[name]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "MemoryFileSystem",
    "MemoryFileHandle",
    "MFSQuotaExceededError",
    "MFSNodeLimitExceededError",
    "MFSStats",
    "MFSStatResult",
    "MFSTextHandle",
    "AsyncMemoryFileSystem",
    "AsyncMemoryFileHandle",
    "ArchiveAdapter",
    "expand_archive",
    "expand_archive_streaming",
    "__version__",
]
