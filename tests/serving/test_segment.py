"""Records become log rows: one per input row, request fields repeated, missing columns null."""

from __future__ import annotations

from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from driftloop.serving._segment import BASE_SCHEMA, concat_segments, parquet_bytes, segment_table


def test_each_input_row_is_one_log_row_with_its_request_fields(record: Any) -> None:
    first = record(request_id="a", rows=3)
    second = record(request_id="b", rows=1, minutes=1)
    table = segment_table([first, second])
    assert table.num_rows == 4
    assert table.column("request_id").to_pylist() == ["a", "a", "a", "b"]
    assert table.column("row_index").to_pylist() == [0, 1, 2, 0]
    assert table.column("input.distance").to_pylist() == [100.0, 101.0, 102.0, 100.0]
    assert table.column("output.prediction").to_pylist() == [0, 1, 0, 0]
    assert table.schema.field("ts").type == pa.timestamp("us", tz="UTC")
    assert table.schema.field("row_index").type == pa.int32()
    assert table.schema.field("output.proba.1").type == pa.float64()
    assert table.schema.names[: len(BASE_SCHEMA)] == BASE_SCHEMA.names


def test_a_refused_request_without_rows_or_outputs_is_one_row_of_nulls(record: Any) -> None:
    ok = record(request_id="ok", rows=2)
    refused = record(request_id="bad", inputs={}, outputs=False)
    table = segment_table([ok, refused])
    assert table.num_rows == 3
    last = table.slice(2).to_pylist()[0]
    assert last["request_id"] == "bad"
    assert last["status"] == 400
    assert last["error"] == "bad input"
    assert last["input.distance"] is None
    assert last["output.prediction"] is None


def test_segment_bytes_are_a_parquet_file_with_the_same_rows(record: Any) -> None:
    table = segment_table([record(rows=5)])
    back = pq.read_table(pa.BufferReader(parquet_bytes(table)))
    assert back.equals(table)


def test_records_with_different_columns_line_up_by_name_in_order(record: Any) -> None:
    table = segment_table(
        [
            record(request_id="a", inputs={"distance": [1.0, 2.0]}),
            record(request_id="b", inputs={"distance": [3.0], "hour": [7]}),
            record(request_id="c", inputs={}, outputs=False),
            record(request_id="d", inputs={"distance": [4.0]}),
        ]
    )
    assert table.column("request_id").to_pylist() == ["a", "a", "b", "c", "d"]
    assert table.column("input.distance").to_pylist() == [1.0, 2.0, 3.0, None, 4.0]
    assert table.column("input.hour").to_pylist() == [None, None, 7, None, None]
    assert table.column("output.prediction").to_pylist() == [0, 1, 0, None, 0]


def test_batches_joined_into_one_segment_keep_base_input_output_order(record: Any) -> None:
    first = segment_table([record(request_id="a", inputs={"distance": [1.0]})])
    second = segment_table([record(request_id="b", inputs={"distance": [2.0], "hour": [7]})])
    joined = concat_segments([first, second])
    assert joined.column("request_id").to_pylist() == ["a", "b"]
    assert joined.column("input.hour").to_pylist() == [None, 7]
    names = joined.schema.names[len(BASE_SCHEMA) :]
    assert names == ["input.distance", "input.hour", "output.prediction", "output.proba.1"]
