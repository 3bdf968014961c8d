"""Archive extraction into a ``MemoryFileSystem`` (D-MemFS 0.4's API).

Adapters turn an archive into ``(name, bytes)`` pairs; ``expand_archive``
imports them all or nothing (through ``import_tree``), and
``expand_archive_streaming`` writes them one by one. Entry names are made
safe before use: backslashes become ``/``, leading ``/`` and ``..`` parts
are dropped, and a name that is left empty is skipped, so no entry lands
outside ``dest``.
"""

from __future__ import annotations

import io
import posixpath
import tarfile
import warnings
import zipfile
from abc import ABC, abstractmethod
from collections.abc import Iterator
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from ._native import MemoryFileSystem

__all__ = [
    "ArchiveAdapter",
    "ZipAdapter",
    "TarAdapter",
    "expand_archive",
    "expand_archive_streaming",
]

Source = str | io.BytesIO


def _safe_name(name: str) -> str:
    """``name`` as a relative path that cannot climb out; ``""`` to skip."""
    path = posixpath.normpath(name.replace("\\", "/").lstrip("/") or ".")
    parts = [p for p in path.split("/") if p not in ("", ".", "..")]
    return "/".join(parts)


class ArchiveAdapter(ABC):
    """Reads one archive format. Subclasses implement ``members`` and
    ``_can_handle_impl``; ``can_handle`` wraps the latter (restoring a
    ``BytesIO``'s position and turning any exception into ``False``)."""

    @abstractmethod
    def members(self) -> Iterator[tuple[str, bytes]]:
        """``(name in the archive, content)`` for each regular file."""

    @classmethod
    def can_handle(cls, source: Source) -> bool:
        """Whether this adapter reads ``source``; never raises."""
        try:
            if isinstance(source, io.BytesIO):
                position = source.tell()
                try:
                    return bool(cls._can_handle_impl(source))
                finally:
                    source.seek(position)
            return bool(cls._can_handle_impl(source))
        except Exception:
            return False

    @classmethod
    @abstractmethod
    def _can_handle_impl(cls, source: Source) -> bool:
        """The format check itself; may raise."""

    def close(self) -> None:
        """Releases what the adapter holds (nothing by default)."""

    def __enter__(self) -> ArchiveAdapter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class ZipAdapter(ArchiveAdapter):
    """ZIP archives (``zipfile``)."""

    def __init__(self, source: Source) -> None:
        self._source = source

    def members(self) -> Iterator[tuple[str, bytes]]:
        with zipfile.ZipFile(self._source) as archive:
            for info in archive.infolist():
                if not info.is_dir():
                    yield info.filename, archive.read(info)

    @classmethod
    def _can_handle_impl(cls, source: Source) -> bool:
        return zipfile.is_zipfile(source)


class TarAdapter(ArchiveAdapter):
    """TAR archives, plain or compressed (``tarfile``), read member by member."""

    def __init__(self, source: Source) -> None:
        self._source = source

    def members(self) -> Iterator[tuple[str, bytes]]:
        if isinstance(self._source, io.BytesIO):
            archive = tarfile.open(fileobj=self._source)
        else:
            archive = tarfile.open(name=self._source)
        with archive:
            for member in archive:
                if not member.isfile():
                    continue
                content = archive.extractfile(member)
                if content is not None:
                    yield member.name, content.read()

    @classmethod
    def _can_handle_impl(cls, source: Source) -> bool:
        return tarfile.is_tarfile(source)


_DEFAULT_ADAPTERS: list[type[ArchiveAdapter]] = [ZipAdapter, TarAdapter]


def _choose(
    source: Source,
    adapter: ArchiveAdapter | None,
    adapters: list[type[ArchiveAdapter]] | None,
) -> ArchiveAdapter:
    if adapter is not None:
        return adapter
    candidates = _DEFAULT_ADAPTERS if adapters is None else adapters
    for candidate in candidates:
        if candidate.can_handle(source):
            return candidate(source)
    tried = [c.__name__ for c in candidates]
    raise ValueError(f"No registered adapter can handle the given source. Tried adapters: {tried}")


def _check_conflict(on_conflict: str, allowed: tuple[str, ...], function: str) -> None:
    if on_conflict not in allowed:
        raise ValueError(
            f"Invalid on_conflict={on_conflict!r}. {function}() accepts: {sorted(allowed)}"
        )


def _destinations(adapter: ArchiveAdapter, dest: str) -> Iterator[tuple[str, bytes]]:
    """``(path in the filesystem, content)`` for each entry with a safe name."""
    prefix = dest.rstrip("/")
    with adapter:
        for name, content in adapter.members():
            safe = _safe_name(name)
            if safe:
                yield f"{prefix}/{safe}", content


def expand_archive(
    mfs: MemoryFileSystem,
    source: Source,
    dest: str = "/",
    *,
    on_conflict: Literal["raise", "overwrite"] = "raise",
    adapter: ArchiveAdapter | None = None,
    adapters: list[type[ArchiveAdapter]] | None = None,
) -> None:
    """Extracts an archive (a path or a ``BytesIO``) below ``dest``, all or
    nothing.

    ``on_conflict="raise"`` refuses (``FileExistsError``) a name that occurs
    twice or a file that exists; ``"overwrite"`` replaces them with a
    ``UserWarning``. A directory in the way is always ``IsADirectoryError``.
    Quota and every other error leave the filesystem unchanged.
    """
    _check_conflict(on_conflict, ("raise", "overwrite"), "expand_archive")
    tree: dict[str, bytes] = {}
    for path, content in _destinations(_choose(source, adapter, adapters), dest):
        if path in tree:
            if on_conflict == "raise":
                raise FileExistsError(f"Duplicate path in archive (after sanitization): {path!r}")
            warnings.warn(
                f"Duplicate archive entry {path!r}; later entry will overwrite earlier one.",
                UserWarning,
                stacklevel=2,
            )
        tree[path] = content
    for path in tree:
        if mfs.is_dir(path):
            raise IsADirectoryError(f"Cannot extract file over existing directory: {path!r}")
        if mfs.is_file(path):
            if on_conflict == "raise":
                raise FileExistsError(f"File already exists in MFS: {path!r}")
            warnings.warn(
                f"Existing MFS file {path!r} will be overwritten.", UserWarning, stacklevel=2
            )
    mfs.import_tree(tree)


def expand_archive_streaming(
    mfs: MemoryFileSystem,
    source: Source,
    dest: str = "/",
    *,
    on_conflict: Literal["raise", "overwrite", "skip"] = "raise",
    adapter: ArchiveAdapter | None = None,
    adapters: list[type[ArchiveAdapter]] | None = None,
) -> int:
    """Extracts an archive entry by entry; returns how many files it wrote.

    Not atomic: on an error the entries written so far stay.
    ``on_conflict`` is ``"raise"`` (``FileExistsError``), ``"overwrite"``
    (with a ``UserWarning``; a name occurring twice is written twice) or
    ``"skip"`` (the first entry and existing files win). A directory in the
    way is always ``IsADirectoryError``.
    """
    _check_conflict(on_conflict, ("raise", "overwrite", "skip"), "expand_archive_streaming")
    written = 0
    seen: set[str] = set()
    for path, content in _destinations(_choose(source, adapter, adapters), dest):
        if path in seen:
            if on_conflict == "raise":
                raise FileExistsError(f"Duplicate path in archive (after sanitization): {path!r}")
            if on_conflict == "skip":
                continue
            warnings.warn(
                f"Duplicate archive entry {path!r}; later entry will overwrite earlier one.",
                UserWarning,
                stacklevel=2,
            )
        else:
            seen.add(path)
            if mfs.is_dir(path):
                raise IsADirectoryError(f"Cannot extract file over existing directory: {path!r}")
            if mfs.is_file(path):
                if on_conflict == "raise":
                    raise FileExistsError(f"File already exists in MFS: {path!r}")
                if on_conflict == "skip":
                    continue
                warnings.warn(
                    f"Existing MFS file {path!r} will be overwritten.", UserWarning, stacklevel=2
                )
        mfs.mkdir(posixpath.dirname(path) or "/", exist_ok=True)
        with mfs.open(path, "wb") as handle:
            handle.write(content)
        written += 1
    return written
