"""The online store protocol: latest feature values per entity, looked up by key in microseconds.

Contract (checked by ``tests/contract/test_online_store.py`` on every backend):

- ``write(view, rows)`` stores ``(key, event_time, payload)`` rows; for a key already
  stored, the row replaces it only if its event time is the same or later (a static
  row, event time ``None``, always replaces). Re-running a materialization, or
  running an older window after a newer one, never moves a value back in time.
- ``read(view, keys)`` returns, per key in order, ``(event_time, payload)`` or
  ``None`` for an unknown key. Keys and payloads are opaque strings; encoding them
  (JSON of the join key values and of the feature values) is done once above the
  protocol. Event times are POSIX seconds (float).
- ``delete_view(view)`` forgets every value of a view; ``close()`` frees connections.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Protocol

OnlineRow = tuple[str, float | None, str]
OnlineValue = tuple[float | None, str]


class OnlineStore(Protocol):
    """Latest value per (view, entity key); see the module docstring for the contract."""

    url: str

    def write(self, view: str, rows: Iterable[OnlineRow]) -> int:
        """Store rows (newer-or-equal event time wins); returns how many were offered."""
        ...

    def read(self, view: str, keys: Sequence[str]) -> list[OnlineValue | None]:
        """The stored value of each key, or None where the key is unknown."""
        ...

    def delete_view(self, view: str) -> None:
        """Forget all values of ``view``."""
        ...

    def close(self) -> None:
        """Release connections; the store may be used again afterwards (it reconnects)."""
        ...
