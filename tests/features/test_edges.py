"""Odd names, an apostrophe in the workspace path, mixed-type keys and per-view failures."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest

import driftloop as dl
from driftloop.errors import InvalidInputError
from driftloop.testing import temporary_workspace

T0 = datetime(2024, 1, 1, tzinfo=UTC)
END = (T0 + timedelta(hours=3)).isoformat()


def cli(ws: dl.Workspace, *args: str) -> subprocess.CompletedProcess[str]:
    """The real `driftloop` command in a subprocess, on ``ws``."""
    env = {**os.environ, "DRIFTLOOP_HOME": str(ws.root), "DRIFTLOOP_DB_URL": ws.settings.db_url}
    env["COLUMNS"] = "400"  # rich wraps long messages at the terminal width
    return subprocess.run(
        [sys.executable, "-m", "driftloop", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=ws.root,
        timeout=120,
    )


@pytest.fixture
def obrien(tmp_path: Path, db_url: str) -> Iterator[dl.Workspace]:
    """A workspace in a folder named o'brien, on each metadata backend."""
    with temporary_workspace(tmp_path / "o'brien" / "ws", db_url=db_url) as ws:
        dl.set_workspace(ws)
        yield ws
        dl.set_workspace(None)


def _weather(ws: dl.Workspace) -> None:
    frame = pd.DataFrame(
        {
            "origin": ["JFK", "JFK", "LGA"],
            "time_hour": [T0, T0 + timedelta(hours=1), T0],
            "temp": [1.0, 2.0, 5.0],
        }
    )
    dl.log_dataset("weather", frame)
    view = dl.FeatureView(
        "weather",
        [dl.Entity("airport", ["origin"])],
        "weather",
        timestamp="time_hour",
        features=[dl.Feature("temp", "float64")],
    )
    dl.apply_features([view])


def test_a_workspace_in_a_folder_named_obrien_works(obrien: dl.Workspace, tmp_path: Path) -> None:
    _weather(obrien)
    entity = pd.DataFrame({"origin": ["JFK"], "event_timestamp": [T0 + timedelta(minutes=90)]})
    assert dl.get_training_set(entity, ["weather:temp"]).to_pandas()["temp"].tolist() == [2.0]
    [result] = dl.materialize_features(end=T0 + timedelta(hours=3))
    assert result.ok and result.rows_written == 2
    incremental = dl.materialize_features(incremental=True)  # reads its snapshot back
    assert incremental[0].ok and incremental[0].rows_written == 0
    assert obrien.datasets.profile("weather")["columns"]["temp"]["max"] == 5.0
    suite = dl.data.Suite.from_dict(
        {"name": "s", "expectations": [{"kind": "not_null", "column": "temp"}]}
    )
    assert dl.validate_dataset("weather", suite).success


def test_the_cli_works_in_a_folder_named_obrien(obrien: dl.Workspace, tmp_path: Path) -> None:
    _weather(obrien)
    entities = tmp_path / "o'brien" / "entities.parquet"
    pd.DataFrame({"origin": ["LGA"], "event_timestamp": [T0]}).to_parquet(entities)
    out = tmp_path / "o'brien" / "train.parquet"
    suite = tmp_path / "o'brien" / "suite.yaml"
    suite.write_text("name: s\nexpectations:\n  - {kind: not_null, column: temp}\n")
    for args in (
        ["features", "materialize", "--end", END],
        ["features", "training-set", str(entities), "-f", "weather:temp", "-o", str(out)],
        ["data", "profile", "weather"],
        ["data", "validate", "weather", "--suite", str(suite)],
    ):
        result = cli(obrien, *args)
        assert result.returncode == 0, (args, result.stderr)
        assert "Traceback" not in result.stderr
    assert pd.read_parquet(out)["temp"].tolist() == [5.0]


def test_sql_keywords_and_odd_column_names_work_end_to_end(workspace: dl.Workspace) -> None:
    ts = 'event time; it\'s "now"'
    frame = pd.DataFrame(
        {"order": [1, 1, 2], ts: [T0, T0 + timedelta(hours=1), T0], "select": [1.0, 2.0, 3.0]}
    )
    dl.log_dataset("odd-name.v1", frame)
    view = dl.FeatureView(
        "from_",
        [dl.Entity("order", ["order"])],
        "odd-name.v1",
        timestamp=ts,
        features=[dl.Feature("select", "Float64")],
    )
    dl.apply_features([view])
    entity = pd.DataFrame({"order": [2, 1], "from": [T0, T0 + timedelta(hours=2)]})
    training = dl.get_training_set(entity, ["from_:select"], event_timestamp="from")
    assert training.to_pandas()["select"].tolist() == [3.0, 2.0]
    [result] = dl.materialize_features(end=T0 + timedelta(hours=3))
    assert result.ok, result.error
    online = workspace.features.get_online_features(["from_:select"], {"order": [1, 2]})
    assert online["select"] == [2.0, 3.0]


@pytest.mark.parametrize("name", ["it's", 'a"b', "two words", "x;y", ""])
def test_names_that_cannot_be_identifiers_are_refused_at_definition(name: str) -> None:
    with pytest.raises(InvalidInputError, match=r"name .* is not valid; use letters, digits"):
        dl.Feature(name)
    with pytest.raises(InvalidInputError, match=r"name .* is not valid"):
        dl.Entity("e", [name])


def test_composite_keys_of_mixed_type_materialize_and_look_up(workspace: dl.Workspace) -> None:
    frame = pd.DataFrame(
        {
            "carrier": ["AA", "AA", "UA"],
            "flight": [1, 1, 7],
            "t": [T0, T0 + timedelta(hours=1), T0],
            "delay": [3.0, 4.0, 9.0],
        }
    )
    dl.log_dataset("flights", frame)
    view = dl.FeatureView(
        "flights",
        [dl.Entity("route", ["carrier", "flight"])],
        "flights",
        timestamp="t",
        features=[dl.Feature("delay")],
    )
    dl.apply_features([view])
    [result] = dl.materialize_features(end=T0 + timedelta(hours=3))
    assert result.ok, result.error
    assert result.rows_written == 2
    rows = [{"carrier": "UA", "flight": 7}, {"carrier": "AA", "flight": 1}, {"carrier": "AA"}]
    rows[2]["flight"] = 7
    online = workspace.features.get_online_features(["flights:delay"], rows)
    assert online["delay"] == [9.0, 4.0, None]


def test_one_failing_view_does_not_stop_the_others(workspace: dl.Workspace) -> None:
    _weather(workspace)
    bad = pd.DataFrame({"origin": ["JFK"], "t": ["not a time"], "x": [1.0]})
    dl.log_dataset("bad", bad)
    broken = dl.FeatureView(
        "aaa_broken",  # sorts first: the views after it must still run
        [dl.Entity("airport", ["origin"])],
        "bad",
        timestamp="t",
        features=[dl.Feature("x")],
    )
    dl.apply_features([broken])
    with pytest.warns(dl.errors.DriftloopWarning, match="'aaa_broken' was not materialized"):
        done = dl.materialize_features(end=T0 + timedelta(hours=3))
    results = {r.view: r for r in done}
    assert results["weather"].ok and results["weather"].rows_written == 2
    assert not results["aaa_broken"].ok
    assert "time column 't'" in (results["aaa_broken"].error or "")
    state = {f.name: f for f in workspace.features.freshness()}
    assert state["weather"].last_materialized_at is not None
    assert state["aaa_broken"].last_materialized_at is None

    shown = cli(workspace, "features", "materialize", "--end", END)
    assert shown.returncode == 1
    assert "FAILED" in shown.stdout and "ok" in shown.stdout
    assert "aaa_broken" in shown.stderr and "time column 't'" in shown.stderr
    assert "1 of 2 view(s) failed" in shown.stderr and "Traceback" not in shown.stderr
    as_json = cli(workspace, "features", "materialize", "--end", END, "--json")
    outcome = {r["view"]: r["error"] for r in json.loads(as_json.stdout)}
    assert as_json.returncode == 1 and outcome["weather"] is None and outcome["aaa_broken"]


def test_a_missing_entity_file_says_what_to_do(workspace: dl.Workspace, tmp_path: Path) -> None:
    _weather(workspace)
    missing = tmp_path / "no-such-entities.parquet"
    with pytest.raises(InvalidInputError, match=r"no-such-entities\.parquet' does not exist"):
        dl.get_training_set(str(missing), ["weather:temp"])
    result = cli(workspace, "features", "training-set", str(missing), "-f", "weather:temp")
    assert result.returncode == 1
    assert "does not exist; check the path" in result.stderr
    assert "Traceback" not in result.stderr and "IOException" not in result.stderr
