"""Turn what a user passes to ``log_dataset`` into checked Parquet files, ready to store.

DataFrames and Arrow tables are written to one Parquet file; Parquet files are kept
byte for byte (no re-encoding, so hashing runs at disk speed); CSV files are converted
by DuckDB. Every file is checked here, before anything is stored, and a problem is
reported with the file's name.
"""

from __future__ import annotations

import glob
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from driftloop.errors import InvalidInputError

_GLOB_CHARS = set("*?[")


@dataclass(frozen=True, slots=True)
class StagedData:
    """Parquet files holding the data, their common schema and row count."""

    files: list[Path]
    schema: pa.Schema
    num_rows: int
    source: str | None


def stage(data: Any, workdir: Path) -> StagedData:
    """Check ``data`` and return Parquet files holding it (written under ``workdir`` if needed)."""
    if isinstance(data, str | Path):
        return _stage_paths(_expand(data), str(data), workdir)
    table = _to_arrow(data)
    if table.num_columns == 0:
        raise InvalidInputError("the data has no columns; a dataset needs at least one column")
    path = workdir / "part-0.parquet"
    try:
        pq.write_table(table, path, compression="zstd")
    except (pa.ArrowException, ValueError, TypeError) as exc:
        raise InvalidInputError(f"the data cannot be written as Parquet: {exc}") from exc
    return StagedData([path], table.schema, table.num_rows, None)


def _to_arrow(data: Any) -> pa.Table:
    if isinstance(data, pa.Table):
        return data
    module = type(data).__module__.split(".", 1)[0]
    try:
        if module == "pandas":
            return pa.Table.from_pandas(data, preserve_index=False)
        if module == "polars":
            return data.to_arrow()
    except (pa.ArrowException, ValueError, TypeError) as exc:
        hint = "; give the column a single type (e.g. .astype(str))" if "onver" in str(exc) else ""
        raise InvalidInputError(
            f"the DataFrame cannot be converted to Arrow/Parquet: {exc}{hint}"
        ) from exc
    raise InvalidInputError(
        f"cannot log a {type(data).__name__} as a dataset; pass a pandas or Polars DataFrame, "
        "a pyarrow Table, or the path of Parquet or CSV files (a file, a folder or a glob)"
    )


def _expand(location: str | Path) -> list[Path]:
    text = str(location)
    if _GLOB_CHARS & set(text):
        files = sorted(Path(p) for p in glob.glob(text, recursive=True) if Path(p).is_file())
    elif Path(text).is_dir():
        files = sorted(p for p in Path(text).rglob("*") if p.suffix.lower() in (".parquet", ".csv"))
    elif Path(text).is_file():
        files = [Path(text)]
    else:
        raise InvalidInputError(f"{text}: no such file or folder")
    if not files:
        raise InvalidInputError(f"{text}: no Parquet or CSV files found there")
    kinds = {p.suffix.lower() for p in files}
    if len(kinds) > 1 or not kinds <= {".parquet", ".pq", ".csv", ".tsv"}:
        raise InvalidInputError(
            f"{text}: found files of kinds {sorted(kinds)}; a dataset is Parquet files or "
            "CSV files, not a mix"
        )
    return files


def _stage_paths(files: list[Path], source: str, workdir: Path) -> StagedData:
    for path in files:
        if path.stat().st_size == 0:
            raise InvalidInputError(f"{path}: the file is empty")
    if files[0].suffix.lower() in (".csv", ".tsv"):
        files = [
            _csv_to_parquet(path, workdir / f"part-{i}.parquet") for i, path in enumerate(files)
        ]
    schema: pa.Schema | None = None
    rows = 0
    for path in files:
        try:
            meta = pq.read_metadata(path)
            file_schema = meta.schema.to_arrow_schema()
        except (pa.ArrowException, OSError) as exc:
            raise InvalidInputError(f"{path}: not a readable Parquet file ({exc})") from exc
        file_schema = file_schema.remove_metadata()
        if schema is not None and not file_schema.equals(schema):
            raise InvalidInputError(
                f"{path}: its schema differs from {files[0]}'s ({_schema_text(file_schema)} "
                f"vs {_schema_text(schema)}); all files of a dataset need one schema"
            )
        schema = file_schema
        rows += meta.num_rows
    assert schema is not None
    if not schema.names:
        raise InvalidInputError(f"{files[0]}: the file has no columns")
    return StagedData(
        files, schema, rows, str(Path(source).absolute()) if "://" not in source else source
    )


def _schema_text(schema: pa.Schema) -> str:
    return ", ".join(f"{f.name}: {f.type}" for f in schema)


def _csv_to_parquet(path: Path, out: Path) -> Path:
    import duckdb

    from driftloop._duckdb import cursor_of

    with cursor_of(None) as con:
        try:
            # The delimiter and header are fixed: left to the sniffer, ragged rows make it
            # fall back to one text column and the data is silently misread.
            delimiter = "\t" if path.suffix.lower() == ".tsv" else ","
            relation = con.read_csv(str(path), delimiter=delimiter, header=True, skiprows=0)
            _check_mixed_types(con, relation, path)
            relation.write_parquet(str(out), compression="zstd")
        except duckdb.Error as exc:
            raise InvalidInputError(f"{path}: cannot read it as CSV: {_headline(exc)}") from exc
    return out


def _check_mixed_types(con: Any, relation: Any, path: Path) -> None:
    """Refuse a text column whose values are mostly numbers: a typo hides in it.

    DuckDB types such a column as VARCHAR; training on it silently would turn a numeric
    feature into a categorical one.
    """
    text_columns = [
        c for c, t in zip(relation.columns, relation.types, strict=True) if str(t) == "VARCHAR"
    ]
    if not text_columns:
        return
    parts = ", ".join(
        f'count("{c}"), count(try_cast("{c}" as double)), '
        f'any_value("{c}") filter (where try_cast("{c}" as double) is null and "{c}" is not null)'
        for c in (col.replace('"', '""') for col in text_columns)
    )
    row = relation.aggregate(parts).fetchall()[0]
    for i, column in enumerate(text_columns):
        total, numeric, example = row[3 * i], row[3 * i + 1], row[3 * i + 2]
        if total and numeric and numeric >= 0.5 * total and numeric < total:
            raise InvalidInputError(
                f"{path}: column {column!r} mixes numbers ({numeric} values) and text "
                f"({total - numeric} values, e.g. {example!r}); fix the file or cast the column"
            )


def _headline(exc: BaseException) -> str:
    """The first two lines of a DuckDB error: what failed and why, without its long help."""
    lines = [line.strip() for line in str(exc).strip().splitlines() if line.strip()]
    return " ".join(lines[:2]) if lines else type(exc).__name__
