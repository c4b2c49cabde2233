"""The slow, obviously correct point-in-time join: the oracle the DuckDB join is tested against.

Row by row, in plain Python, the rule from ``_pit.py``: the latest feature row of
the same keys with ``feature time <= event time`` (ties: the latest created), kept
only if ``feature time >= event time - ttl``; static views match on keys alone.
Times are compared exactly as given: pass pandas Timestamps to compare nanoseconds.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any


def reference_pit_join(
    entity_rows: Sequence[dict[str, Any]],
    event_timestamp: str,
    view_rows: Sequence[dict[str, Any]],
    join_keys: Sequence[str],
    features: Sequence[str],
    timestamp: str | None,
    ttl: timedelta | None,
    created_timestamp: str | None = None,
) -> list[dict[str, Any]]:
    """Each entity row with ``features`` added (None where no valid value exists)."""
    result = []
    for entity in entity_rows:
        best = _best_row(
            entity, event_timestamp, view_rows, join_keys, timestamp, created_timestamp
        )
        expired = best is not None and timestamp is not None and ttl is not None
        if expired and best[timestamp] < entity[event_timestamp] - ttl:  # type: ignore[index]
            best = None
        out = dict(entity)
        for feature in features:
            out[feature] = None if best is None else best[feature]
        result.append(out)
    return result


def _best_row(
    entity: dict[str, Any],
    event_timestamp: str,
    view_rows: Sequence[dict[str, Any]],
    join_keys: Sequence[str],
    timestamp: str | None,
    created_timestamp: str | None,
) -> dict[str, Any] | None:
    if any(entity[k] is None for k in join_keys):
        return None
    event: datetime | None = entity[event_timestamp]
    best = None
    for row in view_rows:
        if any(row[k] != entity[k] for k in join_keys):
            continue
        if timestamp is None:
            return row
        if event is None or row[timestamp] is None or row[timestamp] > event:
            continue
        if best is None or _later(row, best, timestamp, created_timestamp):
            best = row
    return best


def _later(row: dict[str, Any], best: dict[str, Any], timestamp: str, created: str | None) -> bool:
    if row[timestamp] != best[timestamp]:
        return bool(row[timestamp] > best[timestamp])
    if created is None:
        return False
    if best[created] is None:
        return row[created] is not None
    return row[created] is not None and bool(row[created] > best[created])
