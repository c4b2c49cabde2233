"""Who made what: records created while an observer is active, for pipeline lineage.

A pipeline worker observes while it runs a step; the tracking, dataset and registry
services report each run, dataset version and model version they create. A
context variable scopes it to the step's thread (and the tasks it starts), so
concurrent callers in other threads are not attributed to the step.
"""

from __future__ import annotations

import contextvars
from collections.abc import Iterator
from contextlib import contextmanager

_observers: contextvars.ContextVar[tuple[list[tuple[str, str]], ...]] = contextvars.ContextVar(
    "driftloop_observers", default=()
)


def created(kind: str, ref: str) -> None:
    """Report a new record (``kind`` is "run", "dataset_version" or "model_version")."""
    for seen in _observers.get():
        seen.append((kind, ref))


@contextmanager
def observe() -> Iterator[list[tuple[str, str]]]:
    """Collect the (kind, ref) of every record created inside the block."""
    seen: list[tuple[str, str]] = []
    token = _observers.set((*_observers.get(), seen))
    try:
        yield seen
    finally:
        _observers.reset(token)
