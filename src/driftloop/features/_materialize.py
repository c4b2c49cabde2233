"""Materialization: the latest value per entity of a view, from DuckDB into the online store.

DuckDB computes the latest row per entity and encodes keys and values as JSON
(vectorised), so Python only moves strings. Incremental runs compare with a
snapshot of what was written before (key and a hash of time and value, per view
version) and write only what changed, which includes rows that arrived late for a
period already materialized.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from driftloop._duckdb import (
    Cursor,
    DuckDB,
    cursor_of,
    parquet_relation,
    quote_identifier,
    translate_errors,
)
from driftloop.features._models import FeatureViewVersion
from driftloop.features._offline import DatasetResolver, register_source, to_pit_view
from driftloop.features._online import KEY_TYPES, key_sql
from driftloop.features._pit import build_latest_query
from driftloop.features._protocols import OnlineStore

_BATCH_ROWS = 100_000
quote = quote_identifier


@dataclass(frozen=True, slots=True)
class MaterializeResult:
    """One view's materialization: rows written and the source's newest event time.

    ``error`` is None when it worked; otherwise the message of why this view failed
    (the other views are materialized all the same).
    """

    view: str
    version: int
    rows_written: int
    start: datetime | None
    end: datetime | None
    source_watermark: datetime | None
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


def _latest(
    version: FeatureViewVersion, relation: str, start: datetime | None, end: datetime | None
) -> tuple[str, dict[str, Any]]:
    view = version.view
    pit = to_pit_view(view, relation, view.feature_names, view.feature_names)
    # A static view ignores the window, and DuckDB refuses parameters a query lacks.
    window = (("start", start), ("end", end)) if view.timestamp is not None else ()
    params = {k: v for k, v in window if v is not None}
    latest = build_latest_query(
        pit, "$start" if start is not None else None, "$end" if end is not None else None
    )
    return latest, params


def _encoded_latest(
    version: FeatureViewVersion, latest: str, key_types: dict[str, str], params: dict[str, Any]
) -> str:
    """The query of (key, time, payload) rows; adds the feature names it binds to ``params``."""
    view = version.view
    # Each key part encoded on its own (key_sql): composite keys may mix types.
    key = key_sql([(quote(k), key_types[k]) for k in view.join_keys])
    pairs = []
    for i, feature in enumerate(view.features):
        params[f"feature_{i}"] = feature.name  # the JSON key: bound, as every value is
        # Columns are quoted identifiers; types come from the fixed type table.
        pairs.append(f"$feature_{i}, CAST({quote(feature.name)} AS {feature.dtype})")
    return (
        f"SELECT {key} AS key, epoch_us(__dl_ts) / 1e6 AS t, "
        f"json_object({', '.join(pairs)})::VARCHAR AS payload FROM ({latest})"
    )


def _key_types(
    con: Cursor, latest: str, params: dict[str, Any], join_keys: tuple[str, ...]
) -> dict[str, str]:
    columns = ", ".join(quote(k) for k in join_keys)
    relation = con.sql(f"SELECT {columns} FROM ({latest}) LIMIT 0", params=params)
    return {k: str(t) for k, t in zip(join_keys, relation.types, strict=True)}


def materialize_view(
    version: FeatureViewVersion,
    online: OnlineStore,
    resolve: DatasetResolver,
    snapshot_dir: Path,
    *,
    start: datetime | None = None,
    end: datetime | None = None,
    incremental: bool = False,
    duck: DuckDB | None = None,
) -> MaterializeResult:
    """Write the latest value per entity with ``start <= time <= end`` to ``online``.

    Raises driftloop errors only (DuckDB's are translated, naming the view).
    """
    what = f"materializing feature view {version.ref}"
    with cursor_of(duck) as con:
        relation = register_source(con, version.view, resolve)
        latest, params = _latest(version, relation, start, end)
        with translate_errors(what):
            key_types = _key_types(con, latest, params, version.view.join_keys)
            encoded = _encoded_latest(version, latest, key_types, params)
            con.execute(
                f"CREATE TEMP TABLE __dl_out AS SELECT * FROM ({encoded}) WHERE key IS NOT NULL",
                params,
            )
        snapshot = snapshot_dir / f"{version.name}@{version.version}.parquet"
        changed = "SELECT * FROM __dl_out"
        if incremental and snapshot.exists():
            con.register("__dl_old", parquet_relation(con, [snapshot], f"{what}: snapshot"))
            changed = (
                "SELECT n.* FROM __dl_out n LEFT JOIN __dl_old o USING (key) "
                "WHERE o.key IS NULL OR o.h IS DISTINCT FROM hash(n.t, n.payload)"
            )
        with translate_errors(what):
            # Key order makes SQLite's B-tree inserts appends: about 4x faster than random.
            written = _write(con, f"{changed} ORDER BY key", online, version.name)
            # Lookups check keys against these types (e.g. refuse 32.5 for an integer key).
            online.write(version.name, [(KEY_TYPES, None, json.dumps(key_types))])
            _save_snapshot(con, snapshot, what)
            watermark = _watermark(con, relation, version)
    return MaterializeResult(version.name, version.version, written, start, end, watermark)


def _write(con: Cursor, query: str, online: OnlineStore, view: str) -> int:
    reader = con.sql(query).to_arrow_reader(_BATCH_ROWS)
    written = 0
    for batch in reader:
        columns = batch.to_pydict()
        written += online.write(
            view, zip(columns["key"], columns["t"], columns["payload"], strict=True)
        )
    return written


def _save_snapshot(con: Cursor, snapshot: Path, what: str) -> None:
    snapshot.parent.mkdir(parents=True, exist_ok=True)
    rows = "SELECT key, hash(t, payload) AS h FROM __dl_out"
    if snapshot.exists():
        con.register("__dl_prev", parquet_relation(con, [snapshot], f"{what}: snapshot"))
        rows += (
            " UNION ALL SELECT key, h FROM __dl_prev WHERE key NOT IN (SELECT key FROM __dl_out)"
        )
    partial = snapshot.with_suffix(".tmp")
    con.sql(rows).write_parquet(str(partial))
    partial.replace(snapshot)  # atomic: a crash leaves the old snapshot, never half a new one


def _watermark(con: Cursor, relation: str, version: FeatureViewVersion) -> datetime | None:
    if version.view.timestamp is None:
        return None
    # Through Arrow: DuckDB's own conversion of TIMESTAMPTZ to Python needs pytz.
    ts = quote(version.view.timestamp)
    value = con.sql(f"SELECT max({ts})::TIMESTAMPTZ AS m FROM {relation}").to_arrow_table()
    found = value.column("m")[0].as_py()
    return None if found is None else found.astimezone(UTC)
