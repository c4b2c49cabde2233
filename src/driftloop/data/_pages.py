"""Decode every page of a Parquet file, with each reader driftloop uses, before it is registered.

A footer can be intact while a data page deeper in the file is damaged (a bad disk, a
cut copy, a buggy writer): the footer and first page read fine and the version fails
on its first full read. So every column chunk of a file the user gives is decoded
here, by both readers a version meets later: pyarrow (``to_arrow``, pandas, Polars)
and DuckDB (SQL, profiles, suites). Neither check is a superset of the other: on
files damaged at random offsets, each reader refused a few that the other read
without a word (pyarrow skips some page headers after a chunk's last value; DuckDB
accepts dictionary indices out of range). pyarrow also verifies the page CRC
checksums a writer stored (parquet-mr and Spark store them by default), which finds
damage that would decode to other values, and validates what it decoded (dictionary
indices, offsets, UTF-8).

Memory stays bounded: pyarrow decodes one row group at a time, in slices of columns
of at most ``_SLICE_BYTES`` uncompressed (text columns stay dictionary-encoded, so
nothing is expanded), and DuckDB streams one aggregate over the file.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from driftloop._duckdb import cursor_of, headline
from driftloop._duckdb import quote_identifier as quote
from driftloop.errors import InvalidInputError

_SLICE_BYTES = 64 * 2**20


def check_pages(path: Path) -> None:
    """Raise InvalidInputError naming ``path`` (and the column) unless every page decodes."""
    try:
        meta = pq.read_metadata(path)
        schema = meta.schema.to_arrow_schema().remove_metadata()
    except (pa.ArrowException, OSError, ValueError) as exc:
        raise _damaged(path, None, None, exc) from exc
    if meta.num_rows == 0:
        return
    _decode_with_pyarrow(path, meta, schema)
    _decode_with_duckdb(path, schema.names)


def _decode_with_pyarrow(path: Path, meta: pq.FileMetaData, schema: pa.Schema) -> None:
    text = [f.name for f in schema if _is_text(f.type)]
    try:
        handle = pq.ParquetFile(
            path, read_dictionary=text, page_checksum_verification=True, memory_map=True
        )
    except (pa.ArrowException, OSError, ValueError) as exc:
        raise _damaged(path, None, None, exc) from exc
    for group in range(meta.num_row_groups):
        for columns in _slices(meta.row_group(group), schema):
            try:
                handle.read_row_group(group, columns=columns).validate(full=True)
            except (pa.ArrowException, OSError, ValueError) as exc:
                raise _damaged(path, _failing(handle, group, columns), group, exc) from exc


def _slices(group: pq.RowGroupMetaData, schema: pa.Schema) -> list[list[str]]:
    """Top-level columns in runs of at most ``_SLICE_BYTES`` (a larger column alone)."""
    leaves = [_leaf_count(f.type) for f in schema]
    if sum(leaves) != group.num_columns:
        return [schema.names]  # a layout this mapping does not know: the whole group at once
    slices: list[list[str]] = [[]]
    size, leaf = 0, 0
    for field, count in zip(schema, leaves, strict=True):
        field_size = sum(group.column(leaf + k).total_uncompressed_size for k in range(count))
        leaf += count
        if slices[-1] and size + field_size > _SLICE_BYTES:
            slices.append([])
            size = 0
        slices[-1].append(field.name)
        size += field_size
    return slices


def _leaf_count(kind: pa.DataType) -> int:
    """How many Parquet column chunks hold a field of this Arrow type."""
    if pa.types.is_struct(kind):
        return sum(_leaf_count(kind.field(i).type) for i in range(kind.num_fields))
    if pa.types.is_map(kind):
        return _leaf_count(kind.key_type) + _leaf_count(kind.item_type)
    if pa.types.is_list(kind) or pa.types.is_large_list(kind) or pa.types.is_fixed_size_list(kind):
        return _leaf_count(kind.value_type)
    return 1


def _is_text(kind: pa.DataType) -> bool:
    checks = (pa.types.is_string, pa.types.is_large_string, pa.types.is_binary)
    return any(bool(check(kind)) for check in (*checks, pa.types.is_large_binary))


def _failing(handle: pq.ParquetFile, group: int, columns: list[str]) -> str | None:
    """The first of ``columns`` that does not decode alone (to name it in the error)."""
    for column in columns:
        try:
            handle.read_row_group(group, columns=[column]).validate(full=True)
        except (pa.ArrowException, OSError, ValueError):
            return column
    return None


def _decode_with_duckdb(path: Path, names: list[str]) -> None:
    import duckdb

    # hash() reads every value of any type; bit_xor keeps the result one number a column.
    with cursor_of(None) as con:
        relation = con.read_parquet(str(path))
        try:
            relation.aggregate(", ".join(f"bit_xor(hash({quote(n)}))" for n in names)).fetchall()
        except duckdb.Error as exc:
            column = next((n for n in names if not _duckdb_reads(relation, n)), None)
            raise _damaged(path, column, None, exc) from exc


def _duckdb_reads(relation: Any, name: str) -> bool:
    import duckdb

    try:
        relation.aggregate(f"bit_xor(hash({quote(name)}))").fetchall()
    except duckdb.Error:
        return False
    return True


def _damaged(
    path: Path, column: str | None, group: int | None, exc: BaseException
) -> InvalidInputError:
    where = ""
    if column is not None:
        where = f"column {column!r}" + (f" of row group {group}" if group is not None else "")
        where += " does not decode: "
    return InvalidInputError(
        f"{path}: not a readable Parquet file ({where}{headline(exc)}); its footer reads "
        "but its data is damaged: write the file again from its source"
    )
