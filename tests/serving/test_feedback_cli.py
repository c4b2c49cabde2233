"""`driftloop feedback ENDPOINT FILE` and `driftloop predictions`, the real CLI."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd

import driftloop as dl
from driftloop.serving import PredictionLogWriter
from driftloop.testing import invoke_cli


def test_labels_from_a_csv_file_are_stored_and_reported(
    sqlite_workspace: dl.Workspace, record: Any, tmp_path: Path
) -> None:
    writer = PredictionLogWriter(sqlite_workspace.blobs, sqlite_workspace.store).start()
    writer.submit(record(request_id="r1", rows=2))
    writer.close()
    path = tmp_path / "labels.csv"
    pd.DataFrame(
        {"rid": ["r1", "r1", "nope"], "row_index": [0, 1, 0], "delayed": [1, 0, 1]}
    ).to_csv(path, index=False)
    result = invoke_cli(
        "feedback", "flights", str(path), "--request-id-column", "rid",
        "--label-column", "delayed", "--json",
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout) == {
        "endpoint": "flights",
        "accepted": 3,
        "unknown_request_ids": ["nope"],
    }
    joined = sqlite_workspace.predictions.labeled("flights").project("row_index, label")
    assert sorted(joined.fetchall()) == [(0, 1), (1, 0)]
    stats = invoke_cli("predictions", "--json")
    assert json.loads(stats.stdout)[0] | {"first": None, "last": None} == {
        "endpoint": "flights",
        "segments": 1,
        "rows": 2,
        "first": None,
        "last": None,
        "labels": 3,
    }


def test_a_file_without_the_named_columns_is_refused_naming_them(
    sqlite_workspace: dl.Workspace, tmp_path: Path
) -> None:
    path = tmp_path / "labels.csv"
    pd.DataFrame({"id": ["a"], "y": [1]}).to_csv(path, index=False)
    result = invoke_cli("feedback", "flights", str(path))
    assert result.exit_code != 0
    assert "no column(s) ['request_id', 'label']" in result.stderr
