"""The quota exceptions, with D-MemFS's constructors, attributes and bases.

The native module raises these (it imports them from here); every other
error is a built-in exception (see the package README).
"""

from __future__ import annotations


class MFSQuotaExceededError(OSError):
    """An operation needs more of the byte quota than is free.

    ``requested`` is what it needed (chunk overhead included), ``available``
    what was free. Nothing of the operation was stored.
    """

    def __init__(self, requested: int, available: int) -> None:
        self.requested = requested
        self.available = available
        super().__init__(
            f"MFS quota exceeded: requested {requested} bytes, "
            f"only {available} bytes available."
        )


class MFSNodeLimitExceededError(MFSQuotaExceededError):
    """Creating a node would pass ``max_nodes`` (the root counts as one).

    ``current`` is how many nodes exist, ``limit`` the configured maximum.
    """

    def __init__(self, current: int, limit: int) -> None:
        super().__init__(requested=current + 1, available=limit - current)
        self.current = current
        self.limit = limit
        self.args = (f"MFS node limit exceeded: current {current} nodes, limit is {limit}.",)
