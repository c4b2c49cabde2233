"""Every ``--json`` output is strict JSON; non-finite floats are the strings "NaN"/"Infinity"."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from enum import Enum
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from typer.testing import CliRunner

import driftloop as dl
from driftloop._serialization import dumps, from_jsonable_float, to_jsonable
from driftloop.cli import app

runner = CliRunner()


def _refuse(token: str) -> Any:
    raise AssertionError(f"not strict JSON: bare {token}")


def strict(text: str) -> Any:
    """Parse as Node's JSON.parse would: NaN/Infinity tokens are an error."""
    return json.loads(text, parse_constant=_refuse)


class Colour(Enum):
    RED = "red"


@dataclass(frozen=True, slots=True)
class Record:
    at: datetime
    path: Path
    colour: Colour
    values: tuple[float, ...]


def test_values_of_every_kind_become_strict_json() -> None:
    paris = timezone(timedelta(hours=2))
    value = {
        "record": Record(datetime(2026, 1, 1, 12, tzinfo=paris), Path("/a/b"), Colour.RED, (1.5,)),
        "naive": datetime(2026, 1, 1, 12),
        "floats": [math.nan, math.inf, -math.inf, 0.5],
        "numpy": [np.float64("inf"), np.int64(3), np.array([1.0, np.nan]), np.bool_(True)],
        "frame": pd.DataFrame({"x": [1.0, math.inf], "t": pd.to_datetime(["2026-01-01"] * 2)}),
        "arrow": pa.table({"y": [1, 2]}),
        "stamp": pd.Timestamp("2026-01-01", tz="UTC"),
        "nat": pd.NaT,
        "set": {"b", "a"},
        7: timedelta(seconds=90),
    }
    parsed = strict(dumps(value))
    assert parsed["record"] == {
        "at": "2026-01-01T10:00:00+00:00",  # in UTC
        "path": "/a/b",
        "colour": "red",
        "values": [1.5],
    }
    assert parsed["naive"] == "2026-01-01T12:00:00+00:00"  # naive means UTC
    assert parsed["floats"] == ["NaN", "Infinity", "-Infinity", 0.5]
    assert parsed["numpy"] == ["Infinity", 3, [1.0, "NaN"], True]
    assert parsed["frame"] == [
        {"x": 1.0, "t": "2026-01-01T00:00:00+00:00"},
        {"x": "Infinity", "t": "2026-01-01T00:00:00+00:00"},
    ]
    assert parsed["arrow"] == [{"y": 1}, {"y": 2}] and parsed["nat"] is None
    assert parsed["stamp"] == "2026-01-01T00:00:00+00:00" and parsed["set"] == ["a", "b"]
    assert parsed["7"] == 90.0
    assert [from_jsonable_float(v) for v in parsed["floats"][1:]] == [math.inf, -math.inf, 0.5]
    assert math.isnan(from_jsonable_float("NaN") or 0.0)
    assert to_jsonable(math.inf) == "Infinity"


@pytest.fixture
def filled(workspace: dl.Workspace, db_url: str, tmp_path: Path) -> dict[str, str]:
    """A workspace with a dataset, runs with non-finite metrics and a registered model."""
    frame = pd.DataFrame({"x": [1.0, 2.0, math.inf, -math.inf], "k": ["a", "b", "a", "c"]})
    dl.log_dataset("d", frame)
    dl.log_dataset("d", frame.assign(x=[3.0, 4.0, 5.0, 6.0]))
    ids = []
    for loss in (math.inf, 0.5):
        with dl.start_run(experiment="e") as run:
            dl.log_param("p", 1)
            dl.log_metric("loss", loss)
            dl.log_metric("low", -math.inf)
            if db_url.startswith("postgresql"):
                # NaN is stored on PostgreSQL; on SQLite another change makes it storable.
                dl.log_metric("nan", math.nan)
            if loss == 0.5:
                dl.log_model(_Model(), name="m", input_example=frame[["k"]], register=True)
        ids.append(run.id)
    suite = tmp_path / "suite.yaml"
    suite.write_text("name: s\nexpectations:\n  - {kind: between, column: x, max: 10}\n")
    return {"run": ids[0], "other": ids[1], "suite": str(suite)}


class _Model:
    def predict(self, data: pd.DataFrame) -> list[float]:
        return [math.inf] * len(data)


def test_every_json_command_prints_strict_json(filled: dict[str, str], db_url: str) -> None:
    commands = [
        ["data", "list"],
        ["data", "versions", "d"],
        ["data", "show", "d@1"],
        ["data", "profile", "d@1"],
        ["data", "diff", "d@1", "d@2"],
        ["data", "validate", "d@1", "--suite", filled["suite"]],
        ["data", "suggest-suite", "d@1"],
        ["features", "list"],
        ["runs", "list"],
        ["runs", "show", filled["run"]],
        ["runs", "compare", filled["run"], filled["other"]],
        ["runs", "history", filled["run"], "loss"],
        ["models", "list"],
        ["models", "versions", "m"],
        ["models", "show", "m/1"],
        ["models", "history", "m"],
        ["models", "lineage", "m/1"],
        ["models", "alias", "m", "1", "champion"],
        ["models", "card", "m/1"],
    ]
    outputs = {}
    for command in commands:
        result = runner.invoke(app, [*command, "--json"])
        # validate exits 1: x holds inf, above max 10 (a failed expectation, not misuse).
        expected = 1 if command[:2] == ["data", "validate"] else 0
        assert result.exit_code == expected, (command, result.output, result.exception)
        outputs[" ".join(command[:2])] = strict(result.stdout)
    shown = outputs["runs show"]
    assert shown["metrics"]["loss"] == "Infinity" and shown["metrics"]["low"] == "-Infinity"
    if db_url.startswith("postgresql"):
        assert shown["metrics"]["nan"] == "NaN"
    listed = {r["run_id"]: r for r in outputs["runs list"]}
    assert listed[filled["run"]]["metrics.loss"] == "Infinity"
    assert outputs["runs history"][0]["value"] == "Infinity"
