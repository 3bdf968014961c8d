"""``MFSTextHandle``: text reading and writing over a binary handle.

It keeps no byte buffer: each ``write`` encodes and writes at once (so the
quota is checked at once), and reads take bytes from the handle only until
the characters asked for are complete, so the binary handle's cursor stays
right behind the text returned. Only characters decoded but not yet returned
(a ``\\r`` looked at by ``readline``, the rest of a multi-character decode)
are held back, and they are returned first.
"""

from __future__ import annotations

import codecs
from collections.abc import Iterator
from typing import Any


class MFSTextHandle:
    """Text I/O on ``handle`` (from ``MemoryFileSystem.open``) in
    ``encoding``, with ``errors`` as in ``bytes.decode``.

    ``read(size)`` and ``readline(limit)`` count characters, not bytes.
    Lines end at ``\\n``, ``\\r\\n`` or a lone ``\\r``. Leaving a ``with``
    block does not close the binary handle.
    """

    def __init__(self, handle: Any, encoding: str = "utf-8", errors: str = "strict") -> None:
        self._handle = handle
        self._encoding = encoding
        self._errors = errors
        # Decoded characters not returned yet; they come first.
        self._held = ""

    @property
    def encoding(self) -> str:
        return self._encoding

    @property
    def errors(self) -> str:
        return self._errors

    def write(self, text: str) -> int:
        """Encodes and writes ``text``; the number of characters."""
        self._handle.write(text.encode(self._encoding, self._errors))
        return len(text)

    def read(self, size: int = -1) -> str:
        """Up to ``size`` characters (everything that remains if negative);
        ``""`` at the end."""
        if size is None or size < 0:
            held, self._held = self._held, ""
            return held + self._handle.read().decode(self._encoding, self._errors)
        out: list[str] = []
        count = 0
        while count < size:
            piece = self._next_text()
            if not piece:
                break
            take = piece[: size - count]
            self._held = piece[len(take):] + self._held
            out.append(take)
            count += len(take)
        return "".join(out)

    def readline(self, limit: int = -1) -> str:
        """One line with its ending, at most ``limit`` characters if given;
        ``""`` at the end."""
        line: list[str] = []
        while limit is None or limit < 0 or len(line) < limit:
            ch = self.read(1)
            if not ch:
                break
            line.append(ch)
            if ch == "\n":
                break
            if ch == "\r":
                after = self.read(1)
                if after == "\n":
                    line.append(after)
                else:
                    self._held = after + self._held
                break
        return "".join(line)

    def _next_text(self) -> str:
        """The held characters, or the next decoded characters, taking bytes
        from the handle one at a time until they complete a character."""
        if self._held:
            held, self._held = self._held, ""
            return held
        decoder = codecs.getincrementaldecoder(self._encoding)(errors=self._errors)
        while True:
            byte = self._handle.read(1)
            if not byte:
                return decoder.decode(b"", final=True)
            text = decoder.decode(byte)
            if text:
                return text

    def __iter__(self) -> Iterator[str]:
        return self

    def __next__(self) -> str:
        line = self.readline()
        if not line:
            raise StopIteration
        return line

    def __enter__(self) -> MFSTextHandle:
        return self

    def __exit__(self, *exc: object) -> None:
        # The binary handle belongs to the caller's `with mfs.open(...)`.
        return None
