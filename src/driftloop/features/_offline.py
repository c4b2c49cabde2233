"""The offline store: DuckDB over Parquet (datasets), out of core, UTC throughout."""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa

from driftloop.errors import InvalidInputError
from driftloop.features._models import FeatureView
from driftloop.features._pit import ROW_ID, PitView, quote

# Resolves a dataset reference ("weather", "weather@3") to local Parquet files.
DatasetResolver = Callable[[str], list[Path]]

_SQL_START = re.compile(r"^\s*(select|with|from)\b", re.IGNORECASE)
_TABLE_REF = re.compile(r"\b(?:from|join)\s+(\"[^\"]+\"|[A-Za-z_][A-Za-z0-9_]*)", re.IGNORECASE)
_ENTITY = "__dl_entity"


# One in-memory DuckDB database per spill folder, shared by the process: opening and
# tearing down a database costs more than a small join; each use gets its own cursor.
_databases: dict[str, duckdb.DuckDBPyConnection] = {}
_databases_lock = threading.Lock()


def connect(temp_dir: Path | None = None) -> duckdb.DuckDBPyConnection:
    """A DuckDB connection in UTC that spills to ``temp_dir`` when data outgrows memory.

    Close it after use; the database behind it stays open for the next caller.
    """
    key = str(temp_dir or "")
    with _databases_lock:
        database = _databases.get(key)
        if database is None:
            database = duckdb.connect()
            if temp_dir is not None:
                temp_dir.mkdir(parents=True, exist_ok=True)
                database.execute(f"SET temp_directory = '{temp_dir}'")
            _databases[key] = database
        con = database.cursor()
    con.execute("SET TimeZone = 'UTC'")
    return con


def _parquet_scan(paths: Sequence[Path | str]) -> str:
    if not paths:
        raise InvalidInputError("a feature source resolved to no Parquet files")
    listed = ", ".join("'" + str(p).replace("'", "''") + "'" for p in paths)
    return f"read_parquet([{listed}])"


def _file_scan(source: str) -> str:
    literal = "'" + source.replace("'", "''") + "'"
    if source.endswith(".csv"):
        return f"read_csv_auto({literal})"
    if Path(source).is_dir():
        literal = "'" + str(Path(source) / "**" / "*.parquet").replace("'", "''") + "'"
    return f"read_parquet({literal})"


def _is_path(source: str) -> bool:
    return "/" in source or source.endswith((".parquet", ".csv")) or "*" in source


def register_source(
    con: duckdb.DuckDBPyConnection, view: FeatureView, resolve: DatasetResolver
) -> str:
    """Create a DuckDB view of ``view``'s rows (source, then transformation); return its name."""
    name = f"__dl_src_{view.name}"
    if _SQL_START.match(view.source):
        for ref in {m.strip('"') for m in _TABLE_REF.findall(view.source)}:
            if ref.startswith("__dl_") or ref == "source":
                continue
            paths = resolve(ref)
            con.execute(
                f"CREATE OR REPLACE TEMP VIEW {quote(ref)} AS SELECT * FROM {_parquet_scan(paths)}"
            )
        body = view.source
    elif _is_path(view.source):
        body = f"SELECT * FROM {_file_scan(view.source)}"
    else:
        body = f"SELECT * FROM {_parquet_scan(resolve(view.source))}"
    if view.transformation:
        body = f"WITH source AS ({body}) {view.transformation}"
    con.execute(f"CREATE OR REPLACE TEMP VIEW {quote(name)} AS {body}")
    _check_columns(con, view, name)
    return quote(name)


def _check_columns(con: duckdb.DuckDBPyConnection, view: FeatureView, relation: str) -> None:
    columns = set(con.sql(f"SELECT * FROM {quote(relation)}").columns)  # binds, reads nothing
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


def register_entity(con: duckdb.DuckDBPyConnection, entity: Any) -> tuple[list[str], str | None]:
    """Make the entity rows visible as ``__dl_entity``; returns their columns and row id.

    Accepts pandas, Polars, Arrow, a Parquet/CSV path, or SQL the connection can run.
    In-memory rows get a row number column (the returned row id) to restore their order.
    """
    if isinstance(entity, str | Path):
        text = str(entity)
        body = text if _SQL_START.match(text) else f"SELECT * FROM {_file_scan(text)}"
        con.execute(f"CREATE OR REPLACE TEMP VIEW {_ENTITY} AS {body}")
        row_id = None
    else:
        table = _as_arrow(entity)
        columns = table.column_names
        row_id = ROW_ID
        table = table.append_column(ROW_ID, pa.array(np.arange(table.num_rows, dtype=np.int64)))
        con.register(_ENTITY, table)
        return columns, row_id
    return list(con.sql(f"SELECT * FROM {_ENTITY}").columns), row_id


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
