"""pytest plugin: the ``mfs`` fixture, a fresh 1 MiB ``MemoryFileSystem``
per test.

Installed as a ``pytest11`` entry point, so it is active wherever this
package is installed; ``pytest_plugins = ["dmemfs._pytest_plugin"]`` in a
conftest.py (D-MemFS's way to opt in) keeps working too. A conftest's own
``mfs`` fixture takes precedence over this one.
"""

from __future__ import annotations

import pytest

from ._native import MemoryFileSystem


@pytest.fixture
def mfs() -> MemoryFileSystem:
    """A new ``MemoryFileSystem(max_quota=1 MiB)`` for each test."""
    return MemoryFileSystem(max_quota=1 * 1024 * 1024)
