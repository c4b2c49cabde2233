"""Turn what a user passes to ``log_dataset`` into checked Parquet files, ready to store.

DataFrames and Arrow tables are written to one Parquet file; Parquet files are kept
byte for byte (no re-encoding, so hashing runs at disk speed), once every page of
them has decoded (``_pages``); CSV files are converted by DuckDB. Every file is
checked before anything is stored, and a problem is reported with the file's name.
"""

from __future__ import annotations

import csv
import glob
import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from driftloop._duckdb import quote_identifier
from driftloop.data._encoding import check_encoding, not_utf8, to_utf8
from driftloop.data._pages import check_pages
from driftloop.errors import InvalidInputError

_GLOB_CHARS = set("*?[")
_DELIMITERS = (",", ";", "\t", "|")
_SNIFF_BYTES = 64 * 1024
_SNIFF_ROWS = 20


@dataclass(frozen=True, slots=True)
class StagedData:
    """Parquet files holding the data, their common schema and row count."""

    files: list[Path]
    schema: pa.Schema
    num_rows: int
    source: str | None
    # The user's own Parquet files, footers checked but pages not decoded yet: decoding
    # costs more than hashing, so the caller first looks for a version of these bytes.
    undecoded: list[Path] = field(default_factory=list)

    def decode(self) -> None:
        """Raise InvalidInputError naming the file unless every page of every file decodes."""
        for path in self.undecoded:
            check_pages(path)


def stage(
    data: Any, workdir: Path, *, delimiter: str | None = None, encoding: str | None = None
) -> StagedData:
    """Check ``data`` and return Parquet files holding it (written under ``workdir`` if needed).

    ``delimiter`` and ``encoding`` apply to CSV files only; without them, the delimiter
    is sniffed from the start of each file and the text must be UTF-8 (a file that is
    not is refused with a hint to give its encoding). Parquet files given are checked
    up to their footers here; ``StagedData.decode`` then decodes every page (see
    ``_pages``), so a file that would not read back is refused before it is registered.
    """
    options = _CsvOptions.of(delimiter, encoding)
    if isinstance(data, str | Path):
        return _stage_paths(_expand(data), str(data), workdir, options)
    if options.given:
        raise InvalidInputError(
            f"{options.given} applies to CSV files only; drop it for a {type(data).__name__}"
        )
    table = _to_arrow(data)
    _check_unique_names(None, table.column_names)
    if table.num_columns == 0:
        raise InvalidInputError("the data has no columns; a dataset needs at least one column")
    path = workdir / "part-0.parquet"
    try:
        pq.write_table(table, path, compression="zstd")
    except (pa.ArrowException, ValueError, TypeError) as exc:
        raise InvalidInputError(f"the data cannot be written as Parquet: {exc}") from exc
    return StagedData([path], table.schema, table.num_rows, None)


@dataclass(frozen=True, slots=True)
class _CsvOptions:
    delimiter: str | None
    encoding: str | None  # as the user wrote it; None: UTF-8, checked
    codec: str | None  # Python's name of that codec

    @classmethod
    def of(cls, delimiter: str | None, encoding: str | None) -> _CsvOptions:
        if delimiter is not None:
            _check_delimiter(delimiter)
        return cls(delimiter, encoding, None if encoding is None else check_encoding(encoding))

    @property
    def given(self) -> str:
        """The options given, as the user wrote them (for "applies to CSV only")."""
        named = (("delimiter", self.delimiter), ("encoding", self.encoding))
        return " and ".join(f"{k}={v!r}" for k, v in named if v is not None)


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


def _check_delimiter(delimiter: str) -> None:
    if not isinstance(delimiter, str) or len(delimiter) != 1 or delimiter in '\r\n"':
        raise InvalidInputError(
            f"delimiter {delimiter!r} is not valid; give one character such as ',', ';', "
            "'\\t' or '|'"
        )


def _stage_paths(files: list[Path], source: str, workdir: Path, options: _CsvOptions) -> StagedData:
    for path in files:
        if path.stat().st_size == 0:
            raise InvalidInputError(f"{path}: the file is empty")
    # Files converted here were just written by DuckDB: only the user's own are decoded.
    parquet = files[0].suffix.lower() not in (".csv", ".tsv")
    if not parquet:
        files = [
            _csv_to_parquet(path, workdir / f"part-{i}.parquet", options)
            for i, path in enumerate(files)
        ]
    elif options.given:
        raise InvalidInputError(
            f"{options.given} applies to CSV files only; {source} holds Parquet files"
        )
    schema: pa.Schema | None = None
    rows = 0
    for path in files:
        meta, file_schema = _check_parquet(path)
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
    where = str(Path(source).absolute()) if "://" not in source else source
    return StagedData(files, schema, rows, where, list(files) if parquet else [])


def _check_parquet(path: Path) -> tuple[Any, pa.Schema]:
    """The file's footer and schema, once its column chunks are known to lie inside it.

    Cheap (the pages are decoded later, by ``StagedData.decode``): the footer and schema
    are what every reader needs, and a chunk past the end gives a precise message for
    a truncated file.
    """
    try:
        meta = pq.read_metadata(path)
        schema = meta.schema.to_arrow_schema().remove_metadata()
    except (pa.ArrowException, OSError, ValueError) as exc:
        raise InvalidInputError(
            f"{path}: not a readable Parquet file ({_first_line(exc)})"
        ) from exc
    _check_unique_names(path, schema.names)
    size = path.stat().st_size
    for group in range(meta.num_row_groups):
        row_group = meta.row_group(group)
        for column in range(row_group.num_columns):
            chunk = row_group.column(column)
            start = chunk.dictionary_page_offset or chunk.data_page_offset
            if start < 0 or start + chunk.total_compressed_size > size:
                raise InvalidInputError(
                    f"{path}: not a readable Parquet file (column {chunk.path_in_schema!r} of "
                    f"row group {group} lies outside the file's {size} bytes; it is truncated "
                    "or damaged)"
                )
    return meta, schema


def _check_unique_names(path: Path | None, names: list[str]) -> None:
    """Refuse duplicate column names: readers cannot unify them (DuckDB folds case too)."""
    seen: dict[str, str] = {}
    for name in names:
        other = seen.get(name.lower())
        seen.setdefault(name.lower(), name)
        if other is not None:
            where = f"{path}: " if path is not None else ""
            raise InvalidInputError(
                f"{where}duplicate column names {other!r} and {name!r} (names must differ, "
                "ignoring case); rename one of the columns and log again"
            )


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _schema_text(schema: pa.Schema) -> str:
    return ", ".join(f"{f.name}: {f.type}" for f in schema)


def _csv_to_parquet(path: Path, out: Path, options: _CsvOptions) -> Path:
    import duckdb

    from driftloop._duckdb import cursor_of

    text = path  # what is read: the file, or its UTF-8 copy when an encoding is given
    if options.encoding is not None and options.codec != "utf-8":
        text = to_utf8(path, options.encoding, out.with_suffix(path.suffix.lower()))
    chosen = options.delimiter or _sniff_delimiter(text)
    header = _header(text, chosen)
    _check_unique_names(path, header)
    if options.delimiter is None and len(header) == 1 and set(header[0]) & set(_DELIMITERS):
        raise InvalidInputError(
            f"{path}: read as one column named {header[0]!r}, which looks like several "
            "columns; give the delimiter: log_dataset(..., delimiter=';') or "
            "`driftloop data log --delimiter ';'`"
        )
    with cursor_of(None) as con:
        try:
            # The delimiter and header are fixed: left to DuckDB's sniffer, ragged rows
            # make it fall back to one text column and the data is silently misread.
            relation = con.read_csv(str(text), delimiter=chosen, header=True, skiprows=0)
            _check_mixed_types(con, relation, path)
            relation.write_parquet(str(out), compression="zstd")
        except duckdb.Error as exc:
            # DuckDB reads UTF-8 only and blames a line: say what is wrong and what to do.
            wrong = not_utf8(path) if options.encoding is None else None
            if wrong is not None:
                raise wrong from exc
            raise InvalidInputError(f"{path}: cannot read it as CSV: {_headline(exc)}") from exc
    return out


def _sample(path: Path) -> str:
    with open(path, "rb") as handle:
        raw = handle.read(_SNIFF_BYTES)
    text = raw.decode("utf-8", errors="replace")
    # Drop the last line when it may be cut: a partial row would skew the field counts.
    return text.rsplit("\n", 1)[0] if len(raw) == _SNIFF_BYTES and "\n" in text else text


def _sniff_delimiter(path: Path) -> str:
    """The candidate that splits the header into most fields and every sampled row alike.

    A ``.tsv`` file is tab-separated. Ties and no clear winner keep the comma.
    """
    if path.suffix.lower() == ".tsv":
        return "\t"
    sample = _sample(path)
    best, best_fields = ",", 1
    for candidate in _DELIMITERS:
        rows = [r for r in _rows(sample, candidate) if r]
        if not rows or len(rows[0]) <= best_fields:
            continue
        if all(len(r) == len(rows[0]) for r in rows[1:]):
            best, best_fields = candidate, len(rows[0])
    return best


def _rows(sample: str, delimiter: str) -> list[list[str]]:
    reader = csv.reader(io.StringIO(sample), delimiter=delimiter)
    try:
        return [row for _, row in zip(range(_SNIFF_ROWS), reader, strict=False)]
    except csv.Error:
        return []


def _header(path: Path, delimiter: str) -> list[str]:
    rows = _rows(_sample(path), delimiter)
    return [name.strip() for name in rows[0]] if rows else []


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
        f"count({c}), count(try_cast({c} as double)), "
        f"any_value({c}) filter (where try_cast({c} as double) is null and {c} is not null)"
        for c in map(quote_identifier, text_columns)
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
