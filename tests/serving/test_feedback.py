"""Labels by request id, later: replace earlier ones, report unknown ids, join to the log."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from tests.serving.conftest import log_churn_model

import driftloop as dl
from driftloop.serving import PredictionLogWriter


def log_requests(ws: dl.Workspace, record: Any, **ids_rows: int) -> None:
    writer = PredictionLogWriter(ws.blobs, ws.store).start()
    for request_id, rows in ids_rows.items():
        writer.submit(record(request_id=request_id, rows=rows))
    writer.close()


def test_a_later_label_replaces_the_earlier_one(workspace: dl.Workspace, record: Any) -> None:
    log_requests(workspace, record, a=1)
    workspace.predictions.log_feedback("flights", request_id="a", label=1)
    workspace.predictions.log_feedback("flights", request_id="a", label=0)
    table = workspace.predictions.feedback("flights")
    assert table.select(["request_id", "row_index", "label"]).to_pylist() == [
        {"request_id": "a", "row_index": 0, "label": 0}
    ]


def test_bulk_labels_join_their_rows_and_unknown_ids_are_reported_but_kept(
    workspace: dl.Workspace, record: Any
) -> None:
    log_requests(workspace, record, a=3, b=1)
    result = workspace.predictions.log_feedback(
        "flights",
        labels=[
            {"request_id": "a", "row_index": 2, "label": 1},
            {"request_id": "a", "row_index": 0, "label": 0},
            {"request_id": "b", "label": 1},
            {"request_id": "late", "label": 1},
            {"request_id": "b", "label": 0},  # later in the same call: wins
        ],
    )
    assert (result.accepted, result.unknown_request_ids) == (4, ("late",))
    joined = workspace.predictions.labeled("flights").project("request_id, row_index, label")
    assert sorted(joined.fetchall()) == [("a", 0, 0), ("a", 2, 1), ("b", 0, 0)]
    # The early label joins once its prediction is logged.
    log_requests(workspace, record, late=1)
    assert ("late", 0, 1) in workspace.predictions.labeled("flights").project(
        "request_id, row_index, label"
    ).fetchall()


def test_labels_since_a_time_come_from_the_injected_clock(
    sqlite_workspace: dl.Workspace, record: Any, clock: Any
) -> None:
    log_requests(sqlite_workspace, record, old=1, new=1)
    predictions = sqlite_workspace.predictions
    predictions.clock = clock
    predictions.log_feedback("flights", request_id="old", label="on-time")
    clock.advance(days=2)
    predictions.log_feedback("flights", request_id="new", label="late")
    recent = predictions.feedback("flights", since=clock.now - timedelta(hours=1))
    assert recent.column("request_id").to_pylist() == ["new"]
    assert recent.column("label").to_pylist() == ["late"]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"request_id": "a"}, "give the label"),
        ({"label": 1}, "request_id"),
        ({}, "either request_id and label"),
        ({"request_id": "a", "label": None}, "label None is not allowed"),
        ({"request_id": "a", "label": float("nan")}, "label nan"),
        ({"request_id": "a", "label": [1]}, "not allowed"),
        ({"request_id": "a b", "label": 1}, "request_id 'a b'"),
        ({"request_id": "a", "label": 1, "row_index": -1}, "row_index -1"),
        ({"labels": []}, "empty"),
        ({"labels": [{"request_id": "a"}]}, r"labels\[1\]"),
        ({"labels": [{"request_id": "a", "label": 1, "colour": 2}]}, "colour"),
        ({"labels": ["a"]}, r"labels\[1\] is str"),
    ],
)
def test_a_bad_label_is_refused_and_nothing_is_stored(
    sqlite_workspace: dl.Workspace, kwargs: dict[str, Any], message: str
) -> None:
    good = [{"request_id": "ok", "label": 1}]
    if kwargs.get("labels"):
        kwargs = {"labels": good + kwargs["labels"]}
    with pytest.raises(dl.InvalidInputError, match=message):
        sqlite_workspace.predictions.log_feedback("flights", **kwargs)
    assert sqlite_workspace.predictions.feedback("flights").num_rows == 0


def test_labels_for_an_endpoint_never_deployed_nor_logged_are_refused(
    sqlite_workspace: dl.Workspace,
) -> None:
    with pytest.raises(dl.NotFoundError, match="endpoint 'flihgts' has no deployment"):
        sqlite_workspace.predictions.log_feedback("flihgts", request_id="a", label=1)


def test_a_deployed_endpoint_takes_labels_before_any_prediction_is_logged(
    sqlite_workspace: dl.Workspace,
) -> None:
    log_churn_model(sqlite_workspace, onnx=False)
    sqlite_workspace.serving.deploy("churn", "churn@1")
    result = sqlite_workspace.predictions.log_feedback("churn", request_id="early", label=1)
    assert (result.accepted, result.unknown_request_ids) == (1, ("early",))
