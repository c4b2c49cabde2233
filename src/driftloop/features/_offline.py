"""The offline store: DuckDB over Parquet (datasets), out of core, UTC throughout."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from driftloop._duckdb import (
    Cursor,
    file_relation,
    parquet_relation,
    quote_identifier,
    translate_errors,
)
from driftloop.errors import InvalidInputError
from driftloop.features._models import FeatureView
from driftloop.features._pit import ROW_ID, PitView

# Resolves a dataset reference ("weather", "weather@3") to local Parquet files.
DatasetResolver = Callable[[str], list[Path]]

_SQL_START = re.compile(r"^\s*(select|with|from)\b", re.IGNORECASE)
_TABLE_REF = re.compile(r"\b(?:from|join)\s+(\"[^\"]+\"|[A-Za-z_][A-Za-z0-9_]*)", re.IGNORECASE)
_ENTITY = "__dl_entity"
EVENT_TIME = "__dl_event_ts"  # the entity's event time as TIMESTAMPTZ, for the join only
_TEMPORAL = ("TIMESTAMP", "DATE")
_UTC = "TIMESTAMPTZ"
_UTC_NS = "TIMESTAMPTZ_NS"
# How DuckDB names the two UTC instant types (microseconds, nanoseconds).
_UTC_TYPES = ("TIMESTAMP WITH TIME ZONE", "TIMESTAMPTZ_NS")


def _is_path(source: str) -> bool:
    return "/" in source or source.endswith((".parquet", ".csv")) or "*" in source


def dataset_refs(view: FeatureView) -> list[tuple[str, tuple[str, int | None]]]:
    """The datasets ``view`` reads: each reference as written and its (name, version)."""
    from driftloop._refs import parse_ref

    if _SQL_START.match(view.source):
        texts = sorted({m.strip('"') for m in _TABLE_REF.findall(view.source)})
    else:
        texts = [] if _is_path(view.source) else [view.source]
    found = []
    for text in texts:
        if text.startswith("__dl_") or text == "source":
            continue
        try:
            ref = parse_ref(text, "dataset")
        except InvalidInputError:
            continue  # not a dataset reference (the SQL names something else)
        found.append((text, (ref.name, ref.version)))
    return found


def register_source(con: Cursor, view: FeatureView, resolve: DatasetResolver) -> str:
    """Create a DuckDB view of ``view``'s rows (source, then transformation); return its name.

    Files are read through the relation API (no path in SQL text); the view's timestamp
    columns come out as TIMESTAMPTZ whatever their resolution or zone (naive means UTC).
    """
    what = f"feature view {view.name!r}"
    raw = f"__dl_raw_{view.name}"
    if _SQL_START.match(view.source):
        for ref in {m.strip('"') for m in _TABLE_REF.findall(view.source)}:
            if ref.startswith("__dl_") or ref == "source":
                continue
            con.register(ref, parquet_relation(con, resolve(ref), f"dataset {ref!r} of {what}"))
        body = view.source
    else:
        if _is_path(view.source):
            relation = file_relation(con, view.source, f"the source of {what}")
        else:
            paths = resolve(view.source)
            relation = parquet_relation(con, paths, f"dataset {view.source!r} of {what}")
        con.register(raw, relation)
        body = f"SELECT * FROM {quote_identifier(raw)}"
    if view.transformation:
        body = f"WITH source AS ({body}) {view.transformation}"
    staged = f"__dl_staged_{view.name}"
    with translate_errors(f"{what}: its source or transformation SQL"):
        con.execute(f"CREATE OR REPLACE TEMP VIEW {quote_identifier(staged)} AS {body}")
    _check_columns(con, view, staged)
    # Only the event time is compared across relations; created_timestamp only orders.
    times = [view.timestamp] if view.timestamp else []
    name = f"__dl_src_{view.name}"
    select = timestamps_as_utc(con, staged, times, what)
    with translate_errors(what):
        con.execute(f"CREATE OR REPLACE TEMP VIEW {quote_identifier(name)} AS {select}")
    return quote_identifier(name)


def timestamps_as_utc(con: Cursor, relation: str, columns: Sequence[str], what: str) -> str:
    """``SELECT`` of ``relation`` with ``columns`` cast to UTC instants, each checked first.

    Timestamps of any resolution, naive (taken as UTC) or aware, dates, and text that
    parses as a timestamp are accepted; anything else is refused naming the column.
    See :func:`utc_cast_type` for the type each column gets.
    """
    rel = quote_identifier(relation)
    targets = {c: utc_cast_type(con, relation, c, what) for c in dict.fromkeys(columns)}
    casts = ", ".join(
        f"CAST({quote_identifier(c)} AS {target}) AS {quote_identifier(c)}"
        for c, target in targets.items()
        if target is not None
    )
    return f"SELECT * REPLACE ({casts}) FROM {rel}" if casts else f"SELECT * FROM {rel}"


def utc_cast_type(con: Cursor, relation: str, column: str, what: str) -> str | None:
    """The type ``column`` must be cast to for a UTC comparison, or None if it is one already.

    Nanosecond columns (and text with digits below the microsecond) become TIMESTAMPTZ_NS,
    every other time TIMESTAMPTZ: casting nanoseconds to microseconds rounds, and a
    feature row 50 ns after an event would then match it. DuckDB compares TIMESTAMPTZ
    with TIMESTAMPTZ_NS at nanoseconds. InvalidInputError if the column holds no times.
    """
    rel = quote_identifier(relation)
    with translate_errors(what):
        types = dict(zip(*_columns_and_types(con, rel), strict=True))
    kind = str(types[column]).upper()
    if kind in _UTC_TYPES:
        return None
    if kind.startswith(_TEMPORAL):
        return _UTC_NS if kind == "TIMESTAMP_NS" else _UTC
    if kind != "VARCHAR":
        raise InvalidInputError(
            f"{what}: time column {column!r} has type {kind}; it needs timestamps "
            "(any resolution, naive meaning UTC, or with a zone), dates or ISO text"
        )
    return _UTC_NS if _check_timestamp_text(con, rel, column, what) else _UTC


def _columns_and_types(con: Cursor, rel: str) -> tuple[list[str], list[Any]]:
    probe = con.sql(f"SELECT * FROM {rel} LIMIT 0")  # binds, reads nothing
    return list(probe.columns), list(probe.types)


def _check_timestamp_text(con: Cursor, rel: str, column: str, what: str) -> bool:
    """Refuse text that is not a timestamp; True if some value has sub-microsecond digits."""
    c = quote_identifier(column)
    micros = f"try_cast({c} AS TIMESTAMPTZ)"
    nanos = f"epoch_ns(try_cast({c} AS TIMESTAMPTZ_NS))"
    with translate_errors(what):
        found = con.execute(
            f"SELECT any_value({c}) FILTER (WHERE {micros} IS NULL), "
            f"coalesce(bool_or({nanos} % 1000 <> 0), false) FROM {rel} WHERE {c} IS NOT NULL"
        ).fetchone()
    bad, has_nanos = found if found is not None else (None, False)
    if bad is not None:
        raise InvalidInputError(
            f"{what}: time column {column!r} holds text that is not a timestamp "
            f"(e.g. {bad!r}); use ISO 8601 such as 2024-01-31T12:00:00Z"
        )
    return bool(has_nanos)


def _check_columns(con: Cursor, view: FeatureView, relation: str) -> None:
    with translate_errors(f"feature view {view.name!r}"):
        columns = set(_columns_and_types(con, quote_identifier(relation))[0])
    wanted = [*view.join_keys, *view.feature_names]
    wanted += [c for c in (view.timestamp, view.created_timestamp) if c]
    missing = [c for c in wanted if c not in columns]
    if missing:
        raise InvalidInputError(
            f"feature view {view.name!r}: source {view.source!r} has no column(s) {missing}; "
            f"it has {sorted(columns)}. Fix the view's features or its transformation"
        )


def to_pit_view(
    view: FeatureView, relation: str, features: Sequence[str], outputs: Sequence[str]
) -> PitView:
    dtypes = {f.name: f.dtype for f in view.features}
    return PitView(
        name=view.name,
        relation=relation,
        join_keys=view.join_keys,
        features=tuple(features),
        outputs=tuple(outputs),
        timestamp=view.timestamp,
        ttl=view.ttl,
        created_timestamp=view.created_timestamp,
        dtypes=tuple(dtypes[f] for f in features),
    )


def register_entity(
    con: Cursor, entity: Any, event_timestamp: str | None
) -> tuple[list[str], str | None]:
    """Make the entity rows visible as ``ENTITY_RELATION``; returns their columns and row id.

    Accepts pandas, Polars, Arrow, a Parquet/CSV path, or SQL the connection can run.
    In-memory rows get a row number column (the returned row id) to restore their order.
    When ``event_timestamp`` is a column that is not a UTC instant already, the relation
    also has it cast in ``EVENT_TIME`` (checked and typed as in :func:`utc_cast_type`),
    for the join.
    """
    raw = "__dl_entity_raw"
    row_id = None
    if isinstance(entity, str | Path):
        text = str(entity)
        if _SQL_START.match(text):
            with translate_errors("the entity SQL"):
                con.execute(f"CREATE OR REPLACE TEMP VIEW {raw} AS {text}")
        else:
            con.register(raw, file_relation(con, text, "the entity rows"))
    else:
        table = _as_arrow(entity)
        row_id = ROW_ID
        table = table.append_column(ROW_ID, pa.array(np.arange(table.num_rows, dtype=np.int64)))
        con.register(raw, table)
    with translate_errors("the entity rows"):
        columns = _columns_and_types(con, raw)[0]
    if row_id is not None:
        columns.remove(row_id)
    body = f"SELECT * FROM {raw}"
    if event_timestamp is not None and event_timestamp in columns:
        if EVENT_TIME in columns:
            raise InvalidInputError(f"the entity rows may not have a column named {EVENT_TIME!r}")
        ts = quote_identifier(event_timestamp)
        # Already a UTC instant: the join uses the column itself (an extra column costs).
        target = utc_cast_type(con, raw, event_timestamp, "the entity rows")
        if target is not None:
            body = f"SELECT *, CAST({ts} AS {target}) AS {EVENT_TIME} FROM {raw}"
    with translate_errors("the entity rows"):
        con.execute(f"CREATE OR REPLACE TEMP VIEW {_ENTITY} AS {body}")
    return columns, row_id


def restore_order(table: pa.Table, row_id: str) -> pa.Table:
    """Rows back in entity order: ``row_id`` is a permutation of 0..n-1, so O(n), no sort."""
    rows = table.column(row_id).to_numpy()
    positions = np.empty(len(rows), dtype=np.int64)
    positions[rows] = np.arange(len(rows), dtype=np.int64)
    return table.drop_columns([row_id]).take(pa.array(positions))


def _as_arrow(data: Any) -> pa.Table:
    if isinstance(data, pa.Table):
        return data
    if hasattr(data, "to_arrow") and not hasattr(data, "iloc"):  # Polars
        return data.to_arrow()
    if hasattr(data, "iloc"):
        return pa.Table.from_pandas(data, preserve_index=False)
    raise InvalidInputError(
        f"entity rows of type {type(data).__name__} are not supported; "
        "pass pandas, Polars, an Arrow table, a Parquet path or SQL"
    )


ENTITY_RELATION = _ENTITY


def cached_dataset_resolver(open_dataset: Callable[[str], Any]) -> DatasetResolver:
    """A resolver that verifies a dataset version's files once per process, not per join.

    ``open_dataset(ref)`` returns a dataset (``.version.digest``, ``.parquet_paths``);
    hashing a large version's bytes on every training set would cost more than the join.
    """
    verified: dict[str, list[Path]] = {}

    def resolve(ref: str) -> list[Path]:
        dataset = open_dataset(ref)
        paths = verified.get(dataset.version.digest)
        if paths is None or not all(p.exists() for p in paths):
            paths = verified[dataset.version.digest] = list(dataset.parquet_paths)
        return paths

    return resolve
