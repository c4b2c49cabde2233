"""Turning prediction records into one Arrow table: the rows of one log segment.

Pure: no I/O. One row per input row; the request's fields are repeated on each of
its rows, inputs become ``input.<column>`` and outputs ``output.<column>``. Records
of one segment may differ in their columns (a refused request has no outputs), so
tables are concatenated by name, missing columns as nulls.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

import pyarrow as pa
import pyarrow.parquet as pq

from driftloop.serving._prediction_record import PredictionRecord

INPUT_PREFIX = "input."
OUTPUT_PREFIX = "output."

BASE_SCHEMA = pa.schema(
    [
        ("request_id", pa.string()),
        ("row_index", pa.int32()),
        ("ts", pa.timestamp("us", tz="UTC")),
        ("endpoint", pa.string()),
        ("deployment_version", pa.int64()),
        ("model_name", pa.string()),
        ("model_version", pa.int64()),
        ("route", pa.string()),
        ("status", pa.int32()),
        ("latency_ms", pa.float64()),
        ("error", pa.string()),
    ]
)

# A stand-in column for a table that must have rows but has no columns; dropped again.
_FILLER = "__driftloop_filler__"


def _base_columns(records: Sequence[PredictionRecord]) -> list[pa.Array]:
    counts = [r.num_rows for r in records]

    def repeat(values: list[object], type_: pa.DataType) -> pa.Array:
        expanded = [v for v, n in zip(values, counts, strict=True) for _ in range(n)]
        return pa.array(expanded, type=type_)

    row_index = [i for n in counts for i in range(n)]
    fields = (
        [r.request_id for r in records],
        None,
        [r.ts for r in records],
        [r.endpoint for r in records],
        [r.deployment_version for r in records],
        [r.model_name for r in records],
        [r.model_version for r in records],
        [r.route for r in records],
        [r.status for r in records],
        [r.latency_ms for r in records],
        [r.error for r in records],
    )
    return [
        pa.array(row_index, type=pa.int32()) if values is None else repeat(list(values), field.type)
        for values, field in zip(fields, BASE_SCHEMA, strict=True)
    ]


def _part(tables: Sequence[pa.Table | None], counts: Sequence[int], prefix: str) -> pa.Table:
    """The tables one after another (nulls where a record has none), columns prefixed.

    Runs of records with one schema (the common case) are concatenated as they are and
    renamed once: per-record renaming cost more than everything else together.
    """
    pieces: list[pa.Table] = []
    run: list[pa.Table] = []
    filler = 0
    for table, rows in zip(tables, counts, strict=True):
        if table is None or table.num_columns == 0 or table.num_rows == 0:
            if run:
                pieces.append(pa.concat_tables(run))
                run = []
            filler += rows
            continue
        if run and not table.schema.equals(run[0].schema):
            pieces.append(pa.concat_tables(run))
            run = []
        if filler:
            pieces.append(pa.table({_FILLER: pa.nulls(filler)}))
            filler = 0
        run.append(table)
    if run:
        pieces.append(pa.concat_tables(run))
    if filler:
        pieces.append(pa.table({_FILLER: pa.nulls(filler)}))
    joined = (
        pieces[0] if len(pieces) == 1 else pa.concat_tables(pieces, promote_options="permissive")
    )
    if _FILLER in joined.column_names:
        joined = joined.drop_columns([_FILLER])
    return joined.rename_columns([prefix + name for name in joined.column_names])


def segment_table(records: Sequence[PredictionRecord]) -> pa.Table:
    """The log rows of ``records``: base columns, then ``input.*``, then ``output.*``.

    Raises ``pyarrow.ArrowInvalid`` when two records give one column incompatible
    types; the writer then writes them as separate segments.
    """
    base = pa.Table.from_arrays(_base_columns(records), schema=BASE_SCHEMA)
    counts = [r.num_rows for r in records]
    for part in (
        _part([r.inputs for r in records], counts, INPUT_PREFIX),
        _part([r.outputs for r in records], counts, OUTPUT_PREFIX),
    ):
        for name in part.column_names:
            base = base.append_column(name, part.column(name))
    return base.combine_chunks()


def concat_segments(tables: Sequence[pa.Table]) -> pa.Table:
    """Tables of :func:`segment_table` one after another, as one (nulls where one lacks a column).

    Columns keep :func:`segment_table`'s order: base, then ``input.*``, then ``output.*``.
    Raises ``pyarrow.ArrowInvalid`` (or ``ArrowTypeError``) when two give one column
    incompatible types.
    """
    if len(tables) == 1:
        return tables[0]
    joined = pa.concat_tables(tables, promote_options="permissive")
    names = joined.column_names
    base = len(BASE_SCHEMA)
    order = [
        *names[:base],
        *(n for n in names[base:] if n.startswith(INPUT_PREFIX)),
        *(n for n in names[base:] if n.startswith(OUTPUT_PREFIX)),
    ]
    return joined if order == names else joined.select(order)


def parquet_bytes(table: pa.Table) -> bytes:
    """``table`` as one Parquet file's bytes."""
    sink = io.BytesIO()
    pq.write_table(table, sink, compression="zstd")
    return sink.getvalue()
