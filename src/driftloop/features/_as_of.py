"""Online lookups "as of" a past time, answered from the offline store.

The online store keeps only the latest value per entity, so it cannot say what it held
at an earlier time: a value written later has replaced the one it held then. What it
would have answered at ``T`` is the point-in-time value as of ``T`` (the latest row
with feature time <= T, within the TTL judged at T), which is the training-set join
with one event at ``T`` per entity row, run over the views' offline sources.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import pyarrow as pa

from driftloop._duckdb import DuckDB
from driftloop.errors import InvalidInputError
from driftloop.features._lookup import Selected, checked_keys, entity_columns
from driftloop.features._offline import DatasetResolver
from driftloop.features._protocols import OnlineStore
from driftloop.features._training import build_training_table

_EVENT = "__dl_as_of"


def lookup_as_of(
    online: OnlineStore,
    selected: Sequence[Selected],
    entity_rows: Any,
    as_of: datetime,
    resolve: DatasetResolver,
    duck: DuckDB | None = None,
) -> dict[str, list[Any]]:
    """Entity columns plus one column per output feature, each its value as of ``as_of``.

    Same shape as an online lookup, and keys are checked as for one (``online`` holds
    the stored key types); a naive ``as_of`` is UTC. Raises InvalidInputError for keys an
    online lookup refuses, or a key column mixing types the join cannot compare; errors
    reading a view's source name the view.
    """
    columns = entity_columns(entity_rows)
    count = len(next(iter(columns.values()), []))
    for version, _, _ in selected:
        checked_keys(online, version, columns, count)
    keys = list(dict.fromkeys(k for version, _, _ in selected for k in version.view.join_keys))
    moment = as_of if as_of.tzinfo is not None else as_of.replace(tzinfo=UTC)
    arrays = {k: _key_array(k, columns[k]) for k in keys}
    arrays[_EVENT] = pa.array([moment] * count, pa.timestamp("us", tz="UTC"))
    joined = build_training_table(pa.table(arrays), _EVENT, selected, resolve, duck)
    result = dict(columns)
    for _, _, outputs in selected:
        for output in outputs:
            result[output] = joined.column(output).to_pylist()
    return result


def _key_array(name: str, values: list[Any]) -> pa.Array:
    try:
        return pa.array(values)
    except (pa.ArrowInvalid, pa.ArrowTypeError) as exc:
        kinds = sorted({type(v).__name__ for v in values if v is not None})
        raise InvalidInputError(
            f"join key {name!r} mixes value types {kinds}; give every row the same type"
        ) from exc
