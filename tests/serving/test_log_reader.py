"""Reading the log back over DuckDB: windows, pruning by the index, columns by name."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

import driftloop as dl
from driftloop.serving import PredictionLogWriter
from driftloop.store._prediction_rows import PredictionSegmentRow


def write(ws: dl.Workspace, records: list[Any]) -> None:
    writer = PredictionLogWriter(ws.blobs, ws.store).start()
    for item in records:
        assert writer.submit(item)
        assert writer.flush()  # one segment per record: lets the tests see pruning
    writer.close()


def test_segments_of_different_model_versions_read_together_by_column_name(
    workspace: dl.Workspace, record: Any
) -> None:
    write(
        workspace,
        [
            record(request_id="v1", model_version=1, inputs={"distance": [1.0], "origin": ["JFK"]}),
            record(request_id="v2", model_version=2, inputs={"distance": [2.0], "hour": [7]}),
        ],
    )
    rel = workspace.predictions.relation("flights")
    rows = {r["request_id"]: r for r in rel.to_arrow_table().to_pylist()}
    assert rows["v1"]["input.origin"] == "JFK" and rows["v1"]["input.hour"] is None
    assert rows["v2"]["input.hour"] == 7 and rows["v2"]["input.origin"] is None
    only_v2 = workspace.predictions.relation("flights", model_version=2)
    assert [r[0] for r in only_v2.project("request_id").fetchall()] == ["v2"]


def test_a_window_reads_only_the_segments_that_overlap_it(
    sqlite_workspace: dl.Workspace, record: Any, t0: Any
) -> None:
    ws = sqlite_workspace
    write(ws, [record(request_id=f"m{i}", minutes=i * 10) for i in range(3)])
    with ws.store.read() as session:
        first = session.scalar(
            select(PredictionSegmentRow.digest).order_by(PredictionSegmentRow.id)
        )
    assert first is not None
    path = ws.blobs.local_path(first)
    assert path is not None
    path.unlink()  # the window below must not even open this segment
    window = ws.predictions.relation(
        "flights", start=t0 + timedelta(minutes=5), end=t0 + timedelta(minutes=20)
    )
    assert window.project("request_id").fetchall() == [("m1",)]
    with pytest.raises(dl.DriftloopError):
        ws.predictions.relation("flights").fetchall()


def test_an_endpoint_without_predictions_reads_as_an_empty_relation_with_the_log_columns(
    sqlite_workspace: dl.Workspace,
) -> None:
    rel = sqlite_workspace.predictions.relation("nothing-here")
    assert rel.fetchall() == []
    assert rel.columns[:3] == ["request_id", "row_index", "ts"]


def test_bad_arguments_are_refused(sqlite_workspace: dl.Workspace, t0: Any) -> None:
    predictions = sqlite_workspace.predictions
    with pytest.raises(dl.InvalidInputError, match="route"):
        predictions.relation("flights", route="sideways")
    with pytest.raises(dl.InvalidInputError, match="UTC-aware"):
        predictions.relation("flights", start=t0.replace(tzinfo=None))
    with pytest.raises(dl.InvalidInputError, match="endpoint name"):
        predictions.relation("bad name; drop table")


def test_stats_count_segments_rows_and_labels_per_endpoint(
    workspace: dl.Workspace, record: Any, t0: Any
) -> None:
    write(workspace, [record(request_id="a", rows=3), record(request_id="b", minutes=5)])
    workspace.predictions.log_feedback("flights", request_id="a", label=1)
    (stats,) = workspace.predictions.stats("flights")
    assert (stats.segments, stats.rows, stats.labels) == (2, 4, 1)
    assert (stats.first_ts, stats.last_ts) == (t0, t0 + timedelta(minutes=5))


def test_garbage_collection_keeps_every_indexed_segment(
    sqlite_workspace: dl.Workspace, record: Any
) -> None:
    from driftloop.artifacts._gc import GarbageCollector

    ws = sqlite_workspace
    write(ws, [record(request_id="kept", rows=2)])
    orphan = ws.blobs.put_bytes(b"an unindexed segment a crash left behind")
    report = GarbageCollector(ws.store, ws.blobs).collect(grace=timedelta(0))
    assert [item.name for item in report.removed] == [orphan.digest]
    assert ws.predictions.relation("flights").count("*").fetchall() == [(2,)]
